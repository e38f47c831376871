"""Fused training: same-shape models take their optimiser steps together, in one process.

Models of one backbone, constructor arguments, step count and batch size (STDO's chunk models
of one k, NAS's segments, awDNN and JSTDO of one cell, every seed of each) train as one stacked
model: :func:`torch.func.stack_module_state` stacks their weights, and ``vmap`` over
``grad_and_value`` of :func:`torch.func.functional_call` gives every model the loss and the
gradient of its own batch in one pass (a batched convolution is a grouped one), as HFTA
(Horizontally Fused Training Array, MLSys 2021) fuses them by hand. Weight norm is the
``torch.nn.utils.parametrizations`` form (WDSR's): the stacked step computes ``g * v / |v|``
explicitly, for ``torch._weight_norm`` has no batching rule.

Each member stays itself:

* its batches: :func:`stdo.sr.loop.batch_patch_ids` of its own seed and indices at every step,
  the function the one-model loop draws from;
* its initial weights, learning-rate schedule and Adam state: one :class:`stdo.core.optim.Adam`
  over the stacked weights (``foreach``: a few kernel launches per step whatever the group
  size), which is element-wise, so each member's slice is updated as its own Adam would update
  it (bit for bit on the CPU, given the same gradient);
* its resume state: a resume state in its own folder, in the one-model loop's format (either loop
  resumes the other's); members killed at different steps resume as groups of equal step;
* its outputs: the caller writes each member's files as for a model trained alone.

What is not bit for bit: the batched convolution sums in another order than a lone one, so
gradients differ by float rounding (about 1e-7 relative) and weights drift apart as Adam
amplifies it; ``tests/train/test_fused.py`` states the tolerance. Not fused: CaFM units (their
per-sample modulation is module state set per batch), and float16 autocast (its loss scaler
skips a step for every member when one overflows); they train alone, one after another.
``fuse: auto`` fuses on CUDA only: on a CPU a fused step costs about what the members' steps
cost one after another (measured 0.5 to 1.3 times), and the one-model loop is exact.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad_and_value, stack_module_state, vmap
from torch.nn.utils import parametrizations

from stdo.core.errors import StdoError
from stdo.core.optim import Adam
from stdo.core.progress import bar as progress_bar
from stdo.models.cafm import CaFM
from stdo.sr.loop import (
    FUSE_MODES,
    TrainSettings,
    _as_is,
    _Batches,
    amp_dtype,
    block_ids,
    ids_to,
    make_scheduler,
    read_resume_state,
    resident_arrays,
    save_resume_state,
    tf32_mode,
)

__all__ = ["FUSE_MODES", "Member", "active", "fusion_key", "groups", "train_group"]
ID_BLOCK = 256  # steps whose patch ids cross to the device in one copy


def active(mode: Any, device: torch.device) -> bool:
    """Whether setting ``fuse`` (auto | off | on; YAML's booleans as off/on) fuses on ``device``."""
    mode = {False: "off", True: "on"}.get(mode, mode)
    if mode not in FUSE_MODES:
        raise StdoError(f"train.fuse is {mode!r}; use one of {', '.join(FUSE_MODES)}")
    return mode == "on" or (mode == "auto" and torch.device(device).type == "cuda")


@dataclass
class Member:
    """One model of a fused group: its model (initial weights), patches, settings, and the
    resume state of its own (``fingerprint`` as :func:`stdo.sr.train.train_model`'s)."""

    model: nn.Module
    indices: np.ndarray
    settings: TrainSettings
    arch: Hashable = None  # what builds the model (backbone, kwargs, scale): members share it
    fusable: bool = True  # False: trains alone (CaFM's per-batch modulation)
    resume_state: Path | None = None
    fingerprint: str = ""
    fingerprint_parts: Mapping[str, Any] | None = field(default=None)


def fusion_key(m: Member) -> Hashable | None:
    """What members must share to train together: architecture, parameter shapes and every
    setting but the seed (steps and batch size among them); None when ``m`` trains alone."""
    if not m.fusable or m.settings.amp == "fp16" or isinstance(m.model, CaFM):
        return None
    shapes = tuple(
        (n, tuple(t.shape), t.dtype) for n, t in [*m.model.named_parameters(), *m.model.named_buffers()]
    )
    s = {k: v for k, v in vars(m.settings).items() if k != "seed"}
    return (m.arch, type(m.model).__qualname__, shapes, tuple(sorted(s.items())))


def groups(members: Sequence[Member]) -> list[list[int]]:
    """Positions of ``members`` grouped for training: members of one :func:`fusion_key`
    together (in order of first appearance), the others alone."""
    out: dict[Any, list[int]] = {}
    for i, m in enumerate(members):
        key = fusion_key(m)
        out.setdefault(("alone", i) if key is None else key, []).append(i)
    return sorted(out.values(), key=lambda g: g[0])


class _StackableWeightNorm(nn.Module):
    """``torch.nn.utils.parametrizations.weight_norm``'s ``g * v / |v|`` (norm over every dim
    but ``dim``) in ops that ``vmap`` batches."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, weight_g: torch.Tensor, weight_v: torch.Tensor) -> torch.Tensor:
        dims = [d for d in range(weight_v.dim()) if d != self.dim % weight_v.dim()]
        return weight_v * (weight_g / torch.linalg.vector_norm(weight_v, dim=dims, keepdim=True))


def template(model: nn.Module) -> nn.Module:
    """A weightless copy of ``model`` for :func:`torch.func.functional_call` (on the meta
    device), its weight-norm parametrizations in batchable form (:class:`_StackableWeightNorm`)."""
    t = copy.deepcopy(model)
    for mod in t.modules():
        plists = getattr(mod, "parametrizations", None)
        for plist in plists.values() if plists is not None else ():
            for i, p in enumerate(plist):
                if isinstance(p, parametrizations._WeightNorm):
                    plist[i] = _StackableWeightNorm(p.dim)
    return t.to("meta")


def _step_function(base: nn.Module, dtype: torch.dtype | None, device: torch.device, compile: bool):
    """``(weights, buffers, x, y) -> (gradients, losses)`` of every member at once: its L1 loss on
    the 0..1 scale, as the one-model loop's, and its gradient."""

    def loss_of(p, b, x, y):
        with torch.autocast(device.type, dtype=dtype or torch.float16, enabled=dtype is not None):
            return F.l1_loss(functional_call(base, (p, b), (x,)) / 255.0, y / 255.0)

    fn = vmap(grad_and_value(loss_of))
    if compile:
        fn = torch.compile(fn, mode="reduce-overhead")
    return fn


def _member_optimizer_state(opt: Adam, i: int) -> dict[str, Any]:
    """Member ``i``'s slice of the stacked Adam state, as its own Adam's ``state_dict``."""
    state = {}
    for j, p in enumerate(opt.params):
        st = opt.state.get(p)
        if st is not None:
            state[j] = {
                "step": st["step"],
                "exp_avg": st["exp_avg"][i].clone(),
                "exp_avg_sq": st["exp_avg_sq"][i].clone(),
            }
    group = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
    return {"state": state, "group": group, "n_params": len(opt.params)}


def _load_optimizer_states(opt: Adam, states: list[dict[str, Any]]) -> None:
    """Stack the members' Adam ``state_dict`` s (one step count) into ``opt``."""
    for sd in states:
        if sd["n_params"] != len(opt.params):
            raise StdoError(
                f"optimizer state for {sd['n_params']} parameters, the model has {len(opt.params)}"
            )
    opt.param_groups[0].update(states[0]["group"])
    opt.state = {}
    for j, p in enumerate(opt.params):
        per = [{int(k): v for k, v in sd["state"].items()}.get(j) for sd in states]
        if all(s is None for s in per):
            continue
        have = [s for s in per if s is not None]
        steps = {s["step"] for s in have}
        if len(have) != len(per) or len(steps) != 1:
            raise StdoError("members resumed at one step have Adam states of different steps")
        opt.state[p] = {
            "step": steps.pop(),
            "exp_avg": torch.stack([s["exp_avg"] for s in have]).to(p.device),
            "exp_avg_sq": torch.stack([s["exp_avg_sq"] for s in have]).to(p.device),
        }


class _GroupBatches(torch.utils.data.Dataset):
    """Step ``i``'s batches of every member (each :class:`stdo.sr.loop._Batches`'), stacked:
    ``(ids [G, B], lr [G, B, h, w, 3], hr [G, B, H, W, 3])``."""

    def __init__(self, runs: list[_Batches]):
        self.runs = runs

    def __len__(self) -> int:
        return len(self.runs[0])

    def __getitem__(self, i: int):
        parts = [r[i] for r in self.runs]
        return tuple(np.stack([p[k] for p in parts]) for k in range(3))


def _host_batches(members: list[Member], lr, hr, start: int, device: torch.device):
    s = members[0].settings
    loader = torch.utils.data.DataLoader(
        _GroupBatches([_Batches(lr, hr, m.indices, m.settings, start) for m in members]),
        batch_size=None,
        shuffle=False,
        num_workers=s.workers,
        pin_memory=device.type == "cuda",
        collate_fn=_as_is,
    )
    for _, a, b in loader:
        x = torch.from_numpy(a).to(device, non_blocking=True).permute(0, 1, 4, 2, 3).float()
        y = torch.from_numpy(b).to(device, non_blocking=True).permute(0, 1, 4, 2, 3).float()
        yield x, y


def _device_batches(members: list[Member], data, start: int):
    settings = [m.settings for m in members]
    indices = [m.indices for m in members]
    caches: list[dict] = [{} for _ in members]
    steps = settings[0].steps
    for a in range(start, steps, ID_BLOCK):
        dev = ids_to(block_ids(a, min(ID_BLOCK, steps - a), settings, indices, caches), data.device)
        for i in range(dev.shape[0]):
            yield data.gather(dev[i])


def train_group(
    members: Sequence[Member],
    lr: np.ndarray,
    hr: np.ndarray,
    *,
    device: torch.device | str = "cpu",
    progress: bool = True,
    keep_final: bool = False,
    on_step: Callable[[int], None] | None = None,
) -> list[list[dict[str, float]]]:
    """Train ``members`` (one :func:`fusion_key`) together in place on their patches of
    ``lr``/``hr``; returns each member's loss log, as :func:`stdo.sr.train.train_model` returns
    its. Each resumes from its own resume state; members whose resume states are at different steps
    (killed between two members' resume state writes) train as one group per resume step.
    ``on_step(steps_done)`` runs after every step (benchmarks time the steps with it)."""
    device = torch.device(device)
    members = list(members)
    keys = {fusion_key(m) for m in members}
    if None in keys or len(keys) != 1:
        raise StdoError("train_group: these models cannot train together (see stdo.sr.fused.fusion_key)")
    for m in members:
        m.indices = np.asarray(m.indices, dtype=np.int64)
        if m.indices.size == 0:
            raise StdoError("no patches selected for training")
    steps = members[0].settings.steps
    states = [read_resume_state(m.resume_state, m.fingerprint, m.fingerprint_parts, steps) for m in members]
    starts = [int(st["step"]) if st else 0 for st in states]
    logs: list[list[dict[str, float]]] = [[] for _ in members]
    with tf32_mode(members[0].settings.tf32):
        for start in sorted(set(starts)):
            idx = [i for i, s in enumerate(starts) if s == start]
            if len(idx) < len(members):
                print(f"{len(idx)} of {len(members)} models resume at step {start}/{steps}", flush=True)
            out = _train_stacked(
                [members[i] for i in idx],
                [states[i] for i in idx],
                start,
                lr,
                hr,
                device,
                progress,
                keep_final,
                on_step,
            )
            for i, log in zip(idx, out, strict=True):
                logs[i] = log
    return logs


def _train_stacked(
    members: list[Member],
    states: list[dict[str, Any] | None],
    start: int,
    lr: np.ndarray,
    hr: np.ndarray,
    device: torch.device,
    progress: bool,
    keep_final: bool,
    on_step: Callable[[int], None] | None = None,
) -> list[list[dict[str, float]]]:
    """Train members that all start at step ``start`` (their resume ``states``, or None) as one
    stacked model to the end."""
    s = members[0].settings
    models = [m.model.to(device).train() for m in members]
    for model, st in zip(models, states, strict=True):
        if st is not None:
            model.load_state_dict(st["model"])
    weights, buffers = stack_module_state(models)
    names = list(weights)
    opt = Adam([weights[n] for n in names], lr=s.lr, betas=s.betas, eps=s.eps, foreach=True)
    sched = make_scheduler(opt, s)
    logs = [list(st["log"]) if st else [] for st in states]
    windows = [list(st["window"]) if st else [] for st in states]
    if start:
        resumed = [st for st in states if st is not None]
        assert len(resumed) == len(states)  # a group resumes at one step, every member from its state
        _load_optimizer_states(opt, [st["optimizer"] for st in resumed])
        sched.load_state_dict(resumed[0]["scheduler"])
    scaler_state = torch.amp.GradScaler("cuda", enabled=False).state_dict()  # no loss scaling when fused
    log_every = s.log_every or max(1, s.steps // 200)
    dtype = amp_dtype(s, device)
    compiled = s.compile and device.type == "cuda"
    step_fn = _step_function(template(models[0]), dtype, device, compiled)
    frozen = {n: w.detach() for n, w in weights.items()}  # aliases of the weights Adam updates
    pending: list[torch.Tensor] = []  # losses [G] of steps not yet in the windows (one sync per row)

    def flush() -> None:
        if pending:
            rows = torch.stack(pending).cpu().tolist()
            for w, col in zip(windows, zip(*rows, strict=True), strict=True):
                w.extend(col)
            pending.clear()

    def unstack() -> None:
        with torch.no_grad():
            for i, model in enumerate(models):
                own = dict(model.named_parameters())
                for n in names:
                    own[n].copy_(weights[n][i])

    data = None
    if start < s.steps:
        union = np.unique(np.concatenate([m.indices for m in members]))
        data = resident_arrays(lr, hr, union, device, s.resident)
    batches = (
        _host_batches(members, lr, hr, start, device)
        if data is None
        else _device_batches(members, data, start)
    )
    bar = progress_bar(
        total=s.steps, initial=start, desc=f"train x{len(members)}", unit="step", disable=not progress
    )
    for step, (x, y) in enumerate(batches, start):
        if compiled and hasattr(torch.compiler, "cudagraph_mark_step_begin"):
            torch.compiler.cudagraph_mark_step_begin()  # the last step's outputs are used up
        grads, losses = step_fn(frozen, buffers, x, y)
        for n in names:
            weights[n].grad = grads[n]
        opt.step()
        opt.zero_grad(set_to_none=True)
        sched.step()
        pending.append(losses.detach().float().clone())
        done = step + 1
        if done % log_every == 0 or done == s.steps:
            flush()
            for log, w in zip(logs, windows, strict=True):
                log.append({"step": done, "loss": float(np.mean(w)), "lr": opt.param_groups[0]["lr"]})
                w.clear()
            bar.set_postfix(loss=f"{np.mean([log[-1]['loss'] for log in logs]):.4f}", refresh=False)
        bar.update(1)
        due = keep_final if done == s.steps else done % s.checkpoint_every == 0
        if due and any(m.resume_state is not None for m in members):
            flush()
            unstack()
            for i, (m, model) in enumerate(zip(members, models, strict=True)):
                if m.resume_state is None:
                    continue
                save_resume_state(
                    m.resume_state,
                    {
                        "fingerprint": m.fingerprint,
                        "fingerprint_parts": dict(m.fingerprint_parts or {}),
                        "step": done,
                        "model": model.state_dict(),
                        "optimizer": _member_optimizer_state(opt, i),
                        "scheduler": sched.state_dict(),
                        "scaler": scaler_state,
                        "log": logs[i],
                        "window": windows[i],
                    },
                )
        if on_step is not None:
            on_step(done)
    bar.close()
    unstack()
    for model in models:
        model.eval()
    return logs
