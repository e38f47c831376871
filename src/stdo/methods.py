"""Methods as training units and routing rules (pure functions, no files).

A *method* (a column of the paper's tables) is a list of *training units*, each one model
trained on a selection of patches, plus a *routing* that sends every patch of the video to
one of those models at evaluation time:

=================  ===============================  ========================================
method             units                            routing
=================  ===============================  ========================================
``awdnn``          ``all``                          every patch to the one model
``stdo-k{k}``      ``stdo-k{k}-c0 .. c{k-1}``       each patch to its PSNR chunk's model
``stdo-k{k}-d0``   ``stdo-k{k}-c0``                 every patch to the D0 model (Table 1)
``stdo-k{k}-dk``   ``stdo-k{k}-c{k-1}``             every patch to the Dk model (Table 1)
=================  ===============================  ========================================

Equal compute: a unit's optimiser budget is ``epochs x`` its *budget patches*. For units
that split the video between several models (``all``, STDO chunks) that is the unit's own
patches, so a method's models together see ``epochs x`` the video's patches, the same as
awDNN's single model.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from stdo.errors import StdoError

_STDO_UNIT = re.compile(r"^stdo-k(\d+)-c(\d+)$")
_STDO_METHOD = re.compile(r"^stdo-k(\d+)(?:-(d0|dk))?$")


def method_units(method: str) -> list[str]:
    """Training units whose models the method evaluates with, in model-index order."""
    if method == "awdnn":
        return ["all"]
    m = _STDO_METHOD.match(method)
    if m:
        k, single = int(m.group(1)), m.group(2)
        if k < 1:
            raise StdoError(f"method {method!r}: k must be >= 1")
        if single == "d0":
            return [f"stdo-k{k}-c0"]
        if single == "dk":
            return [f"stdo-k{k}-c{k - 1}"]
        return [f"stdo-k{k}-c{c}" for c in range(k)]
    raise StdoError(f"unknown method {method!r}")


def method_partition_k(method: str) -> int | None:
    """The number of PSNR chunks the method needs (its routing or units), if any."""
    m = _STDO_METHOD.match(method)
    return int(m.group(1)) if m else None


def unit_partition_k(unit: str) -> int | None:
    m = _STDO_UNIT.match(unit)
    return int(m.group(1)) if m else None


def unit_budget(unit: str) -> str:
    """``data``: epochs over the unit's own patches; ``video``: over all of the video's."""
    if unit == "all" or _STDO_UNIT.match(unit):
        return "data"
    raise StdoError(f"unknown training unit {unit!r}")


def _check_chunks(chunks: np.ndarray | None, k: int, n: int, what: str) -> np.ndarray:
    if chunks is None:
        raise StdoError(f"{what} needs the PSNR partition (chunks.npy) for k={k}")
    chunks = np.asarray(chunks)
    if chunks.shape != (n,):
        raise StdoError(f"{what}: partition has {chunks.shape[0]} entries for {n} patches")
    if chunks.max() + 1 != k:
        raise StdoError(f"{what}: partition has {chunks.max() + 1} chunks, expected {k}")
    return chunks


def unit_selection(
    unit: str, *, index: pd.DataFrame, chunks: np.ndarray | None = None, fps: float | None = None
) -> np.ndarray:
    """Patch ids a unit trains on (sorted)."""
    n = len(index)
    if unit == "all":
        return np.arange(n, dtype=np.int64)
    m = _STDO_UNIT.match(unit)
    if m:
        k, c = int(m.group(1)), int(m.group(2))
        if c >= k:
            raise StdoError(f"unit {unit!r}: chunk {c} does not exist for k={k}")
        chunks = _check_chunks(chunks, k, n, f"unit {unit!r}")
        return np.flatnonzero(chunks == c).astype(np.int64)
    raise StdoError(f"unknown training unit {unit!r}")


def route(
    method: str, *, index: pd.DataFrame, chunks: np.ndarray | None = None, fps: float | None = None
) -> np.ndarray:
    """Model index (into ``method_units(method)``) for every patch of the video."""
    n = len(index)
    m = _STDO_METHOD.match(method)
    if m and m.group(2) is None:
        return _check_chunks(chunks, int(m.group(1)), n, f"method {method!r}").astype(np.int64)
    method_units(method)  # validates the name
    return np.zeros(n, dtype=np.int64)
