"""Content-aware feature modulation (CaFM, Liu et al., ICCV 2021) for any registered backbone.

CaFM's module (github Neural-video-delivery/CaFM-Pytorch-ICCV2021, ``src/model/common.py``,
``ContentAwareFM(in_channel, kernel_size)``) is ``transformer(y) * gamma + y``: ``transformer``
a grouped conv with bias (depthwise in ``common.py``; two channels per group in their
``espcn.py`` and ``srcnn.py``, which define their own ``ContentAwareFM`` with
``groups=in_channel//2``), ``gamma`` a scalar initialised to 0, so training starts from the plain
shared backbone. Each time segment has its own module (an ``nn.ModuleList`` of ``segnum``), the
backbone is shared. With kernel size 1 (what all their models use; ``common.py`` lists 1, 3, 5, 7
as a fine-tuning option) a depthwise modulation is a per-channel scale and bias.

Where the modulation sits (``cafm.placement``):

* ``cafm`` (default): where CaFM's code puts it, declared by each backbone's ``cafm_sites()``:
  EDSR after each of the two convs of every residual block (``common.ResBlock``: ``cafms1``
  after ``conv1`` before the ReLU, ``cafms2`` after ``conv2``); VDSR after each hidden conv before
  its ReLU (``vdsrr.py`` with ``common.BasicBlock_``; not the first and last conv); ESPCN and
  SRCNN after each hidden conv's ReLU (``espcn.py``, ``srcnn.py``; not the last conv), two
  channels per group. WDSR is not in CaFM's code: as EDSR's residual blocks, after each of the
  two convs of every block (our choice).
* ``all``: after every conv of the backbone (head, tail, skip and upsampler included),
  depthwise: stdo's earlier modulation (with ``kernel_size: 3``).

Per-segment parameters are stored stacked (``weight [n, C, group_width, k, k]``) so that a
batch of mixed segments is one grouped convolution, each item with its own segment's kernels.
Select the segment of each item with :meth:`CaFM.set_segment` before the forward pass.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

KERNEL_SIZES = (1, 3, 5, 7)  # CaFM's common.py: "the filter size of cafm during finetune. 1 | 3 | 5 | 7"
PLACEMENTS = ("cafm", "all")
DEFAULT_KERNEL_SIZE = 1  # CaFM's models: ContentAwareFM(n_feats, 1)
DEFAULT_PLACEMENT = "cafm"


class Site(NamedTuple):
    """Where a backbone takes a modulation: ``getattr(parent, name)`` is wrapped; its output has
    ``channels`` channels, modulated by a grouped conv of ``group_width`` channels per group."""

    parent: nn.Module
    name: str
    channels: int
    group_width: int = 1


class Modulated(nn.Module):
    """``y = inner(x)``, then ``y + gamma[c] * (conv_c(y) + bias_c)`` for each item's segment ``c``."""

    def __init__(
        self, inner: nn.Module, channels: int, n_segments: int, kernel_size: int, group_width: int = 1
    ):
        super().__init__()
        if channels % group_width:
            raise ValueError(f"{channels} channels do not split into groups of {group_width}")
        self.inner = inner
        bound = 1.0 / math.sqrt(group_width * kernel_size * kernel_size)  # nn.Conv2d's default init
        self.weight = nn.Parameter(
            torch.empty(n_segments, channels, group_width, kernel_size, kernel_size).uniform_(-bound, bound)
        )
        self.bias = nn.Parameter(torch.empty(n_segments, channels).uniform_(-bound, bound))
        self.gamma = nn.Parameter(torch.zeros(n_segments))  # CaFM's gamma = zeros(1) per segment
        self.kernel_size = kernel_size
        self.group_width = group_width
        self.segment: int | torch.Tensor = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.inner(x)
        b, c, h, w = y.shape
        ch = self.segment
        if isinstance(ch, int):
            ch = torch.full((b,), ch, dtype=torch.long, device=y.device)
        k, gw = self.kernel_size, self.group_width
        z = F.conv2d(
            y.reshape(1, b * c, h, w), self.weight[ch].reshape(b * c, gw, k, k), self.bias[ch].reshape(b * c),
            padding=k // 2, groups=b * c // gw,
        )  # fmt: skip
        return y + self.gamma[ch].view(b, 1, 1, 1) * z.reshape(b, c, h, w)

    def parameters_per_segment(self) -> int:
        return self.weight[0].numel() + self.bias[0].numel() + 1


