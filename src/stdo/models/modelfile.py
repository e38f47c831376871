"""Model files: weights with what is needed to rebuild the model (no pickled classes).

One of the three kinds of saved state: a *model file* (this module), a trainer's *resume
state* (:mod:`stdo.sr.train`) and *imported weights* from other code (:mod:`stdo.models.weights`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from stdo.core import io
from stdo.core.errors import StdoError
from stdo.models import build_model

MODEL_FORMAT = "stdo-model/1"


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
        raise StdoError(f"{path}: not a readable model file ({e})") from e
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise StdoError(f"{path}: not an stdo model file (expected format {MODEL_FORMAT})")
    model = rebuild(payload, payload["state_dict"], str(path), "delete the file and rerun to retrain it")
    return model.to(device).eval(), payload


def rebuild(record: dict[str, Any], state: dict[str, torch.Tensor], what: str, remedy: str) -> nn.Module:
    """The model a record (``backbone``, ``scale``, ``kwargs``, ``extra``: a model file's, or a
    delta's header, :mod:`stdo.delivery.delta`) describes, with the weights ``state``; weights
    that do not fit are a :class:`StdoError` naming ``what`` and the ``remedy``."""
    model = build_model(record["backbone"], scale=record["scale"], **record["kwargs"])
    from stdo.models import cafm

    model = cafm.from_record(model, record.get("extra", {}))
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise StdoError(
            f"{what}: its weights do not fit the {record['backbone']} model this version builds "
            f"({str(e).splitlines()[0]}); {remedy}"
        ) from None
    return model
