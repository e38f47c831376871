"""Patch grid: cut LR and HR frames into a fixed grid of non-overlapping patches.

A patch is addressed by ``(frame, row, col)``; its linear id is
``(frame * rows + row) * cols + col``. Patches are stored patch-major in memory-mapped
``.npy`` arrays (``lr.npy`` ``[N, h, w, 3]`` and ``hr.npy`` ``[N, s*h, s*w, 3]``) with an
index table ``index.csv`` (``patch, frame, row, col``): never one image file per patch.
The grid is given as ``cols x rows`` (the paper's 20x10 at x2 on 1080p means 20 columns
and 10 rows of 48x54 LR patches).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from stdo.core import io
from stdo.core.errors import StdoError
from stdo.core.progress import bar as progress_bar


def check_grid(height: int, width: int, cols: int, rows: int, what: str = "LR frame") -> tuple[int, int]:
    """Return the patch size ``(h, w)``; raise if the frame does not tile into the grid."""
    if cols < 1 or rows < 1:
        raise StdoError(f"patch grid must be at least 1x1, got {cols}x{rows} (cols x rows)")
    if height % rows or width % cols:
        raise StdoError(
            f"{what} size {width}x{height} does not divide into a grid of {cols}x{rows} "
            f"(cols x rows): width must be a multiple of {cols} and height of {rows}. "
            "Change patch_grid for this scale, crop the video (videos.<name>.crop), or set "
            "videos.<name>.fit: crop to centre-crop it to the nearest size that fits"
        )
    return height // rows, width // cols


def split(frames: np.ndarray, cols: int, rows: int) -> np.ndarray:
    """``[T, H, W, C]`` frames to ``[T*rows*cols, H/rows, W/cols, C]`` patches in id order."""
    t, h, w, c = frames.shape
    ph, pw = check_grid(h, w, cols, rows)
    x = frames.reshape(t, rows, ph, cols, pw, c).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(t * rows * cols, ph, pw, c)


def stitch(patches: np.ndarray, cols: int, rows: int) -> np.ndarray:
    """Inverse of :func:`split`: ``[T*rows*cols, h, w, C]`` back to ``[T, rows*h, cols*w, C]``."""
    n, ph, pw, c = patches.shape
    if n % (rows * cols):
        raise StdoError(f"{n} patches do not fill whole frames of a {cols}x{rows} grid")
    t = n // (rows * cols)
    x = patches.reshape(t, rows, cols, ph, pw, c).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(t, rows * ph, cols * pw, c)


def index_table(frames: int, cols: int, rows: int) -> pd.DataFrame:
    """The patch index: one row per patch id with its frame, row and column."""
    ids = np.arange(frames * rows * cols)
    return pd.DataFrame(
        {
            "patch": ids,
            "frame": ids // (rows * cols),
            "row": (ids // cols) % rows,
            "col": ids % cols,
        }
    )


def grid_map(values: np.ndarray, cols: int, rows: int) -> np.ndarray:
    """Per-patch values ``[N]`` in id order as a ``[T, rows, cols]`` map (for heatmaps)."""
    return np.asarray(values).reshape(-1, rows, cols)


def write_patches(
    lr: np.ndarray, hr: np.ndarray, scale: int, cols: int, rows: int, outdir: Path, batch: int = 32
) -> pd.DataFrame:
    """Split (memory-mapped) LR and HR frame arrays into patch arrays under ``outdir``."""
    t, h, w, c = lr.shape
    if hr.shape[0] != t or hr.shape[1] != h * scale or hr.shape[2] != w * scale:
        raise StdoError(f"HR frames {hr.shape} do not match LR frames {lr.shape} at x{scale}")
    ph, pw = check_grid(h, w, cols, rows)
    per = rows * cols
    lr_hash, hr_hash = hashlib.sha256(), hashlib.sha256()  # content hashes, for training's resume check
    outdir.mkdir(parents=True, exist_ok=True)
    with (
        io.array_writer(outdir / "lr.npy", (t * per, ph, pw, c), np.uint8) as lr_out,
        io.array_writer(outdir / "hr.npy", (t * per, ph * scale, pw * scale, c), np.uint8) as hr_out,
    ):
        for i in progress_bar(iterable=range(0, t, batch), desc=f"patches x{scale}", unit="batch"):
            j = min(i + batch, t)
            lr_part = np.ascontiguousarray(split(np.asarray(lr[i:j]), cols, rows))
            hr_part = np.ascontiguousarray(split(np.asarray(hr[i:j]), cols, rows))
            lr_out[i * per : j * per] = lr_part
            hr_out[i * per : j * per] = hr_part
            lr_hash.update(lr_part.tobytes())
            hr_hash.update(hr_part.tobytes())
    table = index_table(t, cols, rows)
    io.write_csv(outdir / "index.csv", table)
    io.write_json(
        outdir / "grid.json",
        {
            "scale": scale,
            "cols": cols,
            "rows": rows,
            "frames": t,
            "lr_patch": [ph, pw],
            "hr_patch": [ph * scale, pw * scale],
            "lr_sha256": lr_hash.hexdigest(),
            "hr_sha256": hr_hash.hexdigest(),
        },
    )
    return table


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo patches", description=__doc__)
    p.add_argument("--lr", required=True, type=Path)
    p.add_argument("--hr", required=True, type=Path)
    p.add_argument("--scale", required=True, type=int)
    p.add_argument("--cols", required=True, type=int)
    p.add_argument("--rows", required=True, type=int)
    p.add_argument("--outdir", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("patches"):
        write_patches(
            io.open_array(args.lr), io.open_array(args.hr), args.scale, args.cols, args.rows, args.outdir
        )
        for name in ("lr.npy", "hr.npy", "grid.json", "index.csv"):  # every output has its sidecar
            io.write_sidecar(
                args.outdir / name,
                stage="patches",
                params={"scale": args.scale, "cols": args.cols, "rows": args.rows},
                inputs=[args.lr, args.hr],
            )


if __name__ == "__main__":
    main()
