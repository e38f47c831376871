import json
from pathlib import Path

import numpy as np
import pytest

from stdo.core import io
from stdo.core.errors import StdoError
from stdo.core.metrics import psnr
from stdo.video.demo import encode, render_frames
from stdo.video.ingest import decode, ingest


@pytest.fixture(scope="module")
def video(tmp_path_factory, demo_frames) -> Path:
    path = tmp_path_factory.mktemp("v") / "clip.mp4"
    encode(demo_frames, path, fps=24, crf=10)
    return path


def test_demo_has_scenes_and_hard_cuts():
    frames = render_frames(96, 64, 90).astype(float)
    colour_jump = np.abs(np.diff(frames.mean(axis=(1, 2)), axis=0)).sum(axis=1)
    cuts = np.flatnonzero(colour_jump > 5 * np.sort(colour_jump)[-3])
    assert list(cuts + 1) == [30, 60]  # three scenes of 30 frames: two hard cuts
    motion = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    assert (np.delete(motion, cuts) > 0.1).all()  # the camera moves in every scene


def test_round_trip_through_h264(video, demo_frames, tmp_path):
    meta = ingest(video, tmp_path / "hr.npy", tmp_path / "meta.json", progress=False)
    hr = io.open_array(tmp_path / "hr.npy")
    assert hr.shape == demo_frames.shape and hr.dtype == np.uint8
    assert psnr(hr, demo_frames) > 30  # lossy (4:2:0 chroma at 96x64), but faithful
    assert meta["fps"] == 24 and meta["frames"] == 24 and meta["codec"] == "h264"
    assert meta["source_sha256"] == io.sha256_file(video)
    assert json.loads((tmp_path / "meta.json").read_text()) == meta


def test_frame_range_and_crop(video):
    full, _ = decode(video, progress=False)
    part, meta = decode(video, frames=[5, 9], crop=[8, 4, 32, 16], progress=False)
    assert len(part) == 4 and part[0].shape == (16, 32, 3)
    np.testing.assert_array_equal(part[1], full[6][4:20, 8:40])
    assert meta["frame_range"] == [5, 9] and meta["crop"] == [8, 4, 32, 16]


@pytest.mark.parametrize(
    "frames,crop,msg",
    [
        ([0, 100], None, "has only 24 frames"),
        ([5, 5], None, "empty"),
        (None, [90, 0, 32, 16], "falls outside"),
    ],
)
def test_bad_range_or_crop(video, frames, crop, msg):
    with pytest.raises(StdoError, match=msg):
        decode(video, frames=frames, crop=crop, progress=False)


def test_truncated_video_is_rejected_with_its_name(video, tmp_path):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    with pytest.raises(StdoError, match=r"cut\.mp4"):
        ingest(cut, tmp_path / "hr.npy", tmp_path / "meta.json", progress=False)
    assert not (tmp_path / "hr.npy").exists() and not (tmp_path / "meta.json").exists()


def test_file_that_is_not_a_video(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("these are not frames\n" * 100)
    with pytest.raises(StdoError, match=r"notes\.mp4: not a readable video"):
        decode(bad, progress=False)
    with pytest.raises(StdoError, match="not found"):
        decode(tmp_path / "missing.mp4", progress=False)


def test_fit_crop_policy():
    from stdo.video.ingest import compose_crops, fit_crop

    # paper grids on a 1918x1078 phone video: width multiple 40, height 20, offsets on 4
    assert fit_crop(1078, 1918, (40, 20, 4)) == [16, 8, 1880, 1060]
    assert fit_crop(1080, 1920, (40, 20, 4)) is None  # already fits: untouched
    assert fit_crop(58, 110, (8, 8, 1)) == [3, 1, 104, 56]
    with pytest.raises(StdoError, match="smaller than one patch grid"):
        fit_crop(30, 110, (8, 40, 1))
    assert compose_crops([10, 20, 100, 50], [2, 1, 96, 48]) == [12, 21, 96, 48]
    assert compose_crops(None, [2, 1, 96, 48]) == [2, 1, 96, 48]
