"""`snakemake rate` on the tiny run's working directory (only the delivery jobs run: bundles, the HR
ladder, the rate table and figure), and the client playing a bundle back as evaluate measured it."""

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread
from support.workflow import TINY, snakemake

from stdo.core import io
from stdo.delivery import client
from stdo.video import codec

pytestmark = pytest.mark.slow  # runs Snakemake (see pyproject's markers)

FP16_TOLERANCE_DB = 0.05  # the bundle's float16 weights (float32 in evaluate); see stdo.delivery.client


@pytest.fixture(scope="module")
def rate_run(tiny_run):
    snakemake(tiny_run, "rate", "--configfile", str(TINY))
    return tiny_run


def test_rate_table_and_figure(rate_run):
    table = pd.read_csv(rate_run / "results/tables/rate.csv")
    assert len(table) == 2 * 2 * 6 + 2  # scales x backbones x (awdnn, nas, cafm, stdo k2/k3, jstdo), bicubic
    for r in table[
        table["method_id"] == "bicubic"
    ].itertuples():  # the LR stream alone, bicubic at the client
        ref = json.loads((rate_run / f"results/videos/tiny/x{r.scale}/score_summary.json").read_text())
        assert r.psnr_db == pytest.approx(ref["bicubic_psnr"]) and r.model_bytes == 0 and r.side_bytes == 0
        same = table[(table["scale"] == r.scale) & (table["method_id"] != "bicubic")]
        assert (same["stream_bytes"] == r.stream_bytes).all()
    assert (table["total_bytes"] == table[["stream_bytes", "model_bytes", "side_bytes"]].sum(axis=1)).all()
    assert (table.loc[table["method_id"].str.startswith("stdo"), "side_bytes"] > 0).all()
    assert (table.loc[~table["method_id"].str.startswith("stdo"), "side_bytes"] == 0).all()
    assert set(table["lr_codec"]) == {"ffv1"}  # tiny.yaml: codec off, LR sent losslessly
    assert (table["bd_rate_pct"].notna() | table["bd_rate_note"].str.contains("outside", na=False)).all()
    ladder = pd.read_csv(rate_run / "results/videos/tiny/ladder.csv")
    assert list(ladder["crf"]) == [18, 23, 28, 33, 38, 43] and ladder["kbps"].is_monotonic_decreasing
    assert "rate ladder" in (rate_run / "results/tables/rate.md").read_text()
    assert imread(rate_run / "results/figures/rate.png").ndim == 3
    assert (rate_run / "results/figures/rate.pdf").stat().st_size > 0
    assert set(pd.read_csv(rate_run / "results/figures/rate.csv")["series"]) == {"hr_ladder", "delivery"}


def test_client_plays_a_bundle_back_with_evaluates_psnr(rate_run, tmp_path):
    cell = rate_run / "results/videos/tiny/x2/espcn"
    lr = io.open_array(rate_run / "results/videos/tiny/x2/lr.npy")
    assert np.array_equal(codec.decode(rate_run / "results/videos/tiny/x2/lr_stream.mkv", lr.shape[1:3]), lr)
    for method in ("stdo-k2", "cafm-n3"):
        out = tmp_path / f"{method}.mp4"  # upscale refuses to overwrite a file without force
        result = client.upscale(cell / "bundle" / method, out, hr=rate_run / "results/videos/tiny/hr.npy")
        evaluated = json.loads((cell / "eval" / method / "metrics.json").read_text())["psnr"]
        assert abs(result["psnr"] - evaluated) < FP16_TOLERANCE_DB
        assert out.stat().st_size > 0


def test_lr_crf_plans_a_path_per_quality_and_delta_bundles(tmp_path):
    """A dry run with the LR codec on, rate.lr_crf and delta models: one degrade -> train ->
    evaluate path per other LR quality (videos tiny_crf<crf>), one HR ladder, every bundle made
    against its backbone's generic model."""
    overlay = tmp_path / "codec.yaml"
    overlay.write_text(
        "degrade: {codec: {codec: libx264, crf: 23}}\n"
        "train: {init: generic}\n"
        "rate: {lr_crf: [18, 23, 28, 33], model_coding: delta, delta_bound_db: 0.05}\n"
    )
    out = snakemake(tmp_path, "-n", "-p", "rate", "--configfile", str(TINY), str(overlay)).stdout
    for crf in (18, 28, 33):
        assert f"--out results/videos/tiny_crf{crf}/x4/lr.npy" in out and f'"crf":{crf}' in out
    assert "tiny_crf23" not in out  # the video's own quality is the video itself
    assert out.count("python -m stdo delivery.rate ladder") == 1
    bundles = [line for line in out.splitlines() if "python -m stdo delivery.bundle" in line]
    assert len(bundles) == 4 * 2 * 2 * 6  # qualities x scales x backbones x delivered methods
    assert all("--coding delta --generic results/pretrain/" in b for b in bundles)
    assert '--curves \'{"tiny_crf18":"tiny"' in out
