"""Table assembly: best k, the paper's cell beside ours, the differences, bicubic and f0."""

import json

import pandas as pd
import pytest

from stdo.core.errors import StdoError
from stdo.report import paper
from stdo.report.tables import (
    TABLES,
    bicubic_note,
    load_metrics,
    load_references,
    table1,
    table2,
    table3,
    table4,
    write_table,
)


def _metrics(tmp_path, rows, **kwargs):
    paths = []
    for i, r in enumerate(rows):
        p = tmp_path / f"m{i}.json"
        p.write_text(pd.Series(r).to_json())
        paths.append(p)
    return load_metrics(paths, **kwargs)


BASE = {"video": "g15", "backbone": "wdsr", "scale": 4, "paper_video": "game", "paper_duration_s": 15,
        "models": 1, "parameters": 1_200_000, "macs_48": 2.76e9, "train_patches": 100}  # fmt: skip


@pytest.fixture
def metrics(tmp_path):
    rows = [
        BASE | {"method": "awdnn", "psnr": 34.0},
        BASE | {"method": "cafm-n3", "psnr": 35.0, "psnr_trainer": 35.4},
        BASE | {"method": "stdo-k2", "psnr": 36.0, "models": 2},
        BASE
        | {"method": "stdo-k4", "psnr": 36.5, "psnr_trainer": 37.0, "models": 4, "parameters": 4_800_000},
        BASE | {"method": "stdo-k4-d0", "psnr": 36.1},
        BASE | {"method": "stdo-k4-dk", "psnr": 31.0},
        BASE | {"method": "jstdo-k4", "psnr": 36.2, "train_patches": 60},
    ]
    return _metrics(tmp_path, rows)


def test_table2_marks_best_k_and_places_the_paper_cell(metrics):
    t = table2(metrics)
    stdo = t[t.method == "STDO"].set_index("k")
    assert stdo.loc[4, "is_best_k"] and not stdo.loc[2, "is_best_k"]
    assert stdo.loc[4, "paper_psnr_db"] == paper.lookup(
        2, backbone="WDSR", method="STDO", video="game", duration_s=15, scale=4
    )
    # the difference from the paper is taken in the STDO trainer's protocol, not ours
    assert stdo.loc[4, "psnr_trainer_db"] == 37.0 and stdo.loc[4, "paper_protocol"] == "psnr_trainer"
    assert stdo.loc[4, "diff_db"] == pytest.approx(37.0 - 38.62)
    assert pd.isna(stdo.loc[2, "paper_psnr_db"])  # only the best k is compared
    assert t[t.method == "awDNN"]["paper_psnr_db"].item() == 34.62


def test_table1_uses_the_best_k(metrics):
    t = table1(metrics)
    assert t["method"].tolist() == ["awDNN", "STDO", "STDO_D0_only", "STDO_Dk_only"]
    assert (t.loc[t.method != "awDNN", "k"] == 4).all()


def test_table3_counts_macs_and_matches_cells(metrics):
    t = table3(metrics)
    row = t.iloc[0]
    assert row.gmacs_48x48 == 2.76 and row.paper_gflops == 2.76
    # both in the protocol of the paper's Table 3 (the STDO trainer's), not ours (35.0, 36.5)
    assert row.cafm_psnr_trainer_db == 35.4 and row.stdo_psnr_trainer_db == 37.0
    assert pd.isna(row.paper_psnr_stdo_db)  # the paper's Table 3 is game-45s, not game-15s


def test_table4_reports_the_drop(metrics):
    t = table4(metrics).set_index("method")
    assert t.loc["JSTDO", "drop_db"] == pytest.approx(0.3)
    assert t.loc["STDO", "models"] == 4 and t.loc["JSTDO", "params_m"] == 1.2
    assert t.loc["STDO", "paper_psnr_db"] == 38.62 and t.loc["JSTDO", "paper_psnr_db"] == 38.14


@pytest.fixture
def references(tmp_path):
    p = tmp_path / "score_summary.json"
    summary = {"video": "g15", "scale": 4, "paper_video": "game", "paper_duration_s": 15,
               "bicubic_psnr": 35.5, "bicubic_psnr_trainer": 36.0, "f0_psnr": 35.8, "f0_psnr_trainer": 36.3,
               "f0_backbone": "wdsr", "f0_parameters": 12345}  # fmt: skip
    p.write_text(json.dumps(summary))
    return load_references([p])


