#!/usr/bin/env python3
"""A stand-in for TFLite's ``benchmark_model`` (``android_aarch64_benchmark_model``) for tests.

It accepts the real tool's flags (``--graph --num_threads --num_runs --warmup_runs --min_secs
--warmup_min_secs --max_secs --use_xnnpack --use_gpu``; others draw the real tool's ``WARN:
Unconsumed cmdline flags`` line), runs the ``.tflite`` with the LiteRT interpreter on random input
of the model's input shape, times the warm-up and the timed runs as the real tool does (at least
N runs *and* at least the minimum seconds) and prints the real format: INFO lines on stdout, the
two ``count=`` blocks with ``p5/median/p95``, the ``Inference timings in us`` summary line;
ERROR lines on stderr. There is no GPU here: ``--use_gpu=true`` is logged and runs on the CPU.

Failure on request, through ``--standin_fail=MODE`` or the environment variable
``BENCHMARK_STANDIN_FAIL``: ``exit`` (the real "failed to prepare" messages, exit status 1),
``no-summary`` (runs, prints no summary line, exit 0), ``hang`` (sleeps after loading, for
timeouts), ``segv`` (dies of SIGSEGV after loading).

Tests copy it with its ``#!`` line pointing at the running interpreter (which has LiteRT).
"""

from __future__ import annotations

import math
import os
import resource
import signal
import sys
import time

FAIL_ENV = "BENCHMARK_STANDIN_FAIL"
FAIL_MODES = ("exit", "no-summary", "hang", "segv")
FLAGS = {
    "graph": "",
    "num_threads": "-1",
    "num_runs": "50",
    "warmup_runs": "1",
    "min_secs": "1",
    "warmup_min_secs": "0.5",
    "max_secs": "150",
    "use_xnnpack": "",
    "use_gpu": "false",
    "standin_fail": "",
}


def info(message: str) -> None:
    print(f"INFO: {message}", flush=True)


def error(message: str) -> None:
    print(f"ERROR: {message}", file=sys.stderr, flush=True)


def as_bool(text: str) -> bool:
    return text.lower() in ("1", "true", "yes")


def stats_line(samples: list[int]) -> str:
    """A ``count=... std=... p5= median= p95=`` line as TFLite's ``Stat`` prints it."""
    n = len(samples)
    avg = sum(samples) / n
    std = math.sqrt(sum((s - avg) ** 2 for s in samples) / n)
    ordered = sorted(samples)

    def pct(p: float) -> int:
        return ordered[min(n - 1, max(0, math.ceil(p / 100 * n) - 1))]

    return (
        f"count={n} first={samples[0]} curr={samples[-1]} min={ordered[0]} max={ordered[-1]} "
        f"avg={avg:g} std={round(std)} p5={pct(5)} median={pct(50)} p95={pct(95)}"
    )


