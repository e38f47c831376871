"""Content-aware feature modulation (CaFM, Liu et al., ICCV 2021) for any registered backbone.

After every convolution of the backbone, chunk ``c`` adds ``alpha_c * DW_c(y)`` to the conv's
output ``y``: a depthwise 3x3 conv per chunk whose output is scaled by a learned scalar
initialised to 0 (so training starts from the plain shared backbone). The backbone is shared
by all time chunks; only the modulations are per chunk. Select the chunk of each item with
:meth:`CaFM.set_chunk` before the forward pass.
"""

from __future__ import annotations

import torch
from torch import nn


class ModulatedConv(nn.Module):
    def __init__(self, conv: nn.Conv2d, n_chunks: int, kernel_size: int = 3):
        super().__init__()
        self.conv = conv
        c = conv.out_channels
        self.dw = nn.ModuleList(
            nn.Conv2d(c, c, kernel_size, padding=kernel_size // 2, groups=c) for _ in range(n_chunks)
        )
        self.alpha = nn.Parameter(torch.zeros(n_chunks))
        self.chunk: int | torch.Tensor = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        if isinstance(self.chunk, int):
            return y + self.alpha[self.chunk] * self.dw[self.chunk](y)
        out = y.clone()
        for c in torch.unique(self.chunk).tolist():
            m = self.chunk == c
            out[m] = y[m] + self.alpha[c] * self.dw[c](y[m])
        return out


class CaFM(nn.Module):
    """A backbone whose every conv is followed by per-chunk feature modulation."""

    def __init__(self, base: nn.Module, n_chunks: int):
        super().__init__()
        if n_chunks < 1:
            raise ValueError(f"CaFM needs at least one chunk, got {n_chunks}")
        targets = [
            (parent, name, child)
            for parent in base.modules()
            for name, child in parent.named_children()
            if isinstance(child, nn.Conv2d)
        ]
        for parent, name, child in targets:
            setattr(parent, name, ModulatedConv(child, n_chunks))
        self.base = base
        self.n_chunks = n_chunks
        self.scale = getattr(base, "scale", None)

    def set_chunk(self, chunk: int | torch.Tensor) -> None:
        """The chunk of the whole batch (int) or of each item (LongTensor ``[B]``)."""
        for m in self.modules():
            if isinstance(m, ModulatedConv):
                m.chunk = chunk

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x)

    def parameters_per_chunk(self) -> int:
        """Parameters that one chunk adds to the shared backbone."""
        total = 0
        for m in self.modules():
            if isinstance(m, ModulatedConv):
                total += sum(p.numel() for p in m.dw[0].parameters()) + 1
        return total
