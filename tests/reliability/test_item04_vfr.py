"""Item 4: a variable frame rate is recorded in meta.json with a warning (NAS and CaFM segments
are cut by frame count). The video is written here with PyAV, a variable rate through the
frames' presentation times."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from support.clips import ingest_meta as _ingest

W, H = 64, 48


def _frame(i: int) -> np.ndarray:
    return np.full((H, W, 3), 40 + 8 * i, np.uint8)


def _write(path: Path, n: int = 12, pts_ms=None) -> Path:
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25, options={"crf": "10"})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        if pts_ms is not None:
            s.time_base = s.codec_context.time_base = Fraction(1, 1000)
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(_frame(i), format="rgb24")
            if pts_ms is not None:
                frame.pts, frame.time_base = pts_ms[i], Fraction(1, 1000)
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def test_item04_variable_frame_rate_is_recorded_with_a_warning(tmp_path, capsys):
    pts = [i * 40 for i in range(6)] + [240 + i * 120 for i in range(6)]  # 25 fps, then about 8
    meta = _ingest(_write(tmp_path / "vfr.mp4", pts_ms=pts), tmp_path)
    err = capsys.readouterr().err
    assert meta["vfr"] is True
    assert meta["frame_duration_s"] == pytest.approx([0.040, 0.120], abs=0.002)
    assert "variable frame rate: frames last 40.0 to 120.0 ms" in err and "NAS and CaFM" in err, err
    assert "-fps_mode cfr" in err
    # a constant rate says so and warns of nothing
    meta = _ingest(_write(tmp_path / "cfr.mp4"), tmp_path / "c")
    assert meta["vfr"] is False and meta["frame_duration_s"] == pytest.approx([0.04, 0.04])
    assert "variable frame rate" not in capsys.readouterr().err
