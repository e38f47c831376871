"""jobs: cell (a job per video, scale, backbone and seed trains all of its units and evaluates
all of its methods) makes the same models and metrics as a job per unit and per method."""

import json

import pytest
import torch
import yaml
from wfkit import TINY, snakemake

SLICE = {
    "scales": [2],
    "backbones": [{"name": "espcn", "kwargs": {"channels": [16, 16]}, "lr": 1.0e-3, "epochs": 2}],
    "methods": ["awdnn", "nas", "cafm", "stdo", "jstdo"],
    "stdo": {"k": [2]},
    "jstdo": {"k": 2, "proportions": [1.0, 0.0]},
    "table1": {"backbones": []},
    "train": {"seeds": [0, 1]},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = {}
    for name, jobs in {"cell": {"train": "cell", "evaluate": "cell"},
                       "unit": {"train": "unit", "evaluate": "method"}}.items():  # fmt: skip
        wd = tmp_path_factory.mktemp(name)
        (wd / "slice.yaml").write_text(yaml.safe_dump(SLICE | {"jobs": jobs}))
        proc = snakemake(wd, "tables", "--configfile", str(TINY), str(wd / "slice.yaml"))
        out[name] = (wd, proc.stdout + proc.stderr)
    return out


def test_cell_jobs_train_and_evaluate_what_one_job_each_does(runs):
    (cell, cell_log), (unit, unit_log) = runs["cell"], runs["unit"]
    assert "train_cell_tiny_x2_espcn_seed1" in cell_log and "evaluate_cell_tiny_x2_espcn_seed0" in cell_log
    assert "rule train_stdo_k2" in unit_log and "rule evaluate:" in unit_log
    models = sorted(p.relative_to(unit) for p in (unit / "results/videos").rglob("model.pt"))
    assert len(models) == 2 * 7  # awdnn, 3 NAS segments, cafm, 2 STDO chunks, jstdo: per seed
    assert sorted(p.relative_to(cell) for p in (cell / "results/videos").rglob("model.pt")) == models
    for rel in models:
        a = torch.load(unit / rel, weights_only=False)["state_dict"]
        b = torch.load(cell / rel, weights_only=False)["state_dict"]
        assert a.keys() == b.keys()
        for k in a:
            torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=f"{rel}: {k}")
    metrics = sorted(p.relative_to(unit) for p in (unit / "results/videos").rglob("metrics.json"))
    assert len(metrics) == 2 * 5
    for rel in metrics:
        a, b = (json.loads((d / rel).read_text()) for d in (unit, cell))
        assert a["psnr"] == b["psnr"] and a["seed"] == b["seed"] and a["method"] == b["method"], rel
    assert (unit / "results/tables/table2.csv").read_text() == (
        cell / "results/tables/table2.csv"
    ).read_text()
