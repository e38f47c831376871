"""Overfit one SR model on a set of patches (awDNN: all patches; STDO: one chunk; ...).

L1 loss, Adam, and a learning-rate schedule: ``cosine`` (the STDO authors' trainer,
``CosineAnnealingLR(T_max=epochs, eta_min=4e-8)``; here annealed per optimiser step over the
whole run, which has the same shape) or ``multistep`` (decay by ``lr_gamma`` at
``lr_milestones``, fractions of the run). Batches are a pure function of
``(seed, step)`` (epoch-wise permutations of the unit's patches), so a run that is killed and
started again resumes from its last checkpoint and ends with the same weights as an
uninterrupted run. Checkpoints live beside the outputs in ``<outdir>/.checkpoint.pt`` (not a
workflow output, so Snakemake does not delete it when a job dies) and are removed once the
final ``model.pt`` and ``log.csv`` are in place. Output names are fixed, never an epoch or a
score.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import math
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from stdo import methods
from stdo.core import io, runtime
from stdo.core.errors import StdoError
from stdo.core.optim import Adam, Schedule
from stdo.models import build_model, modelfile
from stdo.models.cafm import CaFM
from stdo.sr.infer import to_tensor

CHECKPOINT_NAME = ".checkpoint.pt"
LOCK_NAME = ".checkpoint.lock"
SCHEDULES = ("multistep", "cosine")


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings of one training run (all explicit, all recorded)."""

    steps: int
    batch_size: int = 16
    lr: float = 1e-4
    schedule: str = "multistep"  # multistep | cosine (see the module docstring)
    lr_min: float = 4e-8  # cosine's floor (the authors' eta_min)
    lr_milestones: tuple[float, ...] = (0.5, 0.75)  # fractions of ``steps``
    lr_gamma: float = 0.5
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    seed: int = 0
    checkpoint_every: int = 100
    amp: bool = False
    workers: int = 0  # DataLoader worker processes that gather batches (0: in the training process)
    log_every: int = field(default=0)  # 0: about 200 log rows per run

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise StdoError(f"training needs at least one step, got {self.steps}")
        if self.batch_size < 1:
            raise StdoError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.schedule not in SCHEDULES:
            raise StdoError(
                f"unknown learning-rate schedule {self.schedule!r}; use one of {', '.join(SCHEDULES)}"
            )

    @classmethod
    def from_config(cls, settings: Mapping[str, Any], *, steps: int) -> TrainSettings:
        """Settings from a config/JSON object of fields other than ``steps`` (lists become
        tuples); an unknown key is a :class:`StdoError` naming it and the known ones."""
        known = [f.name for f in fields(cls) if f.name != "steps"]
        if "steps" in settings:
            raise StdoError("training settings may not set 'steps': the stage derives it (epochs or --steps)")
        unknown = sorted(set(settings) - set(known))
        if unknown:
            raise StdoError(
                f"unknown training setting{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))}; known settings: {', '.join(known)}"
            )
        return cls(steps=steps, **{k: (tuple(v) if isinstance(v, list) else v) for k, v in settings.items()})

    def fingerprint_fields(self) -> dict[str, Any]:
        """The fields that determine the trained weights: all but ``workers`` and
        ``checkpoint_every`` (a run may resume under others of those)."""
        return {k: v for k, v in asdict(self).items() if k not in ("workers", "checkpoint_every")}


def steps_for(epochs: float, n_patches: int, batch_size: int) -> int:
    """Optimiser steps that show ``epochs`` passes over ``n_patches`` patches (at least 1)."""
    return max(1, math.ceil(epochs * n_patches / batch_size))


def batch_ids(
    step: int,
    batch_size: int,
    n: int,
    seed: int,
    _cache: dict[tuple[int, int, int], np.ndarray] | None = None,
) -> np.ndarray:
    """Positions ``0..n-1`` of the batch at ``step``: consecutive slices of per-epoch permutations."""
    pos = step * batch_size + np.arange(batch_size)
    epochs, offsets = pos // n, pos % n
    out = np.empty(batch_size, dtype=np.int64)
    for e in np.unique(epochs):
        key = (seed, int(e), n)
        perm = _cache.get(key) if _cache is not None else None
        if perm is None:
            perm = np.random.default_rng([seed, int(e)]).permutation(n)
            if _cache is not None:
                _cache.clear()
                _cache[key] = perm
        mask = epochs == e
        out[mask] = perm[offsets[mask]]
    return out


