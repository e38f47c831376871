"""stdo.core.optim against torch.optim: the same Adam update and learning-rate schedules."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

from stdo.core.optim import Adam, Schedule


def _net(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 3, 3, padding=1))


def _run(model: nn.Module, opt, sched, steps: int, start: int = 0) -> list[float]:
    losses = []
    for i in range(start, steps):
        g = torch.Generator().manual_seed(i)
        x, y = torch.rand(4, 3, 6, 6, generator=g), torch.rand(4, 3, 6, 6, generator=g)
        loss = (model(x) - y).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss))
    return losses


@pytest.mark.parametrize("kind", ["cosine", "multistep"])
def test_adam_and_schedules_equal_torch_optim_bit_for_bit(kind):
    """40 steps of our Adam + schedule and of torch.optim.Adam(foreach=False) + the torch
    scheduler from the same weights: the same learning rates, losses and weights, exactly."""
    ours, ref = _net(0), _net(0)
    opt = Adam(ours.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
    sched = Schedule(opt, kind, steps=40, lr_min=4e-8, milestones=[20, 30], gamma=0.5)
    topt = torch.optim.Adam(ref.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, foreach=False)
    if kind == "cosine":
        tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=40, eta_min=4e-8)
    else:
        tsched = torch.optim.lr_scheduler.MultiStepLR(topt, milestones=[20, 30], gamma=0.5)
    lrs, tlrs = [], []
    for i in range(40):
        lrs.append(opt.param_groups[0]["lr"])
        tlrs.append(topt.param_groups[0]["lr"])
        _run(ours, opt, sched, i + 1, i)
        _run(ref, topt, tsched, i + 1, i)
    assert lrs == pytest.approx(tlrs, rel=1e-9, abs=1e-15)
    for a, b in zip(ours.parameters(), ref.parameters(), strict=True):
        if kind == "multistep":  # the same learning rates to the bit: the same weights to the bit
            torch.testing.assert_close(a, b, rtol=0, atol=0)
        else:  # torch's chainable cosine rounds its learning rate differently in the last bits
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


def test_resuming_from_state_dicts_continues_exactly():
    """Stop at step 15, save both state dicts, load them into fresh objects: steps 15..30 give the
    weights of an uninterrupted run, bit for bit."""
    full = _net(1)
    opt = Adam(full.parameters(), lr=1e-2)
    _run(full, opt, Schedule(opt, "cosine", steps=30), 30)

    part = _net(1)
    opt = Adam(part.parameters(), lr=1e-2)
    sched = Schedule(opt, "cosine", steps=30)
    _run(part, opt, sched, 15)
    saved = (opt.state_dict(), sched.state_dict(), {k: v.clone() for k, v in part.state_dict().items()})
    resumed = _net(99)
    resumed.load_state_dict(saved[2])
    opt2 = Adam(resumed.parameters(), lr=1e-2)
    opt2.load_state_dict(saved[0])
    sched2 = Schedule(opt2, "cosine", steps=30)
    sched2.load_state_dict(saved[1])
    _run(resumed, opt2, sched2, 30, 15)
    for a, b in zip(full.parameters(), resumed.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_a_state_of_another_model_is_refused():
    opt = Adam(_net(0).parameters(), lr=1e-3)
    other = Adam([nn.Parameter(torch.zeros(2))], lr=1e-3)
    with pytest.raises(ValueError, match="optimizer state for 4 parameters, this model has 1"):
        other.load_state_dict(opt.state_dict())


def test_training_imports_no_dynamo():
    """The point of stdo.core.optim: a training step never imports torch._dynamo (about a second of
    every training job's start-up)."""
    code = (
        "import sys, torch\n"
        "from stdo.core.optim import Adam, Schedule\n"
        "m = torch.nn.Conv2d(3, 3, 3); o = Adam(m.parameters(), 1e-3); s = Schedule(o, 'cosine', steps=2)\n"
        "m(torch.zeros(1, 3, 5, 5)).sum().backward(); o.step(); s.step(); o.state_dict()\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    cmd = [sys.executable, "-c", code]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"


def test_foreach_adam_is_the_per_parameter_update_bit_for_bit():
    """The fused trainer's Adam(foreach=True) (one torch._foreach_* call per operation) makes the
    per-parameter path's update, bit for bit on the CPU; the state dicts are one format."""
    nets = [_net(3), _net(3)]
    opts = [Adam(nets[0].parameters(), lr=1e-2), Adam(nets[1].parameters(), lr=1e-2, foreach=True)]
    scheds = [Schedule(o, "cosine", steps=15) for o in opts]
    for n, o, sc in zip(nets, opts, scheds, strict=True):
        _run(n, o, sc, 15)
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        assert torch.equal(a, b)
    sd0, sd1 = opts[0].state_dict(), opts[1].state_dict()
    assert sd0["n_params"] == sd1["n_params"] and sd0["group"] == sd1["group"]
    for i, st in sd0["state"].items():
        assert st["step"] == sd1["state"][i]["step"] == 15
        assert torch.equal(st["exp_avg_sq"], sd1["state"][i]["exp_avg_sq"])
