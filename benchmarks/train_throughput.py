"""Training throughput per backbone at the paper's patch sizes, and the device-hours the paper
config (config/paper.yaml) needs at that speed.

    python benchmarks/train_throughput.py [--device auto] [--steps 30] [--amp] [--fps 30]
                                          [--backbones espcn,wdsr] [--scales 2,3,4]

Trains each backbone for ``--steps`` steps (batch 16, L1, Adam: stdo.sr.train.train_model) on LR
patches of the paper's size (48x54 at x2 and x4, 64x60 at x3) cut from real 1080p frames, after a
few warm-up steps, and prints LR patches per second. The estimate multiplies by the patch-steps
of every training unit config/paper.yaml plans (epochs x the patches each unit budgets, from
its videos' durations at ``--fps`` frames per second; VSD4K is 30 fps), counting each unit once.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from stdo.core.runtime import resolve_device, set_threads
from stdo.models import build_model
from stdo.sr.train import TrainSettings, train_model
from stdo.video.degrade import degrade_frames
from stdo.video.demo import render_frames
from stdo.video.patches import split

REPO = Path(__file__).resolve().parents[1]


def paper_patch_steps(cfg: dict, fps: float) -> dict[tuple[str, int], float]:
    """Patch-steps per (backbone, scale) of every training unit the paper config plans."""
    epochs = {b["name"]: b["epochs"] for b in cfg["backbones"]}
    units: dict[tuple, float] = {}  # (video, scale, backbone, unit) -> patch-steps
    for v in cfg["videos"]:
        seconds = v.get("duration_s") or v["paper"]["duration_s"]
        frames = round(seconds * fps)
        for s in cfg["scales"]:
            cols, rows = cfg["patch_grid"][f"x{s}"]
            n = frames * cols * rows
            for b in epochs:
                whole = epochs[b] * n  # awDNN, CaFM, JSTDO, and NAS and STDO summed over their models
                methods = ["awdnn", "nas", "cafm", "jstdo"] + [f"stdo-k{k}" for k in cfg["stdo"]["k"]]
                if not v.get("tables", True):
                    continue
                for m in methods:
                    units[(v["name"], s, b, m)] = whole
    ab = cfg.get("ablations", {})
    for name, spec in ab.items():
        video = next(v for v in cfg["videos"] if v["name"] == spec["video"])
        seconds = video.get("duration_s") or video["paper"]["duration_s"]
        cols, rows = cfg["patch_grid"][f"x{spec['scale']}"]
        n = round(seconds * fps) * cols * rows
        backbones = spec.get("backbones", [spec.get("backbone")])
        if name == "chunks":
            keys = [(b, f"stdo-k{k}") for b in backbones for k in spec["k"]]
        elif name == "schedules":
            keys = [(backbones[0], f"jstdo-p{i}") for i in range(len(spec["proportions"]))]
        else:
            keys = [(backbones[0], f"stdo-k{k}") for k in cfg["stdo"]["k"]]
        for b, m in keys:
            units[(spec["video"], spec["scale"], b, m)] = epochs[b] * n
    out: dict[tuple[str, int], float] = {}
    for (_, s, b, _), steps in units.items():
        out[(b, s)] = out.get((b, s), 0.0) + steps
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--amp", action="store_true")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--backbones", default="espcn,srcnn,vdsr,edsr,wdsr")
    p.add_argument("--scales", default="2,3,4")
    p.add_argument("--config", type=Path, default=REPO / "config/paper.yaml")
    args = p.parse_args()
    dev = resolve_device(args.device)
    threads = set_threads(args.threads or None)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"CPU, {threads} threads"
    print(f"device: {name}; batch 16; amp {args.amp and dev.type == 'cuda'}")
    cfg = yaml.safe_load(args.config.read_text())
    work = paper_patch_steps(cfg, args.fps)
    hr = render_frames(1920, 1080, 3)
    total_hours = 0.0
    head = ["backbone", "scale", "LR patch", "patches/s", "paper patch-steps", "hours"]
    print(f"{head[0]:8} {head[1]:>5} {head[2]:>9} {head[3]:>10} {head[4]:>18} {head[5]:>9}")
    for s in [int(x) for x in args.scales.split(",")]:
        cols, rows = cfg["patch_grid"][f"x{s}"]
        lr_p, hr_p = split(degrade_frames(hr, s), cols, rows), split(hr, cols, rows)
        for b in args.backbones.split(","):
            model = build_model(b, scale=s, seed=0)
            ids = np.arange(len(lr_p))
            settings = TrainSettings(steps=args.warmup, batch_size=16, lr=1e-4, amp=args.amp)
            train_model(model, lr_p, hr_p, ids, settings, device=dev, progress=False)
            if dev.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            settings = TrainSettings(steps=args.steps, batch_size=16, lr=1e-4, amp=args.amp, seed=1)
            train_model(model, lr_p, hr_p, ids, settings, device=dev, progress=False)
            if dev.type == "cuda":
                torch.cuda.synchronize()
            rate = args.steps * 16 / (time.perf_counter() - t0)
            steps = work.get((b, s), 0.0)
            hours = steps / rate / 3600
            total_hours += hours
            size = f"{lr_p.shape[2]}x{lr_p.shape[1]}"
            print(f"{b:8} {'x' + str(s):>5} {size:>9} {rate:10.1f} {steps:18.3g} {hours:9.1f}", flush=True)
    print(f"training the paper config ({args.config.name}) at these speeds: {total_hours:.1f} device-hours")
    print("(training only: scoring and evaluation add one forward pass per patch per model)")


if __name__ == "__main__":
    main()
