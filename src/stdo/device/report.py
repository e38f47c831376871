"""The paper's Figure 5 and its table: frames per second against PSNR on a device.

Inputs are the bench stage's JSON files (``{"device", "backend", "rows"}``, one per video, scale
and backbone, per backend) and the evaluation metrics (``metrics.json``, read with
:func:`stdo.report.tables.load_metrics`). Each benchmark row is joined to its method's PSNR on
(video, scale, backbone id, method id); a benchmarked method without metrics keeps an empty PSNR.

* :func:`bench_table`: one row per backend/device, video, scale, backbone, method, dtype, size and
  routing, with the paper's label, PSNR, latency, fps and the real-time verdict (the paper's
  criterion, :mod:`stdo.device.realtime`: latency below 50 ms and more than 20 fps).
* :func:`figure5`: fps (log scale) against PSNR for the whole-frame rows of one size and dtype,
  one colour per backbone, one marker per method, one panel per scale (and per device and video
  when there are several), the real-time region shaded. Rows of the ``host`` backend are host CPU
  figures (the build machine's CPU through LiteRT), not a phone, and the figure says so.

``size`` is ``task`` (the paper's task: 270x480 LR to 1080x1920 at x4, 540x960 at x2, 360x640 at
x3) or ``frame`` (the video's own frame size); ``routed`` rows time STDO/NAS/CaFM's client
routing each patch of one frame to its model (model switches included), the others one whole
frame through one model.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter, NullLocator  # noqa: E402

from stdo import methods
from stdo.core import io
from stdo.core.errors import StdoError  # noqa: E402
from stdo.device.realtime import MAX_LATENCY_MS, MIN_FPS, verdict, verdict_label  # noqa: E402
from stdo.report import paper, tables  # noqa: E402

STAGE = "bench_report"
BACKENDS = ("host", "adb")
ROW_COLS = ("video", "scale", "backbone", "method", "dtype", "size", "routed", "lr_h", "lr_w", "hr_h", "hr_w",
            "latency_ms", "p95_ms", "fps", "real_time", "switches")  # fmt: skip
KEY = ["backend", "device", "video", "scale", "backbone", "method", "dtype", "size", "routed"]
SIZE_ORDER = ("task", "frame")
DTYPE_ORDER = ("float32", "float16")
TABLE_COLS = ["backend", "device", "video", "scale", "backbone", "backbone_id", "method", "k", "method_id",
              "dtype", "size", "routed", "lr_h", "lr_w", "hr_h", "hr_w", "switches", "psnr_db",
              "psnr_std_db", "psnr_trainer_db", "latency_ms", "p95_ms", "fps", "real_time",
              "verdict"]  # fmt: skip
FIGURE_COLS = ["backend", "device", "video", "scale", "backbone", "method", "k", "method_id", "series",
               "dtype", "size", "lr_h", "lr_w", "hr_h", "hr_w", "latency_ms", "fps", "psnr_db",
               "psnr_std_db", "real_time"]  # fmt: skip
LATENCY_TICKS = (10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1)
FPS_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
TITLE = "Figure 5: frames per second against PSNR on {devices}"
HOST_NOTE = "host CPU figures (the build machine's CPU through LiteRT), not a phone"


def _fail(path: Path, what: str) -> StdoError:
    return StdoError(f"{path}: {what}; rerun the bench stage for it")


def _at_threshold(latency_ms: float, fps: float, tol: float = 1e-3) -> bool:
    """Whether a row sits on the real-time boundary within rounding (the bench stage rounds
    latency and fps after deciding), where its own ``real_time`` flag is taken as written."""
    return abs(latency_ms - MAX_LATENCY_MS) <= tol or abs(fps - MIN_FPS) <= tol


def _read_bench(path: Path) -> pd.DataFrame:
    """One bench JSON file as rows with its ``device`` and ``backend``; a :class:`StdoError`
    naming the file for anything a report cannot use."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise _fail(path, f"not a readable benchmark JSON ({e})") from e
    if not isinstance(doc, dict):
        raise _fail(path, "not a benchmark record (expected an object with device, backend and rows)")
    missing = [k for k in ("device", "backend", "rows") if k not in doc]
    if missing:
        raise _fail(path, f"benchmark record without {', '.join(missing)}")
    if doc["backend"] not in BACKENDS:
        raise _fail(path, f"backend {doc['backend']!r} is not one of {', '.join(BACKENDS)}")
    rows = doc["rows"]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise _fail(path, "no benchmark rows")
    df = pd.DataFrame(rows)
    missing = [c for c in ROW_COLS if c not in df]
    if missing:
        raise _fail(path, f"benchmark rows without column(s) {', '.join(missing)}")
    for i, r in df.iterrows():
        try:
            expected = verdict(float(r["latency_ms"]), float(r["fps"]))
        except (TypeError, ValueError) as e:
            raise _fail(path, f"row {i} ({r['method']}): {e}") from e
        if bool(r["real_time"]) != expected and not _at_threshold(float(r["latency_ms"]), float(r["fps"])):
            raise _fail(
                path,
                f"row {i} ({r['method']}): real_time={r['real_time']} but latency {r['latency_ms']} ms and "
                f"{r['fps']} fps give {expected} (real time: < {MAX_LATENCY_MS:g} ms and > {MIN_FPS:g} fps)",
            )
    df.insert(0, "device", str(doc["device"]))
    df.insert(0, "backend", str(doc["backend"]))
    return df


