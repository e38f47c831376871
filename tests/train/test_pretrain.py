import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from stdo.core.errors import StdoError
from stdo.core.imaging import downscale
from stdo.models import modelfile
from stdo.sr import pretrain
from stdo.video.photos import load_photo


def test_pairs_are_degraded_tiles_of_every_view(photos):
    img = photos["coffee"]
    lr, hr = pretrain.make_pairs([img], scale=2, patch=24)
    assert lr.shape[1:] == (24, 24, 3) and hr.shape[1:] == (48, 48, 3)
    # four views (identity, two flips, transpose) of a 400x600 photograph in 48-px tiles
    assert len(hr) == 2 * (8 * 12) + 2 * (12 * 8)
    np.testing.assert_array_equal(hr[0], img[:48, :48])
    np.testing.assert_array_equal(lr[0], downscale(np.ascontiguousarray(img[:384, :576]), 2)[:24, :24])


def test_f0_may_not_train_on_the_videos_photographs(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        pretrain.main(
            ["--images", "chelsea,astronaut", "--exclude", "astronaut,rocket", "--patch", "8",
             "--steps", "1", "--backbone", "espcn", "--scale", "2", "--settings", '{"batch_size": 2}',
             "--out-model", str(tmp_path / "m.pt"), "--out-log", str(tmp_path / "log.csv")]
        )  # fmt: skip
    assert exit_info.value.code == 2
    assert "['astronaut'] also appear in the demo video" in capsys.readouterr().err
    assert not (tmp_path / "m.pt").exists()


def _pretrain_cmd(out: Path, images: str = "camera", steps: int = 960) -> list[str]:
    # camera (512x512, not in the demo video) in 8-px LR tiles: 4096 tiles; log rows every 7
    # steps, resume states every 10, so a resume lands inside a logging window
    settings = '{"batch_size":8,"lr":0.001,"seed":1,"checkpoint_every":10,"log_every":7}'
    return [sys.executable, "-m", "stdo.sr.pretrain", "--images", images, "--patch", "8",
            "--steps", str(steps), "--backbone", "espcn", "--scale", "2", "--settings", settings,
            "--threads", "1", "--device", "cpu", "--no-progress",
            "--out-model", str(out / "model.pt"), "--out-log", str(out / "log.csv")]  # fmt: skip


@pytest.mark.slow
def test_killed_pretraining_resumes_to_the_same_weights(tmp_path):
    ref, cut, other = tmp_path / "ref", tmp_path / "cut", tmp_path / "other"
    subprocess.run(_pretrain_cmd(ref), check=True, capture_output=True)
    assert not (ref / ".checkpoint.pt").exists()

    proc = subprocess.Popen(_pretrain_cmd(cut), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ckpt = cut / ".checkpoint.pt"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if ckpt.exists() and torch.load(ckpt, weights_only=False)["step"] >= 100:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "pretraining finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (cut / "model.pt").exists() and not (cut / "log.csv").exists()

    # the resume state is f0's of these images only: pretraining on other images ignores it
    other.mkdir()
    shutil.copy(ckpt, other / ".checkpoint.pt")
    run = subprocess.run(_pretrain_cmd(other, images="coins", steps=20), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "ignoring" in run.stdout and "resuming" not in run.stdout

    second = subprocess.run(_pretrain_cmd(cut), check=True, capture_output=True, text=True)
    assert "resuming from" in second.stdout
    assert int(second.stdout.split(" at step ")[1].split("/")[0]) >= 100
    assert not ckpt.exists()  # removed once the outputs are in place
    a, rec_a = modelfile.load_model(ref / "model.pt")
    b, rec_b = modelfile.load_model(cut / "model.pt")
    assert rec_a["extra"] == rec_b["extra"] == {"role": "f0", "images": ["camera"]}
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb), ka
    log = pd.read_csv(cut / "log.csv")
    assert list(log.columns) == ["step", "loss", "lr"] and log["step"].iloc[-1] == 960
    pd.testing.assert_frame_equal(log, pd.read_csv(ref / "log.csv"))
    for name in ("model.pt", "log.csv"):
        side = json.loads((cut / f"{name}.prov.json").read_text())
        assert side["stage"] == "pretrain" and side["seed"] == 1 and side["inputs"] == []
        assert side["params"] == json.loads((ref / f"{name}.prov.json").read_text())["params"]
        assert side["params"]["images"] == ["camera"] and side["params"]["settings"]["steps"] == 960


def test_unknown_setting_is_a_one_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        pretrain.main(
            ["--images", "camera", "--patch", "8", "--steps", "1", "--backbone", "espcn", "--scale", "2",
             "--settings", '{"batch_size": 2, "batchsize": 4}',
             "--out-model", str(tmp_path / "m.pt"), "--out-log", str(tmp_path / "log.csv")]
        )  # fmt: skip
    assert exit_info.value.code == 2
    assert "unknown training setting 'batchsize'; known settings: batch_size," in capsys.readouterr().err
    assert not tmp_path.joinpath("m.pt").exists()


def test_pretrain_imports_no_video_code():
    code = "import sys, stdo.sr.pretrain; print(sorted({'av', 'stdo.video.demo'} & set(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_photos_are_rgb_uint8():
    camera = load_photo("camera")  # a grey photograph, replicated to RGB
    assert camera.shape == (512, 512, 3) and camera.dtype == np.uint8
    np.testing.assert_array_equal(camera[..., 0], camera[..., 2])
    assert load_photo("coffee").shape == (400, 600, 3)
    with pytest.raises(StdoError, match="skimage.data has no image 'nosuchphoto'"):
        load_photo("nosuchphoto")
