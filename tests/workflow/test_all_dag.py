"""`snakemake all` through the real DAG on a tiny config: tables, every figure of the paper
(Figure 5 from the export with parity and the host benchmarks), the side-by-side clip, and the
Snakemake report, opened in a real headless browser (Debian's chromium)."""

import json
import re
import shutil
import subprocess

import av
import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.image import imread
from support.workflow import TINY, snakemake

from stdo.core.metrics import pooled_psnr, psnr_to_mse

pytestmark = pytest.mark.slow  # runs Snakemake (see pyproject's markers)

OVERLAY = {
    "backbones": [{"name": "espcn", "kwargs": {"channels": [16, 16]}, "lr": 1.0e-3, "epochs": 2}],
    "scales": [2],
    "methods": ["awdnn", "cafm", "stdo", "jstdo"],
    "stdo": {"k": [2]},
    "jstdo": {"k": 2, "proportions": [1.0, 0.0]},
    "bench": {"threads": 1, "warmup": 1, "runs": 3},
    "train": {"seeds": [0, 1]},  # two seeds: paths carry the seed; figures and exports show seed 0
    "ablations": {
        "chunks": {"k": [1, 2], "seeds": None},  # k = 2 is Table 2's; one more model; every seed
        "schedules": {"k": 2, "proportions": [[0.5, 0.5], [1.0, 0.0]], "seeds": None},
    },
}
FIGURES = ["figure1", "figure3", "figure4", "figure5", "figure6"]


@pytest.fixture(scope="module")
def all_run(tmp_path_factory):
    wd = tmp_path_factory.mktemp("all")
    (wd / "overlay.yaml").write_text(yaml.safe_dump(OVERLAY))
    snakemake(wd, "all", "--configfile", str(TINY), str(wd / "overlay.yaml"))
    return wd


def test_bench_exports_per_size_and_segment_benchmarks_and_draws_figure5(all_run):
    cell = all_run / "results/videos/tiny/x2/espcn"
    manifest = json.loads((cell / "export/manifest.json").read_text())
    assert {(f["unit"], f["size"]) for f in manifest["files"]} >= {("all", "frame"), ("stdo-k2-c1", "patch")}
    # parity: export refuses to write a manifest for a file outside its bounds, so the DAG
    # reaching here says no more; tests/device/test_export.py breaks a conversion and checks the
    # refusal (test_a_perturbed_export_fails_parity_and_writes_no_manifest)
    assert {f["segment"] for f in manifest["files"] if f["unit"] == "cafm-n3"} == {0, 1, 2}  # per segment
    table = pd.read_csv(all_run / "results/tables/bench.csv")
    task = table[(table["size"] == "task") & (table["dtype"] == "float32") & ~table["routed"]]
    assert sorted(task["method_id"]) == ["awdnn", "cafm-n3", "jstdo-k2", "stdo-k2"]
    assert task["psnr_db"].notna().all() and (task["backend"] == "host").all()
    assert table["routed"].sum() == 2  # STDO's chunks and CaFM's segments, patch by patch
    md = (all_run / "results/tables/bench.md").read_text()
    assert "host CPU" in md
    assert imread(all_run / "results/figures/figure5.png").ndim == 3
    assert len(pd.read_csv(all_run / "results/figures/figure5.csv")) == 4
    assert (all_run / "results/figures/figure5.pdf").stat().st_size > 0


def test_every_figure_is_written_with_its_data(all_run):
    figures = all_run / "results/figures"
    for name in FIGURES:
        assert imread(figures / f"{name}.png").shape[0] > 100, name
        assert (figures / f"{name}.pdf").read_bytes()[:5] == b"%PDF-", name
        assert len(pd.read_csv(figures / f"{name}.csv")) > 0, name
    for name in ("chunks", "schedules"):  # Figures 7a and 7b
        assert imread(all_run / f"results/ablations/{name}.png").ndim == 3
        assert (all_run / f"results/ablations/{name}.pdf").stat().st_size > 0
    chunks = pd.read_csv(all_run / "results/ablations/chunks.csv")
    assert sorted(zip(chunks["k"], chunks["seed"], strict=True)) == [(1, 0), (1, 1), (2, 0), (2, 1)]
    f4 = pd.read_csv(figures / "figure4.csv")
    assert list(f4["method"]) == ["bicubic", "awdnn", "cafm-n3", "stdo-k2", "jstdo-k2"]
    for r in f4[f4["method"] != "bicubic"].itertuples():  # Figure 4's frames are the evaluated ones
        pmap = np.load(all_run / f"results/videos/tiny/x2/espcn/seed0/eval/{r.method}/psnr_map.npy")
        assert r.frame_psnr_db == pytest.approx(pooled_psnr(psnr_to_mse(pmap[r.frame]).ravel()), abs=1e-3)
    f6 = pd.read_csv(figures / "figure6.csv")
    assert list(f6["panel"].unique()) == ["JSTDO ρ = (0.5 0.5)", "JSTDO ρ = (1 0)"]


