"""Item 7: the recovery after SIGKILL is one command, ``stdo resume <snakemake arguments>``: it
unlocks and reruns incomplete jobs, but never under a Snakemake still running in the directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stdo.workflow import resume

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
from support.workflow import REPO, TINY  # noqa: E402


def test_item07_resume_refuses_while_a_snakemake_runs_in_the_directory(tmp_path):
    standin = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "snakemake"], cwd=tmp_path
    )
    try:
        with pytest.raises(SystemExit) as e:
            resume.main(["--directory", str(REPO), "--workdir", str(tmp_path), "--cores", "1", "tables"])
        msg = str(e.value)
        assert f"Snakemake is still running in {tmp_path} (pid {standin.pid})" in msg
        assert f"kill {standin.pid}" in msg and not (tmp_path / ".snakemake").exists()
    finally:
        standin.kill()
        standin.wait()


@pytest.mark.slow
def test_item07_resume_unlocks_and_reruns_incomplete_jobs(tmp_path, capsys):
    target = "results/videos/tiny/meta.json"
    resume.main(
        [
            "--directory",
            str(REPO),
            "--workdir",
            str(tmp_path),
            "--cores",
            "1",
            target,
            "--configfile",
            str(TINY),
        ]
    )
    out = capsys.readouterr().out
    assert " --unlock --cores 1 " in out and " --rerun-incomplete --cores 1 " in out
    assert (tmp_path / target).exists()
