"""Batched super-resolution of stored patches and per-patch error (used by score and evaluate)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from stdo.core.metrics import mse_per_item
from stdo.core.progress import bar as progress_bar


def to_tensor(batch: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 ``[N, H, W, 3]`` to float NCHW on the 0..255 scale."""
    return torch.from_numpy(np.ascontiguousarray(batch)).to(device).permute(0, 3, 1, 2).float()


@torch.no_grad()
def patch_errors(
    model: nn.Module,
    lr: np.ndarray,
    hr: np.ndarray,
    indices: Sequence[int] | np.ndarray,
    *,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
    desc: str = "patches",
    progress: bool = True,
    shaves: Sequence[int] = (0,),
) -> np.ndarray:
    """Per-patch MSEs ``[len(indices), len(shaves)]`` of ``model`` on the given patch ids, one
    column per border shave (0: our convention; the shaved protocols of
    :func:`stdo.core.metrics.error_shaves`), from one forward pass (see :mod:`stdo.core.metrics`)."""
    device = torch.device(device)
    indices = np.asarray(indices, dtype=np.int64)
    out = np.empty((indices.size, len(shaves)), dtype=np.float64)
    model.eval()
    for start in progress_bar(
        iterable=range(0, indices.size, batch_size), desc=desc, unit="batch", disable=not progress
    ):
        ids = indices[start : start + batch_size]
        order = np.argsort(ids)  # sorted reads from the memory map
        sel = ids[order]
        out[start + order] = batch_errors(model(to_tensor(lr[sel], device)), hr[sel], shaves)
    return out


def batch_errors(sr: torch.Tensor, hr: np.ndarray, shaves: Sequence[int] = (0,)) -> np.ndarray:
    """Per-patch MSEs ``[n, len(shaves)]`` of a batch's unclamped SR output (float NCHW, on its
    device) against its uint8 HR patches ``[n, H, W, 3]``, one column per border shave."""
    target = to_tensor(hr, sr.device)
    return np.stack([mse_per_item(sr, target, shave=shave).cpu().numpy() for shave in shaves], axis=1)


def patch_mse(
    model: nn.Module, lr: np.ndarray, hr: np.ndarray, indices: Sequence[int] | np.ndarray, **kwargs
) -> np.ndarray:
    """MSE (our convention, see :mod:`stdo.core.metrics`) of ``model`` on the given patch ids;
    keyword arguments as :func:`patch_errors` (batch_size, device, desc, progress)."""
    return patch_errors(model, lr, hr, indices, shaves=[0], **kwargs)[:, 0]
