"""Adam and the learning-rate schedules of the trainer, without ``torch.optim``.

``torch.optim.Optimizer`` imports ``torch._dynamo`` the first time one is built (its methods are
wrapped by ``torch._disable_dynamo``): 0.9 to 1.4 s of every training job's start-up on this
machine, more than the demo's models take to train. :class:`Adam` is the same update as
``torch.optim.Adam``'s single-tensor path (the one PyTorch takes for CPU tensors; tested equal to
it bit for bit), with the same ``param_groups``/``state_dict`` surface the trainer and
``torch.amp.GradScaler`` use. :class:`Schedule` gives the learning rate of every step in
closed form: ``cosine`` as ``CosineAnnealingLR``'s closed form (``eta_min + (lr - eta_min)(1 +
cos(pi t / T)) / 2``), ``multistep`` as ``MultiStepLR``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, cast

import torch


class Adam:
    """Adam (no weight decay, no amsgrad) over ``params``: per parameter ``exp_avg``,
    ``exp_avg_sq`` and ``step``, updated exactly as ``torch.optim.Adam(foreach=False)``.

    ``foreach``: the same operations, each on every parameter at once (``torch._foreach_*``: a
    few kernel launches per step on CUDA instead of a few per parameter, for the fused trainer's
    stacked weights). On the CPU those run the per-tensor kernels, so both paths are tested equal
    bit for bit there."""

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        lr: float,
        betas: Sequence[float] = (0.9, 0.999),
        eps: float = 1e-8,
        foreach: bool = False,
    ):
        params = [p for p in params if p.requires_grad]
        if not params:
            raise ValueError("Adam got no trainable parameters")
        self.param_groups: list[dict[str, Any]] = [
            {"params": params, "lr": float(lr), "betas": tuple(float(b) for b in betas), "eps": float(eps)}
        ]
        self.state: dict[torch.Tensor, dict[str, Any]] = {}
        self.foreach = foreach

    @property
    def params(self) -> list[torch.nn.Parameter]:
        return self.param_groups[0]["params"]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def _state(self, p: torch.Tensor) -> dict[str, Any]:
        st = self.state.get(p)
        if st is None:
            st = self.state[p] = {
                "step": 0,
                "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format),
            }
        return st

    @torch.no_grad()
    def step(self) -> None:
        group = self.param_groups[0]
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        live: list[torch.Tensor] = [p for p in self.params if p.grad is not None]
        if self.foreach and live and len({self._state(p)["step"] for p in live}) == 1:
            self._step_foreach(live, lr, beta1, beta2, eps)
            return
        for p in live:
            grad = p.grad
            st = self._state(p)
            st["step"] += 1
            exp_avg, exp_avg_sq, step = st["exp_avg"], st["exp_avg_sq"], st["step"]
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            step_size = lr / bias_correction1
            denom = (exp_avg_sq.sqrt() / bias_correction2**0.5).add_(eps)
            p.addcdiv_(exp_avg, denom, value=-step_size)

    def _step_foreach(self, params: list[torch.Tensor], lr: float, beta1: float, beta2: float, eps: float):
        """:meth:`step`'s operations in the same order, each over ``params`` at once (they share
        one step count)."""
        states = [self.state[p] for p in params]
        for st in states:
            st["step"] += 1
        step = states[0]["step"]
        grads = [cast(torch.Tensor, p.grad) for p in params]  # the live ones: step() filtered them
        exp_avgs = [st["exp_avg"] for st in states]
        exp_avg_sqs = [st["exp_avg_sq"] for st in states]
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, value=1 - beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        denom = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denom, bias_correction2**0.5)
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(params, exp_avgs, denom, value=-step_size)

    def state_dict(self) -> dict[str, Any]:
        """Moments and step of every parameter, by position (as torch.optim's state dicts)."""
        state = {
            i: {k: (v.clone() if torch.is_tensor(v) else v) for k, v in self.state[p].items()}
            for i, p in enumerate(self.params)
            if p in self.state
        }
        group = {k: v for k, v in self.param_groups[0].items() if k != "params"}
        return {"state": state, "group": group, "n_params": len(self.params)}

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        if sd.get("n_params") != len(self.params):
            n = len(self.params)
            raise ValueError(f"optimizer state for {sd.get('n_params')} parameters, this model has {n}")
        self.param_groups[0].update(sd["group"])
        self.state = {}
        for i, st in sd["state"].items():
            p = self.params[int(i)]
            self.state[p] = {k: (v.to(p.device) if torch.is_tensor(v) else v) for k, v in st.items()}


class Schedule:
    """The learning rate of each optimiser step, set on ``opt`` by :meth:`step` (call it after
    each optimiser step, as a torch scheduler): ``cosine`` anneals from ``lr`` to ``lr_min``
    over ``steps``; ``multistep`` multiplies by ``gamma`` at each of ``milestones`` (steps)."""

    def __init__(
        self,
        opt: Adam,
        kind: str,
        *,
        steps: int,
        lr_min: float = 0.0,
        milestones: Sequence[int] = (),
        gamma: float = 0.1,
    ):
        if kind not in ("cosine", "multistep"):
            raise ValueError(f"unknown learning-rate schedule {kind!r}; use cosine or multistep")
        self.opt, self.kind, self.steps = opt, kind, max(1, int(steps))
        self.lr_min, self.milestones, self.gamma = float(lr_min), sorted(int(m) for m in milestones), gamma
        self.base = float(opt.param_groups[0]["lr"])
        self.done = 0

    def lr_at(self, t: int) -> float:
        if self.kind == "cosine":
            return self.lr_min + (self.base - self.lr_min) * (1 + math.cos(math.pi * t / self.steps)) / 2
        return self.base * self.gamma ** sum(1 for m in self.milestones if m <= t)

    def step(self) -> None:
        self.done += 1
        self.opt.param_groups[0]["lr"] = self.lr_at(self.done)

    def state_dict(self) -> dict[str, Any]:
        return {"done": self.done, "base": self.base}

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        self.done, self.base = int(sd["done"]), float(sd["base"])
        self.opt.param_groups[0]["lr"] = self.lr_at(self.done)
