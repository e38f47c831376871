"""Helpers of the figure tests (imported as ``support.figures``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stdo.core import io
from stdo.video.patches import index_table


def write_score_files(
    tmp_path: Path, hr: np.ndarray, cols: int, rows: int, scale: int, psnr_range=(20, 30)
) -> tuple[dict[str, Path], pd.DataFrame]:
    """hr.npy, scores.csv (seeded per-patch PSNR in ``psnr_range``) and grid.json, as the
    workflow writes them; returns their paths and the scores table."""
    frames = len(hr)
    table = index_table(frames, cols, rows)
    table["psnr"] = np.random.default_rng(1).uniform(*psnr_range, len(table))
    paths = {"hr": tmp_path / "hr.npy", "scores": tmp_path / "scores.csv", "grid": tmp_path / "grid.json"}
    io.save_array(paths["hr"], hr)
    table.to_csv(paths["scores"], index=False)
    io.write_json(paths["grid"], {"scale": scale, "cols": cols, "rows": rows, "frames": frames})
    return paths, table
