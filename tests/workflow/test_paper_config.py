"""config/paper.yaml plans the whole paper with no data present."""

import re

import pytest
import yaml
from support.workflow import REPO, snakemake

pytestmark = pytest.mark.slow  # runs Snakemake (see pyproject's markers)


def _job_counts(text: str) -> dict[str, int]:
    table = text.split("Job stats:")[1]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


def _expected_train_jobs(cfg: dict) -> tuple[int, int]:
    """Training jobs the paper needs, counted from the paper's definitions, not the DAG: one per
    unit, except STDO's k chunk models of one cell, which one job trains (``stdo{k}``); returns
    (jobs of single units, jobs of STDO's chunk models)."""
    units = set()
    table_videos = [v for v in cfg["videos"] if v.get("tables", True)]
    for v in table_videos:
        seconds = v["paper"]["duration_s"]
        segments = -(-seconds // cfg["nas"]["chunk_seconds"])  # NAS: one model per segment
        for s in cfg["scales"]:
            for b in cfg["backbones"]:
                cell = (v["name"], s, b["name"])
                units |= {cell + ("awdnn",), cell + ("cafm",), cell + ("jstdo",)}
                units |= {cell + (f"nas{segments}-{i}",) for i in range(segments)}
                units |= {cell + (f"stdo{k}",) for k in cfg["stdo"]["k"]}
    ab = cfg["ablations"]
    for b in ab["chunks"]["backbones"]:  # Figure 7a
        cell = (ab["chunks"]["video"], ab["chunks"]["scale"], b)
        units |= {cell + (f"stdo{k}",) for k in ab["chunks"]["k"]}
    sch = ab["schedules"]  # Figure 7b: one joint model per schedule
    units |= {
        (sch["video"], sch["scale"], sch["backbone"], f"jstdo-p{i}") for i in range(len(sch["proportions"]))
    }
    lv = ab["long_video"]  # the 90 s video: STDO for each k
    units |= {(lv["video"], lv["scale"], lv["backbone"], f"stdo{k}") for k in cfg["stdo"]["k"]}
    chunked = {u for u in units if re.fullmatch(r"stdo\d+", u[3])}
    return len(units - chunked), len(chunked)


def test_paper_config_dry_run_plans_everything_without_data(tmp_path):
    proc = snakemake(tmp_path, "tables", "-n", "--configfile", str(REPO / "config/paper.yaml"))
    counts = _job_counts(proc.stdout)
    cfg = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    print(f"paper config: {counts['total']} jobs")
    single, chunked = _expected_train_jobs(cfg)
    assert counts["train"] == single
    assert sum(n for rule, n in counts.items() if rule.startswith("train_stdo_k")) == chunked
    assert counts["download_vsd4k"] == 6  # three categories x two lengths (the 90 s video reuses two)
    assert counts["download_div2k"] == 1 and counts["pretrain"] == 3  # f0 per scale, on DIV2K
    assert counts["table"] == 4 and counts["ablation_figure"] == 2 and counts["ablation_long_video"] == 1
    assert counts["ingest"] == 7 and counts["degrade"] == 6 * 3 + 1  # long video: x4 only
    assert counts["heatmaps"] == 6 * 3 * 5
    assert not any(tmp_path.rglob("*.npy")), "a dry run must not write data"
