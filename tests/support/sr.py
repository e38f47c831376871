"""Helpers for the evaluate/score tests: tiny SR models with a known output, saved as stdo model
files, and reference PSNRs computed by hand from the super-resolved patches (never through
:mod:`stdo.sr.infer`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from stdo.core import metrics
from stdo.models import build_model, modelfile
from stdo.models.cafm import CaFM
from stdo.video.degrade import degrade_frames
from stdo.video.patches import stitch, write_patches

SCALE, COLS, ROWS, FRAMES = 2, 4, 2, 4
N = FRAMES * ROWS * COLS  # 32 patches: LR 16x12, HR 32x24
VDSR_KW = {"depth": 2, "features": 4}
ESPCN_KW = {"channels": [8]}


def make_patches(frames: np.ndarray, outdir: Path, cols: int = COLS, rows: int = ROWS) -> Path:
    """A patch folder (lr.npy, hr.npy, index.csv, grid.json) of real HR frames at x:data:`SCALE`."""
    hr = np.ascontiguousarray(frames)
    write_patches(degrade_frames(hr, SCALE), hr, SCALE, cols, rows, outdir)
    return outdir


def offset_vdsr(offset: float, scale: int = SCALE) -> nn.Module:
    """A VDSR whose residual branch outputs the constant ``offset`` grey levels: bicubic
    upscaling (offset 0, a good model) or bicubic shifted by ``offset`` (a bad one)."""
    model = build_model("vdsr", scale=scale, seed=0, **VDSR_KW)
    with torch.no_grad():
        model.body[-1].weight.zero_()
        model.body[-1].bias.fill_(offset / 255.0)
    return model


def nearest_espcn(seed: int, noise: float = 0.02) -> nn.Module:
    """An ESPCN (one hidden layer of 8) set to nearest-neighbour upscaling, its weights then
    perturbed by seeded noise: a model with a realistic, non-trivial output."""
    model = build_model("espcn", scale=SCALE, **ESPCN_KW)
    first, last = model.body[0], model.body[2]
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for conv in (first, last):
            conv.weight.zero_()
            conv.bias.zero_()
        for c in range(3):
            first.weight[c, c, 1, 1] = 1.0  # channel c passes through the ReLU unchanged
            last.weight[c * SCALE**2 : (c + 1) * SCALE**2, c, 1, 1] = 1.0  # pixel shuffle: s x s copies
        for conv in (first, last):
            conv.weight += noise * torch.randn(conv.weight.shape, generator=gen)
    return model


def save(path: Path, model: nn.Module, backbone: str, kwargs: dict, scale: int = SCALE, **extra) -> Path:
    modelfile.save_model(path, model, backbone=backbone, scale=scale, kwargs=kwargs, extra=extra)
    return path


def super_resolve(model: nn.Module, lr: np.ndarray) -> np.ndarray:
    """SR patches ``[n, H, W, 3]`` float, the model run once on the whole batch."""
    x = torch.from_numpy(np.array(lr)).permute(0, 3, 1, 2).float()
    with torch.no_grad():
        return model.eval()(x).permute(0, 2, 3, 1).numpy()


def routed_sr(models: list[nn.Module], groups: np.ndarray, lr: np.ndarray) -> np.ndarray:
    """Every patch super-resolved by its group's model (each model run on its own patches;
    a CaFM model with its group's modulation)."""
    out = None
    for g, model in enumerate(models):
        ids = np.flatnonzero(groups == g)
        if isinstance(model, CaFM):
            model.set_segment(g)
        sr = super_resolve(model, lr[ids])
        if out is None:
            out = np.empty((len(lr), *sr.shape[1:]), np.float32)
        out[ids] = sr
    return out


def patch_psnr(sr: np.ndarray, hr: np.ndarray) -> np.ndarray:
    """Per-patch PSNR in plain numpy: SR clamped and rounded to uint8, RGB pooled, range 255."""
    q = np.clip(np.round(sr.astype(np.float64)), 0, 255)
    mse = ((q - hr.astype(np.float64)) ** 2).mean(axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        return 10 * np.log10(255.0**2 / mse)


def video_psnr(sr: np.ndarray, hr: np.ndarray, cols: int = COLS, rows: int = ROWS) -> float:
    """The video's PSNR from its SR patches stitched back into frames (stdo.core.metrics.psnr)."""
    return metrics.psnr(stitch(sr, cols, rows), stitch(hr, cols, rows))
