"""Bicubic resampling of frames and tensors: the degradation of HR frames to LR and the
bicubic upscale of SRCNN/VDSR and of the bicubic baseline.

Convention: ``torch.nn.functional.interpolate(mode="bicubic", antialias=True,
align_corners=False)`` on float RGB in 0..255, then clamped and rounded to uint8. With
``antialias=True`` PyTorch uses the same separable, support-widened bicubic kernel
(a = -0.5) as PIL's ``Image.resize(..., Image.BICUBIC)``. PIL rounds to uint8 between its
horizontal and vertical passes and torch does not, so on real photographs the two differ by
about 0.1 grey levels on average and by more than one level in under 0.1 % of pixels
(tested in ``tests/core/test_degrade.py``). This is MATLAB
``imresize``-like antialiased downscaling, the usual way SR datasets make LR data.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from stdo.core.errors import StdoError


def check_divisible(height: int, width: int, scale: int) -> None:
    if height % scale or width % scale:
        raise StdoError(
            f"frame size {width}x{height} is not divisible by scale x{scale}; "
            f"crop the video (config: videos.<name>.crop) to a multiple of {scale}, or set "
            "videos.<name>.fit: crop to centre-crop it to the nearest size that fits"
        )


def downscale(frames: np.ndarray, scale: int) -> np.ndarray:
    """Bicubic, antialiased downscale of uint8 frames ``[T, H, W, 3]`` (or one ``[H, W, 3]``)."""
    single = frames.ndim == 3
    batch = frames[None] if single else frames
    t, h, w, c = batch.shape
    check_divisible(h, w, scale)
    x = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float()
    y = F.interpolate(x, size=(h // scale, w // scale), mode="bicubic", antialias=True, align_corners=False)
    out = y.clamp(0, 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()
    return out[0] if single else out


def upscale_bicubic(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Bicubic upscale of a float NCHW tensor (the input of SRCNN/VDSR-style models)."""
    return F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)
