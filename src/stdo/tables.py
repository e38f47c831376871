"""Tables from evaluation metrics, with the paper's value and our difference beside ours.

Tables 1-4 of the paper. Table 2: one row per video, backbone, scale and method; every STDO
``k`` gets a row and the best ``k`` of each cell is marked (the paper reports the best of k
in {2, 4, 6}); Tables 1 and 3 use each cell's best k. The paper's cell is matched through the
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

_STDO = re.compile(r"^stdo-k(\d+)(?:-(d0|dk))?$")
_NAMES = {"awdnn": "awDNN", "nas": "NAS", "cafm": "CaFM", "jstdo": "JSTDO"}
_ORDER = {"awDNN": 0, "NAS": 1, "CaFM": 2, "STDO": 3, "STDO_D0_only": 4, "STDO_Dk_only": 5, "JSTDO": 6}
CELL = ["video", "backbone", "scale"]


def load_metrics(paths: list[Path]) -> pd.DataFrame:
    rows = []
    for p in paths:
        m = json.loads(Path(p).read_text())
        rows.append({k: v for k, v in m.items() if not isinstance(v, (list, dict))})
    df = pd.DataFrame(rows)
    labels = df["method"].map(method_label)
    df["paper_method"] = [lab for lab, _ in labels]
    df["k"] = pd.array([k for _, k in labels], dtype="Int64")
    df["Backbone"] = df["backbone"].map(paper.backbone_name)
    for col in ("paper_video", "paper_duration_s"):
        if col not in df:
            df[col] = None
    return df


def method_label(method: str) -> tuple[str, int | None]:
    """Paper method name and (for STDO variants) k for one of our method ids."""
    m = _STDO.match(method)
    if m:
        suffix = {"d0": "_D0_only", "dk": "_Dk_only", None: ""}[m.group(2)]
        return "STDO" + suffix, int(m.group(1))
    base = method.split("-")[0]
    jk = re.match(r"^jstdo-k(\d+)", method)
    k = int(jk.group(1)) if jk else None
    return _NAMES.get(base, method), k


def best_stdo(df: pd.DataFrame) -> pd.DataFrame:
    """Per cell, the k whose STDO PSNR is highest (the paper reports the best of its k)."""
    stdo = df[df["paper_method"] == "STDO"]
    if stdo.empty:
        return pd.DataFrame(columns=[*CELL, "best_k"])
    best = stdo.loc[stdo.groupby(CELL)["psnr"].idxmax(), [*CELL, "k"]]
    return best.rename(columns={"k": "best_k"})


def _paper_value(n: int, r: pd.Series, method: str, **extra: Any) -> float | None:
    return paper.lookup(
        n,
        backbone=r["Backbone"],
        method=method,
        video=r.get("paper_video"),
        duration_s=r.get("paper_duration_s"),
        scale=int(r["scale"]),
        **extra,
    )


def _finish(df: pd.DataFrame, paper_col: str = "paper_psnr_db") -> pd.DataFrame:
    df["psnr_db"] = df["psnr"].round(2)
    df["diff_db"] = (df["psnr_db"] - pd.to_numeric(df[paper_col])).round(2)
    return df


def table2(metrics: pd.DataFrame) -> pd.DataFrame:
    """Every method x backbone x scale x video; each STDO k, the best marked."""
    df = metrics[metrics["paper_method"].isin(["awDNN", "NAS", "CaFM", "STDO"])].copy()
    df = df.merge(best_stdo(metrics), on=CELL, how="left")
    df["best_k"] = (df["paper_method"] == "STDO") & (df["k"] == df["best_k"])
    df["paper_psnr_db"] = [
        _paper_value(2, r, r["paper_method"]) if (r["paper_method"] != "STDO" or r["best_k"]) else None
        for _, r in df.iterrows()
    ]
    df = _finish(df)
    df["_o"] = df["paper_method"].map(_ORDER)
    df = df.sort_values(["video", "_o", "Backbone", "scale", "k"])
    cols = ["video", "paper_video", "paper_duration_s", "Backbone", "scale", "paper_method", "k", "best_k",
            "models", "parameters", "psnr_db", "paper_psnr_db", "diff_db"]  # fmt: skip
    return df.reindex(columns=cols).rename(columns={"Backbone": "backbone", "paper_method": "method"})


def table1(metrics: pd.DataFrame) -> pd.DataFrame:
    """awDNN, STDO and STDO's D0-only and Dk-only models alone on the whole video (best k)."""
    best = best_stdo(metrics)
    df = metrics.merge(best, on=CELL, how="inner")
    keep = (df["paper_method"] == "awDNN") | (
        df["paper_method"].isin(["STDO", "STDO_D0_only", "STDO_Dk_only"]) & (df["k"] == df["best_k"])
    )
    df = df[keep & df["backbone"].isin(df.loc[df["paper_method"] == "STDO_D0_only", "backbone"])].copy()
    df["paper_psnr_db"] = [_paper_value(1, r, r["paper_method"]) for _, r in df.iterrows()]
    df = _finish(df)
    df["_o"] = df["paper_method"].map(_ORDER)
    df = df.sort_values(["video", "Backbone", "_o", "scale"])
    cols = ["video", "paper_video", "paper_duration_s", "Backbone", "paper_method", "k", "scale", "psnr_db",
            "paper_psnr_db", "diff_db"]  # fmt: skip
    return df.reindex(columns=cols).rename(columns={"Backbone": "backbone", "paper_method": "method"})


