"""Routed super-resolution: the one owner of "these models, this routing, these patches -> SR".

A method's client (:mod:`stdo.methods`) sends every LR patch through the model of its routing
group: STDO its PSNR chunk's model, NAS its time segment's, CaFM the shared model with its
segment's modulation, a single-model method the one model. :class:`RoutedSR` is that client, in
the shape of a diffusers pipeline: two components, composed in one short loop
(:meth:`RoutedSR.batches`), each replaceable (``dataclasses.replace(sr, models=...)``):

* ``models``, a backend holding one model per routing group (or one for every group):
  :class:`TorchModels` (PyTorch modules; a CaFM model set to the group's modulation before it
  runs) or :class:`stdo.sr.litert.LiteRTModels` (``.tflite`` files of :mod:`stdo.device.export`'s
  layout, run with the LiteRT interpreter: ``ai_edge_litert``, an optional dependency, in a
  module of its own so that the stages that run PyTorch models do not import it);
* ``routing``, the group of every patch (id order), e.g. :func:`stdo.methods.route`'s.

The loop takes the groups present among the patches asked for in ascending order, each group's
patches in id order, ``batch_size`` at a time (``None``: a group's patches in one batch), reads
them from the LR patch array (uint8 ``[N, h, w, 3]``, a memory map is read batch by batch) and
gives the SR patches as a client shows them: uint8, clamped and rounded
(:func:`stdo.core.metrics.quantize`), or whole frames stitched (:meth:`RoutedSR.frames`).

A backend has three steps: ``prepare`` (uint8 NHWC patches to its input), ``forward`` (model
``i`` as routing group ``g`` on that input: float NCHW on the 0..255 scale, unclamped) and
``finish`` (that output to uint8 NHWC).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from stdo.core.errors import StdoError
from stdo.core.metrics import quantize
from stdo.models.cafm import CaFM
from stdo.sr.infer import to_tensor
from stdo.video.patches import stitch


class Backend(Protocol):
    """The models of a :class:`RoutedSR` (see the module docstring)."""

    def __len__(self) -> int: ...

    def prepare(self, lr: np.ndarray) -> Any: ...

    def forward(self, i: int, x: Any, group: int) -> Any: ...

    def finish(self, raw: Any) -> np.ndarray: ...


class TorchModels:
    """PyTorch models on ``device``, in eval mode, run without gradients."""

    def __init__(self, models: Sequence[nn.Module], device: torch.device | str = "cpu"):
        self.modules = [m.eval() for m in models]
        self.device = torch.device(device)

    def __len__(self) -> int:
        return len(self.modules)

    def prepare(self, lr: np.ndarray) -> torch.Tensor:
        return to_tensor(lr, self.device)

    @torch.no_grad()
    def forward(self, i: int, x: torch.Tensor, group: int) -> torch.Tensor:
        model = self.modules[i]
        if isinstance(model, CaFM):
            model.set_segment(group)
        return model(x)

    def finish(self, raw: torch.Tensor) -> np.ndarray:
        return quantize(raw).permute(0, 2, 3, 1).to(torch.uint8).cpu().numpy()


def torch_modules(sr: RoutedSR) -> list[nn.Module]:
    """The PyTorch models of a :class:`RoutedSR` with the PyTorch backend."""
    if not isinstance(sr.models, TorchModels):
        raise StdoError(f"{sr.what}: PyTorch models needed, the backend is {type(sr.models).__name__}")
    return sr.models.modules


@dataclass
class RoutedSR:
    """Models and routing composed (see the module docstring). ``groups``: how many routing
    groups there are (a group may have no patch: held-out frames); ``models`` holds one model
    per group, or (``share``) one for all: a plain model, or a PyTorch CaFM model with every
    segment's modulation. ``grid``: ``(cols, rows)`` of a frame, for :meth:`frames`. ``what``
    names the routed thing in errors (``method 'stdo-k2'``)."""

    models: Backend
    routing: np.ndarray
    groups: int
    batch_size: int | None = None
    grid: tuple[int, int] | None = None
    what: str = "routed SR"
    share: bool = True

    def __post_init__(self) -> None:
        self.routing = np.asarray(self.routing, dtype=np.int64)
        n = len(self.models)
        if self.groups < 1 or n not in ((1, self.groups) if self.share else (self.groups,)):
            raise StdoError(f"{self.what}: {self.groups} routing groups for {n} models")
        if self.routing.size and (self.routing.min() < 0 or self.routing.max() >= self.groups):
            bad = int(self.routing.min() if self.routing.min() < 0 else self.routing.max())
            raise StdoError(f"{self.what}: a patch routed to group {bad}, outside 0..{self.groups - 1}")
        if self.batch_size is not None and self.batch_size < 1:
            raise StdoError(f"{self.what}: batch size {self.batch_size}; give a positive one or None")

    def member(self, group: int) -> int:
        """Which of ``models`` serves routing group ``group``."""
        return group if len(self.models) == self.groups else 0

    def plan(self, ids: Sequence[int] | np.ndarray | None = None) -> list[tuple[int, np.ndarray]]:
        """``(group, positions)`` of every group present among the patches ``ids`` (default:
        all), ascending; positions index ``ids`` (the patch ids themselves when ``ids`` is None)."""
        routing = self.routing if ids is None else self.routing[np.asarray(ids, dtype=np.int64)]
        return [(int(g), np.flatnonzero(routing == g)) for g in np.unique(routing)]

    def batches(
        self, lr: np.ndarray, ids: Sequence[int] | np.ndarray | None = None, *, prepared: bool = False
    ) -> Iterator[tuple[int, np.ndarray, Any]]:
        """The loop: ``(group, positions, raw output)`` for every batch of the patches ``ids`` of
        ``lr`` (indexed by patch id; ``prepared``: already the backend's input). ``raw`` is the
        backend's unclamped output (see :meth:`__call__` for uint8)."""
        picked = None if ids is None else np.asarray(ids, dtype=np.int64)
        for g, where in self.plan(picked):
            step = self.batch_size or where.size
            for start in range(0, where.size, step):
                part = where[start : start + step]
                rows = part if picked is None else picked[part]
                x = lr[rows] if prepared else self.models.prepare(np.asarray(lr[rows]))
                yield g, part, self.models.forward(self.member(g), x, g)

    def __call__(self, lr: np.ndarray, ids: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """SR patches uint8 ``[len(ids), H, W, 3]`` of the patches ``ids`` (default: all of
        ``routing``) of ``lr``, in the order of ``ids``."""
        n = len(self.routing) if ids is None else len(ids)
        out = None
        for _, part, raw in self.batches(lr, ids):
            y = self.models.finish(raw)
            if out is None:
                out = np.empty((n, *y.shape[1:]), dtype=np.uint8)
            out[part] = y
        return out if out is not None else np.empty((0, 0, 0, 3), dtype=np.uint8)

    def frames(self, lr: np.ndarray, frames: Sequence[int]) -> np.ndarray:
        """Whole frames ``[len(frames), H, W, 3]`` uint8: each frame's patches super-resolved
        (a frame at a time) and stitched on ``grid``."""
        if self.grid is None:
            raise StdoError(f"{self.what}: frames need the grid (cols, rows)")
        cols, rows = self.grid
        per = cols * rows
        n_frames = len(self.routing) // per
        bad = [f for f in frames if not 0 <= f < n_frames]
        if bad:
            raise StdoError(f"frames {bad} are outside the video's {n_frames} frames")
        return np.stack([stitch(self(lr, np.arange(f * per, (f + 1) * per)), cols, rows)[0] for f in frames])

    def window(self, start: int, stop: int) -> RoutedSR:
        """The same models for the patches ``start..stop-1`` alone (a client's window of frames:
        its ``lr`` holds those patches, from position 0)."""
        return replace(self, routing=self.routing[start:stop])

    def run_group(self, group: int, lr: np.ndarray) -> np.ndarray:
        """``lr`` (uint8 NHWC, of any size the backend takes: a whole frame for PyTorch) through
        routing group ``group``'s model, in one batch; uint8 NHWC."""
        models = self.models
        return models.finish(models.forward(self.member(group), models.prepare(lr), group))
