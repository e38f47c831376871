"""The paper's claims checked against the pipeline's evaluation metrics: a claims table.

One row per claim and cell (video, backbone, scale), each ``held``, ``failed``, ``inconclusive``
or ``not run``, with the margin in dB, its noise over the training seeds, the criterion it was
decided on and the values behind it. A claim whose methods or ablation were not configured gets
one ``not run`` row naming what to configure. The claims (and the paper's evidence for them):

==========================  ==================  ==================================================
claim                       source              held when (margin, threshold)
==========================  ==================  ==================================================
stdo_beats_baselines        Table 2             STDO (best k) - best of awDNN, NAS, CaFM > 0
best_k_near_4               Figure 7a           best k in {3, 4, 5} - best k outside them > 0
jstdo_close_to_stdo         Table 4             JSTDO - STDO (same k) >= -0.5 dB
jstdo_beats_baselines       Table 4 / Sec. 4.3  JSTDO - best of awDNN, NAS, CaFM > 0
d0_close_far_above_dk       Table 1             D0 - Dk >= 3.0 dB and STDO - D0 <= 0.5 dB
more_d0_higher_psnr         Figure 7b           last - first schedule > 0, and no step a measured drop
long_video_close_to_parts   Section 4.5         abs(long - mean(parts)) <= 1.0 dB
real_time_on_device         Figure 5            STDO's whole 1080p frame on the phone: < 50 ms, > 20 fps
==========================  ==================  ==================================================

Each claim is one :class:`Claim` in :data:`CLAIMS` (added with :func:`register`, in table order):
its name, where the paper makes it and what it says, its criterion and thresholds, the inputs it
needs (the metrics, an ablation table, the bench table) and the function that computes its rows.
:func:`check_claims` and the sidecar of :func:`main` ask the registry, so adding a claim is one
:func:`register` call (here, or in a plugin file).

**The rule (paired margins over seeds).** Every training unit is trained once per seed
(``train.seeds``) and each seed is evaluated on its own. A claim compares two methods (the
best of several, such as "the best baseline" or "the best k", is picked by its mean PSNR over
seeds first); its margin is paired: for each seed both methods have, ``margin_s = a_s - b_s``.
A seed that only one of them has is left out and named in ``details``. ``margin_db`` is the mean
of the per-seed margins, ``margin_se_db`` its standard error (sample sd, ddof 1, over
sqrt(n)), and ``ci_low_db`` .. ``ci_high_db`` its 95 % interval (Student t, n - 1 degrees of
freedom). The claim ``held`` when the whole interval satisfies the criterion against
``threshold_db``, ``failed`` when none of it does, and is ``inconclusive`` when the interval
contains the threshold. With one seed there is no interval: the point margin decides, and the
status is ``held (one seed: noise not measured)`` or ``failed (one seed: noise not measured)``,
never a bare held or failed. Claims of two conditions: ``d0_close_far_above_dk`` decides D0 - Dk
(threshold 3.0, the ``margin_db``) and STDO - D0 (threshold 0.5, in ``details``) on the same
seeds, held when both hold, failed when either fails, else inconclusive;
``more_d0_higher_psnr`` decides last - first schedule (threshold 0, held when above) and each
consecutive step (a step whose whole interval is below 0 is a measured drop, and fails the
claim), on the seeds every schedule has; ``long_video_close_to_parts`` pairs the long video
with the mean of its parts per seed and holds when the interval lies inside [-1, 1] dB.
``real_time_on_device`` is a latency on one device, not a trained result: it is decided on the
measured value and carries no seeds or interval.

Margins are in our PSNR convention (the ``psnr`` column, see :mod:`stdo.core.metrics`); when the
metrics carry the authors' protocol (``psnr_trainer``) the same paired mean margin under it is
added as ``margin_authors_db``. The status is always decided on our convention.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from stdo import methods
from stdo.core import cliargs, io
from stdo.core.cell import Cell
from stdo.core.errors import StdoError
from stdo.core.registry import Registry
from stdo.report import markdown, paper, tables

HELD, FAILED, INCONCLUSIVE, NOT_RUN = "held", "failed", "inconclusive", "not run"
ONE_SEED = "one seed: noise not measured"
HELD_ONE_SEED, FAILED_ONE_SEED = f"{HELD} ({ONE_SEED})", f"{FAILED} ({ONE_SEED})"
STATUSES = (HELD, HELD_ONE_SEED, FAILED, FAILED_ONE_SEED, INCONCLUSIVE, NOT_RUN)
CONFIDENCE = 0.95
RULE = (
    "Margins are paired by seed: for each seed both methods have, a - b; `margin_db` is their mean, "
    "`margin_se_db` its standard error (sd with ddof 1 over sqrt(n)), `ci_low_db`..`ci_high_db` its 95 % "
    "interval (Student t, n - 1 dof); where a claim compares against the best of several (the best "
    "baseline, STDO's best k, the best k in or outside {3, 4, 5}), the best is picked by mean PSNR over "
    "seeds, then paired. A seed that one method "
    "lacks is left out (named in `details`). **held**: the whole interval meets the criterion against "
    "`threshold_db`; **failed**: none of it does; **inconclusive**: the interval contains the threshold. "
    f"With one seed the point margin decides and the status says ({ONE_SEED}). "
    "`d0_close_far_above_dk` needs both of its conditions (D0 - Dk, STDO - D0), `more_d0_higher_psnr` "
    "needs last - first above 0 and no step whose whole interval is below 0, `long_video_close_to_parts` "
    "needs the interval inside [-1, 1]; `real_time_on_device` is a latency, decided on the measured "
    "value, without seeds."
)
BASELINES = methods.baseline_labels()  # the registry's baselines (the paper's: awDNN, NAS, CaFM)

# Table 4: JSTDO's drop against STDO (k=4, WDSR, game-15s) is 0.29, 0.30 and 0.48 dB at x2, x3,
# x4 ("only negligible degradation"); 0.5 dB admits the paper's largest drop and little more.
JSTDO_MAX_DROP_DB = 0.5

# Table 1 (WDSR, vlog 15 s and 45 s, x2..x4): STDO - D0 is 0.16..0.44 dB (largest 0.44, vlog-15s
# x3 and x4) and D0 - Dk is 3.36..4.88 dB (smallest 3.36, vlog-15s x3). "Close" is the largest
# STDO - D0 gap rounded up to 0.5 dB; "far above" is the smallest D0 - Dk gap rounded down to
# 3.0 dB. Both admit every cell of the paper's own table with under 0.4 dB of slack.
D0_MAX_BELOW_STDO_DB = 0.5
D0_MIN_ABOVE_DK_DB = 3.0

# Section 4.5: the long video (39.92 dB) against the mean of its parts ((43.99 + 37.76) / 2 =
# 40.875 dB) is -0.955 dB, which the paper calls "close"; 1.0 dB is that gap rounded up.
LONG_VIDEO_MAX_GAP_DB = 1.0

# Figure 7a: "better results can be obtained when we divide video into ~4 chunks".
BEST_K_NEAR = (3, 4, 5)

COLUMNS = ["claim", "source", "statement", "video", "backbone", "scale", "status", "n_seeds", "margin_db",
           "margin_se_db", "ci_low_db", "ci_high_db", "threshold_db", "criterion", "details"]  # fmt: skip
AUTHORS_COLUMN = "margin_authors_db"
DB_COLUMNS = ["margin_db", "margin_se_db", "ci_low_db", "ci_high_db", "threshold_db", AUTHORS_COLUMN]

# The tables check_claims takes beside the metrics, each optional (a claim that needs a missing one
# has its ``not run`` row), and the file each is read from (main's flags).
TABLE_INPUTS = {
    "chunks": "results/ablations/chunks.csv",
    "schedules": "results/ablations/schedules.csv",
    "long_video": "results/ablations/long_video.csv",
    "bench": "results/tables/bench.csv (phone rows decide)",
}
# What a claim may need: the metrics (one row per method and seed), ``authors`` (whether they carry
# the authors' protocol, ``psnr_trainer``: the claim adds margin_authors_db) and those tables.
NEEDS = ("metrics", "authors", *TABLE_INPUTS)

Rows = list[dict[str, Any]]
At = tuple[Cell, str]  # a cell and its backbone's displayed name (the table's ``backbone``)


# --- the numeric core: paired margins over seeds, their interval and the decision -----------------


def with_seed(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with an integer ``seed`` column: rows without one are seed 0 (as
    :func:`stdo.report.tables.load_metrics` reads a metrics file without a seed)."""
    out = df.copy()
    seed = out["seed"] if "seed" in out else pd.Series(0, index=out.index)
    seed = pd.to_numeric(seed, errors="coerce")
    bad = seed.notna() & (seed != seed.round())
    if bad.any():
        raise StdoError(f"seed must be an integer; got {sorted(set(seed[bad]))}")
    out["seed"] = seed.fillna(0).astype(int)
    return out


