"""``stdo.report.figures.patch_psnr``: Figures 1, 3 and 6 plot the maps they are given on one colour
scale, and the CSV beside each figure holds exactly what was plotted."""

import json

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from support.figures import write_score_files

from stdo.core import io, metrics
from stdo.core.errors import StdoError
from stdo.report.figures import common, patch_psnr
from stdo.report.figures.common import plt

ROWS, COLS, FRAMES = 2, 3, 9


@pytest.fixture
def hr(demo_frames):
    return np.ascontiguousarray(demo_frames[:FRAMES, :32, :48])


def test_one_colour_scale_for_every_panel_and_the_csv_holds_the_plotted_values(hr):
    rng = np.random.default_rng(0)
    a, b = rng.uniform(20, 30, (ROWS, COLS)), rng.uniform(25, 40, (ROWS, COLS))
    b[0, 0] = np.inf  # a perfect patch: written "inf", does not stretch the scale
    fig, data = patch_psnr.heatmap_figure([(hr[0], "frame 0", {"A": a, "B": b})], "t")
    try:
        images = [ax.images[0] for ax in fig.axes[1:3]]
        finite = np.concatenate([a.ravel(), b[np.isfinite(b)]])
        for im in images:
            assert im.get_clim() == (finite.min(), finite.max())
        np.testing.assert_array_equal(images[0].get_array(), a)
        assert (
            fig.axes[1].get_title()
            == f"A\nframe PSNR {metrics.pooled_psnr(metrics.psnr_to_mse(a).ravel()):.2f} dB"
        )
        colourbar = fig.axes[-1]
        assert colourbar.get_ylabel() == "patch PSNR (dB)"
        assert "inf" in [t.get_text() for t in fig.axes[2].texts]  # small grids: values in the cells
    finally:
        plt.close(fig)
    assert len(data) == 2 * ROWS * COLS
    got = data[data["panel"] == "A"].sort_values(["row", "col"])["psnr_db"].to_numpy()
    np.testing.assert_array_equal(got, a.ravel())


def test_frames_at_positions_and_bad_positions():
    assert common.frames_at([0.25, 0.75], 9) == [2, 6]
    assert common.frames_at([0, 1], 60) == [0, 59]
    with pytest.raises(StdoError, match="fractions of the video's length"):
        common.frames_at([1.5], 9)


def _outs(tmp_path, n):
    return {k: tmp_path / f"figure{n}.{k}" for k in ("png", "pdf", "csv")}


def _out_args(outs):
    return ["--out-png", str(outs["png"]), "--out-pdf", str(outs["pdf"]), "--out-data", str(outs["csv"])]


def test_figure1_plots_f0_scores_of_two_frames_beside_them(tmp_path, hr):
    paths, table = write_score_files(tmp_path, hr, COLS, ROWS, scale=4, psnr_range=(18, 35))
    outs = _outs(tmp_path, 1)
    patch_psnr.main(
        ["--figure", "1", "--hr", str(paths["hr"]), "--scores", str(paths["scores"]),
         "--grid", str(paths["grid"]), "--positions", "0.25,0.75", "--video", "demo", "--scale", "4",
         "--backbone", "wdsr", *_out_args(outs)]
    )  # fmt: skip
    data = pd.read_csv(outs["csv"])
    assert sorted(data["frame"].unique()) == [2, 6]
    merged = data.merge(table, on=["frame", "row", "col"])
    assert len(merged) == 2 * ROWS * COLS
    np.testing.assert_allclose(merged["psnr_db"], merged["psnr"])  # scores.csv laid out on the grid
    image = mpimg.imread(outs["png"])
    assert image.shape[0] > 200 and image[..., :3].std() > 0.05
    assert outs["pdf"].read_bytes()[:5] == b"%PDF-"
    side = json.loads(outs["png"].with_name("figure1.png" + io.SIDECAR_SUFFIX).read_text())
    assert side["params"]["frames"] == [2, 6]


def _metrics_files(tmp_path, rows):
    paths = []
    for r in rows:
        d = tmp_path / "eval" / r["method"]
        d.mkdir(parents=True, exist_ok=True)
        m = {"video": "demo", "scale": 4, "backbone": "wdsr", "psnr_trainer": r["psnr"] + 0.2, "models": 1,
             "parameters": 10} | r  # fmt: skip
        io.write_json(d / "metrics.json", m)
        paths.append(d / "metrics.json")
    return paths


