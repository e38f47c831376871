"""stdo's BD-rate against the ``bjontegaard`` package (1.3), a reference implementation of the
same metric, on the same points with the same interpolation (a cubic least-squares fit of
log-rate against PSNR, VCEG-M33), and the break-even length."""

import math

import numpy as np
import pytest

from stdo.delivery import bdrate

bjontegaard = pytest.importorskip("bjontegaard", reason="pip install bjontegaard==1.3.0 (the test extra)")

# an x264-like HR ladder (kbit/s, dB) and two delivery curves: one cheaper, one dearer
LADDER = ([90.0, 150.0, 260.0, 470.0, 900.0], [27.1, 28.9, 30.6, 32.2, 33.9])
CURVES = {
    "cheaper": ([70.0, 120.0, 210.0, 400.0], [27.5, 29.2, 30.9, 32.6]),
    "dearer": ([160.0, 260.0, 420.0, 700.0, 1300.0], [27.3, 29.0, 30.5, 31.9, 33.2]),
    "crossing": ([120.0, 170.0, 240.0, 380.0], [28.0, 29.4, 30.5, 31.6]),
}


@pytest.mark.parametrize("name", sorted(CURVES))
def test_bd_rate_matches_the_bjontegaard_package(name):
    rates, psnrs = CURVES[name]
    ours = bdrate.bd_rate(*LADDER, rates, psnrs)
    ref = bjontegaard.bd_rate(*LADDER, rates, psnrs, method="cubic", require_matching_points=False)
    assert ours == pytest.approx(ref, rel=1e-3)  # 0.1 %


def test_the_reference_takes_points_in_any_order_as_we_do():
    rates, psnrs = CURVES["cheaper"]
    order = np.argsort(rates)[::-1]
    ours = bdrate.bd_rate(*LADDER, list(np.array(rates)[order]), list(np.array(psnrs)[order]))
    assert ours == pytest.approx(bdrate.bd_rate(*LADDER, rates, psnrs), rel=1e-9)


def test_break_even_length():
    # 200 kbit/s of stream + 10 of map against a 260 kbit/s ladder: 50 kbit/s pay 100 kB of models in 16 s
    seconds, note = bdrate.break_even_s(200.0, 10.0, 100_000, 260.0)
    assert seconds == pytest.approx(16.0) and note == ""
    seconds, note = bdrate.break_even_s(250.0, 10.0, 100_000, 260.0)
    assert math.isinf(seconds) and "no length breaks even" in note
    assert math.isnan(bdrate.break_even_s(200.0, 0.0, 1.0, math.nan)[0])


def test_the_rate_tables_curve_bd_rate_matches_the_package_on_its_points(tmp_path):
    from support.rate import LADDER_KBPS, LADDER_PSNR, write_curve

    from stdo.delivery import rate

    manifests, metrics, ladder, curves = write_curve(tmp_path)
    table = rate.rate_table(manifests, metrics, [ladder], curves=curves)
    assert (table["video"] == "v").all() and list(table["lr_crf"]) == [18, 23, 28, 33]
    rates, psnrs = list(table["total_kbps"]), list(table["psnr_db"])
    ref = bjontegaard.bd_rate(
        list(LADDER_KBPS), list(LADDER_PSNR), rates, psnrs, method="cubic", require_matching_points=False
    )
    assert table["curve_bd_rate_pct"].nunique() == 1  # one value per curve, on each of its rows
    assert table["curve_bd_rate_pct"].iloc[0] == pytest.approx(ref, rel=1e-3)  # 0.1 %
    assert table["curve_points"].iloc[0] == 4 and table["curve_crfs"].iloc[0] == "18,23,28,33"
