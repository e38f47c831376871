"""Fixtures of the reliability tests (issue 20): small real patch folders made from the demo's frames."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from support.delivery import make_bundle, make_cell  # the delivery tests' cell and bundles

from stdo.video.degrade import degrade_frames
from stdo.video.patches import write_patches


def make_patch_dir(frames: np.ndarray, out: Path) -> Path:
    write_patches(degrade_frames(frames, 2), frames, 2, 4, 2, out)
    return out


@pytest.fixture(scope="module")
def patch_dir(tmp_path_factory, demo_frames) -> Path:
    return make_patch_dir(demo_frames, tmp_path_factory.mktemp("patches"))


@pytest.fixture(scope="module")
def mirrored_patch_dir(tmp_path_factory, demo_frames) -> Path:
    """The same video mirrored left to right: same size, frame count and grid, other content."""
    return make_patch_dir(np.ascontiguousarray(demo_frames[:, :, ::-1]), tmp_path_factory.mktemp("mirror"))


@pytest.fixture
def small_disk(tmp_path):
    """A real 1 MiB file system (tmpfs), or the fallocate call made to fail as a full one would."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)]
    if subprocess.run(mount, capture_output=True).returncode:
        yield mnt, False
        return
    try:
        yield mnt, True
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


@pytest.fixture(scope="module")
def cell(demo_frames, tmp_path_factory) -> dict:
    return make_cell(demo_frames, tmp_path_factory.mktemp("cell"))


@pytest.fixture
def awdnn_bundle(cell, tmp_path) -> Path:
    make_bundle(cell, "awdnn", tmp_path / "bundle")
    return tmp_path / "bundle"
