"""Fixtures for the device benchmark: the real adb server on a private port, loopback adbd
stand-ins that it connects to, a real ``.tflite`` model and a stand-in ``benchmark_model``."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from adbd_standin import GALAXY_S21, AdbdStandin, HostAdb

HERE = Path(__file__).resolve().parent
TFLITE_HW = (24, 32)  # the exported model's LR input size (NCHW 1x3xHxW)


@pytest.fixture(scope="session")
def adb_server(tmp_path_factory) -> Iterator[HostAdb]:
    """Debian's real adb server, private port, ``HOME`` and ``TMPDIR``; killed at the end."""
    if shutil.which("adb") is None:
        pytest.skip("the adb client is not installed: apt-get install adb (or bash scripts/system-deps.sh)")
    host = HostAdb(tmp_path_factory.mktemp("adbhome")).start()
    try:
        yield host
    finally:
        host.kill()


@pytest.fixture
def adbd(adb_server: HostAdb, tmp_path_factory) -> Iterator[Callable[..., AdbdStandin]]:
    """Factory: ``adbd(state=..., props=..., features=...)`` starts a loopback stand-in and
    connects the server to it (waiting until it is listed in ``state``); all are disconnected
    and stopped after the test."""
    started: list[AdbdStandin] = []

    def make(
        *, state: str = "device", props: dict[str, str] | None = None, features: tuple[str, ...] | None = None
    ) -> AdbdStandin:
        kwargs = {} if features is None else {"features": features}
        dev = AdbdStandin(tmp_path_factory.mktemp("phone"), props=props or GALAXY_S21, state=state, **kwargs)
        dev.start()
        started.append(dev)
        adb_server.connect(dev, wait_for=state)
        return dev

    yield make
    for dev in started:
        adb_server.disconnect(dev.serial)
        dev.stop()


@pytest.fixture(scope="session")
def tflite_model(tmp_path_factory) -> Path:
    """A real ``.tflite``: a tiny ESPCN x2 (8 channels) exported with litert-torch."""
    import litert_torch
    import torch

    from stdo.models import build_model

    model = build_model("espcn", scale=2, channels=(8,), seed=0).eval()
    path = tmp_path_factory.mktemp("tflite") / "espcn_x2.tflite"
    litert_torch.convert(model, (torch.zeros(1, 3, *TFLITE_HW),)).export(str(path))
    return path


@pytest.fixture(scope="session")
def benchmark_tool(tmp_path_factory) -> Path:
    """The stand-in ``benchmark_model``, its ``#!`` line pointing at this interpreter (with LiteRT)."""
    text = (HERE / "benchmark_model_standin.py").read_text()
    body = text.split("\n", 1)[1] if text.startswith("#!") else text
    path = tmp_path_factory.mktemp("tool") / "android_aarch64_benchmark_model"
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(0o755)
    return path
