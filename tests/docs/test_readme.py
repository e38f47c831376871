"""README stays the front page: at most 150 lines, the two commands at its top (CI runs the
second), and every relative link in it names a file of the checkout (the docs pages moved there)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
COMMANDS = [
    "bash scripts/setup.sh && . .venv/bin/activate && snakemake --cores 8 tables   # set up, run the demo",
    "bash scripts/setup.sh && .venv/bin/python -m pytest                            # set up, run the tests",
]


def test_readme_is_short_and_opens_with_the_two_commands():
    lines = README.read_text().splitlines()
    assert len(lines) <= 150, len(lines)
    fence = lines.index("```bash")
    assert fence < 5 and lines[fence + 1 : fence + 3] == COMMANDS and lines[fence + 3] == "```"


def test_readme_links_resolve_to_files_of_the_checkout():
    links = re.findall(r"\]\(([^)\s]+)\)", README.read_text())
    local = [link.split("#")[0] for link in links if "://" not in link]
    assert len(local) >= 10, local
    missing = [link for link in local if not (REPO / link).is_file()]
    assert not missing, missing


def test_readme_code_fences_close():
    """An unclosed fence turns the rest of the page into code (GitHub does not build README)."""
    fences = [line for line in README.read_text().splitlines() if re.fullmatch(r"```[\w-]*", line)]
    assert len(fences) % 2 == 0, fences
    assert all(f == "```" for f in fences[1::2]), fences  # every second one closes: no info string
