"""`snakemake bench` through the real DAG: export with parity, host benchmarks, Figure 5."""

import json

import pandas as pd
import yaml
from matplotlib.image import imread
from wfkit import TINY, snakemake

OVERLAY = {
    "backbones": [{"name": "espcn", "kwargs": {"channels": [16, 16]}, "lr": 1.0e-3, "epochs": 2}],
    "scales": [2],
    "methods": ["awdnn", "cafm", "stdo"],
    "stdo": {"k": [2]},
    "bench": {"threads": 1, "warmup": 1, "runs": 3},
}


def test_bench_exports_checks_parity_benchmarks_and_draws_figure5(tmp_path):
    (tmp_path / "overlay.yaml").write_text(yaml.safe_dump(OVERLAY))
    snakemake(tmp_path, "bench", "--configfile", str(TINY), str(tmp_path / "overlay.yaml"))
    cell = tmp_path / "results/videos/tiny/x2/espcn"
    manifest = json.loads((cell / "export/manifest.json").read_text())
    assert {(f["unit"], f["size"]) for f in manifest["files"]} >= {("all", "frame"), ("stdo-k2-c1", "patch")}
    assert all(f["max_abs"] <= manifest["parity_bounds"][f["dtype"]]["max_abs"] for f in manifest["files"])
    assert {f["segment"] for f in manifest["files"] if f["unit"] == "cafm-n3"} == {0, 1, 2}  # per segment
    table = pd.read_csv(tmp_path / "results/tables/bench.csv")
    task = table[(table["size"] == "task") & (table["dtype"] == "float32") & ~table["routed"]]
    assert sorted(task["method_id"]) == ["awdnn", "cafm-n3", "stdo-k2"]
    assert task["psnr_db"].notna().all() and (task["backend"] == "host").all()
    assert table["routed"].sum() == 2  # STDO's chunks and CaFM's segments, patch by patch
    md = (tmp_path / "results/tables/bench.md").read_text()
    assert "host CPU" in md
    assert imread(tmp_path / "results/figures/figure5.png").ndim == 3
    assert len(pd.read_csv(tmp_path / "results/figures/figure5.csv")) == 3
    assert (tmp_path / "results/figures/figure5.pdf").stat().st_size > 0
