"""The docs' marked blocks (imported by the docs tests as ``support.docs``): a shell block after
``<!-- runnable -->`` is run by ``tests/docs/test_runnable_blocks.py``; any block after
``<!-- runnable-file: NAME -->`` is written to ``NAME`` before the page's runnable blocks run.
Markers inside another fence (an example of the marker) are text, not markers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"<!-- runnable(?:-file: (?P<file>\S+))? -->")
FENCE = re.compile(r"(?P<fence>`{3,})(?P<info>[\w-]*)")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    info: str  # the fence's info string (bash, yaml, ...)
    file: str | None  # runnable-file: the name it is written to; None for a runnable block
    text: str

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def pages() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def scan(page: Path) -> tuple[list[Block], list[int]]:
    """(marked blocks, lines of markers that no block follows) of one page."""
    blocks: list[Block] = []
    dangling: list[int] = []
    marker: tuple[int, str | None] | None = None  # (line, file) of the marker on the previous line
    fence = None  # (fence, info, indent, line, marker, body) while inside a fence
    for n, line in enumerate(page.read_text().splitlines(), start=1):
        stripped = line.strip()
        if fence is not None:
            if stripped == fence[0]:
                _, info, _, start, mark, body = fence
                if mark is not None:
                    blocks.append(Block(page, start, info, mark[1], "\n".join(body) + "\n"))
                fence = None
            else:
                fence[5].append(line[fence[2] :] if line[: fence[2]].strip() == "" else line)
            continue
        pending, marker = marker, None
        if m := MARKER.fullmatch(stripped):
            if pending:
                dangling.append(pending[0])
            marker = (n, m.group("file"))
        elif f := FENCE.fullmatch(stripped):
            fence = (f.group("fence"), f.group("info"), len(line) - len(line.lstrip()), n, pending, [])
        elif pending:
            dangling.append(pending[0])
    if marker:
        dangling.append(marker[0])
    return blocks, dangling
