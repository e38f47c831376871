"""The Bjontegaard delta rate against hand computations (stdo.delivery.bdrate)."""

import math

import numpy as np
import pytest

from stdo.delivery import bdrate

P = np.array([30.0, 32.0, 34.0, 36.0])


def test_a_curve_at_a_constant_rate_ratio_has_that_ratio_as_bd_rate():
    # log10 R_ref = 2 + 0.1 (P - 30); the test curve needs 10^-0.1 of the rate everywhere, sampled
    # at other PSNRs (31..37): the overlap is 31..36 and the average log difference is -0.1.
    ref = 10 ** (2 + 0.1 * (P - 30))
    pt = P + 1
    test = 10 ** (1.9 + 0.1 * (pt - 30))
    assert bdrate.bd_rate(ref, P, test, pt) == pytest.approx((10**-0.1 - 1) * 100, abs=1e-9)  # -20.567 %


def test_a_cubic_difference_is_integrated_over_the_overlap():
    # log10 R_test - log10 R_ref = -0.001 u^3 with u = P - 30 on [0, 6]: its mean is
    # -0.001 * (6^4 / 4) / 6 = -0.054, so BD-rate = 10^-0.054 - 1 = -11.692 %.
    ref = 10 ** (2 + 0.1 * (P - 30))
    test = 10 ** (2 + 0.1 * (P - 30) - 0.001 * (P - 30) ** 3)
    assert bdrate.bd_rate(ref, P, test, P) == pytest.approx((10**-0.054 - 1) * 100, abs=1e-9)
    assert bdrate.bd_rate(ref, P, test, P) == pytest.approx(-11.6920, abs=1e-4)


def test_curves_without_a_common_psnr_interval_have_no_bd_rate():
    r = [100, 200, 400, 800]
    assert math.isnan(bdrate.bd_rate(r, P, r, P + 10))


def test_a_single_point_is_its_rate_saving_at_equal_psnr():
    ladder = 10 ** (2 + 0.1 * (P - 30))  # 100 kbit/s at 30 dB ... 398 at 36 dB
    # at 33 dB the ladder needs 10^2.3 = 199.53 kbit/s; a point at 150 kbit/s saves 24.82 %
    saving, why = bdrate.point_saving(150.0, 33.0, ladder, P)
    assert why == "" and saving == pytest.approx((150 / 10**2.3 - 1) * 100, abs=1e-9)
    assert saving == pytest.approx(-24.8219, abs=1e-4)


@pytest.mark.parametrize("psnr", [29.0, 36.5, float("inf")])
def test_a_point_outside_the_ladder_is_nan_with_the_reason(psnr):
    saving, why = bdrate.point_saving(150.0, psnr, 10 ** (2 + 0.1 * (P - 30)), P)
    assert math.isnan(saving) and "outside the ladder" in why and "not extrapolated" in why


def test_a_curve_needs_four_points():
    with pytest.raises(Exception, match="at least 4 points"):
        bdrate.bd_rate([1, 2, 3], [30, 31, 32], [1, 2, 3], [30, 31, 32])
