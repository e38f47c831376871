"""What one training run is made of, shared by the one-model loop (:mod:`stdo.sr.train`) and the
fused loop (:mod:`stdo.sr.fused`): the settings, the batch order, the learning-rate schedule, the
resume state, the numeric modes (mixed precision, TF32) and where the patches are read from.

Batches are a pure function of ``(seed, step)`` (:func:`batch_patch_ids`): consecutive slices of
per-epoch permutations of the unit's patches, sorted within a batch. Both loops take their
batches from it, so a model trained alone and the same model trained in a fused group see the
same patches at every step, and a resumed run sees what an uninterrupted one would.

Patches are read from the (memory-mapped) host arrays, or from a copy of the unit's patches in
device memory (:class:`DeviceArrays`, setting ``resident``): on CUDA when they fit in half of the
free device memory (``auto``), batches are then gathered on the device and nothing crosses the
bus per step but the patch ids. The values are the same either way (uint8 to float is exact).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from stdo.core import io
from stdo.core.errors import StdoError
from stdo.core.optim import Adam, Schedule

RESUME_NAME = ".checkpoint.pt"
LOCK_NAME = ".checkpoint.lock"
SCHEDULES = ("multistep", "cosine")
AMP_MODES = (False, "fp16", "bf16")  # ``true`` is ``fp16`` (what ``amp: true`` always meant)
FUSE_MODES = ("auto", "off", "on")
RESIDENT_MODES = ("auto", "off", "on")
RESIDENT_SHARE = 0.5  # ``resident: auto`` copies the patches when they take at most this share of free memory
# settings that do not determine the weights, or only to float rounding (a run may resume under
# others of these): the fingerprint leaves them out
NOT_FINGERPRINTED = ("workers", "checkpoint_every", "fuse", "resident", "compile")


def _mode(value: Any, modes: tuple, name: str, aliases: Mapping[Any, Any]) -> Any:
    value = aliases.get(value, value) if isinstance(value, (bool, str)) else value
    if value not in modes:
        shown = ", ".join(str(m).lower() for m in modes)
        raise StdoError(f"train.{name} is {value!r}; use one of {shown}")
    return value


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings of one training run (all explicit, all recorded)."""

    steps: int
    batch_size: int = 16
    lr: float = 1e-4
    schedule: str = "multistep"  # multistep | cosine (see stdo.sr.train's docstring)
    lr_min: float = 4e-8  # cosine's floor (the authors' eta_min)
    lr_milestones: tuple[float, ...] = (0.5, 0.75)  # fractions of ``steps``
    lr_gamma: float = 0.5
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    seed: int = 0
    checkpoint_every: int = 100
    amp: bool | str = False  # False | fp16 | bf16 autocast (CUDA only); True is fp16
    workers: int = 0  # DataLoader worker processes that gather batches (0: in the training process)
    log_every: int = field(default=0)  # 0: about 200 log rows per run
    tf32: bool | None = None  # TF32 convolutions and matmuls on CUDA: None leaves PyTorch's defaults
    fuse: str = "auto"  # train same-shape units of a job together: auto (on CUDA) | off | on
    resident: str = "auto"  # patches in device memory: auto (CUDA, when they fit) | off | on
    compile: bool = False  # torch.compile(mode="reduce-overhead") of the fused step (CUDA graphs)

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise StdoError(f"training needs at least one step, got {self.steps}")
        if self.batch_size < 1:
            raise StdoError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.schedule not in SCHEDULES:
            raise StdoError(
                f"unknown learning-rate schedule {self.schedule!r}; use one of {', '.join(SCHEDULES)}"
            )
        # YAML 1.1 reads off/on as booleans: accept them as the words
        norm = {
            "amp": _mode(self.amp, AMP_MODES, "amp", {True: "fp16", "false": False, "off": False}),
            "fuse": _mode(self.fuse, FUSE_MODES, "fuse", {False: "off", True: "on"}),
            "resident": _mode(self.resident, RESIDENT_MODES, "resident", {False: "off", True: "on"}),
        }
        for k, v in norm.items():
            object.__setattr__(self, k, v)
        if self.tf32 not in (None, True, False):
            raise StdoError(f"train.tf32 is {self.tf32!r}; use true, false or null (PyTorch's defaults)")

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
        given: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in settings.items()}
        return cls(steps=steps, **given)

    def fingerprint_fields(self) -> dict[str, Any]:
        """The fields that determine the trained weights: all but :data:`NOT_FINGERPRINTED`
        (a run may resume under others of those), and ``tf32`` only when it is set (so a run
        made before the setting existed resumes under its default)."""
        out = {k: v for k, v in asdict(self).items() if k not in NOT_FINGERPRINTED}
        if out["tf32"] is None:
            del out["tf32"]
        return out


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


