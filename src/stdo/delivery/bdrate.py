"""The Bjontegaard delta rate (BD-rate), and one method's point against a rate ladder.

:func:`bd_rate` is the metric of G. Bjontegaard, "Calculation of average PSNR differences between
RD-curves" (VCEG-M33, 2001), from its definition: for each curve, fit log-rate as a cubic
polynomial of PSNR through its points (least squares; exact through four points), integrate both
fits over the PSNR interval the two curves share, and take the difference of the average
log-rates: ``BD-rate = 10 ** (avg log10 R_test - avg log10 R_ref) - 1`` (in percent; negative: the
test curve needs fewer bits for the same quality). Curves that share no PSNR interval have no
BD-rate (NaN); nothing is extrapolated.

A method of this project is a *single* rate-quality point (one bundle: an LR stream at one
quality plus its models), not a curve, so its "BD-rate" against the HR ladder is defined here
(our choice) as the limit of the BD-rate when the test curve shrinks to that point: the rate
saving at equal PSNR, ``R_method / R_ladder(PSNR_method) - 1``, where ``log10 R_ladder(P)`` is the
ladder's cubic fit evaluated at the method's PSNR (:func:`point_saving`). Where the method's PSNR
lies outside the ladder's PSNR range the saving is NaN with the reason (the fit is not
extrapolated).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from stdo.core.errors import StdoError


def _fit(rates: Sequence[float], psnrs: Sequence[float]) -> np.ndarray:
    r, p = np.asarray(rates, dtype=np.float64), np.asarray(psnrs, dtype=np.float64)
    if r.shape != p.shape or r.size < 4 or np.unique(p).size < 4:
        raise StdoError(
            f"a rate curve needs at least 4 points of distinct PSNR for a cubic fit, got {p.size}"
        )
    if (r <= 0).any():
        raise StdoError("rates must be positive")
    return np.polyfit(p, np.log10(r), 3)


def bd_rate(
    ref_rates: Sequence[float],
    ref_psnrs: Sequence[float],
    test_rates: Sequence[float],
    test_psnrs: Sequence[float],
) -> float:
    """BD-rate of the test curve against the reference curve, in percent (NaN without overlap)."""
    fa, fb = _fit(ref_rates, ref_psnrs), _fit(test_rates, test_psnrs)
    lo = max(min(ref_psnrs), min(test_psnrs))
    hi = min(max(ref_psnrs), max(test_psnrs))
    if hi <= lo:
        return math.nan
    ia, ib = np.polyint(fa), np.polyint(fb)
    avg_a = (np.polyval(ia, hi) - np.polyval(ia, lo)) / (hi - lo)
    avg_b = (np.polyval(ib, hi) - np.polyval(ib, lo)) / (hi - lo)
    return float((10 ** (avg_b - avg_a) - 1) * 100)


def ladder_rate(
    ladder_rates: Sequence[float], ladder_psnrs: Sequence[float], psnr: float
) -> tuple[float, str]:
    """The ladder's rate at ``psnr`` from its cubic fit of log-rate, and ``""``; or NaN and why
    when ``psnr`` is outside the ladder's PSNR range."""
    lo, hi = float(min(ladder_psnrs)), float(max(ladder_psnrs))
    if not math.isfinite(psnr) or psnr < lo or psnr > hi:
        return math.nan, f"PSNR {psnr:.2f} dB outside the ladder's {lo:.2f}..{hi:.2f} dB (not extrapolated)"
    return float(10 ** np.polyval(_fit(ladder_rates, ladder_psnrs), psnr)), ""


def point_saving(
    rate: float, psnr: float, ladder_rates: Sequence[float], ladder_psnrs: Sequence[float]
) -> tuple[float, str]:
    """A single point's BD-rate against a ladder (module docstring): ``(percent, reason)``, the
    reason empty unless the percent is NaN."""
    ref, why = ladder_rate(ladder_rates, ladder_psnrs, psnr)
    if why:
        return math.nan, why
    return float((rate / ref - 1) * 100), ""


def break_even_s(
    stream_kbps: float, side_kbps: float, model_bytes: float, ladder_kbps: float
) -> tuple[float, str]:
    """The video length at which LR + models costs what the HR ladder costs at the same PSNR:
    ``(seconds, note)``.

    An extrapolation: the LR stream's and the side information's kbit/s are assumed to hold at
    any length (``stream_kbps + side_kbps``, measured on this video) and the models to be sent once
    (``model_bytes``), so the total rate at length ``T`` is ``stream + side + 8 model_bytes / 1000
    T``; it meets ``ladder_kbps`` at ``T = 8 model_bytes / 1000 / (ladder - stream - side)``. Where
    the stream and side alone already cost the ladder's rate or more, no length breaks even
    (``inf``); NaN where the ladder's rate at this PSNR is unknown. It breaks where the models
    grow with the length (NAS's and CaFM's segments: one model or modulation per ``segment``
    seconds), where a longer video's content changes what the models must learn, and where the
    codec's rate on a longer clip differs from this one's."""
    if not (math.isfinite(ladder_kbps) and ladder_kbps > 0):
        return math.nan, "the ladder's rate at this PSNR is unknown"
    margin = ladder_kbps - stream_kbps - side_kbps
    if margin <= 0:
        return math.inf, (
            f"the LR stream and side information alone ({stream_kbps + side_kbps:.1f} kbit/s) cost "
            f"at least the HR ladder's {ladder_kbps:.1f} kbit/s: no length breaks even"
        )
    return 8 * model_bytes / 1000 / margin, ""
