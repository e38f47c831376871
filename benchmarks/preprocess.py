"""Frames per second of the preprocessing stages on 1080p frames (ingest, degrade, patch, score).

    python benchmarks/preprocess.py [--frames 30] [--scale 4] [--threads 2]

Builds a real 1080p clip (pans over skimage.data photographs, H.264 via PyAV), then times
each stage's core on it: decoding to RGB, bicubic x-scale degradation, splitting LR and HR
into the paper's patch grid, and scoring every patch with an ESPCN f0 (forward pass plus
per-patch MSE). Prints one line per stage.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from stdo.core.runtime import set_threads
from stdo.models import build_model
from stdo.sr.infer import patch_mse
from stdo.video.degrade import degrade_frames
from stdo.video.demo import encode, render_frames
from stdo.video.ingest import decode
from stdo.video.patches import split

GRIDS = {2: (20, 10), 3: (10, 6), 4: (10, 5)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--scale", type=int, default=4, choices=[2, 3, 4])
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    threads = set_threads(args.threads)
    cols, rows = GRIDS[args.scale]
    print(f"1080p, {args.frames} frames, x{args.scale}, grid {cols}x{rows}, torch threads {threads}")
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "clip.mp4"
        encode(render_frames(1920, 1080, args.frames), video, fps=30, crf=18)
        results = {}
        t = time.perf_counter()
        frames, _ = decode(video, progress=False)
        hr = np.stack(frames)
        results["ingest (decode to RGB)"] = time.perf_counter() - t
        t = time.perf_counter()
        lr = degrade_frames(hr, args.scale)
        results[f"degrade (bicubic x{args.scale})"] = time.perf_counter() - t
        t = time.perf_counter()
        lr_p, hr_p = split(lr, cols, rows), split(hr, cols, rows)
        lr_p, hr_p = np.ascontiguousarray(lr_p), np.ascontiguousarray(hr_p)
        results["patches (LR + HR split)"] = time.perf_counter() - t
        model = build_model("espcn", scale=args.scale, seed=0)
        t = time.perf_counter()
        with torch.inference_mode():
            patch_mse(model, lr_p, hr_p, np.arange(len(lr_p)), batch_size=50, progress=False)
        results["score (ESPCN f0 + patch MSE)"] = time.perf_counter() - t
    for name, seconds in results.items():
        print(f"{name:32s} {args.frames / seconds:8.1f} frames/s")


if __name__ == "__main__":
    main()
