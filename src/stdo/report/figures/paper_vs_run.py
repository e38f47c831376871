"""The report's page "the paper against this run": every reproduced number beside the paper's.

Three sections, written as one self-contained HTML page and a CSV of every compared number:

1. **Absolute PSNR.** Each row of our Tables 1, 2 and 4 that has a paper cell (a video with a
   ``paper`` label in the config): ours in the protocol the paper's cell was made in
   (``paper_protocol``: the STDO trainer's, or CaFM's for cells reported from CaFM; see
   :mod:`stdo.core.metrics`), ours in our protocol, the paper's, and the difference (ours in the
   cell's protocol minus the paper's). A video without a paper
   label (the demo, a user's video) has no absolute counterpart, and the page says so.
2. **Gains.** What transfers between videos is the comparison, not the level: per backbone and
   scale, each method's gain over awDNN (NAS, CaFM, STDO at its best k; Table 2) and JSTDO's
   change against STDO (Table 4), ours (mean over our videos) beside the paper's (mean over
   the paper's videos for that backbone and scale, with its range), ours in the STDO trainer's
   protocol (STDO at its best k in it).
3. **Claims.** The claims table (:mod:`stdo.report.claims`), each claim held, failed, inconclusive
   or not run (held and failed on one seed marked "one seed: noise not measured"), with its
   mean paired margin and the margin's 95 % interval over seeds (``margin ± half-width``).
"""

from __future__ import annotations

import argparse
import html
from pathlib import Path

import numpy as np
import pandas as pd

from stdo.core import io
from stdo.report import claims as claims_
from stdo.report import paper

STATUS_COLOURS = {
    claims_.HELD: "#b9e4b9",
    claims_.HELD_ONE_SEED: "#e3f3e3",
    claims_.FAILED: "#f1b8b8",
    claims_.FAILED_ONE_SEED: "#f9e1e1",
    claims_.INCONCLUSIVE: "#fbeeb8",
    claims_.NOT_RUN: "#e8e8e8",
}
KEY = ["video", "backbone", "scale", "method"]


