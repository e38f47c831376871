"""Table assembly: best k, the paper's cell beside ours, and the differences."""

import pandas as pd
import pytest

from stdo import paper
from stdo.tables import load_metrics, table1, table2, table3, table4


def _metrics(tmp_path, rows):
    paths = []
    for i, r in enumerate(rows):
        p = tmp_path / f"m{i}.json"
        p.write_text(pd.Series(r).to_json())
        paths.append(p)
    return load_metrics(paths)


BASE = {"video": "g15", "backbone": "wdsr", "scale": 4, "paper_video": "game", "paper_duration_s": 15,
        "models": 1, "parameters": 1_200_000, "macs_48": 2.76e9, "train_patches": 100}  # fmt: skip


@pytest.fixture
def metrics(tmp_path):
    rows = [
        BASE | {"method": "awdnn", "psnr": 34.0},
        BASE | {"method": "cafm-n3", "psnr": 35.0},
        BASE | {"method": "stdo-k2", "psnr": 36.0, "models": 2},
        BASE | {"method": "stdo-k4", "psnr": 36.5, "models": 4, "parameters": 4_800_000},
        BASE | {"method": "stdo-k4-d0", "psnr": 36.1},
        BASE | {"method": "stdo-k4-dk", "psnr": 31.0},
        BASE | {"method": "jstdo-k4", "psnr": 36.2, "train_patches": 60},
    ]
    return _metrics(tmp_path, rows)


def test_table2_marks_best_k_and_places_the_paper_cell(metrics):
    t = table2(metrics)
    stdo = t[t.method == "STDO"].set_index("k")
    assert stdo.loc[4, "best_k"] and not stdo.loc[2, "best_k"]
    assert stdo.loc[4, "paper_psnr_db"] == paper.lookup(
        2, backbone="WDSR", method="STDO", video="game", duration_s=15, scale=4
    )
    assert stdo.loc[4, "diff_db"] == pytest.approx(36.5 - 38.62)
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
    assert row.psnr_cafm_db == 35.0 and row.psnr_stdo_db == 36.5
    assert pd.isna(row.paper_psnr_stdo_db)  # the paper's Table 3 is game-45s, not game-15s


def test_table4_reports_the_drop(metrics):
    t = table4(metrics).set_index("method")
    assert t.loc["JSTDO", "drop_db"] == pytest.approx(0.3)
    assert t.loc["STDO", "models"] == 4 and t.loc["JSTDO", "params_m"] == 1.2
    assert t.loc["STDO", "paper_psnr_db"] == 38.62 and t.loc["JSTDO", "paper_psnr_db"] == 38.14
