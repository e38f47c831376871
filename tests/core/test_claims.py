"""The paper's claims checked against metrics loaded by the real loader (stdo.tables.load_metrics)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from stdo import ablations, claims, tables

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
    assert win["status"] == "held" and win["margin_db"] == pytest.approx(1.5)
    assert win["details"] == "STDO k=4 36.50; awDNN 34.00; NAS 34.50; CaFM 35.00"
    assert win["backbone"] == "WDSR" and win["source"] == "Table 2"
    assert lose["status"] == "failed" and lose["margin_db"] == pytest.approx(-0.2)
    assert lose["details"].startswith("STDO k=2 40.10;") and "NAS not run" in lose["details"]
    assert solo["status"] == "not run" and pd.isna(solo["margin_db"])
    assert len(t) == 3
    assert "margin_authors_db" not in table.columns


def test_jstdo_close_to_stdo_within_and_outside_half_a_db(table):
    t = _claim(table, "jstdo_close_to_stdo").set_index("scale")
    assert len(t) == 2  # jstdo-k4-p0 is a schedule variant, not Table 4's JSTDO
    assert t.loc[4, "status"] == "held" and t.loc[4, "margin_db"] == pytest.approx(-0.4)
    assert t.loc[2, "status"] == "failed" and t.loc[2, "margin_db"] == pytest.approx(-0.6)
    assert "1.2M / 4.8M = 0.25 (1/k = 0.25)" in t.loc[4, "details"]


def test_jstdo_beats_baselines(table):
    t = _claim(table, "jstdo_beats_baselines").set_index("scale")
    assert t.loc[4, "status"] == "held" and t.loc[4, "margin_db"] == pytest.approx(1.1)
    assert t.loc[2, "status"] == "failed" and t.loc[2, "margin_db"] == pytest.approx(-1.0)


@pytest.mark.parametrize(
    ("d0", "dk", "status"),
    [
        (36.1, 33.0, "held"),  # 0.4 below STDO, 3.1 above Dk
        (36.1, 33.2, "failed"),  # only 2.9 above Dk: not "far above"
        (35.9, 32.0, "failed"),  # 0.6 below STDO: not "close"
    ],
)
def test_d0_thresholds_from_table1(tmp_path, d0, dk, status):
    rows = X4 + [{"method": "stdo-k4-d0", "psnr": d0}, {"method": "stdo-k4-dk", "psnr": dk}]
    t = _claim(claims.check_claims(_load(tmp_path, rows)), "d0_close_far_above_dk")
    assert len(t) == 1 and t.loc[0, "status"] == status
    assert t.loc[0, "margin_db"] == pytest.approx(d0 - dk)
    assert "STDO - D0 <= 0.5 dB and D0 - Dk >= 3 dB" in t.loc[0, "criterion"]


def test_d0_falls_back_to_a_k_that_has_single_chunk_models(tmp_path):
    rows = X4 + [{"method": "stdo-k2-d0", "psnr": 35.8}, {"method": "stdo-k2-dk", "psnr": 31.0}]
    t = _claim(claims.check_claims(_load(tmp_path, rows)), "d0_close_far_above_dk")
    assert t.loc[0, "status"] == "held" and t.loc[0, "margin_db"] == pytest.approx(4.8)
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


def test_best_k_near_4(tmp_path):
    metrics = _load(tmp_path, X4)
    held = _claim(claims.check_claims(metrics, chunks=_chunks({1: 30.0, 4: 31.0, 8: 30.5})), "best_k_near_4")
    assert list(held["backbone"]) == ["ESPCN", "WDSR"] and set(held["status"]) == {"held"}
    assert list(held["margin_db"]) == [0.0, 0.0]
    failed = _claim(
        claims.check_claims(metrics, chunks=_chunks({1: 30.0, 3: 30.2, 8: 31.0})), "best_k_near_4"
    )
    assert set(failed["status"]) == {"failed"}
    assert failed.loc[0, "margin_db"] == pytest.approx(-0.8)  # k=3 is the nearest to 4 tried
    assert failed.loc[0, "details"].startswith("best k=8;")
    tie = _claim(claims.check_claims(metrics, chunks=_chunks({3: 30.2, 5: 30.6, 8: 31.0})), "best_k_near_4")
    assert tie.loc[0, "margin_db"] == pytest.approx(-0.8)  # 3 and 5 equally near 4: the smaller k


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
    assert up.loc[0, "status"] == "held" and up.loc[0, "margin_db"] == pytest.approx(0.5)
    assert up.loc[0, "details"].startswith("p0 (0.5 0.5 0.5 0.5) 35.00; p1")
    dip = _claim(
        claims.check_claims(metrics, schedules=_schedules([35.0, 35.6, 35.5])), "more_d0_higher_psnr"
    )
    assert dip.loc[0, "status"] == "failed" and dip.loc[0, "margin_db"] == pytest.approx(0.5)
    assert dip.loc[0, "details"].endswith("largest drop 0.10")


@pytest.mark.parametrize(("long_psnr", "status"), [(39.92, "held"), (39.8, "failed"), (41.9, "failed")])
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
    assert t.loc[0, "margin_db"] == pytest.approx(round(long_psnr - (43.99 + 37.76) / 2, 2))
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
    assert list(t.columns).index("margin_authors_db") == list(t.columns).index("margin_db") + 1
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
    assert row["status"] == "held" and row["margin_db"] == 1.5
    md = out_md.read_text()
    assert md.startswith("# The paper's claims checked against our metrics")
    assert "- `stdo_beats_baselines` (Table 2): held in 1 of 2 cells" in md
    assert "- `more_d0_higher_psnr` (Figure 7b): held in 1 of 1 cells" in md
    assert "- `best_k_near_4` (Figure 7a): not run (no chunk ablation: configure ablations.chunks)" in md
    assert "PSNR in dB: RGB" in md and "- git revision:" in md
    side = json.loads((tmp_path / "out" / "claims.csv.prov.json").read_text())
    assert side["stage"] == "claims" and side["params"]["thresholds_db"]["jstdo_max_drop"] == 0.5
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
