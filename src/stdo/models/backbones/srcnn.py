"""SRCNN 9-5-5 (Dong et al., 2015) on the bicubic-upscaled input: 3-64 (9x9), 64-32 (5x5), 32-3 (5x5)."""

from __future__ import annotations

import torch
from torch import nn

from stdo.core.imaging import upscale_bicubic
from stdo.models import register
from stdo.models.cafm import Site, after_relus


@register("srcnn", display_name="SRCNN")
class SRCNN(nn.Module):
    def __init__(
        self, *, scale: int, features: tuple[int, int] = (64, 32), kernels: tuple[int, int, int] = (9, 5, 5)
    ):
        super().__init__()
        f1, f2 = features
        k1, k2, k3 = kernels
        self.body = nn.Sequential(
            nn.Conv2d(3, f1, k1, padding=k1 // 2),
            nn.ReLU(inplace=True),
            nn.Conv2d(f1, f2, k2, padding=k2 // 2),
            nn.ReLU(inplace=True),
            nn.Conv2d(f2, 3, k3, padding=k3 // 2),
        )
        self.scale = scale

    def cafm_sites(self) -> list[Site]:
        """CaFM's SRCNN (``src/model/srcnn.py``): after the ReLU of each hidden conv (``cafms1``,
        ``cafms2``; not the last conv), two channels per group (``groups=in_channel//2``)."""
        return after_relus(self.body, group_width=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(upscale_bicubic(x, self.scale) / 255.0) * 255.0
