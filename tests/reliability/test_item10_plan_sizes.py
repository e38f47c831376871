"""Item 10: config mistakes that passed a dry run and failed at run time stop at parse time in
``Plan.check``: ``stdo.k`` larger than a video's patches, and more NAS/CaFM segments than a
short video has frames (a one-frame video given a ``duration_s`` it does not have)."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from stdo.core.errors import StdoError
from stdo.workflow.plan import Plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
from support.workflow import TINY, snakemake  # noqa: E402

DEMO = {"path": "resources/demo/demo.mp4", "width": 96, "height": 48, "fps": 10, "seconds": 2.0}
BASE = {
    "videos": [{"name": "demo", "source": "resources/demo/demo.mp4", "frames": [0, 1]}],
    "demo_video": DEMO,
    "scales": [2, 4],
    "patch_grid": {"x2": [4, 2], "x4": [2, 2]},
    "backbones": [{"name": "espcn", "lr": 1e-3, "epochs": 2}],
    "methods": ["awdnn", "stdo"],
    "nas": {"chunk_seconds": 0.5},
    "stdo": {"k": [2, 4]},
    "train": {"batch_size": 8, "init": "scratch"},
    "pretrain": {"backbone": "espcn", "lr": 2e-3, "batch_size": 16},
}


def _config(**changes):
    return copy.deepcopy(BASE) | changes


def _one_frame_video(path: Path) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 96, 48, "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.full((48, 96, 3), 90, np.uint8), format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    return path


def test_item10_k_larger_than_a_videos_patches_stops_at_parse_time():
    Plan(_config()).check()  # one frame: 4 patches at x4 (2x2), k=4 fits
    with pytest.raises(StdoError) as e:
        Plan(_config(stdo={"k": [2, 5]})).check()
    msg = str(e.value)
    assert "k=5" in msg and "'demo' at x4" in msg and "only 4 patches (1 frames x 2x2 patch_grid.x4)" in msg
    assert "use k <= 4" in msg


def test_item10_more_segments_than_frames_stops_at_parse_time(tmp_path):
    clip = _one_frame_video(tmp_path / "one.mp4")
    video = {"name": "one", "source": str(clip)}
    cfg = _config(videos=[video], methods=["awdnn", "nas", "cafm"])
    Plan(cfg).check()  # its own length (0.1 s): one segment for one frame
    with pytest.raises(StdoError) as e:
        Plan(_config(videos=[video | {"duration_s": 2}], methods=["awdnn", "nas"])).check()
    msg = str(e.value)
    assert "video 'one' has 1 frame but NAS/CaFM cut it into 4 time segments" in msg
    assert "set duration_s to the video's real length" in msg


@pytest.mark.slow
def test_item10_dry_run_of_a_too_large_k_is_one_line(tmp_path):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("stdo:\n  k: [2, 50]\n")  # tiny: 12 frames x 2x2 = 48 patches at x4
    proc = snakemake(tmp_path, "tables", "-n", "--configfile", str(TINY), str(overlay), check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out, out
    lines = [ln for ln in out.splitlines() if ln.startswith("stdo: config error: ")]
    assert len(lines) == 1 and "k=50 PSNR chunks" in lines[0] and "only 48 patches" in lines[0], out
