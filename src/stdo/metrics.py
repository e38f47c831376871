"""The one PSNR definition of the project.

Convention (used by scoring, evaluation, tables and tests alike):

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
"""

from __future__ import annotations

import numpy as np
import torch

DATA_RANGE = 255.0


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Clamp a float image in the 0..255 range and round it to integer values (as uint8 would)."""
    return x.clamp(0.0, DATA_RANGE).round()


def mse_per_item(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-item MSE of a batch ``[N, ...]`` after quantising ``pred``; returns ``[N]`` float64.

    ``pred`` is float on the 0..255 scale (a model output), ``target`` uint8 or float on the
    same scale. Every element of each item counts (no shave).
    """
    if pred.shape != target.shape:
        raise ValueError(f"shape mismatch: prediction {tuple(pred.shape)} vs target {tuple(target.shape)}")
    diff = quantize(pred.double()) - target.double()
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


def pooled_psnr(mse_values: np.ndarray) -> float:
    """PSNR of a video from the MSEs of equally sized, tiling pieces (patches or frames)."""
    values = np.asarray(mse_values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("pooled_psnr needs at least one MSE value")
    return mse_to_psnr(float(values.mean()))
