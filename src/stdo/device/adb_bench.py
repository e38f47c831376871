"""The task-size models of a cell benchmarked on an Android phone over adb (Figure 5's device).

Runs :func:`stdo.device.adb.run_benchmark` on each task-size ``.tflite`` the host bench kept
(``plain_<dtype>.tflite``, and ``cafm_<dtype>.tflite`` where CaFM is evaluated) and writes the
same rows as the host bench (``size: task``, one whole frame through one model) for every method
of the cell, with the phone named in ``device``. The raw ``benchmark_model`` logs are kept beside.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from stdo import methods
from stdo.core import io
from stdo.core.errors import StdoError
from stdo.device.adb import AdbConfig, run_benchmark
from stdo.device.bench import task_lr

RUN_KEYS: dict[str, Any] = {"delegate": "cpu", "threads": 4, "runs": 50, "warmup": 5, "timeout_s": 600.0}
DEVICE_KEYS = ("serial", "adb", "env", "remote_root", "step_timeout_s")  # AdbConfig's


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo adb_bench", description=__doc__)
    p.add_argument("--task-dir", required=True, type=Path, help="the host bench's task/ folder")
    p.add_argument("--binary", required=True, type=Path, help="benchmark_model built for the phone")
    p.add_argument("--config", required=True, type=json.loads, help="JSON: the config's bench.adb")
    p.add_argument("--methods", required=True, help="comma-separated method ids of the cell")
    p.add_argument("--labels", required=True, type=json.loads, help="JSON: video, scale, backbone")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--log", required=True, type=Path, help="raw benchmark_model output (all runs)")
    args = p.parse_args(argv)
    with io.stage_errors("adb_bench"):
        run = RUN_KEYS | {k: args.config[k] for k in RUN_KEYS if k in args.config}
        unknown = set(args.config) - set(RUN_KEYS) - set(DEVICE_KEYS) - {"binary"}
        if unknown:
            raise StdoError(f"bench.adb: unknown keys {sorted(unknown)}")
        device = AdbConfig.from_mapping({k: v for k, v in args.config.items() if k in DEVICE_KEYS})
        records: dict[str, dict[str, Any]] = {}
        logs = []
        for path in sorted(args.task_dir.glob("*.tflite")):
            log = args.out.with_name(f"{args.out.stem}_{path.stem}.log")
            records[path.stem] = run_benchmark(
                device,
                path,
                args.binary,
                log_path=log,
                delegate=run["delegate"],
                threads=int(run["threads"]),
                num_runs=int(run["runs"]),
                warmup_runs=int(run["warmup"]),
                timeout_s=float(run["timeout_s"]),
            )
            logs.append(log.read_text())
        if not records:
            raise StdoError(f"{args.task_dir}: no task-size .tflite files to benchmark")
        scale = int(args.labels["scale"])
        lr_h, lr_w = task_lr(scale)
        rows = []
        for method in [m for m in args.methods.split(",") if m]:
            arch = "cafm" if methods.unit_cafm_segments(methods.method_units(method)[0]) else "plain"
            for stem, r in records.items():
                if not stem.startswith(arch + "_"):
                    continue
                rows.append(
                    args.labels
                    | {"method": method, "dtype": stem.split("_", 1)[1], "size": "task", "routed": False}
                    | {"lr_h": lr_h, "lr_w": lr_w, "hr_h": lr_h * scale, "hr_w": lr_w * scale}
                    | {"latency_ms": r["latency_ms"], "p95_ms": r.get("p95_ms") or r["latency_ms"]}
                    | {"fps": r["fps"], "real_time": r["real_time"], "switches": None}
                )
        first = next(iter(records.values()))
        name = f"{first['device_model']} ({first['soc']}), adb, {run['delegate']}, {run['threads']} threads"
        io.write_text(args.log, "\n".join(logs))
        io.write_json(args.out, {"device": name, "backend": "adb", "rows": rows, "runs": records})
        io.write_sidecar(
            args.out, stage="adb_bench", params=run | {"serial": device.serial}, inputs=[args.binary]
        )


if __name__ == "__main__":
    main()