def batch_patch_ids(
    step: int,
    settings: TrainSettings,
    indices: np.ndarray,
    cache: dict[tuple[int, int, int], np.ndarray] | None = None,
) -> np.ndarray:
    """Patch ids of the batch at ``step`` of a run on patches ``indices``, sorted (sorted reads
    from the memory map; the order within a batch is part of what a run computes)."""
    pos = batch_ids(step, settings.batch_size, indices.size, settings.seed, cache)
    return np.sort(indices[pos])


class _Batches(torch.utils.data.Dataset):
    """Batch ``i`` of a run from ``start``: patch ids and their LR/HR arrays (a pure function
    of the step, so worker processes produce exactly the batches the main process would)."""

    def __init__(self, lr, hr, indices: np.ndarray, settings: TrainSettings, start: int):
        self.lr, self.hr, self.indices, self.settings, self.start = lr, hr, indices, settings, start
        self.cache: dict[tuple[int, int, int], np.ndarray] = {}

    def __len__(self) -> int:
        return self.settings.steps - self.start

    def __getitem__(self, i: int):
        ids = batch_patch_ids(self.start + i, self.settings, self.indices, self.cache)
        return ids, np.ascontiguousarray(self.lr[ids]), np.ascontiguousarray(self.hr[ids])


def _as_is(batch):
    """DataLoader collate function: the batch as the dataset made it (a module-level
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


# ---------------------------------------------------------------- numeric modes


def amp_dtype(settings: TrainSettings, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of a run (None: float32): ``amp`` applies on CUDA only."""
    if device.type != "cuda" or not settings.amp:
        return None
    return torch.bfloat16 if settings.amp == "bf16" else torch.float16


def tf32_flags() -> dict[str, bool]:
    """Whether CUDA convolutions (cuDNN) and matmuls may use TF32 now (PyTorch's defaults: convs
    yes, matmuls no)."""
    return {
        "conv": bool(torch.backends.cudnn.allow_tf32),
        "matmul": bool(torch.backends.cuda.matmul.allow_tf32),
    }


@contextlib.contextmanager
def tf32_mode(tf32: bool | None) -> Iterator[dict[str, bool]]:
    """Set TF32 for convolutions and matmuls to ``tf32`` (None: leave them) while inside; yields
    the flags in force (what the sidecar records)."""
    before = tf32_flags()
    if tf32 is not None:
        torch.backends.cudnn.allow_tf32 = bool(tf32)
        torch.backends.cuda.matmul.allow_tf32 = bool(tf32)
    try:
        yield tf32_flags()
    finally:
        torch.backends.cudnn.allow_tf32 = before["conv"]
        torch.backends.cuda.matmul.allow_tf32 = before["matmul"]


# ---------------------------------------------------------------- resume state

_PART_NAMES = {
    "patch_data": "other patch data (the patch arrays' content differs: another video or new patches)",
    "init_sha256": "another init file (its content differs)",
    "init": "another init file path",
    "selection": "another selection of patches",
    "grid": "another patch grid",
    "settings": "other training settings",
}


