"""Figure 5's table and figure from real bench JSON files and metrics.json files."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection

from stdo.core.errors import StdoError
from stdo.device import report
from stdo.report.tables import load_metrics

HOST = "host CPU x86_64 (2 threads, LiteRT 2.3.0)"
BASE = {"video": "g15", "scale": 4, "paper_video": "game", "paper_duration_s": 15, "models": 1,
        "parameters": 1000, "macs_48": 1e9, "train_patches": 100}  # fmt: skip
METRICS = [
    ("wdsr", "awdnn", 34.004),
    ("wdsr", "stdo-k4", 36.456),
    ("wdsr", "cafm-n2", 35.0),  # evaluated, not benchmarked: not in the table
    ("espcn", "awdnn", 32.0),
    ("espcn", "stdo-k4", 33.119),
    ("espcn", "stdo-k4", 30.0, "v2"),  # another video: must not join onto g15's rows
]
TASK = {"lr_h": 270, "lr_w": 480, "hr_h": 1080, "hr_w": 1920}
FRAME = {"lr_h": 64, "lr_w": 96, "hr_h": 256, "hr_w": 384}


def _row(backbone: str, method: str, latency: float, **kw: object) -> dict[str, object]:
    size = kw.pop("size", "task")
    row = {"video": "g15", "scale": 4, "backbone": backbone, "method": method, "dtype": "float32",
           "size": size, "routed": False, **(TASK if size == "task" else FRAME), "latency_ms": latency,
           "p95_ms": latency * 1.1, "fps": 1000.0 / latency, "real_time": latency < 50,
           "switches": None}  # fmt: skip
    return row | kw


# listed out of the table's order on purpose (WDSR before ESPCN, frame before task, ...)
WDSR_ROWS = [
    _row("wdsr", "stdo-k4", 120.0, routed=True, switches=3),
    _row("wdsr", "stdo-k4", 60.0, dtype="float16"),
    _row("wdsr", "stdo-k4", 85.0),
    _row("wdsr", "awdnn", 10.0, size="frame"),
    _row("wdsr", "awdnn", 80.0),
]
ESPCN_ROWS = [
    _row("espcn", "nas-n2", 13.0),  # no metrics for NAS
    _row("espcn", "stdo-k4", 50.0, size="frame"),  # exactly 50 ms / 20 fps: not real time
    _row("espcn", "stdo-k4", 12.5),
    _row("espcn", "awdnn", 12.0),
]


def _write_metrics(folder: Path) -> list[Path]:
    paths = []
    for i, (backbone, method, psnr, *video) in enumerate(METRICS):
        p = folder / f"metrics{i}.json"
        row = BASE | {"backbone": backbone, "method": method, "psnr": psnr, "psnr_trainer": psnr + 0.5}
        p.write_text(json.dumps(row | ({"video": video[0]} if video else {})))
        paths.append(p)
    return paths


def _write_bench(
    path: Path, rows: list[dict[str, object]], device: str = HOST, backend: str = "host"
) -> Path:
    path.write_text(json.dumps({"device": device, "backend": backend, "rows": rows}))
    return path


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    bench = [
        _write_bench(tmp_path / "bench_wdsr.json", WDSR_ROWS),
        _write_bench(tmp_path / "bench_espcn.json", ESPCN_ROWS),
    ]
    return bench, _write_metrics(tmp_path)


@pytest.fixture
def table(inputs: tuple[list[Path], list[Path]]) -> pd.DataFrame:
    bench, metrics = inputs
    return report.bench_table(report.load_bench(bench), load_metrics(metrics))


def test_load_bench_keeps_every_row_with_device_and_backend(inputs):
    df = report.load_bench(inputs[0])
    assert len(df) == len(WDSR_ROWS) + len(ESPCN_ROWS)
    assert set(df["device"]) == {HOST} and set(df["backend"]) == {"host"}
    assert df["switches"].tolist()[:2] == [3, pd.NA]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"device": HOST, "backend": "host", "rows": []}, "no benchmark rows"),
        ({"device": HOST, "backend": "host"}, "without rows"),
        ({"device": HOST, "backend": "host", "rows": [{k: v for k, v in _row("wdsr", "awdnn", 9).items()
                                                      if k not in ("fps", "p95_ms")}]}, "p95_ms, fps"),
        ({"device": HOST, "backend": "cloud", "rows": [_row("wdsr", "awdnn", 9)]}, "backend 'cloud'"),
        ({"device": HOST, "backend": "host", "rows": [_row("wdsr", "awdnn", 9) | {"real_time": False}]},
         "real_time=False"),
    ],
)  # fmt: skip
def test_load_bench_names_the_file_it_cannot_use(tmp_path, doc, message):
    good = _write_bench(tmp_path / "good.json", WDSR_ROWS)
    bad = tmp_path / "bad_bench.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(StdoError, match="bad_bench.json") as e:
        report.load_bench([good, bad])
    assert message in str(e.value)


def test_a_flag_decided_before_rounding_on_the_boundary_is_kept(tmp_path):
    # the bench stage decides on 49.99996 ms and then rounds it to 4 decimals: 50.0 ms, 20.0 fps
    row = _row("wdsr", "awdnn", 50.0) | {"real_time": True}
    df = report.load_bench([_write_bench(tmp_path / "b.json", [row])])
    assert df["real_time"].tolist() == [True]


def test_psnr_joins_on_video_scale_backbone_and_method(table):
    assert len(table) == len(WDSR_ROWS) + len(ESPCN_ROWS)  # nothing dropped, nothing duplicated
    psnr = table.groupby(["backbone_id", "method_id"])["psnr_db"].agg(lambda s: sorted(set(s.dropna())))
    assert psnr[("wdsr", "stdo-k4")] == [36.46]  # task, frame, float16 and routed rows alike
    assert psnr[("wdsr", "awdnn")] == [34.0]
    assert psnr[("espcn", "stdo-k4")] == [33.12]  # not 30.0: that is video v2
    assert psnr[("espcn", "awdnn")] == [32.0]
    nas = table[table["method_id"] == "nas-n2"]
    assert len(nas) == 1 and nas["psnr_db"].isna().all() and nas["method"].item() == "NAS"
    assert "cafm-n2" not in set(table["method_id"])
    stdo = table[table["method_id"] == "stdo-k4"]
    assert set(stdo["method"]) == {"STDO"} and set(stdo["k"]) == {4}
    assert stdo["psnr_trainer_db"].dropna().tolist() == [33.62, 33.62, 36.96, 36.96, 36.96]


def test_rows_sort_by_paper_backbone_scale_method_then_size_dtype_routed(table):
    got = list(
        zip(table["backbone"], table["method"], table["size"], table["dtype"], table["routed"], strict=True)
    )
    assert got == [
        ("ESPCN", "awDNN", "task", "float32", False),
        ("ESPCN", "NAS", "task", "float32", False),
        ("ESPCN", "STDO", "task", "float32", False),
        ("ESPCN", "STDO", "frame", "float32", False),
        ("WDSR", "awDNN", "task", "float32", False),
        ("WDSR", "awDNN", "frame", "float32", False),
        ("WDSR", "STDO", "task", "float32", False),
        ("WDSR", "STDO", "task", "float32", True),
        ("WDSR", "STDO", "task", "float16", False),
    ]


def test_backbones_follow_the_papers_order_not_the_alphabet(tmp_path):
    rows = [_row(b, "awdnn", 30.0) for b in ("edsr", "wdsr", "vdsr", "srcnn", "espcn")]
    t = report.bench_table(report.load_bench([_write_bench(tmp_path / "b.json", rows)]), pd.DataFrame())
    assert t["backbone"].tolist() == ["ESPCN", "SRCNN", "VDSR", "EDSR", "WDSR"]
    assert t["psnr_db"].isna().all()


def test_verdicts_follow_the_strict_real_time_criterion(table):
    v = table.set_index(["backbone_id", "method_id", "size", "dtype", "routed"])
    assert v.loc[("espcn", "awdnn", "task", "float32", False), "verdict"] == "real-time"  # 12 ms
    assert v.loc[("espcn", "stdo-k4", "frame", "float32", False), "verdict"] == "not real-time"  # 50 ms
    assert v.loc[("wdsr", "awdnn", "task", "float32", False), "verdict"] == "not real-time"  # 80 ms
    assert (table["real_time"] == (table["verdict"] == "real-time")).all()
    assert table["real_time"].sum() == 4  # 12, 12.5, 13 and 10 ms
    row = v.loc[("wdsr", "stdo-k4", "task", "float32", True)]
    assert (
        row["latency_ms"] == 120.0 and row["p95_ms"] == 132.0 and row["fps"] == 8.333 and row["switches"] == 3
    )


def test_two_bench_files_with_the_same_rows_are_refused(inputs):
    bench, metrics = inputs
    with pytest.raises(StdoError, match="share a key"):
        report.bench_table(report.load_bench([bench[0], bench[0]]), load_metrics(metrics))


EXPECTED_POINTS = {  # whole-frame, task, float32, with metrics: NAS has none, so it is not plotted
    ("ESPCN", "awDNN", 83.333, 32.0),
    ("ESPCN", "STDO k=4", 80.0, 33.12),
    ("WDSR", "awDNN", 12.5, 34.0),
    ("WDSR", "STDO k=4", 11.765, 36.46),
}


def test_figure5_writes_png_and_pdf_and_returns_exactly_the_plotted_points(tmp_path, table):
    png, pdf = tmp_path / "fig" / "figure5.png", tmp_path / "fig" / "figure5.pdf"
    data = report.figure5(table, png, pdf)
    assert png.stat().st_size > 0 and pdf.read_bytes().startswith(b"%PDF")
    image = matplotlib.image.imread(png)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert not [p.name for p in png.parent.iterdir() if p.name.endswith(".part")]  # atomic: no leftovers
    assert len(data) == len(EXPECTED_POINTS)
    got = set(zip(data["backbone"], data["series"], data["fps"], data["psnr_db"], strict=True))
    assert got == EXPECTED_POINTS
    assert set(data["size"]) == {"task"} and set(data["dtype"]) == {"float32"}


def test_the_drawn_points_are_the_returned_points(table):
    data = report.figure5_data(table)
    fig = report.plot_figure5(data, unplotted=["ESPCN nas-n2 (g15 x4)"])
    try:
        drawn = np.concatenate(
            [c.get_offsets() for ax in fig.axes for c in ax.collections if isinstance(c, PathCollection)]
        )
        ax = fig.axes[0]
        assert ax.get_xscale() == "log" and ax.get_ylabel() == "PSNR (dB)" and "fps" in ax.get_xlabel()
        title = " ".join(fig.get_suptitle().split())  # the title is wrapped to the figure's width
        assert HOST in title and "host CPU figures" in title and "nas-n2" in title
        shaded = [p for p in ax.patches if p.get_x() == pytest.approx(20.0)]
        assert len(shaded) == 1  # the real-time region starts at 20 fps
        legend = [t.get_text() for t in fig.legends[0].get_texts()]
        assert legend[:4] == ["ESPCN", "WDSR", "awDNN", "STDO k=4"]
    finally:
        report.plt.close(fig)
    want = sorted(zip(data["fps"], data["psnr_db"], strict=True))
    assert sorted(map(tuple, drawn.tolist())) == want


def test_one_panel_per_scale(tmp_path):
    x2 = [_row("wdsr", "awdnn", 30.0, scale=2), _row("wdsr", "stdo-k4", 31.0, scale=2)]
    bench = [_write_bench(tmp_path / "b4.json", WDSR_ROWS), _write_bench(tmp_path / "b2.json", x2)]
    metrics = _write_metrics(tmp_path)
    extra = tmp_path / "metrics_x2.json"
    extra.write_text(json.dumps(BASE | {"scale": 2, "backbone": "wdsr", "method": "awdnn", "psnr": 38.0}))
    t = report.bench_table(report.load_bench(bench), load_metrics([*metrics, extra]))
    assert t["scale"].tolist()[:2] == [2, 2]  # scale sorts before method
    data = report.figure5_data(t)
    assert sorted(data["scale"]) == [2, 4, 4]  # x2 STDO has no metrics
    fig = report.plot_figure5(data)
    try:
        panels = [ax for ax in fig.axes if ax.get_ylabel() == "PSNR (dB)"]
        assert [ax.get_title() for ax in panels] == ["g15 x2", "g15 x4"]
        assert [len(ax.collections) for ax in panels] == [1, 2]
    finally:
        report.plt.close(fig)


def test_figure5_without_points_is_an_error(tmp_path, table):
    with pytest.raises(StdoError, match="no whole-frame benchmark rows of size 'task' and dtype 'int8'"):
        report.figure5(table, tmp_path / "fig" / "f.png", tmp_path / "fig" / "f.pdf", dtype="int8")
    nas_only = table[table["method_id"] == "nas-n2"]
    with pytest.raises(StdoError, match="no metrics for any benchmarked model"):
        report.figure5(nas_only, tmp_path / "fig" / "f.png", tmp_path / "fig" / "f.pdf")
    assert not (tmp_path / "fig").exists() or not list((tmp_path / "fig").iterdir())


def test_main_writes_every_output_with_provenance(tmp_path, inputs):
    bench, metrics = inputs
    phone = _write_bench(
        tmp_path / "bench_phone.json", [_row("wdsr", "awdnn", 45.0)], "Pixel 7 (gs201), adb", "adb"
    )
    out = tmp_path / "out"
    outs = {k: out / n for k, n in [("csv", "fig5.csv"), ("md", "fig5.md"), ("png", "figure5.png"),
                                    ("pdf", "figure5.pdf"), ("data", "figure5.csv")]}  # fmt: skip
    report.main(["--bench", *map(str, [*bench, phone]), "--metrics", *map(str, metrics),
                 *(a for k, p in outs.items() for a in (f"--out-{k}", str(p)))])  # fmt: skip
    for p in outs.values():
        assert p.stat().st_size > 0
        side = json.loads(p.with_name(p.name + ".prov.json").read_text())
        assert side["stage"] == "bench_report" and side["params"]["size"] == "task"
        assert len(side["inputs"]) == len(bench) + 1 + len(metrics)
    md = outs["md"].read_text()
    assert HOST in md and "Pixel 7 (gs201), adb" in md
    assert (
        "**Host CPU figures**" in md
        and "below 50 ms" in md
        and "No metrics (empty PSNR) for: ESPCN nas-n2" in md
    )
    back = pd.read_csv(outs["csv"])
    assert len(back) == len(WDSR_ROWS) + len(ESPCN_ROWS) + 1
    assert back["backend"].tolist()[0] == "host" and back["backend"].tolist()[-1] == "adb"
    points = pd.read_csv(outs["data"])
    assert len(points) == len(EXPECTED_POINTS) + 1  # the phone's WDSR awDNN point too
    assert set(zip(points["backbone"], points["series"], points["fps"], points["psnr_db"], strict=True)) == (
        EXPECTED_POINTS | {("WDSR", "awDNN", 22.222, 34.0)}
    )


def test_main_reports_a_bad_file_without_a_traceback(tmp_path, capsys):
    bad = _write_bench(tmp_path / "empty_bench.json", [])
    metrics = _write_metrics(tmp_path)
    args = ["--bench", str(bad), "--metrics", *map(str, metrics)]
    args += [a for n in ("csv", "md", "png", "pdf") for a in (f"--out-{n}", str(tmp_path / f"o.{n}"))]
    with pytest.raises(SystemExit) as e:
        report.main(args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("stdo bench_report: error:") and "empty_bench.json: no benchmark rows" in err
    assert not (tmp_path / "o.csv").exists()
