"""Device selection and thread settings shared by the stages."""

from __future__ import annotations

import os

import torch

from stdo.core.errors import StdoError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise StdoError(f"device {name!r} requested but CUDA is not available; use device: auto or cpu")
    return torch.device(name)


def available_cpus() -> int:
    """CPUs this process may run on (affinity-aware; cgroup limits show up as affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def set_threads(threads: int | None) -> int:
    """Use ``threads`` torch threads, never more than the CPUs available (oversubscribing
    intra-op threads makes training several times slower). Returns the number used."""
    n = min(max(1, int(threads)), available_cpus()) if threads else available_cpus()
    torch.set_num_threads(n)
    return n
