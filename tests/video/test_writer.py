"""The one video writer (stdo.video.codec.Writer): frames pushed one at a time, the file moved into
place whole or not at all; the H.264 MP4s of the demo, the clips and the client."""

from fractions import Fraction

import av
import numpy as np
import pytest

from stdo.core.errors import StdoError
from stdo.video import codec


def _frames(n: int, h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 4 % 256, y * 5 % 256, (x + y) * 3 % 256], -1).astype(np.uint8)
    return np.stack([np.roll(base, 2 * i, 1) for i in range(n)])


def test_frames_pushed_one_at_a_time_make_an_h264_mp4_at_the_exact_rate(tmp_path):
    path = tmp_path / "v.mp4"
    writer = codec.mp4_writer(path, "30000/1001", crf=18, preset="medium")
    for img in _frames(5, 47, 63):  # odd sides: padded (edge pixels) to even ones
        writer.write(img)
        assert not path.exists()  # atomic: nothing at the path before close
    writer.close()
    assert writer.frames == 5 and writer.coded_size == (48, 64) and 0 < writer.payload_bytes
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.average_rate == Fraction(30000, 1001)
        back = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(back) == 5 and back[0].shape == (48, 64, 3)
    assert np.abs(back[2][:47, :63].astype(int) - _frames(5, 47, 63)[2].astype(int)).mean() < 6


def test_the_one_call_form_counts_the_frames_and_an_aborted_file_is_never_written(tmp_path):
    assert codec.write_mp4(iter(_frames(3, 32, 32)), tmp_path / "a.mp4", 25, crf=23) == 3
    writer = codec.mp4_writer(tmp_path / "b.mp4", 25, crf=23)
    writer.write(_frames(1, 32, 32)[0])
    writer.close(ok=False)
    writer.close()  # closing twice does nothing
    with pytest.raises(RuntimeError, match="boom"), codec.mp4_writer(tmp_path / "c.mp4", 25, crf=23) as w:
        w.write(_frames(1, 32, 32)[0])
        raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]  # no partial file left either


def test_no_frames_or_a_frame_of_another_size_is_refused(tmp_path):
    with pytest.raises(StdoError, match="no frames to write"):
        codec.write_mp4(iter([]), tmp_path / "e.mp4", 25, crf=23)
    with pytest.raises(StdoError, match="a 16x16 frame in a 32x32 video"):
        codec.write_mp4([_frames(1, 32, 32)[0], _frames(1, 16, 16)[0]], tmp_path / "m.mp4", 25, crf=23)
    assert list(tmp_path.iterdir()) == []


def test_the_lr_stream_and_the_mp4_are_the_same_writer(tmp_path):
    frames = _frames(4, 24, 48)
    record = codec.encode(frames, tmp_path / "s.mkv", {"codec": "libx264", "crf": 23}, "30")
    with codec.Writer(tmp_path / "w.mkv", "libx264", "30", options={"crf": "23", "threads": "1"}, pad=2) as w:
        for img in frames:
            w.write(img)
    assert w.payload_bytes == record["payload_bytes"]  # same settings: the same packets
    assert np.array_equal(codec.decode(tmp_path / "w.mkv"), codec.decode(tmp_path / "s.mkv"))
