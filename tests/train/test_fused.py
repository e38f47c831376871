"""Fused training (stdo.sr.fused) against the one-model loop (stdo.sr.train.train_model).

The tolerance, and why. A fused step computes each member's gradient with a batched (grouped)
convolution, which sums in another order than a lone one: gradients differ by float rounding
(about 1e-7 relative). Adam divides by the gradient's running RMS, so a rounding difference in a
near-zero gradient becomes a step-sized difference in a weight, and it grows with the steps. The
lone loop does the same to itself: started from weights rounded differently by 1e-7 relative,
full-size ESPCN after 40 steps at lr 1e-3 moves by up to 8.7e-4 in a weight, as much as fused
against alone (8.7e-4). So the bounds are of float rounding, amplified by a few Adam steps.

Asked here (tiny ESPCN and WDSR, 3 members, 20 steps, lr 1e-3): every weight within
``WEIGHT_ABS`` 5e-4 (half of one Adam step) of the lone model's, all weights together within
``WEIGHT_REL_L2`` 1e-4 relative L2, the loss logs within 1e-3 relative, the PSNR on all patches
within 0.01 dB. Measured: ESPCN max 8.5e-7, relative L2 2.2e-7, PSNR 0.0000 dB; WDSR max 5.6e-5,
relative L2 2.1e-6, PSNR 0.0003 dB, losses 3.2e-5. (After 120 steps: WDSR max 4.6e-4 and 0.0007
dB, full ESPCN max 1.4e-3 and 0.0018 dB.)
"""

from __future__ import annotations

import json
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
from stdo.core.metrics import mse_to_psnr
from stdo.core.optim import Adam
from stdo.models import build_model, modelfile
from stdo.models.cafm import CaFM
from stdo.sr import fused, loop
from stdo.sr.infer import patch_mse, to_tensor
from stdo.sr.train import TrainSettings, train_model

WEIGHT_REL_L2 = 1e-4
WEIGHT_ABS = 5e-4
PSNR_DB = 0.01
TINY = {"espcn": {"channels": [16, 16, 8]}, "wdsr": {"n_resblocks": 2, "n_feats": 8}}


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: these models are tiny, and two threads on a shared 2-core machine wait
    on each other (10 to 50 times slower)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def arrays(patch_dir):
    return io.open_array(patch_dir / "lr.npy"), io.open_array(patch_dir / "hr.npy")


def _psnr(model, lr, hr) -> float:
    return float(mse_to_psnr(patch_mse(model, lr, hr, np.arange(len(lr)), progress=False).mean()))


def _close(a: dict, b: dict, what: str, abs_tol: float = WEIGHT_ABS, rel_tol: float = WEIGHT_REL_L2) -> None:
    """Weights ``b`` are weights ``a`` to the tolerance above (``abs_tol``, ``rel_tol``)."""
    worst = max(float((v - b[k]).abs().max()) for k, v in a.items())
    diff = torch.cat([(v - b[k]).flatten() for k, v in a.items()]).norm()
    rel = float(diff / torch.cat([v.flatten() for v in a.values()]).norm())
    assert worst <= abs_tol and rel <= rel_tol, (what, worst, rel)