def absolute_rows(ours: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Rows of our Tables 1, 2 and 4 with a paper value: ours (in the cell's protocol and in ours),
    the paper's and the difference in the cell's protocol."""
    parts = []
    for n in (1, 2, 4):
        df = ours.get(n)
        if df is None or df.empty or "paper_psnr_db" not in df:
            continue
        df = df[pd.to_numeric(df["paper_psnr_db"], errors="coerce").notna()]
        if df.empty:
            continue
        protocol = df.get("paper_protocol", pd.Series("psnr_trainer", index=df.index))
        video = df["paper_video"].astype(str) + "-" + df["paper_duration_s"].astype("Int64").astype(str) + "s"
        parts.append(
            pd.DataFrame(
                {
                    "table": f"Table {n}",
                    "video": df["video"],
                    "paper_video": video,
                    "backbone": df["backbone"],
                    "scale": df["scale"],
                    "method": df["method"],
                    "k": df["k"] if "k" in df else df.get("chunks"),
                    "protocol": protocol,
                    "ours_paper_protocol_db": pd.to_numeric(
                        pd.Series(
                            [r.get(f"{c}_db") for (_, r), c in zip(df.iterrows(), protocol, strict=True)],
                            index=df.index,
                        )
                    ),
                    "ours_db": pd.to_numeric(df["psnr_db"]),
                    "paper_db": pd.to_numeric(df["paper_psnr_db"]),
                }
            )
        )
    cols = ["table", "video", "paper_video", "backbone", "scale", "method", "k", "protocol",
            "ours_paper_protocol_db", "ours_db", "paper_db", "diff_db"]  # fmt: skip
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["diff_db"] = (out["ours_paper_protocol_db"] - out["paper_db"]).round(2)
    return out[cols]


def _gains(df: pd.DataFrame, value: str, base: str, methods_: list[str], by: list[str]) -> pd.DataFrame:
    """``method - base`` of ``value`` per row group ``by`` (one row per group and method)."""
    pivot = df.pivot_table(index=by, columns="method", values=value, aggfunc="first")
    rows = []
    for m in methods_:
        if m in pivot and base in pivot:
            g = (pivot[m] - pivot[base]).dropna()
            for idx, v in g.items():
                key = dict(zip(by, idx if isinstance(idx, tuple) else (idx,), strict=True))
                rows.append(key | {"method": m, "gain": v})
    return pd.DataFrame(rows, columns=[*by, "method", "gain"])


def gain_rows(ours2: pd.DataFrame | None, ours4: pd.DataFrame | None) -> pd.DataFrame:
    """Per backbone, scale and method: our gain (mean over our videos) and the paper's (mean,
    min and max over its videos), in dB, the STDO trainer's protocol; NAS, CaFM and STDO against awDNN
    (Table 2), JSTDO against STDO (Table 4)."""
    out = []
    specs = [
        (2, ours2, "awDNN", ["NAS", "CaFM", "STDO"]),
        (4, ours4, "STDO", ["JSTDO"]),
    ]
    for n, ours, base, names in specs:
        if ours is None or ours.empty:
            continue
        df = ours.copy()
        if n == 2:  # STDO at its best k only (Table 2 lists every k)
            df = df[(df["method"] != "STDO") | df["is_paper_best_k"].astype(str).str.lower().eq("true")]
        df["value"] = pd.to_numeric(df["psnr_trainer_db"])
        mine = _gains(df, "value", base, names, ["video", "backbone", "scale"])
        if mine.empty:
            continue
        mine = mine.groupby(["backbone", "scale", "method"], as_index=False).agg(
            ours_gain_db=("gain", "mean"), our_videos=("video", "nunique")
        )
        ref = paper.table(n).copy()
        ref["cell"] = ref["video"] + "-" + ref["duration_s"].astype(str)
        theirs = _gains(ref, "psnr_db", base, names, ["cell", "backbone", "scale"])
        theirs = theirs.groupby(["backbone", "scale", "method"], as_index=False).agg(
            paper_gain_db=("gain", "mean"),
            paper_min_db=("gain", "min"),
            paper_max_db=("gain", "max"),
            paper_videos=("cell", "nunique"),
        )
        merged = mine.merge(theirs, on=["backbone", "scale", "method"], how="left")
        merged.insert(2, "against", base)
        merged.insert(0, "table", f"Table {n}")
        out.append(merged)
    if not out:
        return pd.DataFrame()
    df = pd.concat(out, ignore_index=True)
    df["diff_db"] = df["ours_gain_db"] - df["paper_gain_db"]
    num = [c for c in df.columns if c.endswith("_db")]
    df[num] = df[num].astype(float).round(2)
    for col in ("our_videos", "paper_videos"):
        df[col] = df[col].astype("Int64")
    return df


def _table_html(df: pd.DataFrame) -> str:
    if df.empty:
        return "<p><em>nothing to compare</em></p>"
    return df.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.2f}", border=0, classes="data")


def _cell(v: object) -> str:
    """A table cell: empty for missing, whole numbers without decimals, others to 0.01."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (float, np.floating)):
        return str(int(v)) if float(v).is_integer() else f"{v:.2f}"
    return str(v)


def margin_text(r: pd.Series) -> str:
    """A claim's margin as shown: ``+0.12 ± 0.05 (n=3)`` (the 95 % interval's half-width),
    ``+0.12 (one seed: noise not measured)``, or empty where nothing was decided."""
    m = pd.to_numeric(pd.Series([r.get("margin_db")]), errors="coerce").iloc[0]
    if pd.isna(m):
        return ""
    lo, hi = (
        pd.to_numeric(pd.Series([r.get(c)]), errors="coerce").iloc[0] for c in ("ci_low_db", "ci_high_db")
    )
    n = pd.to_numeric(pd.Series([r.get("n_seeds")]), errors="coerce").iloc[0]
    if pd.isna(lo) or pd.isna(hi):
        return f"{m:+.2f} ({claims_.ONE_SEED})" if n == 1 else f"{m:+.2f}"
    seeds = "" if pd.isna(n) else f" (n={int(n)})"
    return f"{m:+.2f} ± {(hi - lo) / 2:.2f}{seeds}"


def claims_html(claims: pd.DataFrame) -> str:
    """The claims table, each row coloured by its status; the margin with its 95 % interval."""
    if claims.empty:
        return "<p><em>no claims</em></p>"
    cols = ["claim", "source", "statement", "video", "backbone", "scale", "status", "margin_db", "ci_low_db",
            "ci_high_db", "threshold_db", "margin_authors_db", "details"]  # fmt: skip
    cols = [c for c in cols if c in claims]
    heads = {"margin_db": "margin ± 95 % interval (dB)", "ci_low_db": "95 % interval (dB)"}
    shown = [c for c in cols if c != "ci_high_db"]
    head = "".join(f"<th>{html.escape(heads.get(c, c))}</th>" for c in shown)
    body = []
    for _, r in claims.iterrows():
        colour = STATUS_COLOURS.get(str(r["status"]), "#ffffff")
        values = {c: _cell(r[c]) for c in shown}
        if "margin_db" in values:
            values["margin_db"] = margin_text(r)
        if "ci_low_db" in values:
            low, high = r.get("ci_low_db"), r.get("ci_high_db")
            values["ci_low_db"] = "" if pd.isna(low) or pd.isna(high) else f"{low:+.2f} .. {high:+.2f}"
        cells = "".join(f"<td>{html.escape(values[c])}</td>" for c in shown)
        body.append(
            f'<tr style="background:{colour}" data-status="{html.escape(str(r["status"]))}">{cells}</tr>'
        )
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def claims_summary(claims: pd.DataFrame) -> str:
    """``2 held, 1 held (one seed: ...), 0 failed, 1 inconclusive, 1 not run``: the four main
    statuses always, the one-seed variants where present."""
    counts = claims["status"].value_counts().to_dict() if not claims.empty else {}
    main = (claims_.HELD, claims_.FAILED, claims_.INCONCLUSIVE, claims_.NOT_RUN)
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in claims_.STATUSES if s in main or counts.get(s, 0))