def load_bench(paths: Sequence[Path]) -> pd.DataFrame:
    """Every row of the bench stage's JSON files, with ``device`` and ``backend`` columns.

    A file that cannot be read, has no rows, lacks a column, names an unknown backend or holds a
    ``real_time`` flag at odds with its latency and fps is a :class:`StdoError` naming the file."""
    if not paths:
        raise StdoError("no benchmark files given")
    frames = [_read_bench(Path(p)) for p in paths]
    df = pd.concat(frames, ignore_index=True)
    df["scale"] = df["scale"].astype(int)
    df["routed"] = df["routed"].astype(bool)
    df["real_time"] = df["real_time"].astype(bool)
    df["switches"] = pd.array([None if pd.isna(v) else int(v) for v in df["switches"]], dtype="Int64")
    for col in ("lr_h", "lr_w", "hr_h", "hr_w"):
        df[col] = df[col].astype(int)
    return df


def _rank(values: Iterable[Any], first: Sequence[Any] = (), key: Any = None) -> dict[Any, int]:
    """Sort rank of each distinct value: those in ``first`` in its order, then the rest sorted
    (by ``key`` when given)."""
    distinct = set(values)
    rest = sorted((v for v in distinct if v not in first), key=key if key is not None else str)
    return {v: i for i, v in enumerate([*(v for v in first if v in distinct), *rest])}


def _metrics_psnr(metrics: pd.DataFrame) -> pd.DataFrame:
    """PSNR per (video, scale, backbone id, method id); duplicate keys are a :class:`StdoError`."""
    m = metrics.reindex(
        columns=["video", "scale", "backbone_id", "method", "psnr", "psnr_std", "n_seeds", "psnr_trainer"]
    )
    m = m.rename(columns={"backbone_id": "backbone"})
    m["video"] = m["video"].astype(str)
    m["scale"] = pd.to_numeric(m["scale"]).astype(int)
    m["psnr"] = pd.to_numeric(m["psnr"])
    m["psnr_trainer"] = pd.to_numeric(m["psnr_trainer"])
    key = ["video", "scale", "backbone", "method"]
    dup = m[m.duplicated(key, keep=False)]
    if not dup.empty:
        cells = sorted({f"{r.video} x{r.scale} {r.backbone} {r.method}" for r in dup.itertuples()})
        raise StdoError(f"more than one metrics.json for {'; '.join(cells)}: pass each evaluation once")
    return m


