"""User plugins: Python files that register backbones or methods without editing the package.

A config lists them under ``plugins`` (paths); Snakemake loads them while parsing and puts
them in ``STDO_PLUGINS`` (paths joined by ``os.pathsep``) for every job, so the registries of
:mod:`stdo.models` and :mod:`stdo.methods` hold the same entries in every process. A plugin is
an ordinary module: a backbone class decorated with :func:`stdo.models.register`, or a
:func:`stdo.methods.register` call.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from stdo.core.errors import StdoError

ENV = "STDO_PLUGINS"
_LOADED: dict[str, object] = {}


def paths(extra: Iterable[str | Path] = ()) -> list[Path]:
    """Plugin files from ``STDO_PLUGINS`` and ``extra``, absolute, each once."""
    out: list[Path] = []
    for p in [*os.environ.get(ENV, "").split(os.pathsep), *extra]:
        if str(p) and (q := Path(p).resolve()) not in out:
            out.append(q)
    return out


def load(extra: Iterable[str | Path] = ()) -> list[Path]:
    """Import every plugin file once (missing or broken files stop with their path)."""
    files = paths(extra)
    for path in files:
        key = str(path)
        if key in _LOADED:
            continue
        if not path.is_file():
            raise StdoError(f"plugin {path} not found (config: plugins, or {ENV})")
        name = f"stdo_plugin_{len(_LOADED)}_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise StdoError(f"plugin {path}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        _LOADED[key] = module  # before executing: a plugin that imports stdo is not loaded twice
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as e:
            del _LOADED[key], sys.modules[name]
            raise StdoError(f"plugin {path} failed to load: {type(e).__name__}: {e}") from e
    return files


def activate(files: Iterable[str | Path]) -> str:
    """Load ``files`` and publish them in ``STDO_PLUGINS`` for child processes; its value."""
    loaded = load(files)
    os.environ[ENV] = os.pathsep.join(str(p) for p in loaded)
    return os.environ[ENV]
