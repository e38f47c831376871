"""The paper's claims checked against metrics loaded by the real loader (stdo.report.tables.load_metrics)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from stdo.core.cell import Cell
from stdo.core.errors import StdoError
from stdo.report import ablations, claims, tables

BASE = {"video": "game_15s", "backbone": "wdsr", "scale": 4, "models": 1, "parameters": 1_200_000}


def _paths(tmp_path: Path, rows: list[dict[str, Any]]) -> list[Path]:
    out = []
    for i, r in enumerate(rows):
        p = tmp_path / f"metrics_{i}.json"
        p.write_text(json.dumps(BASE | r))
        out.append(p)
    return out


def _load(tmp_path: Path, rows: list[dict[str, Any]]) -> pd.DataFrame:
    return tables.load_metrics(_paths(tmp_path, rows))


def _claim(df: pd.DataFrame, claim: str) -> pd.DataFrame:
    return df[df["claim"] == claim].reset_index(drop=True)


X4 = [  # STDO wins at its best k (4): 36.5 - max(34.0, 34.5, 35.0) = 1.5
    {"method": "awdnn", "psnr": 34.0},
    {"method": "nas-n3", "psnr": 34.5},
    {"method": "cafm-n3", "psnr": 35.0},
    {"method": "stdo-k2", "psnr": 36.0, "models": 2, "parameters": 2_400_000},
    {"method": "stdo-k4", "psnr": 36.5, "models": 4, "parameters": 4_800_000},
    {"method": "jstdo-k4", "psnr": 36.1},  # 0.4 below STDO k=4: within 0.5
    {"method": "jstdo-k4-p0", "psnr": 20.0},  # a schedule variant, not the main JSTDO
]
X2 = [  # STDO loses at its best k (2): 40.1 - 40.3 = -0.2; NAS not run in this cell
    {"scale": 2, "method": "awdnn", "psnr": 40.0},
    {"scale": 2, "method": "cafm-n3", "psnr": 40.3},
    {"scale": 2, "method": "stdo-k2", "psnr": 40.1},
    {"scale": 2, "method": "stdo-k4", "psnr": 39.9, "models": 4, "parameters": 4_800_000},
    {"scale": 2, "method": "jstdo-k4", "psnr": 39.3},  # 0.6 below STDO k=4: outside 0.5
]


@pytest.fixture
def table(tmp_path: Path) -> pd.DataFrame:
    extra = [{"video": "solo", "method": "stdo-k2", "psnr": 30.0}]
    return claims.check_claims(_load(tmp_path, X4 + X2 + extra))


def test_stdo_beats_baselines_held_failed_and_not_run_per_cell(table):
    t = _claim(table, "stdo_beats_baselines").set_index(["video", "scale"])
    win, lose, solo = t.loc[("game_15s", 4)], t.loc[("game_15s", 2)], t.loc[("solo", 4)]
    assert win["status"] == claims.HELD_ONE_SEED and win["margin_db"] == pytest.approx(1.5)
    assert win["n_seeds"] == 1 and pd.isna(win["margin_se_db"]) and pd.isna(win["ci_low_db"])
    assert win["threshold_db"] == 0.0
    assert win["details"] == "STDO k=4 36.50; awDNN 34.00; NAS 34.50; CaFM 35.00"
    assert win["backbone"] == "WDSR" and win["source"] == "Table 2"
    assert lose["status"] == claims.FAILED_ONE_SEED and lose["margin_db"] == pytest.approx(-0.2)
    assert lose["details"].startswith("STDO k=2 40.10;") and "NAS not run" in lose["details"]
    assert solo["status"] == "not run" and pd.isna(solo["margin_db"]) and pd.isna(solo["n_seeds"])
    assert len(t) == 3
    assert "margin_authors_db" not in table.columns


def test_jstdo_close_to_stdo_within_and_outside_half_a_db(table):
    t = _claim(table, "jstdo_close_to_stdo").set_index("scale")
    assert len(t) == 2  # jstdo-k4-p0 is a schedule variant, not Table 4's JSTDO
    assert t.loc[4, "status"] == claims.HELD_ONE_SEED and t.loc[4, "margin_db"] == pytest.approx(-0.4)
    assert t.loc[2, "status"] == claims.FAILED_ONE_SEED and t.loc[2, "margin_db"] == pytest.approx(-0.6)
    assert set(t["threshold_db"]) == {-0.5}
    assert "1.2M / 4.8M = 0.25 (1/k = 0.25)" in t.loc[4, "details"]


def test_jstdo_beats_baselines(table):
    t = _claim(table, "jstdo_beats_baselines").set_index("scale")
    assert t.loc[4, "status"] == claims.HELD_ONE_SEED and t.loc[4, "margin_db"] == pytest.approx(1.1)
    assert t.loc[2, "status"] == claims.FAILED_ONE_SEED and t.loc[2, "margin_db"] == pytest.approx(-1.0)


@pytest.mark.parametrize(
    ("d0", "dk", "status"),
    [
        (36.1, 33.0, claims.HELD_ONE_SEED),  # 0.4 below STDO, 3.1 above Dk
        (36.1, 33.2, claims.FAILED_ONE_SEED),  # only 2.9 above Dk: not "far above"
        (35.9, 32.0, claims.FAILED_ONE_SEED),  # 0.6 below STDO: not "close"
    ],
)
def test_d0_thresholds_from_table1(tmp_path, d0, dk, status):
    rows = X4 + [{"method": "stdo-k4-d0", "psnr": d0}, {"method": "stdo-k4-dk", "psnr": dk}]
    t = _claim(claims.check_claims(_load(tmp_path, rows)), "d0_close_far_above_dk")
    assert len(t) == 1 and t.loc[0, "status"] == status
    assert t.loc[0, "margin_db"] == pytest.approx(d0 - dk)
    assert "D0 - Dk >= 3 dB and STDO - D0 <= 0.5 dB" in t.loc[0, "criterion"]
    assert t.loc[0, "threshold_db"] == 3.0


def test_d0_falls_back_to_a_k_that_has_single_chunk_models(tmp_path):
    rows = X4 + [{"method": "stdo-k2-d0", "psnr": 35.8}, {"method": "stdo-k2-dk", "psnr": 31.0}]
    t = _claim(claims.check_claims(_load(tmp_path, rows)), "d0_close_far_above_dk")
    assert t.loc[0, "status"] == claims.HELD_ONE_SEED and t.loc[0, "margin_db"] == pytest.approx(4.8)
    assert t.loc[0, "details"].startswith("STDO k=2 36.00; D0 k=2 35.80; Dk k=2 31.00")
    assert "not the best k" in t.loc[0, "details"]


def _chunks(psnr_by_k: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"video": "game_15s", "scale": 4, "backbone": b, "k": k, "psnr_db": v + (b == "WDSR")}
            for b in ("ESPCN", "WDSR")
            for k, v in psnr_by_k.items()
        ]  # fmt: skip
    )


def test_best_k_near_4_best_near_minus_best_outside(tmp_path):
    metrics = _load(tmp_path, X4)

    def check(psnr_by_k: dict[int, float]) -> pd.DataFrame:
        return _claim(claims.check_claims(metrics, chunks=_chunks(psnr_by_k)), "best_k_near_4")

    held = check({1: 30.0, 4: 31.0, 8: 30.5})
    assert list(held["backbone"]) == ["ESPCN", "WDSR"] and set(held["status"]) == {claims.HELD_ONE_SEED}
    assert list(held["margin_db"]) == [0.5, 0.5]  # k=4 (best of 3, 4, 5) - k=8 (best outside)
    failed = check({1: 30.0, 3: 30.2, 8: 31.0})
    assert set(failed["status"]) == {claims.FAILED_ONE_SEED}
    assert failed.loc[0, "margin_db"] == pytest.approx(-0.8)
    assert failed.loc[0, "details"].startswith("best k=8;")
    two_near = check({3: 30.2, 5: 30.6, 8: 31.0})
    assert two_near.loc[0, "margin_db"] == pytest.approx(-0.4)  # the better of 3 and 5: k=5
    assert "k=5 (best in {3, 4, 5}) - k=8 (best outside)" in two_near.loc[0, "details"]
    none_near = check({1: 30.0, 2: 30.5})
    assert (
        set(none_near["status"]) == {"not run"} and "no k in {3, 4, 5} tried" in none_near.loc[0, "details"]
    )


def _schedules(psnr: list[float]) -> pd.DataFrame:
    props = ["0.5 0.5 0.5 0.5", "0.7 0.6 0.4 0.3", "1 0.7 0.3 0"]
    return pd.DataFrame(
        [
            {
                "video": "game_15s",
                "scale": 4,
                "backbone": "WDSR",
                "schedule": i,
                "proportions": props[i],
                "psnr_db": v,
            }
            for i, v in reversed(list(enumerate(psnr)))
        ]  # fmt: skip
    )


def test_more_d0_higher_psnr_increasing_vs_not(tmp_path):
    metrics = _load(tmp_path, X4)
    up = _claim(claims.check_claims(metrics, schedules=_schedules([35.0, 35.2, 35.5])), "more_d0_higher_psnr")
    assert up.loc[0, "status"] == claims.HELD_ONE_SEED and up.loc[0, "margin_db"] == pytest.approx(0.5)
    assert up.loc[0, "details"].startswith("p0 (0.5 0.5 0.5 0.5) 35.00; p1")
    dip = _claim(
        claims.check_claims(metrics, schedules=_schedules([35.0, 35.6, 35.5])), "more_d0_higher_psnr"
    )
    assert dip.loc[0, "status"] == claims.FAILED_ONE_SEED and dip.loc[0, "margin_db"] == pytest.approx(0.5)
    assert dip.loc[0, "details"].endswith("largest drop 0.10")


@pytest.mark.parametrize(
    ("long_psnr", "status"),
    [(39.92, claims.HELD_ONE_SEED), (39.8, claims.FAILED_ONE_SEED), (41.9, claims.FAILED_ONE_SEED)],
)
def test_long_video_close_to_parts(tmp_path, long_psnr, status):
    rows = [
        {"video": "long_90s", "method": "stdo-k4", "psnr": long_psnr},
        {"video": "game_45s", "method": "stdo-k4", "psnr": 43.99},
        {"video": "vlog_45s", "method": "stdo-k2", "psnr": 37.76},
    ]
    metrics = _load(tmp_path, rows)
    lv = ablations.long_video_table(metrics, "long_90s", ["game_45s", "vlog_45s"])
    t = _claim(claims.check_claims(metrics, long_video=lv), "long_video_close_to_parts")
    assert len(t) == 1 and t.loc[0, "status"] == status and t.loc[0, "video"] == "long_90s"
    assert t.loc[0, "margin_db"] == pytest.approx(long_psnr - (43.99 + 37.76) / 2, abs=5e-4)
    assert "mean 40.88" in t.loc[0, "details"]


def test_missing_ablations_and_methods_are_not_run_rows(tmp_path):
    t = claims.check_claims(_load(tmp_path, [{"method": "stdo-k4", "psnr": 30.0}])).set_index("claim")
    assert list(t.index) == list(claims.CLAIMS)  # one row per claim, in the claims' order
    assert set(t["status"]) == {"not run"}
    assert "configure ablations.chunks" in t.loc["best_k_near_4", "details"]
    assert "configure ablations.schedules" in t.loc["more_d0_higher_psnr", "details"]
    assert "configure ablations.long_video" in t.loc["long_video_close_to_parts", "details"]
    assert "configure methods: awdnn, nas, cafm" in t.loc["stdo_beats_baselines", "details"]
    assert "configure methods: jstdo" in t.loc["jstdo_close_to_stdo", "details"]
    assert "configure table1.backbones" in t.loc["d0_close_far_above_dk", "details"]
    assert t.loc["real_time_on_device", "details"].startswith("no phone benchmark: configure bench.adb")


def test_authors_margin_beside_ours_when_metrics_have_it(tmp_path):
    rows = [
        {"method": "awdnn", "psnr": 34.0, "psnr_trainer": 35.0},
        {"method": "stdo-k4", "psnr": 34.5, "psnr_trainer": 35.8},
    ]
    t = claims.check_claims(_load(tmp_path, rows))
    assert list(t.columns).index("margin_authors_db") == list(t.columns).index("threshold_db") + 1
    row = _claim(t, "stdo_beats_baselines").iloc[0]
    assert row["margin_db"] == pytest.approx(0.5) and row["margin_authors_db"] == pytest.approx(0.8)


def test_cli_writes_csv_markdown_and_sidecars(tmp_path):
    paths = _paths(tmp_path, X4 + X2)
    _schedules([35.0, 35.2, 35.5]).to_csv(tmp_path / "schedules.csv", index=False)
    out_csv, out_md = tmp_path / "out" / "claims.csv", tmp_path / "out" / "claims.md"
    claims.main(["--metrics", *map(str, paths), "--schedules", str(tmp_path / "schedules.csv"),
                 "--out-csv", str(out_csv), "--out-md", str(out_md)])  # fmt: skip
    df = pd.read_csv(out_csv)
    assert list(df.columns) == claims.COLUMNS
    assert set(df["claim"]) == set(claims.CLAIMS)
    row = df[(df["claim"] == "stdo_beats_baselines") & (df["scale"] == 4)].iloc[0]
    assert row["status"] == claims.HELD_ONE_SEED and row["margin_db"] == 1.5
    md = out_md.read_text()
    assert md.startswith("# The paper's claims checked against our metrics")
    assert (
        "- `stdo_beats_baselines` (Table 2): held in 1 of 2 cells, failed in 1, inconclusive in 0 "
        "(2 of them on one seed: noise not measured)"
    ) in md
    assert "- `more_d0_higher_psnr` (Figure 7b): held in 1 of 1 cells, failed in 0, inconclusive in 0" in md
    assert claims.RULE in md
    assert "- `best_k_near_4` (Figure 7a): not run (no chunk ablation: configure ablations.chunks)" in md
    assert "PSNR in dB: RGB" in md and "- git revision:" in md
    side = json.loads((tmp_path / "out" / "claims.csv.prov.json").read_text())
    assert side["stage"] == "claims" and side["params"]["thresholds_db"]["jstdo_max_drop"] == 0.5
    assert side["params"]["confidence"] == 0.95
    assert len(side["inputs"]) == len(paths) + 1
    assert (tmp_path / "out" / "claims.md.prov.json").exists()


def test_real_time_on_device_is_decided_by_phone_rows_only():
    row = {"video": "g", "backbone": "WDSR", "scale": 4, "method": "STDO", "size": "task", "dtype": "float32"}
    phone = {"backend": "adb", "routed": False, "device": "SM-G991B (SM8350)"}
    bench = pd.DataFrame(
        [
            row
            | {"backend": "host", "routed": False, "device": "host CPU"}
            | {"latency_ms": 30.0, "fps": 33.3, "real_time": True},
            row | phone | {"latency_ms": 35.7, "fps": 28.0, "real_time": True},
            row | phone | {"latency_ms": 80.0, "fps": 12.5, "real_time": False, "scale": 2},
        ]
    )
    rows = pd.DataFrame(claims.real_time_on_device(bench)).set_index("scale")
    assert (
        rows.loc[4, "status"] == "held" and "SM-G991B (SM8350): 35.7 ms, 28.0 fps" in rows.loc[4, "details"]
    )
    assert rows.loc[2, "status"] == "failed"
    host_only = claims.real_time_on_device(bench[bench["backend"] == "host"])
    assert [r["status"] for r in host_only] == ["not run"] and "no phone (adb) rows" in host_only[0][
        "details"
    ]


# --- decided over seeds: paired margins, their t interval, held / failed / inconclusive ------------

T_975_2DOF = 4.303  # Student t, 97.5 % quantile, 2 degrees of freedom (printed tables)


def _seeded(pairs: dict[str, list[float]], **extra: Any) -> list[dict[str, Any]]:
    """Metrics rows: method id -> its PSNR for seeds 0, 1, 2, ..."""
    return [{"method": m, "seed": s, "psnr": v} | extra for m, vs in pairs.items() for s, v in enumerate(vs)]


def _beats(tmp_path: Path, rows: list[dict[str, Any]]) -> pd.Series:
    return _claim(claims.check_claims(_load(tmp_path, rows)), "stdo_beats_baselines").iloc[0]


def test_t_interval_matches_a_hand_computation():
    mean, se, low, high = claims.t_interval([0.1, 0.3, 0.2])
    # mean 0.2; sd 0.1 (ddof 1); se 0.1 / sqrt(3) = 0.05774; half-width 4.303 * 0.05774 = 0.2484
    assert mean == pytest.approx(0.2) and se == pytest.approx(0.1 / 3**0.5)
    assert low == pytest.approx(0.2 - T_975_2DOF * 0.1 / 3**0.5, abs=1e-4)
    assert high == pytest.approx(0.2 + T_975_2DOF * 0.1 / 3**0.5, abs=1e-4)
    one = claims.t_interval([0.4])
    assert one[0] == 0.4 and all(pd.isna(v) for v in one[1:])
    with pytest.raises(StdoError, match="finite per-seed margins"):
        claims.t_interval([])


def test_three_seeds_clearly_above_zero_hold_with_the_interval_in_the_table(tmp_path):
    row = _beats(tmp_path, _seeded({"awdnn": [34.0, 34.2, 33.9], "stdo-k2": [34.5, 34.9, 34.3]}))
    # margins 0.5, 0.7, 0.4: mean 0.5333, sd 0.1528, se 0.0882, half-width 0.3795
    assert row["status"] == "held" and row["n_seeds"] == 3
    assert row["margin_db"] == pytest.approx(0.533, abs=1e-3)
    assert row["margin_se_db"] == pytest.approx(0.088, abs=1e-3)
    assert row["ci_low_db"] == pytest.approx(0.533 - T_975_2DOF * 0.0882, abs=2e-3)
    assert row["ci_high_db"] == pytest.approx(0.533 + T_975_2DOF * 0.0882, abs=2e-3)
    assert row["details"].endswith("; paired on seeds 0, 1, 2")


def test_three_seeds_clearly_below_zero_fail(tmp_path):
    row = _beats(tmp_path, _seeded({"awdnn": [34.0, 34.2, 33.9], "stdo-k2": [33.5, 33.6, 33.5]}))
    assert row["status"] == "failed" and row["ci_high_db"] < 0


def test_margins_straddling_zero_are_inconclusive(tmp_path):
    table = claims.check_claims(
        _load(tmp_path, _seeded({"awdnn": [34.0, 34.2, 33.9], "stdo-k2": [34.1, 34.15, 33.92]}))
    )
    row = _claim(table, "stdo_beats_baselines").iloc[0]
    # margins +0.10, -0.05, +0.02: the interval contains 0
    assert row["status"] == "inconclusive"
    assert row["ci_low_db"] < 0 < row["ci_high_db"] and row["margin_db"] == pytest.approx(0.023, abs=1e-3)
    summary = claims.summary(table)
    assert (
        "- `stdo_beats_baselines` (Table 2): held in 0 of 1 cells, failed in 0, inconclusive in 1" in summary
    )


def test_margins_are_paired_by_seed_not_compared_as_unpaired_means(tmp_path):
    # a seed effect shared by both methods (+-1 dB) swamps unpaired means; paired, STDO is
    # 0.04..0.06 dB above awDNN on every seed
    effect = [0.0, 1.0, -1.0]
    aw = [34.0 + e for e in effect]
    st = [34.0 + e + d for e, d in zip(effect, [0.05, 0.06, 0.04], strict=True)]
    row = _beats(tmp_path, _seeded({"awdnn": aw, "stdo-k2": st}))
    assert row["status"] == "held" and row["margin_db"] == pytest.approx(0.05, abs=1e-3)
    assert row["ci_low_db"] == pytest.approx(0.05 - T_975_2DOF * 0.01 / 3**0.5, abs=1e-3)
    # unpaired: the difference of means with the two samples' standard errors contains 0
    unpaired_se = (pd.Series(aw).var() / 3 + pd.Series(st).var() / 3) ** 0.5
    assert 0.05 - 2 * unpaired_se < 0
    # the seeds' order matters: shuffling one method's seeds breaks the pairing
    shuffled = _beats(tmp_path, _seeded({"awdnn": aw, "stdo-k2": [st[1], st[2], st[0]]}))
    assert shuffled["status"] == "inconclusive"


def test_a_seed_of_one_method_only_is_left_out_and_said(tmp_path):
    rows = _seeded({"awdnn": [34.0, 34.2], "stdo-k2": [34.5, 34.8, 30.0]})  # seed 2: STDO only
    row = _beats(tmp_path, rows)
    assert row["n_seeds"] == 2 and row["margin_db"] == pytest.approx(0.55)  # (0.5 + 0.6) / 2
    assert "seed 2 only for STDO: left out" in row["details"]


def test_the_best_baseline_is_picked_by_mean_then_paired(tmp_path):
    # CaFM is best on seed 0 alone, NAS by the mean: STDO is paired with NAS
    rows = _seeded({"nas-n3": [34.0, 34.6, 34.5], "cafm-n3": [34.3, 33.0, 33.0],
                    "stdo-k2": [34.2, 34.8, 34.7]})  # fmt: skip
    row = _beats(tmp_path, rows)
    assert row["margin_db"] == pytest.approx(0.2) and row["status"] == "held"


def test_stdo_best_k_is_the_k_of_the_best_mean_over_seeds(tmp_path):
    rows = _seeded({"awdnn": [34.0, 34.0], "stdo-k2": [35.0, 34.0], "stdo-k4": [34.6, 34.6]})
    row = _beats(tmp_path, rows)  # k=2 mean 34.5 < k=4 mean 34.6, though k=2 has the top seed
    assert row["details"].startswith("STDO k=4 34.60") and row["margin_db"] == pytest.approx(0.6)


def test_the_authors_margin_is_the_mean_paired_margin_under_their_protocol(tmp_path):
    rows = [
        {"method": "awdnn", "seed": 0, "psnr": 34.0, "psnr_trainer": 35.0},
        {"method": "awdnn", "seed": 1, "psnr": 34.1, "psnr_trainer": 35.2},
        {"method": "stdo-k2", "seed": 0, "psnr": 34.5, "psnr_trainer": 35.8},
        {"method": "stdo-k2", "seed": 1, "psnr": 34.7, "psnr_trainer": 35.6},
    ]
    row = _claim(claims.check_claims(_load(tmp_path, rows)), "stdo_beats_baselines").iloc[0]
    assert row["margin_authors_db"] == pytest.approx((0.8 + 0.4) / 2)


def test_criterion_sides_and_decision():
    two_sided = claims.Criterion("abs<=", 1.0)
    assert [two_sided.side(x) for x in (-1.5, -1.0, 0.0, 1.0, 1.5)] == [-1, 0, 0, 0, 1]

    def p(low: float, high: float, n: int = 3) -> claims.Paired:
        return claims.Paired(tuple(range(n)), (0.0,) * n, (low + high) / 2, 0.1, low, high)

    assert claims.decide(p(-0.5, 0.5), two_sided) == "held"
    assert claims.decide(p(1.2, 1.5), two_sided) == "failed"
    assert claims.decide(p(-2.0, 2.0), two_sided) == "inconclusive"  # both ends outside, across the region
    above = claims.Criterion(">", 0.0)
    assert claims.decide(p(-0.2, -0.0), above) == "failed"  # 0 itself is not above 0
    assert (
        claims.decide(claims.Paired((0,), (0.3,), 0.3, *(float("nan"),) * 3), above) == claims.HELD_ONE_SEED
    )
    assert claims.decide(claims.Paired((), (), *(float("nan"),) * 4), above) == "not run"
    with pytest.raises(StdoError, match="unknown criterion"):
        claims.Criterion("<", 0.0)


def test_d0_needs_both_conditions_over_seeds(tmp_path):
    stdo = {"stdo-k4": [36.0, 36.2, 36.1]}
    d0 = {"stdo-k4-d0": [35.8, 36.0, 35.9]}  # STDO - D0 = 0.2 on every seed: close
    far = {"stdo-k4-dk": [32.0, 32.3, 32.1]}  # D0 - Dk 3.8, 3.7, 3.8: far above
    near = {"stdo-k4-dk": [32.4, 33.4, 32.0]}  # D0 - Dk 3.4, 2.6, 3.9: interval across 3.0
    held = _claim(claims.check_claims(_load(tmp_path, _seeded(stdo | d0 | far))), "d0_close_far_above_dk")
    assert held.loc[0, "status"] == "held" and held.loc[0, "n_seeds"] == 3
    assert "STDO - D0 +0.20 (95 % interval +0.20 .. +0.20, n=3): held" in held.loc[0, "details"]
    unsure = _claim(claims.check_claims(_load(tmp_path, _seeded(stdo | d0 | near))), "d0_close_far_above_dk")
    assert unsure.loc[0, "status"] == "inconclusive"
    d0_low = {"stdo-k4-d0": [35.0, 35.2, 35.1]}  # STDO - D0 = 1.0 on every seed: not close
    failed = _claim(
        claims.check_claims(_load(tmp_path, _seeded(stdo | d0_low | near))), "d0_close_far_above_dk"
    )
    assert failed.loc[0, "status"] == "failed"  # one condition fails: the claim fails


def _seeded_chunks(psnr_by_k: dict[int, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"video": "game_15s", "scale": 4, "backbone": "WDSR", "k": k, "seed": s, "psnr_db": v}
            for k, vs in psnr_by_k.items()
            for s, v in enumerate(vs)
        ]  # fmt: skip
    )


def test_best_k_near_4_over_seeds(tmp_path):
    metrics = _load(tmp_path, X4)
    chunks = _seeded_chunks({1: [30.0, 31.0, 29.0], 4: [30.3, 31.35, 29.25], 8: [30.1, 31.1, 29.1]})
    row = _claim(claims.check_claims(metrics, chunks=chunks), "best_k_near_4").iloc[0]
    assert row["status"] == "held" and row["margin_db"] == pytest.approx(0.2)  # k=4 - k=8: 0.2, 0.25, 0.15
    chunks = _seeded_chunks({1: [30.0, 31.0, 29.0], 4: [30.3, 31.0, 29.2], 8: [30.1, 31.1, 29.1]})
    row = _claim(claims.check_claims(metrics, chunks=chunks), "best_k_near_4").iloc[0]
    assert row["status"] == "inconclusive"  # k=4 - k=8: 0.2, -0.1, 0.1


def _seeded_schedules(psnr: list[list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "video": "game_15s",
                "scale": 4,
                "backbone": "WDSR",
                "schedule": i,
                "proportions": f"p{i}",
                "seed": s,
                "psnr_db": v,
            }
            for i, vs in enumerate(psnr)
            for s, v in enumerate(vs)
        ]  # fmt: skip
    )


def test_more_d0_over_seeds_last_minus_first_and_measured_drops(tmp_path):
    metrics = _load(tmp_path, X4)

    def check(psnr: list[list[float]]) -> pd.Series:
        return _claim(
            claims.check_claims(metrics, schedules=_seeded_schedules(psnr)), "more_d0_higher_psnr"
        ).iloc[0]

    up = check([[35.0, 35.5, 34.8], [35.2, 35.6, 35.0], [35.5, 36.0, 35.3]])
    assert up["status"] == "held" and up["margin_db"] == pytest.approx(0.5)
    # last - first is clearly above 0, but the middle schedule is above the last on every seed
    peak = check([[35.0, 35.5, 34.8], [36.0, 36.6, 35.7], [35.5, 36.0, 35.3]])
    assert peak["status"] == "failed" and "measured drop p1 -> p2" in peak["details"]
    flat = check([[35.0, 35.5, 34.8], [35.0, 35.5, 34.8], [35.1, 35.4, 34.85]])
    assert flat["status"] == "inconclusive"
    # a seed missing from one schedule is left out of all of them
    partial = _seeded_schedules([[35.0, 35.5, 34.8], [35.2, 35.6, 35.0], [35.5, 36.0]])
    row = _claim(claims.check_claims(metrics, schedules=partial), "more_d0_higher_psnr").iloc[0]
    assert row["n_seeds"] == 2 and "seed 2 not in every schedule: left out" in row["details"]


def test_long_video_pairs_each_seed_with_the_mean_of_its_parts(tmp_path):
    rows = [
        {"video": v, "method": "stdo-k4", "seed": s, "psnr": p + e}
        for s, e in enumerate([0.0, 1.0, -1.0])
        for v, p in (("long_90s", 40.4), ("game_45s", 43.99), ("vlog_45s", 37.76))
    ]
    metrics = _load(tmp_path, rows)
    lv = ablations.long_video_table(metrics, "long_90s", ["game_45s", "vlog_45s"])
    assert list(lv["seed"]) == [0] * 4 + [1] * 4 + [2] * 4
    t = _claim(claims.check_claims(metrics, long_video=lv), "long_video_close_to_parts").iloc[0]
    # paired, the seed effect cancels: -0.475 on every seed, well inside [-1, 1]
    assert t["status"] == "held" and t["n_seeds"] == 3 and t["margin_db"] == pytest.approx(-0.475, abs=1e-3)
    assert t["threshold_db"] == 1.0


def test_real_time_claim_has_no_seeds():
    row = {"video": "g", "backbone": "WDSR", "scale": 4, "method": "STDO", "size": "task", "dtype": "float32"}
    bench = pd.DataFrame([row | {"backend": "adb", "routed": False, "device": "phone", "latency_ms": 30.0,
                                 "fps": 33.3, "real_time": True}])  # fmt: skip
    r = claims.real_time_on_device(bench)[0]
    assert r["status"] == "held" and r["n_seeds"] is None and r["ci_low_db"] is None
    assert "no seeds" in r["details"]


# --- the registry: a claim added in a test is checked, tabled and recorded like the paper's


def _always_held(claim: claims.Claim, metrics: pd.DataFrame) -> list[dict[str, Any]]:
    at = (Cell("v", 2, "wdsr"), "WDSR")
    return [
        claim.row(claims.HELD_ONE_SEED, f"{len(metrics)} metrics rows", at=at, threshold=claim.threshold_db)
    ]


EXTRA = claims.Claim(
    name="always_held",
    source="Section 9",
    statement="A claim registered in a test",
    criterion="always",
    rows=_always_held,
    needs=("metrics",),
    threshold_db=0.25,
    thresholds_db={"always_limit": 0.25},
)


@pytest.fixture
def extra():
    claims.register(EXTRA)
    yield EXTRA
    claims.CLAIMS.remove(EXTRA.name)


def test_a_registered_claim_is_in_the_claims_table_after_the_papers(tmp_path, extra):
    paths = _paths(tmp_path, X4)
    t = claims.check_claims(tables.load_metrics(paths))
    assert list(dict.fromkeys(t["claim"])) == [
        *[c for c in claims.CLAIMS if c != "always_held"],
        "always_held",
    ]
    row = _claim(t, "always_held").iloc[0]
    assert (row["source"], row["statement"], row["criterion"]) == ("Section 9", EXTRA.statement, "always")
    assert row["status"] == claims.HELD_ONE_SEED and row["details"] == "7 metrics rows"
    assert (row["video"], row["backbone"], row["scale"], row["threshold_db"]) == ("v", "WDSR", 2, 0.25)
    assert "- `always_held` (Section 9): held in 1 of 1 cells" in claims.to_markdown(t, footer={})
    out = tmp_path / "out"
    claims.main(
        ["--metrics", *map(str, paths), "--out-csv", str(out / "c.csv"), "--out-md", str(out / "c.md")]
    )
    assert "always_held" in set(pd.read_csv(out / "c.csv")["claim"])
    side = json.loads((out / "c.csv.prov.json").read_text())
    assert side["params"]["thresholds_db"]["always_limit"] == 0.25


def test_a_removed_claim_is_no_longer_checked(tmp_path):
    t = claims.check_claims(_load(tmp_path, X4))
    assert "always_held" not in set(t["claim"]) and list(dict.fromkeys(t["claim"])) == list(claims.CLAIMS)


def test_a_claim_name_is_registered_once(extra):
    with pytest.raises(ValueError, match="'always_held' registered twice"):
        claims.register(replace(EXTRA, statement="another claim under a taken name"))
    with pytest.raises(ValueError, match="'best_k_near_4' registered twice"):
        claims.register(replace(claims.best_k_near_4))
    claims.register(EXTRA)  # the same spec again changes nothing
    assert (
        claims.CLAIMS.get("always_held") is EXTRA
        and claims.CLAIMS.get("best_k_near_4") is claims.best_k_near_4
    )


def test_a_claim_needs_inputs_check_claims_has():
    with pytest.raises(ValueError, match="known inputs: metrics, authors, chunks"):
        replace(EXTRA, needs=("photos",))


def test_two_seeds_that_agree_are_inconclusive_and_the_page_says_why(tmp_path):
    # margins +0.05 and +0.07 agree to 0.02 dB, as the demo's two seeds do: se 0.01, half-width
    # 12.7 x 0.01 = 0.127 > 0.06; a third seed (+0.06) gives half-width 4.3 x 0.0058 = 0.025
    table = claims.check_claims(_load(tmp_path, _seeded({"awdnn": [34.0, 34.2], "stdo-k2": [34.05, 34.27]})))
    row = _claim(table, "stdo_beats_baselines").iloc[0]
    assert row["n_seeds"] == 2 and row["status"] == "inconclusive"  # +0.05, +0.07: t(1) = 12.7
    page = claims.to_markdown(table, footer={})
    assert "Two seeds cannot decide" in page and "12.7 standard errors" in page
    (tmp_path / "3").mkdir()
    three = claims.check_claims(
        _load(tmp_path / "3", _seeded({"awdnn": [34.0, 34.2, 34.1], "stdo-k2": [34.05, 34.27, 34.16]}))
    )
    assert _claim(three, "stdo_beats_baselines").iloc[0]["status"] == "held"  # the same margins and one more
    assert "Two seeds cannot decide" not in claims.to_markdown(three, footer={})
