"""The paper's ablations (Section 4.5) from evaluation metrics: tables as CSV/Markdown, plots.

- ``chunks`` (Figure 7a): STDO's PSNR against the number of chunks k, one line per backbone
  (k = 1 is a single model on every patch).
- ``schedules`` (Figure 7b): JSTDO's PSNR for each sampling schedule rho_0..rho_{k-1}.
- ``long_video`` (Section 4.5): STDO on a long video made of several clips (the paper: game-45s
  then vlog-45s, WDSR x4: 39.92 dB) beside STDO on each clip (43.99 and 37.76 dB) and their mean.
  STDO is the best k per video (by mean PSNR over seeds), as in Table 2.

Every table has one row per training seed (``seed``; metrics without one are seed 0), so the
claims of :mod:`stdo.report.claims` pair the seeds. With more than one seed the figures plot the mean
over seeds with error bars of +-1 standard deviation (ddof 1) and say so in the axis label.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from stdo import methods
from stdo.core import io
from stdo.core.errors import StdoError  # noqa: E402
from stdo.report import tables  # noqa: E402
from stdo.report.claims import with_seed  # noqa: E402

# Section 4.5 of the paper (WDSR, x4): the 90 s video, and game-45s and vlog-45s on their own.
PAPER_LONG_VIDEO: dict[str, Any] = {"long": 39.92, "parts": [43.99, 37.76], "backbone": "wdsr", "scale": 4}


def chunks_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Figure 7a's table: STDO's PSNR per backbone, k and seed."""
    df = metrics[metrics["paper_method"] == "STDO"]
    if df.empty:
        raise StdoError("no STDO metrics given for the chunk ablation")
    df = with_seed(df)
    out = df[["video", "scale", "backbone", "k", "seed", "psnr"]].rename(columns={"psnr": "psnr_db"})
    return out.sort_values(["backbone", "k", "seed"]).reset_index(drop=True)


def schedules_table(metrics: pd.DataFrame, proportions: list[list[float]]) -> pd.DataFrame:
    """Figure 7b's table: JSTDO's PSNR per sampling schedule and seed."""
    rows = []
    for _, r in with_seed(metrics).iterrows():
        parsed = methods.parse_method(str(r["method"]))
        if r["paper_method"] != "JSTDO" or parsed["schedule"] is None:
            continue
        i = int(parsed["schedule"])
        if i >= len(proportions):
            raise StdoError(
                f"{r['method']}: no entry {i} in the schedules' proportions ({len(proportions)} given)"
            )
        rows.append(
            {
                "video": r["video"],
                "scale": r["scale"],
                "backbone": r["backbone"],
                "schedule": i,
                "proportions": " ".join(f"{p:g}" for p in proportions[i]),
                "seed": int(r["seed"]),
                "psnr_db": r["psnr"],
            }
        )
    if not rows:
        raise StdoError("no JSTDO schedule metrics (jstdo-k*-p*) given for the schedule ablation")
    return pd.DataFrame(rows).sort_values(["schedule", "seed"]).reset_index(drop=True)


def long_video_table(metrics: pd.DataFrame, long: str, parts: list[str]) -> pd.DataFrame:
    """Section 4.5's table, per seed: STDO (each video's best k by mean PSNR) on each part, the
    mean of the parts (seeds that every part has) and the long video, the paper's values beside
    them where its cell (WDSR x4, two parts) applies."""
    metrics = with_seed(metrics)
    best = tables.best_stdo(metrics).merge(metrics, on=tables.CELL)
    best = best[(best["paper_method"] == "STDO") & (best["k"] == best["best_k"])]
    missing = [v for v in [long, *parts] if v not in set(best["video"])]
    if missing:
        raise StdoError(f"no STDO metrics for {missing} in the long-video ablation")
    by = {(r["video"], int(r["seed"])): r for _, r in best.iterrows()}
    ref = best[best["video"] == long].iloc[0]
    paper_applies = (ref["backbone_id"], int(ref["scale"])) == (
        PAPER_LONG_VIDEO["backbone"],
        PAPER_LONG_VIDEO["scale"],
    ) and len(parts) == len(PAPER_LONG_VIDEO["parts"])
    paper_mean = sum(PAPER_LONG_VIDEO["parts"]) / len(parts) if paper_applies else None
    rows = []
    for seed in sorted({s for _, s in by}):
        found = [v for v in parts if (v, seed) in by]
        for i, v in enumerate(parts):
            if (v, seed) not in by:
                continue
            r = by[(v, seed)]
            paper = PAPER_LONG_VIDEO["parts"][i] if paper_applies else None
            rows.append({"video": v, "role": f"part {i + 1}", "seed": seed, "k": r["k"], "psnr_db": r["psnr"],
                         "paper_psnr_db": paper})  # fmt: skip
        if len(found) == len(parts):
            mean_parts = sum(by[(v, seed)]["psnr"] for v in parts) / len(parts)
            rows.append({"video": "mean of parts", "role": "reference", "seed": seed, "k": None,
                         "psnr_db": mean_parts, "paper_psnr_db": paper_mean})  # fmt: skip
        if (long, seed) in by:
            r = by[(long, seed)]
            rows.append({"video": long, "role": "long video", "seed": seed, "k": r["k"], "psnr_db": r["psnr"],
                         "paper_psnr_db": PAPER_LONG_VIDEO["long"] if paper_applies else None})  # fmt: skip
    out = pd.DataFrame(rows)
    out.insert(2, "backbone", ref["backbone"])
    out.insert(3, "scale", int(ref["scale"]))
    return out


