import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from stdo.core import io
from stdo.core.errors import StdoError
from stdo.models import build_model, modelfile
from stdo.sr.train import TrainSettings, batch_ids, steps_for, train_model


def test_batches_cover_each_epoch_exactly_once():
    n, b = 50, 16
    seen = np.concatenate([batch_ids(s, b, n, seed=3) for s in range(25)])  # 8 epochs
    for e in range(8):
        assert sorted(seen[e * n : (e + 1) * n]) == list(range(n))
    np.testing.assert_array_equal(batch_ids(7, b, n, 3), batch_ids(7, b, n, 3))
    assert not np.array_equal(batch_ids(7, b, n, 3), batch_ids(7, b, n, 4))


def test_settings_from_config_make_tuples_and_reject_unknown_keys():
    config = {"batch_size": 4, "lr": 2e-4, "lr_milestones": [0.3, 0.6], "betas": [0.8, 0.99], "amp": True}
    ts = TrainSettings.from_config(config, steps=50)
    assert ts == TrainSettings(
        steps=50, batch_size=4, lr=2e-4, lr_milestones=(0.3, 0.6), betas=(0.8, 0.99), amp=True
    )
    assert isinstance(ts.lr_milestones, tuple) and isinstance(ts.betas, tuple)
    hash(ts)  # frozen and hashable: no lists left inside
    assert TrainSettings.from_config({}, steps=3) == TrainSettings(steps=3)
    with pytest.raises(StdoError, match=r"setting 'learning_rate'; known settings: batch_size, lr, schedule"):
        TrainSettings.from_config({"batch_size": 4, "learning_rate": 1e-3}, steps=10)
    with pytest.raises(StdoError, match=r"settings 'epochs', 'init'; known settings: .*checkpoint_every"):
        TrainSettings.from_config({"init": "f0", "epochs": 3}, steps=10)
    with pytest.raises(StdoError, match="may not set 'steps'"):
        TrainSettings.from_config({"steps": 5}, steps=10)
    with pytest.raises(StdoError, match="unknown learning-rate schedule"):
        TrainSettings.from_config({"schedule": "linear"}, steps=10)


def test_steps_for_equal_compute():
    # k chunk models of N/k patches at E epochs use the steps of one model on N patches
    assert steps_for(10, 1000, 16) == 625
    assert sum(steps_for(10, 250, 16) for _ in range(4)) == pytest.approx(625, abs=4)


def test_training_reduces_l1_on_real_patches(patch_dir):
    lr, hr = io.open_array(patch_dir / "lr.npy"), io.open_array(patch_dir / "hr.npy")
    model = build_model("espcn", scale=2)
    log = train_model(model, lr, hr, np.arange(len(lr)), TrainSettings(steps=120, lr=1e-3), progress=False)
    assert log[-1]["loss"] < 0.5 * log[0]["loss"]


def test_training_is_deterministic(patch_dir):
    lr, hr = io.open_array(patch_dir / "lr.npy"), io.open_array(patch_dir / "hr.npy")
    states = []
    for _ in range(2):
        model = build_model("wdsr", scale=2, seed=5, n_resblocks=2, n_feats=8)
        train_model(
            model, lr, hr, np.arange(0, len(lr), 2), TrainSettings(steps=15, lr=1e-3, seed=5), progress=False
        )
        states.append(model.state_dict())
    other = build_model("wdsr", scale=2, seed=6, n_resblocks=2, n_feats=8)
    assert not torch.equal(other.state_dict()["head.0.bias"], states[0]["head.0.bias"])
    for k in states[0]:
        assert torch.equal(states[0][k], states[1][k]), k


def test_empty_selection_is_an_error(patch_dir):
    lr = io.open_array(patch_dir / "lr.npy")
    with pytest.raises(StdoError, match="no patches"):
        train_model(build_model("espcn", scale=2), lr, lr, np.array([], int), TrainSettings(steps=1))


def _train_cmd(patch_dir: Path, out: Path, steps_epochs: float) -> list[str]:
    # log rows every 7 steps, resume states every 10: a resume lands inside a logging window
    settings = '{"batch_size":8,"lr":0.001,"seed":1,"checkpoint_every":10,"log_every":7}'
    return [
        sys.executable,
        "-m",
        "stdo.sr.train",
        "--patches",
        str(patch_dir),
        "--unit",
        "all",
        "--epochs",
        str(steps_epochs),
        "--backbone",
        "espcn",
        "--scale",
        "2",
        "--settings",
        settings,
        "--threads",
        "1",
        "--device",
        "cpu",
        "--no-progress",
        "--out-model",
        str(out / "model.pt"),
        "--out-log",
        str(out / "log.csv"),
    ]


