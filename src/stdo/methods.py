"""Methods as training units and routing rules (pure functions, no files).

A *method* (a row of the paper's tables) is a list of *training units*, each one model
trained on a selection of patches, plus a *routing* that sends every patch of the video to
a group at evaluation time: group ``g`` is served by unit ``g``'s model, or, for CaFM (one
unit), by the shared model with chunk ``g``'s modulation.

====================  =================================  =========================================
method                units                              routing
====================  =================================  =========================================
``awdnn``             ``all``                            every patch to the one model
``nas-n{n}``          ``nas-n{n}-c0 .. c{n-1}``          each frame to its time chunk's model
``cafm-n{n}``         ``cafm-n{n}``                      each frame to its time chunk's modulation
``stdo-k{k}``         ``stdo-k{k}-c0 .. c{k-1}``         each patch to its PSNR chunk's model
``stdo-k{k}-d0``      ``stdo-k{k}-c0``                   every patch to the D0 model (Table 1)
``stdo-k{k}-dk``      ``stdo-k{k}-c{k-1}``               every patch to the Dk model (Table 1)
``jstdo-k{k}``        ``jstdo-k{k}``                     every patch to the one joint model
``jstdo-k{k}-p{i}``   ``jstdo-k{k}-p{i}``                as jstdo-k{k}, with sampling schedule i
====================  =================================  =========================================

Sampling schedule ``i`` is entry ``i`` of ``ablations.schedules.proportions`` (Figure 7b);
``jstdo-k{k}`` uses ``jstdo.proportions``.

Time chunks split the frames into ``n`` equal consecutive runs (NAS/CaFM cut a video into
fixed-length segments; the number of segments is chosen from the video's duration).

Equal compute: a unit's optimiser budget is ``epochs x`` its *budget patches*. Units that
split the video between models (``all``, NAS and STDO chunks) budget their own patches, so a
method's models together see ``epochs x N`` patches; single-model methods trained on all or
part of the video (CaFM, JSTDO) budget the whole video's ``N``. Every method thus spends the
same number of patch-steps as awDNN (the paper's "same computation cost").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from stdo.errors import StdoError

_STDO_UNIT = re.compile(r"^stdo-k(\d+)-c(\d+)$")
_NAS_UNIT = re.compile(r"^nas-n(\d+)-c(\d+)$")
_CAFM = re.compile(r"^cafm-n(\d+)$")
_JSTDO = re.compile(r"^jstdo-k(\d+)(?:-p(\d+))?$")
_STDO_METHOD = re.compile(r"^stdo-k(\d+)(?:-(d0|dk))?$")
_NAS_METHOD = re.compile(r"^nas-n(\d+)$")


def _positive(value: str, what: str) -> int:
    n = int(value)
    if n < 1:
        raise StdoError(f"{what} must be >= 1, got {n}")
    return n


def method_units(method: str) -> list[str]:
    """Training units whose models the method evaluates with, in group order."""
    if method == "awdnn":
        return ["all"]
    if m := _STDO_METHOD.match(method):
        k, single = _positive(m.group(1), f"{method}: k"), m.group(2)
        if single == "d0":
            return [f"stdo-k{k}-c0"]
        if single == "dk":
            return [f"stdo-k{k}-c{k - 1}"]
        return [f"stdo-k{k}-c{c}" for c in range(k)]
    if m := _NAS_METHOD.match(method):
        n = _positive(m.group(1), f"{method}: chunks")
        return [f"nas-n{n}-c{i}" for i in range(n)]
    if _CAFM.match(method) or _JSTDO.match(method):
        return [method]
    raise StdoError(f"unknown method {method!r}")


def method_partition_k(method: str) -> int | None:
    """The number of PSNR chunks the method's routing needs, if any."""
    m = _STDO_METHOD.match(method)
    return int(m.group(1)) if m else None


def unit_partition_k(unit: str) -> int | None:
    """The number of PSNR chunks a unit's selection needs, if any."""
    m = _STDO_UNIT.match(unit) or _JSTDO.match(unit)
    return int(m.group(1)) if m else None


def unit_budget(unit: str) -> str:
    """``data``: epochs over the unit's own patches; ``video``: over all of the video's."""
    if unit == "all" or _STDO_UNIT.match(unit) or _NAS_UNIT.match(unit):
        return "data"
    if _CAFM.match(unit) or _JSTDO.match(unit):
        return "video"
    raise StdoError(f"unknown training unit {unit!r}")


def unit_cafm_chunks(unit: str) -> int | None:
    m = _CAFM.match(unit)
    return int(m.group(1)) if m else None


