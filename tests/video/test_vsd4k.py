"""VSD4K's layout: HR PNGs into hr.npy, the dataset's own LR PNGs used as they are."""

import json

import numpy as np
import pytest
from PIL import Image
from support.clips import make_vsd4k_clip

from stdo.core import frames, io
from stdo.core.errors import StdoError
from stdo.video import degrade, ingest, vsd4k


def test_ingest_and_lr_of_two_clips_in_order(tmp_path, vsd4k_frames):
    a = make_vsd4k_clip(tmp_path, "game_45s_1", vsd4k_frames[:5])
    b = make_vsd4k_clip(tmp_path, "vlog_45s_1", vsd4k_frames[5:9])
    out = tmp_path / "v"
    meta = ingest.ingest([a, b], out / "hr.npy", out / "meta.json", frames=[2, 8])
    hr = io.open_array(out / "hr.npy")
    np.testing.assert_array_equal(hr, vsd4k_frames[2:8])  # PNG is lossless
    assert meta["frame_range"] == [2, 8] and meta["frames"] == 6
    degrade.main(["--hr", str(out / "hr.npy"), "--scale", "2", "--out", str(out / "lr.npy"),
                  "--vsd4k", f"{a},{b}", "--meta", str(out / "meta.json")])  # fmt: skip
    lr = io.open_array(out / "lr.npy")
    want = [np.asarray(Image.open(a / "DIV2K_train_LR_bicubic/X2/00003_x2.png"))]
    want += [np.asarray(Image.open(b / "DIV2K_train_LR_bicubic/X2/00002_x2.png"))]
    np.testing.assert_array_equal(lr[0], want[0])
    np.testing.assert_array_equal(lr[4], want[1])  # frame 6 of 9 is clip b's second
    # the dataset's frames, not ours: PIL's bicubic differs from stdo's somewhere
    assert np.any(lr != degrade.degrade_frames(np.array(hr), 2))
    sidecar = json.loads((out / "lr.npy.prov.json").read_text())
    assert sidecar["params"]["lr"] == "VSD4K"


def test_crop_is_applied_to_hr_and_lr_alike(tmp_path, vsd4k_frames):
    clip = make_vsd4k_clip(tmp_path, "inter_15s_1", vsd4k_frames[:3])
    out = tmp_path / "v"
    ingest.ingest([clip], out / "hr.npy", out / "meta.json", crop=[8, 4, 80, 40])
    np.testing.assert_array_equal(io.open_array(out / "hr.npy"), vsd4k_frames[:3, 4:44, 8:88])
    degrade.main(["--hr", str(out / "hr.npy"), "--scale", "4", "--out", str(out / "lr.npy"),
                  "--vsd4k", str(clip), "--meta", str(out / "meta.json")])  # fmt: skip
    full = np.asarray(Image.open(clip / "DIV2K_train_LR_bicubic/X4/00001_x4.png"))
    np.testing.assert_array_equal(io.open_array(out / "lr.npy")[0], full[1:11, 2:22])


def test_crop_off_the_scale_grid_is_refused(tmp_path, vsd4k_frames):
    clip = make_vsd4k_clip(tmp_path, "inter_15s_1", vsd4k_frames[:2], scales=(4,))
    pairs = vsd4k.frame_list([clip], None)
    with pytest.raises(StdoError, match="not a multiple of x4"):
        vsd4k.read_lr(pairs, 4, (40, 80), crop=[2, 0, 80, 40])


