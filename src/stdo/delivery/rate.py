"""What each method costs in bits and what quality it buys, against the HR video encoded alone.

Two commands:

* ``ladder``: the HR rate ladder of a video, the reference a delivery has to beat: the HR frames
  encoded with the LR stream's codec (``rate.codec`` when the LR stream is lossless) at each
  ``rate.ladder_crf``, decoded, and measured: bytes, kbit/s over the video's duration and PSNR
  against the HR frames (:mod:`stdo.core.metrics`' convention; an exact integer sum of squared errors).
* ``report``: the rate table (``rate.csv``/``.md``): one row per bundle (video, scale, backbone,
  method) with the bytes and kbit/s of its LR stream, models and side information (the map), the
  total, its PSNR (the evaluate stage's ``metrics.json``), the ladder's rate at that PSNR and the
  saving against it (the single-point BD-rate of :mod:`stdo.delivery.bdrate`; NaN with the reason
  where the PSNR is outside the ladder's); and the figure (PSNR against kbit/s, log scale, the
  ladder as a line, each method a point; PNG, PDF and the CSV of what is plotted).

kbit/s are ``bytes * 8 / 1000 / duration``, ``duration = frames / fps``: the models and the map
are sent once per video, so their rate shrinks as videos grow (the figure's rates are of this
video's length, which the table states).
"""

from __future__ import annotations

import argparse
import json
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
             "bd_rate_note"]  # fmt: skip
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


def rate_table(
    manifests: list[dict[str, Any]],
    metrics: list[Path],
    ladders: list[Path],
    references: list[Path] | None = None,
) -> pd.DataFrame:
    """One row per bundle (module docstring), and with ``references`` (the score stage's
    ``score_summary.json``) one ``bicubic`` row per video and scale: the LR stream alone,
    upscaled by plain bicubic at the client (no models, no side information)."""
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
        if eval_video not in ladder_of:
            raise StdoError(f"no HR ladder for video {eval_video!r}; give its ladder.csv")
        lad = ladder_of[eval_video]
        d = float(m["duration_s"])
        sizes = m["sizes"]
        label, k = methods.method_label(m["method"])
        total_kbps = kbps(sizes["total"], d)
        psnr = float(met["psnr"])
        ref, why = bdrate.ladder_rate(lad["kbps"], lad["psnr_db"], psnr)
        saving, why = bdrate.point_saving(total_kbps, psnr, lad["kbps"], lad["psnr_db"])
        lr_codec = (m["stream"].get("codec") or {}) if isinstance(m["stream"].get("codec"), dict) else {}
        rows.append(
            {
                "video": m["video"],
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
                "stream_kbps": kbps(sizes["stream"], d),
                "model_kbps": kbps(sizes["models"], d),
                "side_kbps": kbps(sizes["side"], d),
                "total_kbps": total_kbps,
                "psnr_db": psnr,
                "ladder_kbps_at_psnr": ref,
                "bd_rate_pct": saving,
                "bd_rate_note": why,
                "_eval_video": eval_video,
            }  # fmt: skip
        )
    rows += _bicubic_rows(rows, references or [], ladder_of)
    order = methods.label_order()
    df = pd.DataFrame(rows, columns=RATE_COLS)
    df["_o"] = df["method"].map(lambda lab: -1 if lab == "bicubic" else order.get(lab, len(order)))
    df = df.sort_values(["video", "scale", "backbone", "_o", "method_id"], kind="stable").drop(columns="_o")
    return df.reset_index(drop=True)


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
        key = (row["video"], int(row["scale"]))
        if key in seen:
            continue
        seen.add(key)
        ref = refs.get((row["_eval_video"], key[1]))
        if ref is None:
            continue
        lad = ladder_of[row["_eval_video"]]
        d, psnr = row["duration_s"], float(ref["bicubic_psnr"])
        total = kbps(row["stream_bytes"], d)
        at, _ = bdrate.ladder_rate(lad["kbps"], lad["psnr_db"], psnr)
        saving, why = bdrate.point_saving(total, psnr, lad["kbps"], lad["psnr_db"])
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
MD_COLS = ["video", "scale", "backbone", "method_id", "lr_codec", "lr_crf", "stream_kbps", "model_kbps",
              "side_kbps", "total_kbps", "side_bytes", "psnr_db", "ladder_kbps_at_psnr", "bd_rate_pct",
              "bd_rate_note"]  # fmt: skip