def t_interval(margins: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, float, float]:
    """``(mean, standard error, low, high)`` of ``margins``: the sample sd (ddof 1) over sqrt(n)
    and the Student t interval with n - 1 degrees of freedom; se, low and high are NaN for one
    margin (no noise measured)."""
    x = np.asarray(margins, dtype=float)
    if x.size == 0 or not np.isfinite(x).all():
        raise StdoError(f"a paired margin needs finite per-seed margins; got {x.tolist()}")
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan, math.nan
    se = float(x.std(ddof=1) / math.sqrt(x.size))
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1)) * se
    return mean, se, mean - half, mean + half


@dataclass(frozen=True)
class Paired:
    """``a - b`` paired by seed: the seeds both have, their margins and the t statistics;
    ``only_a`` / ``only_b``: the seeds left out because only one side has them."""

    seeds: tuple[int, ...]
    margins: tuple[float, ...]
    mean: float
    se: float
    low: float
    high: float
    only_a: tuple[int, ...] = ()
    only_b: tuple[int, ...] = ()

    @property
    def n(self) -> int:
        return len(self.seeds)


def paired(a: pd.Series, b: pd.Series, seeds: Sequence[int] | None = None) -> Paired:
    """``a - b`` over the seeds (the series' index) both have (and, where given, in ``seeds``)."""
    a, b = a.dropna(), b.dropna()
    for s in (a, b):
        if s.index.has_duplicates:
            raise StdoError(f"two values for one seed: {sorted(s.index[s.index.duplicated()].tolist())}")
    common = sorted(set(a.index) & set(b.index) & (set(seeds) if seeds is not None else set(a.index)))
    only_a = tuple(sorted(set(a.index) - set(b.index)))
    only_b = tuple(sorted(set(b.index) - set(a.index)))
    if not common:
        return Paired((), (), math.nan, math.nan, math.nan, math.nan, only_a, only_b)
    margins = a.loc[common].to_numpy(float) - b.loc[common].to_numpy(float)
    mean, se, low, high = t_interval(margins)
    return Paired(tuple(int(s) for s in common), tuple(margins.tolist()), mean, se, low, high, only_a, only_b)


@dataclass(frozen=True)
class Criterion:
    """The margins a claim accepts: ``> t``, ``>= t``, ``<= t`` or ``abs <= t`` (``abs<=``)."""

    op: str
    threshold: float

    def __post_init__(self) -> None:
        if self.op not in (">", ">=", "<=", "abs<="):
            raise StdoError(f"unknown criterion {self.op!r}")

    def side(self, x: float) -> int:
        """-1 below the accepted margins, 0 accepted, +1 above them."""
        t = self.threshold
        if self.op == ">":
            return 0 if x > t else -1
        if self.op == ">=":
            return 0 if x >= t else -1
        if self.op == "<=":
            return 0 if x <= t else 1
        return -1 if x < -t else (1 if x > t else 0)


def decide(p: Paired, criterion: Criterion) -> str:
    """The status of paired margin ``p`` against ``criterion``: held (the whole interval
    accepted), failed (none of it), inconclusive (the interval reaches across the threshold);
    with one seed the point margin decides, marked as such; no seed in common: not run."""
    if p.n == 0:
        return NOT_RUN
    if p.n == 1:
        return HELD_ONE_SEED if criterion.side(p.mean) == 0 else FAILED_ONE_SEED
    lo, hi = criterion.side(p.low), criterion.side(p.high)
    if lo == hi == 0:
        return HELD
    return FAILED if lo == hi else INCONCLUSIVE


def kind(status: str) -> str:
    """held, failed, inconclusive or not run, without the one-seed marking."""
    return status.split(" (", 1)[0]


def combine(statuses: Sequence[str], n: int) -> str:
    """All conditions of one claim on the same ``n`` seeds: failed when any fails, held when all
    hold, else inconclusive (one-seed marking kept)."""
    kinds = [kind(s) for s in statuses]
    if NOT_RUN in kinds:
        return NOT_RUN
    if FAILED in kinds:
        return FAILED_ONE_SEED if n == 1 else FAILED
    if all(k == HELD for k in kinds):
        return HELD_ONE_SEED if n == 1 else HELD
    return INCONCLUSIVE


