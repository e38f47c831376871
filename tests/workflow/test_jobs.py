"""jobs: cell (a job per video, scale, backbone and seed trains all of its units and evaluates
all of its methods) makes the same models and metrics as a job per unit and per method; jobs:
group (one job per video, scale and backbone trains every seed's units, fused) the same models
to float tolerance and the same PSNR to 0.01 dB."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from support.workflow import TINY, snakemake

from stdo.workflow.plan import Plan

pytestmark = pytest.mark.slow  # runs Snakemake (see pyproject's markers)

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
                       "unit": {"train": "unit", "evaluate": "method"},
                       "group": {"train": "group", "evaluate": "cell"}}.items():  # fmt: skip
        wd = tmp_path_factory.mktemp(name)
        # group: every seed's units in one job, fused (train.fuse: on; the CPU default is off)
        train = SLICE["train"] | ({"fuse": "on"} if name == "group" else {})
        (wd / "slice.yaml").write_text(yaml.safe_dump(SLICE | {"jobs": jobs, "train": train}))
        proc = snakemake(wd, "tables", "--configfile", str(TINY), str(wd / "slice.yaml"))
        out[name] = (wd, proc.stdout + proc.stderr)
    return out


def test_cell_jobs_train_and_evaluate_what_one_job_each_does(runs):
    (cell, cell_log), (unit, unit_log) = runs["cell"], runs["unit"]
    assert "train_cell_tiny_x2_espcn_seed1" in cell_log and "evaluate_cell_tiny_x2_espcn_seed0" in cell_log
    assert "rule train_stdo_k2" in unit_log and "rule evaluate:" in unit_log
    # what the plan asks for: awdnn, 3 NAS segments, cafm, 2 STDO chunks, jstdo, per seed
    config = json.loads(next((cell / "results/.provenance").glob("config-*.json")).read_text())
    plan = Plan(config)
    units = {s: plan.cell_train_units("tiny", 2, "espcn", s) for s in (0, 1)}
    assert len(units[0]) == 8 and units[0] == units[1]
    models = sorted(p.relative_to(unit) for p in (unit / "results/videos").rglob("model.pt"))
    assert models == sorted(
        Path(f"results/videos/tiny/x2/espcn/seed{s}/units/{u}/model.pt") for s in (0, 1) for u in units[s]
    )
    assert sorted(p.relative_to(cell) for p in (cell / "results/videos").rglob("model.pt")) == models
    for rel in models:
        a = torch.load(unit / rel, weights_only=False)["state_dict"]
        b = torch.load(cell / rel, weights_only=False)["state_dict"]
        assert a.keys() == b.keys()
        for k in a:
            torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=f"{rel}: {k}")
        log = rel.with_name("log.csv")
        assert (unit / log).read_text() == (cell / log).read_text(), log
        settings = [
            json.loads((d / f"{rel}.prov.json").read_text())["params"]["settings"] for d in (unit, cell)
        ]
        assert settings[0] == settings[1], rel
    evals = sorted(p.relative_to(unit) for p in (unit / "results/videos").rglob("metrics.json"))
    assert len(evals) == 2 * len(plan.cell_methods("tiny", 2, "espcn", 0))
    for rel in evals:
        a, b = (json.loads((d / rel).read_text()) for d in (unit, cell))
        assert a == b, rel  # every number and label
        maps = [np.load(d / rel.with_name("psnr_map.npy")) for d in (unit, cell)]
        np.testing.assert_array_equal(maps[0], maps[1])
    table2 = [(d / "results/tables/table2.csv").read_text() for d in (unit, cell)]
    assert table2[0] == table2[1]


def test_group_jobs_train_every_seed_fused_in_one_job_as_alone(runs):
    (group, group_log), (unit, _) = runs["group"], runs["unit"]
    assert "train_group_tiny_x2_espcn" in group_log and "train_cell_" not in group_log
    log = (group / "results/logs/train/group_tiny_x2_espcn.log").read_text()
    together = [line for line in log.splitlines() if "models together:" in line]
    assert any("all (seed 0)" in line and "all (seed 1)" in line for line in together)  # both seeds fused
    models = sorted(p.relative_to(unit) for p in (unit / "results/videos").rglob("model.pt"))
    assert sorted(p.relative_to(group) for p in (group / "results/videos").rglob("model.pt")) == models
    for rel in models:
        a = torch.load(unit / rel, weights_only=False)["state_dict"]
        b = torch.load(group / rel, weights_only=False)["state_dict"]
        for k in a:  # tests/train/test_fused.py's bound after a few steps (the sum order differs)
            torch.testing.assert_close(b[k], a[k], rtol=0, atol=2e-3, msg=f"{rel}: {k}")
    for rel in sorted(p.relative_to(unit) for p in (unit / "results/videos").rglob("metrics.json")):
        a, b = (json.loads((d / rel).read_text()) for d in (unit, group))
        assert abs(a["psnr"] - b["psnr"]) <= 0.01, rel
