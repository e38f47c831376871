"""Tables from evaluation metrics, with the paper's value and our difference beside ours.

Tables 1-4 of the paper. Table 2: one row per video, backbone, scale and method; every STDO
``k`` gets a row and the best ``k`` of each cell is marked (the paper reports the best of k
in {2, 4, 6}); Tables 1 and 3 use each cell's best k. The paper's cell is matched through the
video's ``paper`` label in the config (``video`` and ``duration_s``); videos without one
(the demo, a user's video) have no paper value. Each table is written as CSV and Markdown;
the Markdown ends with a footer naming the config hash and git revision.

PSNR columns (see :mod:`stdo.core.metrics`): ``psnr_db`` (our convention, the headline),
``psnr_trainer_db`` (the STDO trainer's protocol, in which STDO's authors made the paper's
numbers), ``psnr_vsd4k_db`` (VSD4K.py's offline evaluation) and ``psnr_cafm_db`` (CaFM's, where
a video has ``split: cafm``). Each paper cell is compared in the protocol it was made in: its
``source`` in the paper data (``stdo``: the STDO authors' runs, trainer protocol; ``cafm``:
reported from CaFM's README, CaFM's protocol); ``paper_protocol`` names it and ``diff_db`` is
that column minus the paper's. One protocol per comparison: the k that carries the paper's cell
(``is_paper_best_k``, Tables 1 and 3 use it) is the best k in that same protocol, while
``is_best_k`` (our headline) is the best k in ours.

Seeds (``train.seeds``): every method is trained and evaluated once per seed; each table gives
the mean PSNR over seeds (``psnr_db``), its standard deviation (``psnr_std_db``, empty for one
seed) and the number of seeds (``n_seeds``), and STDO's best k is the k of the highest mean.

The regime (Tables 2 and 4, from the ``regime`` stage's table, :mod:`stdo.workflow.regime`): the optimiser
steps each of a method's models takes (``steps_per_model``) and the LR pixels of a model's
training share per parameter (``lr_pixels_per_param``), each beside the paper's matching cell.

Every model is compared with plain bicubic upscaling of the same video and scale (the
references from the score stage): Table 2 carries a ``bicubic`` and an ``f0`` row per video
and scale, and Tables 1, 2 and 4 give each model's margin over bicubic (``vs_bicubic_db``) and
flag a model below it (``below_bicubic``, and a line under the table), never hiding it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stdo import methods
from stdo.core import cliargs, io
from stdo.report import markdown, paper

CELL = ["video", "backbone", "scale"]
PSNR_COLS = ["psnr", "psnr_trainer", "psnr_vsd4k", "psnr_cafm"]  # averaged over seeds (where present)
REGIME_COLS = ["steps_per_model", "paper_steps_per_model", "lr_pixels_per_param", "paper_lr_pixels_per_param"]
REF_COLS = ["video", "scale", "bicubic_psnr", "bicubic_psnr_trainer", "bicubic_psnr_vsd4k", "f0_psnr",
            "f0_psnr_trainer", "f0_psnr_vsd4k"]  # fmt: skip
PROTOCOLS = {"stdo": "psnr_trainer", "cafm": "psnr_cafm"}  # paper source -> the column it is compared in


def load_metrics(paths: list[Path], stdo_k: Sequence[int] | None = None) -> pd.DataFrame:
    """Evaluation metrics, one row per ``metrics.json``: the method's paper label
    (``paper_method``) and ``k``, ``backbone`` as its display name (the registry id in
    ``backbone_id``), and ``best_of``: whether an STDO row competes for the best k of its cell
    (its k is one of ``stdo_k``, the config's ``stdo.k``; all STDO rows when not given). STDO
    evaluated only at JSTDO's k for Table 4 thus stays out of Table 2's best of k."""
    rows = []
    for p in paths:
        m = json.loads(Path(p).read_text())
        rows.append({k: v for k, v in m.items() if not isinstance(v, (list, dict))})
    df = pd.DataFrame(rows)
    labels = df["method"].map(method_label)
    df["paper_method"] = [lab for lab, _ in labels]
    df["k"] = pd.array([k for _, k in labels], dtype="Int64")
    df["backbone_id"] = df["backbone"]
    df["backbone"] = df["backbone"].map(paper.backbone_name)
    stdo = df["paper_method"] == "STDO"
    df["best_of"] = stdo if stdo_k is None else stdo & df["k"].isin(list(stdo_k)).fillna(False).astype(bool)
    for col in ("paper_video", "paper_duration_s", "psnr_trainer", "psnr_vsd4k", "psnr_cafm"):
        if col not in df:
            df[col] = None
    df["seed"] = pd.to_numeric(df["seed"], errors="coerce").fillna(0).astype(int) if "seed" in df else 0
    run = ["video", "scale", "backbone_id", "method", "seed", *(["budget"] if "budget" in df else [])]
    dup = df.duplicated(run)
    if dup.any():
        r = df[dup].iloc[0]
        what = f"{r['video']} x{r['scale']} {r['backbone_id']} {r['method']} seed {r['seed']}" + (
            f" budget {r['budget']}" if "budget" in run else ""
        )
        raise ValueError(f"two metrics files for {what}")
    return df


def aggregate_seeds(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per video, scale, backbone and method from one row per seed: the PSNR columns
    (:data:`PSNR_COLS`) are the means over seeds, ``psnr_std`` their standard deviation
    (``ddof=1``; NaN for one seed), ``n_seeds`` how many seeds and ``seeds`` which; every other
    column is the first seed's (they do not depend on the seed). Rows already aggregated
    (``n_seeds`` present) come back unchanged."""
    if "n_seeds" in metrics.columns or metrics.empty:
        return metrics
    df = metrics.copy()
    if "seed" not in df:
        df["seed"] = 0
    psnr_cols = [c for c in PSNR_COLS if c in df]
    for col in psnr_cols:
        df[col] = pd.to_numeric(df[col], errors="coerce")
    keys = ["video", "scale", "backbone_id" if "backbone_id" in df else "backbone", "method"]
    df = df.sort_values([*keys, "seed"], kind="stable")
    g = df.groupby(keys, sort=False, dropna=False)
    out = g.first().reset_index()
    for col in psnr_cols:
        out[col] = g[col].mean().to_numpy()
    out["psnr_std"] = g["psnr"].std(ddof=1).to_numpy()
    out["n_seeds"] = g["seed"].count().to_numpy()
    out["seeds"] = [",".join(str(int(x)) for x in v) for v in g["seed"].agg(list)]
    out["k"] = pd.array(out["k"], dtype="Int64")
    return out.drop(columns=["seed"])


def add_regime(df: pd.DataFrame, regime: pd.DataFrame | None) -> pd.DataFrame:
    """The regime columns (:data:`REGIME_COLS`) of each trained method, joined on video, scale,
    backbone (registry id) and method id (and budget, where both carry one: study.budgets; a
    regime swept over budgets gives metrics without one its largest budget's rows); empty where
    the regime table has no such row."""
    df = df.copy()
    if regime is None or regime.empty or "backbone_id" not in df:
        for col in REGIME_COLS:
            df[col] = np.nan
        return df
    missing = [c for c in ["video", "scale", "backbone", "method", *REGIME_COLS] if c not in regime]
    if missing:
        raise ValueError(f"the regime table lacks columns {missing}; rerun the regime stage")
    keys = ["video", "scale", "backbone_id", "method"]
    if "budget" in regime and regime["budget"].notna().any():
        if "budget" in df and df["budget"].notna().all():
            keys.append("budget")
        else:
            regime = regime[regime["budget"] == regime["budget"].max()]
    reg = regime.rename(columns={"backbone": "backbone_id"})[[*keys, *REGIME_COLS]]
    types = {"video": str, "scale": int, "backbone_id": str, "method": str} | (
        {"budget": int} if "budget" in keys else {}
    )
    reg = reg.astype(types)
    df = df.drop(columns=[c for c in REGIME_COLS if c in df])
    left = df[keys].astype(types)
    joined = left.merge(reg.drop_duplicates(keys), on=keys, how="left")
    for col in REGIME_COLS:
        df[col] = joined[col].to_numpy()
    return df


def load_references(paths: list[Path]) -> pd.DataFrame:
    """Bicubic and f0 over each whole video and scale (the score stage's ``score_summary.json``,
    labelled with video and scale)."""
    rows = []
    for p in paths:
        s = json.loads(Path(p).read_text())
        if "video" not in s or "scale" not in s:
            raise ValueError(f"{p}: score summary without video/scale labels; rerun the score stage")
        rows.append({k: v for k, v in s.items() if not isinstance(v, (list, dict))})
    df = pd.DataFrame(rows, columns=None if rows else REF_COLS)
    for col in (*REF_COLS, "paper_video", "paper_duration_s", "f0_backbone", "f0_parameters"):
        if col not in df:
            df[col] = None
    return df


def reference_rows(refs: pd.DataFrame) -> pd.DataFrame:
    """Table 2's rows for plain bicubic upscaling and the generic model f0, per video and scale."""
    rows = []
    for _, r in refs.iterrows():
        base = {k: r.get(k) for k in ("video", "scale", "paper_video", "paper_duration_s")}
        rows.append(
            base
            | {"paper_method": "bicubic", "backbone": "-", "models": 0, "parameters": 0}
            | {"psnr": r["bicubic_psnr"], "psnr_trainer": r["bicubic_psnr_trainer"]}
            | {"psnr_vsd4k": r["bicubic_psnr_vsd4k"]}
        )
        rows.append(
            base
            | {"paper_method": "f0", "backbone": paper.backbone_name(str(r["f0_backbone"])), "models": 1}
            | {"parameters": r["f0_parameters"], "psnr": r["f0_psnr"], "psnr_trainer": r["f0_psnr_trainer"]}
            | {"psnr_vsd4k": r["f0_psnr_vsd4k"]}
        )
    return pd.DataFrame(rows)


def flag_bicubic(df: pd.DataFrame, refs: pd.DataFrame | None) -> pd.DataFrame:
    """Add ``vs_bicubic_db`` (PSNR minus bicubic's on the same video and scale, our convention)
    and ``below_bicubic`` to rows of trained models (reference rows and unknown cells: empty)."""
    df = df.copy()
    if refs is None or refs.empty:
        df["vs_bicubic_db"] = np.nan
        df["below_bicubic"] = pd.array([pd.NA] * len(df), dtype="boolean")
        return df
    bic = refs.set_index(["video", "scale"])["bicubic_psnr"]
    base = [bic.get((v, int(s)), np.nan) for v, s in zip(df["video"], df["scale"], strict=True)]
    margin = (df["psnr"] - np.asarray(base, dtype=float)).round(2)
    trained = ~df.get("paper_method", pd.Series("", index=df.index)).isin(["bicubic"])
    df["vs_bicubic_db"] = margin.where(trained)
    below = pd.array([pd.NA] * len(df), dtype="boolean")
    known = trained & margin.notna()
    below[known.to_numpy()] = df.loc[known, "psnr"].to_numpy() <= np.asarray(base)[known.to_numpy()]
    df["below_bicubic"] = below
    return df


def bicubic_note(df: pd.DataFrame) -> str | None:
    """The line under a table about models below bicubic (None where nothing was compared)."""
    if "below_bicubic" not in df or df["below_bicubic"].isna().all():
        return None
    below = df[df["below_bicubic"].fillna(False).astype(bool)]
    if below.empty:
        worst = df["vs_bicubic_db"].min()
        return f"Every model in this table is above bicubic upscaling (smallest margin {worst:+.2f} dB)."
    names = "; ".join(
        f"{r.video} x{r.scale} {r.backbone} {r.method}{'' if pd.isna(r.k) else f' k={r.k}'} "
        f"({r.vs_bicubic_db:+.2f} dB)"
        for r in below.reindex(
            columns=["video", "scale", "backbone", "method", "k", "vs_bicubic_db"]
        ).itertuples()
    )
    return f"**Below bicubic upscaling: {len(below)} model(s)**, a bug or an untrained model: {names}."


def method_label(method: str) -> tuple[str, int | None]:
    """Paper method name and (for chunked methods) k of one of our method ids (the registry's)."""
    return methods.method_label(method)


def _order(labels: pd.Series) -> pd.Series:
    return labels.map(methods.label_order())


def best_stdo(df: pd.DataFrame, by: str = "psnr") -> pd.DataFrame:
    """Per cell, the k whose STDO PSNR (column ``by``: ours, or the protocol of a comparison with
    the paper) is highest among the STDO rows that compete for it (``best_of``; the paper reports
    the best of its k)."""
    competing = df["best_of"] if "best_of" in df else df["paper_method"] == "STDO"
    stdo = df[(df["paper_method"] == "STDO") & competing]
    if stdo.empty:
        return pd.DataFrame(columns=[*CELL, "best_k"])
    values = pd.to_numeric(stdo[by])
    stdo = stdo.assign(_value=values)[values.notna()]
    if stdo.empty:
        return pd.DataFrame(columns=[*CELL, "best_k"])
    # the mean over seeds (rows of one seed each, or already aggregated: one row per k)
    means = stdo.groupby([*CELL, "k"], as_index=False)["_value"].mean()
    best = means.loc[means.groupby(CELL)["_value"].idxmax(), [*CELL, "k"]]
    return best.rename(columns={"k": "best_k"}).reset_index(drop=True)


def _paper_value(n: int, r: pd.Series, method: str, column: str = "psnr_db", **extra: Any) -> Any:
    return paper.lookup(
        n,
        column=column,
        backbone=r["backbone"],
        method=method,
        video=r.get("paper_video"),
        duration_s=r.get("paper_duration_s"),
        scale=int(r["scale"]),
        **extra,
    )


def _paper_cells(n: int, df: pd.DataFrame, method_col: str, keep: pd.Series | None = None) -> pd.DataFrame:
    """The paper's value (``paper_psnr_db``) and its ``paper_source`` for each row where ``keep``."""
    keep = pd.Series(True, index=df.index) if keep is None else keep
    rows = list(zip(df.iterrows(), keep, strict=True))
    df["paper_psnr_db"] = [_paper_value(n, r, r[method_col]) if k else None for (_, r), k in rows]
    df["paper_source"] = [
        _paper_value(n, r, r[method_col], column="source") if k else None for (_, r), k in rows
    ]
    return df


def _paper_best(metrics: pd.DataFrame) -> pd.DataFrame:
    """Best k per cell in the protocol STDO's paper cells were made in (the trainer's); cells
    without it (patches too small for its shave) fall back to ours, having no paper comparison."""
    best = best_stdo(metrics, by="psnr_trainer")
    ours = best_stdo(metrics)
    rest = ours.merge(best[CELL], on=CELL, how="left", indicator=True)
    rest = rest[rest["_merge"] == "left_only"].drop(columns="_merge")
    return pd.concat([best, rest], ignore_index=True) if not rest.empty else best


def _finish(df: pd.DataFrame, paper_col: str = "paper_psnr_db") -> pd.DataFrame:
    """Rounded PSNR columns (means over seeds; ``psnr_std_db`` their sd), and the difference
    from the paper in the protocol of its cell
    (``paper_protocol``: the trainer's for STDO's own runs, CaFM's for cells reported from CaFM)."""
    df["psnr_db"] = pd.to_numeric(df["psnr"]).round(2)
    df["psnr_std_db"] = pd.to_numeric(df.get("psnr_std", pd.Series(np.nan, index=df.index))).round(3)
    for col in ("n_seeds", "steps_per_model", "paper_steps_per_model"):  # counts, empty for reference rows
        if col in df:
            df[col] = pd.array(pd.to_numeric(df[col]).round(), dtype="Int64")
    for name in ("psnr_trainer", "psnr_vsd4k", "psnr_cafm"):
        df[f"{name}_db"] = pd.to_numeric(df[name] if name in df else np.nan).round(2)
    source = df["paper_source"] if "paper_source" in df else pd.Series(None, index=df.index, dtype=object)
    has = pd.to_numeric(df[paper_col]).notna()
    protocol = [PROTOCOLS.get(s or "stdo") if h else None for s, h in zip(source, has, strict=True)]
    df["paper_protocol"] = protocol
    ours = [r.get(f"{c}_db") if c else np.nan for (_, r), c in zip(df.iterrows(), protocol, strict=True)]
    df["diff_db"] = (pd.to_numeric(pd.Series(ours, index=df.index)) - pd.to_numeric(df[paper_col])).round(2)
    return df


def table2(
    metrics: pd.DataFrame, refs: pd.DataFrame | None = None, regime: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every method x backbone x scale x video; each STDO k of ``stdo.k``, the best marked
    (``is_best_k``); bicubic and f0; the regime of each trained method beside the paper's."""
    metrics = add_regime(aggregate_seeds(metrics), regime)
    main = metrics["paper_method"].isin(methods.main_table_labels())
    stdo = metrics["paper_method"] == "STDO"
    df = metrics[main & (~stdo | metrics.get("best_of", stdo))].copy()
    df = df.merge(best_stdo(metrics), on=CELL, how="left")
    df["is_best_k"] = ((df["paper_method"] == "STDO") & (df["k"] == df["best_k"])).fillna(False).astype(bool)
    paper_best = _paper_best(metrics).rename(columns={"best_k": "paper_best_k"})
    df = df.merge(paper_best, on=CELL, how="left")
    stdo_rows = df["paper_method"] == "STDO"
    df["is_paper_best_k"] = (stdo_rows & (df["k"] == df["paper_best_k"])).fillna(False).astype(bool)
    df = _paper_cells(2, df, "paper_method", ~stdo_rows | df["is_paper_best_k"])
    if refs is not None and not refs.empty:
        ref = reference_rows(refs[refs["video"].isin(metrics["video"])])
        ref["is_best_k"], ref["is_paper_best_k"], ref["paper_psnr_db"] = False, False, None
        df = pd.concat([ref, df], ignore_index=True)
    df = flag_bicubic(_finish(df), refs)
    df["_o"] = _order(df["paper_method"])
    df = df.sort_values(["video", "_o", "backbone", "scale", "k"])
    cols = ["video", "paper_video", "paper_duration_s", "backbone", "scale", "paper_method", "k", "is_best_k",
            "is_paper_best_k", "models", "parameters", "n_seeds", "psnr_db", "psnr_std_db",
            "psnr_trainer_db", "psnr_vsd4k_db", "psnr_cafm_db", "vs_bicubic_db", "below_bicubic",
            "paper_psnr_db", "paper_source", "paper_protocol", "diff_db", *REGIME_COLS]  # fmt: skip
    return df.reindex(columns=cols).rename(columns={"paper_method": "method"})


def table1(metrics: pd.DataFrame, refs: pd.DataFrame | None = None) -> pd.DataFrame:
    """awDNN, STDO and STDO's D0-only and Dk-only models alone on the whole video (best k in the
    protocol of the paper's cells, the trainer's)."""
    metrics = aggregate_seeds(metrics)
    best = _paper_best(metrics)
    df = metrics.merge(best, on=CELL, how="inner")
    keep = (df["paper_method"] == "awDNN") | (
        df["paper_method"].isin(["STDO", "STDO_D0_only", "STDO_Dk_only"]) & (df["k"] == df["best_k"])
    )
    df = df[keep & df["backbone"].isin(df.loc[df["paper_method"] == "STDO_D0_only", "backbone"])].copy()
    df = _paper_cells(1, df, "paper_method")
    df = flag_bicubic(_finish(df), refs)
    df["_o"] = _order(df["paper_method"])
    df = df.sort_values(["video", "backbone", "_o", "scale"])
    cols = ["video", "paper_video", "paper_duration_s", "backbone", "paper_method", "k", "scale", "n_seeds",
            "psnr_db", "psnr_std_db", "psnr_trainer_db", "psnr_vsd4k_db", "vs_bicubic_db", "below_bicubic",
            "paper_psnr_db", "paper_source", "paper_protocol", "diff_db"]  # fmt: skip
    return df.reindex(columns=cols).rename(columns={"paper_method": "method"})


def table3(metrics: pd.DataFrame, refs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Backbone x scale: MACs for one 48x48 LR input (ours and the paper's), CaFM and STDO PSNR in
    the protocol of the paper's Table 3 (the STDO trainer's; STDO at its best k in it), means over
    seeds."""
    metrics = aggregate_seeds(metrics)
    best = _paper_best(metrics)
    stdo = metrics.merge(best, on=CELL).query("paper_method == 'STDO' and k == best_k")
    cafm = metrics[metrics["paper_method"] == "CaFM"][[*CELL, "psnr_trainer"]]
    cafm = cafm.rename(columns={"psnr_trainer": "cafm_trainer"})
    df = stdo.merge(cafm, on=CELL, how="left")
    rows = []
    for _, r in df.iterrows():
        ref = paper.table(3)
        hit = ref[(ref["backbone"] == r["backbone"]) & (ref["scale"] == int(r["scale"]))]
        has_cell = (
            not hit.empty
            and r.get("paper_video") == hit["video"].iloc[0]
            and r.get("paper_duration_s") == hit["duration_s"].iloc[0]
        )
        rows.append(
            {
                "video": r["video"],
                "backbone": r["backbone"],
                "scale": int(r["scale"]),
                "gmacs_48x48": round(r["macs_48"] / 1e9, 3),
                "paper_gflops": float(hit["gflops"].iloc[0]) if not hit.empty else None,
                "n_seeds": int(r["n_seeds"]),
                "cafm_psnr_trainer_db": round(r["cafm_trainer"], 2) if pd.notna(r["cafm_trainer"]) else None,
                "paper_psnr_cafm_db": float(hit["psnr_cafm_db"].iloc[0]) if has_cell else None,
                "stdo_psnr_trainer_db": round(r["psnr_trainer"], 2) if pd.notna(r["psnr_trainer"]) else None,
                "stdo_k": int(r["k"]),
                "paper_psnr_stdo_db": float(hit["psnr_stdo_db"].iloc[0]) if has_cell else None,
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return out.sort_values(
        ["video", "backbone", "scale"],
        key=lambda c: c.map(paper.backbone_rank) if c.name == "backbone" else c,
    )


def table4(
    metrics: pd.DataFrame, refs: pd.DataFrame | None = None, regime: pd.DataFrame | None = None
) -> pd.DataFrame:
    """STDO against JSTDO at JSTDO's k: chunks, models, parameters, PSNR (mean over seeds, sd),
    the drop (of the means) and the regime of each beside the paper's."""
    metrics = add_regime(aggregate_seeds(metrics), regime)
    jstdo = metrics[metrics["paper_method"] == "JSTDO"]
    rows = []
    for _, j in jstdo.iterrows():
        cell = (metrics[CELL] == j[CELL]).all(axis=1)
        stdo = metrics[cell & (metrics["paper_method"] == "STDO") & (metrics["k"] == j["k"])]
        for label, r in (("STDO", stdo.iloc[0] if len(stdo) else None), ("JSTDO", j)):
            if r is None:
                continue
            rows.append(
                {
                    "video": r["video"],
                    "backbone": r["backbone"],
                    "scale": int(r["scale"]),
                    "method": label,
                    "chunks": int(j["k"]),
                    "models": int(r["models"]),
                    "params_m": round(r["parameters"] / 1e6, 3),
                    "train_patches": int(r["train_patches"]),
                    "n_seeds": int(r["n_seeds"]),
                    "psnr": r["psnr"],
                    "psnr_std": r["psnr_std"],
                    "psnr_trainer": r["psnr_trainer"],
                    "psnr_vsd4k": r["psnr_vsd4k"],
                    "psnr_cafm": r["psnr_cafm"],
                    "paper_psnr_db": _paper_value(4, r, label),
                    "paper_source": _paper_value(4, r, label, column="source"),
                }
                | {col: r.get(col) for col in REGIME_COLS}
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    drop = ["psnr", "psnr_std", "psnr_trainer", "psnr_vsd4k", "psnr_cafm"]
    out = flag_bicubic(_finish(out), refs).drop(columns=drop)
    stdo_psnr = out[out["method"] == "STDO"].set_index(CELL)["psnr_db"]
    out["drop_db"] = [
        round(stdo_psnr.get(tuple(r[CELL]), float("nan")) - r["psnr_db"], 2)
        if r["method"] == "JSTDO"
        else None
        for _, r in out.iterrows()
    ]
    last = ["diff_db", *REGIME_COLS]
    out = out.reindex(columns=[c for c in out.columns if c not in last] + last)
    return out.sort_values(["video", "backbone", "scale", "method"], ascending=[True, True, True, False])


def _backbones(df: pd.DataFrame) -> str:
    names = sorted(set(df.get("backbone", pd.Series(dtype=str)).dropna()) - {"-"}, key=paper.backbone_rank)
    return ", ".join(names) or "no backbone"


TABLES = {
    1: (table1, "Table 1: {backbones} awDNN, STDO and STDO's single-chunk models (D0 only, Dk only)"),
    2: (table2, "Table 2: STDO and the baselines on each backbone and scale"),
    3: (table3, "Table 3: computation (MACs of one 48x48 LR input) and PSNR of CaFM and STDO"),
    4: (table4, "Table 4: STDO (k models) against JSTDO (one model)"),
}


PSNR_NOTE = (
    "PSNR in dB (see `stdo.core.metrics`): `psnr_db` is ours (RGB, 0..255, no border shave, pooled over "
    "every pixel of the video); `psnr_trainer_db` the STDO trainer's protocol (each patch shaved by "
    "scale + 4 pixels, the mean of the chunks' patch MSEs; models/wdsr.py, common/metrics.py psnr_mse); "
    "`psnr_vsd4k_db` VSD4K.py's get_patch_psnr (shave 4, patch MSEs averaged); `psnr_cafm_db` CaFM's "
    "(held-out whole frames, shave scale + 6, mean of per-frame PSNRs; src/utility.py calc_psnr). Each "
    "paper cell is compared in the protocol it was made in (`paper_protocol`, from its `paper_source`: "
    "`stdo` the STDO authors' runs, trainer protocol; `cafm` reported from CaFM's README, CaFM's "
    "protocol): `diff_db` is that column minus the paper's, empty where this run lacks it; the k that "
    "carries the paper's cell is the best k in that protocol (`is_paper_best_k`), `is_best_k` the "
    "best in ours. `vs_bicubic_db`: margin over bicubic upscaling of the same video and scale (ours). "
    "With several seeds (`n_seeds`), PSNR columns are means over seeds and `psnr_std_db` the "
    "standard deviation of ours; the regime columns (`steps_per_model`, `lr_pixels_per_param`, each "
    "beside the paper's) are those of `stdo plan` (results/tables/regime.md)."
)


def to_markdown(df: pd.DataFrame, title: str, footer: dict[str, Any], notes: list[str] | None = None) -> str:
    """A table as Markdown: title, the table, ``notes`` and the PSNR conventions under it, footer."""
    return markdown.page(title, markdown.table(df), *(notes or []), PSNR_NOTE, footer=footer)


def footer() -> dict[str, Any]:
    cfg = io.resolved_config()
    git = io.git_revision()
    return {
        "config sha256": io.sha256_json(cfg) if cfg is not None else "n/a (not run from Snakemake)",
        "git revision": (git["commit"] or "n/a") + (" (dirty)" if git["dirty"] else ""),
        "stdo version": io.package_versions()["stdo"],
    }


def write_table(df: pd.DataFrame, out_csv: Path, out_md: Path, title: str, inputs: list[Path]) -> None:
    io.write_csv(out_csv, df)
    title = title.format(backbones=_backbones(df))
    note = bicubic_note(df)
    io.write_text(out_md, to_markdown(df, title, footer(), [note] if note else []))
    for out in (out_csv, out_md):
        io.write_sidecar(out, stage="tables", params={"title": title}, inputs=inputs)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo tables", description=__doc__)
    p.add_argument("--metrics", required=True, nargs="+", type=Path)
    p.add_argument("--references", nargs="*", type=Path, default=[], help="score_summary.json files")
    p.add_argument("--table", type=int, choices=sorted(TABLES), required=True)
    cliargs.add_stdo_k(p)
    p.add_argument("--regime", type=Path, default=None, help="results/tables/regime.csv (Tables 2 and 4)")
    p.add_argument("--out-csv", required=True, type=Path)
    p.add_argument("--out-md", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("tables"):
        make, title = TABLES[args.table]
        refs = load_references(args.references) if args.references else None
        regime = pd.read_csv(args.regime) if args.regime else None
        extra = {"regime": regime} if args.table in (2, 4) else {}
        df = make(load_metrics(args.metrics, args.stdo_k), refs, **extra)
        inputs = [*args.metrics, *args.references, *([args.regime] if args.regime else [])]
        write_table(df, args.out_csv, args.out_md, title, inputs)
        print(df.to_string(index=False))


if __name__ == "__main__":
    main()
