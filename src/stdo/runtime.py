"""Device selection, thread settings and model (de)serialisation shared by the stages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from stdo import io
from stdo.errors import StdoError
from stdo.models import build_model

MODEL_FORMAT = "stdo-model/1"


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise StdoError(f"device {name!r} requested but CUDA is not available; use device: auto or cpu")
    return torch.device(name)


def available_cpus() -> int:
    """CPUs this process may run on (affinity-aware; cgroup limits show up as affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def set_threads(threads: int | None) -> int:
    """Use ``threads`` torch threads, never more than the CPUs available (oversubscribing
    intra-op threads makes training several times slower). Returns the number used."""
    n = min(max(1, int(threads)), available_cpus()) if threads else available_cpus()
    torch.set_num_threads(n)
    return n


def save_model(
    path: str | Path,
    model: nn.Module,
    *,
    backbone: str,
    scale: int,
    kwargs: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> None:
    """Save weights with what is needed to rebuild the model (no pickled classes)."""
    payload = {
        "format": MODEL_FORMAT,
        "backbone": backbone,
        "scale": scale,
        "kwargs": kwargs,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": extra or {},
    }
    with io.atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_model(path: str | Path, device: torch.device | str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model saved by :func:`save_model`; returns it in eval mode and its record."""
    path = Path(path)
    if not path.exists():
        raise StdoError(f"{path}: model file not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - torch raises many kinds on a corrupt file
        raise StdoError(f"{path}: not a readable model checkpoint ({e})") from e
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise StdoError(f"{path}: not an stdo model file (expected format {MODEL_FORMAT})")
    model = build_model(payload["backbone"], scale=payload["scale"], **payload["kwargs"])
    from stdo import cafm

    model = cafm.from_record(model, payload.get("extra", {}))
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as e:
        raise StdoError(
            f"{path}: its weights do not fit the {payload['backbone']} model this version builds "
            f"({str(e).splitlines()[0]}); delete the file and rerun to retrain it"
        ) from None
    return model.to(device).eval(), payload