# --- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """One of the paper's claims: what the paper says and where, when it holds, and ``rows``, the
    function that computes its rows: ``rows(claim, **inputs)`` with the inputs named in ``needs``
    (:data:`NEEDS`). Calling the claim computes them (``claim(metrics, authors)``). Registered with
    :func:`register`, it is a part of every claims table (:func:`check_claims`)."""

    name: str
    source: str  # where in the paper
    statement: str  # what the paper says
    criterion: str  # when it holds, as the table states it
    rows: Callable[..., Rows]
    needs: tuple[str, ...] = ("metrics",)
    threshold_db: float | None = None  # what its margin (``margin_db``) is decided against
    thresholds_db: Mapping[str, float] = field(default_factory=dict)  # named limits, in the sidecar
    settings: Mapping[str, Any] = field(default_factory=dict)  # other choices, in the sidecar

    def __post_init__(self) -> None:
        unknown = [n for n in self.needs if n not in NEEDS]
        if unknown:
            raise ValueError(f"claim {self.name!r} needs {unknown}; known inputs: {', '.join(NEEDS)}")

    def __call__(self, *args: Any, **kwargs: Any) -> Rows:
        return self.rows(self, *args, **kwargs)

    def rule(self, op: str) -> Criterion:
        """The criterion ``margin op threshold_db``."""
        if self.threshold_db is None:
            raise ValueError(f"claim {self.name!r} has no threshold_db")
        return Criterion(op, self.threshold_db)

    def row(
        self,
        status: str,
        details: str,
        *,
        at: At | None = None,
        p: Paired | None = None,
        threshold: float | None = None,
        margin_authors: float | None = None,
    ) -> dict[str, Any]:
        """One row of the claims table (``at``: its cell; ``p``: the paired margin it was
        decided on)."""
        cell, backbone = at if at is not None else (None, None)
        d = p if p is not None and p.n > 0 else None  # the paired margin, when decided on one
        return {
            "claim": self.name,
            "source": self.source,
            "statement": self.statement,
            "video": cell.video if cell else None,
            "backbone": backbone,
            "scale": cell.scale if cell else None,
            "status": status,
            "n_seeds": d.n if d else None,
            "margin_db": d.mean if d else None,
            "margin_se_db": d.se if d else None,
            "ci_low_db": d.low if d else None,
            "ci_high_db": d.high if d else None,
            "threshold_db": threshold,
            "criterion": self.criterion,
            "details": details,
            AUTHORS_COLUMN: margin_authors,
        }


def _load_plugins() -> None:
    from stdo.core import plugins

    plugins.load()


CLAIMS: Registry[Claim] = Registry("claim", load=_load_plugins)  # in table order


def register(claim: Claim) -> Claim:
    """Make a claim a part of every claims table, after those registered before it (its name
    must be new)."""
    return CLAIMS.add(claim.name, claim)


def registered() -> list[Claim]:
    """The claims in table order (plugin files, which may register claims, loaded first)."""
    return CLAIMS.values()


def _at(video: Any, scale: Any, shown: str, backbone: str | None = None) -> At:
    """A cell of a table and its displayed backbone ``shown``; ``backbone``: the registry name,
    where the table has it (else found from ``shown``)."""
    return Cell(video, int(scale), backbone if backbone is not None else paper.backbone_id(shown)), shown


def _seeds(seeds: Sequence[int]) -> str:
    return f"seed{'s' if len(seeds) > 1 else ''} {', '.join(str(s) for s in seeds)}"


def _pairing(p: Paired, a: str, b: str) -> str:
    """``; paired on seeds ...`` (more than one seed) and the seeds left out, for ``details``."""
    parts = [f"paired on {_seeds(p.seeds)}"] if p.n > 1 else []
    parts += [f"{_seeds(s)} only for {who}: left out" for s, who in ((p.only_a, a), (p.only_b, b)) if s]
    return "".join(f"; {x}" for x in parts)


def _interval(p: Paired) -> str:
    """``+0.12 (95 % interval -0.05 .. +0.29, n=3)``, or the point value for one seed."""
    if p.n < 2:
        return f"{p.mean:+.2f} ({ONE_SEED})"
    return f"{p.mean:+.2f} (95 % interval {p.low:+.2f} .. {p.high:+.2f}, n={p.n})"


def _series(rows: pd.DataFrame, col: str = "psnr") -> pd.Series:
    """Per-seed values of one method's rows (index: seed)."""
    s = rows.set_index("seed")[col]
    s = pd.to_numeric(s, errors="coerce")
    if s.index.has_duplicates:
        dup = sorted(set(s.index[s.index.duplicated()].tolist()))
        method = rows["method"].iloc[0] if "method" in rows else "?"
        raise StdoError(f"two metrics for {method} with seed {dup} in one cell: one per seed expected")
    return s


def _metrics_at(g: pd.DataFrame) -> At:
    """The cell of metrics rows ``g`` (all of one cell)."""
    r = g.iloc[0]
    return _at(r["video"], r["scale"], r["backbone"], r["backbone_id"] if "backbone_id" in g else None)


def _cells(metrics: pd.DataFrame, labels: list[str]) -> Iterator[tuple[At, pd.DataFrame]]:
    """The cells (in the order of video, displayed backbone, scale) with any method labelled
    ``labels``, and all of each cell's rows."""
    keys = metrics.loc[metrics["paper_method"].isin(labels), tables.CELL].drop_duplicates()
    for key in keys.sort_values(tables.CELL).itertuples(index=False, name=None):
        g = metrics[(metrics[tables.CELL] == pd.Series(key, index=tables.CELL)).all(axis=1)]
        yield _metrics_at(g), g


def _best_method(rows: pd.DataFrame) -> pd.DataFrame | None:
    """The rows (one per seed) of the method id with the highest mean PSNR over its seeds, or
    None for no rows."""
    if rows.empty:
        return None
    means = rows.groupby("method", sort=True)["psnr"].mean()
    return rows[rows["method"] == means.idxmax()]


def _mean(rows: pd.DataFrame) -> float:
    return float(rows["psnr"].mean())


def _describe(label: str, rows: pd.DataFrame, with_id: bool = False) -> str:
    """``label [k=K] PSNR`` (the mean over the method's seeds; with the method id where a label
    has several)."""
    r = rows.iloc[0]
    k = f" k={int(r['k'])}" if pd.notna(r.get("k")) else ""
    ident = f" ({r['method']})" if with_id else ""
    return f"{label}{k}{ident} {_mean(rows):.2f}"


def _authors_diff(a: pd.DataFrame, b: pd.DataFrame, authors: bool) -> float | None:
    """The mean paired ``a - b`` under the authors' protocol, over the seeds both have it for."""
    if not authors:
        return None
    p = paired(_series(a, "psnr_trainer"), _series(b, "psnr_trainer"))
    return p.mean if p.n else None


