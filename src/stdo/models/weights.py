"""Imported weights: another code base's checkpoint file made an stdo model file.

Of the three kinds of saved weights (:mod:`stdo.models.modelfile`) these are the *imported
weights*; the config names their files ``pretrain.checkpoints`` and the stage is ``stdo
checkpoints``, after what other code bases call them.

Accepted payloads: an stdo model file; a dict holding ``model_state_dict`` (the STDO authors'
``trainer.py`` saves ``{model_state_dict, optimizer_state_dict, lr_scheduler_state_dict,
epoch}``), ``state_dict`` or ``model``; or a bare state dict. Keys lose a ``module.`` prefix
(DataParallel) and old-style weight norm (``weight_g``/``weight_v``) becomes the
parametrization names PyTorch uses now.

Layout adapters map another implementation's module names onto ours. ``wdsr``: the STDO
authors' WDSR (``models/wdsr.py`` of coulsonlee/STDO-CVPR2023) keeps head, blocks and tail in
one ``body`` sequence and works on 0..1 images with mean 0.5; it is rebuilt here as our WDSR with
``mean=(0.5, 0.5, 0.5), norm=255``, which computes the same function on 0..255 images.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from stdo.core import io
from stdo.core.errors import StdoError
from stdo.models import build_model, modelfile

Adapter = Callable[[dict[str, torch.Tensor]], tuple[dict[str, torch.Tensor], dict[str, Any]] | None]


def unwrap(payload: Any, where: str = "imported weights") -> dict[str, torch.Tensor]:
    """The state dict inside an imported file's payload, with DataParallel and weight-norm keys fixed."""
    if isinstance(payload, dict):
        for key in ("model_state_dict", "state_dict", "model"):
            if key in payload and isinstance(payload[key], dict):
                payload = payload[key]
                break
    if (
        not isinstance(payload, dict)
        or not payload
        or not all(isinstance(v, torch.Tensor) for v in payload.values())
    ):
        raise StdoError(
            f"{where}: holds no state dict (expected a dict of tensors, or one under model_state_dict, "
            "state_dict or model)"
        )
    out = {}
    for k, v in payload.items():
        k = k.removeprefix("module.")
        k = re.sub(r"\.weight_g$", ".parametrizations.weight.original0", k)
        k = re.sub(r"\.weight_v$", ".parametrizations.weight.original1", k)
        out[k] = v
    return out


def _wdsr_authors(sd: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, Any]] | None:
    """STDO authors' WDSR: body.0 head, body.1..n blocks, body.n+1 tail, skip.0, no head/tail."""
    if any(k.startswith(("head.", "tail.")) for k in sd) or "skip.0.bias" not in sd:
        return None
    blocks = sorted({int(m.group(1)) for k in sd if (m := re.match(r"body\.(\d+)\.body\.", k))})
    if not blocks or blocks != list(range(1, len(blocks) + 1)):
        return None
    n = len(blocks)
    out = {}
    for k, v in sd.items():
        m = re.match(r"body\.(\d+)\.(.*)", k)
        if not m:
            out[k] = v
            continue
        i, rest = int(m.group(1)), m.group(2)
        if i == 0:
            out[f"head.0.{rest}"] = v
        elif i == n + 1:
            out[f"tail.0.{rest}"] = v
        else:
            out[f"body.{i - 1}.{rest}"] = v
    feats = sd["body.0.bias"].numel()
    expansion = sd["body.1.body.0.bias"].numel() // feats
    kwargs = {"n_resblocks": n, "n_feats": feats, "expansion": expansion, "mean": [0.5] * 3, "norm": 255.0}
    return out, kwargs


ADAPTERS: dict[str, list[Adapter]] = {"wdsr": [_wdsr_authors]}


def load_into(
    sd: dict[str, torch.Tensor], backbone: str, scale: int, kwargs: dict[str, Any], where: str
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Build ``backbone`` and load ``sd`` into it (directly or through a layout adapter).

    Returns the model and the constructor kwargs it was built with. Buffers the imported weights lack
    (a fixed RGB mean) keep the constructor's values; missing or extra parameters are an error."""
    attempts = [(sd, dict(kwargs))]
    for adapter in ADAPTERS.get(backbone, []):
        adapted = adapter(sd)
        if adapted is not None:
            attempts.insert(0, (adapted[0], {**adapted[1], **kwargs}))
    problems = []
    for state, kw in attempts:
        model = build_model(backbone, scale=scale, **kw)
        own = model.state_dict()
        buffers = {name for name, _ in model.named_buffers()}
        missing = sorted(set(own) - set(state) - buffers)
        unexpected = sorted(set(state) - set(own))
        shapes = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
        if not (missing or unexpected or shapes):
            model.load_state_dict({**own, **state})
            return model.eval(), kw
        problems.append(f"missing {missing[:3]}, unexpected {unexpected[:3]}, wrong shape {shapes[:3]}")
    raise StdoError(
        f"{where}: its weights do not fit a x{scale} {backbone} with kwargs {kwargs} ("
        + "; ".join(problems)
        + "). Check pretrain.backbone, pretrain.kwargs and the scale the imported weights were trained for"
    )


def import_weights(
    path: Path, out: Path, *, backbone: str, scale: int, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Write the weights of ``path`` (any payload of the module docstring) as a model file
    ``out`` of ``backbone`` at ``scale``; returns what the model was built with."""
    if not path.exists():
        raise StdoError(f"{path}: weights file not found (pretrain.checkpoints in the config)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - torch raises many kinds on a corrupt or unsafe file
        raise StdoError(f"{path}: not a readable PyTorch checkpoint ({str(e).splitlines()[0]})") from e
    if isinstance(payload, dict) and payload.get("format") == modelfile.MODEL_FORMAT:
        if (payload["backbone"], int(payload["scale"])) != (backbone, scale):
            raise StdoError(
                f"{path}: an stdo x{payload['scale']} {payload['backbone']} model, "
                f"but x{scale} {backbone} is configured"
            )
        model, record = modelfile.load_model(path)
        kw = record["kwargs"]
    else:
        model, kw = load_into(unwrap(payload, str(path)), backbone, scale, kwargs, str(path))
    modelfile.save_model(
        out, model, backbone=backbone, scale=scale, kwargs=kw, extra={"imported_from": str(path)}
    )
    return {"backbone": backbone, "scale": scale, "kwargs": kw}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo checkpoints", description=__doc__)
    p.add_argument("--checkpoint", required=True, type=Path)
    p.add_argument("--backbone", required=True)
    p.add_argument("--scale", required=True, type=int)
    p.add_argument("--backbone-kwargs", type=json.loads, default={})
    p.add_argument("--out", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("checkpoints"):
        info = import_weights(
            args.checkpoint, args.out, backbone=args.backbone, scale=args.scale, kwargs=args.backbone_kwargs
        )
        io.write_sidecar(args.out, stage="import_f0", params=info, inputs=[args.checkpoint])
        print(json.dumps(info))


if __name__ == "__main__":
    main()
