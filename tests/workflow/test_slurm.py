"""The demo DAG on a real single-node SLURM (munge, slurmctld, slurmd from Debian, loopback)
through profiles/slurm: the jobs go through sbatch, and the results equal a local run's."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.workflow import REPO, TINY, snakemake

pytestmark = pytest.mark.slow  # runs Snakemake (see pyproject's markers)

UP = REPO / "scripts/slurm/single-node-up.sh"
DOWN = REPO / "scripts/slurm/single-node-down.sh"


def _slurm_up() -> bool:
    if shutil.which("scontrol") is None:
        return False
    ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=30)
    return "UP" in ping.stdout


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A running SLURM: the one already up, or one started here (and only that one stopped)."""
    if _slurm_up():
        yield
        return
    if os.geteuid() != 0:
        pytest.skip(
            "starting SLURM needs root (munge, slurmctld and slurmd run as root here): run the tests as root,"
            " or start a cluster first (sudo bash scripts/slurm/single-node-up.sh)"
        )
    if not (shutil.which("slurmctld") or Path("/usr/sbin/slurmctld").exists()) and not shutil.which(
        "apt-get"
    ):
        pytest.skip(
            "SLURM is not installed and apt-get is not available to install it: install slurmctld, slurmd,"
            " slurm-client and munge (Debian: apt-get install slurmctld slurmd slurm-client munge)"
        )
    state = tmp_path_factory.mktemp("slurm-state")
    env = os.environ | {"STATE": str(state), "PATH": f"{os.environ['PATH']}:/usr/sbin:/sbin"}
    proc = subprocess.run(["bash", str(UP)], capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode != 0:
        subprocess.run(["bash", str(DOWN)], env=env, timeout=120)
        if "Unable to locate package" in proc.stderr or "E: " in proc.stderr:
            pytest.skip(
                "SLURM packages cannot be installed here (fix apt, then: apt-get install slurmctld slurmd"
                f" slurm-client munge): {proc.stderr.strip()[-300:]}"
            )
        raise AssertionError(f"SLURM did not start:\n{proc.stdout}\n{proc.stderr}")
    try:
        yield
    finally:
        subprocess.run(["bash", str(DOWN)], env=env, timeout=120)


def _overlay(path: Path) -> Path:
    """A small slice of the demo: ESPCN, awDNN and STDO k=2 at x2 (about 15 jobs)."""
    cfg = yaml.safe_load(TINY.read_text()) | {
        "scales": [2],
        "backbones": [b for b in yaml.safe_load(TINY.read_text())["backbones"] if b["name"] == "espcn"],
        "methods": ["awdnn", "stdo"],
        "stdo": {"k": [2]},
        "table1": {"backbones": []},
        "jobs": {"train": "unit", "evaluate": "method"},  # a job per unit and method, as a cluster runs
    }
    path.write_text(yaml.safe_dump(cfg))
    return path


def _cluster_profile(dest: Path) -> Path:
    """profiles/slurm as shipped, with CPU and memory requests scaled to this one small node,
    and squeue status queries (this SLURM has no accounting database)."""
    prof = yaml.safe_load((REPO / "profiles/slurm/config.v8+.yaml").read_text())
    for res in prof["set-resources"].values():
        if "cpus_per_gpu" in res:
            res["cpus_per_gpu"] = 1
        res["mem_mb"] = min(res.get("mem_mb", 1000), 1500)
    prof["default-resources"]["mem_mb"] = 1000
    prof["set-threads"] = {k: 1 for k in prof["set-threads"]}
    prof["slurm-status-command"] = "squeue"
    prof["slurm-init-seconds-before-status-checks"] = 5
    prof["latency-wait"] = 10
    dest.mkdir(parents=True)
    (dest / "config.v8+.yaml").write_text(yaml.safe_dump(prof))
    return dest


def _slurm_jobs(snakemake_log: str) -> list[dict[str, str]]:
    """SLURM's records of the jobs one Snakemake run submitted (its run id is the job name)."""
    out = subprocess.run(["scontrol", "show", "job", "-o"], capture_output=True, text=True, check=True).stdout
    jobs = [dict(f.split("=", 1) for f in line.split() if "=" in f) for line in out.splitlines()]
    names = {j["JobName"] for j in jobs if j.get("JobName") and j["JobName"] in snakemake_log}
    assert len(names) == 1, "no SLURM job of this run found"
    return [j for j in jobs if j.get("JobName") in names]


def _psnrs(wd: Path) -> dict[str, float]:
    return {
        str(p.relative_to(wd)): json.loads(p.read_text())["psnr"]
        for p in sorted((wd / "results/videos").rglob("metrics.json"))
    }


def test_demo_dag_through_slurm_profile_matches_local_run(tmp_path, slurm):
    local, cluster = tmp_path / "local", tmp_path / "cluster"
    local.mkdir()
    cluster.mkdir()
    snakemake(local, "tables", "--configfile", str(_overlay(tmp_path / "a.yaml")))

    profile = _cluster_profile(tmp_path / "profile")
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}:/usr/sbin"}
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(cluster)]
    cmd += ["--profile", str(profile), "tables", "--configfile", str(_overlay(tmp_path / "b.yaml"))]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"

    # every job went through sbatch: SLURM's own record (kept MinJobAge seconds) of this run's jobs
    jobs = _slurm_jobs(proc.stderr)
    rules = sorted({j["Comment"].split("_wildcards")[0].removeprefix("rule_") for j in jobs})
    assert rules == ["claims", "degrade", "demo_video", "evaluate", "figure1", "figure3", "figure4",
                     "heatmaps", "ingest", "partition", "patches", "pretrain", "regime", "score",
                     "side_by_side", "table", "train", "train_stdo_k2"]  # fmt: skip
    train = [j for j in jobs if j["Comment"].startswith("rule_train_")]
    assert len(train) == 2 and all(j["JobState"] == "COMPLETED" for j in jobs)  # awDNN, STDO's two in one
    # the profile's GPU request reaches SLURM for torch jobs, not for CPU stages
    assert all(j.get("TresPerJob") == "gres:gpu:1" for j in train)
    assert all("TresPerJob" not in j for j in jobs if j["Comment"].startswith("rule_ingest"))
    # the same numbers as the local run, to the last bit (seeded, single-threaded)
    assert _psnrs(cluster) == _psnrs(local) and len(_psnrs(local)) == 2
    assert (cluster / "results/tables/table2.csv").read_text().splitlines()[1:] == (
        (local / "results/tables/table2.csv").read_text().splitlines()[1:]
    )