def _versus(
    claim: Claim,
    rule: Criterion,
    at: At,
    names: tuple[str, str],
    a: pd.DataFrame,
    b: pd.DataFrame,
    details: str,
    authors: bool,
) -> dict[str, Any]:
    """The row of ``a - b`` (each one method's per-seed rows) paired by seed against ``rule``."""
    p = paired(_series(a), _series(b))
    details += _pairing(p, *names)
    if p.n == 0:
        details += "; no seed in common"
    return claim.row(
        decide(p, rule),
        details,
        at=at,
        p=p,
        threshold=rule.threshold,
        margin_authors=_authors_diff(a, b, authors) if p.n else None,
    )


def _versus_baselines(
    claim: Claim,
    at: At,
    name: str,
    subject: pd.DataFrame | None,
    g: pd.DataFrame,
    authors: bool,
) -> dict[str, Any]:
    """``subject`` (one method's per-seed rows) against the best baseline in the cell's rows
    ``g``: the best of each baseline label's method ids, then the best label, by mean PSNR."""
    picked: dict[str, pd.DataFrame] = {}
    parts = [_describe(name, subject) if subject is not None else f"{name} not run"]
    for label in BASELINES:
        rows = g[g["paper_method"] == label]
        top = _best_method(rows)
        if top is None:
            parts.append(f"{label} not run")
            continue
        picked[label] = top
        parts.append(_describe(label, top, with_id=rows["method"].nunique() > 1))
    details = "; ".join(parts)
    if subject is None or not picked:
        return claim.row(NOT_RUN, details, at=at)
    best_label = max(picked, key=lambda lab: _mean(picked[lab]))
    return _versus(
        claim, claim.rule(">"), at, (name, best_label), subject, picked[best_label], details, authors
    )


# --- the claims ----------------------------------------------------------------------------------


def _stdo_beats_baselines(claim: Claim, metrics: pd.DataFrame, authors: bool = False) -> Rows:
    """Table 2: STDO at each cell's best k (by mean PSNR over seeds) above the best of awDNN, NAS
    and CaFM, paired by seed."""
    if not (metrics["paper_method"] == "STDO").any():
        return [claim.row(NOT_RUN, "no STDO metrics: configure methods: stdo and stdo.k")]
    if not metrics["paper_method"].isin(BASELINES).any():
        return [claim.row(NOT_RUN, "no baseline metrics: configure methods: awdnn, nas, cafm")]
    best_k = tables.best_stdo(metrics).drop_duplicates(tables.CELL).set_index(tables.CELL)["best_k"]
    rows = []
    for at, g in _cells(metrics, ["STDO", *BASELINES]):
        stdo = g[g["paper_method"] == "STDO"]
        key = tuple(g[tables.CELL].iloc[0])
        subject = _best_method(stdo[stdo["k"] == best_k[key]]) if key in best_k.index else None
        rows.append(_versus_baselines(claim, at, "STDO", subject, g, authors))
    return rows


def _jstdo(metrics: pd.DataFrame) -> pd.DataFrame:
    """The main JSTDO rows (``jstdo-k{k}``, not the schedule variants ``-p{i}``)."""
    main = [
        r["paper_method"] == "JSTDO" and methods.parse_method(str(r["method"]))["schedule"] is None
        for _, r in metrics.iterrows()
    ]
    return metrics[pd.Series(main, index=metrics.index, dtype=bool)]


def _groups_by_method(
    rows: pd.DataFrame, metrics: pd.DataFrame
) -> Iterator[tuple[At, pd.DataFrame, pd.DataFrame]]:
    """Per cell and method id of ``rows`` (sorted by cell and k): the cell, the method's per-seed
    rows and all of that cell's rows in ``metrics``."""
    order = rows.sort_values([*tables.CELL, "k", "method"])[[*tables.CELL, "method"]].drop_duplicates()
    for key in order.itertuples(index=False, name=None):
        video, backbone, scale, method = key
        in_cell = (
            (metrics["video"] == video) & (metrics["backbone"] == backbone) & (metrics["scale"] == scale)
        )
        g = metrics[in_cell]
        yield _metrics_at(g), g[g["method"] == method], g


def _params(rows: pd.DataFrame) -> float | None:
    v = rows["parameters"].iloc[0] if "parameters" in rows else None
    return None if v is None or pd.isna(v) else float(v)


def _jstdo_close_to_stdo(claim: Claim, metrics: pd.DataFrame, authors: bool = False) -> Rows:
    """Table 4: JSTDO at most the claim's drop (``threshold_db``: -:data:`JSTDO_MAX_DROP_DB`)
    below STDO at JSTDO's k, paired by seed."""
    jstdo = _jstdo(metrics)
    if jstdo.empty:
        return [claim.row(NOT_RUN, "no JSTDO metrics: configure methods: jstdo and jstdo.k")]
    rows = []
    for at, j, g in _groups_by_method(jstdo, metrics):
        k = int(j["k"].iloc[0])
        stdo = _best_method(g[(g["paper_method"] == "STDO") & (g["k"] == k)])
        if stdo is None:
            detail = f"{_describe('JSTDO', j)}; no stdo-k{k} in this cell: add {k} to stdo.k"
            rows.append(claim.row(NOT_RUN, detail, at=at))
            continue
        pj, ps = _params(j), _params(stdo)
        ratio = (
            f"parameters {pj / 1e6:.3g}M / {ps / 1e6:.3g}M = {pj / ps:.3g} (1/k = {1 / k:.3g})"
            if pj is not None and ps
            else "parameters not recorded"
        )
        detail = f"{_describe('JSTDO', j)}; {_describe('STDO', stdo)}; {ratio}"
        rows.append(_versus(claim, claim.rule(">="), at, ("JSTDO", f"STDO k={k}"), j, stdo, detail, authors))
    return rows


def _jstdo_beats_baselines(claim: Claim, metrics: pd.DataFrame, authors: bool = False) -> Rows:
    """Table 4 / Section 4.3: JSTDO above the best of awDNN, NAS and CaFM, paired by seed."""
    jstdo = _jstdo(metrics)
    if jstdo.empty:
        return [claim.row(NOT_RUN, "no JSTDO metrics: configure methods: jstdo and jstdo.k")]
    if not metrics["paper_method"].isin(BASELINES).any():
        return [claim.row(NOT_RUN, "no baseline metrics: configure methods: awdnn, nas, cafm")]
    return [
        _versus_baselines(claim, at, "JSTDO", j, g, authors) for at, j, g in _groups_by_method(jstdo, metrics)
    ]


