"""Benchmark exported models on this machine with the LiteRT interpreter (host CPU figures).

One job per video, scale and backbone, over every method of the cell:

- ``size: task``, one whole frame of the paper's task through one model: 270x480 LR to
  1080x1920 at x4, and the matching LR sizes at x2 (540x960) and x3 (360x640). Latency is a
  property of the graph, not of the weights, so the backbone is converted at that size once
  (and once with CaFM's modulation, the grouped convs at its sites, see :mod:`stdo.models.cafm`); every method
  of the backbone gets that figure. The task-size files are kept (``task/``) for the phone (adb).
- ``size: frame``, one frame of the video's own size through the method's first exported model.
- ``routed: true``: the client of a method with several models (STDO, NAS) or modulations
  (CaFM) sends each LR patch of the video's first frame through its group's model, one group
  after another (each switch to the next model counted), as exported at patch size. NAS and
  CaFM route by time, so one frame is one group (no switch); STDO's chunks mix within a frame.

Each figure is the median (and 95th percentile) of timed invocations after warm-up runs, with
``threads`` interpreter threads; fps is 1000 / median latency, and every row carries the
paper's real-time verdict (latency < 50 ms and > 20 fps, :mod:`stdo.device.realtime`). These
are host CPU figures, named as such in the output's ``device``; the phone's come from the adb
backend (:mod:`stdo.device.adb`).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stdo import methods
from stdo.core import io, runtime
from stdo.core.errors import StdoError
from stdo.device import export
from stdo.device.realtime import verdict
from stdo.models import modelfile
from stdo.sr import litert
from stdo.sr.litert import LiteRTModels
from stdo.sr.routed import RoutedSR

TASK_HR = (1080, 1920)


def task_lr(scale: int) -> tuple[int, int]:
    """LR size of the paper's task at ``scale`` (1080x1920 output)."""
    if TASK_HR[0] % scale or TASK_HR[1] % scale:
        raise StdoError(f"the 1080x1920 task has no whole LR size at x{scale}")
    return TASK_HR[0] // scale, TASK_HR[1] // scale


