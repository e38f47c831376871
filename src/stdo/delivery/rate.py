"""What each method costs in bits and what quality it buys, against the HR video encoded alone.

Two commands:

* ``ladder``: the HR rate ladder of a video, the reference a delivery has to beat: the HR frames
  encoded with the LR stream's codec (``rate.codec`` when the LR stream is lossless) at each
  ``rate.ladder_crf``, decoded, and measured: bytes, kbit/s over the video's duration and PSNR
  against the HR frames (:mod:`stdo.core.metrics`' convention; an exact integer sum of squared errors).
* ``report``: the rate table (``rate.csv``/``.md``): one row per bundle (video, scale, backbone,
  method, LR quality) with the bytes and kbit/s of its LR stream, models and side information
  (the map), the total, its PSNR (the evaluate stage's ``metrics.json``), the ladder's rate at
  that PSNR and the saving against it (the single-point BD-rate of :mod:`stdo.delivery.bdrate`;
  NaN with the reason where the PSNR is outside the ladder's), the break-even length
  (:func:`stdo.delivery.bdrate.break_even_s`, an extrapolation: see :data:`BREAK_EVEN_NOTE`) and,
  for delta bundles, what the full models would cost and the PSNR the delta costs. Each method
  is a **rate-distortion curve**: its points over the LR stream's qualities (``rate.lr_crf``:
  the video's own crf and the ``<video>_crf<crf>`` videos, mapped back by ``--curves``), and
  ``curve_bd_rate_pct`` is the Bjontegaard delta rate of that curve against the HR ladder
  (:func:`stdo.delivery.bdrate.bd_rate`, at least 4 points). The figure (PSNR against kbit/s, log
  scale, one panel per video, scale and backbone, the ladder as a line, each method's curve;
  PNG, PDF and the CSV of what is plotted).

kbit/s are ``bytes * 8 / 1000 / duration``, ``duration = frames / fps``: the models and the map
are sent once per video, so their rate shrinks as videos grow (the figure's rates are of this
video's length, which the table states).
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stdo import methods
from stdo.core import io
from stdo.core.errors import StdoError
from stdo.core.metrics import mse_to_psnr
from stdo.delivery import bdrate
from stdo.report import markdown as md
from stdo.video import codec

LADDER_COLS = ["video", "codec", "preset", "crf", "frames", "duration_s", "bytes", "kbps", "psnr_db"]
RATE_COLS = ["video", "scale", "backbone", "method", "k", "method_id", "lr_codec", "lr_crf", "frames",
             "duration_s", "stream_bytes", "model_bytes", "side_bytes", "total_bytes", "stream_kbps",
             "model_kbps", "side_kbps", "total_kbps", "psnr_db", "ladder_kbps_at_psnr", "bd_rate_pct",
             "bd_rate_note", "ladder_video", "break_even_s", "break_even_note", "model_coding",
             "full_model_bytes", "delta_quant", "delta_saving_pct", "delta_psnr_cost_db", "curve_points",
             "curve_crfs", "curve_bd_rate_pct", "curve_bd_rate_note"]  # fmt: skip
CURVE_KEY = ["video", "scale", "backbone", "method_id"]
GROWS_NOTE = (
    "its models grow with the length (one model or modulation per time segment of nas.chunk_seconds): "
    "the fixed-model extrapolation does not hold"
)
FIGURE_COLS = ["video", "scale", "backbone", "series", "method_id", "crf", "kbps", "psnr_db"]


def kbps(nbytes: float, duration_s: float) -> float:
    return nbytes * 8 / 1000 / duration_s


def sse(a: np.ndarray, b: np.ndarray) -> int:
    """Exact sum of squared differences of two uint8 arrays."""
    return int(((a.astype(np.int64) - b.astype(np.int64)) ** 2).sum())


def ladder(hr: np.ndarray, spec: dict[str, Any], fps: str, video: str, workdir: Path) -> pd.DataFrame:
    """The HR rate ladder (module docstring) of frames ``hr`` ``[T, H, W, 3]``."""
    t = len(hr)
    duration = t / float(Fraction(str(fps)))
    rows = []
    for crf in spec["crf"]:
        setting = {k: v for k, v in spec.items() if k != "crf"} | {"crf": int(crf)}
        path = workdir / f"crf{crf}{codec.EXTENSION}"
        record = codec.encode(hr, path, setting, fps)
        err = 0
        for i, img in enumerate(codec.iter_decode(path, tuple(record["size"]), t)):
            err += sse(img, np.asarray(hr[i]))
        rows.append(
            {
                "video": video,
                "codec": setting["codec"],
                "preset": setting.get("preset"),
                "crf": int(crf),
                "frames": t,
                "duration_s": duration,
                "bytes": record["bytes"],
                "kbps": kbps(record["bytes"], duration),
                "psnr_db": mse_to_psnr(err / hr[:t].size),
            }  # fmt: skip
        )
    return pd.DataFrame(rows, columns=LADDER_COLS)


def _metrics(paths: list[Path]) -> dict[tuple, dict[str, Any]]:
    out = {}
    for p in paths:
        try:
            m = json.loads(Path(p).read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise StdoError(f"{p}: not a readable metrics.json ({e}); rerun evaluate") from e
        out[(m["video"], int(m["scale"]), m["backbone"], m["method"])] = m
    return out


def _break_even(stream_kbps: float, side_kbps: float, model_bytes: float, ladder_kbps: float,
                method: str | None) -> tuple[float, str]:  # fmt: skip
    """The break-even length of one point, with the time-segment methods' caveat."""
    seconds, note = bdrate.break_even_s(stream_kbps, side_kbps, model_bytes, ladder_kbps)
    if method is not None:
        parsed = methods.parse_method(method)
        if parsed.spec.routing(parsed) == "time":
            note = "; ".join(x for x in (note, GROWS_NOTE) if x)
    return seconds, note