def test_table2_has_bicubic_and_f0_rows_and_flags_models_below_bicubic(metrics, references):
    t = table2(metrics, references)
    assert t["method"].tolist()[:2] == ["bicubic", "f0"]
    bic, f0 = t.iloc[0], t.iloc[1]
    assert bic.psnr_db == 35.5 and bic.psnr_trainer_db == 36.0 and pd.isna(bic.below_bicubic)
    assert f0.backbone == "WDSR" and f0.parameters == 12345 and f0.vs_bicubic_db == pytest.approx(0.3)
    rows = t.set_index(["method", "k"], drop=False)
    assert rows.loc[("awDNN", pd.NA), "below_bicubic"].item() is True  # 34.0 < 35.5
    assert rows.loc[("awDNN", pd.NA), "vs_bicubic_db"].item() == pytest.approx(-1.5)
    assert not rows.loc[("STDO", 4), "below_bicubic"].item()
    note = bicubic_note(t)
    assert note.startswith("**Below bicubic") and "awDNN" in note and "CaFM" in note and "STDO" not in note


def test_the_line_under_the_table_names_every_model_below_bicubic(tmp_path, metrics, references):
    t4 = table4(metrics, references)
    assert not t4["below_bicubic"].any()
    assert bicubic_note(t4).startswith("Every model in this table is above bicubic")
    t2 = table2(metrics, references)
    write_table(t2, tmp_path / "t.csv", tmp_path / "t.md", "Table 2", [])
    md = (tmp_path / "t.md").read_text()
    assert "Below bicubic upscaling: 2 model(s)" in md  # awDNN 34.0 and CaFM 35.0 < 35.5
    assert "g15 x4 WDSR awDNN (-1.50 dB)" in md and "g15 x4 WDSR CaFM (-0.50 dB)" in md
    back = pd.read_csv(tmp_path / "t.csv")
    assert back.loc[back.method == "awDNN", "below_bicubic"].item()


def test_references_need_labels(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"bicubic_psnr": 30.0}))
    with pytest.raises(ValueError, match="without video/scale labels"):
        load_references([p])


def test_stdo_at_jstdos_k_is_in_table4_but_not_in_table2s_best_of_k(tmp_path):
    """stdo.k [2] and jstdo.k 4: STDO k=4 is evaluated for Table 4 only. It must not enter
    Table 2 nor win its best of k (found by reading, issue 10)."""
    rows = [
        BASE | {"method": "stdo-k2", "psnr": 36.0, "models": 2},
        BASE | {"method": "stdo-k4", "psnr": 36.5, "models": 4},
        BASE | {"method": "jstdo-k4", "psnr": 36.2},
    ]
    m = _metrics(tmp_path, rows, stdo_k=[2])
    t2 = table2(m)
    assert t2.loc[t2.method == "STDO", "k"].tolist() == [2] and t2["is_best_k"].any()
    t4 = table4(m).set_index("method")
    assert t4.loc["STDO", "chunks"] == 4 and t4.loc["JSTDO", "drop_db"] == pytest.approx(0.3)


def test_column_types_and_names_are_stable(metrics):
    """best_k stays an int (best_stdo) and is_best_k a bool (Table 2); one backbone column,
    the display name (found by reading, issue 10)."""
    from stdo.report.tables import best_stdo

    assert "Backbone" not in metrics.columns and set(metrics["backbone"]) == {"WDSR"}
    assert metrics["backbone_id"].unique().tolist() == ["wdsr"]
    assert best_stdo(metrics)["best_k"].tolist() == [4]
    t = table2(metrics)
    assert t["is_best_k"].dtype == bool and "best_k" not in t.columns


def test_table1_title_names_the_configured_backbones(metrics, tmp_path):
    runs = [("awdnn", 30.0), ("stdo-k2", 31.0), ("stdo-k2-d0", 30.5), ("stdo-k2-dk", 28.0)]
    espcn = [BASE | {"backbone": "espcn", "method": m, "psnr": p} for m, p in runs]
    t = table1(_metrics(tmp_path, espcn))
    write_table(t, tmp_path / "t1.csv", tmp_path / "t1.md", TABLES[1][1], [])
    assert (tmp_path / "t1.md").read_text().startswith("# Table 1: ESPCN awDNN, STDO")