class _Batches(torch.utils.data.Dataset):
    """Batch ``i`` of a run from ``start``: patch ids and their LR/HR arrays (a pure function
    of the step, so worker processes produce exactly the batches the main process would)."""

    def __init__(self, lr, hr, indices: np.ndarray, settings: TrainSettings, start: int):
        self.lr, self.hr, self.indices, self.settings, self.start = lr, hr, indices, settings, start
        self.cache: dict[tuple[int, int, int], np.ndarray] = {}

    def __len__(self) -> int:
        return self.settings.steps - self.start

    def __getitem__(self, i: int):
        s = self.settings
        pos = batch_ids(self.start + i, s.batch_size, self.indices.size, s.seed, self.cache)
        ids = np.sort(self.indices[pos])
        return ids, np.ascontiguousarray(self.lr[ids]), np.ascontiguousarray(self.hr[ids])


def _as_is(batch):
    """DataLoader collate function: the batch as :class:`_Batches` made it (a module-level
    function, so worker processes can be spawned as well as forked)."""
    return batch


def _milestones(settings: TrainSettings) -> list[int]:
    return sorted({max(1, int(round(f * settings.steps))) for f in settings.lr_milestones})


def make_scheduler(opt: Adam, settings: TrainSettings) -> Schedule:
    """The learning-rate schedule of a run, stepped once per optimiser step."""
    return Schedule(
        opt,
        settings.schedule,
        steps=settings.steps,
        lr_min=settings.lr_min,
        milestones=_milestones(settings),
        gamma=settings.lr_gamma,
    )


_PART_NAMES = {
    "patch_data": "other patch data (the patch arrays' content differs: another video or new patches)",
    "init_sha256": "another init file (its content differs)",
    "init": "another init file path",
    "selection": "another selection of patches",
    "grid": "another patch grid",
    "settings": "other training settings",
}


