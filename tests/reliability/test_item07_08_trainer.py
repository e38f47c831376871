"""Items 7 and 8 (the trainer's part): two trainers never write one unit's resume state (the second
stops naming the first), and a full disk during a resume state write names the resume state and what
to do instead of torch's "basic_ios::clear: iostream error"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stdo.sr import train

SETTINGS = '{"batch_size":8,"lr":0.001,"seed":1,"checkpoint_every":2}'


def _args(patches: Path, out: Path) -> list[str]:
    args = ["--patches", str(patches), "--unit", "all", "--epochs", "1", "--backbone", "espcn"]
    args += ["--scale", "2", "--settings", SETTINGS, "--threads", "1", "--device", "cpu", "--no-progress"]
    return args + ["--out-model", str(out / "model.pt"), "--out-log", str(out / "log.csv")]


def test_item07_a_second_trainer_of_one_unit_stops_naming_the_first(patch_dir, tmp_path, capsys):
    out = tmp_path / "unit"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom stdo.sr.train import unit_lock\n"
            f"with unit_lock(Path({str(out)!r})):\n    print('held', flush=True)\n    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(SystemExit) as e:
            train.main(_args(patch_dir, out))
        assert e.value.code == 2
        err = capsys.readouterr().err.strip()
        assert f"another trainer holds this unit's resume state (pid {holder.pid} on " in err
        assert f"lock {out / train.LOCK_NAME}" in err and not (out / train.RESUME_NAME).exists()
    finally:
        holder.kill()
        holder.wait()
    train.main(_args(patch_dir, out))  # the holder is gone (killed: its lock went with it)
    assert (out / "model.pt").exists() and not (out / train.LOCK_NAME).exists()


def test_item08_a_full_disk_during_a_checkpoint_write_names_the_checkpoint(
    patch_dir, tmp_path, small_disk, monkeypatch, capsys
):
    mnt, real = small_disk
    if real:  # fill the 1 MiB disk but for a few KiB: the resume state (about 100 KB) does not fit
        (mnt / "filler").write_bytes(b"\0" * (os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize - 8192))
    else:  # no root to mount a tmpfs: torch's own words for a full disk, given by hand

        def full(*a, **k):
            raise RuntimeError("basic_ios::clear: iostream error")

        monkeypatch.setattr(train.torch, "save", full)
    with pytest.raises(SystemExit) as e:
        train.main(_args(patch_dir, mnt / "unit"))
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) and err[-1].startswith(f"stdo train: error: {mnt / 'unit' / train.RESUME_NAME}: writing")
    assert "a full disk is the usual cause. Free some space there and run again" in err[-1]
    assert not list((mnt / "unit").glob(".*.part"))