def test_two_seeds_train_apart_and_the_tables_and_claims_carry_their_noise(all_run):
    """train.seeds [0, 1]: each unit trained and evaluated once per seed under seed<s>/; Table 2
    gives the mean of the two seeds' PSNRs, their sd and n_seeds 2, and the regime beside the
    paper's; every decided claim has an interval around its paired mean margin."""
    cell = all_run / "results/videos/tiny/x2/espcn"
    psnr = {}
    for seed in (0, 1):
        m = json.loads((cell / f"seed{seed}/eval/awdnn/metrics.json").read_text())
        assert m["seed"] == seed
        side = json.loads((cell / f"seed{seed}/units/all/model.pt.prov.json").read_text())
        assert side["params"]["settings"]["seed"] == seed
        psnr[seed] = m["psnr"]
    assert psnr[0] != psnr[1]  # other batches: another model
    assert not (cell / "units").exists() and not (cell / "eval").exists()
    t = pd.read_csv(all_run / "results/tables/table2.csv")
    aw = t[t.method == "awDNN"].iloc[0]
    assert aw.n_seeds == 2 and aw.psnr_db == pytest.approx((psnr[0] + psnr[1]) / 2, abs=0.006)
    assert aw.psnr_std_db == pytest.approx(abs(psnr[0] - psnr[1]) / np.sqrt(2), abs=6e-4)
    trained = t[~t.method.isin(["bicubic", "f0"])]
    assert (trained.steps_per_model > 0).all()
    assert (trained.paper_steps_per_model > trained.steps_per_model).all()
    assert trained.lr_pixels_per_param.notna().all() and trained.paper_lr_pixels_per_param.notna().all()
    c = pd.read_csv(all_run / "results/tables/claims.csv")
    decided = c[c.status != "not run"]
    assert len(decided) and (decided.n_seeds == 2).all()
    assert (decided.ci_low_db <= decided.margin_db).all() and (decided.margin_db <= decided.ci_high_db).all()
    assert not decided.status.str.contains("one seed").any()


def test_the_side_by_side_clip_plays_bicubic_beside_the_best_method(all_run):
    data = pd.read_csv(all_run / "results/figures/side_by_side.csv")
    cell = all_run / "results/videos/tiny/x2/espcn/seed0"  # the figures' run: the first seed
    metrics = {
        m: json.loads((cell / f"eval/{m}/metrics.json").read_text())["psnr"]
        for m in ("awdnn", "cafm-n3", "stdo-k2", "jstdo-k2")
    }
    summary = json.loads((all_run / "results/videos/tiny/x2/score_summary.json").read_text())
    left = data.set_index("side").loc["left"]
    # rendered in other batches than evaluate's: a pixel may round apart (~1e-5 dB), a wrong
    # frame or method is 0.01 dB or more away
    assert left["clip_psnr_db"] == pytest.approx(summary["bicubic_psnr"], abs=1e-3)  # the tables' bicubic
    best = data.set_index("side").loc["right"]
    assert best["method"] == max(metrics, key=metrics.get)
    assert best["clip_psnr_db"] == pytest.approx(metrics[best["method"]], abs=1e-3)  # the whole video
    with av.open(str(all_run / "results/figures/side_by_side.mp4")) as c:
        frames = list(c.decode(video=0))
    assert len(frames) == 12 and frames[0].width == 2 * 96 + 4 and frames[0].height == 48 + 18


def test_the_report_renders_in_headless_chromium_and_names_every_figure(all_run, tmp_path):
    report = all_run / "results/report.html"
    text = report.read_text()
    for name in [*FIGURES, "chunks", "schedules", "side_by_side", "paper_vs_run", "table2", "claims"]:
        assert name in text, name
    page = (all_run / "results/report/paper_vs_run.html").read_text()
    assert "None of this run's videos (tiny) carries a paper label" in page
    assert page.count("data-status=") == len(pd.read_csv(all_run / "results/tables/claims.csv"))

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Debian's chromium is needed for this test (apt-get install chromium; .ci/run does)"
    shot = tmp_path / "report.png"
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1400,1000", "--virtual-time-budget=5000",
         report.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    image = imread(shot)
    assert image.shape[:2] == (1000, 1400) and image[..., :3].std() > 0.05  # drawn, not blank
    dom = subprocess.run(
        [*common, "--dump-dom", "--virtual-time-budget=5000", report.as_uri()],
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    rendered = re.sub(r"<script.*?</script>", "", dom, flags=re.S)  # what the page's code drew
    for label in ("Figures", "Tables", "Paper vs this run"):
        assert label in rendered, label
