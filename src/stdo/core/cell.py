"""The one meaning of "cell": a (video, scale, backbone) triple, the unit a table row, a
figure and a training job are about. Methods and seeds are not part of it."""

from __future__ import annotations

from typing import NamedTuple


class Cell(NamedTuple):
    """One video at one scale with one backbone (the backbone's registry name, not its
    display name). A tuple, so ``video, scale, backbone = cell`` works."""

    video: str
    scale: int
    backbone: str

    def __str__(self) -> str:
        return f"{self.video} x{self.scale} {self.backbone}"
