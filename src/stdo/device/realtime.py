"""The paper's real-time criterion (Section 4.4, after Zhan et al. ICCV 2021): latency below 50 ms
and more than 20 frames per second on the mobile device."""

from __future__ import annotations

import math

from stdo.core.errors import StdoError

MAX_LATENCY_MS = 50.0
MIN_FPS = 20.0


def verdict(latency_ms: float, fps: float) -> bool:
    """Whether a model is real time by the paper's criterion: ``latency_ms < 50`` and ``fps > 20``
    (both strict). Non-finite or non-positive values are a :class:`StdoError`."""
    for name, value in (("latency_ms", latency_ms), ("fps", fps)):
        if not math.isfinite(value) or value <= 0:
            raise StdoError(f"real-time verdict: {name} must be a positive number, got {value!r}")
    return latency_ms < MAX_LATENCY_MS and fps > MIN_FPS


def verdict_label(real_time: bool) -> str:
    """How tables and figures print a verdict."""
    return "real-time" if real_time else "not real-time"
