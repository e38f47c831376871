"""The paper's claims at every training budget of ``study.budgets``, and whether each has converged.

    stdo budget --metrics M... --regime results/tables/regime.csv [--stdo-k 2,4]
                --out-csv results/tables/budget.csv --out-md results/tables/budget.md
                --out-png results/figures/budget.png --out-pdf F --out-data results/figures/budget.csv

The metrics carry a ``budget`` label (epochs, the meaning of ``backbones[].epochs``) when the
workflow sweeps it. Every claim that is decided on the metrics alone (:mod:`stdo.report.claims`,
the claims whose ``needs`` are the metrics) is decided at each budget on that budget's metrics,
with the claims' own rule (paired by seed, Student t interval, held / failed / inconclusive).

The convergence rule (:data:`RULE`), written down before the converge study ran: a claim's
margin in a cell **has converged at budget b** when, from b to the next budget swept, the paired
mean margin changes by less than the half-width of b's 95 % interval or by less than 0.02 dB,
whichever is larger, and its status (held / failed / inconclusive) does not change.
``converged_at`` is the first budget from which that holds at every larger budget swept; the
largest budget has no next one, so a margin converges at the second-largest budget at the
latest, and a margin whose last step moves is **still moving with budget** (``converged_at``
empty). With one seed there is no interval, and the 0.02 dB floor alone decides.

Steps per model (the figure's x axis and the table's ``steps_per_model``) come from the regime
table (:mod:`stdo.workflow.regime`, one row per budget): those of the models of the method the
claim is about (STDO's chunk models at k = 4, or the largest k run; JSTDO's model; awDNN's
otherwise), beside the paper's for the matching cell.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from stdo.core import cliargs, io  # noqa: E402
from stdo.core.errors import StdoError  # noqa: E402
from stdo.report import claims, markdown, paper, tables  # noqa: E402
from stdo.report.figures import common  # noqa: E402

FLOOR_DB = 0.02  # the smallest change that counts as moving, whatever the interval
KEY = ["claim", "video", "backbone", "scale"]
STILL_MOVING = "still moving with budget"
RULE = (
    "Convergence rule (fixed before the study ran): a claim's margin in a cell has converged at "
    "budget b when, from b to the next budget swept, the paired mean margin changes by less than "
    f"the half-width of b's 95 % interval or by less than {FLOOR_DB} dB, whichever is larger, and "
    "its status (held / failed / inconclusive) does not change; `converged_at` is the first budget "
    "from which this holds for every larger budget swept (the largest budget has no next one, so "
    "a margin converges at the second-largest at the latest). A margin whose last step still "
    f"moves is **{STILL_MOVING}**: its verdict at the largest budget is that budget's, not the "
    "method's."
)
SUBJECT = {"stdo": "STDO", "jstdo": "JSTDO"}  # claim name prefix -> the method it is about
PREFERRED_K = 4  # the paper's k (Tables 2 and 4)


def _status_kind(status: Any) -> str:
    return claims.kind(str(status)) if isinstance(status, str) else claims.NOT_RUN


def convergence(sweep: pd.DataFrame) -> pd.DataFrame:
    """``sweep`` (one row per claim, cell and budget: ``budget``, ``status``, ``margin_db``,
    ``ci_low_db``, ``ci_high_db``) with, per row, ``change_db`` (the margin at the next budget
    minus this one), ``tolerance_db`` (max(half-width, :data:`FLOOR_DB`)) and ``stable`` (the
    step to the next budget keeps the margin within the tolerance and the status), and per claim
    and cell ``converged_at`` (the first budget from which every step is stable; NaN when the last
    step is not) and ``verdict`` (``converged at N epochs`` or :data:`STILL_MOVING`). Cells whose
    claim was not run at any budget are dropped; rows in budget order."""
    need = [*KEY, "budget", "status", "margin_db", "ci_low_db", "ci_high_db"]
    missing = [c for c in need if c not in sweep]
    if missing:
        raise StdoError(f"the budget sweep lacks columns {missing}")
    df = sweep.copy()
    df["budget"] = df["budget"].astype(int)
    df = df.sort_values([*KEY, "budget"], kind="stable").reset_index(drop=True)
    out = []
    for _, g in df.groupby(KEY, sort=False, dropna=False):
        kinds = g["status"].map(_status_kind)
        if (kinds == claims.NOT_RUN).all():
            continue
        g = g.copy()
        margin = g["margin_db"].astype(float).to_numpy()
        half = ((g["ci_high_db"] - g["ci_low_db"]).astype(float) / 2).to_numpy()
        tol = np.where(np.isfinite(half), np.maximum(half, FLOOR_DB), FLOOR_DB)
        change = np.append(margin[1:] - margin[:-1], math.nan)
        same = np.append(kinds.to_numpy()[1:] == kinds.to_numpy()[:-1], False)
        decided = (
            np.append((kinds != claims.NOT_RUN).to_numpy()[1:], False) & (kinds != claims.NOT_RUN).to_numpy()
        )
        stable = decided & same & (np.abs(change) < tol)
        g["change_db"], g["tolerance_db"], g["stable"] = change, tol, stable
        budgets = g["budget"].to_numpy()
        at = math.nan
        if len(g) >= 2 and stable[-2]:  # the last step is stable: walk back while steps stay stable
            i = len(g) - 2
            while i > 0 and stable[i - 1]:
                i -= 1
            at = int(budgets[i])
        g["converged_at"] = pd.array([at] * len(g), dtype="Int64") if not math.isnan(at) else pd.NA
        g["verdict"] = f"converged at {at} epoch{'s' * (at != 1)}" if not math.isnan(at) else STILL_MOVING
        out.append(g)
    if not out:
        return df.iloc[0:0].assign(change_db=[], tolerance_db=[], stable=[], converged_at=[], verdict=[])
    res = pd.concat(out, ignore_index=True)
    res["converged_at"] = pd.array(res["converged_at"], dtype="Int64")
    return res


def metric_claims() -> list[claims.Claim]:
    """The registered claims decided on the metrics alone (no ablation or benchmark table)."""
    return [c for c in claims.registered() if set(c.needs) <= {"metrics", "authors"}]


def sweep_claims(metrics: pd.DataFrame) -> pd.DataFrame:
    """Every metric claim's rows (:func:`stdo.report.claims.check_claims`) at each ``budget`` of
    ``metrics``, a ``budget`` column added."""
    if "budget" not in metrics or metrics["budget"].isna().any():
        raise StdoError("the metrics carry no budget label: set study.budgets to sweep the training budget")
    names = {c.name for c in metric_claims()}
    parts = []
    for budget, m in metrics.groupby("budget", sort=True):
        df = claims.check_claims(m.reset_index(drop=True))
        parts.append(df[df["claim"].isin(names)].assign(budget=int(budget)))
    return pd.concat(parts, ignore_index=True)


def _subject_method(claim: str, methods_in_cell: Sequence[str]) -> str | None:
    """The method id whose models a claim's steps are counted on (see the module docstring)."""
    family = next((f for f in ("jstdo", "stdo") if claim.startswith(f + "_")), "awdnn")
    label = SUBJECT.get(family, "awDNN")
    ids = [m for m in methods_in_cell if tables.method_label(m)[0] == label and "-p" not in m]
    if not ids:
        return None
    ks = {m: tables.method_label(m)[1] for m in ids}
    if PREFERRED_K in ks.values():
        return next(m for m, k in ks.items() if k == PREFERRED_K)
    return max(ids, key=lambda m: ks[m] or 0)


