"""Helpers of the figure modules: frame choice, the paper's methods of a cell, saving.

A figure is written as PNG and PDF (:func:`save`) with the data it plots as CSV
(:func:`write_data`); each file gets a provenance sidecar.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from stdo import methods
from stdo.core import io
from stdo.core.errors import StdoError  # noqa: E402
from stdo.report import paper, tables  # noqa: E402

# the methods of Figures 3 and 4, in the paper's order
FIGURE3_METHODS = ("CaFM", "STDO", "JSTDO")
FIGURE4_METHODS = ("awDNN", "NAS", "CaFM", "STDO", "JSTDO")


def frames_at(positions: Sequence[float], n_frames: int) -> list[int]:
    """Frame indices at ``positions`` (fractions 0..1 of the video's length) of ``n_frames``."""
    if n_frames < 1:
        raise StdoError("the video has no frames")
    bad = [p for p in positions if not 0 <= p <= 1]
    if bad:
        raise StdoError(f"figures.positions {bad}: give fractions of the video's length, 0 to 1")
    return [min(n_frames - 1, int(round(p * (n_frames - 1)))) for p in positions]


def paper_methods(metrics: pd.DataFrame, labels: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The evaluated method standing for each paper label of one cell, in ``labels``' order:
    STDO at its best k (as Table 2), JSTDO at the config's k (not the schedule ablation's
    variants), the others as evaluated. Labels the cell has no metrics for are left out.
    Returns ``{label: metrics row as a dict}``; the row's ``display`` names the method with its k."""
    if metrics.empty:
        return {}
    best = tables.best_stdo(metrics)
    out: dict[str, dict[str, Any]] = {}
    for label in labels:
        rows = metrics[metrics["paper_method"] == label]
        if label == "STDO":
            ks = set(best["best_k"].dropna().astype(int))
            rows = rows[rows["k"].isin(ks)] if ks else rows.iloc[0:0]
        else:
            rows = (
                rows[[methods.parse_method(m)["schedule"] is None for m in rows["method"]]]
                if len(rows)
                else rows
            )
        if len(rows) == 0:
            continue
        row = rows.sort_values("psnr", ascending=False).iloc[0].to_dict()
        k = row.get("k")
        row["display"] = f"{label} (k={int(k)})" if label in ("STDO", "JSTDO") and pd.notna(k) else label
        out[label] = row
    return out


def cell_title(video: str, scale: int, backbone: str | None = None) -> str:
    """``video xS Backbone``: what every figure's title starts with."""
    name = f" {paper.backbone_name(backbone)}" if backbone else ""
    return f"{video} x{scale}{name}"


def finite_range(maps: Sequence[np.ndarray]) -> tuple[float, float]:
    """The colour scale shared by ``maps``: min and max of their finite values (a perfect patch,
    infinite PSNR, does not stretch it)."""
    finite = np.concatenate(
        [np.asarray(m, dtype=float)[np.isfinite(m)].ravel() for m in maps] or [np.empty(0)]
    )
    if not finite.size:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def save(fig: plt.Figure, png: Path, pdf: Path | None, *, params: dict, inputs: Sequence[Path]) -> None:
    """Write ``fig`` as PNG (and PDF) atomically, each with a sidecar, and close it."""
    for path, fmt in ((png, "png"), (pdf, "pdf")):
        if path is None:
            continue
        with io.atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=120, bbox_inches="tight")
        io.write_sidecar(path, stage="figures", params=params, inputs=list(inputs))
    plt.close(fig)


def write_data(df: pd.DataFrame, path: Path, *, params: dict, inputs: Sequence[Path]) -> None:
    """The data a figure plots, as CSV with a sidecar."""
    io.write_csv(path, df)
    io.write_sidecar(path, stage="figures", params=params, inputs=list(inputs))


def models_by_unit(paths: Sequence[Path]) -> dict[str, Path]:
    """``{unit: model.pt}`` from the units' model files (``.../units/<unit>/model.pt``)."""
    return {Path(p).parent.name: Path(p) for p in paths}


def partitions_by_k(paths: Sequence[Path]) -> dict[int, Path]:
    """``{k: chunks.npy}`` from partition files (``.../partition/k<k>/chunks.npy``)."""
    return {int(Path(p).parent.name.removeprefix("k")): Path(p) for p in paths}


def method_files(
    method: str, models: dict[str, Path], partitions: dict[int, Path]
) -> tuple[list[Path], Path | None]:
    """The model files and the partition (or None) one method needs, from the cell's files."""
    units = methods.method_units(method)
    missing = [u for u in units if u not in models]
    if missing:
        raise StdoError(f"method {method!r}: no model given for units {missing}")
    k = methods.method_partition_k(method)
    if k and k not in partitions:
        raise StdoError(f"method {method!r}: no partition given for k={k}")
    return [models[u] for u in units], (partitions[k] if k else None)
