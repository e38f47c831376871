"""Tables from evaluation metrics, with the paper's value and our difference beside ours.

Table 2 (awDNN vs STDO, and the other methods as they are configured): one row per video,
backbone, scale and method; every STDO ``k`` gets a row, and the best ``k`` of each cell is
marked (the paper reports the best of k in {2, 4, 6}). The paper's cell is matched through the
video's ``paper`` label in the config (``video`` and ``duration_s``); videos without one
(the demo, a user's video) have no paper value. Each table is written as CSV and Markdown;
the Markdown ends with a footer naming the config hash and git revision.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stdo import io, paper

_STDO = re.compile(r"^stdo-k(\d+)$")


def load_metrics(paths: list[Path]) -> pd.DataFrame:
    rows = []
    for p in paths:
        m = json.loads(Path(p).read_text())
        rows.append({k: v for k, v in m.items() if not isinstance(v, (list, dict))})
    return pd.DataFrame(rows)


def method_label(method: str) -> tuple[str, int | None]:
    """Paper method name and STDO k for one of our method ids."""
    m = _STDO.match(method)
    if m:
        return "STDO", int(m.group(1))
    return {"awdnn": "awDNN", "nas": "NAS", "cafm": "CaFM", "jstdo": "JSTDO"}.get(method, method), None


def table2(metrics: pd.DataFrame) -> pd.DataFrame:
    df = metrics.copy()
    labels = df["method"].map(method_label)
    df["Method"] = [lab for lab, _ in labels]
    df["k"] = pd.array([k for _, k in labels], dtype="Int64")
    df = df[df["Method"].isin(["awDNN", "NAS", "CaFM", "STDO"])].copy()
    df["Backbone"] = df["backbone"].map(paper.backbone_name)
    key = ["video", "Backbone", "scale"]
    df["best_k"] = False
    stdo = df["Method"] == "STDO"
    if stdo.any():
        best = df[stdo].groupby(key)["psnr"].idxmax()
        df.loc[best.to_numpy(), "best_k"] = True
    paper_vals = []
    for _, r in df.iterrows():
        report = r["Method"] != "STDO" or r["best_k"]
        paper_vals.append(
            paper.lookup(
                2,
                backbone=r["Backbone"],
                method=r["Method"],
                video=r.get("paper_video"),
                duration_s=r.get("paper_duration_s"),
                scale=int(r["scale"]),
            )
            if report
            else None
        )
    df["paper_psnr_db"] = paper_vals
    df["psnr_db"] = df["psnr"].round(2)
    df["diff_db"] = (df["psnr_db"] - df["paper_psnr_db"].astype(float)).round(2)
    order = {"awDNN": 0, "NAS": 1, "CaFM": 2, "STDO": 3}
    df["_o"] = df["Method"].map(order)
    df = df.sort_values(["video", "_o", "Backbone", "scale", "k"])
    cols = [
        "video",
        "paper_video",
        "paper_duration_s",
        "Backbone",
        "scale",
        "Method",
        "k",
        "best_k",
        "models",
        "parameters",
        "psnr_db",
        "paper_psnr_db",
        "diff_db",
    ]
    return df.reindex(columns=cols).rename(columns={"Backbone": "backbone", "Method": "method"})


def to_markdown(df: pd.DataFrame, title: str, footer: dict[str, Any]) -> str:
    def fmt(v: Any) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return ""
        if isinstance(v, (bool, np.bool_)):
            return "yes" if v else ""
        if isinstance(v, float):
            return f"{v:.2f}"
        return str(v)

    lines = [
        f"# {title}",
        "",
        "| " + " | ".join(df.columns) + " |",
        "|" + "|".join("---" for _ in df.columns) + "|",
    ]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    lines += [
        "",
        "PSNR in dB: RGB, 0..255, no border shave, pooled over every pixel of the video "
        "(see `stdo.metrics`).",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in footer.items()]
    return "\n".join(lines) + "\n"


def footer() -> dict[str, Any]:
    cfg = io.resolved_config()
    git = io.git_revision()
    return {
        "config sha256": io.sha256_json(cfg) if cfg is not None else "n/a (not run from Snakemake)",
        "git revision": (git["commit"] or "n/a") + (" (dirty)" if git["dirty"] else ""),
        "stdo version": io._versions()["stdo"],
    }


def write_table(df: pd.DataFrame, out_csv: Path, out_md: Path, title: str, inputs: list[Path]) -> None:
    with io.atomic_path(out_csv) as tmp:
        df.to_csv(tmp, index=False)
    io.write_text(out_md, to_markdown(df, title, footer()))
    for out in (out_csv, out_md):
        io.write_sidecar(out, stage="tables", params={"title": title}, inputs=inputs)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo tables", description=__doc__)
    p.add_argument("--metrics", required=True, nargs="+", type=Path)
    p.add_argument("--table", type=int, choices=[2], default=2)
    p.add_argument("--out-csv", required=True, type=Path)
    p.add_argument("--out-md", required=True, type=Path)
    a = p.parse_args(argv)
    with io.stage_errors("tables"):
        df = table2(load_metrics(a.metrics))
        write_table(
            df, a.out_csv, a.out_md, "Table 2: STDO and the baselines on each backbone and scale", a.metrics
        )
        print(df.to_string(index=False))


if __name__ == "__main__":
    main()