def add_steps(sweep: pd.DataFrame, regime: pd.DataFrame | None) -> pd.DataFrame:
    """``steps_per_model`` and ``paper_steps_per_model`` of each row's subject method at its
    budget (the regime table's rows, ``budget`` column), and ``steps_method`` (which)."""
    out = sweep.copy()
    for col in ("steps_method", "steps_per_model", "paper_steps_per_model"):
        out[col] = None
    if regime is None or regime.empty:
        return out
    reg = regime.copy()
    reg["backbone"] = reg["backbone"].map(paper.backbone_name)
    if "budget" not in reg:
        raise StdoError("the regime table has no budget column: rerun the regime stage with study.budgets")
    for i, r in out.iterrows():
        cell = reg[
            (reg["video"] == r["video"]) & (reg["backbone"] == r["backbone"]) & (reg["scale"] == r["scale"])
        ]
        method = _subject_method(str(r["claim"]), cell["method"].drop_duplicates().tolist())
        hit = cell[(cell["method"] == method) & (cell["budget"] == r["budget"])]
        if method is None or hit.empty:
            continue
        out.at[i, "steps_method"] = method
        out.at[i, "steps_per_model"] = hit["steps_per_model"].iloc[0]
        out.at[i, "paper_steps_per_model"] = hit["paper_steps_per_model"].iloc[0]
    return out


