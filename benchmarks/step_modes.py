"""PSNR and speed of a test cell's models trained with each step mode, against today's loop.

    python benchmarks/step_modes.py [--device auto] [--backbone wdsr] [--scale 4] [--frames 8]
        [--models 4] [--steps 400] [--variants alone,fused,tf32-off,bf16,compile]

The test cell: ``--frames`` real 1080p frames (pans over photographs, stdo.video.demo) cut into
the paper's LR patches at ``--scale`` (config/paper.yaml's patch grid), ``--models`` models
(seeds 0..) of one backbone, each trained ``--steps`` steps on every patch (batch 16, the
backbone's paper learning rate, cosine schedule). Variants:

* ``alone``: today's loop (stdo.sr.train.train_model, one model after another, float32 with
  PyTorch's TF32 defaults, patches memory-mapped on the host): the reference;
* ``fused``: the models trained together (stdo.sr.fused), patches on the device;
* ``tf32-off``: fused, TF32 off for convolutions and matmuls (full float32);
* ``tf32-on``: fused, TF32 on for both;
* ``bf16``: fused, bfloat16 autocast (train.amp bf16);
* ``compile``: fused, torch.compile(mode="reduce-overhead") of the step (CUDA graphs).

Prints, per variant, LR patch-steps per second per model (timed after the first 20 steps, so
set-up and compilation do not count), the mean PSNR of the models on every patch of the cell
(stdo's convention: the mean MSE's PSNR), and the largest PSNR difference of a model from the
same-seed model trained alone; a step mode may become config/paper.yaml's default only where
that difference is at most 0.05 dB (issue 22).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from stdo.core.metrics import mse_to_psnr
from stdo.core.runtime import resolve_device, set_threads
from stdo.models import build_model
from stdo.sr import fused
from stdo.sr.infer import patch_mse
from stdo.sr.train import TrainSettings, train_model
from stdo.video.degrade import degrade_frames
from stdo.video.demo import render_frames
from stdo.video.patches import split

REPO = Path(__file__).resolve().parents[1]
TIMED_FROM = 20
VARIANTS = {  # name: (fused, settings)
    "alone": (False, {"resident": "off"}),
    "fused": (True, {}),
    "tf32-off": (True, {"tf32": False}),
    "tf32-on": (True, {"tf32": True}),
    "bf16": (True, {"amp": "bf16"}),
    "compile": (True, {"compile": True}),
}


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto")
    p.add_argument("--backbone", default="wdsr")
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--models", type=int, default=4)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--variants", default="alone,fused,tf32-off,bf16,compile")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--config", type=Path, default=REPO / "config/paper.yaml")
    args = p.parse_args()
    dev = resolve_device(args.device)
    set_threads(args.threads or None)
    cfg = yaml.safe_load(args.config.read_text())
    lr_rate = next(b["lr"] for b in cfg["backbones"] if b["name"] == args.backbone)
    cols, rows = cfg["patch_grid"][f"x{args.scale}"]
    hr = render_frames(1920, 1080, args.frames)
    lr_p, hr_p = split(degrade_frames(hr, args.scale), cols, rows), split(hr, cols, rows)
    ids = np.arange(len(lr_p))
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
    print(
        f"device: {name}; test cell: {args.frames} 1080p frames at x{args.scale}, {len(ids)} LR patches "
        f"{lr_p.shape[2]}x{lr_p.shape[1]}; {args.models} {args.backbone} models "
        f"(seeds 0..{args.models - 1}), {args.steps} steps of batch 16 at lr {lr_rate:g} each"
    )
    print(f"{'variant':10} {'patch-steps/s/model':>20} {'PSNR dB':>8} {'max |dPSNR|':>12} {'<= 0.05 dB':>10}")
    reference: list[float] | None = None
    for variant in args.variants.split(","):
        together, extra = VARIANTS[variant]
        mark: dict[str, float] = {}

        def on_step(done: int, mark=mark) -> None:
            if done == TIMED_FROM:
                _sync(dev)
                mark["t0"] = time.perf_counter()

        def settings(seed: int, extra=extra) -> TrainSettings:
            return TrainSettings(
                steps=args.steps, batch_size=16, lr=lr_rate, seed=seed, schedule="cosine", **extra
            )

        models = [build_model(args.backbone, scale=args.scale, seed=s) for s in range(args.models)]
        try:
            if together:
                members = [
                    fused.Member(m, ids, settings(s), arch=args.backbone) for s, m in enumerate(models)
                ]
                fused.train_group(members, lr_p, hr_p, device=dev, progress=False, on_step=on_step)
                _sync(dev)
                elapsed, timed = time.perf_counter() - mark["t0"], args.steps - TIMED_FROM
            else:  # one model after another: a model's rate is its steps over its time
                elapsed, timed = 0.0, 0
                for s, m in enumerate(models):
                    train_model(m, lr_p, hr_p, ids, settings(s), device=dev, progress=False, on_step=on_step)
                    _sync(dev)
                    elapsed += time.perf_counter() - mark.pop("t0")
                    timed += args.steps - TIMED_FROM
        except Exception as e:  # noqa: BLE001 - a variant that fails is a row of the table
            print(f"{variant:10} failed: {type(e).__name__}: {str(e).splitlines()[0]}", flush=True)
            if dev.type == "cuda":
                torch.cuda.empty_cache()
            continue
        rate = timed * 16 / max(elapsed, 1e-9)
        psnr = [
            float(mse_to_psnr(patch_mse(m, lr_p, hr_p, ids, device=dev, progress=False).mean()))
            for m in models
        ]
        if reference is None and variant == "alone":
            reference = psnr
        diff = max(abs(a - b) for a, b in zip(psnr, reference, strict=True)) if reference else float("nan")
        ok = "yes" if diff <= 0.05 else ("no" if reference else "")
        print(f"{variant:10} {rate:20.1f} {np.mean(psnr):8.3f} {diff:12.4f} {ok:>10}", flush=True)


if __name__ == "__main__":
    main()