@pytest.mark.slow
def test_killed_training_resumes_to_the_same_weights(patch_dir, tmp_path):
    epochs = 40  # 192 patches / batch 8 * 40 = 960 steps
    ref, cut = tmp_path / "ref", tmp_path / "cut"
    subprocess.run(_train_cmd(patch_dir, ref, epochs), check=True, capture_output=True)

    proc = subprocess.Popen(
        _train_cmd(patch_dir, cut, epochs), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    ckpt = cut / ".checkpoint.pt"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if ckpt.exists() and torch.load(ckpt, weights_only=False)["step"] >= 100:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "training finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (cut / "model.pt").exists()  # nothing half-written at the output path

    second = subprocess.run(_train_cmd(patch_dir, cut, epochs), check=True, capture_output=True, text=True)
    assert "resuming from" in second.stdout
    resumed_at = int(second.stdout.split(" at step ")[1].split("/")[0])
    assert resumed_at >= 100
    assert not ckpt.exists()  # cleaned up once the outputs are in place
    a, _ = modelfile.load_model(ref / "model.pt")
    b, _ = modelfile.load_model(cut / "model.pt")
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb), ka
    log = pd.read_csv(cut / "log.csv")
    pd.testing.assert_frame_equal(log, pd.read_csv(ref / "log.csv"))