def summary(conv: pd.DataFrame) -> list[str]:
    """One line per claim: its status at the largest budget and convergence, in words."""
    lines = []
    top = int(conv["budget"].max())
    for claim, g in conv.groupby("claim", sort=False):
        last = g[g["budget"] == top]
        kinds = last["status"].map(_status_kind).value_counts()
        moving = last[last["verdict"] == STILL_MOVING]
        cells = ", ".join(f"{r.video} x{r.scale} {r.backbone}" for r in moving.itertuples()) or "none"
        lines.append(
            f"- `{claim}` at {top} epochs: held in {int(kinds.get(claims.HELD, 0))} of {len(last)} cells, "
            f"failed in {int(kinds.get(claims.FAILED, 0))}, inconclusive in "
            f"{int(kinds.get(claims.INCONCLUSIVE, 0))}; converged in {len(last) - len(moving)}, "
            f"{STILL_MOVING} in {len(moving)} ({cells})"
        )
    return lines


TABLE_COLUMNS = [*KEY, "budget", "status", "n_seeds", "margin_db", "ci_low_db", "ci_high_db", "change_db",
                 "tolerance_db", "stable", "converged_at", "verdict", "steps_method", "steps_per_model",
                 "paper_steps_per_model"]  # fmt: skip


def to_markdown(table: pd.DataFrame, footer: Mapping[str, Any] | None = None) -> str:
    return markdown.page(
        "The claims at every training budget",
        "\n".join(summary(table)),
        markdown.table(
            table[TABLE_COLUMNS],
            column_floats={
                "ci_low_db": ".3f",
                "ci_high_db": ".3f",
                "change_db": ".3f",
                "tolerance_db": ".3f",
                "margin_db": ".3f",
                "steps_per_model": ".0f",
                "paper_steps_per_model": ".0f",
            },
        ),  # fmt: skip
        RULE,
        claims.RULE,
        claims.PSNR_NOTE,
        footer=tables.footer() if footer is None else footer,
    )


