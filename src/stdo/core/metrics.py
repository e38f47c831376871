"""The PSNR conventions of the project: ours (the headline) and the papers' (beside it).

Four conventions, one function each, computed in the same evaluation pass:

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

2. **The STDO trainer's** (:func:`psnr_trainer`; the ``psnr_trainer`` / ``psnr_trainer_db``
   columns), the protocol that produced the paper's numbers for STDO's own runs (github
   coulsonlee/STDO-CVPR2023: ``models/wdsr.py`` ``get_model_spec`` passes
   ``shave = scale + 4`` to ``common/metrics.py`` ``psnr_mse``; ``trainer.py`` ``evaluate``
   averages it over a chunk's patches, one patch per batch, ``eval_batch_size = 1`` in
   ``datasets/vsd4k.py``; the README's "Evaluate" section takes the final PSNR as
   ``-10 log10((mse1 + ... + mseN) / N)`` over the chunks' MSEs). Every SR patch is rounded and
   clamped to uint8, :func:`trainer_shave` = ``scale + 4`` HR pixels are cut at each border of
   each patch (6, 7, 8 at x2, x3, x4), RGB pooled, data range 255; a chunk's MSE is the mean of
   its patch MSEs and the video's PSNR is that of the unweighted mean of the chunk MSEs (a
   chunk: a routing group, i.e. the patches of one model or one CaFM modulation; one group for
   a single-model method). The partition's scores are made this way too (``script/*/pre_processX*``
   runs ``trainer.py --eval_only --save_label`` with the pretrained model: per-patch
   ``common/metrics.py`` ``psnr``, the same shave).

3. **VSD4K.py's offline evaluation** (:func:`psnr_vsd4k`; the ``psnr_vsd4k`` / ``psnr_vsd4k_db``
   columns; github coulsonlee/STDO-CVPR2023, ``VSD4K.py``, ``get_patch_psnr``, run as the last
   line of ``script/vlog_15/vlog_15_train`` and ``vlog_15_evaluate``): the same, but the shave
   is :data:`VSD4K_SHAVE` = 4 pixels whatever the scale and the patch MSEs are averaged over the
   whole video (no chunk means). Kept beside the trainer's because the authors' scripts print it.

4. **CaFM's** (:func:`psnr_cafm`; the ``psnr_cafm`` / ``psnr_cafm_db`` columns; github
   Neural-video-delivery/CaFM-Pytorch-ICCV2021, ``src/utility.py`` ``calc_psnr`` as called by
   ``src/trainer_cafm.py`` ``test``), the protocol of the paper's cells reported from CaFM:
   whole frames (not patches) of the held-out test frames, quantised (``utility.quantize``),
   :func:`cafm_shave` = ``scale + 6`` pixels cut at each border of the frame, RGB pooled, data
   range 255, one PSNR per frame and the *mean of the per-frame PSNRs* (``/= len(d)``).

Each of the four compares patches (or frames) with the same HR pixels; they differ only in the
shave and the averaging. The shaved ones drop the patch seams and borders where SR is hardest,
so they read higher than ours.
"""

from __future__ import annotations

from typing import overload

import numpy as np
import torch

DATA_RANGE = 255.0
VSD4K_SHAVE = 4  # pixels removed at each border of each HR patch (VSD4K.py get_patch_psnr)
TRAINER_EXTRA_SHAVE = 4  # the trainer's shave is scale + 4 (models/wdsr.py get_model_spec)
CAFM_EXTRA_SHAVE = 6  # CaFM's shave is scale + 6 (src/utility.py calc_psnr, non-benchmark data)


def trainer_shave(scale: int) -> int:
    """The STDO trainer's border shave: ``0 if scale == 1 else scale + 4`` (``models/wdsr.py``
    ``get_model_spec``)."""
    return 0 if scale == 1 else scale + TRAINER_EXTRA_SHAVE


def cafm_shave(scale: int) -> int:
    """CaFM's border shave on VSD4K: ``scale + 6`` (``src/utility.py`` ``calc_psnr``)."""
    return scale + CAFM_EXTRA_SHAVE


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Clamp a float image in the 0..255 range and round it to integer values (as uint8 would)."""
    return x.clamp(0.0, DATA_RANGE).round()


def mse_per_item(pred: torch.Tensor, target: torch.Tensor, *, shave: int = 0) -> torch.Tensor:
    """Per-item MSE of a batch ``[N, ...]`` after quantising ``pred``; returns ``[N]`` float64.

    ``pred`` is float on the 0..255 scale (a model output), ``target`` uint8 or float on the
    same scale. With ``shave`` 0 every element of each item counts (our convention); with
    ``shave > 0`` the items are images ``[N, C, H, W]`` and ``shave`` pixels are removed at
    each of their four borders first (the shaved conventions, see the module docstring).
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


