"""Item 3: a video's display matrix (a phone's portrait video) is applied, turning the frames as a
player shows them, and recorded in meta.json; a matrix ingest cannot apply (a mirror) is refused.
The videos are written here with PyAV's ``set_display_rotation`` (a display matrix in the mp4)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from support.clips import ingest_meta as _ingest

from stdo.core import io

W, H = 64, 48


def _marked(i: int) -> np.ndarray:
    """A frame with a white 8x16 block at its top-left corner (shows which way it was turned)."""
    img = np.full((H, W, 3), 40 + i, np.uint8)
    img[:8, :16] = 255
    return img


def _write(path: Path, n: int = 4, rotation=None, hflip=False) -> Path:
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25, options={"crf": "10"})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        if rotation is not None:
            s.set_display_rotation(rotation, hflip=hflip)
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(_marked(i), format="rgb24")
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


@pytest.mark.parametrize("degrees", [90, -90, 180])
def test_item03_display_matrix_is_applied_and_recorded(tmp_path, capsys, degrees):
    meta = _ingest(_write(tmp_path / "phone.mp4", rotation=degrees), tmp_path)
    assert f"turned {degrees % 360} degrees counter-clockwise" in capsys.readouterr().out
    hr = io.open_array(tmp_path / "hr.npy")
    turned = np.rot90(_marked(0), degrees // 90)  # what a player shows
    assert meta["display_rotation"] == degrees % 360
    assert hr.shape[1:3] == turned.shape[:2] and (meta["height"], meta["width"]) == turned.shape[:2]
    assert np.abs(hr[0].astype(int) - turned).mean() < 6  # the white block where the player shows it
    assert (meta["source_width"], meta["source_height"]) == (W, H)


def test_item03_upright_video_records_no_rotation(tmp_path):
    assert _ingest(_write(tmp_path / "plain.mp4"), tmp_path)["display_rotation"] == 0


def test_item03_mirroring_display_matrix_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        _ingest(_write(tmp_path / "mirror.mp4", rotation=90, hflip=True), tmp_path)
    err = capsys.readouterr().err
    assert e.value.code == 2 and "mirror.mp4: its display matrix mirrors the picture" in err, err
    assert "re-encode it upright" in err
    assert not (tmp_path / "hr.npy").exists() and not (tmp_path / "meta.json").exists()