def figure(table: pd.DataFrame) -> plt.Figure:
    """One row of panels per claim, one panel per cell: the paired margin with its 95 % interval
    against steps per model (log axis), the claim's threshold, the paper's steps per model for
    the cell (dashed), converged budgets filled, moving ones open."""
    claim_names = list(dict.fromkeys(table["claim"]))
    cells = list(dict.fromkeys(zip(table["video"], table["scale"], table["backbone"], strict=True)))
    fig, axes = plt.subplots(
        len(claim_names), len(cells), figsize=(2.6 * len(cells), 2.4 * len(claim_names)), squeeze=False
    )
    for i, name in enumerate(claim_names):
        for j, (video, scale, backbone) in enumerate(cells):
            ax = axes[i][j]
            g = table[(table["claim"] == name) & (table["video"] == video) & (table["scale"] == scale)
                      & (table["backbone"] == backbone)].sort_values("budget")  # fmt: skip
            if g.empty:
                ax.set_axis_off()
                continue
            x = pd.to_numeric(g["steps_per_model"], errors="coerce")
            x = x.where(x.notna(), g["budget"]).astype(float).to_numpy()
            y = g["margin_db"].astype(float).to_numpy()
            lo, hi = g["ci_low_db"].astype(float).to_numpy(), g["ci_high_db"].astype(float).to_numpy()
            err = np.vstack([np.nan_to_num(y - lo), np.nan_to_num(hi - y)])
            ax.errorbar(x, y, yerr=err, color="C0", lw=1, capsize=2)
            at = g["converged_at"].dropna()
            done = g["budget"].to_numpy() >= (int(at.iloc[0]) if len(at) else np.inf)
            ax.scatter(x[done], y[done], color="C0", zorder=3, s=18, label="converged")
            ax.scatter(
                x[~done], y[~done], facecolors="white", edgecolors="C0", zorder=3, s=18, label="moving"
            )
            threshold = pd.to_numeric(g.get("threshold_db", pd.Series(dtype=float)), errors="coerce").dropna()
            ax.axhline(float(threshold.iloc[0]) if len(threshold) else 0.0, color="k", lw=0.8)
            ps = pd.to_numeric(g["paper_steps_per_model"], errors="coerce").dropna()
            if len(ps):
                ax.axvline(float(ps.iloc[0]), color="C3", ls="--", lw=1, label="paper")
            ax.set_xscale("log")
            ax.set_title(f"{common.cell_title(video, int(scale))} {backbone}", fontsize=8)
            ax.tick_params(labelsize=7)
            if j == 0:
                ax.set_ylabel(f"{name}\nmargin (dB)", fontsize=7)
            if i == len(claim_names) - 1:
                ax.set_xlabel("steps per model", fontsize=7)
    axes[0][0].legend(fontsize=6, loc="best")
    fig.suptitle("Paired margin (95 % interval) against steps per model; dashed: the paper's", fontsize=9)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo budget", description=__doc__)
    p.add_argument("--metrics", required=True, nargs="+", type=Path)
    p.add_argument("--regime", type=Path, default=None, help="results/tables/regime.csv (steps per model)")
    cliargs.add_stdo_k(p)
    p.add_argument("--out-csv", required=True, type=Path)
    p.add_argument("--out-md", required=True, type=Path)
    p.add_argument("--out-png", type=Path, default=None)
    p.add_argument("--out-pdf", type=Path, default=None)
    p.add_argument("--out-data", type=Path, default=None, help="the data the figure plots (CSV)")
    args = p.parse_args(argv)
    with io.stage_errors("budget"):
        inputs = [*args.metrics, *([args.regime] if args.regime else [])]
        for path in inputs:
            if not path.exists():
                raise StdoError(f"{path}: file not found")
        metrics = tables.load_metrics(args.metrics, args.stdo_k)
        regime = pd.read_csv(args.regime) if args.regime else None
        table = add_steps(convergence(sweep_claims(metrics)), regime)
        params = {"floor_db": FLOOR_DB, "confidence": claims.CONFIDENCE, "rule": RULE}
        io.write_csv(args.out_csv, table[[*TABLE_COLUMNS, "threshold_db"]])
        io.write_text(args.out_md, to_markdown(table))
        for out in (args.out_csv, args.out_md):
            io.write_sidecar(out, stage="budget", params=params, inputs=inputs)
        if args.out_data:
            common.write_data(
                table[[*TABLE_COLUMNS, "threshold_db"]], args.out_data, params=params, inputs=inputs
            )
        if args.out_png:
            common.save(figure(table), args.out_png, args.out_pdf, params=params, inputs=inputs)
        print("\n".join(summary(table)))


if __name__ == "__main__":
    main()