def test_missing_lr_frame_and_wrong_lr_size_are_named(tmp_path, vsd4k_frames):
    clip = make_vsd4k_clip(tmp_path, "vlog_15s_1", vsd4k_frames[:3], scales=(2,))
    pairs = vsd4k.frame_list([clip], None)
    (clip / "DIV2K_train_LR_bicubic/X2/00002_x2.png").unlink()
    with pytest.raises(StdoError, match="00002_x2.png: image missing; the clip is incomplete"):
        vsd4k.read_lr(pairs, 2, (48, 96))
    with pytest.raises(StdoError, match="00001_x4.png: image missing"):
        vsd4k.read_lr(pairs, 4, (48, 96))
    (clip / "DIV2K_train_LR_bicubic/X2/00002_x2.png").write_bytes(b"\x89PNG\r\n\x1a\n cut short")
    with pytest.raises(StdoError, match="00002_x2.png: not a readable image .*download it again"):
        vsd4k.read_lr(pairs, 2, (48, 96))
    Image.new("RGB", (10, 10)).save(clip / "DIV2K_train_LR_bicubic/X2/00002_x2.png")
    with pytest.raises(StdoError, match="LR frame is 10x10, expected 48x24"):
        vsd4k.read_lr(pairs, 2, (48, 96))


def test_not_a_clip_directory(tmp_path):
    with pytest.raises(StdoError, match="no DIV2K_train_HR/ directory"):
        vsd4k.frame_list([tmp_path], None)


def test_cafm_split_ranges():
    assert frames.cafm_split(450) == ([0, 409], [409, 449])  # 15 s at 30 fps
    assert frames.cafm_split(22) == ([0, 20], [20, 22])
    with pytest.raises(StdoError, match="too few"):
        frames.cafm_split(9)


def test_ingest_cafm_split_train_and_test_frames(tmp_path, vsd4k_frames):
    clip = make_vsd4k_clip(tmp_path, "vlog_15s_1", vsd4k_frames, scales=(2,))  # 12 frames: 11 + 1
    train = ingest.ingest([clip], tmp_path / "a/hr.npy", tmp_path / "a/meta.json", split="train")
    test = ingest.ingest([clip], tmp_path / "b/hr.npy", tmp_path / "b/meta.json", split="test")
    assert (train["frame_range"], test["frame_range"]) == ([0, 11], [11, 12])
    np.testing.assert_array_equal(io.open_array(tmp_path / "b/hr.npy"), vsd4k_frames[11:12])
    degrade.main(["--hr", str(tmp_path / "b/hr.npy"), "--scale", "2", "--out", str(tmp_path / "b/lr.npy"),
                  "--vsd4k", str(clip), "--meta", str(tmp_path / "b/meta.json")])  # fmt: skip
    last = np.asarray(Image.open(clip / "DIV2K_train_LR_bicubic/X2/00012_x2.png"))
    np.testing.assert_array_equal(io.open_array(tmp_path / "b/lr.npy")[0], last)


def test_clip_frames_keeps_the_first_frames_of_each_clip(tmp_path, vsd4k_frames):
    """VSD4K.py's frame[0:time*30], per clip: of clips of 5 and 4 frames, clip_frames 3 keeps frames
    0-2 of each (the held-out tail of each clip is left out), and the LR frames follow."""
    a = make_vsd4k_clip(tmp_path, "game_45s_1", vsd4k_frames[:5])
    b = make_vsd4k_clip(tmp_path, "vlog_45s_1", vsd4k_frames[5:9])
    out = tmp_path / "v"
    meta = ingest.ingest([a, b], out / "hr.npy", out / "meta.json", clip_frames=3, duration_s=0.2)
    hr = io.open_array(out / "hr.npy")
    np.testing.assert_array_equal(hr, vsd4k_frames[[0, 1, 2, 5, 6, 7]])
    assert meta["frames"] == 6 and meta["clip_frames"] == 3 and meta["fps"] == pytest.approx(30.0)
    degrade.main(["--hr", str(out / "hr.npy"), "--scale", "2", "--out", str(out / "lr.npy"),
                  "--vsd4k", f"{a},{b}", "--meta", str(out / "meta.json")])  # fmt: skip
    lr = io.open_array(out / "lr.npy")
    np.testing.assert_array_equal(lr[3], np.asarray(Image.open(b / "DIV2K_train_LR_bicubic/X2/00001_x2.png")))
    with pytest.raises(StdoError, match="fewer than clip_frames 5"):
        vsd4k.frame_list([a, b], None, 5)
