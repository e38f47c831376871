"""The rate table's curves, break-even lengths and delta columns (stdo.delivery.rate), on known
sizes, and its figure and Markdown."""

import math

import pandas as pd
import pytest
from matplotlib.image import imread
from support.rate import LADDER_KBPS, LADDER_PSNR, POINTS, write_curve

from stdo.delivery import bdrate, rate


def _table(root, **kw):
    manifests, metrics, ladder, curves = write_curve(root, **kw)
    return rate.rate_table(manifests, metrics, [ladder], curves=curves), pd.read_csv(ladder)


def test_each_point_has_its_break_even_length(tmp_path):
    table, _ = _table(tmp_path)
    for r in table.itertuples():
        ladder = 10 ** (1.5 + 0.12 * (r.psnr_db - 26))  # the ladder's own (exact) fit at this PSNR
        assert r.ladder_kbps_at_psnr == pytest.approx(ladder, rel=1e-9)
        margin = ladder - r.stream_kbps - r.side_kbps
        want = 8 * r.model_bytes / 1000 / margin if margin > 0 else math.inf
        assert r.break_even_s == pytest.approx(want)
        if margin > 0:  # at that length the total rate is the ladder's
            d = r.break_even_s
            assert r.stream_kbps + r.side_kbps + 8 * r.model_bytes / 1000 / d == pytest.approx(ladder)
        else:
            assert "no length breaks even" in r.break_even_note


def test_time_segment_methods_say_the_extrapolation_does_not_hold(tmp_path):
    table, _ = _table(tmp_path, method="nas-n2")
    assert table["break_even_note"].str.contains("models grow with the length").all()
    stdo, _ = _table(tmp_path)
    assert not stdo["break_even_note"].str.contains("grow").any()


def test_a_single_point_has_no_curve_bd_rate_but_its_point_saving(tmp_path):
    manifests, metrics, ladder, _ = write_curve(tmp_path, points=POINTS[1:2])
    row = rate.rate_table(manifests, metrics, [ladder]).iloc[0]
    assert row.curve_points == 1 and math.isnan(row.curve_bd_rate_pct)
    assert "needs 4 LR qualities" in row.curve_bd_rate_note
    want, _ = bdrate.point_saving(row.total_kbps, row.psnr_db, LADDER_KBPS, LADDER_PSNR)
    assert row.bd_rate_pct == pytest.approx(want)


def test_delta_columns(tmp_path):
    coding = {
        "model_coding": "delta",
        "delta": {"quant": "int8", "full_model_bytes": 20000, "drop_db": 0.004},
    }
    table, ladders = _table(tmp_path, coding=coding)
    assert list(table["delta_saving_pct"]) == pytest.approx([60.0] * 4)  # 8000 of 20000 bytes
    assert (table["delta_quant"] == "int8").all() and (table["delta_psnr_cost_db"] == 0.004).all()
    full, _ = _table(tmp_path)
    assert (full["model_coding"] == "full").all() and full["delta_saving_pct"].isna().all()
    assert (full["full_model_bytes"] == full["model_bytes"]).all()
    assert "Models as deltas" in rate.markdown(table, ladders)
    assert "Models as deltas" not in rate.markdown(full, ladders)


def test_the_figure_draws_each_methods_curve(tmp_path):
    manifests, metrics, ladder, curves = write_curve(tmp_path)
    more = write_curve(tmp_path, method="awdnn")
    table = rate.rate_table(manifests + more[0], metrics + more[1], [ladder], curves=curves)
    ladders = pd.read_csv(ladder)
    data = rate.figure(table, ladders, tmp_path / "r.png", tmp_path / "r.pdf")
    assert imread(tmp_path / "r.png").ndim == 3 and (tmp_path / "r.pdf").stat().st_size > 0
    points = data[data["series"] == "delivery"]
    assert len(points) == 8 and set(points["crf"]) == {18, 23, 28, 33}
    assert len(data[data["series"] == "hr_ladder"]) == len(LADDER_PSNR)
    page = rate.markdown(table, ladders)
    assert "Rate-distortion curves against the HR ladder" in page and "extrapolation" in page
    summary = rate.curve_summary(table)
    assert len(summary) == 2 and (summary["curve_points"] == 4).all()


def test_a_curve_whose_rate_does_not_rise_with_psnr_says_so(tmp_path):
    bumpy = [
        (crf, stream, 40000 if crf == 23 else models, side, psnr)
        for crf, stream, models, side, psnr in POINTS
    ]
    table, _ = _table(tmp_path, points=bumpy)  # crf 23's models cost more than crf 18's whole bundle
    assert "does not rise with PSNR" in table["curve_bd_rate_note"].iloc[0]
    assert math.isfinite(table["curve_bd_rate_pct"].iloc[0])
    smooth, _ = _table(tmp_path)
    assert "does not rise" not in smooth["curve_bd_rate_note"].iloc[0]
