"""Argument types shared by the stages' command lines (comma-separated lists) and the one
``--stdo-k`` option of the report stages."""

from __future__ import annotations

import argparse
from pathlib import Path


def int_list(value: str) -> list[int]:
    """``"2,4"`` -> ``[2, 4]`` (empty items ignored)."""
    return [int(x) for x in value.split(",") if x]


def float_list(value: str) -> list[float]:
    """``"0.25,0.5"`` -> ``[0.25, 0.5]`` (empty items ignored)."""
    return [float(x) for x in value.split(",") if x]


def path_list(value: str) -> list[Path]:
    """``"a,b"`` -> ``[Path("a"), Path("b")]`` (empty items ignored)."""
    return [Path(x) for x in value.split(",") if x]


def add_stdo_k(parser: argparse.ArgumentParser) -> None:
    """``--stdo-k``: the config's ``stdo.k``, the k that compete for STDO's best of k."""
    parser.add_argument(
        "--stdo-k",
        type=int_list,
        default=None,
        help="the config's stdo.k (comma-separated): the k that compete for STDO's best of k",
    )