def test_adam_over_stacked_weights_is_each_models_adam_bit_for_bit():
    g = torch.Generator().manual_seed(0)
    shapes = [(4, 3, 3, 3), (4,), (2, 4, 1, 1)]
    alone = [[torch.nn.Parameter(torch.randn(s, generator=g)) for s in shapes] for _ in range(3)]
    stacked = [torch.nn.Parameter(torch.stack([m[j].detach() for m in alone])) for j in range(len(shapes))]
    opts = [Adam(m, lr=1e-3) for m in alone]
    big = Adam(stacked, lr=1e-3, foreach=True)  # as stdo.sr.fused builds it
    for _ in range(5):
        grads = [
            [torch.randn(s, generator=g) * 10.0 ** float(torch.randint(-9, 2, ())) for s in shapes]
            for _ in alone
        ]
        for m, gm in zip(alone, grads, strict=True):
            for p, gp in zip(m, gm, strict=True):
                p.grad = gp
        for j, p in enumerate(stacked):
            p.grad = torch.stack([gm[j] for gm in grads])
        for o in (*opts, big):
            o.step()
    for i, m in enumerate(alone):
        for j, p in enumerate(m):
            assert torch.equal(p.detach(), stacked[j][i].detach())
            assert torch.equal(opts[i].state[p]["exp_avg_sq"], big.state[stacked[j]]["exp_avg_sq"][i])
        sd, fsd = opts[i].state_dict(), fused._member_optimizer_state(big, i)
        assert sd.keys() == fsd.keys() and sd["n_params"] == fsd["n_params"] and sd["group"] == fsd["group"]
        for j in sd["state"]:
            assert sd["state"][j]["step"] == fsd["state"][j]["step"] == 5
            assert torch.equal(sd["state"][j]["exp_avg"], fsd["state"][j]["exp_avg"])


def test_weight_norm_is_the_parametrizations_form_and_batches():
    """WDSR's convs are torch.nn.utils.parametrizations.weight_norm: the stacked step computes it
    explicitly (vmap has no rule for torch._weight_norm) and gives the same weights and gradients."""
    from torch.nn.utils import parametrize

    models = [build_model("wdsr", scale=2, seed=s, **TINY["wdsr"]) for s in range(2)]
    conv = models[0].head[0]
    assert parametrize.is_parametrized(conv, "weight")
    assert isinstance(conv.parametrizations.weight[0], torch.nn.utils.parametrizations._WeightNorm)
    g, v = conv.parametrizations.weight.original0, conv.parametrizations.weight.original1
    torch.testing.assert_close(fused._StackableWeightNorm(0)(g, v), conv.weight, rtol=1e-6, atol=0)
    base = fused.template(models[0])
    assert not any(isinstance(m, torch.nn.utils.parametrizations._WeightNorm) for m in base.modules())
    settings = TrainSettings(steps=1, batch_size=4)
    step = fused._step_function(base, None, torch.device("cpu"), compile=False)
    weights, buffers = torch.func.stack_module_state(models)
    x, y = torch.rand(2, 4, 3, 6, 5) * 255, torch.rand(2, 4, 3, 12, 10) * 255
    grads, losses = step({k: w.detach() for k, w in weights.items()}, buffers, x, y)
    for i, m in enumerate(models):
        loss = torch.nn.functional.l1_loss(m(x[i]) / 255.0, y[i] / 255.0)
        loss.backward()
        torch.testing.assert_close(losses[i], loss.detach(), rtol=1e-6, atol=0)
        for n, p in m.named_parameters():
            torch.testing.assert_close(grads[n][i], p.grad, rtol=1e-4, atol=1e-7)
    assert settings.steps == 1


@pytest.mark.parametrize("backbone", ["espcn", "wdsr"])
def test_a_fused_group_ends_with_the_weights_each_model_trains_to_alone(arrays, backbone):
    """Three members: different seeds (initial weights and batch order) and different patch
    selections (chunk units of one size), 20 steps of Adam at lr 1e-3 under the cosine schedule."""
    lr, hr = arrays
    n = len(lr)
    chunks = np.arange(n) * 7 % 3  # three equal chunks of mixed patches
    selections = [np.flatnonzero(chunks == 0), np.flatnonzero(chunks == 1), np.flatnonzero(chunks == 0)]
    seeds = [0, 1, 2]
    settings = [
        TrainSettings(steps=20, batch_size=8, lr=1e-3, seed=s, schedule="cosine", log_every=5) for s in seeds
    ]
    alone, alone_logs = [], []
    for s, sel, ts in zip(seeds, selections, settings, strict=True):
        m = build_model(backbone, scale=2, seed=s, **TINY[backbone])
        alone_logs.append(train_model(m, lr, hr, sel, ts, progress=False))
        alone.append(m)
    members = [
        fused.Member(build_model(backbone, scale=2, seed=s, **TINY[backbone]), sel, ts, arch=backbone)
        for s, sel, ts in zip(seeds, selections, settings, strict=True)
    ]
    assert fused.groups(members) == [[0, 1, 2]]
    logs = fused.train_group(members, lr, hr, progress=False)
    for i, (a, m) in enumerate(zip(alone, members, strict=True)):
        _close(a.state_dict(), m.model.state_dict(), f"{backbone} member {i}")
        assert abs(_psnr(a, lr, hr) - _psnr(m.model, lr, hr)) <= PSNR_DB
        got, want = pd.DataFrame(logs[i]), pd.DataFrame(alone_logs[i])
        assert got[["step", "lr"]].equals(want[["step", "lr"]])
        np.testing.assert_allclose(got["loss"], want["loss"], rtol=1e-3)
    first = next(n for n, _ in alone[0].named_parameters())
    assert not torch.equal(members[0].model.state_dict()[first], members[2].model.state_dict()[first])


