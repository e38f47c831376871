"""Overfit one SR model on a set of patches (awDNN: all patches; STDO: one chunk; ...).

L1 loss, Adam, and a learning-rate schedule: ``cosine`` (the STDO authors' trainer,
``CosineAnnealingLR(T_max=epochs, eta_min=4e-8)``; here annealed per optimiser step over the
whole run, which has the same shape) or ``multistep`` (decay by ``lr_gamma`` at
``lr_milestones``, fractions of the run). Batches are a pure function of
``(seed, step)`` (epoch-wise permutations of the unit's patches), so a run that is killed and
started again resumes from its last resume state and ends with the same weights as an
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
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from stdo import methods
from stdo.core import io, runtime
from stdo.core.errors import StdoError
from stdo.core.optim import Adam
from stdo.core.progress import bar as progress_bar
from stdo.models import build_model, modelfile
from stdo.models.cafm import CaFM
from stdo.sr import fused
from stdo.sr.infer import to_tensor
from stdo.sr.loop import (  # noqa: F401 - the trainer's names, defined with the fused loop's
    LOCK_NAME,
    RESUME_NAME,
    SCHEDULES,
    TrainSettings,
    _as_is,
    _Batches,
    amp_dtype,
    batch_ids,
    batch_patch_ids,
    block_ids,
    ids_to,
    make_scheduler,
    read_resume_state,
    resident_arrays,
    save_resume_state,
    stale_reason,
    steps_for,
    tf32_mode,
)


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
    resume_state: Path | None = None,
    fingerprint: str = "",
    fingerprint_parts: Mapping[str, Any] | None = None,
    progress: bool = True,
    conditioner: Callable[[nn.Module, np.ndarray], None] | None = None,
    keep_final: bool = False,
    on_step: Callable[[int], None] | None = None,
) -> list[dict[str, float]]:
    """Train ``model`` in place on patches ``indices`` of (memory-mapped) ``lr``/``hr``.

    Returns the loss log (one row per ``log_every`` steps). With ``resume_state`` set, state is
    saved every ``checkpoint_every`` steps and a matching resume state (same ``fingerprint``)
    is resumed from; ``fingerprint_parts`` (what the fingerprint was made of, stored with it)
    lets a mismatch say which input changed. ``conditioner(model, patch_ids)`` runs before each
    forward pass (CaFM uses it to select each patch's chunk modulation). ``keep_final`` saves the
    last step's state too, so a finished model can be written again without training. Batches
    come from the unit's patches in device memory where setting ``resident`` puts them there
    (:func:`stdo.sr.loop.resident_arrays`), else from the host arrays (``workers`` processes).
    ``on_step(steps_done)`` runs after every step (benchmarks time the steps with it).
    """
    device = torch.device(device)
    indices = np.asarray(indices, dtype=np.int64)
    if indices.size == 0:
        raise StdoError("no patches selected for training")
    model.to(device).train()
    opt = Adam(model.parameters(), lr=settings.lr, betas=settings.betas, eps=settings.eps)
    sched = make_scheduler(opt, settings)
    dtype = amp_dtype(settings, device)
    scaler = torch.amp.GradScaler("cuda", enabled=dtype == torch.float16)
    log: list[dict[str, float]] = []
    window: list[float] = []  # losses since the last log row
    start = 0
    state = read_resume_state(resume_state, fingerprint, fingerprint_parts, settings.steps)
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        log, window = state["log"], state["window"]
        start = int(state["step"])
    log_every = settings.log_every or max(1, settings.steps // 200)
    bar = progress_bar(total=settings.steps, initial=start, desc="train", unit="step", disable=not progress)
    on_device = (
        resident_arrays(lr, hr, indices, device, settings.resident) if start < settings.steps else None
    )
    if on_device is None:
        loader = torch.utils.data.DataLoader(
            _Batches(lr, hr, indices, settings, start),
            batch_size=None,
            shuffle=False,
            num_workers=settings.workers,
            pin_memory=device.type == "cuda",
            collate_fn=_as_is,
        )
        batches = ((ids, to_tensor(a, device), to_tensor(b, device)) for ids, a, b in loader)
    else:
        batches = _device_batches(on_device, indices, settings, start)
    with tf32_mode(settings.tf32):
        for step, (ids, x, y) in enumerate(batches, start):
            if conditioner is not None:
                conditioner(model, ids)
            with torch.autocast(device.type, dtype=dtype or torch.float16, enabled=dtype is not None):
                loss = F.l1_loss(model(x) / 255.0, y / 255.0)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)  # type: ignore[arg-type]  # stdo's Adam is what GradScaler uses of an Optimizer
            scaler.update()
            sched.step()
            window.append(float(loss.detach()))
            done = step + 1
            if done % log_every == 0 or done == settings.steps:
                log.append({"step": done, "loss": float(np.mean(window)), "lr": opt.param_groups[0]["lr"]})
                window.clear()
                bar.set_postfix(loss=f"{log[-1]['loss']:.4f}", refresh=False)
            bar.update(1)
            last = done == settings.steps
            due = keep_final if last else done % settings.checkpoint_every == 0
            if resume_state is not None and due:
                save_resume_state(
                    resume_state,
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
            if on_step is not None:
                on_step(done)
    bar.close()
    model.eval()
    return log


def _device_batches(data, indices: np.ndarray, settings: TrainSettings, start: int, block: int = 256):
    """``(patch ids, LR, HR)`` of every step from ``start``, gathered from the patches in device
    memory (:class:`stdo.sr.loop.DeviceArrays`); the ids of ``block`` steps cross in one copy."""
    cache: dict = {}
    for a in range(start, settings.steps, block):
        host = block_ids(a, min(block, settings.steps - a), [settings], [indices], [cache])
        dev = ids_to(host, data.device)
        for i in range(host.shape[0]):
            x, y = data.gather(dev[i, 0])
            yield host[i, 0], x, y


@contextlib.contextmanager
def unit_lock(outdir: Path):
    """Hold an advisory lock (``flock``) on a unit's resume state in ``outdir`` while it trains,
    so that two trainers (an orphan of a killed Snakemake and its rerun) never write one
    resume state: the second stops, naming the first."""
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
    resume_state: Path | None = None,
) -> None:
    """Write a trained model's outputs: the loss log as CSV, the model file (see
    :func:`stdo.models.modelfile.save_model`, with ``extra`` in its record), a provenance sidecar for
    each (``stage``, ``params``, ``inputs``, ``seed``), and last remove the resume
    ``resume_state``, so a run killed before the end still resumes instead of starting over."""
    io.write_csv(out_log, pd.DataFrame(log))
    modelfile.save_model(out_model, model, backbone=backbone, scale=scale, kwargs=kwargs, extra=extra)
    for out in (out_model, out_log):
        io.write_sidecar(out, stage=stage, params=params, inputs=inputs, seed=seed)
    if resume_state is not None and resume_state.exists():
        resume_state.unlink()


def run_training(**kwargs: Any) -> None:
    """Train the model of one training unit (see :mod:`stdo.methods`) and write its outputs,
    holding the unit's lock (:func:`unit_lock`) throughout. Arguments: :func:`_run_training`'s."""
    with unit_lock(Path(kwargs["out_model"]).parent):
        _run_training(**kwargs)


@dataclass
class PreparedUnit:
    """One training unit ready to train: its model (initial weights), patches, settings, resume
    fingerprint and what its outputs record (:func:`prepare_unit`)."""

    unit: str
    model: nn.Module
    lr: np.ndarray
    hr: np.ndarray
    selection: np.ndarray
    settings: TrainSettings
    device: torch.device
    fingerprint: str
    fingerprint_parts: dict[str, Any]
    extra: dict[str, Any]
    params: dict[str, Any]
    inputs: list[Path]
    out_model: Path
    out_log: Path
    resume_state: Path
    keep_resume_state: bool
    conditioner: Callable[[nn.Module, np.ndarray], None] | None = None
    write: dict[str, Any] = field(default_factory=dict)  # backbone, scale, kwargs of the model file

    def member(self, arch: Any) -> fused.Member:
        """This unit as a member of a fused group (:mod:`stdo.sr.fused`)."""
        return fused.Member(
            model=self.model,
            indices=self.selection,
            settings=self.settings,
            arch=arch,
            fusable=self.conditioner is None,
            resume_state=self.resume_state,
            fingerprint=self.fingerprint,
            fingerprint_parts=self.fingerprint_parts,
        )


def prepare_unit(
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
    cafm_settings: dict[str, Any] | None = None,
    keep_resume_state: bool = False,
) -> PreparedUnit:
    """Build one training unit's model (its seed's initial weights, or ``init``'s), selection,
    settings and fingerprint, as :func:`_run_training` trains it (arguments: its)."""
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
        patch_segment = torch.from_numpy(methods.patch_time_segments(index, cafm_segments))

        def conditioner(m: nn.Module, ids: np.ndarray) -> None:
            assert isinstance(m, CaFM)
            m.set_segment(patch_segment[torch.from_numpy(ids)].to(dev))

    # what a resume state must share to be resumed: the content of every input, not only its name
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
    } | ({"cafm": model.record()} if isinstance(model, CaFM) else {})
    fingerprint = io.sha256_json(fingerprint_parts)
    extra = {"unit": unit, "patches": int(sel.size), "steps": steps}
    if isinstance(model, CaFM):  # (the model file's key says chunk for a time segment)
        extra |= model.record() | {"cafm_params_per_chunk": model.parameters_per_segment()}
    print(
        f"unit {unit}: {sel.size} of {len(index)} patches, {steps} steps of batch {ts.batch_size} on {dev}",
        flush=True,
    )
    params = {
        "backbone": backbone,
        "backbone_kwargs": backbone_kwargs,
        "scale": scale,
        "unit": unit,
        "epochs": epochs,
        "budget_patches": budget,
        "settings": asdict(ts),
        "device": str(dev),
    }
    return PreparedUnit(
        unit=unit,
        model=model,
        lr=lr,
        hr=hr,
        selection=sel,
        settings=ts,
        device=dev,
        fingerprint=fingerprint,
        fingerprint_parts=fingerprint_parts,
        extra=extra,
        params=params,
        inputs=[patches / "index.csv"] + ([partition] if partition else []),
        out_model=out_model,
        out_log=out_log,
        resume_state=out_model.parent / RESUME_NAME,
        keep_resume_state=keep_resume_state,
        conditioner=conditioner,
        write={"backbone": backbone, "scale": scale, "kwargs": backbone_kwargs},
    )


def train_unit(u: PreparedUnit, progress: bool = True) -> list[dict[str, float]]:
    """Train a prepared unit alone (:func:`train_model`, resuming from its resume state)."""
    return train_model(
        u.model,
        u.lr,
        u.hr,
        u.selection,
        u.settings,
        device=u.device,
        resume_state=u.resume_state,
        fingerprint=u.fingerprint,
        fingerprint_parts=u.fingerprint_parts,
        progress=progress,
        conditioner=u.conditioner,
        keep_final=u.keep_resume_state,
    )


def finish_unit(
    u: PreparedUnit,
    log: list[dict[str, float]],
    seconds: float,
    tf32: Mapping[str, bool] | None = None,
    group: Mapping[str, Any] | None = None,
) -> None:
    """Write a trained unit's outputs (:func:`write_outputs`); ``seconds`` its training time (a
    fused member's share of its group's), ``tf32`` the flags it trained under, ``group`` its
    fused group (recorded in the sidecar)."""
    params = u.params | {"train_seconds": seconds}
    if tf32 is not None:
        params["tf32"] = dict(tf32)
    if group is not None:
        params["fused"] = dict(group)
    write_outputs(
        u.model,
        log,
        out_model=u.out_model,
        out_log=u.out_log,
        **u.write,
        extra=u.extra | {"train_seconds": seconds},
        stage="train",
        params=params,
        inputs=u.inputs,
        seed=u.settings.seed,
        resume_state=None if u.keep_resume_state else u.resume_state,
    )


def summary_line(
    u: PreparedUnit, log: Sequence[Mapping[str, float]], seconds: float, together: int = 1
) -> str:
    """The one line a finished unit prints (to stdout: the job's log): its unit and seed, steps,
    final loss (the last log row's mean L1), wall time and rate; ``together``: the models of its
    fused group, which shared ``seconds``."""
    steps, batch = u.settings.steps, u.settings.batch_size
    loss = f"{log[-1]['loss']:.4f}" if log else "n/a"
    rate = steps * batch * together / max(seconds, 1e-9)
    group = f", with {together - 1} other model{'s' if together > 2 else ''}" if together > 1 else ""
    return (
        f"trained {u.unit} (seed {u.settings.seed}): {steps} steps of batch {batch}, final loss {loss}, "
        f"{seconds:.1f} s{group} ({rate:.1f} patches/s)"
    )


def _run_training(*, progress: bool = True, **kwargs: Any) -> None:
    """Train the model of one training unit (see :mod:`stdo.methods`) and write its outputs.
    Arguments: :func:`prepare_unit`'s; ``cafm_settings``: :class:`stdo.models.cafm.CaFM`'s
    ``kernel_size`` and ``placement`` for a CaFM unit (config ``cafm``; its defaults when absent)."""
    u = prepare_unit(**kwargs)
    t0 = time.perf_counter()
    with tf32_mode(u.settings.tf32) as tf32:
        log = train_unit(u, progress)
    seconds = time.perf_counter() - t0
    finish_unit(u, log, seconds, tf32=tf32)
    print(summary_line(u, log, seconds), flush=True)


def _run_fused_job(jobs: list[dict[str, Any]], progress: bool) -> None:
    """Train a job's units, those that can be fused (:func:`stdo.sr.fused.groups`) together, and
    write each unit's outputs as :func:`_run_training` would; each group holds its members' locks
    (:func:`unit_lock`) while it trains and writes."""
    units = [prepare_unit(**kw) for kw in jobs]
    arch = [
        (str(kw["patches"]), kw["backbone"], json.dumps(kw["backbone_kwargs"], sort_keys=True), kw["scale"])
        for kw in jobs
    ]
    for idx in fused.groups([u.member(a) for u, a in zip(units, arch, strict=True)]):
        members = [units[i] for i in idx]
        with contextlib.ExitStack() as locks:
            for u in members:
                locks.enter_context(unit_lock(u.out_model.parent))
            t0 = time.perf_counter()
            with tf32_mode(members[0].settings.tf32) as tf32:
                if len(members) == 1:
                    logs = [train_unit(members[0], progress)]
                else:
                    names = [f"{u.unit} (seed {u.settings.seed})" for u in members]
                    print(f"training {len(members)} models together: {', '.join(names)}", flush=True)
                    logs = fused.train_group(
                        [u.member(a) for u, a in zip(members, [arch[i] for i in idx], strict=True)],
                        members[0].lr,
                        members[0].hr,
                        device=members[0].device,
                        progress=progress,
                        keep_final=members[0].keep_resume_state,
                    )
            seconds = time.perf_counter() - t0
            group = None
            if len(members) > 1:
                group = {
                    "members": [{"unit": u.unit, "seed": u.settings.seed} for u in members],
                    "group_seconds": seconds,
                    "share": "train_seconds is group_seconds / the members",
                }
            for u, log in zip(members, logs, strict=True):
                finish_unit(u, log, seconds / len(members), tf32=tf32, group=group)
                print(summary_line(u, log, seconds, together=len(members)), flush=True)


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
        "another in this process, or together where train.fuse says so (one --out-model and --out-log "
        "each; a unit may be named once per seed, see --seed)",
    )
    p.add_argument(
        "--seed",
        type=int,
        nargs="+",
        default=None,
        help="the seed of each --unit (one per unit; default: the seed in --settings for every unit)",
    )
    p.add_argument(
        "--fuse",
        choices=fused.FUSE_MODES,
        default=None,
        help="train the units that can be fused together: auto (on CUDA), off (one after another), on "
        "(the CPU too); default: --settings' fuse, else auto",
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
    if args.seed is not None and len(args.seed) not in (1, len(args.unit)):
        p.error(f"{len(args.seed)} --seed for {len(args.unit)} --unit: give one, or one per unit")
    seeds = [None] * len(args.unit) if args.seed is None else args.seed * (len(args.unit) // len(args.seed))
    # several units (a train_stdo_k<k> job): each keeps its last step's resume state until all are
    # written, for Snakemake deletes every output of a job that fails, the finished models too; a
    # rerun then writes those again from their resume states instead of training them again
    keep = len(args.unit) > 1
    with io.stage_errors("train"):
        runtime.set_threads(args.threads)
        jobs = []
        for unit, seed, out_model, out_log in zip(
            args.unit, seeds, args.out_model, args.out_log, strict=True
        ):
            partition, proportions = unit_inputs(unit, args.partition, args.partitions, args.proportions)
            settings = args.settings if seed is None else {**args.settings, "seed": seed}
            if args.fuse is not None:
                settings = {**settings, "fuse": args.fuse}  # recorded as it was in force
            jobs.append(
                dict(
                    patches=args.patches,
                    backbone=args.backbone,
                    backbone_kwargs=args.backbone_kwargs,
                    scale=args.scale,
                    unit=unit,
                    epochs=args.epochs,
                    settings=settings,
                    out_model=out_model,
                    out_log=out_log,
                    partition=partition,
                    proportions=proportions,
                    device=args.device,
                    init=args.init,
                    cafm_settings=args.cafm,
                    keep_resume_state=keep,
                )
            )
        mode = args.fuse or args.settings.get("fuse", "auto")
        if len(jobs) > 1 and fused.active(mode, runtime.resolve_device(args.device)):
            _run_fused_job(jobs, progress=not args.no_progress)
        else:
            for kw in jobs:
                run_training(**kw, progress=not args.no_progress)
        for out_model in args.out_model if keep else ():
            (out_model.parent / RESUME_NAME).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
