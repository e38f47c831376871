"""The paper's per-patch PSNR heatmaps, each on one colour scale shared by all its panels.

* Figure 1: two frames and their per-patch PSNR under the generic model f0 (the scores the
  partition is made from): PSNR follows content, with a clear boundary.
* Figure 3: one frame super-resolved by CaFM, STDO (its best k) and JSTDO.
* Figure 6: one frame super-resolved by JSTDO trained with different sampling proportions
  (more or less of D0, the schedule ablation of Figure 7b).

Each cell of a heatmap is one patch of the grid, its value the PSNR (dB, :mod:`stdo.core.metrics`)
of that patch's super-resolved pixels; a panel's title gives the frame's PSNR, the patches'
MSEs pooled. Small grids get the value written in each cell. The CSV beside each figure holds
every plotted value: ``panel, frame, row, col, psnr_db``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from stdo import methods
from stdo.core import cliargs, io
from stdo.core.errors import StdoError
from stdo.core.metrics import pooled_psnr, psnr_to_mse
from stdo.report.figures import common
from stdo.report.figures.common import plt
from stdo.video.patches import grid_map

ANNOTATE_MAX_CELLS = 60  # write each patch's value in its cell up to this many cells per panel


def frame_psnr(pmap: np.ndarray) -> float:
    """PSNR of a frame from its per-patch PSNR map (equal-size patches: MSEs pooled)."""
    return pooled_psnr(psnr_to_mse(np.asarray(pmap, dtype=float)).ravel())


def heatmap_figure(
    rows: list[tuple[np.ndarray, str, dict[str, np.ndarray]]], title: str
) -> tuple[plt.Figure, pd.DataFrame]:
    """Rows of ``(frame image, its label, {panel title: per-patch PSNR map [rows, cols]})``: the
    frame, then its heatmaps, all on one colour scale with one colour bar (dB). Returns the
    figure and the plotted values (``panel, row_label, row, col, psnr_db``)."""
    if not rows or not any(panels for _, _, panels in rows):
        raise StdoError("no heatmaps to plot")
    ncols = 1 + max(len(p) for _, _, p in rows)
    vmin, vmax = common.finite_range([m for _, _, panels in rows for m in panels.values()])
    frame_h, frame_w = rows[0][0].shape[:2]
    width = 2.8 * ncols + 1.0  # + the colour bar
    height = len(rows) * (2.5 * frame_h / frame_w + 0.55) + 0.5
    fig, axes = plt.subplots(len(rows), ncols, figsize=(width, height), squeeze=False, layout="constrained")
    records = []
    image = None
    for r, (frame, label, panels) in enumerate(rows):
        axes[r, 0].imshow(frame)
        axes[r, 0].set_title(label, fontsize=9)
        for c, (name, pmap) in enumerate(panels.items(), start=1):
            pmap = np.asarray(pmap, dtype=float)
            ax = axes[r, c]
            image = ax.imshow(pmap, cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest")
            ax.set_title(f"{name}\nframe PSNR {frame_psnr(pmap):.2f} dB", fontsize=9)
            if pmap.size <= ANNOTATE_MAX_CELLS:
                for (i, j), v in np.ndenumerate(pmap):
                    text = "inf" if not np.isfinite(v) else f"{v:.1f}"
                    shade = "black" if np.isfinite(v) and v > (vmin + vmax) / 2 else "white"
                    ax.text(j, i, text, ha="center", va="center", fontsize=7, color=shade)
            for (i, j), v in np.ndenumerate(pmap):
                records.append({"panel": name, "row_label": label, "row": i, "col": j, "psnr_db": v})
        for c in range(1 + len(panels), ncols):
            axes[r, c].axis("off")
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    assert image is not None  # every figure has at least one panel
    fig.colorbar(image, ax=axes[:, 1:].ravel().tolist(), shrink=0.9, label="patch PSNR (dB)")
    fig.suptitle(title, fontsize=10)
    return fig, pd.DataFrame(records)


def figure1(hr: np.ndarray, score_map: np.ndarray, frames: list[int], *, title: str, f0_name: str):
    """Figure 1: each of ``frames`` beside f0's per-patch PSNR map (``score_map [T, rows, cols]``)."""
    rows = [(hr[f], f"frame {f}", {f"{f0_name}, frame {f}": score_map[f]}) for f in frames]
    fig, data = heatmap_figure(rows, title)
    data.insert(0, "frame", [int(lab.split()[-1]) for lab in data["row_label"]])
    return fig, data.drop(columns="row_label")


def figure_methods(hr_frame: np.ndarray, frame: int, maps: dict[str, np.ndarray], *, title: str):
    """Figures 3 and 6: one frame and the per-patch PSNR maps ``[rows, cols]`` of several models."""
    fig, data = heatmap_figure([(hr_frame, f"frame {frame} (HR)", maps)], title)
    data.insert(0, "frame", frame)
    return fig, data.drop(columns="row_label")


