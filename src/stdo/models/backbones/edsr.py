"""EDSR baseline (Lim et al., CVPRW 2017): 16 residual blocks of 64 features, residual scale 1,
pixel-shuffle upsampler (x4 as two x2 stages), RGB mean shift (DIV2K mean)."""

from __future__ import annotations

import math

import torch
from torch import nn

from stdo.models import register
from stdo.models.cafm import Site

DIV2K_MEAN = (0.4488, 0.4371, 0.4040)


class ResBlock(nn.Module):
    def __init__(self, features: int, res_scale: float):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(features, features, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(features, features, 3, padding=1),
        )
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) * self.res_scale


def upsampler(scale: int, features: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    if scale & (scale - 1) == 0:  # power of two: stages of x2
        for _ in range(int(math.log2(scale))):
            layers += [nn.Conv2d(features, 4 * features, 3, padding=1), nn.PixelShuffle(2)]
    else:
        layers += [nn.Conv2d(features, scale * scale * features, 3, padding=1), nn.PixelShuffle(scale)]
    return nn.Sequential(*layers)


@register("edsr", display_name="EDSR")
class EDSR(nn.Module):
    def __init__(self, *, scale: int, n_resblocks: int = 16, n_feats: int = 64, res_scale: float = 1.0):
        super().__init__()
        self.register_buffer("rgb_mean", torch.tensor(DIV2K_MEAN).view(1, 3, 1, 1) * 255.0)
        self.head = nn.Conv2d(3, n_feats, 3, padding=1)
        self.body = nn.Sequential(
            *[ResBlock(n_feats, res_scale) for _ in range(n_resblocks)],
            nn.Conv2d(n_feats, n_feats, 3, padding=1),
        )
        self.tail = nn.Sequential(upsampler(scale, n_feats), nn.Conv2d(n_feats, 3, 3, padding=1))
        self.scale = scale

    def cafm_sites(self) -> list[Site]:
        """CaFM's EDSR (``src/model/common.py``, ``ResBlock``): after each of the two convs of
        every residual block (``cafms1`` after ``conv1``, before the ReLU; ``cafms2`` after
        ``conv2``), depthwise; not the head, the conv after the blocks, the upsampler or the tail."""
        return [
            Site(block.body, str(i), block.body[i].out_channels)
            for block in self.body
            if isinstance(block, ResBlock)
            for i in (0, 2)
        ]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(x - self.rgb_mean)
        x = x + self.body(x)
        return self.tail(x) + self.rgb_mean