def rate_table(
    manifests: list[dict[str, Any]],
    metrics: list[Path],
    ladders: list[Path],
    references: list[Path] | None = None,
    curves: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per bundle (module docstring), and with ``references`` (the score stage's
    ``score_summary.json``) one ``bicubic`` row per delivered video and scale: the LR stream alone,
    upscaled by plain bicubic at the client (no models, no side information). ``curves`` maps a
    delivered video (``<video>_crf<crf>``, its held-out frames too) to the video whose curve it
    is a point of (default: itself); rows carry that video's name, their ``lr_crf`` tells them
    apart."""
    curves = curves or {}
    by_cell = _metrics(metrics)
    ladder_of = {}
    for p in ladders:
        df = pd.read_csv(p)
        ladder_of[str(df["video"].iloc[0])] = df
    rows = []
    for m in manifests:
        key = (m["video"], int(m["scale"]), m["backbone"], m["method"])
        if key not in by_cell:
            raise StdoError(
                f"no metrics.json for bundle {key}; give the evaluate stage's metrics of every bundle"
            )
        met = by_cell[key]
        eval_video = met.get("evaluated_on") or m["video"]
        ladder_video = curves.get(eval_video, eval_video)
        if ladder_video not in ladder_of:
            raise StdoError(f"no HR ladder for video {ladder_video!r}; give its ladder.csv")
        lad = ladder_of[ladder_video]
        d = float(m["duration_s"])
        sizes = m["sizes"]
        label, k = methods.method_label(m["method"])
        total_kbps = kbps(sizes["total"], d)
        psnr = float(met["psnr"])
        ref, why = bdrate.ladder_rate(lad["kbps"], lad["psnr_db"], psnr)
        saving, why = bdrate.point_saving(total_kbps, psnr, lad["kbps"], lad["psnr_db"])
        lr_codec = (m["stream"].get("codec") or {}) if isinstance(m["stream"].get("codec"), dict) else {}
        stream_kbps, side_kbps = kbps(sizes["stream"], d), kbps(sizes["side"], d)
        even, even_note = _break_even(stream_kbps, side_kbps, sizes["models"], ref, m["method"])
        coding = m.get("model_coding", "full")
        info = m.get("delta") or {}
        full_bytes = info.get("full_model_bytes", sizes["models"])
        rows.append(
            {
                "video": curves.get(m["video"], m["video"]),
                "scale": int(m["scale"]),
                "backbone": m["backbone"],
                "method": label,
                "k": k,
                "method_id": m["method"],
                "lr_codec": lr_codec.get("codec", "?"),
                "lr_crf": lr_codec.get("crf"),
                "frames": int(m["frames"]),
                "duration_s": d,
                "stream_bytes": sizes["stream"],
                "model_bytes": sizes["models"],
                "side_bytes": sizes["side"],
                "total_bytes": sizes["total"],
                "stream_kbps": stream_kbps,
                "model_kbps": kbps(sizes["models"], d),
                "side_kbps": side_kbps,
                "total_kbps": total_kbps,
                "psnr_db": psnr,
                "ladder_kbps_at_psnr": ref,
                "bd_rate_pct": saving,
                "bd_rate_note": why,
                "break_even_s": even,
                "break_even_note": even_note,
                "model_coding": coding,
                "full_model_bytes": full_bytes,
                "delta_quant": info.get("quant") if coding == "delta" else None,
                "delta_saving_pct": (1 - sizes["models"] / full_bytes) * 100
                if coding == "delta"
                else math.nan,
                "delta_psnr_cost_db": info.get("drop_db") if coding == "delta" else math.nan,
                "_video": m["video"],
                "_eval_video": eval_video,
                "ladder_video": ladder_video,
            }  # fmt: skip
        )
    rows += _bicubic_rows(rows, references or [], ladder_of)
    order = methods.label_order()
    df = pd.DataFrame(rows, columns=RATE_COLS)
    df["_o"] = df["method"].map(lambda lab: -1 if lab == "bicubic" else order.get(lab, len(order)))
    df["_crf"] = pd.to_numeric(df["lr_crf"], errors="coerce")
    df = df.sort_values(["video", "scale", "backbone", "_o", "method_id", "_crf"], kind="stable")
    df = _curves(df.drop(columns=["_o", "_crf"]).reset_index(drop=True), ladder_of)
    return df


def _curves(df: pd.DataFrame, ladder_of: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each method's rate-distortion curve (its rows of one video, scale and backbone over the LR
    qualities): how many points, which crfs, and the curve's BD-rate against the HR ladder."""
    df = df.copy()
    for col in ("curve_points", "curve_crfs", "curve_bd_rate_pct", "curve_bd_rate_note"):
        df[col] = None
    for _, rows in df.groupby(CURVE_KEY, sort=False):
        lad = ladder_of[rows["ladder_video"].iloc[0]]
        pct, note = curve_bd_rate(rows["total_kbps"], rows["psnr_db"], lad["kbps"], lad["psnr_db"])
        crfs = ",".join(str(int(c)) for c in rows["lr_crf"] if pd.notna(c))
        df.loc[rows.index, "curve_points"] = len(rows)
        df.loc[rows.index, "curve_crfs"] = crfs
        df.loc[rows.index, "curve_bd_rate_pct"] = pct
        df.loc[rows.index, "curve_bd_rate_note"] = note
    df["curve_points"] = df["curve_points"].astype(int)
    df["curve_bd_rate_pct"] = df["curve_bd_rate_pct"].astype(float)
    return df


def curve_bd_rate(rates: Any, psnrs: Any, ladder_rates: Any, ladder_psnrs: Any) -> tuple[float, str]:
    """The BD-rate of one curve against the ladder, in percent, and a note: the PSNR interval it
    is averaged over, or why there is none (fewer than 4 points of distinct PSNR, no overlap)."""
    r, p = np.asarray(rates, dtype=float), np.asarray(psnrs, dtype=float)
    if np.unique(p).size < 4:
        return math.nan, (
            f"{len(p)} point{'s' * (len(p) != 1)}: a cubic BD-rate needs 4 LR qualities of distinct PSNR "
            "(rate.lr_crf)"
        )
    lo, hi = max(p.min(), float(min(ladder_psnrs))), min(p.max(), float(max(ladder_psnrs)))
    pct = bdrate.bd_rate(ladder_rates, ladder_psnrs, r.tolist(), p.tolist())
    if math.isnan(pct):
        return pct, "the curve and the ladder share no PSNR interval"
    note = f"over {lo:.2f}..{hi:.2f} dB, the PSNR both curves span"
    if (np.diff(r[np.argsort(p)]) <= 0).any():
        note += (
            "; its rate does not rise with PSNR (the models' bytes vary more than the stream's), so the "
            "cubic fit is not a monotone rate curve (the bjontegaard package refuses one whose lowest-PSNR "
            "point is not its cheapest)"
        )
    return pct, note


def _bicubic_rows(
    rows: list[dict[str, Any]], references: list[Path], ladder_of: dict
) -> list[dict[str, Any]]:
    """The LR stream with bicubic upscaling: the stream's bits of each video and scale (from its
    bundles' rows), PSNR from the score stage's reference (the tables' bicubic row)."""
    refs = {}
    for p in references:
        r = json.loads(Path(p).read_text())
        refs[(r["video"], int(r["scale"]))] = r
    out, seen = [], set()
    for row in rows:
        key = (row["_video"], int(row["scale"]))
        if key in seen:
            continue
        seen.add(key)
        ref = refs.get((row["_eval_video"], key[1]))
        if ref is None:
            continue
        lad = ladder_of[row["ladder_video"]]
        d, psnr = row["duration_s"], float(ref["bicubic_psnr"])
        total = kbps(row["stream_bytes"], d)
        at, _ = bdrate.ladder_rate(lad["kbps"], lad["psnr_db"], psnr)
        saving, why = bdrate.point_saving(total, psnr, lad["kbps"], lad["psnr_db"])
        even, even_note = _break_even(total, 0.0, 0, at, None)
        out.append(
            row
            | {
                "backbone": "-",
                "method": "bicubic",
                "k": None,
                "method_id": "bicubic",
                "model_bytes": 0,
                "side_bytes": 0,
                "total_bytes": row["stream_bytes"],
                "model_kbps": 0.0,
                "side_kbps": 0.0,
                "total_kbps": total,
                "psnr_db": psnr,
                "ladder_kbps_at_psnr": at,
                "bd_rate_pct": saving,
                "bd_rate_note": why,
                "break_even_s": even,
                "break_even_note": even_note,
                "model_coding": "-",
                "full_model_bytes": 0,
                "delta_quant": None,
                "delta_saving_pct": math.nan,
                "delta_psnr_cost_db": math.nan,
            }  # fmt: skip
        )
    return out


MD_NOTE = (
    "kbit/s over the video's duration (`duration_s`): the LR stream (`stream`, its container "
    "included), the method's models (`model`, as sent) and the side information (`side`: STDO's "
    "packed patch-to-chunk map). PSNR in dB, RGB, no shave, pooled over every pixel "
    "(`stdo.core.metrics`). "
    "`bd_rate_pct`: the rate saving at equal PSNR against the HR ladder's cubic fit of log-rate "
    "(negative: the delivery needs fewer bits than the HR video encoded alone; `stdo.delivery.bdrate`); "
    "empty with a note where the PSNR is outside the ladder's range."
)
BREAK_EVEN_NOTE = (
    "`break_even_s`: the video length at which this delivery would cost what the HR ladder costs at "
    "its PSNR (`stdo.delivery.bdrate.break_even_s`). An extrapolation from this video: the LR "
    "stream's and the map's kbit/s are assumed to hold at any length and the models to be sent "
    "once, so their kbit/s shrink as 1/length. `inf`: the LR stream and map alone cost the ladder's "
    "rate or more, no length breaks even; `0`: no models (bicubic) and the stream alone is cheaper. "
    "It breaks where the models grow with the length: NAS sends one model per time segment and "
    "CaFM one modulation per segment (`nas.chunk_seconds`), so their model bits are not fixed and "
    "their row says so; and where a longer video's content (what the models must learn) or its "
    "codec rate differs from this one's."
)
CURVE_NOTE = (
    "Each method is a rate-distortion curve over the LR stream's qualities (`curve_crfs`: the "
    "video's own degrade crf and `rate.lr_crf`, each its own degrade -> train -> evaluate path). "
    "`curve_bd_rate_pct`: the Bjontegaard delta rate of that curve against the HR ladder (a cubic "
    "least-squares fit of log-rate against PSNR for each, averaged over the PSNR interval both span; "
    "`stdo.delivery.bdrate.bd_rate`, checked against the `bjontegaard` package); it needs 4 points "
    "of distinct PSNR. `best_break_even_s`: the shortest break-even length among the curve's points, "
    "at `at_crf`."
)
DELTA_NOTE = (
    "`model_coding: delta`: the models are sent as their difference from the generic model they "
    "started from (`stdo.delivery.delta`; the client holds that model once, its bytes are not "
    "counted per video), quantised as `delta_quant` (the smallest within `rate.delta_bound_db` of "
    "the full bundle's PSNR on the video's patches) and compressed. `full_model_bytes`: what the "
    "full models (`rate.model_dtype`) would cost; `delta_saving_pct`: the model bytes the delta "
    "saves; `delta_psnr_cost_db`: the full bundle's PSNR minus the delta bundle's (negative: the "
    "delta is the better)."
)
MD_COLS = ["video", "scale", "backbone", "method_id", "lr_codec", "lr_crf", "stream_kbps", "model_kbps",
              "side_kbps", "total_kbps", "side_bytes", "psnr_db", "ladder_kbps_at_psnr", "bd_rate_pct",
              "bd_rate_note", "ladder_video", "break_even_s", "break_even_note"]  # fmt: skip
MD_DELTA_COLS = ["video", "scale", "backbone", "method_id", "lr_crf", "model_coding", "delta_quant",
                 "full_model_bytes", "model_bytes", "delta_saving_pct", "delta_psnr_cost_db"]  # fmt: skip
MD_LADDER_COLS = ["video", "codec", "crf", "kbps", "psnr_db"]


def curve_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per curve: its points, crfs, rate and PSNR ranges, BD-rate and best break-even."""
    out = []
    for key, rows in table.groupby(CURVE_KEY, sort=False):
        finite = rows[np.isfinite(rows["break_even_s"].astype(float))]
        best = finite.loc[finite["break_even_s"].astype(float).idxmin()] if len(finite) else None
        out.append(
            dict(zip(CURVE_KEY, key, strict=True))
            | {
                "curve_points": int(rows["curve_points"].iloc[0]),
                "curve_crfs": rows["curve_crfs"].iloc[0],
                "kbps_range": f"{rows['total_kbps'].min():.1f}..{rows['total_kbps'].max():.1f}",
                "psnr_range_db": f"{rows['psnr_db'].min():.2f}..{rows['psnr_db'].max():.2f}",
                "curve_bd_rate_pct": rows["curve_bd_rate_pct"].iloc[0],
                "curve_bd_rate_note": rows["curve_bd_rate_note"].iloc[0],
                "best_break_even_s": float(best["break_even_s"]) if best is not None else math.inf,
                "at_crf": int(best["lr_crf"]) if best is not None and pd.notna(best["lr_crf"]) else None,
            }  # fmt: skip
        )
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame, ladders: pd.DataFrame) -> str:
    parts = [
        "Rate: bits of each delivery and the quality they buy",
        md.table(table[MD_COLS]),
        "## Rate-distortion curves against the HR ladder",
        md.table(curve_summary(table)),
        CURVE_NOTE,
    ]
    if (table["model_coding"] == "delta").any():
        rows = table[table["method_id"] != "bicubic"]
        parts += ["## Models as deltas from the generic model", md.table(rows[MD_DELTA_COLS]), DELTA_NOTE]
    parts += [
        "## The reference: the HR video encoded alone (rate ladder)",
        md.table(ladders[MD_LADDER_COLS]),
        MD_NOTE,
        BREAK_EVEN_NOTE,
    ]
    return md.page(*parts)


def _seconds(x: float) -> str:
    return "never" if math.isinf(x) else ("?" if math.isnan(x) else f"{x:.0f} s")


def figure(table: pd.DataFrame, ladders: pd.DataFrame, png: Path, pdf: Path) -> pd.DataFrame:
    """PSNR against kbit/s: one panel per video, scale and backbone, the ladder as a line, each
    method's rate-distortion curve over the LR qualities (a point where it has one), labelled
    with its curve BD-rate and shortest break-even length; the LR stream with bicubic upscaling
    (no models) on every panel. Returns the plotted data."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = table[table["method_id"] != "bicubic"]
    panels = list(dict.fromkeys(zip(models["video"], models["scale"], models["backbone"], strict=True)))
    if not panels:
        raise StdoError("no bundle to plot")
    ncols = min(len(panels), 2)
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.0 * ncols, 4.6 * nrows), squeeze=False)
    markers = "osD^vPX*<>hp"
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ids = list(dict.fromkeys(models["method_id"]))
    data, seen = [], set()
    for ax, (video, scale, backbone) in zip(axes.ravel(), panels, strict=False):
        here = table[(table["video"] == video) & (table["scale"] == scale)]
        lad = ladders[ladders["video"] == here["ladder_video"].iloc[0]].sort_values("kbps")
        ax.plot(lad["kbps"], lad["psnr_db"], "-o", color="0.3", ms=4, lw=2,
                label=f"HR video alone ({lad['codec'].iloc[0] if len(lad) else '?'})")  # fmt: skip
        if (video, scale) not in seen:
            for r in lad.itertuples():
                data.append({"video": video, "scale": scale, "backbone": "", "series": "hr_ladder",
                             "method_id": "", "crf": r.crf, "kbps": r.kbps,
                             "psnr_db": r.psnr_db})  # fmt: skip
        bic = here[here["method_id"] == "bicubic"].sort_values("total_kbps")
        if len(bic):
            ax.plot(bic["total_kbps"], bic["psnr_db"], "--x", color="black", ms=6,
                    label="LR stream + bicubic (no models)")  # fmt: skip
        for sid, rows in here[here["backbone"] == backbone].groupby("method_id", sort=False):
            rows = rows.sort_values("total_kbps")
            bd = rows["curve_bd_rate_pct"].iloc[0]
            even = rows["break_even_s"].astype(float).min()
            label = f"{sid}: BD {bd:+.0f} %" if pd.notna(bd) else f"{sid}"
            label += f", break-even {_seconds(even)}"
            ax.plot(rows["total_kbps"], rows["psnr_db"], "-", marker=markers[ids.index(sid) % len(markers)],
                    color=colours[ids.index(sid) % len(colours)], ms=5, label=label)  # fmt: skip
        for r in here.itertuples():
            if r.method_id == "bicubic" and (video, scale) in seen:
                continue
            if r.method_id != "bicubic" and r.backbone != backbone:
                continue
            data.append({"video": video, "scale": scale, "backbone": r.backbone, "series": "delivery",
                         "method_id": r.method_id, "crf": r.lr_crf, "kbps": r.total_kbps,
                         "psnr_db": r.psnr_db})  # fmt: skip
        seen.add((video, scale))
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("kbit/s (LR stream + models + side information)")
        ax.set_ylabel("PSNR (dB)")
        rows = here[here["backbone"] == backbone]
        crfs = sorted({int(c) for c in rows["lr_crf"] if pd.notna(c)})
        lr = rows["lr_codec"].iloc[0] + (f" crf {','.join(map(str, crfs))}" if crfs else "")
        ax.set_title(
            f"{video} x{scale} {backbone}: LR stream {lr}, {rows['duration_s'].iloc[0]:g} s", fontsize=9
        )
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, loc="upper left")
    for ax in axes.ravel()[len(panels) :]:
        ax.axis("off")
    fig.tight_layout()
    for out in (png, pdf):
        with io.atomic_path(out) as tmp:
            fig.savefig(tmp, format=out.suffix[1:], dpi=150)
    plt.close(fig)
    return pd.DataFrame(data, columns=FIGURE_COLS)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo delivery.rate", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    lp = sub.add_parser("ladder", help="the HR rate ladder of a video")
    lp.add_argument("--video", required=True)
    lp.add_argument("--hr", required=True, type=Path)
    lp.add_argument("--meta", required=True, type=Path)
    lp.add_argument(
        "--ladder", required=True, type=json.loads, help='JSON {"codec", "crf": [...], "preset"?}'
    )
    lp.add_argument("--out", required=True, type=Path)
    rp = sub.add_parser("report", help="the rate table and figure")
    rp.add_argument("--bundles", required=True, nargs="+", type=Path)
    rp.add_argument("--metrics", required=True, nargs="+", type=Path)
    rp.add_argument("--ladders", required=True, nargs="+", type=Path)
    rp.add_argument("--references", nargs="*", type=Path, default=[], help="score_summary.json: bicubic rows")
    rp.add_argument("--curves", type=json.loads, default={},
                    help="JSON {delivered video: the video whose curve it is on} (rate.lr_crf)")  # fmt: skip
    for flag in ("--out-csv", "--out-md", "--out-png", "--out-pdf", "--out-data"):
        rp.add_argument(flag, required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors(f"rate {args.command}"):
        if args.command == "ladder":
            meta = json.loads(args.meta.read_text())
            with tempfile.TemporaryDirectory() as tmp:
                df = ladder(
                    io.open_array(args.hr),
                    args.ladder,
                    meta.get("fps_fraction") or str(meta["fps"]),
                    args.video,
                    Path(tmp),
                )
            io.write_csv(args.out, df)
            io.write_sidecar(
                args.out, stage="rate_ladder", params={"ladder": args.ladder}, inputs=[args.hr, args.meta]
            )
            print(df.to_string(index=False))
            return
        manifests = [json.loads((b / "manifest.json").read_text()) for b in args.bundles]
        table = rate_table(manifests, args.metrics, args.ladders, args.references, args.curves)
        ladders = pd.concat([pd.read_csv(x) for x in args.ladders], ignore_index=True)
        io.write_csv(args.out_csv, table)
        io.write_text(args.out_md, markdown(table, ladders))
        data = figure(table, ladders, args.out_png, args.out_pdf)
        io.write_csv(args.out_data, data)
        inputs = [b / "manifest.json" for b in args.bundles] + [
            *args.metrics,
            *args.ladders,
            *args.references,
        ]
        for out in (args.out_csv, args.out_md, args.out_png, args.out_pdf, args.out_data):
            io.write_sidecar(
                out, stage="rate", params={"curves": args.curves} if args.curves else {}, inputs=inputs
            )
        print(
            table[
                ["video", "scale", "backbone", "method_id", "lr_crf", "total_kbps", "psnr_db", "bd_rate_pct",
                 "break_even_s", "curve_bd_rate_pct"]
            ].to_string(index=False)
        )  # fmt: skip


if __name__ == "__main__":
    main()