def _load_maps(paths: list[Path], frame: int) -> dict[str, np.ndarray]:
    """``{method id: its map at frame}`` from ``eval/<method>/psnr_map.npy`` files."""
    return {p.parent.name: np.asarray(io.open_array(p))[frame] for p in paths}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo figures.patch_psnr", description=__doc__)
    p.add_argument("--figure", required=True, choices=["1", "3", "6"])
    p.add_argument("--hr", required=True, type=Path, help="hr.npy of the video the maps are of")
    p.add_argument("--scores", type=Path, help="Figure 1: scores.csv (f0's per-patch PSNR)")
    p.add_argument("--grid", type=Path, help="Figure 1: the patch grid.json")
    p.add_argument(
        "--maps", nargs="*", type=Path, default=[], help="Figures 3, 6: eval/<method>/psnr_map.npy"
    )
    p.add_argument("--metrics", nargs="*", type=Path, default=[], help="Figure 3: the cell's metrics.json")
    cliargs.add_stdo_k(p)
    p.add_argument("--proportions", type=json.loads, default=None, help="Figure 6: the schedules, JSON")
    p.add_argument("--positions", type=cliargs.float_list, required=True)
    p.add_argument("--video", required=True)
    p.add_argument("--scale", required=True, type=int)
    p.add_argument("--backbone", required=True)
    p.add_argument("--out-png", required=True, type=Path)
    p.add_argument("--out-pdf", required=True, type=Path)
    p.add_argument("--out-data", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("figures"):
        hr = io.open_array(args.hr)
        frames = common.frames_at(args.positions, len(hr))
        cell = common.cell_title(args.video, args.scale, args.backbone)
        inputs: list[Path] = [args.hr]
        if args.figure == "1":
            if args.scores is None or args.grid is None:
                raise StdoError("Figure 1 needs --scores and --grid")
            grid = json.loads(args.grid.read_text())
            score_map = grid_map(pd.read_csv(args.scores)["psnr"].to_numpy(), grid["cols"], grid["rows"])
            fig, data = figure1(
                hr,
                score_map,
                frames,
                title=f"Figure 1. {cell}: per-patch PSNR under the generic model f0",
                f0_name="f0",
            )
            inputs += [args.scores, args.grid]
        elif args.figure == "3":
            frame = frames[0]
            metrics = pd.DataFrame() if not args.metrics else _metrics(args.metrics, args.stdo_k)
            picked = common.paper_methods(metrics, common.FIGURE3_METHODS)
            if not picked:
                raise StdoError("Figure 3 needs CaFM, STDO or JSTDO metrics of the cell; none given")
            by_id = {m.parent.name: m for m in args.maps}
            missing = [r["method"] for r in picked.values() if r["method"] not in by_id]
            if missing:
                raise StdoError(f"Figure 3: no psnr_map.npy given for {missing}")
            maps = {
                r["display"]: np.asarray(io.open_array(by_id[r["method"]]))[frame] for r in picked.values()
            }
            fig, data = figure_methods(
                hr[frame], frame, maps, title=f"Figure 3. {cell}: per-patch PSNR, frame {frame}"
            )
            inputs += [by_id[r["method"]] for r in picked.values()]
        else:
            frame = frames[0]
            if args.proportions is None:
                raise StdoError("Figure 6 needs --proportions (the schedule ablation's)")
            maps = {}
            for path in sorted(args.maps, key=lambda m: methods.parse_method(m.parent.name)["schedule"] or 0):
                i = methods.parse_method(path.parent.name)["schedule"]
                if i is None or i >= len(args.proportions):
                    raise StdoError(f"Figure 6: {path.parent.name} is not one of the schedules' JSTDO models")
                rho = " ".join(f"{x:g}" for x in args.proportions[i])
                maps[f"JSTDO ρ = ({rho})"] = np.asarray(io.open_array(path))[frame]
            fig, data = figure_methods(
                hr[frame],
                frame,
                maps,
                title=f"Figure 6. {cell}: JSTDO with less or more of D0, frame {frame}",
            )
            inputs += list(args.maps)
        params = {"figure": args.figure, "frames": frames, "positions": args.positions}
        common.save(fig, args.out_png, args.out_pdf, params=params, inputs=inputs)
        common.write_data(data, args.out_data, params=params, inputs=inputs)


def _metrics(paths: list[Path], stdo_k: list[int] | None) -> pd.DataFrame:
    from stdo.report import tables

    return tables.load_metrics(paths, stdo_k)


if __name__ == "__main__":
    main()
