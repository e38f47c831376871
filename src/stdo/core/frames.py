"""Frame ranges and time splits: the one parser of a config's ``frames: [start, stop)`` and
the frame counts that follow from it, shared by ingest, VSD4K and the planner."""

from __future__ import annotations

from collections.abc import Sequence

from stdo.core.errors import StdoError


def parse_range(frames: Sequence[int | None] | None) -> tuple[int, int | None]:
    """``[start, stop)`` of a config's ``frames`` (``stop`` None: to the end; no range: all)."""
    if not frames:
        return 0, None
    first, last = frames[0], frames[1]
    start, stop = int(first or 0), (None if last is None else int(last))
    if start < 0 or (stop is not None and stop <= start):
        raise StdoError(
            f"frame range {list(frames)} is empty or negative; use [start, stop) with stop > start"
        )
    return start, stop


def range_in(frames: Sequence[int | None] | None, total: int) -> tuple[int, int]:
    """The frames ``[start, stop)`` of ``frames`` that a video of ``total`` frames has."""
    start, stop = parse_range(frames)
    stop = total if stop is None else min(stop, total)
    return min(start, stop), stop


def count_in(frames: Sequence[int | None] | None, total: int) -> int:
    """How many of a ``total``-frame video's frames the range ``frames`` keeps."""
    start, stop = range_in(frames, total)
    return stop - start


def cafm_train_frames(n_total: int) -> int:
    """Training frames of CaFM's split of ``n_total`` frames: the largest ``n`` with
    ``n + n // 10 <= n_total`` (the rest, ``n // 10`` frames, is held out)."""
    n = n_total
    while n + n // 10 > n_total:
        n -= 1
    if n < 1 or n // 10 < 1:
        raise StdoError(f"{n_total} frames are too few for CaFM's split (n training + n/10 test frames)")
    return n


def cafm_split(n_total: int) -> tuple[list[int], list[int]]:
    """CaFM's split of ``n_total`` frames: ``[0, n)`` for training and the next ``n // 10``
    ``[n, n + n // 10)`` for testing, with ``n`` as large as fits (``n + n // 10 <= n_total``)."""
    n = cafm_train_frames(n_total)
    return [0, n], [n, n + n // 10]
