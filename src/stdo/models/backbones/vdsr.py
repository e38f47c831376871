"""VDSR (Kim et al., CVPR 2016): 20 3x3 conv layers of 64 channels, ReLU, global residual,
on the bicubic-upscaled input."""

from __future__ import annotations

import torch
from torch import nn

from stdo.core.imaging import upscale_bicubic
from stdo.models import register
from stdo.models.cafm import Site


@register("vdsr", display_name="VDSR")
class VDSR(nn.Module):
    def __init__(self, *, scale: int, depth: int = 20, features: int = 64):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, features, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(features, features, 3, padding=1), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(features, 3, 3, padding=1))
        self.body = nn.Sequential(*layers)
        self.scale = scale

    def cafm_sites(self) -> list[Site]:
        """CaFM's VDSR (``src/model/vdsrr.py`` with ``common.BasicBlock_``): after each of the
        ``depth - 2`` hidden convs, before its ReLU, depthwise; not the first or the last conv."""
        convs = [i for i, m in enumerate(self.body) if isinstance(m, nn.Conv2d)]
        return [Site(self.body, str(i), self.body[i].out_channels) for i in convs[1:-1]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = upscale_bicubic(x, self.scale) / 255.0
        return (up + self.body(up)) * 255.0