def test_patches_in_device_memory_give_the_host_paths_batches_and_weights(arrays):
    """resident: on (on the CPU: a copy in host memory) gathers what the memory map gives, laid out
    as to_tensor lays it out, so the one-model loop trains to the same weights bit for bit."""
    lr, hr = arrays
    ids = np.arange(3, len(lr), 2)
    data = loop.DeviceArrays(lr, hr, ids, torch.device("cpu"))
    pick = np.sort(ids[[5, 1, 9, 30]])
    x, y = data.gather(torch.from_numpy(pick))
    want = to_tensor(lr[pick], torch.device("cpu"))
    assert torch.equal(x, want) and x.stride() == want.stride()
    assert torch.equal(y, to_tensor(hr[pick], torch.device("cpu")))
    states = []
    for resident in ("off", "on"):
        m = build_model("espcn", scale=2, seed=4, **TINY["espcn"])
        train_model(
            m, lr, hr, ids, TrainSettings(steps=12, batch_size=4, seed=4, resident=resident), progress=False
        )
        states.append(m.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert loop.resident_arrays(lr, hr, ids, torch.device("cpu"), "auto") is None  # auto: CUDA only


def test_groups_share_shape_steps_and_settings_but_not_cafm_or_fp16(arrays):
    lr, _ = arrays
    ix = np.arange(len(lr))

    def member(seed=0, steps=10, backbone="espcn", **kw):
        model = build_model(backbone, scale=2, seed=seed, **TINY[backbone])
        return fused.Member(model, ix, TrainSettings(steps=steps, seed=seed, **kw), arch=backbone)

    ms = [
        member(0),
        member(1),
        member(2, steps=11),
        member(3, backbone="wdsr"),
        member(4, amp="fp16"),
        member(5),
    ]
    ms.append(fused.Member(ms[0].model, ix, ms[0].settings, arch="espcn", fusable=False))
    ms.append(member(6, lr=2e-4))
    cafm = CaFM(build_model("espcn", scale=2, seed=7, **TINY["espcn"]), 2)  # per-sample modulation
    ms.append(fused.Member(cafm, ix, ms[0].settings, arch="espcn"))
    assert fused.groups(ms) == [[0, 1, 5], [2], [3], [4], [6], [7], [8]]
    assert fused.active("auto", torch.device("cpu")) is False and fused.active("on", torch.device("cpu"))
    assert fused.active(False, torch.device("cuda")) is False  # YAML's off
    with pytest.raises(Exception, match="cannot train together"):
        fused.train_group([ms[0], ms[2]], lr, lr)


def test_settings_amp_fuse_tf32_and_what_the_fingerprint_leaves_out():
    assert TrainSettings(steps=1, amp=True).amp == "fp16"  # amp: true meant float16 autocast
    assert TrainSettings(steps=1, amp="bf16").amp == "bf16" and TrainSettings(steps=1).amp is False
    assert (
        TrainSettings(steps=1, fuse=False).fuse == "off"
        and TrainSettings(steps=1, resident=True).resident == "on"
    )
    for bad in ({"amp": "fp8"}, {"fuse": "always"}, {"tf32": "yes"}):
        with pytest.raises(Exception, match="train\\."):
            TrainSettings(steps=1, **bad)
    base = TrainSettings(steps=5).fingerprint_fields()
    assert "tf32" not in base and not {"fuse", "resident", "compile", "workers"} & set(base)
    assert TrainSettings(steps=5, fuse="on", resident="off", compile=True).fingerprint_fields() == base
    assert TrainSettings(steps=5, tf32=False).fingerprint_fields() == base | {"tf32": False}
    with loop.tf32_mode(False) as flags:
        assert flags == {"conv": False, "matmul": False}
    assert loop.tf32_flags() == {"conv": True, "matmul": False}  # PyTorch's defaults, restored


# ---------------------------------------------------------------- the CLI, resume after a kill

UNITS = ["stdo-k3-c0", "stdo-k3-c1", "stdo-k3-c0"]
SEEDS = ["0", "0", "1"]


def _cmd(patch_dir: Path, chunks: Path, out: Path, fuse: str, epochs: float = 15) -> list[str]:
    settings = json.dumps({"batch_size": 8, "lr": 1e-3, "seed": 0, "checkpoint_every": 10, "log_every": 7})
    return [sys.executable, "-m", "stdo.sr.train", "--patches", str(patch_dir), "--partition", str(chunks),
            "--unit", *UNITS, "--seed", *SEEDS, "--fuse", fuse, "--epochs", str(epochs),
            "--backbone", "espcn", "--backbone-kwargs", json.dumps(TINY["espcn"]), "--scale", "2",
            "--settings", settings, "--threads", "1", "--device", "cpu", "--no-progress",
            "--out-model", *[str(out / f"m{i}" / "model.pt") for i in range(3)],
            "--out-log", *[str(out / f"m{i}" / "log.csv") for i in range(3)]]  # fmt: skip


def _state(path: Path) -> dict:
    return modelfile.load_model(path)[0].state_dict()


def test_cli_fuses_on_request_and_a_killed_group_resumes_to_the_same_weights(patch_dir, tmp_path):
    """64 patches per chunk, batch 8, 15 epochs: 120 steps per member; killed after a resume state
    at step 30 or later and run again, the group ends as the uninterrupted group, and both as the
    members trained one after another (fuse off) to float rounding grown over 120 steps (max 2e-3,
    relative L2 1e-3)."""
    n = len(pd.read_csv(patch_dir / "index.csv"))
    chunks = tmp_path / "chunks.npy"
    np.save(chunks, (np.arange(n) * 7 % 3).astype(np.int64))
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    ref = subprocess.run(
        _cmd(patch_dir, chunks, tmp_path / "ref", "on"), capture_output=True, text=True, env=env
    )
    assert ref.returncode == 0, ref.stderr
    assert "training 3 models together" in ref.stdout
    off = subprocess.run(
        _cmd(patch_dir, chunks, tmp_path / "off", "off"), capture_output=True, text=True, env=env
    )
    assert off.returncode == 0 and "together" not in off.stdout

    cut = tmp_path / "cut"
    proc = subprocess.Popen(
        _cmd(patch_dir, chunks, cut, "on"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    ckpts = [cut / f"m{i}" / loop.RESUME_NAME for i in range(3)]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if ckpts[2].exists() and torch.load(ckpts[2], weights_only=False)["step"] >= 30:
                break
        except (EOFError, RuntimeError, FileNotFoundError):
            pass
        time.sleep(0.02)
    assert proc.poll() is None, "training finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not any((cut / f"m{i}" / "model.pt").exists() for i in range(3))
    again = subprocess.run(_cmd(patch_dir, chunks, cut, "on"), capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("resuming from") == 3
    assert not any(c.exists() for c in ckpts)
    uneven = "models resume at step" in again.stdout
    for i in range(3):
        a, b = _state(tmp_path / "ref" / f"m{i}" / "model.pt"), _state(cut / f"m{i}" / "model.pt")
        if uneven:  # killed between two members' writes: they resumed as groups of one step
            _close(a, b, f"member {i} resumed")
        else:  # the same group from the same state: bit for bit
            assert all(torch.equal(a[k], b[k]) for k in a), i
            pd.testing.assert_frame_equal(
                pd.read_csv(cut / f"m{i}" / "log.csv"), pd.read_csv(tmp_path / "ref" / f"m{i}" / "log.csv")
            )
        # 120 steps, not 20: the drift has grown (measured max 2.8e-4, relative L2 1.8e-4)
        _close(_state(tmp_path / "off" / f"m{i}" / "model.pt"), a, f"member {i}", 2e-3, 1e-3)
        side = json.loads((cut / f"m{i}" / "model.pt.prov.json").read_text())
        assert side["params"]["tf32"] == {"conv": True, "matmul": False}
        assert [m["seed"] for m in side["params"]["fused"]["members"]] == [0, 0, 1]
        assert side["params"]["settings"]["seed"] == int(SEEDS[i])
    m0, m2 = _state(tmp_path / "ref" / "m0" / "model.pt"), _state(tmp_path / "ref" / "m2" / "model.pt")
    assert not torch.equal(m0["body.0.weight"], m2["body.0.weight"])  # one unit, two seeds, two models


def test_members_killed_between_resume_state_writes_resume_as_groups_of_one_step(
    arrays, tmp_path, monkeypatch, capsys
):
    """A kill after the first member's resume state of step 10 and before the others': the rerun
    trains that member from step 10 and the other two from the start, and every one ends where
    it would have; the fused resume states resume in the one-model loop too (one format)."""
    lr, hr = arrays
    ix = [np.arange(0, len(lr), 2), np.arange(1, len(lr), 2), np.arange(0, len(lr), 2)]

    def members(root: Path):
        return [
            fused.Member(
                build_model("espcn", scale=2, seed=s, **TINY["espcn"]),
                ix[s],
                TrainSettings(steps=20, batch_size=8, lr=1e-3, seed=s, checkpoint_every=10),
                arch="espcn",
                resume_state=root / f"m{s}" / loop.RESUME_NAME,
                fingerprint=f"f{s}",
            )
            for s in range(3)
        ]

    for s in range(3):
        (tmp_path / "cut" / f"m{s}").mkdir(parents=True)
    ref = members(tmp_path / "ref")
    for m in ref:
        m.resume_state.parent.mkdir(parents=True)
    fused.train_group(ref, lr, hr, progress=False)

    real, calls = fused.save_resume_state, []

    def killed_after_one(path, state):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(path, state)

    monkeypatch.setattr(fused, "save_resume_state", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        fused.train_group(members(tmp_path / "cut"), lr, hr, progress=False)
    monkeypatch.setattr(fused, "save_resume_state", real)
    assert [p.exists() for p in (tmp_path / "cut" / f"m{s}" / loop.RESUME_NAME for s in range(3))] == [
        True,
        False,
        False,
    ]
    again = members(tmp_path / "cut")
    fused.train_group(again, lr, hr, progress=False)
    for a, b in zip(ref, again, strict=True):
        _close(a.model.state_dict(), b.model.state_dict(), "uneven resume")

    # a fused group's resume states, resumed by the one-model loop (one format)
    one = members(tmp_path / "one")
    for m in one:
        m.resume_state.parent.mkdir(parents=True)
    calls.clear()

    def killed_after_all(path, state):
        real(path, state)
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(fused, "save_resume_state", killed_after_all)
    with pytest.raises(KeyboardInterrupt):
        fused.train_group(one, lr, hr, progress=False)
    monkeypatch.setattr(fused, "save_resume_state", real)
    capsys.readouterr()
    m = build_model("espcn", scale=2, seed=1, **TINY["espcn"])
    log = train_model(
        m, lr, hr, ix[1], one[1].settings, resume_state=one[1].resume_state, fingerprint="f1", progress=False
    )
    assert f"resuming from {one[1].resume_state} at step 10/20" in capsys.readouterr().out
    assert [r["step"] for r in log] == list(range(1, 21))
    _close(ref[1].model.state_dict(), m.state_dict(), "alone after fused")
