"""Item 1: a resume state made from other data (or another init file's content) is never resumed."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from stdo.models import build_model, modelfile
from stdo.sr import train

SETTINGS = '{"batch_size":8,"lr":0.001,"seed":1,"checkpoint_every":10,"log_every":7}'


def _args(patches: Path, out: Path, init: Path | None = None) -> list[str]:
    args = ["--patches", str(patches), "--unit", "all", "--epochs", "2", "--backbone", "espcn"]
    args += ["--scale", "2", "--settings", SETTINGS, "--threads", "1", "--device", "cpu", "--no-progress"]
    args += ["--out-model", str(out / "model.pt"), "--out-log", str(out / "log.csv")]
    return args + (["--init", str(init)] if init else [])


def _interrupted(monkeypatch, args: list[str]) -> None:
    """Train, and die just before the outputs are written: the last resume state stays behind."""

    def killed(*a, **k):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(train, "write_outputs", killed)
        with pytest.raises(KeyboardInterrupt):
            train.main(args)


def _same_weights(a: Path, b: Path) -> bool:
    sa, sb = modelfile.load_model(a)[0].state_dict(), modelfile.load_model(b)[0].state_dict()
    return all(torch.equal(sa[k], sb[k]) for k in sa)


def _save_init(path: Path, seed: int) -> None:
    model = build_model("espcn", scale=2, seed=seed)
    modelfile.save_model(path, model, backbone="espcn", scale=2, kwargs={})


def test_item01_checkpoint_of_another_video_is_not_resumed(
    patch_dir, mirrored_patch_dir, tmp_path, monkeypatch, capsys
):
    out, clean = tmp_path / "m", tmp_path / "clean"
    _interrupted(monkeypatch, _args(patch_dir, out))
    assert (out / train.RESUME_NAME).exists()
    capsys.readouterr()
    train.main(_args(mirrored_patch_dir, out))  # the same size and frame count, mirrored
    said = capsys.readouterr().out
    assert "resuming" not in said
    assert "other patch data" in said and "starting over" in said
    train.main(_args(mirrored_patch_dir, clean))
    assert _same_weights(out / "model.pt", clean / "model.pt")  # as a clean run on the new video


def test_item01_checkpoint_over_a_regenerated_init_file_is_not_resumed(
    patch_dir, tmp_path, monkeypatch, capsys
):
    init, out = tmp_path / "f0.pt", tmp_path / "m"
    _save_init(init, seed=3)
    _interrupted(monkeypatch, _args(patch_dir, out, init))
    _save_init(init, seed=4)  # regenerated at the same path
    capsys.readouterr()
    train.main(_args(patch_dir, out, init))
    said = capsys.readouterr().out
    assert "resuming" not in said and "another init file (its content differs)" in said
