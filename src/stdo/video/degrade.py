"""Bicubic degradation: HR frames to LR frames at an integer scale.

The downscale is :func:`stdo.core.imaging.downscale` (antialiased bicubic, PIL's kernel; its
module docstring states the convention and how close it is to PIL's).

The LR frames are also written as a stream (``--stream``, :mod:`stdo.video.codec`): with
``--codec`` (the config's ``degrade.codec``, e.g. ``{"codec": "libx264", "crf": 23}``) they are
encoded with that codec and the *decoded* frames are the stage's LR frames, what a client
receives; without it the stream is lossless (FFV1) and the LR frames are the bicubic ones.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from stdo.core import cliargs, io
from stdo.core.errors import StdoError
from stdo.core.imaging import check_divisible, downscale
from stdo.core.progress import bar as progress_bar


def degrade_frames(hr: np.ndarray, scale: int, batch: int = 16) -> np.ndarray:
    """Downscale a (memory-mapped) frame array in batches; returns an in-memory array."""
    t, h, w, c = hr.shape
    check_divisible(h, w, scale)
    out = np.empty((t, h // scale, w // scale, c), dtype=np.uint8)
    for i in progress_bar(iterable=range(0, t, batch), desc=f"degrade x{scale}", unit="batch"):
        out[i : i + batch] = downscale(np.asarray(hr[i : i + batch]), scale)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo degrade", description=__doc__)
    p.add_argument("--hr", required=True, type=Path, help="HR frames (.npy, uint8 [T,H,W,3])")
    p.add_argument("--scale", required=True, type=int)
    p.add_argument("--out", required=True, type=Path, help="LR frames (.npy)")
    p.add_argument(
        "--vsd4k",
        type=cliargs.path_list,
        default=None,
        help="VSD4K clip dirs: use the dataset's own LR frames instead of degrading",
    )
    p.add_argument("--meta", type=Path, default=None, help="ingest's meta.json (frame range, crop, fps)")
    p.add_argument(
        "--codec",
        type=json.loads,
        default=None,
        help='LR stream codec as JSON, e.g. {"codec": "libx264", "crf": 23}; absent: lossless FFV1',
    )
    p.add_argument("--stream", type=Path, default=None, help="the LR stream (.mkv) to write")
    args = p.parse_args(argv)
    with io.stage_errors("degrade"):
        hr = io.open_array(args.hr)
        if args.vsd4k:
            from stdo.video import vsd4k

            check_divisible(hr.shape[1], hr.shape[2], args.scale)
            if args.meta is None:
                raise StdoError("--vsd4k needs --meta (the frame range and crop ingest used)")
            meta = json.loads(args.meta.read_text())
            pairs = vsd4k.frame_list(args.vsd4k, meta["frame_range"], meta.get("clip_frames"))
            if len(pairs) != len(hr):
                raise StdoError(f"{args.hr}: {len(hr)} HR frames but the clips give {len(pairs)}")
            lr = vsd4k.read_lr(pairs, args.scale, hr.shape[1:3], meta.get("effective_crop"))
            params = {"scale": args.scale, "lr": "VSD4K", "clips": [str(c) for c in args.vsd4k]}
        else:
            lr = degrade_frames(hr, args.scale)
            params = {"scale": args.scale, "lr": "bicubic"}
        inputs = [args.hr]
        if args.stream is not None:
            from stdo.video import codec

            if args.meta is None:
                raise StdoError("--stream needs --meta (the video's fps)")
            meta = json.loads(args.meta.read_text())
            fps = meta.get("fps_fraction") or meta.get("fps")
            if not fps:
                raise StdoError(
                    f"{args.meta}: the video has no frame rate (image frames), which the LR stream needs: "
                    "set videos.<name>.duration_s (its length in seconds)"
                )
            decoded, record = codec.round_trip(lr, args.stream, args.codec, fps)
            if args.codec:  # the frames a client receives
                lr = decoded
            elif not np.array_equal(decoded, lr):
                raise StdoError(f"{args.stream}: the lossless stream does not decode to the LR frames")
            params |= {"codec": record["codec"], "stream": record}
            io.write_sidecar(args.stream, stage="degrade", params=params, inputs=inputs)
        io.save_array(args.out, lr)
        io.write_sidecar(args.out, stage="degrade", params=params, inputs=inputs)


if __name__ == "__main__":
    main()