def _d0_close_far_above_dk(claim: Claim, metrics: pd.DataFrame, authors: bool = False) -> Rows:
    """Table 1: the D0-only model at least ``threshold_db`` (:data:`D0_MIN_ABOVE_DK_DB`) above the
    Dk-only model (the margin) and within ``d0_max_below_stdo`` (:data:`D0_MAX_BELOW_STDO_DB`) of
    STDO, both paired on the seeds all three have, at the cell's best k (else the k with D0, Dk
    and STDO metrics whose STDO is best by mean): held when both conditions hold, failed when
    either fails, else inconclusive."""
    single = ["STDO_D0_only", "STDO_Dk_only"]
    if not metrics["paper_method"].isin(single).any():
        return [claim.row(NOT_RUN, "no D0-only/Dk-only metrics: configure table1.backbones")]
    best_k = tables.best_stdo(metrics).drop_duplicates(tables.CELL).set_index(tables.CELL)["best_k"]
    rows = []
    for at, g in _cells(metrics, single):
        by = {lab: g[g["paper_method"] == lab] for lab in ("STDO", *single)}
        ks = [k for k in by["STDO_D0_only"]["k"].dropna().unique() if k in set(by["STDO_Dk_only"]["k"])]
        ks = [k for k in ks if k in set(by["STDO"]["k"].dropna())]
        if not ks:
            have = ", ".join(
                sorted(set(g.loc[g["paper_method"].isin(["STDO", *single]), "method"].astype(str)))
            )
            detail = f"no k with STDO, D0-only and Dk-only metrics together (have: {have or 'none'})"
            rows.append(claim.row(NOT_RUN, detail, at=at))
            continue
        key = tuple(g[tables.CELL].iloc[0])
        k = max(ks, key=lambda kk: _mean(by["STDO"][by["STDO"]["k"] == kk]))
        picked = [_best_method(by[lab][by[lab]["k"] == k]) for lab in ("STDO", *single)]
        stdo, d0, dk = picked
        assert stdo is not None and d0 is not None and dk is not None
        s_stdo, s_d0, s_dk = _series(stdo), _series(d0), _series(dk)
        common = sorted(set(s_stdo.dropna().index) & set(s_d0.dropna().index) & set(s_dk.dropna().index))
        far, close = paired(s_d0, s_dk, common), paired(s_stdo, s_d0, common)
        far_rule = claim.rule(">=")
        close_rule = Criterion("<=", claim.thresholds_db["d0_max_below_stdo"])
        status = combine([decide(far, far_rule), decide(close, close_rule)], far.n)
        detail = f"{_describe('STDO', stdo)}; {_describe('D0', d0)}; {_describe('Dk', dk)}"
        if far.n:
            detail += (
                f"; D0 - Dk {_interval(far)}: {kind(decide(far, far_rule))}"
                f"; STDO - D0 {_interval(close)}: {kind(decide(close, close_rule))}"
            )
        if far.n > 1:
            detail += f"; paired on {_seeds(far.seeds)}"
        left_out = sorted(set(s_stdo.dropna().index) | set(s_d0.dropna().index) | set(s_dk.dropna().index))
        left_out = [s for s in left_out if s not in common]
        if left_out:
            detail += f"; {_seeds(left_out)} not in all of STDO, D0 and Dk: left out"
        if key in best_k.index and k != best_k[key]:
            detail += " (not the best k: its D0/Dk were not run)"
        authors_db = _authors_diff(d0, dk, authors) if far.n else None
        rows.append(
            claim.row(status, detail, at=at, p=far, threshold=far_rule.threshold, margin_authors=authors_db)
        )
    return rows


def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise StdoError(f"{what} table lacks columns {missing}; has {list(df.columns)}")


def _groups(df: pd.DataFrame) -> Iterator[tuple[At, pd.DataFrame]]:
    """An ablation table's groups by (video, displayed backbone, scale)."""
    for (video, backbone, scale), g in df.groupby(["video", "backbone", "scale"], sort=True):
        yield _at(video, scale, backbone), g


def _ablation_series(g: pd.DataFrame, what: str) -> pd.Series:
    """An ablation group's PSNR per seed (index: seed)."""
    s = g.set_index("seed")["psnr_db"].astype(float)
    if s.index.has_duplicates:
        raise StdoError(f"{what}: two rows for seed {sorted(set(s.index[s.index.duplicated()]))}")
    return s


def _near_set(ks: Sequence[int]) -> str:
    return "{" + ", ".join(map(str, ks)) + "}"


def _best_k_near_4(claim: Claim, chunks: pd.DataFrame | None) -> Rows:
    """Figure 7a, per backbone: the best k of the claim's ``best_k_near`` (:data:`BEST_K_NEAR`)
    minus the best k outside them (each picked by mean PSNR over seeds), paired by seed, above 0."""
    ks = claim.settings["best_k_near"]
    near_set = _near_set(ks)
    if chunks is None:
        return [claim.row(NOT_RUN, "no chunk ablation: configure ablations.chunks")]
    _require(chunks, ["video", "scale", "backbone", "k", "psnr_db"], "chunk ablation")
    if chunks.empty:
        return [claim.row(NOT_RUN, "the chunk ablation table is empty")]
    chunks = with_seed(chunks)
    rows = []
    for at, g in _groups(chunks):
        g = g.assign(k=g["k"].astype(int))
        by_k = g.groupby("k")["psnr_db"].mean().sort_index()
        values = "; ".join(f"k={k} {v:.2f}" for k, v in by_k.items())
        detail = f"best k={int(by_k.idxmax())}; {values}"
        near = by_k[by_k.index.isin(ks)]
        far = by_k[~by_k.index.isin(ks)]
        if near.empty or far.empty:
            missing = f"no k in {near_set}" if near.empty else f"no k outside {near_set}"
            rows.append(claim.row(NOT_RUN, f"{missing} tried: {values}", at=at))
            continue
        kn, kf = int(near.idxmax()), int(far.idxmax())
        p = paired(
            _ablation_series(g[g["k"] == kn], f"chunk ablation k={kn}"),
            _ablation_series(g[g["k"] == kf], f"chunk ablation k={kf}"),
        )
        detail += f"; k={kn} (best in {near_set}) - k={kf} (best outside)" + _pairing(p, f"k={kn}", f"k={kf}")
        rule = claim.rule(">")
        rows.append(claim.row(decide(p, rule), detail, at=at, p=p, threshold=rule.threshold))
    return rows