def stale_reason(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> str:
    """Why a checkpoint made from fingerprint parts ``old`` does not fit ``new``, in words."""
    if not old or not new:
        return "other settings or data (it records no details: an older checkpoint)"
    changed = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return ", ".join(_PART_NAMES.get(k, f"another {k}") for k in changed) or "other settings or data"


def patch_data_hash(grid: Mapping[str, Any], lr: np.ndarray, hr: np.ndarray) -> str:
    """A content hash of a patch folder's arrays: the hashes the patches stage recorded in
    ``grid.json``, or (for a folder made before it did) the arrays hashed now."""
    lr_sha = grid.get("lr_sha256") or io.sha256_array(lr)
    hr_sha = grid.get("hr_sha256") or io.sha256_array(hr)
    return io.sha256_json([lr_sha, hr_sha])


def train_model(
    model: nn.Module,
    lr: np.ndarray,
    hr: np.ndarray,
    indices: np.ndarray,
    settings: TrainSettings,
    *,
    device: torch.device | str = "cpu",
    checkpoint: Path | None = None,
    fingerprint: str = "",
    fingerprint_parts: Mapping[str, Any] | None = None,
    progress: bool = True,
    conditioner: Callable[[nn.Module, np.ndarray], None] | None = None,
    keep_final: bool = False,
) -> list[dict[str, float]]:
    """Train ``model`` in place on patches ``indices`` of (memory-mapped) ``lr``/``hr``.

    Returns the loss log (one row per ``log_every`` steps). With ``checkpoint`` set, state is
    saved every ``checkpoint_every`` steps and a matching checkpoint (same ``fingerprint``)
    is resumed from; ``fingerprint_parts`` (what the fingerprint was made of, stored with it)
    lets a mismatch say which input changed. ``conditioner(model, patch_ids)`` runs before each
    forward pass (CaFM uses it to select each patch's chunk modulation). ``keep_final`` saves the
    last step's state too, so a finished model can be written again without training.
    """
    device = torch.device(device)
    indices = np.asarray(indices, dtype=np.int64)
    if indices.size == 0:
        raise StdoError("no patches selected for training")
    model.to(device).train()
    opt = Adam(model.parameters(), lr=settings.lr, betas=settings.betas, eps=settings.eps)
    sched = make_scheduler(opt, settings)
    use_amp = settings.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    log: list[dict[str, float]] = []
    window: list[float] = []  # losses since the last log row
    start = 0
    if checkpoint is not None and checkpoint.exists():
        try:
            state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        except Exception as e:  # noqa: BLE001 - a damaged file is not worth stopping for
            state = {}
            print(f"ignoring {checkpoint}: unreadable ({e})", flush=True)
        if state and state.get("fingerprint") == fingerprint:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            scaler.load_state_dict(state["scaler"])
            log, window = state["log"], state["window"]
            start = int(state["step"])
            print(f"resuming from {checkpoint} at step {start}/{settings.steps}", flush=True)
        elif state:
            why = stale_reason(state.get("fingerprint_parts"), fingerprint_parts)
            print(f"ignoring {checkpoint}: it was made with {why}; starting over", flush=True)
    log_every = settings.log_every or max(1, settings.steps // 200)
    bar = tqdm(total=settings.steps, initial=start, desc="train", unit="step", disable=not progress)
    batches = torch.utils.data.DataLoader(
        _Batches(lr, hr, indices, settings, start),
        batch_size=None,
        shuffle=False,
        num_workers=settings.workers,
        pin_memory=device.type == "cuda",
        collate_fn=_as_is,
    )
    for step, (ids, lr_batch, hr_batch) in enumerate(batches, start):
        if conditioner is not None:
            conditioner(model, ids)
        x = to_tensor(lr_batch, device)
        y = to_tensor(hr_batch, device)
        with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
            loss = F.l1_loss(model(x) / 255.0, y / 255.0)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        sched.step()
        window.append(float(loss.detach()))
        done = step + 1
        if done % log_every == 0 or done == settings.steps:
            log.append({"step": done, "loss": float(np.mean(window)), "lr": opt.param_groups[0]["lr"]})
            window.clear()
            bar.set_postfix(loss=f"{log[-1]['loss']:.4f}")
        bar.update(1)
        last = done == settings.steps
        due = keep_final if last else done % settings.checkpoint_every == 0
        if checkpoint is not None and due:
            save_checkpoint(
                checkpoint,
                {
                    "fingerprint": fingerprint,
                    "fingerprint_parts": dict(fingerprint_parts or {}),
                    "step": done,
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(),
                    "scaler": scaler.state_dict(),
                    "log": log,
                    "window": window,
                },
            )
    bar.close()
    model.eval()
    return log


def save_checkpoint(checkpoint: Path, state: Mapping[str, Any]) -> None:
    """Write the resume state atomically. torch reports a full disk as "basic_ios::clear:
    iostream error" or "file write failed", naming no file: say which, and what to do."""
    try:
        with io.atomic_path(checkpoint) as tmp:
            torch.save(dict(state), tmp)
    except RuntimeError as e:
        raise StdoError(
            f"{checkpoint}: writing the resume checkpoint failed ({str(e).splitlines()[0]}); "
            f"{io.free_space(checkpoint)}: a full disk is the usual cause. Free some space there and "
            "run again (training resumes from the last checkpoint written)"
        ) from e


@contextlib.contextmanager
def unit_lock(outdir: Path):
    """Hold an advisory lock (``flock``) on a unit's resume state in ``outdir`` while it trains,
    so that two trainers (an orphan of a killed Snakemake and its rerun) never write one
    checkpoint: the second stops, naming the first."""
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 512, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise StdoError(
                f"{outdir}: another trainer holds this unit's resume state ({holder}; lock {path}): "
                "wait for it to finish, or stop it (kill PID) and run again"
            ) from None
        try:
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                break  # the lock file is still the one at ``path``
        except FileNotFoundError:
            pass
        os.close(fd)  # removed by the previous holder as we took it: take the new one
    try:
        os.ftruncate(fd, 0)
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, since {started}\n".encode(), 0)
        yield path
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # still holding it: no one else can be inside
    finally:
        os.close(fd)


def write_outputs(
    model: nn.Module,
    log: list[dict[str, float]],
    *,
    out_model: Path,
    out_log: Path,
    backbone: str,
    scale: int,
    kwargs: dict[str, Any],
    extra: dict[str, Any],
    stage: str,
    params: dict[str, Any],
    inputs: Sequence[Path] = (),
    seed: int | None = None,
    checkpoint: Path | None = None,
) -> None:
    """Write a trained model's outputs: the loss log as CSV, the model file (see
    :func:`stdo.models.modelfile.save_model`, with ``extra`` in its record), a provenance sidecar for
    each (``stage``, ``params``, ``inputs``, ``seed``), and last remove the resume
    ``checkpoint``, so a run killed before the end still resumes instead of starting over."""
    io.write_csv(out_log, pd.DataFrame(log))
    modelfile.save_model(out_model, model, backbone=backbone, scale=scale, kwargs=kwargs, extra=extra)
    for out in (out_model, out_log):
        io.write_sidecar(out, stage=stage, params=params, inputs=inputs, seed=seed)
    if checkpoint is not None and checkpoint.exists():
        checkpoint.unlink()


def run_training(**kwargs: Any) -> None:
    """Train the model of one training unit (see :mod:`stdo.methods`) and write its outputs,
    holding the unit's lock (:func:`unit_lock`) throughout. Arguments: :func:`_run_training`'s."""
    with unit_lock(Path(kwargs["out_model"]).parent):
        _run_training(**kwargs)


def _run_training(
    *,
    patches: Path,
    backbone: str,
    backbone_kwargs: dict[str, Any],
    scale: int,
    unit: str,
    epochs: float,
    settings: dict[str, Any],
    out_model: Path,
    out_log: Path,
    partition: Path | None = None,
    proportions: list[float] | None = None,
    device: str = "auto",
    init: Path | None = None,
    progress: bool = True,
    cafm_settings: dict[str, Any] | None = None,
    keep_checkpoint: bool = False,
) -> None:
    """Train the model of one training unit (see :mod:`stdo.methods`) and write its outputs.
    ``cafm_settings``: :class:`stdo.models.cafm.CaFM`'s ``kernel_size`` and ``placement`` for a CaFM unit
    (config ``cafm``; its defaults when absent)."""
    lr = io.open_array(patches / "lr.npy")
    hr = io.open_array(patches / "hr.npy")
    grid = json.loads((patches / "grid.json").read_text())
    index = pd.read_csv(patches / "index.csv")
    chunks = np.asarray(io.open_array(partition)) if partition is not None else None
    seed = int(settings.get("seed", 0))
    sel = methods.unit_selection(unit, index=index, chunks=chunks, proportions=proportions, seed=seed)
    budget = sel.size if methods.unit_budget(unit) == "data" else len(index)
    steps = steps_for(epochs, budget, int(settings.get("batch_size", TrainSettings.batch_size)))
    ts = TrainSettings.from_config(settings, steps=steps)
    model = build_model(backbone, scale=scale, seed=ts.seed, **backbone_kwargs)
    if init is not None:
        model.load_state_dict(modelfile.load_model(init)[0].state_dict())
    dev = runtime.resolve_device(device)
    conditioner = None
    cafm_segments = methods.unit_cafm_segments(unit)
    if cafm_segments is not None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ts.seed)
            model = CaFM(model, cafm_segments, **(cafm_settings or {}))
        patch_chunk = torch.from_numpy(methods.patch_time_segments(index, cafm_segments))

        def conditioner(m: nn.Module, ids: np.ndarray) -> None:
            m.set_segment(patch_chunk[torch.from_numpy(ids)].to(dev))

    # what a resumed checkpoint must share: the content of every input, not only its name
    fingerprint_parts = {
        "backbone": backbone,
        "kwargs": backbone_kwargs,
        "scale": scale,
        "unit": unit,
        "settings": ts.fingerprint_fields(),
        "grid": grid,
        "selection": io.sha256_json(sel.tolist()),
        "patch_data": patch_data_hash(grid, lr, hr),
        "init": str(init) if init else None,
        "init_sha256": io.sha256_file(init) if init else None,
    } | ({"cafm": model.record()} if cafm_segments is not None else {})
    fingerprint = io.sha256_json(fingerprint_parts)
    extra = {"unit": unit, "patches": int(sel.size), "steps": steps}
    if cafm_segments is not None:
        extra |= model.record() | {"cafm_params_per_chunk": model.parameters_per_segment()}
    print(
        f"unit {unit}: {sel.size} of {len(index)} patches, {steps} steps of batch {ts.batch_size} on {dev}",
        flush=True,
    )
    t0 = time.perf_counter()
    ckpt = out_model.parent / CHECKPOINT_NAME
    log = train_model(
        model,
        lr,
        hr,
        sel,
        ts,
        device=dev,
        checkpoint=ckpt,
        fingerprint=fingerprint,
        fingerprint_parts=fingerprint_parts,
        progress=progress,
        conditioner=conditioner,
        keep_final=keep_checkpoint,
    )
    seconds = time.perf_counter() - t0
    params = {
        "backbone": backbone,
        "backbone_kwargs": backbone_kwargs,
        "scale": scale,
        "unit": unit,
        "epochs": epochs,
        "budget_patches": budget,
        "settings": asdict(ts),
        "device": str(dev),
        "train_seconds": seconds,
    }
    write_outputs(
        model,
        log,
        out_model=out_model,
        out_log=out_log,
        backbone=backbone,
        scale=scale,
        kwargs=backbone_kwargs,
        extra=extra | {"train_seconds": seconds},
        stage="train",
        params=params,
        inputs=[patches / "index.csv"] + ([partition] if partition else []),
        seed=ts.seed,
        checkpoint=None if keep_checkpoint else ckpt,
    )
    print(f"trained in {seconds:.1f} s ({steps * ts.batch_size / max(seconds, 1e-9):.1f} patches/s)")


def add_common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backbone", required=True)
    p.add_argument("--backbone-kwargs", default="{}", type=json.loads, help="JSON object")
    p.add_argument("--scale", required=True, type=int)
    p.add_argument(
        "--settings", required=True, type=json.loads, help="JSON object of TrainSettings fields except steps"
    )
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--no-progress", action="store_true")


def unit_inputs(
    unit: str,
    partition: Path | None,
    partitions: Mapping[str, str] | None,
    proportions: list[float] | Mapping[str, list[float]] | None,
) -> tuple[Path | None, list[float] | None]:
    """The partition and JSTDO proportions of one of a job's units: ``partition`` and a list of
    ``proportions`` are every unit's; ``partitions`` ({k: path}) and a mapping of proportions
    ({unit: list}) give each unit its own (a job of units of several partitions)."""
    k = methods.unit_partition_k(unit)
    if partitions is not None and k is not None:
        if str(k) not in partitions:
            raise StdoError(f"unit {unit} needs the k={k} partition; --partitions has k {sorted(partitions)}")
        partition = Path(partitions[str(k)])
    if isinstance(proportions, Mapping):
        proportions = proportions.get(unit)
    return partition, proportions


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo train", description=__doc__)
    p.add_argument("--patches", required=True, type=Path, help="patch folder of the patches stage")
    p.add_argument(
        "--unit",
        required=True,
        nargs="+",
        help="training unit(s), e.g. all, or stdo-k4-c0 ... stdo-k4-c3: several are trained one after "
        "another in this process (one --out-model and --out-log each)",
    )
    p.add_argument(
        "--epochs",
        required=True,
        type=float,
        help="passes over the unit's budget of patches (see stdo.methods)",
    )
    p.add_argument("--partition", type=Path, default=None, help="chunks.npy for STDO/JSTDO units")
    p.add_argument(
        "--partitions",
        type=json.loads,
        default=None,
        help='chunks.npy of each k (JSON object {"k": path}), for units of several partitions',
    )
    p.add_argument(
        "--proportions",
        type=json.loads,
        default=None,
        help="JSTDO sampling proportions: a JSON list, or an object {unit: list} for several units",
    )
    p.add_argument("--init", type=Path, default=None, help="initialise from this stdo model file")
    p.add_argument(
        "--cafm",
        type=json.loads,
        default=None,
        help="CaFM's kernel_size and placement (JSON object; config cafm)",
    )
    p.add_argument("--out-model", required=True, nargs="+", type=Path)
    p.add_argument("--out-log", required=True, nargs="+", type=Path)
    add_common_args(p)
    args = p.parse_args(argv)
    if not len(args.unit) == len(args.out_model) == len(args.out_log):
        p.error(
            f"{len(args.unit)} --unit for {len(args.out_model)} --out-model and {len(args.out_log)} --out-log"
        )
    # several units (a train_stdo_k<k> job): each keeps its last step's checkpoint until all are
    # written, for Snakemake deletes every output of a job that fails, the finished models too; a
    # rerun then writes those again from their checkpoints instead of training them again
    keep = len(args.unit) > 1
    with io.stage_errors("train"):
        runtime.set_threads(args.threads)
        for unit, out_model, out_log in zip(args.unit, args.out_model, args.out_log, strict=True):
            partition, proportions = unit_inputs(unit, args.partition, args.partitions, args.proportions)
            run_training(
                patches=args.patches,
                backbone=args.backbone,
                backbone_kwargs=args.backbone_kwargs,
                scale=args.scale,
                unit=unit,
                epochs=args.epochs,
                settings=args.settings,
                out_model=out_model,
                out_log=out_log,
                partition=partition,
                proportions=proportions,
                device=args.device,
                init=args.init,
                progress=not args.no_progress,
                cafm_settings=args.cafm,
                keep_checkpoint=keep,
            )
        for out_model in args.out_model if keep else ():
            (out_model.parent / CHECKPOINT_NAME).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
