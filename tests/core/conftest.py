"""Fixtures of the core tests: a small real patch folder (srkit) and its arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.sr import FRAMES, make_patches


@pytest.fixture(scope="module")
def patch_dir(tmp_path_factory, demo_frames) -> Path:
    return make_patches(demo_frames[:FRAMES], tmp_path_factory.mktemp("patches"))


@pytest.fixture(scope="module")
def arrays(patch_dir) -> tuple[np.ndarray, np.ndarray]:
    return np.load(patch_dir / "lr.npy"), np.load(patch_dir / "hr.npy")
