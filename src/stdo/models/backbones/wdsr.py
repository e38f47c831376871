"""WDSR-A (Yu et al., 2018) as used by STDO: weight-normalised convs, ``n_resblocks`` wide-activation
blocks (``n_feats`` residual units, ``expansion``x width before the ReLU), a 5x5 skip conv and
pixel shuffle. Paper setting: 16 blocks, 32 units, x4 width (about 1.2 M parameters).
Module names (head, body, tail, skip) follow the reference implementation. Input and output are
0..255; ``(x - mean * 255) / norm`` feeds the convs.

Initialisation and input scaling are the STDO authors' (github coulsonlee/STDO-CVPR2023,
``models/wdsr.py``), the code that produced the paper's WDSR numbers:

* the input is ``x / 255 - 0.5`` (``mean=(0.5, 0.5, 0.5), norm=255``);
* every weight-norm gain is set explicitly: the head, tail and skip convs to 1, the first
  conv of each block to 2, the second conv of each block to ``res_scale``, which defaults to
  ``1 / sqrt(n_resblocks)`` (their residual scale; it scales the block's output through its
  initial gain, not through a multiplication in the forward pass);
* every bias is 0.

So a fresh WDSR starts close to its linear 5x5 skip path plus small residual corrections,
instead of PyTorch's default weight-norm initialisation (gain = the norm of a random filter).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from stdo.models import register
from stdo.models.cafm import Site

AUTHORS_MEAN = (0.5, 0.5, 0.5)  # the authors' ``image_mean`` on 0..1 images


def _wn_conv(c_in: int, c_out: int, k: int, gain: float) -> nn.Module:
    """A weight-normalised conv whose per-filter gain ``g`` is ``gain`` and whose bias is 0."""
    conv = weight_norm(nn.Conv2d(c_in, c_out, k, padding=k // 2))
    with torch.no_grad():
        conv.parametrizations.weight.original0.fill_(gain)
        conv.bias.zero_()
    return conv


class Block(nn.Module):
    def __init__(self, n_feats: int, expansion: int, res_scale: float):
        super().__init__()
        self.body = nn.Sequential(
            _wn_conv(n_feats, n_feats * expansion, 3, gain=2.0),
            nn.ReLU(inplace=True),
            _wn_conv(n_feats * expansion, n_feats, 3, gain=res_scale),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


@register("wdsr", display_name="WDSR")
class WDSR(nn.Module):
    def __init__(
        self,
        *,
        scale: int,
        n_resblocks: int = 16,
        n_feats: int = 32,
        expansion: int = 4,
        res_scale: float | None = None,
        mean: tuple[float, float, float] | list[float] = AUTHORS_MEAN,
        norm: float = 255.0,
    ):
        super().__init__()
        out = 3 * scale * scale
        if res_scale is None:
            res_scale = 1.0 / math.sqrt(max(1, n_resblocks))
        self.register_buffer("rgb_mean", torch.tensor(list(mean)).view(1, 3, 1, 1) * 255.0)
        self.norm = float(norm)
        self.head = nn.Sequential(_wn_conv(3, n_feats, 3, gain=1.0))
        self.body = nn.Sequential(*[Block(n_feats, expansion, res_scale) for _ in range(n_resblocks)])
        self.tail = nn.Sequential(_wn_conv(n_feats, out, 3, gain=1.0), nn.PixelShuffle(scale))
        self.skip = nn.Sequential(_wn_conv(3, out, 5, gain=1.0), nn.PixelShuffle(scale))
        self.scale = scale

    def cafm_sites(self) -> list[Site]:
        """Not in CaFM's code; as CaFM's residual blocks (``src/model/common.py``, ``ResBlock``):
        after each of the two convs of every block (the wide conv before its ReLU, then the
        narrow one), depthwise; not the head, tail or skip (our choice)."""
        return [Site(block.body, str(i), block.body[i].out_channels) for block in self.body for i in (0, 2)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.rgb_mean) / self.norm
        s = self.skip(x)
        x = self.tail(self.body(self.head(x)))
        return (x + s) * self.norm + self.rgb_mean