def stale_reason(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> str:
    """Why a resume state made from fingerprint parts ``old`` does not fit ``new``, in words."""
    if not old or not new:
        return "other settings or data (it records no details: an older resume state)"
    changed = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return ", ".join(_PART_NAMES.get(k, f"another {k}") for k in changed) or "other settings or data"


def read_resume_state(
    resume_state: Path | None, fingerprint: str, fingerprint_parts: Mapping[str, Any] | None, steps: int
) -> dict[str, Any] | None:
    """The resume state in ``resume_state`` when it was made by this run (same ``fingerprint``),
    else None, saying why it is ignored (unreadable, or made from other inputs)."""
    if resume_state is None or not resume_state.exists():
        return None
    try:
        state = torch.load(resume_state, map_location="cpu", weights_only=False)
    except Exception as e:  # noqa: BLE001 - a damaged file is not worth stopping for
        print(f"ignoring {resume_state}: unreadable ({e})", flush=True)
        return None
    if state and state.get("fingerprint") == fingerprint:
        print(f"resuming from {resume_state} at step {int(state['step'])}/{steps}", flush=True)
        return state
    if state:
        why = stale_reason(state.get("fingerprint_parts"), fingerprint_parts)
        print(f"ignoring {resume_state}: it was made with {why}; starting over", flush=True)
    return None


def save_resume_state(resume_state: Path, state: Mapping[str, Any]) -> None:
    """Write the resume state atomically. torch reports a full disk as "basic_ios::clear:
    iostream error" or "file write failed", naming no file: say which, and what to do."""
    try:
        with io.atomic_path(resume_state) as tmp:
            torch.save(dict(state), tmp)
    except RuntimeError as e:
        raise StdoError(
            f"{resume_state}: writing the resume state failed ({str(e).splitlines()[0]}); "
            f"{io.free_space(resume_state)}: a full disk is the usual cause. Free some space there and "
            "run again (training resumes from the last resume state written)"
        ) from e


# ---------------------------------------------------------------- patches in device memory


class DeviceArrays:
    """The uint8 LR/HR patches ``ids`` of ``lr``/``hr`` copied once to ``device`` (in slices, so
    a memory map is never read whole into host memory); :meth:`gather` makes float NCHW batches
    there, laid out as :func:`stdo.sr.infer.to_tensor` lays out a host batch."""

    SLICE = 4096  # patches per host-to-device copy

    def __init__(self, lr: np.ndarray, hr: np.ndarray, ids: np.ndarray, device: torch.device):
        ids = np.unique(np.asarray(ids, dtype=np.int64))
        self.device = device
        self.lr = torch.empty((ids.size, *lr.shape[1:]), dtype=torch.uint8, device=device)
        self.hr = torch.empty((ids.size, *hr.shape[1:]), dtype=torch.uint8, device=device)
        for a in range(0, ids.size, self.SLICE):
            part = ids[a : a + self.SLICE]
            self.lr[a : a + part.size] = torch.from_numpy(np.ascontiguousarray(lr[part]))
            self.hr[a : a + part.size] = torch.from_numpy(np.ascontiguousarray(hr[part]))
        row = np.full(len(lr), -1, dtype=np.int64)
        row[ids] = np.arange(ids.size)
        self.row = torch.from_numpy(row).to(device)  # patch id -> row of the copy

    @staticmethod
    def nbytes(lr: np.ndarray, hr: np.ndarray, ids: np.ndarray) -> int:
        n = np.unique(np.asarray(ids)).size
        return n * (int(np.prod(lr.shape[1:])) + int(np.prod(hr.shape[1:])) + 8) + len(lr) * 8

    def gather(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Float LR and HR batches of patch ids ``ids`` (a device tensor ``[..., B]``) as
        ``[..., B, 3, H, W]`` on the 0..255 scale."""
        rows = self.row[ids.reshape(-1)]
        lead = tuple(ids.shape)
        out = []
        for a in (self.lr, self.hr):
            b = a.index_select(0, rows).view(*lead, *a.shape[1:])
            out.append(b.movedim(-1, -3).float())
        return out[0], out[1]


def resident_arrays(
    lr: np.ndarray, hr: np.ndarray, ids: np.ndarray, device: torch.device, mode: str
) -> DeviceArrays | None:
    """The patches ``ids`` in ``device`` memory as setting ``resident`` says (``auto``: on CUDA
    when they take at most :data:`RESIDENT_SHARE` of its free memory; ``on``: always, in host
    memory on the CPU; ``off``: never), or None: batches are read from the host arrays."""
    if mode == "off" or (mode == "auto" and device.type != "cuda"):
        return None
    need = DeviceArrays.nbytes(lr, hr, ids)
    if mode == "auto":
        free, _ = torch.cuda.mem_get_info(device)
        if need > RESIDENT_SHARE * free:
            print(
                f"patches stay in host memory: {need / 2**30:.1f} GiB is more than "
                f"{RESIDENT_SHARE:.0%} of the {free / 2**30:.1f} GiB free on {device}",
                flush=True,
            )
            return None
    return DeviceArrays(lr, hr, ids, device)


def block_ids(
    step: int, count: int, settings: list[TrainSettings], indices: list[np.ndarray], caches: list[dict]
) -> np.ndarray:
    """Patch ids ``[count, runs, batch]`` of steps ``step..step+count-1`` of each run."""
    runs = list(zip(settings, indices, caches, strict=True))
    return np.stack(
        [np.stack([batch_patch_ids(t, s, ix, c) for s, ix, c in runs]) for t in range(step, step + count)]
    )


def ids_to(ids: np.ndarray, device: torch.device) -> torch.Tensor:
    """Patch ids on ``device`` in one copy (from pinned memory on CUDA, so that the copy does not
    wait for the device to finish its queued work)."""
    t = torch.from_numpy(ids)
    return t.pin_memory().to(device, non_blocking=True) if device.type == "cuda" else t.to(device)