def page(absolute: pd.DataFrame, gains: pd.DataFrame, claims: pd.DataFrame, *, videos: list[str]) -> str:
    """The page as HTML."""
    summary = claims_summary(claims)
    if absolute.empty:
        absolute_note = (
            "<p>None of this run's videos (" + html.escape(", ".join(videos)) + ") carries a paper label "
            "(<code>videos.&lt;name&gt;.paper</code> in the config), so no absolute PSNR has a counterpart "
            "in the paper: absolute PSNR depends on the video. The gains below compare what does "
            "transfer.</p>"
        )
    else:
        d = absolute["diff_db"].astype(float)
        absolute_note = (
            f"<p>{len(absolute)} numbers compared; ours minus the paper's (each cell's protocol): mean "
            f"{d.mean():+.2f} dB, from {d.min():+.2f} to {d.max():+.2f} dB.</p>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The paper against this run</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; color: #222; }}
table.data {{ border-collapse: collapse; font-size: 0.85em; margin-bottom: 1.5em; }}
table.data th, table.data td {{ border: 1px solid #bbb; padding: 0.2em 0.5em; text-align: left; }}
table.data th {{ background: #eef; }}
</style></head><body>
<h1>The paper against this run</h1>
<p>PSNR in dB on RGB, 0..255. <b>Ours</b> pools the MSE over every pixel of the video (our protocol);
<b>ours (paper protocol)</b> is measured in the protocol the paper's cell was made in: the STDO trainer's
(scale + 4 pixels off each border of each patch, the mean of the chunks' MSEs) for the STDO authors' runs,
CaFM's (held-out whole frames, scale + 6 shave, mean of per-frame PSNRs) for cells reported from CaFM;
every difference from the paper uses the cell's protocol.</p>
<h2>1. Absolute PSNR</h2>
{absolute_note}
{_table_html(absolute)}
<h2>2. Gains: NAS, CaFM and STDO over awDNN (Table 2); JSTDO against STDO (Table 4)</h2>
<p>Ours: mean over this run's videos. The paper: mean, min and max over its videos for the same
backbone and scale (Table 2: game, inter and vlog at 15 s and 45 s; Table 4: game-15s).</p>
{_table_html(gains)}
<h2>3. The paper's claims, checked on this run</h2>
<p>{html.escape(summary)}.</p>
<p>{html.escape(claims_.RULE.replace("`", "").replace("**", ""))}</p>
{claims_html(claims)}
</body></html>
"""


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo figures.paper_vs_run", description=__doc__)
    p.add_argument("--tables", nargs="+", type=Path, required=True, help="our table<n>.csv files")
    p.add_argument("--claims", required=True, type=Path, help="claims.csv")
    p.add_argument("--out-html", required=True, type=Path)
    p.add_argument("--out-csv", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("figures"):
        ours = {int(t.stem.removeprefix("table")): pd.read_csv(t) for t in args.tables}
        claims = pd.read_csv(args.claims)
        absolute = absolute_rows(ours)
        gains = gain_rows(ours.get(2), ours.get(4))
        videos = sorted({v for df in ours.values() if "video" in df for v in df["video"].astype(str)})
        text = page(absolute, gains, claims, videos=videos)
        with io.atomic_path(args.out_html) as tmp:
            tmp.write_text(text)
        data = pd.concat(
            [absolute.assign(section="absolute"), gains.assign(section="gain")], ignore_index=True
        ).replace({np.nan: None})
        io.write_csv(args.out_csv, data)
        inputs = [*args.tables, args.claims]
        for out in (args.out_html, args.out_csv):
            io.write_sidecar(out, stage="figures", params={}, inputs=inputs)
        print(f"{len(absolute)} absolute numbers and {len(gains)} gains compared")


if __name__ == "__main__":
    main()