def spread(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """PSNR per group ``by`` over its seeds: ``mean``, ``sd`` (ddof 1; NaN for one seed) and ``n``."""
    g = with_seed(df).groupby(by, sort=True)["psnr_db"]
    return g.agg(mean="mean", sd="std", n="count").reset_index()


def _ylabel(s: pd.DataFrame) -> str:
    n = int(s["n"].max())
    return "PSNR (dB)" if n < 2 else f"PSNR (dB), mean ± 1 sd over {n} seeds"


def plot_chunks(df: pd.DataFrame) -> plt.Figure:
    """Figure 7a: STDO's PSNR against k, one line per backbone (the mean over seeds, with error
    bars of +-1 sd where a k has more than one seed)."""
    s = spread(df.assign(k=df["k"].astype(int)), ["backbone", "k"])
    fig, ax = plt.subplots(figsize=(4.8, 3.4), layout="constrained")
    for backbone, g in s.groupby("backbone"):
        (line,) = ax.plot(g["k"], g["mean"], marker="o", label=backbone)
        if (g["n"] > 1).any():
            ax.errorbar(g["k"], g["mean"], yerr=g["sd"].fillna(0), fmt="none", capsize=3,
                        color=line.get_color())  # fmt: skip
    ax.set_xlabel("number of chunks k (k = 1: one model on every patch)")
    ax.set_ylabel(_ylabel(s))
    ax.set_xticks(sorted(s["k"].unique()))
    ax.set_title(
        f"Figure 7a. {df['video'].iloc[0]} x{df['scale'].iloc[0]}: STDO against the number of chunks",
        fontsize=9,
    )
    ax.grid(alpha=0.3)
    ax.legend(title="backbone")
    return fig


def plot_schedules(df: pd.DataFrame) -> plt.Figure:
    """Figure 7b: JSTDO's PSNR for each sampling schedule (more of D0 to the right; the mean over
    seeds, with error bars of +-1 sd where a schedule has more than one seed)."""
    s = spread(df, ["schedule"])
    props = df.groupby("schedule")["proportions"].first()
    fig, ax = plt.subplots(figsize=(4.8, 3.4), layout="constrained")
    x = range(len(s))
    ax.plot(x, s["mean"], marker="o")
    low, high = s["mean"], s["mean"]
    if (s["n"] > 1).any():
        sd = s["sd"].fillna(0)
        ax.errorbar(x, s["mean"], yerr=sd, fmt="none", capsize=3, color="C0")
        low, high = s["mean"] - sd, s["mean"] + sd
    ax.set_xticks(x, [props[i] for i in s["schedule"]], rotation=20, ha="right", fontsize=7)
    lo, hi = low.min(), high.max()
    pad = max(0.1, hi - lo)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("sampling proportions ρ0 .. ρk-1 (share of each PSNR chunk, D0 first)")
    ax.set_ylabel(_ylabel(s))
    ax.grid(alpha=0.3)
    cell = f"{df['video'].iloc[0]} x{df['scale'].iloc[0]} {df['backbone'].iloc[0]}"
    ax.set_title(f"Figure 7b. {cell}: JSTDO data schedules", fontsize=9)
    return fig


def save_figure(fig: plt.Figure, outs: list[Path], kind: str, inputs: list[Path]) -> None:
    for out in outs:
        with io.atomic_path(out) as tmp:
            fig.savefig(tmp, format=out.suffix.lstrip("."), dpi=120, bbox_inches="tight")
        io.write_sidecar(out, stage="ablations", params={"kind": kind}, inputs=inputs)
    plt.close(fig)


TITLES = {
    "chunks": "Figure 7a: STDO PSNR against the number of chunks",
    "schedules": "Figure 7b: JSTDO PSNR for each data schedule",
    "long_video": "Section 4.5: STDO on a long video with scene changes",
}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo ablations", description=__doc__)
    p.add_argument("--kind", required=True, choices=sorted(TITLES))
    p.add_argument("--metrics", required=True, nargs="+", type=Path)
    p.add_argument("--proportions", type=json.loads, default=None, help="schedules: JSON list of lists")
    p.add_argument("--long", default=None, help="long_video: the long video's name")
    p.add_argument("--parts", default="", help="long_video: comma-separated names of its parts")
    p.add_argument("--out-csv", required=True, type=Path)
    p.add_argument("--out-md", required=True, type=Path)
    p.add_argument("--out-png", type=Path, default=None)
    p.add_argument("--out-pdf", type=Path, default=None)
    args = p.parse_args(argv)
    with io.stage_errors("ablations"):
        metrics = tables.load_metrics(args.metrics)
        if args.kind == "chunks":
            df = chunks_table(metrics)
        elif args.kind == "schedules":
            df = schedules_table(metrics, args.proportions or [])
        else:
            df = long_video_table(metrics, args.long, [v for v in args.parts.split(",") if v])
        tables.write_table(df, args.out_csv, args.out_md, TITLES[args.kind], args.metrics)
        outs = [o for o in (args.out_png, args.out_pdf) if o is not None]
        if outs and args.kind != "long_video":
            fig = (plot_chunks if args.kind == "chunks" else plot_schedules)(df)
            save_figure(fig, outs, args.kind, args.metrics)
        print(df.to_string(index=False))


if __name__ == "__main__":
    main()
