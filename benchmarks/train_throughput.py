"""Training throughput per backbone at the paper's patch sizes, alone and fused, and the
device-hours the paper config (config/paper.yaml) needs at those speeds.

    python benchmarks/train_throughput.py [--device auto] [--steps 30] [--amp false|fp16|bf16]
        [--tf32 default|on|off] [--fuse 1,2,4,8,16] [--compile] [--target-seconds 0]
        [--backbones espcn,wdsr] [--scales 2,3,4] [--seeds N]

Trains each backbone (batch 16, L1, Adam) on LR patches of the paper's size (48x54 at x2 and x4,
64x60 at x3) cut from real 1080p frames, and prints LR patch-steps per second per model:
``alone`` is today's loop (stdo.sr.train.train_model, patches memory-mapped on the host), and
with ``--fuse G,...`` each G is G models (seeds 0..G-1) trained together by stdo.sr.fused (their
patches in device memory where they fit, train.resident auto): each of the G models advances at
that rate, so the group trains models G x rate / alone times as fast as today's loop (the last
column, ``gain``, at the largest G; it is what divides a model's device-hours). Set-up, the first
steps and torch.compile's compilation do not count: timing starts after ``--warmup`` steps of
the run and lasts ``--steps`` steps, or with ``--target-seconds`` that long (at most ``--steps``
x 20 steps). A group that runs out of device memory prints ``oom``, one that fails otherwise
``error`` (the error on stderr).

The paper config's hours come from stdo.workflow.plan: every training unit of every cell and
seed (the tables' and the ablations'), its optimiser steps from its patch budget (epochs x the
patches its method budgets: PSNR chunks as numpy.array_split cuts them, NAS's time segments,
the whole video for CaFM and JSTDO) at ``--fps`` (VSD4K: 30). ``before``: every unit alone at
the ``alone`` rate. ``after``: the units of one video, scale and backbone with one step count
(every seed of each) train as one group (CaFM units alone, at the ``alone`` rate: their
modulation's extra cost is not measured here), groups larger than the largest measured G split
into groups of that size, a group's step time interpolated linearly between measured G's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from stdo import methods
from stdo.core.runtime import resolve_device, set_threads
from stdo.models import build_model
from stdo.sr import fused
from stdo.sr.train import TrainSettings, steps_for, train_model
from stdo.video.degrade import degrade_frames
from stdo.video.demo import render_frames
from stdo.video.patches import split
from stdo.workflow import configcheck
from stdo.workflow.plan import Plan

REPO = Path(__file__).resolve().parents[1]
BATCH = 16


# ---------------------------------------------------------------- the paper config's units


def unit_budget(plan: Plan, video: str, scale: int, unit: str, fps: float) -> int:
    """Patches a unit's epochs count over (stdo.methods' budgets), computed without data."""
    frames = plan.train_frames(video) or round(plan.video_duration(video) * fps)
    cols, rows = plan.grid(scale)
    n = frames * cols * rows
    if methods.unit_budget(unit) == "video":
        return n
    p = methods.parse_unit(unit)
    if p.spec.name == "stdo" and p["c"] is not None:  # PSNR chunks: numpy.array_split sizes
        k, c = int(p["k"]), int(p["c"])
        return n // k + (1 if c < n % k else 0)
    if p.spec.name == "nas":
        segment = methods.time_segments(np.arange(frames), frames, int(p["n"]))
        return int((segment == int(p["c"])).sum()) * cols * rows
    return n


def paper_units(cfg: dict, fps: float) -> list[dict]:
    """Every training unit the config plans, each once: video, scale, backbone, seed, unit, steps."""
    plan = Plan(cfg)
    epochs = {b["name"]: b["epochs"] for b in cfg["backbones"]}
    batch = int(cfg["train"].get("batch_size", BATCH))
    out = {}
    for video, scale, backbone in plan.cells():
        for seed in plan.seeds:
            for unit in plan.cell_train_units(video, scale, backbone, seed):
                n = unit_budget(plan, video, scale, unit, fps)
                out[(video, scale, backbone, seed, unit)] = steps_for(epochs[backbone], n, batch)
    return [
        dict(zip(("video", "scale", "backbone", "seed", "unit"), k, strict=True)) | {"steps": s}
        for k, s in out.items()
    ]


def plan_groups(units: list[dict]) -> list[list[dict]]:
    """Units that fuse (stdo.sr.fused.fusion_key in a cell job): one video, scale, backbone and
    step count, every seed; CaFM units alone."""
    groups: dict[tuple, list[dict]] = {}
    for i, u in enumerate(units):
        alone = methods.unit_cafm_segments(u["unit"]) is not None
        key = ("alone", i) if alone else (u["video"], u["scale"], u["backbone"], u["steps"])
        groups.setdefault(key, []).append(u)
    return list(groups.values())


def step_seconds(rates: dict[int, float], g: int) -> float:
    """Seconds of one fused step of ``g`` models, from measured per-model rates (patch-steps/s)
    at group sizes ``rates``: linear between measured sizes (``g`` at most the largest)."""
    sizes = sorted(rates)
    t = [BATCH / rates[s] for s in sizes]  # one step of a group of s
    return float(np.interp(g, sizes, t))


def group_hours(group: list[dict], rates: dict[int, float] | None, alone: float) -> float:
    steps = group[0]["steps"]
    if not rates or len(group) == 1:  # a job trains a group of one in the one-model loop
        return len(group) * steps * BATCH / alone / 3600
    gmax = max(rates)
    sizes = [gmax] * (len(group) // gmax) + ([len(group) % gmax] if len(group) % gmax else [])
    return sum(steps * step_seconds(rates, g) for g in sizes) / 3600


# ---------------------------------------------------------------- measurements


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


class _Enough(Exception):
    """Raised by the step hook once the timed steps are done."""


def measure(train, args, dev: torch.device) -> float:
    """Patch-steps per second per model of ``train(steps, on_step)`` (trains each model ``steps``
    steps, calling ``on_step(done)`` after each), timed from the end of the warm-up steps: to the
    end of ``--steps`` steps, or with ``--target-seconds`` until that long has passed (at most
    ``--steps`` x 20 steps)."""
    warm, most = args.warmup, args.steps * 20 if args.target_seconds else args.steps
    mark: dict[str, float] = {}

    def on_step(done: int) -> None:
        if done == warm:
            _sync(dev)
            mark["t0"] = time.perf_counter()
        elif args.target_seconds and done > warm and (done - warm) % 5 == 0:
            _sync(dev)
            if time.perf_counter() - mark["t0"] >= args.target_seconds:
                mark["n"] = done - warm
                mark["t1"] = time.perf_counter()
                raise _Enough

    try:
        train(warm + most, on_step)
    except _Enough:
        pass
    else:
        _sync(dev)
        mark["n"], mark["t1"] = most, time.perf_counter()
    return mark["n"] * BATCH / max(mark["t1"] - mark["t0"], 1e-9)


def settings(args, steps: int, seed: int, resident: str) -> TrainSettings:
    return TrainSettings(
        steps=steps, batch_size=BATCH, lr=1e-4, seed=seed, amp=args.amp, tf32=args.tf32,
        resident=resident, compile=args.compile, log_every=max(1, steps),
    )  # fmt: skip


def alone_train(b: str, s: int, lr_p, hr_p, args, dev):
    """Today's loop: one model, patches memory-mapped on the host (resident off)."""
    ids = np.arange(len(lr_p))

    def train(steps: int, on_step) -> None:
        model = build_model(b, scale=s, seed=0)
        ts = settings(args, steps, 0, "off")
        train_model(model, lr_p, hr_p, ids, ts, device=dev, progress=False, on_step=on_step)

    return train