def after_relus(body: nn.Sequential, group_width: int = 1) -> list[Site]:
    """A site at each ReLU of ``body``, with the channels of the conv before it."""
    found, channels = [], 0
    for i, m in enumerate(body):
        if isinstance(m, nn.Conv2d):
            channels = m.out_channels
        elif isinstance(m, nn.ReLU):
            found.append(Site(body, str(i), channels, group_width))
    return found


def sites(base: nn.Module, placement: str) -> list[Site]:
    """The modulation sites of ``base`` for ``placement`` (see the module docstring)."""
    if placement == "all":
        return [
            Site(parent, name, child.out_channels)
            for parent in base.modules()
            for name, child in parent.named_children()
            if isinstance(child, nn.Conv2d)
        ]
    if placement == "cafm":
        declared = getattr(base, "cafm_sites", None)
        if declared is None:
            raise ValueError(
                f"backbone {type(base).__name__} declares no CaFM sites (a cafm_sites() method); "
                "use cafm.placement: all"
            )
        return list(declared())
    raise ValueError(f"unknown CaFM placement {placement!r}; use one of {', '.join(PLACEMENTS)}")


class CaFM(nn.Module):
    """A backbone with per-segment feature modulation at the sites of ``placement``."""

    def __init__(
        self,
        base: nn.Module,
        n_segments: int,
        *,
        kernel_size: int = DEFAULT_KERNEL_SIZE,
        placement: str = DEFAULT_PLACEMENT,
    ):
        super().__init__()
        if n_segments < 1:
            raise ValueError(f"CaFM needs at least one segment, got {n_segments}")
        if kernel_size not in KERNEL_SIZES:
            raise ValueError(f"CaFM kernel size {kernel_size}: use one of {KERNEL_SIZES}")
        found = sites(base, placement)
        if not found:
            raise ValueError(f"backbone {type(base).__name__} has no CaFM site for placement {placement!r}")
        for s in found:
            inner = getattr(s.parent, s.name)
            setattr(s.parent, s.name, Modulated(inner, s.channels, n_segments, kernel_size, s.group_width))
        self.base = base
        self.n_segments = n_segments
        self.kernel_size = kernel_size
        self.placement = placement
        self.scale = getattr(base, "scale", None)

    def modulations(self) -> list[Modulated]:
        return [m for m in self.modules() if isinstance(m, Modulated)]

    def set_segment(self, segment: int | torch.Tensor) -> None:
        """The segment of the whole batch (int) or of each item (LongTensor ``[B]``)."""
        for m in self.modulations():
            m.segment = segment

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x)

    def parameters_per_segment(self) -> int:
        """Parameters that one segment adds to the shared backbone."""
        return sum(m.parameters_per_segment() for m in self.modulations())

    def record(self) -> dict[str, int | str]:
        """What a model file needs to rebuild this wrapper (see :func:`stdo.models.modelfile.load_model`)."""
        return {
            "cafm_chunks": self.n_segments,
            "cafm_kernel_size": self.kernel_size,
            "cafm_placement": self.placement,
        }


# model-file keys; ``cafm_chunks`` is the number of time segments (the name predates the
# segment/chunk split of the vocabulary and is kept so that existing model files load)
RECORD_KEYS = ("cafm_chunks", "cafm_kernel_size", "cafm_placement")


def from_record(base: nn.Module, extra: dict) -> nn.Module:
    """``base`` wrapped as the record of :meth:`CaFM.record` says, or ``base`` when it has none.
    (Files of stdo's earlier modulation, with ``conv``/``alpha`` weights, do not load: retrain.)"""
    segments = extra.get("cafm_chunks")
    if not segments:
        return base
    return CaFM(
        base,
        int(segments),
        kernel_size=int(extra.get("cafm_kernel_size", DEFAULT_KERNEL_SIZE)),
        placement=str(extra.get("cafm_placement", DEFAULT_PLACEMENT)),
    )