def test_an_unknown_method_stops_with_the_known_ones(tmp_path):
    with pytest.raises(StdoError, match="unknown method 'stdo-k4-d1'; known forms: awdnn"):
        _metrics(tmp_path, [BASE | {"method": "stdo-k4-d1", "psnr": 30.0}])


def _seeded(tmp_path, psnrs):
    """Metrics of one cell, one row per (method, seed) from ``{method: [psnr of seed 0, 1, ...]}``."""
    rows = [
        BASE
        | {"method": m, "seed": s, "psnr": v, "psnr_trainer": v + 0.5}
        | ({"models": int(m[-1])} if m.startswith("stdo") else {})
        for m, values in psnrs.items()
        for s, v in enumerate(values)
    ]
    return _metrics(tmp_path, rows)


def test_seeds_give_the_mean_sd_and_count_and_the_best_k_by_the_mean(tmp_path):
    """Three seeds: Table 2's PSNR is the mean over seeds, psnr_std_db their sd (ddof 1) and
    n_seeds 3; STDO's best k is the k of the highest mean, though k=2 wins on seed 0."""
    m = _seeded(
        tmp_path,
        {"awdnn": [30.0, 30.2, 30.4], "stdo-k2": [31.0, 30.0, 30.2], "stdo-k4": [30.8, 30.9, 31.0],
         "jstdo-k4": [30.5, 30.5, 30.8]},
    )  # fmt: skip
    assert len(m) == 12 and sorted(m["seed"].unique()) == [0, 1, 2]
    t = table2(m).set_index(["method", "k"])
    aw = t.loc[("awDNN", pd.NA)]
    assert aw["psnr_db"].item() == pytest.approx(30.2) and aw["n_seeds"].item() == 3
    assert aw["psnr_std_db"].item() == pytest.approx(0.2)
    assert t.loc[("STDO", 4), "is_best_k"] and not t.loc[("STDO", 2), "is_best_k"]
    assert t.loc[("STDO", 2), "psnr_db"] == pytest.approx(30.4)
    assert t.loc[("STDO", 4), "psnr_trainer_db"] == pytest.approx(31.4)
    t4 = table4(m).set_index("method")
    assert t4.loc["JSTDO", "drop_db"] == pytest.approx(30.9 - 30.6)  # of the means
    assert t4.loc["JSTDO", "n_seeds"] == 3 and t4.loc["STDO", "psnr_std_db"] == pytest.approx(0.1)
    (tmp_path / "one").mkdir()
    one = table2(_seeded(tmp_path / "one", {"awdnn": [30.0]}))
    assert one["n_seeds"].tolist() == [1] and one["psnr_std_db"].isna().all()  # no sd from one seed


def test_the_same_seed_twice_is_an_error(tmp_path):
    rows = [
        BASE | {"method": "awdnn", "seed": 1, "psnr": 30.0},
        BASE | {"method": "awdnn", "seed": 1, "psnr": 31.0},
    ]
    with pytest.raises(ValueError, match="two metrics files for g15 x4 wdsr awdnn seed 1"):
        _metrics(tmp_path, rows)


def test_the_regime_stands_beside_each_trained_method(tmp_path, metrics):
    """The regime table's rows join on video, scale, backbone id and method id; a method it has
    no row for keeps empty cells; a regime table without its columns is refused."""
    regime = pd.DataFrame(
        [
            {"video": "g15", "scale": 4, "backbone": "wdsr", "method": "awdnn", "steps_per_model": 300,
             "paper_steps_per_model": 70313, "lr_pixels_per_param": 0.8, "paper_lr_pixels_per_param": 48.47},
            {"video": "g15", "scale": 4, "backbone": "wdsr", "method": "stdo-k4", "steps_per_model": 75,
             "paper_steps_per_model": 17579, "lr_pixels_per_param": 0.2, "paper_lr_pixels_per_param": 12.12},
            {"video": "other", "scale": 4, "backbone": "wdsr", "method": "awdnn", "steps_per_model": 1,
             "paper_steps_per_model": 1, "lr_pixels_per_param": 1, "paper_lr_pixels_per_param": 1},
        ]
    )  # fmt: skip
    t = table2(metrics, regime=regime).set_index(["method", "k"])
    assert t.loc[("awDNN", pd.NA), "steps_per_model"].item() == 300
    assert t.loc[("awDNN", pd.NA), "paper_steps_per_model"].item() == 70313
    assert t.loc[("STDO", 4), "lr_pixels_per_param"] == 0.2 and pd.isna(t.loc[("STDO", 2), "steps_per_model"])
    t4 = table4(metrics, regime=regime).set_index("method")
    assert t4.loc["STDO", "paper_lr_pixels_per_param"] == 12.12 and pd.isna(
        t4.loc["JSTDO", "steps_per_model"]
    )
    with pytest.raises(ValueError, match="regime table lacks columns"):
        table2(metrics, regime=regime.drop(columns=["paper_steps_per_model"]))


