"""The one Registry class behind backbones, methods and claims."""

import pytest

from stdo import methods, models
from stdo.core.errors import StdoError
from stdo.core.registry import Registry


def test_a_registry_keeps_order_refuses_a_second_object_and_names_the_known_ones():
    loads = []
    reg: Registry[int] = Registry("widget", load=lambda: loads.append(1), hint="see docs/widgets.md")
    one, two = object(), object()
    reg.add("b", one)
    reg.add("a", two)
    assert reg.add("b", one) is one  # the same object again is a no-op
    with pytest.raises(ValueError, match="widget 'b' registered twice"):
        reg.add("b", object())
    assert reg.names() == ["b", "a"] and reg.values() == [one, two] and "a" in reg and len(reg) == 2
    with pytest.raises(StdoError, match=r"unknown widget 'c'; registered: a, b \(see docs/widgets.md\)"):
        reg.get("c")
    assert loads  # every look-up loads first (the package's entries and the plugins)
    reg.remove("a")
    assert reg.names() == ["b"]


def test_backbones_and_methods_are_registries():
    assert isinstance(models.BACKBONES, Registry) and isinstance(methods.REGISTRY, Registry)
    assert {"espcn", "wdsr", "edsr", "srcnn", "vdsr"} <= set(models.BACKBONES)
    assert methods.known() == methods.REGISTRY.names()
    with pytest.raises(StdoError, match="unknown backbone 'nonet'; registered: edsr"):
        models.get_class("nonet")
