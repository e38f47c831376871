"""The Section 4.5 ablations from evaluation metrics: Figure 7a/7b tables and plots, long video."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from stdo.core.errors import StdoError
from stdo.report import ablations


def _metrics(tmp_path, rows):
    paths = []
    for i, r in enumerate(rows):
        p = tmp_path / f"m{i}.json"
        p.write_text(json.dumps({"scale": 4, "backbone": "wdsr", "video": "game_15s"} | r))
        paths.append(p)
    return paths


def _run(kind, paths, tmp_path, *extra):
    out = tmp_path / kind
    args = ["--kind", kind, "--metrics", *map(str, paths), "--out-csv", f"{out}.csv", "--out-md", f"{out}.md"]
    ablations.main(args + list(extra))
    return pd.read_csv(f"{out}.csv")


def test_chunks_figure_orders_by_backbone_and_k(tmp_path):
    rows = [{"backbone": b, "method": f"stdo-k{k}", "psnr": 30 + k / 10 + (b == "wdsr")}
            for b in ("wdsr", "espcn") for k in (3, 1, 2)]  # fmt: skip
    df = _run("chunks", _metrics(tmp_path, rows), tmp_path, "--out-png", str(tmp_path / "c.png"),
              "--out-pdf", str(tmp_path / "c.pdf"))  # fmt: skip
    assert list(df["backbone"]) == ["ESPCN"] * 3 + ["WDSR"] * 3 and list(df["k"]) == [1, 2, 3] * 2
    assert df["psnr_db"].iloc[5] == pytest.approx(31.3)
    img = np.asarray(Image.open(tmp_path / "c.png"))
    assert img.shape[0] > 100 and img.std() > 0  # a drawn figure, not a blank canvas
    assert (tmp_path / "c.png.prov.json").exists()
    assert (tmp_path / "c.pdf").read_bytes()[:5] == b"%PDF-" and (tmp_path / "c.pdf.prov.json").exists()
    fig = ablations.plot_chunks(df)  # one line per backbone, the table's values
    try:
        lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
        assert list(lines["WDSR"].get_ydata()) == list(df[df["backbone"] == "WDSR"]["psnr_db"])
        assert fig.axes[0].get_ylabel() == "PSNR (dB)" and fig.axes[0].get_title().startswith("Figure 7a.")
    finally:
        plt.close(fig)


def test_schedules_figure_labels_each_schedule_with_its_proportions(tmp_path):
    props = [[0.5, 0.5, 0.5, 0.5], [1.0, 0.7, 0.3, 0.0]]
    rows = [
        {"method": "jstdo-k4-p1", "psnr": 35.5},
        {"method": "jstdo-k4-p0", "psnr": 35.0},
        {"method": "jstdo-k4", "psnr": 99.0},
    ]  # fmt: skip  (the main JSTDO is not a schedule)
    df = _run("schedules", _metrics(tmp_path, rows), tmp_path, "--proportions", json.dumps(props),
              "--out-png", str(tmp_path / "s.png"))  # fmt: skip
    assert list(df["schedule"]) == [0, 1] and list(df["psnr_db"]) == [35.0, 35.5]
    assert list(df["proportions"]) == ["0.5 0.5 0.5 0.5", "1 0.7 0.3 0"]
    with pytest.raises(StdoError, match="no JSTDO schedule metrics"):
        ablations.schedules_table(pd.DataFrame({"method": ["awdnn"], "paper_method": ["awDNN"]}), props)


def test_long_video_uses_best_k_and_paper_values_only_where_they_apply(tmp_path):
    rows = [
        {"video": "long", "method": "stdo-k2", "psnr": 39.0},
        {"video": "long", "method": "stdo-k4", "psnr": 39.5},
        {"video": "game", "method": "stdo-k2", "psnr": 44.0},
        {"video": "game", "method": "stdo-k4", "psnr": 43.0},
        {"video": "vlog", "method": "stdo-k4", "psnr": 38.0},
    ]
    df = _run("long_video", _metrics(tmp_path, rows), tmp_path, "--long", "long", "--parts", "game,vlog")
    assert list(df["video"]) == ["game", "vlog", "mean of parts", "long"]
    assert list(df["psnr_db"]) == [44.0, 38.0, 41.0, 39.5]  # best k per video
    assert list(df["k"].fillna(0).astype(int)) == [2, 4, 0, 4]
    assert list(df["paper_psnr_db"]) == [43.99, 37.76, pytest.approx(40.875), 39.92]  # WDSR x4
    # at another scale the paper's numbers do not apply
    rows_x2 = [r | {"scale": 2} for r in rows]
    df2 = _run("long_video", _metrics(tmp_path, rows_x2), tmp_path, "--long", "long", "--parts", "game,vlog")
    assert df2["paper_psnr_db"].isna().all()
    with pytest.raises(SystemExit):
        _run("long_video", _metrics(tmp_path, rows[:2]), tmp_path, "--long", "long", "--parts", "game")


def test_tables_carry_one_row_per_seed(tmp_path):
    rows = [{"method": f"stdo-k{k}", "seed": s, "psnr": 30 + k + s / 10} for k in (1, 2) for s in (1, 0)]
    df = _run("chunks", _metrics(tmp_path, rows), tmp_path)
    assert list(df["k"]) == [1, 1, 2, 2] and list(df["seed"]) == [0, 1, 0, 1]
    assert list(df["psnr_db"]) == [31.0, 31.1, 32.0, 32.1]
    one_dir = tmp_path / "one"
    one_dir.mkdir()
    one = _run("chunks", _metrics(one_dir, [{"method": "stdo-k2", "psnr": 30.0}]), one_dir)
    assert list(one["seed"]) == [0]  # metrics without a seed: seed 0
    props = [[0.5, 0.5], [1.0, 0.0]]
    rows = [{"method": f"jstdo-k2-p{i}", "seed": s, "psnr": 35 + i + s} for i in (1, 0) for s in (0, 1)]
    sched = _run("schedules", _metrics(tmp_path, rows), tmp_path, "--proportions", json.dumps(props))
    assert list(sched["schedule"]) == [0, 0, 1, 1] and list(sched["seed"]) == [0, 1, 0, 1]
    with pytest.raises(SystemExit):  # a schedule the proportions do not list: a clear error
        _run("schedules", _metrics(tmp_path, rows), tmp_path, "--proportions", json.dumps(props[:1]))


def test_long_video_table_per_seed_and_mean_of_parts_only_where_every_part_has_the_seed(tmp_path):
    rows = [
        {"video": "long", "method": "stdo-k2", "seed": 0, "psnr": 39.0},
        {"video": "long", "method": "stdo-k2", "seed": 1, "psnr": 39.4},
        {"video": "game", "method": "stdo-k2", "seed": 0, "psnr": 44.0},
        {"video": "game", "method": "stdo-k2", "seed": 1, "psnr": 44.2},
        {"video": "vlog", "method": "stdo-k2", "seed": 0, "psnr": 38.0},
    ]
    df = _run("long_video", _metrics(tmp_path, rows), tmp_path, "--long", "long", "--parts", "game,vlog")
    assert list(zip(df["seed"], df["video"], strict=True)) == [
        (0, "game"), (0, "vlog"), (0, "mean of parts"), (0, "long"), (1, "game"), (1, "long"),
    ]  # fmt: skip
    assert df.loc[2, "psnr_db"] == pytest.approx(41.0)


def test_figures_show_the_spread_over_seeds(tmp_path):
    chunks = pd.DataFrame(
        [
            {"video": "v", "scale": 4, "backbone": "WDSR", "k": k, "seed": s, "psnr_db": 30 + k + d}
            for k in (1, 2, 4)
            for s, d in enumerate((-0.2, 0.0, 0.2))
        ]  # fmt: skip
    )
    fig = ablations.plot_chunks(chunks)
    try:
        ax = fig.axes[0]
        (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "WDSR"]
        assert list(line.get_ydata()) == pytest.approx([31.0, 32.0, 34.0])  # the means over seeds
        (bars,) = [c for c in ax.collections if c.get_segments()]
        half = [abs(seg[1][1] - seg[0][1]) / 2 for seg in bars.get_segments()]
        assert half == pytest.approx([0.2, 0.2, 0.2])  # +-1 sd (ddof 1) of -0.2, 0, +0.2
        assert ax.get_ylabel() == "PSNR (dB), mean ± 1 sd over 3 seeds"
    finally:
        plt.close(fig)
    schedules = pd.DataFrame(
        [
            {
                "video": "v",
                "scale": 4,
                "backbone": "WDSR",
                "schedule": i,
                "proportions": f"p{i}",
                "seed": s,
                "psnr_db": 35 + i + d,
            }
            for i in (0, 1)
            for s, d in enumerate((-0.1, 0.1))
        ]  # fmt: skip
    )
    fig = ablations.plot_schedules(schedules)
    try:
        ax = fig.axes[0]
        assert list(ax.get_lines()[0].get_ydata()) == pytest.approx([35.0, 36.0])
        (bars,) = [c for c in ax.collections if c.get_segments()]
        assert [abs(s[1][1] - s[0][1]) / 2 for s in bars.get_segments()] == pytest.approx([2**0.5 * 0.1] * 2)
        assert "2 seeds" in ax.get_ylabel()
    finally:
        plt.close(fig)
    fig = ablations.plot_chunks(chunks[chunks["seed"] == 0])  # one seed: no error bars
    try:
        assert not [c for c in fig.axes[0].collections if c.get_segments()]
        assert fig.axes[0].get_ylabel() == "PSNR (dB)"
    finally:
        plt.close(fig)
