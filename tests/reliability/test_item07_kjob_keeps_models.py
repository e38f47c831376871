"""Item 7 (the k-job's part): Snakemake deletes every output of a failed job, so an interrupted
``train_stdo_k<k>`` job lost the chunk models it had finished and the rerun trained them again.
Each unit of a several-unit job now keeps its last step's resume state until every unit is written:
the rerun writes the finished models from them, with the same weights, without training."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from stdo.models import modelfile
from stdo.sr import train

SETTINGS = '{"batch_size":8,"lr":0.001,"seed":1,"checkpoint_every":2}'


def _args(patches: Path, outs: list[Path]) -> list[str]:
    args = ["--patches", str(patches), "--unit", *["all"] * len(outs), "--epochs", "1", "--backbone", "espcn"]
    args += ["--scale", "2", "--settings", SETTINGS, "--threads", "1", "--device", "cpu", "--no-progress"]
    return args + [
        "--out-model",
        *[str(o / "model.pt") for o in outs],
        "--out-log",
        *[str(o / "log.csv") for o in outs],
    ]


def _weights(path: Path) -> dict:
    return modelfile.load_model(path)[0].state_dict()


def test_item07_an_interrupted_k_job_keeps_its_finished_models(patch_dir, tmp_path, monkeypatch, capsys):
    c0, c1 = tmp_path / "c0", tmp_path / "c1"
    real, calls = train._run_training, []

    def second_is_killed(**kw):
        calls.append(kw["out_model"])
        if len(calls) == 2:
            raise KeyboardInterrupt  # the job is stopped while it trains the second model
        real(**kw)

    monkeypatch.setattr(train, "_run_training", second_is_killed)
    with pytest.raises((KeyboardInterrupt, SystemExit)):
        train.main(_args(patch_dir, [c0, c1]))
    assert (c0 / "model.pt").exists()
    first = _weights(c0 / "model.pt")
    for f in (c0 / "model.pt", c0 / "log.csv"):  # Snakemake deletes the failed job's outputs
        f.unlink()
    assert (c0 / train.RESUME_NAME).exists()
    monkeypatch.setattr(train, "_run_training", real)
    capsys.readouterr()
    train.main(_args(patch_dir, [c0, c1]))
    out = capsys.readouterr().out
    assert f"resuming from {c0 / train.RESUME_NAME} at step" in out
    line = next(ln for ln in out.splitlines() if ln.startswith(f"resuming from {c0}"))
    done, total = line.rsplit(" ", 1)[1].split("/")
    assert done == total  # nothing trained again
    assert all(torch.equal(first[k], v) for k, v in _weights(c0 / "model.pt").items())
    assert (c1 / "model.pt").exists()
    # every unit written: no resume state is left behind
    assert not (c0 / train.RESUME_NAME).exists() and not (c1 / train.RESUME_NAME).exists()