def table3(metrics: pd.DataFrame) -> pd.DataFrame:
    """Backbone x scale: MACs for one 48x48 LR input (ours and the paper's), CaFM and STDO PSNR."""
    best = best_stdo(metrics)
    stdo = metrics.merge(best, on=CELL).query("paper_method == 'STDO' and k == best_k")
    cafm = metrics[metrics["paper_method"] == "CaFM"][[*CELL, "psnr"]].rename(columns={"psnr": "psnr_cafm"})
    df = stdo.merge(cafm, on=CELL, how="left")
    rows = []
    for _, r in df.iterrows():
        ref = paper.table(3)
        hit = ref[(ref["backbone"] == r["Backbone"]) & (ref["scale"] == int(r["scale"]))]
        has_cell = (
            not hit.empty
            and r.get("paper_video") == hit["video"].iloc[0]
            and r.get("paper_duration_s") == hit["duration_s"].iloc[0]
        )
        rows.append(
            {
                "video": r["video"],
                "backbone": r["Backbone"],
                "scale": int(r["scale"]),
                "gmacs_48x48": round(r["macs_48"] / 1e9, 3),
                "paper_gflops": float(hit["gflops"].iloc[0]) if not hit.empty else None,
                "psnr_cafm_db": round(r["psnr_cafm"], 2) if pd.notna(r["psnr_cafm"]) else None,
                "paper_psnr_cafm_db": float(hit["psnr_cafm_db"].iloc[0]) if has_cell else None,
                "psnr_stdo_db": round(r["psnr"], 2),
                "stdo_k": int(r["k"]),
                "paper_psnr_stdo_db": float(hit["psnr_stdo_db"].iloc[0]) if has_cell else None,
            }
        )
    out = pd.DataFrame(rows)
    order = {"ESPCN": 0, "SRCNN": 1, "VDSR": 2, "EDSR": 3, "WDSR": 4}
    return out.sort_values(
        ["video", "backbone", "scale"], key=lambda c: c.map(order) if c.name == "backbone" else c
    )


def table4(metrics: pd.DataFrame) -> pd.DataFrame:
    """STDO against JSTDO at JSTDO's k: chunks, models, parameters, PSNR and the drop."""
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
                    "backbone": r["Backbone"],
                    "scale": int(r["scale"]),
                    "method": label,
                    "chunks": int(j["k"]),
                    "models": int(r["models"]),
                    "params_m": round(r["parameters"] / 1e6, 3),
                    "train_patches": int(r["train_patches"]),
                    "psnr_db": round(r["psnr"], 2),
                    "paper_psnr_db": _paper_value(4, r, label),
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    stdo_psnr = out[out["method"] == "STDO"].set_index(CELL)["psnr_db"]
    out["drop_db"] = [
        round(stdo_psnr.get(tuple(r[CELL]), float("nan")) - r["psnr_db"], 2)
        if r["method"] == "JSTDO"
        else None
        for _, r in out.iterrows()
    ]
    out["diff_db"] = (out["psnr_db"] - pd.to_numeric(out["paper_psnr_db"])).round(2)
    return out.sort_values(["video", "backbone", "scale", "method"], ascending=[True, True, True, False])


TABLES = {
    1: (table1, "Table 1: WDSR awDNN, STDO and STDO's single-chunk models (D0 only, Dk only)"),
    2: (table2, "Table 2: STDO and the baselines on each backbone and scale"),
    3: (table3, "Table 3: computation (MACs of one 48x48 LR input) and PSNR of CaFM and STDO"),
    4: (table4, "Table 4: STDO (k models) against JSTDO (one model)"),
}


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
        "stdo version": io.package_versions()["stdo"],
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
    p.add_argument("--table", type=int, choices=sorted(TABLES), required=True)
    p.add_argument("--out-csv", required=True, type=Path)
    p.add_argument("--out-md", required=True, type=Path)
    a = p.parse_args(argv)
    with io.stage_errors("tables"):
        make, title = TABLES[a.table]
        df = make(load_metrics(a.metrics))
        write_table(df, a.out_csv, a.out_md, title, a.metrics)
        print(df.to_string(index=False))


if __name__ == "__main__":
    main()
