"""Content-aware feature modulation (CaFM, Liu et al., ICCV 2021) for any registered backbone.

After every convolution of the backbone, chunk ``c`` adds ``alpha_c * DW_c(y)`` to the conv's
output ``y``: a depthwise 3x3 conv per chunk whose output is scaled by a learned scalar
initialised to 0 (so training starts from the plain shared backbone). The backbone is shared
by all time chunks; only the modulations are per chunk. Select the chunk of each item with
:meth:`CaFM.set_chunk` before the forward pass.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ModulatedConv(nn.Module):
    """``y = conv(x)``, then ``y + alpha[c] * depthwise_c(y)`` for each item's chunk ``c``.

    The per-chunk depthwise kernels are stored stacked (``weight [n, C, 1, k, k]``) so that a
    batch of mixed chunks is one grouped convolution, each item with its own chunk's kernels.
    """

    def __init__(self, conv: nn.Conv2d, n_chunks: int, kernel_size: int = 3):
        super().__init__()
        self.conv = conv
        c = conv.out_channels
        bound = 1.0 / kernel_size  # nn.Conv2d's default init for a depthwise k x k conv
        self.weight = nn.Parameter(
            torch.empty(n_chunks, c, 1, kernel_size, kernel_size).uniform_(-bound, bound)
        )
        self.bias = nn.Parameter(torch.empty(n_chunks, c).uniform_(-bound, bound))
        self.alpha = nn.Parameter(torch.zeros(n_chunks))
        self.kernel_size = kernel_size
        self.chunk: int | torch.Tensor = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        b, c, h, w = y.shape
        ch = self.chunk
        if isinstance(ch, int):
            ch = torch.full((b,), ch, dtype=torch.long, device=y.device)
        weight = self.weight[ch].reshape(b * c, 1, self.kernel_size, self.kernel_size)
        z = F.conv2d(
            y.reshape(1, b * c, h, w), weight, self.bias[ch].reshape(b * c),
            padding=self.kernel_size // 2, groups=b * c,
        )  # fmt: skip
        return y + self.alpha[ch].view(b, 1, 1, 1) * z.reshape(b, c, h, w)


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
                total += m.weight[0].numel() + m.bias[0].numel() + 1
        return total
