"""Item 11: ``stdo restore`` says what is missing (no DVC repository, no remote, no dvc.lock in
this commit) and the command that fixes each, instead of DVC's "Checkout failed"."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stdo.core.errors import StdoError
from stdo.workflow.restore import check_dvc

DVC = str(Path(sys.executable).with_name("dvc")) if Path(sys.executable).with_name("dvc").exists() else None
DVC = DVC or shutil.which("dvc")


@pytest.mark.skipif(DVC is None, reason="needs dvc: pip install 'stdo[dvc]' (scripts/setup.sh installs it)")
def test_item11_restore_names_what_is_missing_and_the_fix(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(StdoError, match=r"not a DVC repository \(no .dvc/\): .*dvc init && dvc remote add"):
        check_dvc(DVC, tmp_path)
    subprocess.run([DVC, "init", "-q"], cwd=tmp_path, check=True)
    with pytest.raises(StdoError, match="has no remote to pull from: dvc remote add -d store <remote>"):
        check_dvc(DVC, tmp_path)
    subprocess.run([DVC, "remote", "add", "-d", "store", str(tmp_path / "store")], cwd=tmp_path, check=True)
    with pytest.raises(
        StdoError, match=r"dvc.lock is missing in this commit.*dvc commit -f pipeline && dvc push"
    ):
        check_dvc(DVC, tmp_path)
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    check_dvc(DVC, tmp_path)  # nothing missing
