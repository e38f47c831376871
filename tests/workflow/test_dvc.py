"""DVC against a real (local directory) remote: run, commit, push, clone, pull, restore; the
clone's Snakemake dry run plans no training."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.workflow import REPO, TINY

pytestmark = pytest.mark.slow  # runs Snakemake (see pyproject's markers)

DVC = shutil.which("dvc") or str(Path(sys.executable).with_name("dvc"))


def _run(cmd, cwd, **kw):
    env = os.environ | {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "GIT_TERMINAL_PROMPT": "0",
    }
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=900, **kw)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _copy_project(dest: Path) -> None:
    """The project's files as a user's checkout has them (tracked and new, not ignored)."""
    files = _run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], REPO).stdout
    for rel in filter(None, files.split("\0")):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def _snakemake(cwd: Path, *args: str):
    return _run([sys.executable, "-m", "snakemake", "-s", "Snakefile", "--cores", "2", *args], cwd)


@pytest.mark.skipif(not Path(DVC).exists(), reason="dvc is not installed: pip install 'stdo[dvc]'")
def test_dvc_push_clone_pull_restore_plans_no_training(tmp_path):
    proj, remote, clone = tmp_path / "proj", tmp_path / "remote", tmp_path / "clone"
    proj.mkdir()
    _copy_project(proj)
    # a job per unit and per method (as on a cluster), so that one stage can be forced below
    (proj / "tiny.yaml").write_text(TINY.read_text() + "jobs: {train: unit, evaluate: method}\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    _run(["git", "init", "-q", "-b", "main"], proj)
    _run([DVC, "init", "-q"], proj)
    _run([DVC, "remote", "add", "-d", "store", str(remote)], proj)
    _run(["git", "add", "-A"], proj)
    _run([*git, "commit", "-qm", "project"], proj)

    _snakemake(proj, "tables", "--configfile", "tiny.yaml")
    _run([DVC, "commit", "-f", "pipeline"], proj)
    _run([DVC, "push"], proj)
    _run(["git", "add", "dvc.lock"], proj)
    _run([*git, "commit", "-qm", "results"], proj)
    models = sorted(p.relative_to(proj) for p in (proj / "results/videos").rglob("model.pt"))
    assert models, "the demo made no models"

    _run(["git", "clone", "-q", str(proj), str(clone)], tmp_path)
    assert not (clone / "results").exists()
    _run([sys.executable, "-m", "stdo.workflow.cli", "restore", "--configfile", "tiny.yaml"], clone)
    assert sorted(p.relative_to(clone) for p in (clone / "results/videos").rglob("model.pt")) == models
    plan = _snakemake(clone, "tables", "-n", "--configfile", "tiny.yaml").stdout
    assert "Nothing to be done" in plan, plan
    # and a change that needs only evaluation reruns evaluation, not training
    plan = _snakemake(clone, "tables", "-n", "--forcerun", "evaluate", "--configfile", "tiny.yaml").stdout
    assert "evaluate" in plan and not any(
        line.startswith(("rule train", "localrule train")) for line in plan.splitlines()
    )
