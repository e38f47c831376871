"""The adb benchmark path end to end: the real adb client and server, a loopback adbd stand-in,
a real ``.tflite`` run by the LiteRT interpreter inside a stand-in ``benchmark_model``."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from adbd_standin import GALAXY_S21, AdbdStandin

from stdo.core.errors import StdoError
from stdo.device.adb import (
    AdbConfig,
    AdbDevice,
    AdbError,
    AdbTimeout,
    BenchmarkFailed,
    DeviceUnavailable,
    run_benchmark,
)
from stdo.device.benchmark_output import parse_benchmark_output

QUICK = ("--min_secs=0", "--warmup_min_secs=0")  # the real tool's flags: no minimum duration


def config_for(adb_server, serial: str) -> AdbConfig:
    return AdbConfig(serial=serial, env=adb_server.env, step_timeout_s=30)


def local_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def device_files(dev: AdbdStandin) -> list[str]:
    return sorted(p.name for p in dev.tmp.iterdir())


def wait_idle(dev: AdbdStandin, timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    while dev.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    return dev.running()


@pytest.mark.parametrize(("delegate", "flag"), [("cpu", "--use_xnnpack=true"), ("gpu", "--use_gpu=true")])
def test_run_benchmark_end_to_end_against_a_loopback_adbd_standin(
    adb_server, adbd, tflite_model, benchmark_tool, tmp_path, delegate, flag
):
    dev = adbd()
    out = tmp_path / "out"
    record = run_benchmark(
        config_for(adb_server, dev.serial),
        tflite_model,
        benchmark_tool,
        log_path=out / "espcn.log",
        result_path=out / "espcn.json",
        delegate=delegate,
        threads=2,
        num_runs=20,
        warmup_runs=3,
        extra_flags=QUICK,
        timeout_s=120,
    )
    assert json.loads((out / "espcn.json").read_text()) == record
    assert local_files(out) == ["espcn.json", "espcn.log"]
    assert record["serial"] == dev.serial
    assert (record["device_model"], record["soc"]) == ("SM-G991B", "SM8350")
    assert (record["delegate"], record["threads"], record["num_runs"], record["warmup_runs"]) == (
        delegate,
        2,
        20,
        3,
    )
    assert record["model"] == "espcn_x2.tflite" and record["model_bytes"] == tflite_model.stat().st_size
    assert record["timed_runs"] == 20  # no minimum duration: exactly the runs asked for
    assert 0 < record["latency_min_ms"] <= record["latency_median_ms"] <= record["latency_max_ms"]
    assert record["latency_min_ms"] <= record["latency_ms"] <= record["latency_max_ms"]
    assert record["fps"] == pytest.approx(1000 / record["latency_ms"])
    # a 24x32 ESPCN with 8 channels on a desktop CPU is far inside the paper's real-time bounds
    assert record["real_time"] is True and record["verdict"] == "real-time"

    log = (out / "espcn.log").read_text()
    assert record["raw_log"] == str(out / "espcn.log")
    assert f"# serial: {dev.serial}" in log and "# exit status: 0" in log
    assert flag in log and "--num_threads=2" in log and "--num_runs=20" in log
    assert "INFO: Num threads: [2]" in log and "INFO: Loaded model " in log
    stdout = log.split("## stdout\n", 1)[1].split("## stderr\n", 1)[0]
    reparsed = parse_benchmark_output(stdout)
    assert reparsed.inference_avg_us / 1000 == pytest.approx(record["latency_ms"])
    assert reparsed.init_us / 1000 == pytest.approx(record["init_ms"])

    # what went over the wire: shell protocol v2 and sync pushes; the run directory is gone
    assert any(s.startswith("shell,v2,") and "getprop ro.soc.model" in s for s in dev.services)
    assert dev.services.count("sync:") >= 2
    assert device_files(dev) == []
    assert wait_idle(dev) == 0


def test_soc_falls_back_to_board_platform_then_hardware_against_a_loopback_adbd_standin(adb_server, adbd):
    no_soc = {k: v for k, v in GALAXY_S21.items() if k != "ro.soc.model"}
    dev = adbd(props=no_soc)
    info = AdbDevice(config_for(adb_server, dev.serial)).preflight()
    assert (info.serial, info.model, info.soc) == (dev.serial, "SM-G991B", "lahaina")
    dev.props.pop("ro.board.platform")
    assert AdbDevice(config_for(adb_server, dev.serial)).preflight().soc == "qcom"


def test_failed_push_names_device_and_step_against_a_loopback_adbd_standin(
    adb_server, adbd, tflite_model, benchmark_tool, tmp_path
):
    dev = adbd()
    dev.fail_push = "No space left on device"
    with pytest.raises(AdbError) as e:
        run_benchmark(
            config_for(adb_server, dev.serial),
            tflite_model,
            benchmark_tool,
            log_path=tmp_path / "out" / "x.log",
            result_path=tmp_path / "out" / "x.json",
        )
    msg = str(e.value)
    assert e.value.serial == dev.serial and e.value.step == "push espcn_x2.tflite"
    assert msg.startswith(f"adb device {dev.serial}: push espcn_x2.tflite failed:")
    assert "No space left on device" in msg
    assert not (tmp_path / "out").exists()  # the benchmark never ran: no result, no log
    assert device_files(dev) == []  # the run directory was removed


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ({"shell_env": {"BENCHMARK_STANDIN_FAIL": "exit"}}, r"exit status 1\): ERROR: Node number 0"),
        ({"extra_flags": ("--standin_fail=no-summary",)}, r"no 'Inference timings in us' summary line"),
        ({"extra_flags": ("--standin_fail=segv",)}, r"exit status 139"),
    ],
    ids=["nonzero-exit", "missing-summary", "killed-by-signal"],
)
def test_benchmark_failure_names_device_and_step_against_a_loopback_adbd_standin(
    adb_server, adbd, tflite_model, benchmark_tool, tmp_path, how, expected
):
    dev = adbd()
    dev.shell_env.update(how.get("shell_env", {}))
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.json").write_text('{"latency_ms": 1.0}\n')  # an older run's result
    with pytest.raises(BenchmarkFailed, match=expected) as e:
        run_benchmark(
            config_for(adb_server, dev.serial),
            tflite_model,
            benchmark_tool,
            log_path=out / "x.log",
            result_path=out / "x.json",
            num_runs=5,
            warmup_runs=1,
            extra_flags=(*QUICK, *how.get("extra_flags", ())),
        )
    assert str(e.value).startswith(f"adb device {dev.serial}: run benchmark_model failed: benchmark_model")
    assert e.value.step == "run benchmark_model"
    assert str(out / "x.log") in str(e.value)
    assert local_files(out) == ["x.log"]  # the whole raw log that explains it; no result file
    if "shell_env" in how:
        assert "Failed to allocate tensors!" in str(e.value)
        assert "ERROR: Benchmarking failed." in (out / "x.log").read_text()
    assert device_files(dev) == []
    assert wait_idle(dev) == 0


def test_timeout_stops_the_tool_against_a_loopback_adbd_standin(
    adb_server, adbd, tflite_model, benchmark_tool, tmp_path
):
    dev = adbd()
    out = tmp_path / "out"
    t0 = time.monotonic()
    with pytest.raises(AdbTimeout, match=r"run benchmark_model failed: no result within 3 s") as e:
        run_benchmark(
            config_for(adb_server, dev.serial),
            tflite_model,
            benchmark_tool,
            log_path=out / "x.log",
            result_path=out / "x.json",
            extra_flags=("--standin_fail=hang",),
            timeout_s=3,
        )
    assert time.monotonic() - t0 < 15
    assert e.value.serial == dev.serial
    assert local_files(out) == ["x.log"]
    log = (out / "x.log").read_text()
    assert "# exit status: none (timed out after 3 s)" in log
    assert "INFO: STARTING!" in log  # what it printed before it hung
    assert wait_idle(dev) == 0  # nothing left running on the device
    assert device_files(dev) == []


@pytest.mark.parametrize(
    ("state", "said"),
    [("offline", "device offline"), ("unauthorized", "device unauthorized")],
)
def test_unusable_device_names_device_and_step_against_a_loopback_adbd_standin(
    adb_server, adbd, tflite_model, benchmark_tool, tmp_path, state, said
):
    dev = adbd(state=state)
    with pytest.raises(DeviceUnavailable) as e:
        run_benchmark(
            config_for(adb_server, dev.serial),
            tflite_model,
            benchmark_tool,
            log_path=tmp_path / "out" / "x.log",
            result_path=tmp_path / "out" / "x.json",
        )
    assert str(e.value).startswith(f"adb device {dev.serial}: preflight failed: {said}")
    assert f"(adb: error: {said}" in str(e.value)
    assert not (tmp_path / "out").exists()
    assert dev.services == []  # nothing was ever opened on it


def test_absent_device_against_a_private_adb_server(adb_server, tflite_model, benchmark_tool, tmp_path):
    serial = "127.0.0.1:1"
    with pytest.raises(DeviceUnavailable, match=re.escape(f"adb device {serial}: preflight failed: no such")):
        run_benchmark(
            config_for(adb_server, serial),
            tflite_model,
            benchmark_tool,
            log_path=tmp_path / "x.log",
            result_path=tmp_path / "x.json",
        )
    assert local_files(tmp_path) == []


def test_device_without_shell_v2_is_refused_against_a_loopback_adbd_standin(adb_server, adbd):
    dev = adbd(features=("cmd",))
    device = AdbDevice(config_for(adb_server, dev.serial))
    # the plain shell: service of such a device: stderr merged, the exit status lost
    proc = device.shell("echo out; echo err >&2; exit 3", step="probe", check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "out\nerr\n", "")
    assert dev.services[-1] == "shell:echo out; echo err >&2; exit 3"
    with pytest.raises(DeviceUnavailable, match="lacks shell protocol v2"):
        device.preflight()


def test_adb_client_push_pull_and_exit_status_against_a_loopback_adbd_standin(adb_server, adbd, tmp_path):
    """The stand-in itself, through the real client: a multi-chunk push and pull (sync v1) and
    shell v2 exit statuses and stderr."""
    dev = adbd()
    payload = os.urandom(700_000)  # > 10 sync DATA chunks, several WRTEs waiting for OKAY
    (tmp_path / "a.bin").write_bytes(payload)
    assert (
        adb_server("-s", dev.serial, "push", str(tmp_path / "a.bin"), "/data/local/tmp/d/a.bin").returncode
        == 0
    )
    assert (dev.tmp / "d" / "a.bin").read_bytes() == payload
    pulled = adb_server("-s", dev.serial, "pull", "/data/local/tmp/d/a.bin", str(tmp_path / "b.bin"))
    assert pulled.returncode == 0 and (tmp_path / "b.bin").read_bytes() == payload
    shell = adb_server(
        "-s", dev.serial, "shell", "cat /data/local/tmp/d/a.bin | wc -c; echo oops >&2; exit 7"
    )
    assert (shell.returncode, shell.stdout.strip(), shell.stderr) == (7, "700000", "oops\n")
    refused = adb_server("-s", dev.serial, "push", str(tmp_path / "a.bin"), "/system/a.bin")
    assert refused.returncode == 1 and "Permission denied" in refused.stdout + refused.stderr


def test_missing_adb_client_and_bad_arguments(tflite_model, benchmark_tool, tmp_path):
    cfg = AdbConfig(serial="R5CR1234", adb=str(tmp_path / "no-adb"))
    with pytest.raises(AdbError, match=r"adb device R5CR1234: preflight failed: adb client .* not found"):
        run_benchmark(cfg, tflite_model, benchmark_tool, log_path=tmp_path / "x.log")
    with pytest.raises(StdoError, match="delegate 'npu'"):
        run_benchmark(cfg, tflite_model, benchmark_tool, log_path=tmp_path / "x.log", delegate="npu")
    with pytest.raises(StdoError, match="missing.tflite: model not found"):
        run_benchmark(cfg, tmp_path / "missing.tflite", benchmark_tool, log_path=tmp_path / "x.log")
    assert local_files(tmp_path) == []


def test_config_from_mapping():
    cfg = AdbConfig.from_mapping({"serial": "R5CR1234", "adb": "/opt/platform-tools/adb", "env": {"A": 1}})
    assert (cfg.serial, cfg.adb, dict(cfg.env), cfg.remote_root) == (
        "R5CR1234",
        "/opt/platform-tools/adb",
        {"A": "1"},
        "/data/local/tmp",
    )
    with pytest.raises(StdoError, match="set 'serial'"):
        AdbConfig.from_mapping({"adb": "adb"})
    with pytest.raises(StdoError, match="unknown keys"):
        AdbConfig.from_mapping({"serial": "x", "port": 5037})


def test_cli_main_against_a_loopback_adbd_standin(
    adb_server, adbd, tflite_model, benchmark_tool, tmp_path, monkeypatch, capsys
):
    from stdo.device.adb import main

    dev = adbd()
    for key, value in adb_server.env.items():
        monkeypatch.setenv(key, value)
    args = ["--serial", dev.serial, "--model", str(tflite_model), "--binary", str(benchmark_tool)]
    args += ["--threads", "1", "--num-runs", "3", "--warmup-runs", "1"]
    main([*args, "--out", str(tmp_path / "r.json"), "--log", str(tmp_path / "r.log")])
    record = json.loads((tmp_path / "r.json").read_text())
    assert capsys.readouterr().out.startswith(f"SM-G991B (SM8350), cpu x1: {record['latency_ms']:.2f} ms")
    with pytest.raises(SystemExit, match=r"stdo device-benchmark: adb device 127.0.0.1:1: preflight failed"):
        main(
            [
                "--serial",
                "127.0.0.1:1",
                *args[2:],
                "--out",
                str(tmp_path / "s.json"),
                "--log",
                str(tmp_path / "s.log"),
            ]
        )
    assert not (tmp_path / "s.json").exists()


def test_the_adb_bench_stage_writes_figure5_rows_against_a_loopback_adbd_standin(
    adb_server, adbd, tflite_model, benchmark_tool, tmp_path
):
    from stdo.device import adb_bench

    dev = adbd()
    task = tmp_path / "task"
    task.mkdir()
    (task / "plain_float32.tflite").write_bytes(tflite_model.read_bytes())
    cfg = {"serial": dev.serial, "env": adb_server.env, "threads": 1, "runs": 3, "warmup": 1, "timeout_s": 60}
    cfg["binary"] = str(benchmark_tool)  # the config's bench.adb as the rule passes it, binary included
    out = tmp_path / "adb.json"
    adb_bench.main(
        ["--task-dir", str(task), "--binary", str(benchmark_tool), "--config", json.dumps(cfg)]
        + [
            "--methods",
            "awdnn,stdo-k2",
            "--labels",
            json.dumps({"video": "v", "scale": 4, "backbone": "espcn"}),
        ]
        + ["--out", str(out), "--log", str(tmp_path / "adb.log")]
    )
    result = json.loads(out.read_text())
    assert result["backend"] == "adb" and result["device"].startswith("SM-G991B (SM8350), adb, cpu")
    assert [(r["method"], r["dtype"], r["size"]) for r in result["rows"]] == [
        ("awdnn", "float32", "task"),
        ("stdo-k2", "float32", "task"),
    ]
    run = result["runs"]["plain_float32"]
    assert result["rows"][0]["latency_ms"] == run["latency_ms"] and (
        result["rows"][0]["lr_h"],
        result["rows"][0]["hr_w"],
    ) == (270, 1920)
    assert "# exit status: 0" in (tmp_path / "adb.log").read_text() and device_files(dev) == []
