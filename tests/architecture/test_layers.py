"""The package's tree is its architecture: imports only point down the layers, and no module
imports itself back through others. Reads every module's imports with ``ast`` (those inside
functions too), so a lazy import that points up fails like a top-level one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.imports import module_name, stdo_imports

SRC = Path(__file__).resolve().parents[2] / "src" / "stdo"
# bottom first: a module may import its own layer and the layers before it
LAYERS = ("core", "models", "methods", "video", "sr", "report", "device", "delivery", "workflow")
ENTRY = {"stdo", "stdo.__main__"}  # the package and ``python -m stdo`` (the workflow's cli)


def graph(src: Path) -> dict[str, set[str]]:
    return {
        module_name(src, p): stdo_imports(src, p) - {module_name(src, p)} for p in sorted(src.rglob("*.py"))
    }


def layer(mod: str) -> int | None:
    """Index of ``mod``'s layer; None for the entry points."""
    if mod in ENTRY:
        return None
    name = mod.split(".")[1]
    assert name in LAYERS, f"{mod}: not in a layer; move it into one of {', '.join(LAYERS)}"
    return LAYERS.index(name)


def upward(src: Path) -> list[str]:
    out = []
    for mod, deps in graph(src).items():
        here = layer(mod)
        for dep in sorted(deps):
            there = layer(dep)
            if here is not None and there is not None and there > here:
                out.append(f"{mod} ({LAYERS[here]}) imports {dep} ({LAYERS[there]})")
    return out


def cycles(src: Path) -> list[list[str]]:
    """Circles of imports; a package importing its own submodules (the backbone registry
    loading its backbones) is not one."""
    g = graph(src)
    for mod, deps in g.items():
        g[mod] = {d for d in deps if not d.startswith(mod + ".")}
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(g.get(m, ())):
            if state.get(d) == 1:
                found.append([*stack[stack.index(d) :], d])
            elif not state.get(d):
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if not state.get(m):
            visit(m)
    return found


def test_every_module_is_in_a_layer():
    for mod in graph(SRC):
        layer(mod)


def test_imports_only_point_down():
    assert not (bad := upward(SRC)), "imports that point up:\n" + "\n".join(bad)


def test_no_import_cycles():
    assert not (bad := cycles(SRC)), "import cycles:\n" + "\n".join(" -> ".join(c) for c in bad)


@pytest.fixture
def copy(tmp_path) -> Path:
    dst = tmp_path / "stdo"
    shutil.copytree(SRC, dst, ignore=shutil.ignore_patterns("__pycache__", "data"))
    return dst


@pytest.mark.parametrize("line", ["from stdo.workflow import plan", "    from stdo.sr.train import main"])
def test_an_upward_import_is_found(copy, line):
    """Planted in a copy of a core module, at the top or inside a function."""
    f = copy / "core" / "errors.py"
    f.write_text(f.read_text() + ("\n\ndef f():\n" if line.startswith(" ") else "\n") + line + "\n")
    assert any(b.startswith("stdo.core.errors (core) imports stdo.") for b in upward(copy))


def test_a_cycle_is_found(copy):
    (copy / "video" / "demo.py").write_text(
        (copy / "video" / "demo.py").read_text() + "\nfrom stdo.video import ingest\n"
    )
    (copy / "video" / "ingest.py").write_text(
        (copy / "video" / "ingest.py").read_text() + "\nfrom stdo.video import demo\n"
    )
    assert any({"stdo.video.demo", "stdo.video.ingest"} <= set(c) for c in cycles(copy))


def test_a_module_outside_the_layers_is_refused(copy):
    (copy / "loose.py").write_text("")
    with pytest.raises(AssertionError, match="stdo.loose: not in a layer"):
        for mod in graph(copy):
            layer(mod)
