"""What the package's modules import, read with ``ast`` (top-level imports and those inside
functions alike): the module graph of the architecture test and the import closure of the env test."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "stdo"


def module_name(src: Path, path: Path) -> str:
    parts = path.relative_to(src.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_path(src: Path, mod: str) -> Path | None:
    p = src.parent.joinpath(*mod.split("."))
    for candidate in (p / "__init__.py", p.with_suffix(".py")):
        if candidate.exists():
            return candidate
    return None


def owner(src: Path, mod: str) -> str:
    """The module that defines ``mod`` (``stdo.x.name`` -> ``stdo.x``)."""
    while module_path(src, mod) is None:
        mod = mod.rpartition(".")[0]
    return mod


def imported(src: Path, path: Path, text: str | None = None) -> Iterator[tuple[str, int]]:
    """``(name, line)`` of every import in ``path`` (or in ``text``, read as that file): the dotted
    name imported, relative imports resolved; ``from stdo.x import y`` gives ``stdo.x.y`` (a
    module or a name in ``stdo.x``: see :func:`owner`), ``from pkg import y`` gives ``pkg``."""
    pkg = module_name(src, path).split(".") if path.is_relative_to(src.parent) else []
    if path.name != "__init__.py":
        pkg = pkg[:-1]
    for node in ast.walk(ast.parse(path.read_text() if text is None else text, str(path))):
        if isinstance(node, ast.Import):
            yield from ((a.name, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(pkg[: len(pkg) - node.level + 1]) if node.level else ""
            mod = ".".join(x for x in (base, node.module or "") if x)
            if mod.split(".")[0] == "stdo":
                yield from ((f"{mod}.{a.name}", node.lineno) for a in node.names)
            else:
                yield mod, node.lineno


def stdo_imports(src: Path, path: Path) -> set[str]:
    """The ``stdo`` modules ``path`` imports."""
    return {owner(src, name) for name, _ in imported(src, path) if name.split(".")[0] == "stdo"}


def packages(mod: str) -> list[str]:
    """``mod`` and the packages Python imports before it (``stdo.a.b`` -> stdo, stdo.a, stdo.a.b)."""
    parts = mod.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def third_party_closure(
    src: Path, roots: list[str], dynamic: dict[str, list[str]] | None = None
) -> dict[str, list[str]]:
    """``{top-level name: ["stdo.module:line", ...]}`` of every import outside ``stdo`` and the
    standard library that importing ``roots`` can reach, through ``stdo`` modules transitively
    (each with the packages above it); ``dynamic`` names modules a module loads without an
    import statement (importlib)."""
    seen: set[str] = set()
    todo = [p for r in roots for p in packages(r)]
    out: dict[str, list[str]] = {}
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        path = module_path(src, mod)
        assert path is not None, f"{mod}: no such module"
        for name, line in imported(src, path):
            top = name.split(".")[0]
            if top == "stdo":
                todo += packages(owner(src, name))
            elif top not in sys.stdlib_module_names and top != "__future__":
                out.setdefault(top, []).append(f"{mod}:{line}")
        todo += (dynamic or {}).get(mod, [])
    return out
