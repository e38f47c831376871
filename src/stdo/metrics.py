"""The PSNR conventions of the project: ours (the headline) and the STDO authors' (beside it).

Two conventions, one function each, computed in the same evaluation pass:

1. **Ours** (:func:`psnr`, :func:`pooled_psnr`; the ``psnr`` / ``psnr_db`` columns), used by
   scoring, evaluation, tables and tests alike:

* **Colour space:** RGB, all three channels pooled. No conversion to Y.
* **Data range:** 255. Predictions are first clamped to ``[0, 255]`` and rounded to
  uint8, i.e. PSNR is measured on the frames a client would display.
* **Border shave:** none. Every pixel of every frame counts: in video delivery the whole
  frame is shown, and STDO's patch seams must be paid for, not cropped away.
* **Pooling:** a video's PSNR is computed from the MSE pooled over all of its pixels
  (``10 log10(255^2 / mean MSE)``), not as the mean of per-frame or per-patch PSNRs.
  Because patches tile the frame exactly and have equal sizes, the pooled MSE is the
  plain mean of the per-patch MSEs.
* A perfect reconstruction (MSE 0) has PSNR ``inf``.

2. **The authors'** (:func:`psnr_authors`; the ``psnr_authors`` / ``psnr_authors_db`` columns),
   the protocol that produced the paper's numbers (github coulsonlee/STDO-CVPR2023,
   ``VSD4K.py``, ``get_patch_psnr``): every SR *patch* is quantised to uint8 (rounded and
   clamped to ``[0, 255]``) and compared with its HR patch after removing a border of
   :data:`AUTHORS_SHAVE` = 4 pixels at each side *of each patch*; RGB pooled, data range 255;
   the patch MSEs are averaged over the whole video and the PSNR is taken of that mean. It
   differs from ours only by the shave, which drops the patch seams and borders where SR is
   hardest, so it reads higher. The paper's values are compared with this column.
"""

from __future__ import annotations

import numpy as np
import torch

DATA_RANGE = 255.0
AUTHORS_SHAVE = 4  # pixels removed at each border of each HR patch (the authors' VSD4K.py)


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Clamp a float image in the 0..255 range and round it to integer values (as uint8 would)."""
    return x.clamp(0.0, DATA_RANGE).round()


def mse_per_item(pred: torch.Tensor, target: torch.Tensor, *, shave: int = 0) -> torch.Tensor:
    """Per-item MSE of a batch ``[N, ...]`` after quantising ``pred``; returns ``[N]`` float64.

    ``pred`` is float on the 0..255 scale (a model output), ``target`` uint8 or float on the
    same scale. With ``shave`` 0 every element of each item counts (our convention); with
    ``shave > 0`` the items are images ``[N, C, H, W]`` and ``shave`` pixels are removed at
    each of their four borders first (the authors' convention, see the module docstring).
    """
    if pred.shape != target.shape:
        raise ValueError(f"shape mismatch: prediction {tuple(pred.shape)} vs target {tuple(target.shape)}")
    diff = quantize(pred.double()) - target.double()
    if shave:
        if diff.ndim != 4 or min(diff.shape[-2:]) <= 2 * shave:
            raise ValueError(
                f"cannot shave {shave} pixels from each border of items of shape {tuple(diff.shape)}"
            )
        diff = diff[..., shave:-shave, shave:-shave]
    return diff.pow(2).flatten(1).mean(dim=1)


def mse_to_psnr(mse: np.ndarray | float) -> np.ndarray | float:
    """PSNR in dB from MSE on the 0..255 scale; ``inf`` where MSE is 0."""
    mse_arr = np.asarray(mse, dtype=np.float64)
    with np.errstate(divide="ignore"):
        out = 10.0 * np.log10(DATA_RANGE**2 / mse_arr)
    return float(out) if out.ndim == 0 else out


def psnr(pred: np.ndarray | torch.Tensor, target: np.ndarray | torch.Tensor) -> float:
    """PSNR of one image or video (any shape) under the project convention above."""
    p = pred if isinstance(pred, torch.Tensor) else torch.from_numpy(np.array(pred))
    t = target if isinstance(target, torch.Tensor) else torch.from_numpy(np.array(target))
    mse = mse_per_item(p.reshape(1, -1).float(), t.reshape(1, -1))
    return mse_to_psnr(float(mse[0]))


def psnr_authors(
    pred_patches: np.ndarray | torch.Tensor,
    target_patches: np.ndarray | torch.Tensor,
    *,
    shave: int = AUTHORS_SHAVE,
) -> float:
    """PSNR of a video under the STDO authors' protocol (convention 2 of the module docstring).

    ``pred_patches`` and ``target_patches`` are the video's HR patches ``[N, H, W, 3]`` (SR
    output, float or uint8, and ground truth) on the 0..255 scale: each SR patch is quantised,
    ``shave`` pixels are cut from each of its borders, the per-patch MSEs are averaged and the
    PSNR of that mean is returned.
    """
    p = pred_patches if isinstance(pred_patches, torch.Tensor) else torch.from_numpy(np.array(pred_patches))
    t = (
        target_patches
        if isinstance(target_patches, torch.Tensor)
        else torch.from_numpy(np.array(target_patches))
    )
    mse = mse_per_item(p.permute(0, 3, 1, 2).float(), t.permute(0, 3, 1, 2), shave=shave)
    return pooled_psnr(mse.numpy())


def error_shaves(hr_patch_h: int, hr_patch_w: int) -> list[int]:
    """The border shaves an evaluation measures: 0 (ours) and :data:`AUTHORS_SHAVE` (the
    authors') where an HR patch keeps pixels after it; patches of at most 8 pixels have no
    authors' PSNR (reported as ``None``)."""
    return [0, AUTHORS_SHAVE] if min(hr_patch_h, hr_patch_w) > 2 * AUTHORS_SHAVE else [0]


def psnr_to_mse(psnr_db: np.ndarray | float) -> np.ndarray | float:
    """MSE on the 0..255 scale from PSNR in dB (the inverse of :func:`mse_to_psnr`; 0 for ``inf``)."""
    out = DATA_RANGE**2 / 10.0 ** (np.asarray(psnr_db, dtype=np.float64) / 10.0)
    return float(out) if out.ndim == 0 else out


def pooled_psnr(mse_values: np.ndarray) -> float:
    """PSNR of a video from the MSEs of equally sized, tiling pieces (patches or frames)."""
    values = np.asarray(mse_values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("pooled_psnr needs at least one MSE value")
    return mse_to_psnr(float(values.mean()))
