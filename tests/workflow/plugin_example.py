"""A plugin as docs/extending.md describes it: one file that adds a backbone and a method.

``tinynet``: two 3x3 convs and a pixel shuffle, with a bicubic skip so it starts near bicubic.
``half``: two models, one for the left and one for the right half of every frame's patches.
"""

import re

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stdo import methods
from stdo.models import register


@register("tinynet", display_name="TinyNet")
class TinyNet(nn.Module):
    def __init__(self, *, scale: int, n_feats: int = 8):
        super().__init__()
        self.scale = scale
        self.body = nn.Sequential(
            nn.Conv2d(3, n_feats, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(n_feats, 3 * scale * scale, 3, padding=1),
            nn.PixelShuffle(scale),
        )
        nn.init.zeros_(self.body[2].weight)
        nn.init.zeros_(self.body[2].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return up + self.body(x / 255.0) * 255.0


def _half(p: methods.Parsed, s: methods.Selection) -> np.ndarray:
    cols = s.index["col"].to_numpy()
    return np.flatnonzero((cols >= (cols.max() + 1) / 2) == (p["c"] == 1))


methods.register(
    methods.MethodSpec(
        name="half",
        method_forms=("half",),
        method_re=re.compile(r"half"),
        unit_forms=("half-c{c}",),
        unit_re=re.compile(r"half-c(?P<c>[01])"),
        labels=("Half",),
        label=lambda p: "Half",
        units=lambda p: ["half-c0", "half-c1"],
        routing=lambda p: "custom",
        route=lambda p, index: (index["col"].to_numpy() >= (index["col"].max() + 1) / 2).astype(int),
        budget="data",
        select=_half,
        requested=lambda config, r: ["half"],
    )
)
