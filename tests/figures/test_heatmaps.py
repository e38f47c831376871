"""``stdo.report.figures.heatmaps``: the overview heatmap figure plots the maps it is given, and
``main`` builds them from the stage files (scores.csv in grid layout, the methods'
psnr_map.npy) and writes the PNG."""

import json

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest
from support.figures import write_score_files

from stdo.core import io, metrics
from stdo.report.figures import heatmaps as figures

ROWS, COLS = 2, 3


@pytest.fixture
def inputs():
    rng = np.random.default_rng(0)
    frames = 7
    hr = rng.integers(0, 256, (frames, 16, 24, 3), dtype=np.uint8)
    score_map = rng.uniform(20, 30, (frames, ROWS, COLS))
    maps = {
        "awdnn": rng.uniform(25, 35, (frames, ROWS, COLS)),
        "stdo-k2": rng.uniform(30, 40, (frames, ROWS, COLS)),
    }
    return hr, score_map, maps


def axes_grid(fig: plt.Figure, rows: int, cols: int) -> np.ndarray:
    return np.array(fig.axes[: rows * cols]).reshape(rows, cols)


def test_heatmaps_plot_each_map_on_one_colour_scale_per_frame(inputs):
    hr, score_map, maps = inputs
    maps["stdo-k2"][4, 0, 0] = np.inf  # a perfect patch must not stretch the colour scale
    frames = [1, 4]
    fig = figures.heatmaps(hr, score_map, maps, frames, "demo x2")
    try:
        cols = 2 + len(maps)
        assert len(fig.axes) == len(frames) * cols + len(frames)  # one colour bar per frame row
        np.testing.assert_allclose(fig.get_size_inches(), [2.6 * cols, 1.9 * len(frames)])
        assert fig._suptitle.get_text() == "demo x2"
        grid = axes_grid(fig, len(frames), cols)
        for r, f in enumerate(frames):
            np.testing.assert_array_equal(grid[r, 0].images[0].get_array(), hr[f])
            assert grid[r, 0].get_title() == f"frame {f}"
            shown = [("f0 (generic)", score_map[f])] + [(k, v[f]) for k, v in maps.items()]
            values = np.concatenate([m.ravel() for _, m in shown])
            finite = values[np.isfinite(values)]
            for c, (name, m) in enumerate(shown, start=1):
                image = grid[r, c].images[0]
                np.testing.assert_array_equal(np.ma.getdata(image.get_array()), m)
                assert image.get_clim() == (finite.min(), finite.max())
                assert image.get_cmap().name == "viridis"
                pooled = metrics.mse_to_psnr(np.mean(255.0**2 / 10 ** (m / 10)))  # MSEs pooled
                assert grid[r, c].get_title() == f"{name}: {pooled:.1f} dB"
        assert axes_grid(fig, 2, cols)[1, 3].images[0].get_clim()[1] < np.inf
        colourbars = fig.axes[len(frames) * cols :]
        assert [ax.get_ylabel() for ax in colourbars] == ["PSNR (dB)"] * len(frames)
    finally:
        plt.close(fig)


def test_a_frame_without_finite_psnr_gets_a_default_scale(inputs):
    hr, score_map, _ = inputs
    score_map[2] = np.inf
    fig = figures.heatmaps(hr, score_map, {}, [2], "")
    try:
        assert len(fig.axes) == 2 + 1
        assert fig.axes[1].images[0].get_clim() == (0, 1)
    finally:
        plt.close(fig)


@pytest.fixture
def stage_files(tmp_path, inputs):
    """hr.npy, scores.csv, grid.json and two methods' psnr_map.npy, as the workflow writes them."""
    hr, _, maps = inputs
    paths, table = write_score_files(tmp_path, hr, COLS, ROWS, scale=2)
    for name, m in maps.items():
        paths[name] = tmp_path / f"{name}.npy"
        io.save_array(paths[name], m)
    return paths, table


def test_main_plots_the_stage_files_and_writes_the_png(tmp_path, monkeypatch, inputs, stage_files):
    hr, _, maps = inputs
    paths, table = stage_files
    seen = {}
    real = figures.heatmaps

    def spy(*args):
        seen["args"] = args
        return real(*args)

    monkeypatch.setattr(figures, "heatmaps", spy)
    out = tmp_path / "fig" / "heatmaps.png"
    figures.main(
        ["--hr", str(paths["hr"]), "--scores", str(paths["scores"]), "--grid", str(paths["grid"]),
         "--maps", str(paths["awdnn"]), str(paths["stdo-k2"]), "--names", "awdnn", "stdo-k2",
         "--frames", "3", "--title", "demo x2", "--out", str(out)]
    )  # fmt: skip

    got_hr, score_map, got_maps, frames, title = seen["args"]
    assert frames == [0, 3, 6]  # three frames, evenly spaced over 7
    assert title == "demo x2"
    np.testing.assert_array_equal(got_hr, hr)
    assert score_map.shape == (len(hr), ROWS, COLS)
    for row in table.sample(10, random_state=0).itertuples():
        assert score_map[row.frame, row.row, row.col] == row.psnr  # scores.csv laid out on the grid
    assert list(got_maps) == ["awdnn", "stdo-k2"]
    for name in maps:
        np.testing.assert_array_equal(got_maps[name], maps[name])

    image = mpimg.imread(out)
    cols = 2 + len(maps)
    assert image.shape == (round(1.9 * 3 * 110), round(2.6 * cols * 110), 4)  # rows, columns, RGBA
    assert image[..., :3].std() > 0.05  # not a blank canvas
    side = json.loads(out.with_name(out.name + io.SIDECAR_SUFFIX).read_text())
    assert side["stage"] == "figures"
    assert side["params"] == {"frames": [0, 3, 6], "names": ["awdnn", "stdo-k2"]}
    assert sorted(p.name for p in out.parent.iterdir()) == ["heatmaps.png", "heatmaps.png.prov.json"]


def test_main_without_method_maps_plots_f0_only(tmp_path, stage_files):
    paths, _ = stage_files
    out = tmp_path / "f0.png"
    figures.main(
        ["--hr", str(paths["hr"]), "--scores", str(paths["scores"]), "--grid", str(paths["grid"]),
         "--frames", "2", "--out", str(out)]
    )  # fmt: skip
    assert mpimg.imread(out).shape == (round(1.9 * 2 * 110), round(2.6 * 2 * 110), 4)


def test_main_with_names_not_matching_maps_is_a_clear_error(tmp_path, stage_files, capsys):
    paths, _ = stage_files
    out = tmp_path / "bad.png"
    with pytest.raises(SystemExit) as e:
        figures.main(
            ["--hr", str(paths["hr"]), "--scores", str(paths["scores"]), "--grid", str(paths["grid"]),
             "--maps", str(paths["awdnn"]), str(paths["stdo-k2"]), "--names", "awdnn", "--out", str(out)]
        )  # fmt: skip
    assert e.value.code == 2
    assert "stdo figures: error: 2 --maps for 1 --names" in capsys.readouterr().err
    assert not out.exists()