MD_LADDER_COLS = ["video", "codec", "crf", "kbps", "psnr_db"]


def markdown(table: pd.DataFrame, ladders: pd.DataFrame) -> str:
    return md.page(
        "Rate: bits of each delivery and the quality they buy",
        md.table(table[MD_COLS]),
        "## The reference: the HR video encoded alone (rate ladder)",
        md.table(ladders[MD_LADDER_COLS]),
        MD_NOTE,
    )


def figure(table: pd.DataFrame, ladders: pd.DataFrame, png: Path, pdf: Path) -> pd.DataFrame:
    """PSNR against kbit/s: one panel per video and scale, the ladder as a line, each method a point
    (colour: backbone, marker: method). Returns the plotted data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(v, s) for v, s in zip(table["video"], table["scale"], strict=True)})
    if not panels:
        raise StdoError("no bundle to plot")
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    markers = "osD^vPX*<>hp"
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    backbones = sorted(b for b in table["backbone"].unique() if b != "-")
    ids = list(dict.fromkeys(table["method_id"]))
    data = []
    for ax, (video, scale) in zip(axes[0], panels, strict=True):
        rows = table[(table["video"] == video) & (table["scale"] == scale)]
        lad = ladders[ladders["video"] == video].sort_values("kbps")
        ax.plot(lad["kbps"], lad["psnr_db"], "-o", color="0.3", ms=4,
                label=f"HR video alone ({lad['codec'].iloc[0] if len(lad) else '?'})")  # fmt: skip
        for r in lad.itertuples():
            data.append({"video": video, "scale": scale, "backbone": "", "series": "hr_ladder",
                         "method_id": "", "crf": r.crf, "kbps": r.kbps, "psnr_db": r.psnr_db})  # fmt: skip
        for r in rows.itertuples():
            if r.method_id == "bicubic":  # the LR stream alone, upscaled by bicubic
                style = {"marker": "x", "color": "black", "label": "LR stream + bicubic (no models)"}
            else:
                style = {"marker": markers[ids.index(r.method_id) % len(markers)],
                         "color": colours[backbones.index(r.backbone) % len(colours)],
                         "label": f"{r.method_id} ({r.backbone})"}  # fmt: skip
            ax.scatter(r.total_kbps, r.psnr_db, s=40, zorder=3, **style)
            data.append({"video": video, "scale": scale, "backbone": r.backbone, "series": "delivery",
                         "method_id": r.method_id, "crf": r.lr_crf, "kbps": r.total_kbps,
                         "psnr_db": r.psnr_db})  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlabel("kbit/s (LR stream + models + side information)")
        ax.set_ylabel("PSNR (dB)")
        lr = rows["lr_codec"].iloc[0] + (
            f" crf {rows['lr_crf'].iloc[0]:g}" if pd.notna(rows["lr_crf"].iloc[0]) else ""
        )
        ax.set_title(f"{video} x{scale}: LR stream {lr}, {rows['duration_s'].iloc[0]:g} s", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, loc="upper left")
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
        table = rate_table(manifests, args.metrics, args.ladders, args.references)
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
            io.write_sidecar(out, stage="rate", params={}, inputs=inputs)
        print(
            table[
                ["video", "scale", "backbone", "method_id", "total_kbps", "psnr_db", "bd_rate_pct"]
            ].to_string(index=False)
        )


if __name__ == "__main__":
    main()