def _more_d0_higher_psnr(claim: Claim, schedules: pd.DataFrame | None) -> Rows:
    """Figure 7b: PSNR rising as the schedules give D0 more of the joint set: last - first
    schedule above 0 and no consecutive step a measured drop, paired on the seeds every schedule
    has."""
    if schedules is None:
        return [claim.row(NOT_RUN, "no schedule ablation: configure ablations.schedules")]
    _require(schedules, ["video", "scale", "backbone", "schedule", "psnr_db"], "schedule ablation")
    if schedules.empty:
        return [claim.row(NOT_RUN, "the schedule ablation table is empty")]
    schedules = with_seed(schedules)
    rows = []
    for at, g in _groups(schedules):
        g = g.assign(schedule=g["schedule"].astype(int)).sort_values(["schedule", "seed"])
        order = list(dict.fromkeys(g["schedule"]))
        series = {i: _ablation_series(g[g["schedule"] == i], f"schedule ablation p{i}") for i in order}
        means = [float(series[i].mean()) for i in order]
        props = g.groupby("schedule")["proportions"].first() if "proportions" in g else pd.Series(dtype=str)
        values = "; ".join(
            f"p{i}"
            + (f" ({props[i]})" if isinstance(props.get(i), str) and props.get(i) else "")
            + f" {v:.2f}"
            for i, v in zip(order, means, strict=True)
        )
        if len(order) < 2:
            rows.append(claim.row(NOT_RUN, f"only one schedule: {values}", at=at))
            continue
        seeds = sorted(set.intersection(*(set(s.index) for s in series.values())))
        every = sorted(set.union(*(set(s.index) for s in series.values())))
        overall = paired(series[order[-1]], series[order[0]], seeds)
        steps = [paired(series[b], series[a], seeds) for a, b in zip(order, order[1:], strict=False)]
        step_rule, rule = Criterion(">=", 0.0), claim.rule(">")
        drops = np.diff(means)
        detail = values + (f"; largest drop {-drops.min():.2f}" if drops.min() < 0 else "")
        if overall.n > 1:
            measured = [
                f"p{a} -> p{b} {_interval(s)}"
                for a, b, s in zip(order, order[1:], steps, strict=False)
                if kind(decide(s, step_rule)) == FAILED
            ]
            detail += "".join(f"; measured drop {m}" for m in measured)
            detail += f"; paired on {_seeds(seeds)}"
        left_out = [s for s in every if s not in seeds]
        if left_out:
            detail += f"; {_seeds(left_out)} not in every schedule: left out"
        if overall.n == 0:
            rows.append(claim.row(NOT_RUN, detail + "; no seed in every schedule", at=at))
            continue
        decisions = [decide(overall, rule)] + [
            d for d in (decide(s, step_rule) for s in steps) if kind(d) == FAILED
        ]
        status = combine(decisions, overall.n)
        rows.append(claim.row(status, detail, at=at, p=overall, threshold=rule.threshold))
    return rows


def _long_video_close_to_parts(claim: Claim, long_video: pd.DataFrame | None) -> Rows:
    """Section 4.5: STDO on the long video within ``threshold_db`` (:data:`LONG_VIDEO_MAX_GAP_DB`)
    of the mean of STDO on its parts (the table of :func:`stdo.report.ablations.long_video_table`),
    paired by seed: the interval of long - mean(parts) inside [-1, 1] dB."""
    if long_video is None:
        return [claim.row(NOT_RUN, "no long-video ablation: configure ablations.long_video")]
    _require(long_video, ["video", "role", "backbone", "scale", "psnr_db"], "long-video ablation")
    lv = with_seed(long_video)
    roles = lv["role"].astype(str)
    parts, long = lv[roles.str.startswith("part")], lv[roles == "long video"]
    if parts.empty or long.empty:
        return [claim.row(NOT_RUN, "the long-video table lacks the long video or its parts")]
    r = long.iloc[0]
    at = _at(r["video"], r["scale"], r["backbone"])
    n_parts = parts["role"].nunique()
    per_seed = parts.groupby("seed").agg(mean=("psnr_db", "mean"), n=("role", "nunique"))
    whole = per_seed.loc[per_seed["n"] == n_parts, "mean"]
    p = paired(_ablation_series(long, "long-video ablation (long video)"), whole)

    def desc(x: pd.DataFrame) -> str:
        f = x.iloc[0]
        k = f" k={int(f['k'])}" if "k" in x and pd.notna(f["k"]) else ""
        return f"{f['video']}{k} {float(x['psnr_db'].mean()):.2f}"

    part_rows = [g for _, g in parts.groupby("role", sort=True)]
    detail = (
        f"long {desc(long)}; parts {', '.join(desc(x) for x in part_rows)}; "
        f"mean {float(whole.mean()) if len(whole) else float('nan'):.2f}"
    )
    detail += _pairing(p, "the long video", "every part")
    rule = claim.rule("abs<=")
    return [claim.row(decide(p, rule), detail, at=at, p=p, threshold=rule.threshold)]


def _real_time_on_device(claim: Claim, bench: pd.DataFrame | None = None) -> Rows:
    """Figure 5: STDO's model on a phone (the bench table's ``adb`` rows: one whole frame of the
    paper's task, float32) within latency < 50 ms and > 20 fps, per cell. Host CPU figures do
    not decide a claim about a mobile device. A latency, not a trained result: no seeds."""
    if bench is None:
        return [
            claim.row(
                NOT_RUN,
                "no phone benchmark: configure bench.adb and run snakemake bench "
                "(host CPU figures, which do not decide it, are in results/tables/bench.csv)",
            )
        ]
    phone = bench[
        (bench["backend"] == "adb") & (bench["size"] == "task") & (bench["dtype"] == "float32")
        & ~bench["routed"].astype(bool) & (bench["method"] == "STDO")
    ]  # fmt: skip
    if phone.empty:
        return [claim.row(NOT_RUN, "the bench table has no phone (adb) rows for STDO")]
    rows = []
    for (video, backbone, scale), g in phone.groupby(["video", "backbone", "scale"], sort=True):
        r = g.iloc[0]  # every k runs the same graph: one latency
        details = (
            f"STDO on {r['device']}: {float(r['latency_ms']):.1f} ms, {float(r['fps']):.1f} fps "
            "(a measured latency: no seeds)"
        )
        status = HELD if bool(r["real_time"]) else FAILED
        rows.append(claim.row(status, details, at=_at(video, scale, backbone)))
    return rows


# --- the claims, in table order ------------------------------------------------------------------