def test_stale_resume_state_from_other_settings_is_ignored(patch_dir, tmp_path):
    out = tmp_path / "m"
    proc = subprocess.Popen(_train_cmd(patch_dir, out, 40), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (out / ".checkpoint.pt").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "training wrote no resume state"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    again = subprocess.run(_train_cmd(patch_dir, out, 1), capture_output=True, text=True, check=True)
    assert "ignoring" in again.stdout and "resuming" not in again.stdout


def test_damaged_resume_state_is_ignored(patch_dir, tmp_path):
    out = tmp_path / "m"
    out.mkdir()
    (out / ".checkpoint.pt").write_bytes(b"\x00not a resume state" * 10)
    run = subprocess.run(_train_cmd(patch_dir, out, 1), capture_output=True, text=True, check=True)
    assert "unreadable" in run.stdout and (out / "model.pt").exists()
    assert not (out / ".checkpoint.pt").exists()


def test_dataloader_workers_give_the_same_batches_and_weights(patch_dir):
    """Run in a fresh interpreter: DataLoader workers are forked, and forking a process that has
    imported JAX (the export tests load it through litert-torch) may deadlock."""
    code = f"""
import numpy as np, torch
from stdo.core import io
from stdo.models import build_model
from stdo.sr.train import TrainSettings, train_model
lr, hr = io.open_array({str(patch_dir / "lr.npy")!r}), io.open_array({str(patch_dir / "hr.npy")!r})
states, logs = [], []
for workers in (0, 2):
    model = build_model("espcn", scale=2, seed=2)
    settings = TrainSettings(steps=12, batch_size=4, lr=1e-3, seed=2, workers=workers, log_every=3)
    logs.append(train_model(model, lr, hr, np.arange(1, len(lr), 3), settings, progress=False))
    states.append(model.state_dict())
assert logs[0] == logs[1] and len(logs[0]) == 4, logs
for k in states[0]:
    torch.testing.assert_close(states[0][k], states[1][k], rtol=0, atol=0)
print("same batches and weights")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("same batches and weights")


def test_cosine_schedule_is_the_authors_and_multistep_decays_at_milestones():
    """Cosine: CosineAnnealingLR(T_max=steps, eta_min=4e-8), stepped per optimiser step."""
    import math

    from stdo.core.optim import Adam
    from stdo.sr.train import make_scheduler

    def lrs(settings):
        opt = Adam([torch.nn.Parameter(torch.zeros(1))], lr=settings.lr)
        sched, out = make_scheduler(opt, settings), []
        for _ in range(settings.steps):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return out + [opt.param_groups[0]["lr"]]

    cos = lrs(TrainSettings(steps=100, lr=1e-3, schedule="cosine"))
    for t in (0, 25, 50, 100):
        assert cos[t] == pytest.approx(4e-8 + (1e-3 - 4e-8) * (1 + math.cos(math.pi * t / 100)) / 2, rel=1e-6)
    step = lrs(
        TrainSettings(steps=100, lr=1e-3, schedule="multistep", lr_milestones=(0.5, 0.75), lr_gamma=0.1)
    )
    assert (
        step[49] == pytest.approx(1e-3)
        and step[50] == pytest.approx(1e-4)
        and step[75] == pytest.approx(1e-5)
    )
    with pytest.raises(StdoError, match="unknown learning-rate schedule 'linear'"):
        TrainSettings(steps=10, schedule="linear")


def test_chunk_models_trained_in_one_process_equal_one_process_each(patch_dir, tmp_path):
    """The workflow trains STDO's k chunk models in one job (stdo.workflow.plan.Plan.chunk_unit_ks): each
    model is bit for bit the one its own process would train."""
    n = len(pd.read_csv(patch_dir / "index.csv"))
    chunks = tmp_path / "chunks.npy"
    np.save(chunks, (np.arange(n) * 7 % 3).astype(np.int64))  # 3 chunks of mixed patches
    units = ["stdo-k3-c0", "stdo-k3-c2"]

    def cmd(us, out):
        base = _train_cmd(patch_dir, out, 2)
        base = base[: base.index("--unit")] + base[base.index("--epochs") :]  # units given below
        base = base[: base.index("--out-model")]
        return [*base, "--partition", str(chunks), "--unit", *us,
                "--out-model", *[str(out / u / "model.pt") for u in us],
                "--out-log", *[str(out / u / "log.csv") for u in us]]  # fmt: skip

    for u in units:
        subprocess.run(cmd([u], tmp_path / "one"), check=True, capture_output=True)
    subprocess.run(cmd(units, tmp_path / "grouped"), check=True, capture_output=True)
    for u in units:
        a, _ = modelfile.load_model(tmp_path / "one" / u / "model.pt")
        b, _ = modelfile.load_model(tmp_path / "grouped" / u / "model.pt")
        for k, v in a.state_dict().items():
            assert torch.equal(v, b.state_dict()[k]), (u, k)
        assert pd.read_csv(tmp_path / "one" / u / "log.csv").equals(
            pd.read_csv(tmp_path / "grouped" / u / "log.csv")
        )
    a0, _ = modelfile.load_model(tmp_path / "grouped" / units[0] / "model.pt")
    a2, _ = modelfile.load_model(tmp_path / "grouped" / units[1] / "model.pt")
    assert not torch.equal(a0.body[0].weight, a2.body[0].weight)  # two chunks, two models

    bad = cmd(units, tmp_path / "bad")
    bad = bad[: bad.index("--out-log") + 2]  # one --out-log for two units
    proc = subprocess.run(bad, capture_output=True, text=True)
    assert proc.returncode == 2 and "2 --unit for 2 --out-model and 1 --out-log" in proc.stderr


def test_cafm_unit_is_built_and_recorded_as_config_cafm_says(patch_dir, tmp_path):
    """``--cafm`` (config ``cafm``, Plan.cafm_settings) reaches the model; absent, CaFM's defaults."""
    from stdo.sr import train

    def run(out, *extra):
        cmd = _train_cmd(patch_dir, out, 0.05)[3:]
        cmd[cmd.index("--unit") + 1] = "cafm-n2"
        cmd[cmd.index("--backbone") + 1] = "vdsr"
        train.main([*cmd, "--backbone-kwargs", '{"depth":3,"features":4}', *extra])
        return modelfile.load_model(out / "model.pt")

    model, record = run(tmp_path / "default")
    assert (model.kernel_size, model.placement) == (1, "cafm")
    assert record["extra"]["cafm_params_per_chunk"] == 4 + 4 + 1  # VDSR's one hidden conv, 4 channels
    model, record = run(tmp_path / "all", "--cafm", '{"kernel_size":3,"placement":"all"}')
    assert (model.kernel_size, model.placement) == (3, "all")
    assert record["extra"]["cafm_params_per_chunk"] == sum(c * 9 + c + 1 for c in (4, 4, 3))
