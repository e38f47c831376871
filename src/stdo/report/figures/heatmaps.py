"""The overview heatmaps of one video, scale and backbone: for a few frames, the per-patch PSNR
of f0 (the partition's input) and of every evaluated method, on one colour scale per frame row.
The paper's own heatmap figures (1, 3 and 6) are :mod:`stdo.report.figures.patch_psnr`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from stdo.core import io  # noqa: E402
from stdo.core.errors import StdoError  # noqa: E402
from stdo.core.metrics import pooled_psnr, psnr_to_mse  # noqa: E402
from stdo.video.patches import grid_map  # noqa: E402


def heatmaps(
    hr: np.ndarray, score_map: np.ndarray, method_maps: dict[str, np.ndarray], frames: list[int], title: str
) -> plt.Figure:
    cols = 2 + len(method_maps)
    fig, axes = plt.subplots(len(frames), cols, figsize=(2.6 * cols, 1.9 * len(frames)), squeeze=False)
    for r, f in enumerate(frames):
        maps = [score_map[f]] + [m[f] for m in method_maps.values()]
        finite = np.concatenate([m[np.isfinite(m)].ravel() for m in maps])
        vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0, 1)
        axes[r, 0].imshow(hr[f])
        axes[r, 0].set_title(f"frame {f}", fontsize=8)
        for c, (name, m) in enumerate(
            [("f0 (generic)", score_map[f]), *[(k, v[f]) for k, v in method_maps.items()]], start=1
        ):
            im = axes[r, c].imshow(m, cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest")
            # the frame's PSNR: its patches' MSEs pooled (stdo.core.metrics), not a mean of dB values
            axes[r, c].set_title(f"{name}: {pooled_psnr(psnr_to_mse(m)):.1f} dB", fontsize=8)
        fig.colorbar(im, ax=axes[r, -1], fraction=0.046, pad=0.04, label="PSNR (dB)")
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo figures", description=__doc__)
    p.add_argument("--hr", required=True, type=Path)
    p.add_argument("--scores", required=True, type=Path)
    p.add_argument("--grid", required=True, type=Path)
    p.add_argument("--maps", nargs="*", type=Path, default=[], help="psnr_map.npy of methods")
    p.add_argument("--names", nargs="*", default=[])
    p.add_argument("--frames", type=int, default=3, help="how many frames, evenly spaced")
    p.add_argument("--title", default="")
    p.add_argument("--out", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("figures"):
        if len(args.names) != len(args.maps):
            raise StdoError(f"{len(args.maps)} --maps for {len(args.names)} --names: give one name per map")
        hr = io.open_array(args.hr)
        grid = json.loads(args.grid.read_text())
        score_map = grid_map(pd.read_csv(args.scores)["psnr"].to_numpy(), grid["cols"], grid["rows"])
        maps = {n: np.asarray(io.open_array(m)) for n, m in zip(args.names, args.maps, strict=True)}
        frames = np.linspace(0, len(hr) - 1, args.frames).round().astype(int).tolist()
        fig = heatmaps(hr, score_map, maps, frames, args.title)
        with io.atomic_path(args.out) as tmp:
            fig.savefig(tmp, format=args.out.suffix.lstrip(".") or "png", dpi=110)
        plt.close(fig)
        io.write_sidecar(
            args.out,
            stage="figures",
            params={"frames": frames, "names": args.names},
            inputs=[args.scores, *args.maps],
        )


if __name__ == "__main__":
    main()
