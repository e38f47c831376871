"""Figure 4: qualitative crops of one frame: HR, bicubic, awDNN, NAS, CaFM, STDO and JSTDO.

The frame is super-resolved as the client does (:meth:`stdo.sr.routed.RoutedSR.frames`: every
patch through the model its method routes it to, quantised to uint8, stitched), so each
method's frame PSNR equals what the evaluation measured on that frame. The crop is placed
where the methods differ most (:func:`choose_crop`): among all windows of the crop's size (a
third of the frame's height and width, on a stride of a quarter window), the one where the
spread of the methods' PSNRs (best minus worst) is largest; bicubic does not take part. Each
panel is captioned with the crop's PSNR and the frame's. The CSV holds, per panel, the crop
box, the crop's PSNR and the frame's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from stdo.core import cliargs, io, runtime
from stdo.core.errors import StdoError
from stdo.core.imaging import upscale_bicubic
from stdo.core.metrics import mse_to_psnr, quantize
from stdo.report import tables
from stdo.report.figures import common
from stdo.report.figures.common import plt
from stdo.sr import evaluate
from stdo.video.patches import stitch


def _window_sums(
    x: np.ndarray, h: int, w: int, stride_y: int, stride_x: int
) -> tuple[np.ndarray, list, list]:
    """Sums of ``x [H, W]`` over every ``h x w`` window on the stride, via an integral image."""
    ii = np.pad(x.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    ys = list(range(0, x.shape[0] - h + 1, stride_y))
    xs = list(range(0, x.shape[1] - w + 1, stride_x))
    if ys[-1] != x.shape[0] - h:
        ys.append(x.shape[0] - h)
    if xs[-1] != x.shape[1] - w:
        xs.append(x.shape[1] - w)
    y0, x0 = np.array(ys)[:, None], np.array(xs)[None, :]
    sums = ii[y0 + h, x0 + w] - ii[y0, x0 + w] - ii[y0 + h, x0] + ii[y0, x0]
    return sums, ys, xs


def choose_crop(
    hr: np.ndarray, srs: dict[str, np.ndarray], size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """``(y, x, h, w)`` of the ``size`` window of ``hr [H, W, 3]`` where the methods' PSNRs
    (``srs``: name to ``[H, W, 3]``) spread most (max minus min); ties: the first in raster
    order. One method, or identical methods: the window where it is worst."""
    if not srs:
        raise StdoError("choose_crop needs at least one super-resolved frame")
    h, w = min(size[0], hr.shape[0]), min(size[1], hr.shape[1])
    stride_y, stride_x = max(1, h // 4), max(1, w // 4)
    ref = hr.astype(np.float64)
    psnrs = []
    for sr in srs.values():
        if sr.shape != hr.shape:
            raise StdoError(f"a super-resolved frame of shape {sr.shape} for an HR frame of {hr.shape}")
        err = ((sr.astype(np.float64) - ref) ** 2).mean(axis=2)
        sums, ys, xs = _window_sums(err, h, w, stride_y, stride_x)
        psnrs.append(mse_to_psnr(np.maximum(sums / (h * w), 1e-12)))
    stack = np.stack(psnrs)
    score = stack.max(0) - stack.min(0) if len(psnrs) > 1 else -stack[0]
    i, j = np.unravel_index(int(np.argmax(score)), score.shape)
    return ys[i], xs[j], h, w


def crop_psnr(sr: np.ndarray, hr: np.ndarray, box: tuple[int, int, int, int] | None = None) -> float:
    """PSNR (dB, :mod:`stdo.core.metrics`: 0..255, no shave) of ``sr`` against ``hr`` in ``box``."""
    if box is not None:
        y, x, h, w = box
        sr, hr = sr[y : y + h, x : x + w], hr[y : y + h, x : x + w]
    mse = float(((sr.astype(np.float64) - hr.astype(np.float64)) ** 2).mean())
    return float(mse_to_psnr(mse)) if mse > 0 else float("inf")


def bicubic_frame(lr_patches: np.ndarray, cols: int, rows: int, scale: int) -> np.ndarray:
    """Plain bicubic upscaling of one frame's LR patches ``[rows*cols, h, w, 3]`` (uint8), patch
    by patch and stitched, as the references of the score stage (and the tables' bicubic rows)
    are made, so it compares with the methods on the same footing; uint8 ``[H, W, 3]``."""
    x = torch.from_numpy(np.ascontiguousarray(lr_patches)).permute(0, 3, 1, 2).float()
    up = quantize(upscale_bicubic(x, scale)).permute(0, 2, 3, 1).to(torch.uint8).numpy()
    return stitch(up, cols, rows)[0]


def figure4(
    hr: np.ndarray, panels: dict[str, np.ndarray], box: tuple[int, int, int, int], *, title: str
) -> tuple[plt.Figure, pd.DataFrame]:
    """The HR frame with the crop marked, then the crop of HR and of every panel (bicubic and
    the methods), captioned with the crop's PSNR and the frame's."""
    y, x, h, w = box
    shown = {"HR": hr, **panels}
    n = 1 + len(shown)
    ncols = min(4, n)
    nrows = -(-n // ncols)
    aspect = max(h / w, hr.shape[0] / hr.shape[1])
    fig, grid = plt.subplots(
        nrows,
        ncols,
        figsize=(3.0 * ncols, nrows * (3.0 * aspect + 0.6) + 0.4),
        layout="constrained",
        squeeze=False,
    )
    axes = grid.ravel()
    for ax in axes[n:]:
        ax.axis("off")
    axes[0].imshow(hr)
    axes[0].add_patch(plt.Rectangle((x - 0.5, y - 0.5), w, h, fill=False, edgecolor="red", linewidth=1.5))
    axes[0].set_title("HR frame, crop in red", fontsize=8)
    rows = []
    for ax, (name, img) in zip(axes[1:n], shown.items(), strict=True):
        ax.imshow(img[y : y + h, x : x + w], interpolation="nearest")
        if name == "HR":
            ax.set_title("HR (reference)", fontsize=8)
        else:
            c, f = crop_psnr(img, hr, box), crop_psnr(img, hr)
            ax.set_title(f"{name}\ncrop {c:.2f} dB (frame {f:.2f})", fontsize=8)
            rows.append(
                {"panel": name, "crop_psnr_db": c, "frame_psnr_db": f, "y": y, "x": x, "h": h, "w": w}
            )
    for ax in axes[:n]:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    return fig, pd.DataFrame(rows)


def render_methods(
    patches: Path,
    picked: dict[str, dict],
    models: dict[str, Path],
    partitions: dict[int, Path],
    frames: list[int],
    *,
    batch_size: int,
    device: str,
) -> dict[str, np.ndarray]:
    """``{display name: SR frames [len(frames), H, W, 3]}`` for the picked methods of a cell."""
    dev = runtime.resolve_device(device)
    lr = io.open_array(patches / "lr.npy")
    out = {}
    for row in picked.values():
        paths, partition = common.method_files(row["method"], models, partitions)
        routed = evaluate.load_routed(
            patches, row["method"], paths, partition=partition, device=dev, batch_size=batch_size
        )
        out[row["display"]] = routed.sr.frames(lr, frames)
    return out


def frame_pair(patches: Path, frame: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """One frame's LR patches ``[rows*cols, h, w, 3]``, its HR frame (stitched) and the grid."""
    grid = json.loads((patches / "grid.json").read_text())
    per = grid["cols"] * grid["rows"]
    ids = slice(frame * per, (frame + 1) * per)
    hr = stitch(np.asarray(io.open_array(patches / "hr.npy")[ids]), grid["cols"], grid["rows"])[0]
    return np.asarray(io.open_array(patches / "lr.npy")[ids]), hr, grid


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo figures.crops", description=__doc__)
    p.add_argument("--patches", required=True, type=Path, help="patch folder of the evaluated video")
    p.add_argument("--metrics", required=True, nargs="+", type=Path, help="the cell's metrics.json")
    p.add_argument("--models", required=True, nargs="+", type=Path, help="the cell's units' model.pt")
    p.add_argument("--partitions", nargs="*", type=Path, default=[], help="chunks.npy of routed STDO k")
    cliargs.add_stdo_k(p)
    p.add_argument("--positions", type=cliargs.float_list, required=True)
    p.add_argument("--video", required=True)
    p.add_argument("--backbone", required=True)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="auto")
    p.add_argument("--out-png", required=True, type=Path)
    p.add_argument("--out-pdf", required=True, type=Path)
    p.add_argument("--out-data", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("figures"):
        runtime.set_threads(1)
        picked = common.paper_methods(tables.load_metrics(args.metrics, args.stdo_k), common.FIGURE4_METHODS)
        if not picked:
            raise StdoError("Figure 4 needs metrics of awDNN, NAS, CaFM, STDO or JSTDO; none given")
        grid = json.loads((args.patches / "grid.json").read_text())
        frame = common.frames_at(args.positions, grid["frames"])[0]
        lr, hr, grid = frame_pair(args.patches, frame)
        srs = render_methods(
            args.patches,
            picked,
            common.models_by_unit(args.models),
            common.partitions_by_k(args.partitions),
            [frame],
            batch_size=args.batch_size,
            device=args.device,
        )
        srs = {name: frames[0] for name, frames in srs.items()}
        box = choose_crop(hr, srs, (hr.shape[0] // 3, hr.shape[1] // 3))
        panels = {"bicubic": bicubic_frame(lr, grid["cols"], grid["rows"], grid["scale"]), **srs}
        title = f"Figure 4. {common.cell_title(args.video, grid['scale'], args.backbone)}: frame {frame}"
        fig, data = figure4(hr, panels, box, title=title)
        data.insert(0, "frame", frame)
        data["method"] = (
            data["panel"].map({r["display"]: r["method"] for r in picked.values()}).fillna("bicubic")
        )
        params = {"frame": frame, "box": list(box), "methods": [r["method"] for r in picked.values()]}
        inputs = [args.patches / "index.csv", *args.metrics]
        common.save(fig, args.out_png, args.out_pdf, params=params, inputs=inputs)
        common.write_data(data, args.out_data, params=params, inputs=inputs)
        print(data.to_string(index=False))


if __name__ == "__main__":
    main()