def time_chunks(frames: np.ndarray, n_frames: int, n: int) -> np.ndarray:
    """Time chunk (``0..n-1``) of each frame index: ``n`` equal consecutive runs of frames."""
    if n < 1 or n > n_frames:
        raise StdoError(f"cannot cut {n_frames} frames into {n} time chunks")
    return np.minimum(np.asarray(frames, dtype=np.int64) * n // n_frames, n - 1)


def _check_chunks(chunks: np.ndarray | None, k: int, n: int, what: str) -> np.ndarray:
    if chunks is None:
        raise StdoError(f"{what} needs the PSNR partition (chunks.npy) for k={k}")
    chunks = np.asarray(chunks)
    if chunks.shape != (n,):
        raise StdoError(f"{what}: partition has {chunks.shape[0]} entries for {n} patches")
    if chunks.max() + 1 != k:
        raise StdoError(f"{what}: partition has {chunks.max() + 1} chunks, expected {k}")
    return chunks


def check_proportions(proportions: Sequence[float], k: int) -> list[float]:
    """JSTDO's sampling proportions rho_0..rho_{k-1}: one per chunk, in [0, 1], non-increasing."""
    rho = [float(p) for p in proportions]
    if len(rho) != k:
        raise StdoError(f"jstdo.proportions has {len(rho)} values for k={k} chunks; give one per chunk")
    if any(p < 0 or p > 1 for p in rho) or any(a < b for a, b in zip(rho, rho[1:], strict=False)):
        raise StdoError(f"jstdo.proportions {rho} must lie in [0, 1] and not increase from D0 to Dk")
    return rho


def joint_selection(chunks: np.ndarray, proportions: Sequence[float], seed: int) -> np.ndarray:
    """The joint training set of Eq. 2: ``round(rho_i |D_i|)`` patches drawn from each chunk
    ``D_i`` uniformly without replacement (seeded per chunk); sorted patch ids. Its size is mu."""
    k = int(chunks.max()) + 1
    rho = check_proportions(proportions, k)
    picked = []
    for i, p in enumerate(rho):
        members = np.flatnonzero(chunks == i)
        take = int(round(p * members.size))
        rng = np.random.default_rng([seed, i])
        picked.append(np.sort(rng.choice(members, size=take, replace=False)))
    out = np.sort(np.concatenate(picked)).astype(np.int64)
    if out.size == 0:
        raise StdoError(f"jstdo.proportions {rho} select no patch")
    return out


def unit_selection(
    unit: str,
    *,
    index: pd.DataFrame,
    chunks: np.ndarray | None = None,
    proportions: Sequence[float] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Patch ids a unit trains on (sorted)."""
    n = len(index)
    if unit == "all" or _CAFM.match(unit):
        return np.arange(n, dtype=np.int64)
    if m := _STDO_UNIT.match(unit):
        k, c = int(m.group(1)), int(m.group(2))
        if c >= k:
            raise StdoError(f"unit {unit!r}: chunk {c} does not exist for k={k}")
        chunks = _check_chunks(chunks, k, n, f"unit {unit!r}")
        return np.flatnonzero(chunks == c).astype(np.int64)
    if m := _NAS_UNIT.match(unit):
        t, i = int(m.group(1)), int(m.group(2))
        if i >= t:
            raise StdoError(f"unit {unit!r}: time chunk {i} does not exist for {t} chunks")
        frames = index["frame"].to_numpy()
        return np.flatnonzero(time_chunks(frames, int(frames.max()) + 1, t) == i).astype(np.int64)
    if m := _JSTDO.match(unit):
        k = int(m.group(1))
        chunks = _check_chunks(chunks, k, n, f"unit {unit!r}")
        if proportions is None:
            raise StdoError(f"unit {unit!r} needs jstdo.proportions")
        return joint_selection(chunks, proportions, seed)
    raise StdoError(f"unknown training unit {unit!r}")


def patch_time_chunks(index: pd.DataFrame, n: int) -> np.ndarray:
    frames = index["frame"].to_numpy()
    return time_chunks(frames, int(frames.max()) + 1, n)


def route(method: str, *, index: pd.DataFrame, chunks: np.ndarray | None = None) -> np.ndarray:
    """Group (model, or CaFM modulation) index for every patch of the video."""
    n = len(index)
    if (m := _STDO_METHOD.match(method)) and m.group(2) is None:
        return _check_chunks(chunks, int(m.group(1)), n, f"method {method!r}").astype(np.int64)
    if m := (_NAS_METHOD.match(method) or _CAFM.match(method)):
        return patch_time_chunks(index, int(m.group(1)))
    method_units(method)  # validates the name
    return np.zeros(n, dtype=np.int64)
