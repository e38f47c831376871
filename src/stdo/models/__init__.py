"""Name-to-class registry of SR backbones.

Every backbone takes LR RGB in the 0..255 range (NCHW float) and returns HR RGB on the same
scale; SRCNN and VDSR upscale their input bicubically themselves. Constructors take
explicit keyword arguments. Adding a backbone is one module that defines a class decorated
with :func:`register`: in :mod:`stdo.models.backbones` (imported on first use) or anywhere, named by the
config's ``plugins`` (see :mod:`stdo.core.plugins`). Its display name in tables and figures is the
class's ``display_name``.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import torch
from torch import nn

from stdo.core.errors import StdoError
from stdo.core.registry import Registry

_LOADED = False


def _load_all() -> None:
    """Import the package's backbones once, then the config's plugins."""
    global _LOADED
    if not _LOADED:
        from stdo.models import backbones

        for mod in pkgutil.iter_modules(backbones.__path__):
            if not mod.name.startswith("_"):
                importlib.import_module(f"{backbones.__name__}.{mod.name}")
        _LOADED = True
    from stdo.core import plugins

    plugins.load()


BACKBONES: Registry[type[nn.Module]] = Registry(
    "backbone",
    load=_load_all,
    hint="a new backbone is one module with a @register class: see docs/extending.md",
)


def register(name: str, *, display_name: str | None = None):
    """Class decorator: make a backbone available as ``name`` to :func:`build_model`, shown
    as ``display_name`` (default: ``name`` in capitals) in tables and figures."""
    if not name.isidentifier() or name != name.lower():
        raise ValueError(f"backbone name {name!r}: use lower-case letters, digits and _")

    def deco(cls: type[nn.Module]) -> type[nn.Module]:
        BACKBONES.add(name, cls)
        cls.registry_name = name  # type: ignore[attr-defined]
        cls.display_name = display_name or name.upper()  # type: ignore[attr-defined]
        return cls

    return deco


def available() -> list[str]:
    return sorted(BACKBONES.names())


def display_name(name: str) -> str:
    """How tables and figures name a registered backbone (its class's ``display_name``)."""
    return str(get_class(name).display_name)  # type: ignore[attr-defined]


def get_class(name: str) -> type[nn.Module]:
    return BACKBONES.get(name)


def build_model(name: str, *, scale: int, seed: int | None = None, **kwargs: Any) -> nn.Module:
    """Instantiate backbone ``name`` for ``scale`` with explicit keyword arguments.

    With ``seed``, the initial weights are a function of the seed alone (the global RNG is
    left as it was).
    """
    cls = get_class(name)
    try:
        if seed is None:
            return cls(scale=scale, **kwargs)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return cls(scale=scale, **kwargs)
    except TypeError as e:
        raise StdoError(f"backbone {name!r}: bad arguments {kwargs}: {e}") from None


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, lr_size: tuple[int, int] = (48, 48)) -> int:
    """Multiply-accumulates of one forward pass on a ``1x3xHxW`` LR input, counted by hooks.

    Convolutions count ``out_elements * in_channels/groups * kh * kw`` (bias, activations,
    pixel shuffle, interpolation and additions are not counted), the convention of the
    paper's Table 3 (for SRCNN/VDSR the convs run at the upscaled size, so they count there).
    """
    total = 0

    def hook(mod: nn.Module, _inp: Any, out: torch.Tensor) -> None:
        nonlocal total
        assert isinstance(mod, nn.Conv2d)
        kh, kw = mod.kernel_size
        total += out.numel() * (mod.in_channels // mod.groups) * kh * kw

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    try:
        was_training = model.training
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, 3, *lr_size))
        model.train(was_training)
    finally:
        for h in handles:
            h.remove()
    return total
