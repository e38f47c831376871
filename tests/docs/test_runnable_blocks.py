"""The commands the docs mark runnable (``<!-- runnable -->`` before a shell block; see
docs/architecture.md, "Runnable blocks in the docs") are run, so the docs cannot drift from the
code: each block in a fresh directory that links the checkout (not its results), and where a
``snakemake -n`` line says ``N jobs`` the dry run plans N."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.docs import REPO, Block, pages, scan

# the checkout, without what a run writes (a dry run of the docs must not see earlier results)
NOT_LINKED = {".git", ".snakemake", ".venv", "results", "resources", "data", "site", ".pytest_cache"}


def _all() -> tuple[list[Block], list[str]]:
    blocks, dangling = [], []
    for page in pages():
        found, lost = scan(page)
        blocks += found
        dangling += [f"{page.relative_to(REPO)}:{n}" for n in lost]
    return blocks, dangling


BLOCKS, DANGLING = _all()
RUNNABLE = [b for b in BLOCKS if b.file is None]


def _param(block: Block):
    slow = [pytest.mark.slow] if "snakemake" in block.text else []  # runs Snakemake (a dry run)
    return pytest.param(block, id=block.id, marks=slow)


def test_every_marker_marks_a_block_and_runnable_blocks_are_shell():
    assert not DANGLING, f"markers not followed by a fenced block: {DANGLING}"
    assert len(RUNNABLE) >= 8, [b.id for b in RUNNABLE]
    assert {b.info for b in RUNNABLE} <= {"bash", "sh"}, {b.id: b.info for b in RUNNABLE}
    files = [b for b in BLOCKS if b.file is not None]
    assert files and all(b.file and "/" not in b.file for b in files), [b.id for b in files]


def test_the_scanner_skips_markers_inside_other_fences(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "````markdown\n<!-- runnable -->\n```bash\nfalse\n```\n````\n\n"
        "<!-- runnable -->\n```bash\necho one\n```\n\n<!-- runnable -->\ntext, no block\n"
        "  <!-- runnable-file: a.yaml -->\n  ```yaml\n  a: 1\n  ```\n"
    )
    blocks, dangling = scan(page)
    assert [(b.line, b.info, b.file, b.text) for b in blocks] == [
        (9, "bash", None, "echo one\n"),
        (16, "yaml", "a.yaml", "a: 1\n"),
    ]
    assert dangling == [13]


def _workdir(tmp_path: Path, block: Block) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    for entry in REPO.iterdir():
        if entry.name not in NOT_LINKED:
            (work / entry.name).symlink_to(entry)
    for b in BLOCKS:  # the page's files, written as the page gives them
        if b.page == block.page and b.file is not None:
            (work / b.file).write_text(b.text)
    return work


def _jobs(line: str) -> int | None:
    """The job count a ``snakemake -n`` line's comment states, or None."""
    code, _, comment = line.partition("#")
    m = re.search(r"(\d[\d,]*) jobs", comment)
    if m and re.search(r"\bsnakemake\b.*\s-n\b", code):
        return int(m.group(1).replace(",", ""))
    return None


@pytest.mark.parametrize("block", [_param(b) for b in RUNNABLE])
def test_runnable_block(block: Block, tmp_path):
    work = _workdir(tmp_path, block)
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.text],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{block.id} exited {proc.returncode}:\n{block.text}\n{out[-4000:]}"
    stated = {n for line in block.text.splitlines() if (n := _jobs(line)) is not None}
    if stated:
        planned = {int(n) for n in re.findall(r"^total\s+(\d+)$", out, re.M)}
        assert planned == stated, f"{block.id}: the docs say {stated} jobs, the dry run plans {planned}"
    assert not (work / "results").exists(), f"{block.id} wrote results/: mark only dry runs runnable"
