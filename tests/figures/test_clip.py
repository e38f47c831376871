"""``stdo.report.figures.clip``: the side-by-side frame layout and an H.264 file PyAV reads back."""

from fractions import Fraction

import av
import numpy as np
import pytest

from stdo.report.figures import clip


def test_side_by_side_puts_each_half_under_its_caption_and_pads_to_even_sides(demo_frames):
    left, right = demo_frames[0, :31, :45], demo_frames[1, :31, :45]
    bars = clip.caption("bicubic 21.00 dB", 45), clip.caption("STDO 22.00 dB", 45)
    assert bars[0].shape == (clip.BAR, 45, 3) and bars[0].std() > 0  # text drawn
    out = clip.side_by_side(left, right, *bars)
    assert out.shape[0] % 2 == 0 and out.shape[1] % 2 == 0
    assert out.shape[:2] == (31 + clip.BAR + 1, 2 * 45 + clip.GAP)  # 49 rows padded to 50; 94 columns
    np.testing.assert_array_equal(out[clip.BAR : clip.BAR + 31, :45], left)
    np.testing.assert_array_equal(out[clip.BAR : clip.BAR + 31, 45 + clip.GAP : 90 + clip.GAP], right)
    np.testing.assert_array_equal(out[: clip.BAR, :45], bars[0])


def test_the_clip_is_h264_at_the_videos_rate_and_reads_back(tmp_path, demo_frames):
    frames = [np.ascontiguousarray(f[:48, :96]) for f in demo_frames[:10]]
    path = tmp_path / "clip.mp4"
    assert clip.write_mp4(iter(frames), path, Fraction(30000, 1001)) == 10
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.average_rate == Fraction(30000, 1001)
        back = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(back) == 10 and back[0].shape == (48, 96, 3)
    err = np.abs(back[3].astype(int) - frames[3].astype(int)).mean()
    assert err < 6  # CRF 18 in yuv420p: close to the frames written
    with pytest.raises(ValueError, match="no frames"):
        clip.write_mp4(iter([]), tmp_path / "empty.mp4", 30)
    assert not (tmp_path / "empty.mp4").exists()