@overload
def mse_to_psnr(mse: float) -> float: ...
@overload
def mse_to_psnr(mse: np.ndarray) -> np.ndarray: ...
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


def _nhwc(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    t = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.array(x))
    return t.permute(0, 3, 1, 2)


def psnr_vsd4k(pred_patches: np.ndarray | torch.Tensor, target_patches: np.ndarray | torch.Tensor) -> float:
    """PSNR of a video under VSD4K.py's offline evaluation (convention 3 of the module docstring;
    ``VSD4K.py`` ``get_patch_psnr``).

    ``pred_patches`` and ``target_patches`` are the video's HR patches ``[N, H, W, 3]`` (SR
    output, float or uint8, and ground truth) on the 0..255 scale: each SR patch is quantised,
    :data:`VSD4K_SHAVE` pixels are cut from each of its borders, the per-patch MSEs are averaged
    over the video and the PSNR of that mean is returned.
    """
    mse = mse_per_item(_nhwc(pred_patches).float(), _nhwc(target_patches), shave=VSD4K_SHAVE)
    return pooled_psnr(mse.numpy())


def psnr_trainer(
    pred_patches: np.ndarray | torch.Tensor,
    target_patches: np.ndarray | torch.Tensor,
    groups: np.ndarray,
    *,
    scale: int,
) -> float:
    """PSNR of a video under the STDO trainer's protocol (convention 2 of the module docstring;
    ``common/metrics.py`` ``psnr_mse`` with ``models/wdsr.py``'s ``shave = scale + 4``, chunk
    MSEs from ``trainer.py`` ``evaluate``, combined as the README's "Evaluate" section).

    Patches ``[N, H, W, 3]`` as :func:`psnr_vsd4k`; ``groups`` ``[N]`` the chunk (routing group)
    of each patch. Each SR patch is quantised and shaved by :func:`trainer_shave` pixels at each
    border; the MSEs are combined by :func:`chunk_psnr`.
    """
    mse = mse_per_item(_nhwc(pred_patches).float(), _nhwc(target_patches), shave=trainer_shave(scale))
    return chunk_psnr(mse.numpy(), groups)


def chunk_psnr(mse_values: np.ndarray, groups: np.ndarray) -> float:
    """``-10 log10((mse_1 + ... + mse_N) / N)`` on the 0..255 scale, ``mse_c`` the mean patch MSE
    of chunk ``c`` (empty chunks skipped): the STDO README's final PSNR ("Evaluate"). Chunks of
    unequal size weigh the same, so this is not the pooled PSNR unless the chunks are equal."""
    values = np.asarray(mse_values, dtype=np.float64)
    groups = np.asarray(groups)
    if values.size == 0 or values.shape != groups.shape:
        raise ValueError(f"chunk_psnr needs one group per MSE value, got {values.shape} and {groups.shape}")
    means = [values[groups == g].mean() for g in np.unique(groups)]
    return mse_to_psnr(float(np.mean(means)))


def psnr_cafm(
    pred_frames: np.ndarray | torch.Tensor, target_frames: np.ndarray | torch.Tensor, *, scale: int
) -> float:
    """PSNR of a video under CaFM's protocol (convention 4 of the module docstring;
    ``src/utility.py`` ``calc_psnr`` and ``src/trainer_cafm.py`` ``test``).

    ``pred_frames`` and ``target_frames`` are whole frames ``[F, H, W, 3]`` (the held-out test
    frames) on the 0..255 scale: each SR frame is quantised, :func:`cafm_shave` pixels are cut at
    each border, one PSNR per frame, and the mean of the per-frame PSNRs is returned.
    """
    mse = mse_per_item(_nhwc(pred_frames).float(), _nhwc(target_frames), shave=cafm_shave(scale))
    return float(np.mean(mse_to_psnr(mse.numpy())))


def error_shaves(hr_patch_h: int, hr_patch_w: int, scale: int) -> dict[str, int]:
    """The patch protocols an evaluation measures, by metric name, with their border shave:
    ``psnr`` (ours, 0), ``psnr_vsd4k`` (:data:`VSD4K_SHAVE`) and ``psnr_trainer``
    (:func:`trainer_shave`); a shaved protocol is left out where an HR patch keeps no pixel after
    its shave (reported as ``None``)."""
    shaves = {"psnr": 0, "psnr_vsd4k": VSD4K_SHAVE, "psnr_trainer": trainer_shave(scale)}
    return {k: v for k, v in shaves.items() if min(hr_patch_h, hr_patch_w) > 2 * v}


@overload
def psnr_to_mse(psnr_db: float) -> float: ...
@overload
def psnr_to_mse(psnr_db: np.ndarray) -> np.ndarray: ...
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
