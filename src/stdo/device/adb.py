"""Benchmark an exported ``.tflite`` model on an Android phone over adb (the paper's Figure 5).

The steps, each a method of :class:`AdbDevice`, run the real ``adb`` command-line client:

1. **preflight**: ``adb -s SERIAL get-state`` must say ``device`` (not offline, unauthorized or
   absent); the device must speak shell protocol v2 (Android 7+), which carries the exit status of
   ``adb shell`` commands; ``getprop`` gives the model (``ro.product.model``) and the SoC
   (``ro.soc.model``, else ``ro.board.platform``, else ``ro.hardware``).
2. **push** the model and the user's ``benchmark_model`` build (TFLite's
   ``android_aarch64_benchmark_model``) to a fresh run directory under ``/data/local/tmp``;
   ``chmod 755`` the tool.
3. **run** ``benchmark_model --graph=... --num_threads=N --num_runs=R --warmup_runs=W`` plus the
   delegate's flag (cpu: ``--use_xnnpack=true``, gpu: ``--use_gpu=true``) under a timeout,
   capturing stdout, stderr and the exit status.
4. **clean up** the run directory on the device (also after a failure or a timeout; a tool still
   running is killed by the process id it recorded).

The raw output is kept in a local log file (written whole, also when the run failed: it is what
explains the failure); the output is parsed by :mod:`stdo.device.benchmark_output` and
:func:`run_benchmark` returns, and optionally writes as JSON, the result record. Every failure is
an :class:`AdbError` naming the device serial and the step; no result file is written then.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stdo.core.errors import StdoError
from stdo.core.io import write_json, write_text
from stdo.device.benchmark_output import BenchmarkOutputError, parse_benchmark_output
from stdo.device.realtime import verdict, verdict_label

DELEGATE_FLAGS: dict[str, tuple[str, ...]] = {
    "cpu": ("--use_xnnpack=true",),
    "gpu": ("--use_gpu=true",),
}
REMOTE_ROOT = "/data/local/tmp"
SOC_PROPS = ("ro.soc.model", "ro.board.platform", "ro.hardware")
_STATE_HINTS = {
    "unauthorized": "device unauthorized: accept the 'Allow USB debugging' prompt on the phone",
    "offline": "device offline: reconnect it until `adb devices` lists it as 'device'",
    "not found": "no such device: `adb devices` lists the connected ones (the serial comes from the config)",
    "no devices": "no device connected: `adb devices` lists none",
}


class AdbError(StdoError):
    """A failed adb step; the message names the device serial and the step."""

    def __init__(self, serial: str, step: str, detail: str):
        super().__init__(f"adb device {serial}: {step} failed: {detail}")
        self.serial = serial
        self.step = step
        self.detail = detail


class DeviceUnavailable(AdbError):
    """The device is absent, offline, unauthorized or unusable (preflight)."""


class AdbTimeout(AdbError):
    """A step did not finish within its time limit; ``stdout``/``stderr`` hold what it printed."""

    def __init__(self, serial: str, step: str, detail: str, *, stdout: str = "", stderr: str = ""):
        super().__init__(serial, step, detail)
        self.stdout = stdout
        self.stderr = stderr


class BenchmarkFailed(AdbError):
    """``benchmark_model`` exited non-zero or printed no summary line."""


@dataclass(frozen=True)
class AdbConfig:
    """How to reach the device: its ``serial``, the ``adb`` client to run (a name on ``PATH`` or a
    path), extra environment for it (``ANDROID_ADB_SERVER_PORT``, ``HOME``, ``ADB_VENDOR_KEYS``,
    ...), the writable device directory under which run directories are made, and the time
    limit of the steps other than the benchmark itself."""

    serial: str
    adb: str = "adb"
    env: Mapping[str, str] = field(default_factory=dict)
    remote_root: str = REMOTE_ROOT
    step_timeout_s: float = 120.0

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> AdbConfig:
        """From a config section such as ``{serial: R5CR..., adb: /opt/platform-tools/adb}``."""
        unknown = set(cfg) - {"serial", "adb", "env", "remote_root", "step_timeout_s"}
        if unknown:
            raise StdoError(f"device config: unknown keys {sorted(unknown)}")
        if not cfg.get("serial"):
            raise StdoError("device config: set 'serial' to the phone's serial as `adb devices` lists it")
        return cls(
            serial=str(cfg["serial"]),
            adb=str(cfg.get("adb", "adb")),
            env={str(k): str(v) for k, v in (cfg.get("env") or {}).items()},
            remote_root=str(cfg.get("remote_root", REMOTE_ROOT)),
            step_timeout_s=float(cfg.get("step_timeout_s", 120.0)),
        )


@dataclass(frozen=True)
class DeviceInfo:
    """What preflight learned about the device."""

    serial: str
    model: str
    soc: str


@dataclass(frozen=True)
class ShellRun:
    """One finished ``adb shell`` command: its command line, output and exit status."""

    argv: tuple[str, ...]
    stdout: str
    stderr: str
    exit_status: int


def _detail(proc: subprocess.CompletedProcess) -> str:
    text = " ".join((proc.stderr or "").split() + (proc.stdout or "").split())
    return f"exit status {proc.returncode}" + (f": {text}" if text else "")


class AdbDevice:
    """The steps of a benchmark on one device, through the ``adb`` client."""

    def __init__(self, config: AdbConfig):
        self.config = config
        self.serial = config.serial

    def adb(
        self, *args: str, step: str, timeout_s: float | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        """Run ``adb -s SERIAL ARGS``; a missing client, a timeout or (with ``check``) a non-zero
        exit status is an :class:`AdbError` for ``step``."""
        argv = [self.config.adb, "-s", self.serial, *args]
        timeout = self.config.step_timeout_s if timeout_s is None else timeout_s
        try:
            proc = subprocess.run(
                argv,
                env={**os.environ, **self.config.env},
                capture_output=True,
                text=True,
                errors="replace",
                stdin=subprocess.DEVNULL,
                timeout=timeout,
            )
        except FileNotFoundError:
            raise AdbError(
                self.serial,
                step,
                f"adb client {self.config.adb!r} not found: install Android platform-tools "
                "(Debian: apt install adb) or give its path",
            ) from None
        except subprocess.TimeoutExpired as e:
            raise AdbTimeout(
                self.serial,
                step,
                f"no answer within {timeout:g} s",
                stdout=_text(e.stdout),
                stderr=_text(e.stderr),
            ) from None
        if check and proc.returncode != 0:
            raise AdbError(self.serial, step, _detail(proc))
        return proc

    def shell(
        self, command: str, *, step: str, timeout_s: float | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        """``adb shell COMMAND`` (one string, run by the device's ``sh -c``)."""
        return self.adb("shell", command, step=step, timeout_s=timeout_s, check=check)

    def preflight(self) -> DeviceInfo:
        """Check the device is ready and speaks shell v2; read its model and SoC."""
        step = "preflight"
        proc = self.adb("get-state", step=step, check=False)
        state = proc.stdout.strip()
        if proc.returncode != 0 or state != "device":
            said = " ".join((proc.stderr + " " + proc.stdout).split())
            hint = next((h for key, h in _STATE_HINTS.items() if key in said), f"state {state or said!r}")
            raise DeviceUnavailable(self.serial, step, f"{hint} (adb: {said or state})")
        features = self.adb("features", step=step).stdout.split()
        if "shell_v2" not in features:
            raise DeviceUnavailable(
                self.serial,
                step,
                "the device's adbd lacks shell protocol v2 (Android 7 or later), so exit statuses "
                f"would be lost; features: {', '.join(features) or 'none'}",
            )
        props = ("ro.product.model", *SOC_PROPS)
        lines = self.shell("; ".join(f"getprop {p}" for p in props), step=step).stdout
        values = [ln.strip() for ln in lines.replace("\r", "").split("\n")][: len(props)]
        values += [""] * (len(props) - len(values))
        model = values[0] or "unknown"
        soc = next((v for v in values[1:] if v), "unknown")
        return DeviceInfo(serial=self.serial, model=model, soc=soc)

    def make_run_dir(self) -> str:
        """A fresh directory under ``remote_root`` for one run's files."""
        run_dir = f"{self.config.remote_root.rstrip('/')}/stdo-bench-{uuid.uuid4().hex[:12]}"
        self.shell(f"mkdir -p {shlex.quote(run_dir)}", step="make run directory")
        return run_dir

    def push(self, local: str | Path, remote: str) -> None:
        """``adb push`` one file."""
        self.adb("push", str(local), remote, step=f"push {Path(local).name}")

    def make_executable(self, remote: str) -> None:
        self.shell(f"chmod 755 {shlex.quote(remote)}", step="chmod benchmark_model")

    def benchmark_argv(
        self,
        binary: str,
        graph: str,
        *,
        delegate: str,
        threads: int,
        num_runs: int,
        warmup_runs: int,
        extra_flags: Sequence[str] = (),
    ) -> list[str]:
        """The ``benchmark_model`` command line for one run."""
        if delegate not in DELEGATE_FLAGS:
            raise StdoError(f"delegate {delegate!r}: one of {', '.join(DELEGATE_FLAGS)}")
        return [
            binary,
            f"--graph={graph}",
            f"--num_threads={threads}",
            f"--num_runs={num_runs}",
            f"--warmup_runs={warmup_runs}",
            *DELEGATE_FLAGS[delegate],
            *extra_flags,
        ]

    def run_tool(self, run_dir: str, argv: Sequence[str], *, timeout_s: float) -> ShellRun:
        """Run ``argv`` in ``run_dir`` on the device; it records its process id in ``run_dir/pid``
        (for :meth:`cleanup`). A timeout is an :class:`AdbTimeout` carrying the partial output
        (``.stdout``/``.stderr`` attributes)."""
        command = (
            f"cd {shlex.quote(run_dir)} && echo $$ > pid && exec {' '.join(shlex.quote(a) for a in argv)}"
        )
        try:
            proc = self.adb("shell", command, step="run benchmark_model", timeout_s=timeout_s, check=False)
        except AdbTimeout as e:
            detail = f"no result within {timeout_s:g} s; stopped it"
            raise AdbTimeout(self.serial, e.step, detail, stdout=e.stdout, stderr=e.stderr) from None
        return ShellRun(tuple(argv), proc.stdout, proc.stderr, proc.returncode)

    def cleanup(self, run_dir: str) -> None:
        """Stop the run's tool if it still runs (by the id it recorded, checked against its
        command line) and delete the run directory."""
        d = shlex.quote(run_dir)
        command = (
            f"if [ -f {d}/pid ]; then p=$(cat {d}/pid); "
            f'case "$(tr "\\0" " " < /proc/$p/cmdline 2>/dev/null)" in '
            f'*{d}/*) kill -9 "$p" 2>/dev/null;; esac; '
            f"fi; rm -rf {d}"
        )
        self.shell(command, step="clean up run directory")


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def _raw_log(info: DeviceInfo, argv: Sequence[str], status: str, stdout: str, stderr: str) -> str:
    """The local log of one run: a header, then the tool's stdout and stderr as received."""
    header = [
        "# stdo device benchmark over adb",
        f"# serial: {info.serial}",
        f"# device model: {info.model}",
        f"# soc: {info.soc}",
        f"# command: {shlex.join(argv)}",
        f"# exit status: {status}",
    ]
    if stdout and not stdout.endswith("\n"):
        stdout += "\n"
    return "\n".join(header) + f"\n## stdout\n{stdout}## stderr\n{stderr}"


def run_benchmark(
    config: AdbConfig,
    model: str | Path,
    binary: str | Path,
    *,
    log_path: str | Path,
    result_path: str | Path | None = None,
    delegate: str = "cpu",
    threads: int = 4,
    num_runs: int = 50,
    warmup_runs: int = 5,
    extra_flags: Sequence[str] = (),
    timeout_s: float = 600.0,
) -> dict[str, Any]:
    """Benchmark ``model`` (a ``.tflite``) with the user's ``benchmark_model`` build ``binary`` on
    the device of ``config``; return the result record and, with ``result_path``, write it as JSON.

    The record: device model, SoC, serial, delegate, threads, runs, timings in milliseconds
    (``latency_ms`` is the mean of the timed runs), ``fps = 1000 / latency_ms``, the paper's
    real-time verdict (``real_time``, ``verdict``) and ``raw_log`` (``log_path``, the tool's
    output). Any failure is an :class:`AdbError` naming the serial and the step, and leaves no
    result file (an older one at ``result_path`` is removed first)."""
    model, binary = Path(model), Path(binary)
    for what, path in (("model", model), ("benchmark_model binary", binary)):
        if not path.is_file():
            raise StdoError(f"{path}: {what} not found")
    if delegate not in DELEGATE_FLAGS:
        raise StdoError(f"delegate {delegate!r}: one of {', '.join(DELEGATE_FLAGS)}")
    if threads < 1 or num_runs < 1 or warmup_runs < 0:
        raise StdoError(f"threads ({threads}) and num_runs ({num_runs}) must be >= 1, warmup_runs >= 0")
    if result_path is not None:
        Path(result_path).unlink(missing_ok=True)  # a failure must not leave an older result standing
    device = AdbDevice(config)
    info = device.preflight()
    run_dir = device.make_run_dir()
    remote_model = f"{run_dir}/{model.name}"
    remote_tool = f"{run_dir}/benchmark_model"
    argv = device.benchmark_argv(
        remote_tool,
        remote_model,
        delegate=delegate,
        threads=threads,
        num_runs=num_runs,
        warmup_runs=warmup_runs,
        extra_flags=extra_flags,
    )
    failed = True
    try:
        device.push(model, remote_model)
        device.push(binary, remote_tool)
        device.make_executable(remote_tool)
        try:
            run = device.run_tool(run_dir, argv, timeout_s=timeout_s)
        except AdbTimeout as e:
            status = f"none (timed out after {timeout_s:g} s)"
            write_text(log_path, _raw_log(info, argv, status, e.stdout, e.stderr))
            raise AdbTimeout(e.serial, e.step, f"{e.detail}; output so far in {log_path}") from None
        write_text(log_path, _raw_log(info, argv, str(run.exit_status), run.stdout, run.stderr))
        failed = False
    finally:
        try:
            device.cleanup(run_dir)
        except AdbError:
            if not failed:
                raise  # otherwise the first error is the one to report
    try:
        parsed = parse_benchmark_output(run.stdout + run.stderr, run.exit_status)
    except BenchmarkOutputError as e:
        raise BenchmarkFailed(config.serial, "run benchmark_model", f"{e} (raw log: {log_path})") from e
    latency_ms = parsed.latency_ms
    fps = 1000.0 / latency_ms

    def ms(us: float | None) -> float | None:
        return None if us is None else us / 1000.0

    real_time = verdict(latency_ms, fps)
    record: dict[str, Any] = {
        "serial": info.serial,
        "device_model": info.model,
        "soc": info.soc,
        "delegate": delegate,
        "threads": threads,
        "num_runs": num_runs,
        "warmup_runs": warmup_runs,
        "model": model.name,
        "model_bytes": model.stat().st_size,
        "timed_runs": parsed.count,
        "init_ms": ms(parsed.init_us),
        "first_inference_ms": ms(parsed.first_us),
        "warmup_avg_ms": ms(parsed.warmup_avg_us),
        "latency_ms": latency_ms,
        "latency_std_ms": ms(parsed.std_us),
        "latency_min_ms": ms(parsed.min_us),
        "latency_max_ms": ms(parsed.max_us),
        "latency_p5_ms": ms(parsed.p5_us),
        "latency_median_ms": ms(parsed.median_us),
        "latency_p95_ms": ms(parsed.p95_us),
        "fps": fps,
        "real_time": real_time,
        "verdict": verdict_label(real_time),
        "raw_log": str(log_path),
    }
    if result_path is not None:
        write_json(result_path, record)
    return record


def main(argv: list[str] | None = None) -> None:
    """``python -m stdo.device.adb --serial S --model M.tflite --binary benchmark_model ...``"""
    p = argparse.ArgumentParser(prog="stdo device-benchmark", description=__doc__.split("\n\n")[0])
    p.add_argument("--serial", required=True, help="the phone's serial as `adb devices` lists it")
    p.add_argument("--adb", default="adb", help="the adb client (name on PATH or path)")
    p.add_argument("--model", type=Path, required=True, help="the .tflite to benchmark")
    p.add_argument("--binary", type=Path, required=True, help="android_aarch64_benchmark_model")
    p.add_argument("--delegate", choices=sorted(DELEGATE_FLAGS), default="cpu")
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--num-runs", type=int, default=50)
    p.add_argument("--warmup-runs", type=int, default=5)
    p.add_argument("--timeout", type=float, default=600.0, help="seconds for the benchmark run")
    p.add_argument("--out", type=Path, required=True, help="result record (JSON)")
    p.add_argument("--log", type=Path, required=True, help="raw benchmark_model output")
    args = p.parse_args(argv)
    try:
        record = run_benchmark(
            AdbConfig(serial=args.serial, adb=args.adb),
            args.model,
            args.binary,
            log_path=args.log,
            result_path=args.out,
            delegate=args.delegate,
            threads=args.threads,
            num_runs=args.num_runs,
            warmup_runs=args.warmup_runs,
            timeout_s=args.timeout,
        )
    except StdoError as e:
        raise SystemExit(f"stdo device-benchmark: {e}") from None
    print(
        f"{record['device_model']} ({record['soc']}), {record['delegate']} x{record['threads']}: "
        f"{record['latency_ms']:.2f} ms, {record['fps']:.1f} fps, {record['verdict']}"
    )


if __name__ == "__main__":
    main()
