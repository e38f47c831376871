"""Progress a person can follow: a bar with rate and ETA that writes a line per redraw (not a
flood of carriage returns) into a log, off under STDO_PROGRESS=0 or CI, never changing what is
trained; and the one line each finished training unit prints."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch

from stdo.core import io, progress
from stdo.models import build_model, modelfile
from stdo.sr import train
from stdo.sr.train import TrainSettings, train_model


@pytest.mark.parametrize(
    ("env", "shown"),
    [
        ({}, True),
        ({"STDO_PROGRESS": "0"}, False),
        ({"STDO_PROGRESS": "off"}, False),
        ({"CI": "true"}, False),
        ({"CI": "true", "STDO_PROGRESS": "1"}, True),
        ({"CI": "false"}, True),
    ],
)
def test_bars_are_off_under_stdo_progress_0_or_ci(monkeypatch, env, shown):
    monkeypatch.delenv("STDO_PROGRESS", raising=False)
    monkeypatch.delenv("CI", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert progress.enabled() is shown
    assert progress.bar(total=3).disable is not shown
    assert progress.bar(total=3, disable=True).disable  # a stage's own --no-progress still wins


def test_a_bar_in_a_log_is_a_line_per_redraw_with_rate_and_eta(monkeypatch, capsys):
    monkeypatch.setenv("STDO_PROGRESS", "1")
    with progress.bar(total=50, desc="train", unit="step") as bar:
        for _ in range(50):
            bar.update(1)
    err = capsys.readouterr().err  # not a terminal: a log file's view
    assert "\r" not in err
    lines = err.splitlines()
    # mininterval 10 s off a terminal: the first line and the last, not one per step
    assert len(lines) == 2, lines
    assert lines[0].startswith("train:   0%") and "0/50" in lines[0]
    assert lines[-1].startswith("train: 100%") and "50/50" in lines[-1] and "step/s" in lines[-1]
    assert re.search(r"\[\d\d:\d\d<\d\d:\d\d", lines[-1])  # elapsed < ETA


def test_training_with_the_bar_trains_the_same_weights(patch_dir, monkeypatch, capsys):
    lr, hr = io.open_array(patch_dir / "lr.npy"), io.open_array(patch_dir / "hr.npy")
    runs = []
    for env in ("1", "0"):
        monkeypatch.setenv("STDO_PROGRESS", env)
        model = build_model("wdsr", scale=2, seed=3, n_resblocks=2, n_feats=8)
        settings = TrainSettings(steps=25, lr=1e-3, seed=3, batch_size=8, log_every=5)
        log = train_model(model, lr, hr, np.arange(len(lr)), settings, progress=True)
        runs.append((model.state_dict(), log, capsys.readouterr().err))
    (with_bar, log_a, err_a), (without, log_b, err_b) = runs
    assert "train: 100%" in err_a and "25/25" in err_a  # the bar was drawn
    assert "train:" not in err_b
    assert log_a == log_b
    for k, v in with_bar.items():
        assert torch.equal(v, without[k]), k


def test_a_finished_unit_prints_its_unit_steps_final_loss_and_time(patch_dir, tmp_path, capsys):
    out = tmp_path / "all"
    settings = '{"batch_size":8,"lr":0.001,"seed":1}'
    train.main(
        ["--patches", str(patch_dir), "--unit", "all", "--epochs", "1", "--backbone", "espcn", "--scale", "2",
         "--settings", settings, "--threads", "1", "--device", "cpu",
         "--out-model", str(out / "model.pt"), "--out-log", str(out / "log.csv")]
    )  # fmt: skip
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("trained ")]
    assert len(lines) == 1, lines
    m = re.fullmatch(
        r"trained all \(seed 1\): (\d+) steps of batch 8, final loss ([\d.]+), ([\d.]+) s"
        r" \(([\d.]+) patches/s\)",
        lines[0],
    )
    assert m, lines[0]
    log = pd.read_csv(out / "log.csv")
    patches = len(pd.read_csv(patch_dir / "index.csv"))
    assert int(m.group(1)) == int(log["step"].iloc[-1]) == -(-patches // 8)  # one epoch
    assert float(m.group(2)) == pytest.approx(log["loss"].iloc[-1], abs=5e-5)
    _, record = modelfile.load_model(out / "model.pt")
    assert float(m.group(3)) == pytest.approx(record["extra"]["train_seconds"], abs=0.051)