def host_name(threads: int) -> str:
    """``host CPU <model> (<n> threads, LiteRT <version>)``."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        litert = version("ai-edge-litert")
    except Exception:  # noqa: BLE001 - any metadata failure only shortens the name
        litert = "?"
    return f"host CPU {model} ({threads} threads, LiteRT {litert})"


def _stats(times_ms: list[float]) -> dict[str, float]:
    latency = float(np.median(times_ms))
    return {"latency_ms": latency, "p95_ms": float(np.percentile(times_ms, 95)), "fps": 1000.0 / latency}


def time_model(path: Path, *, threads: int, warmup: int, runs: int, seed: int = 0) -> dict[str, float]:
    """Median and p95 latency (ms) and fps of one invocation of a ``.tflite`` on random LR input."""
    it = litert.interpreter(path, threads)
    inp = it.get_input_details()[0]
    x = (np.random.default_rng(seed).random(inp["shape"]) * 255).astype(np.float32)
    it.set_tensor(inp["index"], x)
    for _ in range(warmup):
        it.invoke()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        it.invoke()
        times.append((time.perf_counter() - t0) * 1000)
    return _stats(times)


def time_routed(
    paths: list[Path],
    groups: np.ndarray,
    lr: np.ndarray,
    *,
    threads: int,
    warmup: int,
    runs: int,
    n_groups: int | None = None,
    what: str = "routed client",
) -> dict[str, Any]:
    """One frame's patches ``lr`` ``[P, h, w, 3]`` through their groups' models (``paths[g]``
    for the patches with ``groups == g``; ``n_groups`` groups, one path each), one group after
    another: the routed client's frame latency (:class:`stdo.sr.routed.RoutedSR` with LiteRT, the
    patches converted to the graphs' input before timing), with the number of switches between
    models."""
    n = len(paths) if n_groups is None else n_groups
    sr = RoutedSR(LiteRTModels(paths, threads), groups, groups=n, what=what, share=False)
    x = sr.models.prepare(lr)

    def frame() -> None:
        for _ in sr.batches(x, prepared=True):
            pass

    for _ in range(warmup):
        frame()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        frame()
        times.append((time.perf_counter() - t0) * 1000)
    return _stats(times) | {"switches": len(sr.plan()) - 1}


def _row(cell: dict[str, Any], method: str, dtype: str, size: str, routed: bool, lr_hw, stats) -> dict:
    s = int(cell["scale"])
    return (
        cell
        | {"method": method, "dtype": dtype, "size": size, "routed": routed}
        | {"lr_h": int(lr_hw[0]), "lr_w": int(lr_hw[1]), "hr_h": int(lr_hw[0]) * s, "hr_w": int(lr_hw[1]) * s}
        | {k: round(float(v), 4) for k, v in stats.items() if k != "switches"}
        | {"real_time": verdict(stats["latency_ms"], stats["fps"]), "switches": stats.get("switches")}
    )


def bench_cell(
    *,
    manifest: dict[str, Any],
    method_ids: list[str],
    index: pd.DataFrame,
    patches_lr: np.ndarray,
    partitions: dict[int, np.ndarray],
    cell: dict[str, Any],
    task_dir: Path,
    threads: int,
    warmup: int,
    runs: int,
) -> list[dict[str, Any]]:
    """Every benchmark row of one video, scale and backbone (see the module docstring)."""
    files = pd.DataFrame(manifest["files"])
    scale = int(manifest["scale"])
    dtypes = sorted(files["dtype"].unique(), key=export.DTYPES.index)
    rows: list[dict[str, Any]] = []
    arch_stats: dict[tuple[bool, str], dict[str, float]] = {}
    frame0 = index["frame"].to_numpy() == 0
    for method in method_ids:
        units = methods.method_units(method)
        first = files[(files["unit"] == units[0]) & (files["size"] == "frame")]
        if first.empty:
            raise StdoError(f"method {method}: no exported model of unit {units[0]} in the export manifest")
        modulated = methods.unit_cafm_segments(units[0]) is not None
        for dtype in dtypes:
            key = (modulated, dtype)
            if key not in arch_stats:  # one task-size conversion per graph and dtype
                path = task_dir / f"{'cafm' if modulated else 'plain'}_{dtype}.tflite"
                if not path.exists():
                    model, _ = modelfile.load_model(Path(files.loc[first.index[0], "unit_model"]))
                    graph = export.graphs(model)[0][1]
                    export.convert(graph, task_lr(scale), {dtype: path})
                arch_stats[key] = time_model(path, threads=threads, warmup=warmup, runs=runs)
            rows.append(_row(cell, method, dtype, "task", False, task_lr(scale), arch_stats[key]))
            f = first[(first["dtype"] == dtype) & (first["segment"].fillna(0) == 0)].iloc[0]
            stats = time_model(Path(f["file"]), threads=threads, warmup=warmup, runs=runs)
            rows.append(_row(cell, method, dtype, "frame", False, f["input"][2:], stats))
        n_groups = methods.method_groups(method)
        if n_groups > 1:
            k = methods.method_partition_k(method)
            groups = methods.route(method, index=index, chunks=partitions.get(k) if k else None)[frame0]
            patch = files[(files["size"] == "patch") & (files["dtype"] == "float32")]
            if modulated:
                sel = patch[patch["unit"] == units[0]].sort_values("segment")
            else:
                sel = pd.concat([patch[patch["unit"] == u] for u in units])
            stats = time_routed(
                [Path(p) for p in sel["file"]],
                groups,
                patches_lr[frame0],
                threads=threads,
                warmup=warmup,
                runs=runs,
                n_groups=n_groups,
                what=f"method {method}, patch-size models",
            )
            # a whole frame of the video, served patch by patch (its size is the frame's)
            rows.append(_row(cell, method, "float32", "frame", True, first.iloc[0]["input"][2:], stats))
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo bench", description=__doc__)
    p.add_argument("--manifest", required=True, type=Path, help="the export stage's manifest.json")
    p.add_argument("--models", required=True, nargs="+", type=Path, help="the units' model.pt files")
    p.add_argument("--patches", required=True, type=Path, help="patch folder of the evaluated video")
    p.add_argument("--methods", required=True, help="comma-separated method ids of the cell")
    p.add_argument("--partitions", nargs="*", type=Path, default=[], help="chunks.npy of the routed STDO k")
    p.add_argument("--labels", required=True, type=json.loads, help="JSON: video, scale, backbone")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--out", required=True, type=Path, help="host.json")
    p.add_argument("--task-dir", required=True, type=Path, help="where the task-size .tflite files go")
    args = p.parse_args(argv)
    with io.stage_errors("bench"):
        runtime.set_threads(1)
        manifest = json.loads(args.manifest.read_text())
        models = {m.parent.name: str(m) for m in args.models}
        for f in manifest["files"]:
            if f["unit"] not in models:
                raise StdoError(f"{args.manifest}: unit {f['unit']} has no model among --models")
            f["unit_model"] = models[f["unit"]]
        partitions = {}
        for path in args.partitions:
            chunks = np.asarray(io.open_array(path))
            partitions[int(path.parent.name.removeprefix("k"))] = chunks
        index = pd.read_csv(args.patches / "index.csv")
        rows = bench_cell(
            manifest=manifest,
            method_ids=[m for m in args.methods.split(",") if m],
            index=index,
            patches_lr=np.asarray(io.open_array(args.patches / "lr.npy")),
            partitions=partitions,
            cell=args.labels,
            task_dir=args.task_dir,
            threads=args.threads,
            warmup=args.warmup,
            runs=args.runs,
        )
        out = {"device": host_name(args.threads), "backend": "host", "rows": rows}
        io.write_json(args.out, out)
        params = {"threads": args.threads, "warmup": args.warmup, "runs": args.runs, "methods": args.methods}
        io.write_sidecar(args.out, stage="bench", params=params, inputs=[args.manifest, *args.models])
        print(pd.DataFrame(rows)[["method", "dtype", "size", "routed", "latency_ms", "fps", "real_time"]])


if __name__ == "__main__":
    main()
