"""Item 2: a video damaged in the middle is refused naming the frames, or with on_corrupt: skip
its damaged frames are dropped and listed in meta.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stdo.core import io
from stdo.video.demo import encode, render_frames
from stdo.video.ingest import main as ingest_main


@pytest.fixture(scope="module")
def damaged(tmp_path_factory) -> tuple[Path, np.ndarray]:
    """A 60-frame H.264 clip with 2,000 bytes overwritten a third of the way in (the decoder reads
    past them and conceals the damage), and its frames before encoding."""
    root = tmp_path_factory.mktemp("damaged")
    frames = render_frames(320, 240, 60)
    encode(frames, root / "clip.mp4", fps=30, crf=23)
    data = bytearray((root / "clip.mp4").read_bytes())
    mid = len(data) // 3
    data[mid : mid + 2000] = bytes(2000)
    (root / "bad.mp4").write_bytes(bytes(data))
    return root / "bad.mp4", frames


def _ingest(video: Path, out: Path, *extra: str) -> None:
    outs = ["--out-frames", str(out / "hr.npy"), "--out-meta", str(out / "meta.json")]
    ingest_main(["--video", str(video), *outs, *extra])


def test_item02_damaged_video_is_refused_naming_the_frames(damaged, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        _ingest(damaged[0], tmp_path)
    err = capsys.readouterr().err
    assert e.value.code == 2 and "bad.mp4: damaged:" in err and "on_corrupt: skip" in err, err
    assert not (tmp_path / "hr.npy").exists() and not (tmp_path / "meta.json").exists()


def test_item02_on_corrupt_skip_drops_and_records_the_frames(damaged, tmp_path):
    video, clean = damaged
    _ingest(video, tmp_path, "--on-corrupt", "skip")
    meta = json.loads((tmp_path / "meta.json").read_text())
    dropped = meta["dropped_frames"]
    assert dropped and meta["on_corrupt"] == "skip"
    kept = [i for i in range(len(clean)) if i not in dropped]
    hr = io.open_array(tmp_path / "hr.npy")
    assert meta["frames"] == len(kept) == len(hr)
    # what is kept is the video, not garbage: every kept frame is close to its source frame
    err = [float(np.abs(hr[j].astype(float) - clean[i]).mean()) for j, i in enumerate(kept)]
    assert max(err) < 8, err