def bench_table(bench: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per backend/device, video, scale, backbone, method, dtype, size and routing: the
    method's paper label (``method``; the registry id in ``method_id``) and ``k``, the backbone's
    display name (``backbone``; the id in ``backbone_id``), ``psnr_db`` and ``psnr_trainer_db``
    (empty where the method has no metrics), latency, p95 and fps, ``real_time`` and ``verdict``.

    Sorted by backend and device, video, then backbone in the paper's order, scale, method in
    table order and k, size (task first), dtype (float32 first) and routing (whole frame first).
    Two rows with the same key are a :class:`StdoError`."""
    df = bench.copy()
    df["video"] = df["video"].astype(str)
    df["scale"] = df["scale"].astype(int)
    dup = df[df.duplicated(KEY, keep=False)]
    if not dup.empty:
        first = dup.iloc[0]
        raise StdoError(
            f"{len(dup)} benchmark rows share a key, e.g. {', '.join(f'{c}={first[c]}' for c in KEY)}: "
            "pass each bench file once"
        )
    df = df.merge(_metrics_psnr(metrics), on=["video", "scale", "backbone", "method"], how="left")
    labels = [methods.method_label(str(m)) for m in df["method"]]
    df["method_id"] = df["method"]
    df["method"] = [lab for lab, _ in labels]
    df["k"] = pd.array([k for _, k in labels], dtype="Int64")
    df["backbone_id"] = df["backbone"]
    df["backbone"] = df["backbone_id"].map({b: paper.backbone_name(str(b)) for b in set(df["backbone_id"])})
    df["psnr_db"] = df["psnr"].round(2)
    df["psnr_std_db"] = pd.to_numeric(df["psnr_std"]).round(3)  # over seeds (mean PSNR), empty for one
    df["psnr_trainer_db"] = df["psnr_trainer"].round(2)
    df["latency_ms"] = pd.to_numeric(df["latency_ms"]).round(2)
    df["p95_ms"] = pd.to_numeric(df["p95_ms"]).round(2)
    df["fps"] = pd.to_numeric(df["fps"]).round(3)
    df["verdict"] = df["real_time"].map(verdict_label)

    order = methods.label_order()
    keys = {
        "_backend": df["backend"].map(_rank(df["backend"], BACKENDS)),
        "_device": df["device"],
        "_video": df["video"],
        "_backbone": df["backbone"].map(_rank(df["backbone"], key=paper.backbone_rank)),
        "_scale": df["scale"],
        "_method": df["method"].map(lambda lab: order.get(lab, len(order))),
        "_k": df["k"].fillna(0).astype(int),
        "_size": df["size"].map(_rank(df["size"], SIZE_ORDER)),
        "_dtype": df["dtype"].map(_rank(df["dtype"], DTYPE_ORDER)),
        "_routed": df["routed"].astype(int),
    }
    df = df.assign(**keys).sort_values(list(keys), kind="stable")
    return df.reindex(columns=TABLE_COLS).reset_index(drop=True)


def _series(label: str, k: Any) -> str:
    return label if pd.isna(k) else f"{label} k={int(k)}"


def _fps_ms(x: Any) -> Any:
    """fps <-> latency in ms (its own inverse), for the latency axis on top."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1000.0 / x


def figure5_data(table: pd.DataFrame, *, size: str = "task", dtype: str = "float32") -> pd.DataFrame:
    """The points of Figure 5: whole-frame (``routed`` false) rows of ``size`` and ``dtype`` that
    have a PSNR, in the table's order, with their legend label (``series``)."""
    sel = table[~table["routed"].astype(bool) & (table["size"] == size) & (table["dtype"] == dtype)]
    if sel.empty:
        have = sorted({f"{r.size}/{r.dtype}" for r in table[~table["routed"].astype(bool)].itertuples()})
        raise StdoError(
            f"no whole-frame benchmark rows of size {size!r} and dtype {dtype!r} to plot "
            f"(whole-frame rows have: {', '.join(have) or 'none'})"
        )
    data = sel[sel["psnr_db"].notna()].copy()
    if data.empty:
        names = sorted({f"{r.backbone} {r.method_id}" for r in sel.itertuples()})
        raise StdoError(
            f"no metrics for any benchmarked model to plot ({', '.join(names)}): pass their metrics"
        )
    data["series"] = [_series(lab, k) for lab, k in zip(data["method"], data["k"], strict=True)]
    return data.reindex(columns=FIGURE_COLS).reset_index(drop=True)


def _devices(df: pd.DataFrame) -> str:
    return "; ".join(dict.fromkeys(df["device"]))


def plot_figure5(
    data: pd.DataFrame, *, size: str = "task", dtype: str = "float32", unplotted: Sequence[str] = ()
) -> plt.Figure:
    """Draw ``data`` (from :func:`figure5_data`): one panel per scale (columns) and per device and
    video (rows); colour = backbone, marker = method; the real-time region shaded."""
    rows = list(dict.fromkeys(zip(data["backend"], data["device"], data["video"], strict=True)))
    scales = sorted(set(data["scale"]))
    backbones = sorted(set(data["backbone"]), key=paper.backbone_rank)
    colours = {b: plt.get_cmap("tab10")(i % 10) for i, b in enumerate(backbones)}
    series = list(dict.fromkeys(data["series"]))
    markers = {s: MARKERS[i % len(MARKERS)] for i, s in enumerate(series)}
    lo = min(float(data["fps"].min()), MIN_FPS) / 2
    hi = max(float(data["fps"].max()), MIN_FPS) * 2

    fig, axes = plt.subplots(
        len(rows), len(scales), figsize=(5.0 * len(scales) + 0.6, 3.6 * len(rows) + 1.4), squeeze=False,
        layout="constrained",
    )  # fmt: skip
    for r, (backend, device, video) in enumerate(rows):
        for c, scale in enumerate(scales):
            ax = axes[r, c]
            cell = data[
                (data["backend"] == backend)
                & (data["device"] == device)
                & (data["video"] == video)
                & (data["scale"] == scale)
            ]
            ax.set_xscale("log")
            ax.set_xlim(lo, hi)
            ax.axvspan(MIN_FPS, hi, color="tab:green", alpha=0.12, lw=0, zorder=0)
            ax.axvline(MIN_FPS, color="tab:green", ls="--", lw=1, zorder=1)
            ax.text(
                MIN_FPS * 1.08, 0.98, f"real time\n> {MIN_FPS:g} fps, < {MAX_LATENCY_MS:g} ms",
                transform=ax.get_xaxis_transform(), va="top", ha="left", fontsize=7, color="darkgreen",
            )  # fmt: skip
            for (backbone, s), g in cell.groupby(["backbone", "series"], sort=False):
                ax.scatter(
                    g["fps"], g["psnr_db"], color=colours[backbone], marker=markers[s], s=45,
                    edgecolors="black", linewidths=0.5, zorder=3,
                )  # fmt: skip
                spread = pd.to_numeric(g.get("psnr_std_db", pd.Series(np.nan, index=g.index)))
                if spread.notna().any():  # +-1 sd of the mean PSNR over seeds
                    ax.errorbar(
                        g["fps"], g["psnr_db"], yerr=spread.fillna(0), fmt="none", ecolor=colours[backbone],
                        elinewidth=1, capsize=2, zorder=2,
                    )  # fmt: skip
            if cell.empty:
                ax.text(0.5, 0.5, "no points", transform=ax.transAxes, ha="center", va="center", color="grey")
            top = ax.secondary_xaxis("top", functions=(_fps_ms, _fps_ms))
            top.xaxis.set_major_locator(FixedLocator([v for v in LATENCY_TICKS if lo <= 1000 / v <= hi]))
            top.xaxis.set_major_formatter(FormatStrFormatter("%g"))
            top.xaxis.set_minor_locator(NullLocator())
            top.set_xlabel("latency (ms)", fontsize=8)
            ax.xaxis.set_major_locator(FixedLocator([v for v in FPS_TICKS if lo <= v <= hi]))
            ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
            ax.xaxis.set_minor_formatter(NullFormatter())  # no crowded labels on a short log range
            ax.set_xlabel("frames per second (fps, log scale)")
            ax.set_ylabel("PSNR (dB)")
            where = f"{video} x{scale}" + (f"\n{device}" if len(rows) > 1 else "")
            ax.set_title(where + (" (host CPU)" if backend == "host" and len(rows) > 1 else ""), fontsize=9)
            ax.grid(True, which="both", alpha=0.3)

    handles: list[Any] = [Patch(facecolor=colours[b], edgecolor="black", label=b) for b in backbones]
    handles += [Line2D([], [], ls="", marker=markers[s], color="0.4", mec="black", label=s) for s in series]
    region = f"real time (> {MIN_FPS:g} fps, < {MAX_LATENCY_MS:g} ms)"
    handles.append(Patch(facecolor="tab:green", alpha=0.12, label=region))
    fig.legend(
        handles=handles, loc="outside lower center", ncols=min(len(handles), 4 * len(scales)), fontsize=8,
        title="colour: backbone, marker: method", title_fontsize=8,
    )  # fmt: skip
    width = 60 * len(scales) + 20
    lines = [TITLE.format(devices=_devices(data)), f"whole frame, {size} size, {dtype}"]
    if (data["backend"] == "host").any():
        lines[-1] += f"; {HOST_NOTE}"
    if unplotted:
        lines.append(f"not plotted (no metrics): {', '.join(unplotted)}")
    fig.suptitle("\n".join(textwrap.fill(line, width) for line in lines), fontsize=9)
    return fig


def figure5(
    table: pd.DataFrame, png: Path, pdf: Path, *, size: str = "task", dtype: str = "float32"
) -> pd.DataFrame:
    """Figure 5 from :func:`bench_table`'s rows, written to ``png`` and ``pdf`` atomically (both
    appear only when both rendered); returns exactly the plotted points (:func:`figure5_data`)."""
    data = figure5_data(table, size=size, dtype=dtype)
    sel = table[~table["routed"].astype(bool) & (table["size"] == size) & (table["dtype"] == dtype)]
    missing = sel[sel["psnr_db"].isna()]
    unplotted = [f"{r.backbone} {r.method_id} ({r.video} x{r.scale})" for r in missing.itertuples()]
    fig = plot_figure5(data, size=size, dtype=dtype, unplotted=unplotted)
    try:
        with io.atomic_path(png) as tmp_png, io.atomic_path(pdf) as tmp_pdf:
            fig.savefig(tmp_png, format="png", dpi=130)
            fig.savefig(tmp_pdf, format="pdf")
    finally:
        plt.close(fig)
    return data


def notes(table: pd.DataFrame) -> list[str]:
    """Lines under the Markdown table: which rows are host CPU figures, what real time means,
    what size and routed mean, and which rows have no PSNR."""
    out = []
    for backend in BACKENDS:
        devices = sorted(set(table.loc[table["backend"] == backend, "device"]))
        if not devices:
            continue
        if backend == "host":
            out.append(
                f"**Host CPU figures**: the rows with backend `host` ({'; '.join(devices)}) were timed on "
                "the build machine's CPU through LiteRT, not on a phone; they rank the models by cost but "
                "are not the paper's on-device numbers."
            )
        else:
            out.append(f"On-device figures: the rows with backend `adb` were timed on {'; '.join(devices)}.")
    out.append(
        f"Real time (the paper's criterion, Section 4.4): latency (`latency_ms`) below {MAX_LATENCY_MS:g} ms "
        f"and more than {MIN_FPS:g} frames per second (fps = 1000 / latency_ms); `verdict` says which."
    )
    out.append(
        "`size`: `task` is the paper's task (270x480 LR to 1080x1920 at x4; 540x960 LR at x2, 360x640 at "
        "x3), `frame` the video's own frame size. `routed`: yes = the client routes each patch of one frame "
        "to its model (model switches counted in `switches`), otherwise one whole frame through one model."
    )
    missing = table[table["psnr_db"].isna()]
    if not missing.empty:
        names = sorted({f"{r.backbone} {r.method_id} ({r.video} x{r.scale})" for r in missing.itertuples()})
        out.append(f"No metrics (empty PSNR) for: {'; '.join(names)}.")
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo bench-report", description=__doc__.split("\n\n")[0])
    p.add_argument("--bench", required=True, nargs="+", type=Path, help="the bench stage's JSON files")
    p.add_argument("--metrics", required=True, nargs="+", type=Path, help="metrics.json files")
    p.add_argument("--size", default="task", help="the figure's size: task or frame")
    p.add_argument("--dtype", default="float32", help="the figure's dtype: float32 or float16")
    p.add_argument("--out-csv", required=True, type=Path)
    p.add_argument("--out-md", required=True, type=Path)
    p.add_argument("--out-png", required=True, type=Path)
    p.add_argument("--out-pdf", required=True, type=Path)
    p.add_argument(
        "--out-data", type=Path, default=None, help="the figure's points (default: <png stem>.csv)"
    )
    args = p.parse_args(argv)
    out_data = args.out_data or args.out_png.with_name(args.out_png.stem + ".csv")
    with io.stage_errors(STAGE):
        table = bench_table(load_bench(args.bench), tables.aggregate_seeds(tables.load_metrics(args.metrics)))
        title = TITLE.format(devices=_devices(table))
        io.write_csv(args.out_csv, table)
        io.write_text(args.out_md, tables.to_markdown(table, title, tables.footer(), notes(table)))
        data = figure5(table, args.out_png, args.out_pdf, size=args.size, dtype=args.dtype)
        io.write_csv(out_data, data)
        params = {
            "title": title,
            "size": args.size,
            "dtype": args.dtype,
            "devices": sorted(set(table["device"])),
        }
        for out in (args.out_csv, args.out_md, args.out_png, args.out_pdf, out_data):
            io.write_sidecar(out, stage=STAGE, params=params, inputs=[*args.bench, *args.metrics])
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
