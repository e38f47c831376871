"""The real Snakemake DAG end to end on a tiny config: video file to Table 2 and figures."""

import json

import numpy as np
import pandas as pd
import yaml
from conftest import REPO, TINY, snakemake
from PIL import Image


def test_table2_holds_awdnn_and_every_stdo_k_for_each_scale_and_backbone(tiny_run):
    t = pd.read_csv(tiny_run / "results/tables/table2.csv")
    cells = {(r.backbone, r.scale, r.method, None if pd.isna(r.k) else int(r.k)) for r in t.itertuples()}
    for b in ("ESPCN", "WDSR"):
        for s in (2, 4):
            assert {(b, s, "awDNN", None), (b, s, "STDO", 2), (b, s, "STDO", 3)} <= cells
    assert len(t) == 2 * 2 * 3
    assert t["psnr_db"].between(5, 60).all()  # tiny training: low, but real numbers
    for r in t.itertuples():  # each cell is traceable to its evaluation's metrics
        method = "awdnn" if r.method == "awDNN" else f"stdo-k{int(r.k)}"
        m = json.loads(
            (
                tiny_run / f"results/videos/tiny/x{r.scale}/{r.backbone.lower()}/eval/{method}/metrics.json"
            ).read_text()
        )
        assert r.psnr_db == round(m["psnr"], 2) and r.parameters == m["parameters"]
    assert t["paper_psnr_db"].isna().all()  # the tiny video has no paper cell
    best = t[t.method == "STDO"].groupby(["backbone", "scale"])["best_k"].sum()
    assert (best == 1).all()
    stdo = t[t.method == "STDO"]
    assert (stdo["models"] == stdo["k"]).all()
    md = (tiny_run / "results/tables/table2.md").read_text()
    assert "| tiny |" in md and "config sha256: " in md and "git revision" in md


def test_evaluation_pools_the_per_patch_map(tiny_run):
    base = tiny_run / "results/videos/tiny/x2/wdsr/eval/stdo-k2"
    metrics = json.loads((base / "metrics.json").read_text())
    pmap = np.load(base / "psnr_map.npy")
    assert pmap.shape == (12, 2, 4)  # 12 frames, 2 rows x 4 cols
    pooled = 10 * np.log10(255**2 / np.mean(255**2 / 10 ** (pmap / 10)))
    assert metrics["psnr"] == __import__("pytest").approx(pooled, abs=1e-9)
    assert sum(m["patches"] for m in metrics["per_model"]) == 96


def test_partition_is_by_f0_score(tiny_run):
    scores = pd.read_csv(tiny_run / "results/videos/tiny/x4/scores.csv")
    chunks = np.load(tiny_run / "results/videos/tiny/x4/partition/k3/chunks.npy")
    assert np.bincount(chunks).tolist() == [16, 16, 16]
    assert scores["psnr"][chunks == 0].max() <= scores["psnr"][chunks == 1].min()


def test_every_rule_writes_a_log_and_every_result_a_sidecar(tiny_run):
    logs = {p.parent.name for p in (tiny_run / "results/logs").rglob("*.log")}
    assert {
        "ingest",
        "degrade",
        "patches",
        "pretrain",
        "score",
        "partition",
        "train",
        "evaluate",
        "tables",
        "figures",
    } <= logs
    side = json.loads((tiny_run / "results/videos/tiny/x2/espcn/units/all/model.pt.prov.json").read_text())
    assert side["stage"] == "train" and side["seed"] == 0
    assert side["config"]["videos"][0]["name"] == "tiny"  # the resolved config
    assert side["versions"]["torch"] and "commit" in side["git"]
    assert side["params"]["settings"]["batch_size"] == 8


def test_figures_are_real_images(tiny_run):
    pngs = sorted((tiny_run / "results/figures/heatmaps").glob("*.png"))
    assert len(pngs) == 4
    img = np.asarray(Image.open(pngs[0]))
    assert img.ndim == 3 and img.shape[0] > 100 and img.std() > 10


def test_second_run_has_nothing_to_do(tiny_run):
    out = snakemake(tiny_run, "tables", "-n", "--configfile", str(TINY))
    assert "Nothing to be done" in out.stdout + out.stderr


def test_lint_is_clean():
    out = snakemake(REPO, "--lint")
    assert "Congratulations" in out.stdout + out.stderr


def test_default_config_plans_the_demo(tmp_path):
    out = snakemake(tmp_path, "-n", "tables")
    text = out.stdout + out.stderr
    assert "demo_video" in text and "table2" in text
    cfg = yaml.safe_load((REPO / "config/config.yaml").read_text())
    assert {b["name"] for b in cfg["backbones"]} == {"espcn", "wdsr"}
