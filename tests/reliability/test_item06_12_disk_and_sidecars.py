"""Items 6, 8 and 12 (the stages' part): a full disk is an error naming the file and the bytes it
needs, not SIGBUS; a killed writer's ``.part`` files are removed when the file is written again; a
read-only results folder is one line; every output of the patches stage has its sidecar; a failed
run leaves no sidecar whose file Snakemake deleted."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from stdo.core import io
from stdo.core.errors import StdoError
from stdo.video import patches
from stdo.video.degrade import degrade_frames

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
from support.workflow import TINY, snakemake  # noqa: E402


def test_item06_a_full_disk_is_an_error_naming_the_file_and_bytes(small_disk, monkeypatch):
    mnt, real = small_disk
    if not real:  # no root to mount a tmpfs: the kernel's answer, given by hand

        def full(fd, offset, length):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "posix_fallocate", full)
    out = mnt / "hr.npy"
    with pytest.raises(StdoError) as e, io.array_writer(out, (64, 128, 128, 3), np.uint8) as arr:
        arr[:] = 7  # without the reservation this write is SIGBUS on a full disk
    msg = str(e.value)
    assert f"{out}: no space left on device: needs {64 * 128 * 128 * 3 + 128:,} bytes" in msg
    assert "Free some space there" in msg
    assert not out.exists() and not list(mnt.glob(".*.part"))


def test_item06_a_killed_writers_part_files_are_removed_when_the_file_is_written_again(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = socket.gethostname()
    stale = [tmp_path / f".chunks.npy.{host}-{dead.pid}.x1y2.part", tmp_path / ".chunks.npy.ab12cd.part"]
    live = [tmp_path / f".chunks.npy.{host}-{os.getpid()}.zz99.part", tmp_path / ".chunks.npy.other-1.q.part"]
    other = tmp_path / f".index.csv.{host}-{dead.pid}.x1y2.part"  # another file's: not this writer's
    for p in [*stale, *live, other]:
        p.write_bytes(b"\0" * 1000)
    io.save_array(tmp_path / "chunks.npy", np.arange(4))
    assert np.array_equal(np.load(tmp_path / "chunks.npy"), np.arange(4))
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in [*live, other])


@contextlib.contextmanager
def _as_nobody():
    """Run as an unprivileged user (root ignores file modes)."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_item08_read_only_results_is_one_line(demo_frames, capsys):
    with tempfile.TemporaryDirectory() as tmp:  # in /tmp, which the unprivileged user can reach
        base = Path(tmp)
        io.save_array(base / "hr.npy", demo_frames)
        io.save_array(base / "lr.npy", degrade_frames(demo_frames, 2))
        results = base / "results"
        results.mkdir()
        results.chmod(0o555)
        for p in (base, base / "hr.npy", base / "lr.npy"):
            p.chmod(0o755)
        argv = ["--lr", str(base / "lr.npy"), "--hr", str(base / "hr.npy"), "--scale", "2", "--cols", "4"]
        with _as_nobody(), pytest.raises(SystemExit) as e:
            patches.main([*argv, "--rows", "2", "--outdir", str(results / "patches")])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the degrade's progress bar
    assert err.startswith(f"stdo patches: error: permission denied writing or reading {results / 'patches'}")
    assert "chmod -R u+w results" in err


def test_item12_every_patches_output_has_its_sidecar(tmp_path, demo_frames):
    io.save_array(tmp_path / "hr.npy", demo_frames)
    io.save_array(tmp_path / "lr.npy", degrade_frames(demo_frames, 2))
    out = tmp_path / "patches"
    patches.main(
        ["--lr", str(tmp_path / "lr.npy"), "--hr", str(tmp_path / "hr.npy"), "--scale", "2"]
        + ["--cols", "4", "--rows", "2", "--outdir", str(out)]
    )
    for name in ("lr.npy", "hr.npy", "grid.json", "index.csv"):
        side = json.loads((out / f"{name}.prov.json").read_text())
        assert side["stage"] == "patches" and side["output_sha256"] == io.sha256_file(out / name)


@pytest.mark.slow
def test_item12_a_failed_run_leaves_no_sidecar_without_its_file(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video" * 100)
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(f"videos:\n  - {{name: bad, source: {bad}, duration_s: 1.2}}\n")
    unit = tmp_path / "results/videos/bad/x2/espcn/units/all"
    unit.mkdir(parents=True)
    orphan = unit / "model.pt.prov.json"  # its model.pt deleted by Snakemake when its job failed
    orphan.write_text("{}")
    (unit / "log.csv").write_text("step,loss\n")
    (unit / "log.csv.prov.json").write_text("{}")
    proc = snakemake(
        tmp_path, "results/videos/bad/meta.json", "--configfile", str(TINY), str(overlay), check=False
    )
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert not orphan.exists(), proc.stderr
    assert (unit / "log.csv.prov.json").exists()