def test_figure3_shows_cafm_the_best_stdo_k_and_jstdo(tmp_path, hr):
    rows = [
        {"method": "awdnn", "psnr": 30.0},
        {"method": "cafm-n2", "psnr": 30.5},
        {"method": "stdo-k2", "psnr": 31.0},
        {"method": "stdo-k4", "psnr": 31.4},  # the best k
        {"method": "jstdo-k4", "psnr": 31.2},
    ]
    metric_paths = _metrics_files(tmp_path, rows)
    rng = np.random.default_rng(2)
    maps = {}
    for r in rows:
        maps[r["method"]] = rng.uniform(20, 40, (FRAMES, ROWS, COLS))
        io.save_array(tmp_path / "eval" / r["method"] / "psnr_map.npy", maps[r["method"]])
    io.save_array(tmp_path / "hr.npy", hr)
    outs = _outs(tmp_path, 3)
    patch_psnr.main(
        ["--figure", "3", "--hr", str(tmp_path / "hr.npy"),
         "--maps", *[str(tmp_path / "eval" / r["method"] / "psnr_map.npy") for r in rows],
         "--metrics", *map(str, metric_paths), "--stdo-k", "2,4", "--positions", "0.5",
         "--video", "demo", "--scale", "4", "--backbone", "wdsr", *_out_args(outs)]
    )  # fmt: skip
    data = pd.read_csv(outs["csv"])
    assert list(data["panel"].unique()) == ["CaFM", "STDO (k=4)", "JSTDO (k=4)"]
    assert set(data["frame"]) == {4}
    for panel, method in [("CaFM", "cafm-n2"), ("STDO (k=4)", "stdo-k4"), ("JSTDO (k=4)", "jstdo-k4")]:
        got = data[data["panel"] == panel].sort_values(["row", "col"])["psnr_db"].to_numpy()
        np.testing.assert_allclose(got, maps[method][4].ravel())


def test_figure6_labels_each_jstdo_schedule_with_its_proportions(tmp_path, hr, capsys):
    props = [[0.5, 0.5, 0.5], [1.0, 0.5, 0.0]]
    io.save_array(tmp_path / "hr.npy", hr)
    paths = []
    for i in (1, 0):
        d = tmp_path / "eval" / f"jstdo-k3-p{i}"
        d.mkdir(parents=True)
        io.save_array(d / "psnr_map.npy", np.full((FRAMES, ROWS, COLS), 25.0 + i))
        paths.append(d / "psnr_map.npy")
    outs = _outs(tmp_path, 6)
    patch_psnr.main(
        ["--figure", "6", "--hr", str(tmp_path / "hr.npy"), "--maps", *map(str, paths),
         "--proportions", json.dumps(props), "--positions", "0", "--video", "demo", "--scale", "4",
         "--backbone", "wdsr", *_out_args(outs)]
    )  # fmt: skip
    data = pd.read_csv(outs["csv"])
    assert list(data["panel"].unique()) == ["JSTDO ρ = (0.5 0.5 0.5)", "JSTDO ρ = (1 0.5 0)"]
    assert list(data.groupby("panel", sort=False)["psnr_db"].first()) == [25.0, 26.0]
    bad = tmp_path / "eval" / "jstdo-k3" / "psnr_map.npy"
    bad.parent.mkdir()
    io.save_array(bad, np.zeros((FRAMES, ROWS, COLS)))
    bad_outs = _outs(tmp_path / "x", 6)
    with pytest.raises(SystemExit) as e:
        patch_psnr.main(
            ["--figure", "6", "--hr", str(tmp_path / "hr.npy"), "--maps", str(bad), "--proportions",
             json.dumps(props), "--positions", "0", "--video", "demo", "--scale", "4", "--backbone", "wdsr",
             *_out_args(bad_outs)]
        )  # fmt: skip
    assert e.value.code != 0
    assert "jstdo-k3 is not one of the schedules' JSTDO models" in capsys.readouterr().err
    assert not any(p.exists() for p in bad_outs.values())