def test_best_k_is_chosen_in_the_protocol_of_each_comparison(tmp_path):
    """Ours picks k=2 (36.0 > 35.9), the trainer's protocol k=4 (37.2 > 36.8): Table 2 marks ours as
    is_best_k and puts the paper's cell beside the trainer's best; Tables 1 and 3 use the latter."""
    rows = [
        BASE | {"method": "awdnn", "psnr": 34.0, "psnr_trainer": 34.5},
        BASE | {"method": "stdo-k2", "psnr": 36.0, "psnr_trainer": 36.8, "models": 2},
        BASE | {"method": "stdo-k4", "psnr": 35.9, "psnr_trainer": 37.2, "models": 4},
        BASE | {"method": "stdo-k4-d0", "psnr": 35.0, "psnr_trainer": 36.0},
        BASE | {"method": "stdo-k4-dk", "psnr": 31.0, "psnr_trainer": 32.0},
    ]
    m = _metrics(tmp_path, rows)
    stdo = table2(m).query("method == 'STDO'").set_index("k")
    assert stdo.loc[2, "is_best_k"] and not stdo.loc[4, "is_best_k"]
    assert stdo.loc[4, "is_paper_best_k"] and not stdo.loc[2, "is_paper_best_k"]
    assert pd.isna(stdo.loc[2, "paper_psnr_db"]) and stdo.loc[4, "paper_psnr_db"] == 38.62
    assert stdo.loc[4, "diff_db"] == pytest.approx(37.2 - 38.62)
    t1 = table1(m)
    assert (t1.loc[t1.method != "awDNN", "k"] == 4).all()
    assert table3(m).iloc[0].stdo_k == 4


def test_cells_reported_from_cafm_are_compared_in_cafms_protocol(tmp_path):
    """EDSR awDNN on game-15s x4 (33.44) is CaFM's M0 (its README): compared with our psnr_cafm;
    EDSR STDO there is the STDO authors' own run: compared with psnr_trainer."""
    edsr = BASE | {"backbone": "edsr"}
    rows = [
        edsr | {"method": "awdnn", "psnr": 33.0, "psnr_trainer": 33.2, "psnr_cafm": 33.6},
        edsr | {"method": "nas-n3", "psnr": 33.0, "psnr_trainer": 33.2},  # no held-out frames: no psnr_cafm
        edsr | {"method": "stdo-k2", "psnr": 34.0, "psnr_trainer": 34.3, "psnr_cafm": 40.0, "models": 2},
    ]
    t = table2(_metrics(tmp_path, rows)).set_index("method")
    assert t.loc["awDNN", "paper_source"] == "cafm" and t.loc["awDNN", "paper_protocol"] == "psnr_cafm"
    assert t.loc["awDNN", "diff_db"] == pytest.approx(33.6 - 33.44)
    assert t.loc["NAS", "paper_psnr_db"] == 34.00 and pd.isna(t.loc["NAS", "diff_db"])
    assert t.loc["STDO", "paper_source"] == "stdo" and t.loc["STDO", "diff_db"] == pytest.approx(34.3 - 35.47)


def test_paper_sources_follow_cafms_readme():
    """CaFM's README (EDSR; M0, S{1-n}, M{1-n}) equals the paper's EDSR awDNN and NAS on game and vlog
    15 s and 45 s, and its CaFM on 15 s (vlog x4: 43.12 against 43.11); CaFM's 45 s cells differ."""
    t2 = paper.table(2)
    cafm = t2[t2.source == "cafm"]
    assert len(cafm) == 30 and set(cafm.backbone) == {"EDSR"} and set(cafm.video) == {"game", "vlog"}
    assert set(cafm[cafm.method == "CaFM"].duration_s) == {15}
    assert set(t2.source) == {"stdo", "cafm"}
    assert all(set(paper.table(n).source) == {"stdo"} for n in (1, 3, 4))
