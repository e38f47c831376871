"""Progress bars a person can follow, that do not flood a job's log.

Every stage's bar is :func:`bar`: tqdm on stderr with its rate and ETA, redrawn at most every
:data:`TTY_INTERVAL` seconds on a terminal and every :data:`LOG_INTERVAL` seconds otherwise (a
Snakemake job's stderr is its log file, ``results/logs/...``: one bar line per 10 s there, not
one per step). ``STDO_PROGRESS=0`` (or ``false``, ``off``, ``no``) turns every bar off, as does
a set ``CI`` (GitHub Actions and most CI services set it; the tests' conftest sets
``STDO_PROGRESS=0``); ``STDO_PROGRESS=1`` turns them on even under CI. A bar never changes what
it counts: it only reads the step it is told.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from tqdm import tqdm

ENV = "STDO_PROGRESS"
TTY_INTERVAL = 0.5  # seconds between redraws on a terminal
LOG_INTERVAL = 10.0  # seconds between bar lines in a log file
_OFF = ("0", "false", "off", "no")


def enabled() -> bool:
    """Whether progress bars are shown: ``STDO_PROGRESS`` when set, else off under ``CI``."""
    value = os.environ.get(ENV, "").strip().lower()
    if value:
        return value not in _OFF
    return os.environ.get("CI", "").strip().lower() in ("", *_OFF)


class _Lines:
    """A file that a bar writes lines to: tqdm redraws with a carriage return, which a log file
    keeps as one ever longer line; here each redraw is a line of its own."""

    def __init__(self, file: Any):
        self.file, self.fresh = file, True

    def write(self, s: str) -> None:
        s = s.replace("\r", "\n")
        while "\n\n" in s:
            s = s.replace("\n\n", "\n")
        if self.fresh:
            s = s.lstrip("\n")
        if s:
            self.file.write(s)
            self.fresh = s.endswith("\n")

    def flush(self) -> None:
        self.file.flush()


def bar(*, disable: bool = False, **kwargs: Any) -> tqdm:
    """A tqdm bar on stderr (``kwargs``: tqdm's, e.g. ``total``, ``desc``, ``unit``), off when
    ``disable`` or when :func:`enabled` says so; redrawn at most every :data:`TTY_INTERVAL` s on
    a terminal, :data:`LOG_INTERVAL` s in a file (a line per redraw there)."""
    tty = sys.stderr.isatty()
    interval = TTY_INTERVAL if tty else LOG_INTERVAL
    options: dict[str, Any] = {
        "file": sys.stderr if tty else _Lines(sys.stderr),
        "mininterval": interval,
        "maxinterval": max(interval, 10.0),
        "dynamic_ncols": tty,
        "ascii": None if tty else True,
    }
    return tqdm(**(options | kwargs), disable=disable or not enabled())
