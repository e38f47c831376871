"""A side-by-side clip: bicubic upscaling (left) beside the best method of a cell (right).

The best method is the paper method (awDNN, NAS, CaFM, STDO at its best k, JSTDO) with the
highest PSNR over the whole video. Its frames are super-resolved as the client does
(:meth:`stdo.sr.routed.RoutedSR.frames`), bicubic as the references are; a caption bar above each
half names it with its PSNR over the clip's frames. Written as H.264 (libx264, CRF 18, yuv420p)
with PyAV at the video's frame rate; the CSV beside it gives each half's PSNR over the clip.
"""

from __future__ import annotations

import argparse
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from stdo.core import cliargs, io, runtime
from stdo.core.errors import StdoError
from stdo.core.metrics import mse_to_psnr
from stdo.core.progress import bar as progress_bar
from stdo.report import tables
from stdo.report.figures import common
from stdo.report.figures.common import plt
from stdo.report.figures.crops import bicubic_frame
from stdo.sr import evaluate
from stdo.video import codec
from stdo.video.patches import stitch

BAR = 18  # caption bar height, pixels
GAP = 4  # pixels between the halves


def caption(text: str, width: int, height: int = BAR) -> np.ndarray:
    """``text`` rendered white on black as a uint8 ``[height, width, 3]`` image (matplotlib)."""
    dpi = 100
    fig = plt.figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="black")
    fig.text(0.01, 0.5, text, color="white", va="center", ha="left", fontsize=max(5, height * 0.45))
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()  # type: ignore[attr-defined]  # Agg
    plt.close(fig)
    return img[:height, :width]


def side_by_side(
    left: np.ndarray, right: np.ndarray, left_bar: np.ndarray, right_bar: np.ndarray
) -> np.ndarray:
    """Two ``[H, W, 3]`` frames with their caption bars, a gap between, padded to even sides
    (H.264 in yuv420p needs them)."""
    h, w, _ = left.shape
    out_h, out_w = h + BAR, 2 * w + GAP
    out = np.zeros((out_h + out_h % 2, out_w + out_w % 2, 3), dtype=np.uint8)
    out[:BAR, :w], out[:BAR, w + GAP : 2 * w + GAP] = left_bar, right_bar
    out[BAR : BAR + h, :w], out[BAR : BAR + h, w + GAP : 2 * w + GAP] = left, right
    return out


def write_mp4(frames, path: Path, fps: Fraction | float, *, crf: int = 18) -> int:
    """Encode an iterable of equal-size uint8 ``[H, W, 3]`` frames as H.264 at ``fps`` (to within
    1/1001; :func:`stdo.video.codec.write_mp4`); returns the number of frames written."""
    return codec.write_mp4(frames, path, Fraction(fps).limit_denominator(1001), crf=crf)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo figures.clip", description=__doc__)
    p.add_argument("--patches", required=True, type=Path, help="patch folder of the evaluated video")
    p.add_argument("--meta", required=True, type=Path, help="the video's meta.json (its frame rate)")
    p.add_argument("--reference", required=True, type=Path, help="score_summary.json (bicubic's PSNR)")
    p.add_argument("--metrics", required=True, nargs="+", type=Path, help="the cell's metrics.json")
    p.add_argument("--models", required=True, nargs="+", type=Path)
    p.add_argument("--partitions", nargs="*", type=Path, default=[])
    cliargs.add_stdo_k(p)
    p.add_argument("--seconds", type=float, default=None, help="length of the clip; all frames if not given")
    p.add_argument("--video", required=True)
    p.add_argument("--backbone", required=True)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="auto")
    p.add_argument("--out", required=True, type=Path, help="the clip (.mp4)")
    p.add_argument("--out-data", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("figures"):
        runtime.set_threads(1)
        dev = runtime.resolve_device(args.device)
        picked = common.paper_methods(tables.load_metrics(args.metrics, args.stdo_k), common.FIGURE4_METHODS)
        if not picked:
            raise StdoError("the clip needs metrics of awDNN, NAS, CaFM, STDO or JSTDO; none given")
        best = max(picked.values(), key=lambda r: r["psnr"])
        grid = json.loads((args.patches / "grid.json").read_text())
        meta = json.loads(args.meta.read_text())
        fps = Fraction(str(meta.get("fps_fraction", meta["fps"])))
        n = (
            grid["frames"]
            if args.seconds is None
            else max(1, min(grid["frames"], round(args.seconds * float(fps))))
        )
        paths, partition = common.method_files(
            best["method"], common.models_by_unit(args.models), common.partitions_by_k(args.partitions)
        )
        routed = evaluate.load_routed(
            args.patches, best["method"], paths, partition=partition, device=dev, batch_size=args.batch_size
        )
        lr_patches, hr_patches = (
            io.open_array(args.patches / "lr.npy"),
            io.open_array(args.patches / "hr.npy"),
        )
        per = grid["cols"] * grid["rows"]
        bicubic_db = json.loads(args.reference.read_text())["bicubic_psnr"]
        w = grid["cols"] * hr_patches.shape[2]
        bars = (  # the whole video's PSNR (the clip's own is in the CSV)
            caption(f"bicubic  {bicubic_db:.2f} dB", w),
            caption(f"{best['display']}  {best['psnr']:.2f} dB", w),
        )
        sse = {"bicubic": 0.0, "best": 0.0, "pixels": 0}

        def frames():
            for start in progress_bar(iterable=range(0, n, 8), desc="clip", unit="8 frames"):
                ids = list(range(start, min(n, start + 8)))
                srs = routed.sr.frames(lr_patches, ids)
                for f, sr in zip(ids, srs, strict=True):
                    part = slice(f * per, (f + 1) * per)
                    hr = stitch(np.asarray(hr_patches[part]), grid["cols"], grid["rows"])[0].astype(
                        np.float64
                    )
                    bic = bicubic_frame(
                        np.asarray(lr_patches[part]), grid["cols"], grid["rows"], grid["scale"]
                    )
                    sse["bicubic"] += float(((bic - hr) ** 2).sum())
                    sse["best"] += float(((sr - hr) ** 2).sum())
                    sse["pixels"] += hr.size
                    yield side_by_side(bic, sr, *bars)

        written = write_mp4(frames(), args.out, fps)
        data = pd.DataFrame(
            [
                {"side": "left", "method": "bicubic", "display": "bicubic", "video_psnr_db": bicubic_db},
                {
                    "side": "right",
                    "method": best["method"],
                    "display": best["display"],
                    "video_psnr_db": best["psnr"],
                },
            ]
        )
        data["clip_psnr_db"] = [float(mse_to_psnr(sse[k] / sse["pixels"])) for k in ("bicubic", "best")]
        data["frames"], data["fps"] = written, float(fps)
        params = {"frames": written, "best": best["method"], "seconds": args.seconds}
        inputs = [args.patches / "index.csv", args.reference, *args.metrics, *paths]
        io.write_sidecar(args.out, stage="figures", params=params, inputs=inputs)
        common.write_data(data, args.out_data, params=params, inputs=inputs)
        print(data.to_string(index=False))


if __name__ == "__main__":
    main()
