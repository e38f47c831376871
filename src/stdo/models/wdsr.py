"""WDSR-A (Yu et al., 2018) as used by STDO: weight-normalised convs, ``n_resblocks`` wide-activation
blocks (``n_feats`` residual units, ``expansion``x width before the ReLU), a 5x5 skip conv and
pixel shuffle. Paper setting: 16 blocks, 32 units, x4 width (about 1.2 M parameters).
Module names (head, body, tail, skip) follow the reference implementation. Input and output are
0..255; ``(x - mean * 255) / norm`` feeds the convs. The STDO authors' WDSR works on 0..1 with a
mean of 0.5, which is ``mean=(0.5, 0.5, 0.5), norm=255`` here (see :mod:`stdo.checkpoints`)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from stdo.models import register

DIV2K_MEAN = (0.4488, 0.4371, 0.4040)


def _wn_conv(c_in: int, c_out: int, k: int) -> nn.Module:
    return weight_norm(nn.Conv2d(c_in, c_out, k, padding=k // 2))


class Block(nn.Module):
    def __init__(self, n_feats: int, expansion: int, res_scale: float):
        super().__init__()
        self.body = nn.Sequential(
            _wn_conv(n_feats, n_feats * expansion, 3),
            nn.ReLU(inplace=True),
            _wn_conv(n_feats * expansion, n_feats, 3),
        )
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) * self.res_scale


@register("wdsr")
class WDSR(nn.Module):
    def __init__(
        self,
        *,
        scale: int,
        n_resblocks: int = 16,
        n_feats: int = 32,
        expansion: int = 4,
        res_scale: float = 1.0,
        mean: tuple[float, float, float] | list[float] = DIV2K_MEAN,
        norm: float = 127.5,
    ):
        super().__init__()
        out = 3 * scale * scale
        self.register_buffer("rgb_mean", torch.tensor(list(mean)).view(1, 3, 1, 1) * 255.0)
        self.norm = float(norm)
        self.head = nn.Sequential(_wn_conv(3, n_feats, 3))
        self.body = nn.Sequential(*[Block(n_feats, expansion, res_scale) for _ in range(n_resblocks)])
        self.tail = nn.Sequential(_wn_conv(n_feats, out, 3), nn.PixelShuffle(scale))
        self.skip = nn.Sequential(_wn_conv(3, out, 5), nn.PixelShuffle(scale))
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.rgb_mean) / self.norm
        s = self.skip(x)
        x = self.tail(self.body(self.head(x)))
        return (x + s) * self.norm + self.rgb_mean