def run(interpreter, min_runs: int, min_secs: float, max_secs: float) -> list[int]:
    info(
        f"Running benchmark for at least {min_runs} iterations and at least {min_secs:g} seconds "
        f"but terminate if exceeding {max_secs:g} seconds."
    )
    samples: list[int] = []
    start = time.perf_counter()
    while True:
        elapsed = time.perf_counter() - start
        if samples and ((len(samples) >= min_runs and elapsed >= min_secs) or elapsed > max_secs):
            break
        t0 = time.perf_counter_ns()
        interpreter.invoke()
        samples.append(max(1, (time.perf_counter_ns() - t0) // 1000))
    info(stats_line(samples))
    print(flush=True)
    return samples


def parse_flags(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    flags = dict(FLAGS)
    unconsumed = []
    for arg in argv:
        key, sep, value = arg.removeprefix("--").partition("=")
        if arg.startswith("--") and sep and key in flags:
            flags[key] = value
        else:
            unconsumed.append(arg)
    return flags, unconsumed


def main(argv: list[str]) -> int:
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    flags, unconsumed = parse_flags(argv)
    fail = flags["standin_fail"] or os.environ.get(FAIL_ENV, "")
    if fail and fail not in FAIL_MODES:
        error(f"standin_fail={fail!r}: one of {', '.join(FAIL_MODES)}")
        return 2
    info("STARTING!")
    if unconsumed:
        print(f"WARN: Unconsumed cmdline flags: {' '.join(unconsumed)}", flush=True)
    num_runs, warmup_runs = int(flags["num_runs"]), int(flags["warmup_runs"])
    threads = int(flags["num_threads"])
    info("Log parameter values verbosely: [0]")
    info(f"Min num runs: [{num_runs}]")
    info(f"Min warmup runs: [{warmup_runs}]")
    if threads > 0:
        info(f"Num threads: [{threads}]")
    info(f"Graph: [{flags['graph']}]")
    info("Signature to run: []")
    if as_bool(flags["use_gpu"]):
        info("Use gpu: [1]")
    if flags["use_xnnpack"]:
        info(f"Use xnnpack: [{int(as_bool(flags['use_xnnpack']))}]")
    if not flags["graph"]:
        error("Please specify the name of your TF Lite input file with --graph")
        error("Benchmarking failed.")
        return 1
    if not os.path.isfile(flags["graph"]):
        error(f"Could not open '{flags['graph']}'.")
        error("Benchmarking failed.")
        return 1

    import numpy as np
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    t0 = time.perf_counter_ns()
    info(f"Loaded model {flags['graph']}")
    info("Initialized TensorFlow Lite runtime.")
    resolver = OpResolverType.AUTO
    if flags["use_xnnpack"] and not as_bool(flags["use_xnnpack"]):
        resolver = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    if as_bool(flags["use_gpu"]):
        info("Created TensorFlow Lite delegate for GPU.")
    saved = os.dup(2)
    os.dup2(1, 2)  # the runtime's own INFO lines go to stdout, as in the real tool
    try:
        interpreter = Interpreter(
            model_path=flags["graph"],
            num_threads=threads if threads > 0 else None,
            experimental_op_resolver_type=resolver,
        )
        if fail == "exit":
            os.dup2(saved, 2)
            error("Node number 0 (CONV_2D) failed to prepare.")
            error("Failed to allocate tensors!")
            error("Benchmarking failed.")
            return 1
        interpreter.allocate_tensors()
    finally:
        sys.stdout.flush()
        os.dup2(saved, 2)
        os.close(saved)
    rng = np.random.default_rng(0)
    for detail in interpreter.get_input_details():
        shape, dtype = tuple(detail["shape"]), detail["dtype"]
        if np.issubdtype(dtype, np.integer):
            info_ = np.iinfo(dtype)
            data = rng.integers(info_.min, info_.max, size=shape, endpoint=True).astype(dtype)
        else:
            data = rng.uniform(0, 255, size=shape).astype(dtype)
        interpreter.set_tensor(detail["index"], data)
    init_us = (time.perf_counter_ns() - t0) // 1000
    info(f"The input model file size (MB): {os.path.getsize(flags['graph']) / 1e6:g}")
    info(f"Initialized session in {init_us / 1000:g}ms.")
    rss_init = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if fail == "hang":
        time.sleep(3600)
    if fail == "segv":
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGSEGV)
    max_secs = float(flags["max_secs"])
    warm = run(interpreter, warmup_runs, float(flags["warmup_min_secs"]), max_secs)
    timed = run(interpreter, num_runs, float(flags["min_secs"]), max_secs)
    if fail == "no-summary":
        return 0
    info(
        f"Inference timings in us: Init: {init_us}, First inference: {warm[0]}, "
        f"Warmup (avg): {sum(warm) / len(warm):g}, Inference (avg): {sum(timed) / len(timed):g}"
    )
    info(
        "Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE "
        "to the actual memory footprint of the model at runtime. Take the information at your discretion."
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    info(
        "Memory footprint delta from the start of the tool (MB): "
        f"init={(rss_init - rss0) / 1024:g} overall={(rss - rss0) / 1024:g}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
