"""Fixtures of the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from stdo.video.degrade import degrade_frames
from stdo.video.patches import write_patches


@pytest.fixture(scope="module")
def patch_dir(tmp_path_factory, demo_frames) -> Path:
    """The demo frames' x2 patches (a 4x2 grid: 192 patches), once per test module."""
    out = tmp_path_factory.mktemp("patches")
    write_patches(degrade_frames(demo_frames, 2), demo_frames, 2, 4, 2, out)
    return out