stdo_beats_baselines = register(
    Claim(
        name="stdo_beats_baselines",
        source="Table 2",
        statement="STDO (the best of its k) gives a higher PSNR than awDNN, NAS and CaFM",
        criterion="STDO (best k) - max(awDNN, NAS, CaFM) > 0",
        rows=_stdo_beats_baselines,
        needs=("metrics", "authors"),
        threshold_db=0.0,
    )
)
best_k_near_4 = register(
    Claim(
        name="best_k_near_4",
        source="Figure 7a",
        statement="PSNR is best when the video is divided into about 4 chunks",
        criterion=f"PSNR of the best k in {_near_set(BEST_K_NEAR)} - PSNR of the best k outside "
        f"{_near_set(BEST_K_NEAR)} > 0",
        rows=_best_k_near_4,
        needs=("chunks",),
        threshold_db=0.0,
        settings={"best_k_near": BEST_K_NEAR},
    )
)
jstdo_close_to_stdo = register(
    Claim(
        name="jstdo_close_to_stdo",
        source="Table 4",
        statement="JSTDO (one model) loses only a negligible PSNR against STDO with k models, at 1/k of "
        "the parameters",
        criterion=f"JSTDO - STDO (same k) >= -{JSTDO_MAX_DROP_DB:g} dB",
        rows=_jstdo_close_to_stdo,
        needs=("metrics", "authors"),
        threshold_db=-JSTDO_MAX_DROP_DB,
        thresholds_db={"jstdo_max_drop": JSTDO_MAX_DROP_DB},
    )
)
jstdo_beats_baselines = register(
    Claim(
        name="jstdo_beats_baselines",
        source="Table 4 / Section 4.3",
        statement="JSTDO still outperforms awDNN, NAS and CaFM",
        criterion="JSTDO - max(awDNN, NAS, CaFM) > 0",
        rows=_jstdo_beats_baselines,
        needs=("metrics", "authors"),
        threshold_db=0.0,
    )
)
d0_close_far_above_dk = register(
    Claim(
        name="d0_close_far_above_dk",
        source="Table 1",
        statement="STDO's D0-only model alone is close to STDO and far above the Dk-only model",
        criterion=f"D0 - Dk >= {D0_MIN_ABOVE_DK_DB:g} dB and STDO - D0 <= {D0_MAX_BELOW_STDO_DB:g} dB, both "
        "needed (paper, Table 1: STDO - D0 at most 0.44, D0 - Dk at least 3.36)",
        rows=_d0_close_far_above_dk,
        needs=("metrics", "authors"),
        threshold_db=D0_MIN_ABOVE_DK_DB,
        thresholds_db={"d0_max_below_stdo": D0_MAX_BELOW_STDO_DB, "d0_min_above_dk": D0_MIN_ABOVE_DK_DB},
    )
)
more_d0_higher_psnr = register(
    Claim(
        name="more_d0_higher_psnr",
        source="Figure 7b",
        statement="The more informative (D0) data joint training sees, the higher the PSNR",
        criterion="last - first schedule > 0 (more D0 later), and no step p(i+1) - p(i) whose whole "
        "interval is below 0",
        rows=_more_d0_higher_psnr,
        needs=("schedules",),
        threshold_db=0.0,
    )
)
long_video_close_to_parts = register(
    Claim(
        name="long_video_close_to_parts",
        source="Section 4.5",
        statement="STDO on a long video with scene changes is close to the mean of STDO on its parts",
        criterion=f"|long - mean(parts)| <= {LONG_VIDEO_MAX_GAP_DB:g} dB: the interval inside "
        f"[-{LONG_VIDEO_MAX_GAP_DB:g}, {LONG_VIDEO_MAX_GAP_DB:g}] "
        "(paper: 39.92 - mean(43.99, 37.76) = -0.955)",
        rows=_long_video_close_to_parts,
        needs=("long_video",),
        threshold_db=LONG_VIDEO_MAX_GAP_DB,
        thresholds_db={"long_video_max_gap": LONG_VIDEO_MAX_GAP_DB},
    )
)
real_time_on_device = register(
    Claim(
        name="real_time_on_device",
        source="Figure 5 / Section 4.4",
        statement="STDO runs in real time on a mobile phone (latency < 50 ms, > 20 FPS; 28 FPS WDSR "
        "270p->1080p)",
        criterion="latency < 50 ms and FPS > 20 on a mobile device",
        rows=_real_time_on_device,
        needs=("bench",),
    )
)


