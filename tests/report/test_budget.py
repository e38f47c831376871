"""The convergence rule of stdo.report.budget on hand-made sweeps and metrics."""

import math

import numpy as np
import pandas as pd
import pytest

from stdo.core.errors import StdoError
from stdo.report import budget, claims


def sweep(rows):
    """One claim and cell's rows: (budget, status, margin, half-width or None)."""
    out = []
    for b, status, margin, half in rows:
        lo, hi = (margin - half, margin + half) if half is not None else (math.nan, math.nan)
        cell = {"claim": "stdo_beats_baselines", "video": "v", "backbone": "WDSR", "scale": 4}
        out.append(
            cell | {"budget": b, "status": status, "margin_db": margin, "ci_low_db": lo, "ci_high_db": hi}
        )
    return pd.DataFrame(out)


def test_a_margin_that_settles_converges_where_it_settles():
    df = budget.convergence(sweep([(5, "inconclusive", -0.05, 0.06), (10, "held", 0.10, 0.03),
                                   (20, "held", 0.12, 0.03), (40, "held", 0.13, 0.02)]))  # fmt: skip
    assert df["converged_at"].tolist() == [10] * 4
    assert df["stable"].tolist() == [False, True, True, False]  # the last budget has no next step
    assert df["verdict"].iloc[0] == "converged at 10 epochs"
    np.testing.assert_allclose(df["change_db"].iloc[:3], [0.15, 0.02, 0.01], atol=1e-12)


def test_a_margin_that_doubles_with_budget_is_still_moving():
    df = budget.convergence(sweep([(5, "held", 0.02, 0.01), (10, "held", 0.04, 0.01),
                                   (20, "held", 0.08, 0.01), (40, "held", 0.16, 0.01)]))  # fmt: skip
    assert df["converged_at"].isna().all()
    assert (df["verdict"] == budget.STILL_MOVING).all()


def test_a_status_flip_on_the_last_step_is_not_converged_even_when_the_margin_barely_moves():
    df = budget.convergence(sweep([(5, "inconclusive", 0.01, 0.02), (10, "inconclusive", 0.015, 0.02),
                                   (20, "held", 0.02, 0.005)]))  # fmt: skip
    assert df["stable"].tolist() == [True, False, False]
    assert df["converged_at"].isna().all()


def test_the_tolerance_is_the_half_width_or_the_floor_whichever_is_larger():
    wide = budget.convergence(sweep([(5, "inconclusive", 0.0, 0.10), (10, "inconclusive", 0.09, 0.10)]))
    assert wide["stable"].iloc[0] and wide["converged_at"].iloc[0] == 5  # 0.09 < 0.10
    narrow = budget.convergence(sweep([(5, "held", 0.10, 0.001), (10, "held", 0.125, 0.001)]))
    assert narrow["tolerance_db"].iloc[0] == budget.FLOOR_DB and not narrow["stable"].iloc[0]  # 0.025 > 0.02
    one_seed = budget.convergence(
        sweep([(5, "held (one seed)", 0.10, None), (10, "held (one seed)", 0.11, None)])
    )
    assert one_seed["converged_at"].iloc[0] == 5  # no interval: the floor alone


def test_a_moving_step_in_the_middle_puts_convergence_after_it():
    df = budget.convergence(sweep([(5, "held", 0.1, 0.01), (10, "held", 0.1, 0.01), (20, "held", 0.3, 0.01),
                                   (40, "held", 0.3, 0.01), (80, "held", 0.305, 0.01)]))  # fmt: skip
    assert df["converged_at"].iloc[0] == 20


def metrics(budget_margins, seeds=(0, 1, 2)):
    """Metrics rows of one cell (awDNN, NAS, CaFM, STDO k=4) whose STDO - best baseline margin at
    each budget is the given one (plus a small per-seed wobble)."""
    rows = []
    for b, margin in budget_margins.items():
        for s in seeds:
            base = 30.0 + b / 100 + 0.01 * s
            wobble = 0.002 * (s - 1)
            for method, psnr in (("awdnn", base), ("nas-n5", base - 0.2), ("cafm-n5", base - 0.1),
                                 ("stdo-k4", base + margin + wobble)):  # fmt: skip
                rows.append({"video": "v", "scale": 4, "backbone": "wdsr", "method": method, "seed": s,
                             "budget": b, "psnr": psnr})  # fmt: skip
    df = pd.DataFrame(rows)
    from stdo.report import tables

    labels = df["method"].map(tables.method_label)
    df["paper_method"] = [lab for lab, _ in labels]
    df["k"] = pd.array([k for _, k in labels], dtype="Int64")
    df["backbone_id"] = df["backbone"]
    df["best_of"] = df["paper_method"] == "STDO"
    return df


def test_the_sweep_decides_each_budget_on_its_own_metrics():
    m = metrics({5: -0.10, 10: 0.05, 20: 0.20, 40: 0.21})
    table = budget.convergence(budget.sweep_claims(m))
    beats = table[table["claim"] == "stdo_beats_baselines"].sort_values("budget")
    assert beats["budget"].tolist() == [5, 10, 20, 40]
    np.testing.assert_allclose(beats["margin_db"], [-0.10, 0.05, 0.20, 0.21], atol=1e-3)
    assert beats["status"].tolist() == [claims.FAILED, claims.HELD, claims.HELD, claims.HELD]
    assert beats["converged_at"].iloc[0] == 20  # 0.05 -> 0.20 moves, 0.20 -> 0.21 does not
    wide = claims.add_budget_columns(claims.check_claims(m[m["budget"] == 40]), table)
    row = wide[wide["claim"] == "stdo_beats_baselines"].iloc[0]
    assert (row["status_e5"], row["status_e40"], row["converged_at"], row["budget"]) == (
        claims.FAILED, claims.HELD, 20, 40)  # fmt: skip
    assert "converged with budget in 1 of 1 cells" in "\n".join(claims.budget_summary(wide))


def test_a_sweep_needs_the_budget_label():
    m = metrics({5: 0.1}).drop(columns="budget")
    with pytest.raises(StdoError, match="study.budgets"):
        budget.sweep_claims(m)
