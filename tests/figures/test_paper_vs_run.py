"""``stdo.report.figures.paper_vs_run`` and ``table_page``: the report's page "the paper against this
run" compares each number with the paper's cell (authors' protocol), gains with the paper's
gains computed by hand from its Table 2, and colours each claim by its status."""

import html

import numpy as np
import pandas as pd
import pytest

from stdo.report import claims as claims_mod
from stdo.report import paper
from stdo.report.figures import paper_vs_run, table_page


def _table2(rows):
    cols = {"video": "game15", "paper_video": "game", "paper_duration_s": 15, "backbone": "ESPCN", "scale": 2,
            "k": None, "is_paper_best_k": False, "psnr_db": 0.0}  # fmt: skip
    return pd.DataFrame([cols | r for r in rows])


def test_absolute_rows_compare_the_cells_protocol_with_the_papers_cell():
    ours = _table2(
        [
            {"method": "awDNN", "psnr_trainer_db": 37.0, "psnr_db": 36.8, "paper_psnr_db": 37.94},
            {
                "method": "STDO",
                "k": 4,
                "is_paper_best_k": True,
                "psnr_trainer_db": 39.0,
                "psnr_db": 38.7,
                "paper_psnr_db": 39.5,
            },  # fmt: skip
            {"method": "NAS", "psnr_trainer_db": 37.1, "psnr_db": 36.9, "paper_psnr_db": None},
        ]
    )
    rows = paper_vs_run.absolute_rows({2: ours})
    assert list(rows["method"]) == ["awDNN", "STDO"]  # no paper cell, no row
    assert list(rows["diff_db"]) == [pytest.approx(-0.94), pytest.approx(-0.5)]
    assert list(rows["paper_video"]) == ["game-15s", "game-15s"]


def test_gains_over_awdnn_beside_the_papers_mean_over_its_videos():
    ours = _table2(
        [
            {"video": v, "method": m, "k": k, "is_paper_best_k": best, "psnr_trainer_db": p}
            for v, base in (("a", 30.0), ("b", 32.0))
            for m, k, best, p in (("awDNN", None, False, base), ("STDO", 2, False, base + 5),
                                  ("STDO", 4, True, base + 1 + (v == "b")), ("NAS", None, False, base - 0.5))
        ]
    )  # fmt: skip
    gains = paper_vs_run.gain_rows(ours, None).set_index("method")
    assert gains.loc["STDO", "ours_gain_db"] == pytest.approx(1.5)  # best k only: (1 + 2) / 2
    assert gains.loc["NAS", "ours_gain_db"] == pytest.approx(-0.5)
    ref = paper.table(2)
    ref = ref[(ref["backbone"] == "ESPCN") & (ref["scale"] == 2)]
    by_video = ref.pivot_table(index=["video", "duration_s"], columns="method", values="psnr_db")
    stdo_gain = by_video["STDO"] - by_video["awDNN"]  # by hand, from the paper's Table 2
    assert gains.loc["STDO", "paper_gain_db"] == pytest.approx(round(stdo_gain.mean(), 2))
    assert gains.loc["STDO", "paper_min_db"] == pytest.approx(round(stdo_gain.min(), 2))
    assert gains.loc["STDO", "paper_videos"] == 6
    assert gains.loc["STDO", "diff_db"] == pytest.approx(round(1.5 - stdo_gain.mean(), 2), abs=0.011)


def test_the_page_colours_claims_and_says_when_no_video_has_a_paper_cell():
    claims = pd.DataFrame(
        [
            {"claim": "a", "source": "Table 2", "statement": "x < y", "status": "held", "margin_db": 0.1},
            {
                "claim": "b",
                "source": "Figure 7a",
                "statement": "k near 4",
                "status": "not run",
                "margin_db": np.nan,
            },
        ]
    )
    text = paper_vs_run.page(paper_vs_run.absolute_rows({}), pd.DataFrame(), claims, videos=["demo"])
    assert "None of this run's videos (demo) carries a paper label" in text
    assert 'data-status="held"' in text and paper_vs_run.STATUS_COLOURS["held"] in text
    assert 'data-status="not run"' in text and html.escape("x < y") in text
    assert "1 held, 0 failed, 0 inconclusive, 1 not run" in text
    assert "Margins are paired by seed" in text  # the rule under the claims table


def test_claims_show_the_margin_with_its_interval_and_colour_every_status():
    rows = [
        {"claim": "a", "status": "held", "n_seeds": 3, "margin_db": 0.5, "ci_low_db": 0.2, "ci_high_db": 0.8},
        {"claim": "b", "status": "inconclusive", "n_seeds": 3, "margin_db": 0.02, "ci_low_db": -0.1,
         "ci_high_db": 0.14},
        {"claim": "c", "status": claims_mod.FAILED_ONE_SEED, "n_seeds": 1, "margin_db": -0.2,
         "ci_low_db": np.nan, "ci_high_db": np.nan},
        {"claim": "d", "status": "not run", "n_seeds": np.nan, "margin_db": np.nan, "ci_low_db": np.nan,
         "ci_high_db": np.nan},
    ]  # fmt: skip
    claims = pd.DataFrame(rows)
    assert [paper_vs_run.margin_text(r) for _, r in claims.iterrows()] == [
        "+0.50 ± 0.30 (n=3)",
        "+0.02 ± 0.12 (n=3)",
        "-0.20 (one seed: noise not measured)",
        "",
    ]
    text = paper_vs_run.claims_html(claims)
    assert "<th>margin ± 95 % interval (dB)</th>" in text and "<td>-0.10 .. +0.14</td>" in text
    for status in claims["status"]:
        assert f'<tr style="background:{paper_vs_run.STATUS_COLOURS[status]}" data-status="{status}">' in text
    assert len(set(paper_vs_run.STATUS_COLOURS.values())) == len(claims_mod.STATUSES)
    summary = paper_vs_run.claims_summary(claims)
    assert summary == "1 held, 0 failed, 1 failed (one seed: noise not measured), 1 inconclusive, 1 not run"


def test_table_page_has_the_markdown_title_notes_and_the_csv_rows(tmp_path):
    df = pd.DataFrame({"method": ["awDNN", "STDO"], "psnr_db": [30.123456, 31.5]})
    md = (
        "# Table 2: STDO and the baselines\n\n| method | psnr_db |\n|---|---|\n| awDNN | 30.12 |\n\n"
        "- config sha256: abc\n"
    )
    page = table_page.table_page(df, md)
    assert "<h1>Table 2: STDO and the baselines</h1>" in page
    assert "<td>30.12</td>" in page and "<td>STDO</td>" in page
    assert '<p class="note">config sha256: abc</p>' in page
