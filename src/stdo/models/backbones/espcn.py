"""ESPCN (Shi et al., CVPR 2016) as used by STDO: 3x3 convs 3-64-64-32-3s^2, ReLU, pixel shuffle."""

from __future__ import annotations

import torch
from torch import nn

from stdo.models import register
from stdo.models.cafm import Site, after_relus


@register("espcn", display_name="ESPCN")
class ESPCN(nn.Module):
    def __init__(self, *, scale: int, channels: tuple[int, ...] = (64, 64, 32), kernel_size: int = 3):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for c in channels:
            layers += [nn.Conv2d(c_in, c, kernel_size, padding=kernel_size // 2), nn.ReLU(inplace=True)]
            c_in = c
        layers += [
            nn.Conv2d(c_in, 3 * scale * scale, kernel_size, padding=kernel_size // 2),
            nn.PixelShuffle(scale),
        ]
        self.body = nn.Sequential(*layers)
        self.scale = scale

    def cafm_sites(self) -> list[Site]:
        """CaFM's ESPCN (``src/model/espcn.py``): after the ReLU of each hidden conv (``cafms1..3``
        after ``act_func(conv1..3)``; not the last conv), two channels per group (their
        ``ContentAwareFM`` there has ``groups=in_channel//2``)."""
        return after_relus(self.body, group_width=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x / 255.0) * 255.0
