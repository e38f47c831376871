"""Host CPU latency of every backbone at the paper's size on the paper's task (Figure 5's axis).

    python benchmarks/device_host.py [--scale 4] [--threads 2] [--runs 3] [--backbones espcn,wdsr]

Converts each backbone (the constructor defaults: the paper's sizes, untrained weights, since
latency depends on the graph only) with litert-torch for the task's LR input (270x480 at x4,
540x960 at x2, 360x640 at x3; 1080x1920 out), in float32 and float16 weights, and times one
whole frame with the LiteRT interpreter (stdo.device.bench.time_model): median latency, fps and
the paper's real-time verdict (< 50 ms and > 20 fps). Host CPU figures, not a phone's.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from stdo.device import bench, export
from stdo.models import available, build_model


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--backbones", default=",".join(available()))
    args = p.parse_args()
    lr_hw = bench.task_lr(args.scale)
    print(bench.host_name(args.threads))
    print(f"task: {lr_hw[0]}x{lr_hw[1]} -> 1080x1920 (x{args.scale})")
    print(f"{'backbone':8} {'dtype':8} {'MB':>6} {'convert s':>9} {'latency ms':>11} {'fps':>7}  verdict")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.backbones.split(","):
            graph = export.graphs(build_model(name, scale=args.scale, seed=0))[0][1]
            paths = {d: Path(tmp) / f"{name}_{d}.tflite" for d in export.DTYPES}
            t0 = time.perf_counter()
            export.convert(graph, lr_hw, paths)
            convert_s = time.perf_counter() - t0
            for dtype, path in paths.items():
                s = bench.time_model(path, threads=args.threads, warmup=args.warmup, runs=args.runs)
                real = "real time" if s["latency_ms"] < 50 and s["fps"] > 20 else "not real time"
                mb = path.stat().st_size / 1e6
                timing = f"{s['latency_ms']:11.1f} {s['fps']:7.2f}"
                print(f"{name:8} {dtype:8} {mb:6.2f} {convert_s:9.1f} {timing}  {real}", flush=True)


if __name__ == "__main__":
    main()
