"""Where STDO wins or loses against awDNN: each PSNR chunk's specialised model against the one
general model on that chunk's own patches, from a finished run's evaluations.

    python benchmarks/chunk_gap.py --run . --video demo --scale 2 --backbone wdsr [--k 2,4]

For every k: the chunk sizes, f0's PSNR on each chunk (how hard its patches are), awDNN's and
STDO's PSNR on the chunk's patches (pooled over them, our convention, from the evaluate stage's
per-patch maps ``psnr_map.npy``: patch ids in ``index.csv`` order) and the difference. STDO beats
awDNN on the whole video only if its chunk models, each trained on its chunk with 1/k of the
optimiser steps (equal compute), beat the general model on enough of the chunks: this prints
which chunks pay and which cost. Reads files only; trains nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from stdo.core.metrics import mse_to_psnr, pooled_psnr


def per_patch_mse(psnr_map: np.ndarray) -> np.ndarray:
    """Per-patch MSE (id order) from a ``[frames, rows, cols]`` PSNR map (0..255 scale)."""
    return 255.0**2 / 10 ** (np.asarray(psnr_map, dtype=np.float64).reshape(-1) / 10)


def chunk_gap(scaled: Path, backbone: str, k: int) -> pd.DataFrame:
    """One row per chunk: patches, f0, awDNN and STDO PSNR on the chunk, STDO - awDNN."""
    chunks = np.load(scaled / "partition" / f"k{k}" / "chunks.npy")
    scores = pd.read_csv(scaled / "scores.csv").sort_values("patch")
    aw = per_patch_mse(np.load(scaled / backbone / "eval" / "awdnn" / "psnr_map.npy"))
    st = per_patch_mse(np.load(scaled / backbone / "eval" / f"stdo-k{k}" / "psnr_map.npy"))
    if not (len(chunks) == len(scores) == aw.size == st.size):
        raise SystemExit(f"{scaled}: partition, scores and maps disagree on the number of patches")
    rows = []
    for c in [*range(k), None]:
        sel = np.ones(len(chunks), bool) if c is None else chunks == c
        rows.append(
            {
                "k": k,
                "chunk": "all" if c is None else f"D{c}",
                "patches": int(sel.sum()),
                "f0_db": pooled_psnr(scores["mse"].to_numpy()[sel]),
                "awdnn_db": pooled_psnr(aw[sel]),
                "stdo_db": pooled_psnr(st[sel]),
            }
        )
    out = pd.DataFrame(rows)
    out["stdo_minus_awdnn_db"] = out["stdo_db"] - out["awdnn_db"]
    # each chunk's share of the whole video's MSE difference (positive: the chunk costs STDO)
    diff = [float(np.sum(st[chunks == c] - aw[chunks == c])) for c in range(k)]
    total = float(np.sum(st - aw)) or 1.0
    out["share_of_mse_gap"] = [*(d / total for d in diff), 1.0]
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", type=Path, default=Path("."), help="the directory holding results/")
    p.add_argument("--video", default="demo")
    p.add_argument("--scale", type=int, default=2)
    p.add_argument("--backbone", default="wdsr")
    p.add_argument("--k", default="", help="comma list (default: every k evaluated)")
    args = p.parse_args(argv)
    scaled = args.run / "results" / "videos" / args.video / f"x{args.scale}"
    ks = [int(k) for k in args.k.split(",") if k] or sorted(
        int(d.name[len("stdo-k") :])
        for d in (scaled / args.backbone / "eval").glob("stdo-k*")
        if d.name[len("stdo-k") :].isdigit()
    )
    table = pd.concat([chunk_gap(scaled, args.backbone, k) for k in ks], ignore_index=True)
    print(f"{args.video} x{args.scale} {args.backbone}: PSNR (dB) on each chunk's patches, our convention")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    f0 = mse_to_psnr(pd.read_csv(scaled / "scores.csv")["mse"].mean())
    print(f"f0 on the whole video: {f0:.2f} dB")


if __name__ == "__main__":
    main()
