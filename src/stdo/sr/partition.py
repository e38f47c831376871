"""PSNR-quantile partition of patches into k chunks (the paper's Eq. 1, split evenly).

Chunk 0 holds the lowest-PSNR patches (the paper's D0, the most informative), chunk k-1
the highest (Dk). Patches are ordered by PSNR with ties broken by patch id (a stable sort),
and the order is cut into k contiguous pieces whose sizes differ by at most one
(``numpy.array_split``). Thresholds are the PSNR range ``[min, max]`` of each chunk.

The PSNR partitioned by is f0's per-patch PSNR in the protocol the authors' labels were made in
(:func:`scores_of`): github coulsonlee/STDO-CVPR2023 ``script/vlog_15/pre_processX2`` runs
``trainer.py --eval_only --save_label``, which stores ``metrics['PSNR'](output, target)`` of each
eval batch, ``common.metrics.psnr`` with ``shave = scale + 4`` (``models/wdsr.py``,
``get_model_spec``), output rounded and clamped, over batches of one patch
(``datasets/vsd4k.py``: ``eval_batch_size=1``); ``VSD4K.py`` cuts those labels into quantiles.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from stdo.core import io
from stdo.core.errors import StdoError


def scores_of(scores: pd.DataFrame) -> np.ndarray:
    """The per-patch PSNR of ``scores.csv`` a partition uses: ``psnr_trainer`` (the authors'
    labels, see the module docstring), or ``psnr`` (no shave) where patches are too small for the
    trainer's shave and the score stage wrote none."""
    column = "psnr_trainer" if "psnr_trainer" in scores else "psnr"
    return scores[column].to_numpy()


def partition(psnr: np.ndarray, k: int) -> np.ndarray:
    """Chunk id in ``0..k-1`` for each patch, by ascending PSNR, in equal-size chunks."""
    psnr = np.asarray(psnr, dtype=np.float64)
    if k < 1:
        raise StdoError(f"number of chunks k must be >= 1, got {k}")
    if k > psnr.size:
        raise StdoError(f"cannot split {psnr.size} patches into {k} chunks")
    if np.isnan(psnr).any():
        raise StdoError("patch scores contain NaN; rerun the score stage")
    order = np.argsort(psnr, kind="stable")  # ties keep patch-id order
    chunks = np.empty(psnr.size, dtype=np.int64)
    for c, members in enumerate(np.array_split(order, k)):
        chunks[members] = c
    return chunks


def assign(psnr: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """Chunk ids of new patches by another partition's thresholds (its ``thresholds.csv``):
    a patch goes to the first chunk whose highest PSNR is at least its score (the last chunk
    takes everything above). This is how patches the partition never saw (held-out frames) are
    routed to STDO's chunk models."""
    psnr = np.asarray(psnr, dtype=np.float64)
    if np.isnan(psnr).any():
        raise StdoError("patch scores contain NaN; rerun the score stage")
    bounds = table.sort_values("chunk")["psnr_max"].to_numpy()[:-1]
    return np.searchsorted(bounds, psnr, side="left").astype(np.int64)


def thresholds(psnr: np.ndarray, chunks: np.ndarray, k: int) -> pd.DataFrame:
    psnr = np.asarray(psnr, dtype=np.float64)
    rows = []
    for c in range(k):
        v = psnr[chunks == c]
        empty = v.size == 0  # possible when chunks were assigned by another partition's thresholds
        rows.append(
            {
                "chunk": c,
                "patches": int(v.size),
                "psnr_min": float("nan") if empty else float(v.min()),
                "psnr_max": float("nan") if empty else float(v.max()),
                "psnr_mean": float("nan") if empty else float(v.mean()),
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo partition", description=__doc__)
    p.add_argument("--scores", required=True, type=Path, help="scores.csv from the score stage")
    p.add_argument("--k", required=True, type=int)
    p.add_argument(
        "--assign-by",
        type=Path,
        default=None,
        help="thresholds.csv of another partition: assign chunks by its thresholds instead of quantiles",
    )
    p.add_argument("--out-map", required=True, type=Path, help="chunks.npy: chunk id per patch")
    p.add_argument("--out-thresholds", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("partition"):
        scores = pd.read_csv(args.scores)
        if args.assign_by is not None:
            ref = pd.read_csv(args.assign_by)
            if len(ref) != args.k:
                raise StdoError(f"{args.assign_by}: a partition into {len(ref)} chunks, not k={args.k}")
            chunks = assign(scores_of(scores), ref)
        else:
            chunks = partition(scores_of(scores), args.k)
        io.save_array(args.out_map, chunks)
        io.write_csv(args.out_thresholds, thresholds(scores_of(scores), chunks, args.k))
        inputs = [args.scores] + ([args.assign_by] if args.assign_by else [])
        params = {"k": args.k, "assigned_by": str(args.assign_by) if args.assign_by else None}
        for out in (args.out_map, args.out_thresholds):
            io.write_sidecar(out, stage="partition", params=params, inputs=inputs)


if __name__ == "__main__":
    main()
