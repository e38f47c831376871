"""The LR stream: real frames through each codec and back (stdo.video.codec)."""

import numpy as np
import pytest

from stdo.core.errors import StdoError
from stdo.core.imaging import downscale
from stdo.core.metrics import psnr
from stdo.video import codec


@pytest.fixture(scope="module")
def lr(demo_frames):
    return downscale(demo_frames[:6], 4)  # 6 real frames of 24x16


def test_lossless_stream_decodes_to_the_same_frames(lr, tmp_path):
    decoded, record = codec.round_trip(lr, tmp_path / "s.mkv", None, "30")
    assert np.array_equal(decoded, lr)
    assert record["codec"] == {"codec": "ffv1"} and record["bytes"] == (tmp_path / "s.mkv").stat().st_size
    assert 0 < record["payload_bytes"] < record["bytes"]


@pytest.mark.parametrize("name", codec.CODECS)
def test_each_codec_round_trips_real_frames_at_its_quality(name, lr, tmp_path):
    decoded, record = codec.round_trip(lr, tmp_path / "s.mkv", {"codec": name, "crf": 20}, "30")
    assert decoded.shape == lr.shape and decoded.dtype == np.uint8
    assert 25 < psnr(decoded, lr) < 60  # lossy, but the same pictures
    worse, small = codec.round_trip(lr, tmp_path / "w.mkv", {"codec": name, "crf": 50}, "30")
    assert small["bytes"] < record["bytes"] and psnr(worse, lr) < psnr(decoded, lr)


def test_x265_sizes_that_crash_it_are_padded_and_cropped_back(lr, tmp_path):
    decoded, record = codec.round_trip(lr, tmp_path / "s.mkv", {"codec": "libx265", "crf": 10}, "30")
    assert record["size"] == [16, 24] and record["coded_size"] == [32, 32]
    assert decoded.shape == lr.shape and psnr(decoded, lr) > 28  # yuv420p on 24x16: chroma-limited


def test_a_truncated_stream_is_an_error_naming_it(lr, tmp_path):
    path = tmp_path / "s.mkv"
    record = codec.encode(lr, path, {"codec": "libx264", "crf": 23}, "30")
    path.write_bytes(path.read_bytes()[: record["bytes"] // 2])
    with pytest.raises(StdoError, match="damaged or truncated"):
        codec.decode(path, (16, 24), len(lr))


def test_unknown_codec_or_key_is_refused():
    with pytest.raises(StdoError, match="unknown codec 'h264'"):
        codec.normalise({"codec": "h264", "crf": 23})
    with pytest.raises(StdoError, match="needs a crf"):
        codec.normalise({"codec": "libx264"})
    assert codec.normalise({"codec": "libx264", "crf": 23}) == {"codec": "libx264", "crf": 23}
