"""Shared fixtures: real photographs from skimage.data, small real patch sets."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]

torch.set_num_threads(min(2, os.cpu_count() or 1))
# no progress bars in the tests' output, nor in the logs of the Snakemake jobs they start (see
# stdo.core.progress; a test that checks a bar sets STDO_PROGRESS itself)
os.environ["STDO_PROGRESS"] = "0"


@pytest.fixture(autouse=True)
def _torch_threads():
    """A stage's main sets torch's process-wide thread count (``--threads``, default every CPU):
    put it back, so that a later test's numbers do not depend on which tests ran before it."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    from stdo.video.photos import load_photo

    return {n: load_photo(n) for n in ("astronaut", "coffee", "chelsea", "rocket")}


@pytest.fixture(scope="session")
def demo_frames() -> np.ndarray:
    """24 real frames (pans/zooms over photographs) at 96x64, before any encoding."""
    from stdo.video.demo import render_frames

    return render_frames(96, 64, 24)


@pytest.fixture(scope="session")
def vsd4k_frames() -> np.ndarray:
    """12 real 96x48 frames for VSD4K-shaped test clips."""
    from stdo.video.demo import render_frames

    return render_frames(96, 48, 12)