def check_claims(
    metrics: pd.DataFrame,
    *,
    chunks: pd.DataFrame | None = None,
    schedules: pd.DataFrame | None = None,
    long_video: pd.DataFrame | None = None,
    bench: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The claims table from ``metrics`` (as :func:`stdo.report.tables.load_metrics` returns them: one
    row per method and seed) and the optional ablation tables of :mod:`stdo.report.ablations`; columns
    :data:`COLUMNS`, plus ``margin_authors_db`` where the metrics have ``psnr_trainer`` values: the
    rows of every registered claim (:data:`CLAIMS`), in their order."""
    _require(metrics, ["video", "backbone", "scale", "method", "paper_method", "k", "psnr"], "metrics")
    # load_metrics may add an empty psnr_trainer column: the authors' margin only where it has values
    authors = "psnr_trainer" in metrics.columns and pd.to_numeric(metrics["psnr_trainer"]).notna().any()
    m = with_seed(metrics[pd.to_numeric(metrics["psnr"], errors="coerce").notna()])
    m["psnr"] = m["psnr"].astype(float)
    inputs = {"metrics": m, "authors": authors, "chunks": chunks, "schedules": schedules}
    inputs |= {"long_video": long_video, "bench": bench}
    rows = [row for claim in registered() for row in claim(**{n: inputs[n] for n in claim.needs})]
    df = pd.DataFrame(rows, columns=[*COLUMNS, AUTHORS_COLUMN])
    df["scale"] = pd.array(df["scale"], dtype="Int64")
    df["n_seeds"] = pd.array(df["n_seeds"], dtype="Int64")
    for col in DB_COLUMNS:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float).round(3)
    if authors:
        at = COLUMNS.index("criterion")
        return df[[*COLUMNS[:at], AUTHORS_COLUMN, *COLUMNS[at:]]]
    return df[COLUMNS]


def summary(df: pd.DataFrame) -> list[str]:
    """One line per claim: in how many of its cells it held, failed, was inconclusive (and how
    many were decided on one seed)."""
    lines = []
    for claim, g in df.groupby("claim", sort=False):
        kinds = g["status"].map(kind).value_counts()
        held, failed, unsure, not_run = (int(kinds.get(s, 0)) for s in (HELD, FAILED, INCONCLUSIVE, NOT_RUN))
        source = g["source"].iloc[0]
        decided = held + failed + unsure
        if decided == 0:
            lines.append(f"- `{claim}` ({source}): not run ({g['details'].iloc[0]})")
            continue
        one = int(g["status"].isin([HELD_ONE_SEED, FAILED_ONE_SEED]).sum())
        tail = f" ({one} of them on one seed: noise not measured)" if one else ""
        tail += f"; {not_run} not run" if not_run else ""
        lines.append(
            f"- `{claim}` ({source}): held in {held} of {decided} cells, failed in {failed}, "
            f"inconclusive in {unsure}{tail}"
        )
    return lines


PSNR_NOTE = (
    "PSNR in dB: RGB, 0..255, no border shave, pooled over every pixel of the video "
    "(see `stdo.core.metrics`); margins and statuses use it."
)
AUTHORS_NOTE = (
    f"`{AUTHORS_COLUMN}`: the same mean paired margin under the STDO authors' protocol "
    "(`psnr_trainer`: scale + 4 pixels shaved at each border of each patch, the mean of the chunks' "
    "MSEs), the protocol of the STDO authors' numbers in the paper, between the same methods and "
    "k as `margin_db` (chosen in ours; Table 2's `is_paper_best_k` is the trainer protocol's best)."
)
PRECISE = ("margin_se_db", "ci_low_db", "ci_high_db")  # columns shown to 3 decimals (others: 2)


def to_markdown(df: pd.DataFrame, footer: dict[str, Any] | None = None) -> str:
    """The claims table as Markdown: title, per-claim summary, table, the decision rule, PSNR
    convention, footer (:func:`stdo.report.tables.footer` unless given)."""
    psnr = PSNR_NOTE + (f"\n{AUTHORS_NOTE}" if AUTHORS_COLUMN in df.columns else "")
    return markdown.page(
        "The paper's claims checked against our metrics",
        "\n".join(summary(df) + budget_summary(df) + seeds_note(df)),
        markdown.table(df, column_floats=dict.fromkeys(PRECISE, ".3f")),
        RULE,
        psnr,
        footer=tables.footer() if footer is None else footer,
    )


BUDGET_KEY = ["claim", "video", "backbone", "scale"]


def add_budget_columns(df: pd.DataFrame, sweep: pd.DataFrame) -> pd.DataFrame:
    """The claims table ``df`` (decided at the largest budget) with, per claim and cell, the
    status at every budget of ``sweep`` (stdo.report.budget's table: ``status_e<b>``),
    ``converged_at`` and ``budget_verdict`` (converged at N epochs, or still moving with budget);
    ``budget`` says which budget ``status`` and the margins are of. Rows of claims the sweep does
    not decide (the ablations', the device's) get none."""
    if sweep.empty:
        return df
    wide = sweep.pivot_table(index=BUDGET_KEY, columns="budget", values="status", aggfunc="first")
    wide.columns = [f"status_e{int(b)}" for b in wide.columns]
    last = sweep.groupby(BUDGET_KEY)[["converged_at", "verdict"]].first()
    extra = wide.join(last.rename(columns={"verdict": "budget_verdict"})).reset_index()
    extra["scale"] = pd.array(extra["scale"], dtype="Int64")
    out = df.merge(extra, on=BUDGET_KEY, how="left")
    out.insert(
        out.columns.get_loc("status"),
        "budget",
        pd.array([int(sweep["budget"].max())] * len(out), dtype="Int64"),
    )
    out["converged_at"] = pd.array(out["converged_at"], dtype="Int64")
    return out


def seeds_note(df: pd.DataFrame) -> list[str]:
    """Where the seeds are too few to decide: with two, Student's t quantile of one degree of
    freedom (12.7) makes the 95 % interval 12.7 standard errors wide on each side."""
    n = pd.to_numeric(df["n_seeds"], errors="coerce").dropna()
    if n.empty or int(n.max()) != 2:
        return []
    q = float(stats.t.ppf(0.5 + CONFIDENCE / 2, 1))
    return [
        f"- Two seeds cannot decide most of these claims: with two the 95 % interval is {q:.1f} standard "
        "errors wide on each side (Student t, one degree of freedom), so two seeds that agree to 0.01-0.02 "
        "dB still leave a margin of a few tenths of a dB inconclusive. Three seeds or more, at budgets "
        "swept until the margins converge (study.budgets; the published converge study: "
        "docs/studies/converge/), decide them."
    ]


def budget_summary(df: pd.DataFrame) -> list[str]:
    """Per claim the sweep decides, in words: where its margin is still moving with budget."""
    if "budget_verdict" not in df:
        return []
    lines = []
    for claim, g in df[df["budget_verdict"].notna()].groupby("claim", sort=False):
        moving = g[g["budget_verdict"].str.startswith("still")]
        where = ", ".join(f"{r.video} x{r.scale} {r.backbone}" for r in moving.itertuples())
        lines.append(
            f"- `{claim}`: its margin has converged with budget in {len(g) - len(moving)} of {len(g)} cells"
            + (
                f"; still moving with budget in {where}: there the status is that of the largest budget "
                f"({int(g['budget'].max())} epochs), not a property of the method"
                if len(moving)
                else ""
            )  # fmt: skip
        )
    return lines


def _read(path: Path | None) -> pd.DataFrame | None:
    return None if path is None else pd.read_csv(path)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo claims", description=__doc__)
    p.add_argument("--metrics", required=True, nargs="+", type=Path)
    for name, source in TABLE_INPUTS.items():
        p.add_argument(f"--{name.replace('_', '-')}", type=Path, default=None, help=source)
    p.add_argument("--budget", type=Path, default=None, help="results/tables/budget.csv (study.budgets)")
    cliargs.add_stdo_k(p)
    p.add_argument("--out-csv", required=True, type=Path)
    p.add_argument("--out-md", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("claims"):
        given = {name: getattr(args, name) for name in TABLE_INPUTS}
        ablation_paths = [x for x in [*given.values(), args.budget] if x is not None]
        for path in [*args.metrics, *ablation_paths]:
            if not path.exists():
                raise StdoError(f"{path}: file not found")
        df = check_claims(
            tables.load_metrics(args.metrics, args.stdo_k), **{n: _read(x) for n, x in given.items()}
        )
        if args.budget is not None:
            df = add_budget_columns(df, pd.read_csv(args.budget))
        io.write_csv(args.out_csv, df)
        io.write_text(args.out_md, to_markdown(df))
        claims = registered()
        params = {
            **given,
            "thresholds_db": {k: v for c in claims for k, v in c.thresholds_db.items()},
            **{k: list(v) if isinstance(v, tuple) else v for c in claims for k, v in c.settings.items()},
            "confidence": CONFIDENCE,
            "rule": "paired by seed; Student t interval; held/failed when the interval is on one side",
        }
        for out in (args.out_csv, args.out_md):
            io.write_sidecar(out, stage="claims", params=params, inputs=[*args.metrics, *ablation_paths])
        print(df.to_string(index=False))


if __name__ == "__main__":
    main()
