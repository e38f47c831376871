"""The training budget as a dimension of the real DAG (study.budgets) on a tiny config: every unit
trains and is evaluated at each budget, the claims are decided at each, and the tables show the
largest."""

import json
import re

import pandas as pd
import pytest
from support.workflow import REPO, TINY, snakemake

from stdo.report import budget, claims, tables

pytestmark = pytest.mark.slow  # runs Snakemake

BUDGETS = REPO / "tests" / "workflow" / "tiny_budgets.yaml"
CELL = "results/videos/tiny/x2/espcn"


@pytest.fixture(scope="module")
def sweep_run(tmp_path_factory):
    wd = tmp_path_factory.mktemp("budgets")
    snakemake(wd, "tables", "--configfile", str(TINY), str(BUDGETS))
    return wd


def test_every_unit_trains_at_every_budget_from_scratch(sweep_run):
    for unit in ("all", "cafm-n3", "stdo-k2-c0", "jstdo-k3"):  # awDNN trains unit all
        steps = {}
        for b in (1, 2):
            log = pd.read_csv(sweep_run / f"{CELL}/e{b}/seed0/units/{unit}/log.csv")
            side = json.loads((sweep_run / f"{CELL}/e{b}/seed0/units/{unit}/model.pt.prov.json").read_text())
            assert side["params"]["epochs"] == b and len(log) == side["params"]["settings"]["steps"]
            steps[b] = len(log)
        assert steps[1] < steps[2] <= 2 * steps[1] + 1  # twice the epochs (ceil of a share)


def test_the_tables_show_the_largest_budget(sweep_run):
    t = pd.read_csv(sweep_run / "results/tables/table2.csv")
    awdnn = t[t.method == "awDNN"].iloc[0]
    m = json.loads((sweep_run / f"{CELL}/e2/seed0/eval/awdnn/metrics.json").read_text())
    m1 = json.loads((sweep_run / f"{CELL}/e2/seed1/eval/awdnn/metrics.json").read_text())
    assert m["budget"] == 2 and awdnn["psnr_db"] == round((m["psnr"] + m1["psnr"]) / 2, 2)
    regime = pd.read_csv(sweep_run / "results/tables/regime.csv")
    assert sorted(regime["budget"].unique()) == [1, 2]
    assert (
        awdnn["steps_per_model"]
        == regime[(regime.budget == 2) & (regime.method == "awdnn")]["steps_per_model"].iloc[0]
    )


def test_the_claims_are_decided_at_each_budget_on_its_own_metrics(sweep_run):
    sweep = pd.read_csv(sweep_run / "results/tables/budget.csv")
    for b in (1, 2):
        files = sorted((sweep_run / CELL / f"e{b}").glob("seed*/eval/*/metrics.json"))
        expected = claims.check_claims(tables.load_metrics(files, [2]))
        for name in ("stdo_beats_baselines", "jstdo_beats_baselines"):
            row = sweep[(sweep.claim == name) & (sweep.budget == b)].iloc[0]
            want = expected[expected.claim == name].iloc[0]
            assert row["status"] == want["status"] and row["margin_db"] == pytest.approx(
                want["margin_db"], abs=1e-3
            )
            assert row["n_seeds"] == 2
    again = budget.convergence(
        sweep[[*budget.KEY, "budget", "status", "margin_db", "ci_low_db", "ci_high_db"]]
    )
    assert (
        again["converged_at"].astype("Float64").tolist() == sweep["converged_at"].astype("Float64").tolist()
    )
    c = pd.read_csv(sweep_run / "results/tables/claims.csv")
    beats = c[c.claim == "stdo_beats_baselines"].iloc[0]
    last = sweep[(sweep.claim == "stdo_beats_baselines") & (sweep.budget == 2)].iloc[0]
    assert beats["budget"] == 2 and beats["status"] == beats["status_e2"] == last["status"]
    assert (
        beats["status_e1"]
        == sweep[(sweep.claim == "stdo_beats_baselines") & (sweep.budget == 1)]["status"].iloc[0]
    )
    assert beats["budget_verdict"] == last["verdict"]
    md = (sweep_run / "results/tables/claims.md").read_text()
    assert "converged with budget in" in md
    assert (sweep_run / "results/figures/budget.png").stat().st_size > 10_000
    assert (sweep_run / "results/logs/budget/budget.log").exists()  # the stage test_dag's demo never runs
    data = pd.read_csv(sweep_run / "results/figures/budget.csv")
    assert (data["steps_per_model"] > 0).all() and (
        data["paper_steps_per_model"] > data["steps_per_model"]
    ).all()


def test_without_budgets_no_path_carries_one(tmp_path):
    out = snakemake(tmp_path, "-n", "-p", "tables", "--configfile", str(TINY)).stdout
    assert "/espcn/eval/awdnn/metrics.json" in out and "tables/claims.csv" in out
    assert not re.search(r"/e\d+/", out) and "stdo budget" not in out and "--budget" not in out