def fused_train(b: str, s: int, g: int, lr_p, hr_p, args, dev):
    """``g`` models (seeds 0..g-1) trained together, patches on the device where they fit."""
    ids = np.arange(len(lr_p))

    def train(steps: int, on_step) -> None:
        members = [
            fused.Member(build_model(b, scale=s, seed=i), ids, settings(args, steps, i, "auto"), arch=b)
            for i in range(g)
        ]
        fused.train_group(members, lr_p, hr_p, device=dev, progress=False, on_step=on_step)

    return train


def _oom(e: BaseException) -> bool:
    return isinstance(e, torch.cuda.OutOfMemoryError) or "out of memory" in str(e).lower()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--target-seconds", type=float, default=0.0, help="size the timed steps (0: --steps)")
    p.add_argument("--amp", default="false", choices=["false", "fp16", "bf16"])
    p.add_argument("--tf32", default="default", choices=["default", "on", "off"])
    p.add_argument(
        "--compile", action="store_true", help="torch.compile(mode=reduce-overhead) the fused step"
    )
    p.add_argument("--fuse", default="", help="group sizes to measure, e.g. 1,2,4,8,16 (none: alone only)")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--backbones", default="espcn,srcnn,vdsr,edsr,wdsr")
    p.add_argument("--scales", default="2,3,4")
    p.add_argument("--seeds", type=int, default=0, help="plan with this many seeds (0: the config's)")
    p.add_argument("--config", type=Path, default=REPO / "config/paper.yaml")
    args = p.parse_args()
    args.amp = False if args.amp == "false" else args.amp
    args.tf32 = {"default": None, "on": True, "off": False}[args.tf32]
    if args.compile:
        import torch._dynamo

        for name in ("cache_size_limit", "recompile_limit"):  # a compile per shape and group size
            if hasattr(torch._dynamo.config, name):
                setattr(torch._dynamo.config, name, max(64, getattr(torch._dynamo.config, name)))
    sizes = [int(g) for g in args.fuse.split(",") if g]
    dev = resolve_device(args.device)
    threads = set_threads(args.threads or None)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"CPU, {threads} threads"
    amp = args.amp if dev.type == "cuda" else False
    print(f"device: {name}; batch {BATCH}; amp {amp}; tf32 {args.tf32}; compile {args.compile}")
    # merged as Snakemake merges it (not validated: the device image has no jsonschema)
    cfg = configcheck.merge(configcheck.load_file(configcheck.BASE), configcheck.load_file(args.config))
    if args.seeds:
        cfg["train"]["seeds"] = list(range(args.seeds))
    units = paper_units(cfg, args.fps)
    groups = plan_groups(units)
    hr = render_frames(1920, 1080, 3)
    cols_g = " ".join(f"{'G=' + str(g):>8}" for g in sizes)
    print("LR patch-steps per second per model")
    print(
        f"{'backbone':8} {'scale':>5} {'LR patch':>9} {'alone':>8} {cols_g}  "
        f"{'gain G=' + str(max(sizes, default=1)):>9}"
    )
    before = after = 0.0
    for s in [int(x) for x in args.scales.split(",")]:
        cols, rows = cfg["patch_grid"][f"x{s}"]
        lr_p, hr_p = split(degrade_frames(hr, s), cols, rows), split(hr, cols, rows)
        for b in args.backbones.split(","):
            alone = measure(alone_train(b, s, lr_p, hr_p, args, dev), args, dev)
            rates: dict[int, float] = {}
            shown = []
            for g in sizes:
                try:
                    rates[g] = measure(fused_train(b, s, g, lr_p, hr_p, args, dev), args, dev)
                    shown.append(f"{rates[g]:8.1f}")
                except Exception as e:  # noqa: BLE001 - one group's failure is a cell of the table
                    if not _oom(e):
                        print(
                            f"{b} x{s} G={g}: {type(e).__name__}: {str(e).splitlines()[0]}", file=sys.stderr
                        )
                    if dev.type == "cuda":
                        torch.cuda.empty_cache()
                    shown.append(f"{'oom' if _oom(e) else 'error':>8}")
            size = f"{lr_p.shape[2]}x{lr_p.shape[1]}"
            gain = f"{max(rates) * rates[max(rates)] / alone:9.2f}" if rates else f"{'':9}"
            print(f"{b:8} {'x' + str(s):>5} {size:>9} {alone:8.1f} {' '.join(shown)}  {gain}", flush=True)
            mine = [gr for gr in groups if (gr[0]["backbone"], gr[0]["scale"]) == (b, s)]
            before += sum(len(gr) * gr[0]["steps"] * BATCH / alone / 3600 for gr in mine)
            after += sum(group_hours(gr, rates, alone) for gr in mine)
    seeds = len(cfg["train"].get("seeds", [0]))
    sizes_planned = sorted(len(gr) for gr in groups)
    print(
        f"the paper config ({args.config.name}, {seeds} seed{'s' * (seeds != 1)}): {len(units)} training "
        f"units in {len(groups)} groups (sizes {sizes_planned[0]} to {sizes_planned[-1]}, median "
        f"{sizes_planned[len(sizes_planned) // 2]}), for the backbones and scales measured:"
    )
    print(f"  before (every unit alone): {before:.1f} device-hours")
    if sizes:
        print(f"  after (fused groups, G measured up to {max(sizes)}): {after:.1f} device-hours")
    print("(training only: scoring and evaluation add one forward pass per patch per model)")


if __name__ == "__main__":
    main()
