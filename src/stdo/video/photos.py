"""Real photographs from ``skimage.data``, as RGB uint8 arrays.

The demo video pans over them and f0 may pretrain on others; this module imports no video
code (PyAV), so stages that only need photographs stay light, and imports scikit-image only
when a photograph is loaded (Snakemake reads :data:`DEFAULT_SCENES` while parsing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stdo.core.errors import StdoError


@dataclass(frozen=True)
class Scene:
    """A camera move over one photograph: crop boxes (x0, y0, x1, y1) in relative units, and
    its length in seconds (None: an equal share of what the scenes with a length leave)."""

    image: str
    start: tuple[float, float, float, float]
    end: tuple[float, float, float, float]
    seconds: float | None = None


# The demo video: pan across the astronaut, zoom into the rocket, pan over the motorcycle (two hard cuts).
DEFAULT_SCENES = (
    Scene("astronaut", (0.00, 0.05, 0.70, 0.47), (0.30, 0.45, 1.00, 0.87)),
    Scene("rocket", (0.00, 0.00, 1.00, 1.00), (0.30, 0.20, 0.70, 0.60)),
    Scene("stereo_motorcycle", (0.00, 0.20, 0.60, 0.56), (0.40, 0.40, 1.00, 0.76)),
)


def load_photo(name: str) -> np.ndarray:
    """An RGB uint8 photograph from ``skimage.data`` (grey images are replicated to RGB)."""
    import skimage.data

    try:
        img = getattr(skimage.data, name)()
    except AttributeError:
        raise StdoError(f"skimage.data has no image {name!r}") from None
    if isinstance(img, tuple):  # stereo pairs: take the left view
        img = img[0]
    img = np.asarray(img)
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3].astype(np.uint8))
