"""The training regime of every cell beside the paper's (stdo.workflow.regime, ``stdo plan``): numbers
computed by hand from the config values, and the CLI on the paper's config."""

import math
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from stdo.core.errors import StdoError
from stdo.workflow import regime
from stdo.workflow.plan import Plan

REPO = regime.repo_root()
PAPER = regime.PaperSetting.from_config(yaml.safe_load((REPO / "config/paper.yaml").read_text()))


def espcn_parameters(scale: int) -> int:
    """ESPCN's 3x3 convs 3-64-64-32-(3 s^2), weights and biases, counted by hand."""
    return sum((cin * 9 + 1) * cout for cin, cout in [(3, 64), (64, 64), (64, 32), (32, 3 * scale**2)])


@pytest.fixture(scope="module")
def demo():
    config = regime.load_config([])
    regime.prepare(config)
    return config, regime.regime_table(config, PAPER).set_index(["video", "scale", "backbone", "method"])


def test_demo_regime_is_what_train_does_counted_by_hand(demo):
    config, df = demo
    d, espcn = config["demo_video"], config["backbones"][0]
    epochs, batch = espcn["epochs"], config["train"]["batch_size"]
    cols, rows = config["patch_grid"]["x2"]
    n = round(d["seconds"] * d["fps"]) * cols * rows  # frames x grid: every patch of the video
    patch_px = (d["width"] // 2 // cols) * (d["height"] // 2 // rows)
    params = espcn_parameters(2)
    awdnn = df.loc[("demo", 2, "espcn", "awdnn")]
    assert awdnn["models"] == 1 and awdnn["patches"] == n and awdnn["parameters"] == params
    assert awdnn["steps_per_model"] == math.ceil(epochs * n / batch)
    assert awdnn["lr_pixels_per_param"] == pytest.approx(n * patch_px / params)
    for k in config["stdo"]["k"]:  # k chunk models of N/k patches each (N divides by k here)
        stdo = df.loc[("demo", 2, "espcn", f"stdo-k{k}")]
        assert stdo["models"] == k and stdo["steps_range"] == str(math.ceil(epochs * n / k / batch))
        assert stdo["lr_pixels_per_param"] == pytest.approx(n / k * patch_px / params)
    segments = math.ceil(d["seconds"] / config["nas"]["chunk_seconds"])
    nas = df.loc[("demo", 2, "espcn", f"nas-n{segments}")]
    assert nas["models"] == segments and nas["steps_per_model"] == math.ceil(epochs * n / segments / batch)
    # CaFM: one model on every patch; its parameters add, per segment, CaFM's ESPCN modulation
    # (espcn.py: a 1x1 conv of two channels per group, with bias, and a scalar) after each of
    # ESPCN's three hidden convs
    cafm = df.loc[("demo", 2, "espcn", f"cafm-n{segments}")]
    modulation = segments * sum(c * 2 + c + 1 for c in (64, 64, 32))
    assert cafm["parameters"] == params + modulation and cafm["steps_per_model"] == awdnn["steps_per_model"]
    # JSTDO: budgeted on the whole video, trained on round(rho_i |D_i|) of each of its k chunks
    k, rho = config["jstdo"]["k"], config["jstdo"]["proportions"]
    jstdo = df.loc[("demo", 2, "espcn", f"jstdo-k{k}")]
    assert jstdo["steps_per_model"] == awdnn["steps_per_model"]
    assert jstdo["share_patches"] == sum(round(r * n / k) for r in rho)
    assert set(df["n_seeds"]) == {len(config["train"].get("seeds", [0]))}


def test_paper_cells_beside_the_demo(demo):
    _, df = demo
    row = df.loc[("demo", 4, "wdsr", "stdo-k2")]
    # the paper: 15 s (the demo has no paper label) of 1080p at x4, a 10x5 grid, batch 16, 50 epochs
    assert row["paper_cell"] == "15 s (no paper label)"
    assert row["paper_steps_per_model"] == math.ceil(50 * 450 * 50 / 2 / 16) == 35157
    espcn = df.loc[("demo", 2, "espcn", "awdnn")]  # x2: 20x10 patches of 48x54
    assert espcn["paper_lr_pixels_per_param"] == pytest.approx(450 * 200 * 48 * 54 / espcn_parameters(2))
    # NAS and CaFM meet the paper's segmentation of 15 s (5 s segments)
    assert set(df.loc[df.index.get_level_values("method").str.startswith("nas"), "paper_method"]) == {
        "nas-n3"
    }
    assert df["paper_steps_per_model"].gt(0).all() and df["paper_lr_pixels_per_param"].gt(0).all()


def test_models_of_unequal_size_report_their_mean_and_range():
    """5 patches (5 frames of one patch each): STDO k=2 chunks of 3 and 2 patches, NAS's two
    time segments of 3 and 2 frames; 16 epochs at batch 16: one step per patch."""
    g = regime.Geometry(frames=5, cols=1, rows=1, patch_w=4, patch_h=2)
    common = {"geometry": g, "epochs": 16, "batch_size": 16, "backbone": "espcn", "kwargs": {}, "scale": 2}
    params = espcn_parameters(2)
    for method in ("stdo-k2", "nas-n2"):
        out = regime.method_regime(method, config={}, **common)
        assert (out["models"], out["steps_per_model"], out["steps_range"]) == (2, 2.5, "2-3")
        assert out["lr_pixels_per_param"] == pytest.approx(2.5 * 8 / params)
    assert regime.method_regime("awdnn", config={}, **common)["steps_range"] == "5"


def test_a_video_whose_size_is_unknown_says_so(tmp_path):
    overlay = tmp_path / "mine.yaml"
    overlay.write_text(
        yaml.safe_dump(
            {"videos": [{"name": "mine", "source": str(tmp_path / "absent.mp4"), "duration_s": 3}]}
        )
    )
    config = regime.load_config([overlay])
    df = regime.regime_table(config, PAPER)
    assert len(df) == len(Plan(config).metrics_evals())
    assert df["steps_per_model"].isna().all() and df["lr_pixels_per_param"].isna().all()
    assert (
        df["note"].str.contains("frame size unknown").all() and df["note"].str.contains("frame count").all()
    )
    assert df["paper_steps_per_model"].notna().all()


def test_overlays_merge_as_snakemake_and_typos_stop(tmp_path):
    config = regime.load_config([REPO / "config/paper.yaml"])
    paper = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    assert [b["name"] for b in config["backbones"]] == [b["name"] for b in paper["backbones"]]  # replaced
    assert config["demo_video"]["width"] == 144 and config["train"]["init"] == "scratch"  # merged
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: {bacth_size: 4}\n")
    with pytest.raises(StdoError, match="bacth_size"):
        regime.load_config([bad])
    with pytest.raises(StdoError, match="not found"):
        regime.load_config([tmp_path / "missing.yaml"])


def test_stdo_plan_prints_every_paper_cell_without_pyav(tmp_path):
    out_csv = tmp_path / "regime.csv"
    code = (
        "import sys; from stdo.workflow.cli import main; "
        f"main(['plan', '--configfile', 'config/paper.yaml', '--out-csv', {str(out_csv)!r}]); "
        "assert 'av' not in sys.modules, 'stdo plan imported PyAV'"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    cells = Plan(regime.load_config([REPO / "config/paper.yaml"])).metrics_evals()
    lines = run.stdout.strip().splitlines()
    assert lines[0].split()[:4] == ["video", "scale", "backbone", "method"] and len(lines) == len(cells) + 1
    df = pd.read_csv(out_csv)
    assert list(zip(df.video, df.scale, df.backbone, df.method, strict=True)) == cells
    for col in (
        "steps_per_model",
        "paper_steps_per_model",
        "lr_pixels_per_param",
        "paper_lr_pixels_per_param",
    ):
        assert df[col].map(math.isfinite).all() and df[col].gt(0).all(), col
    # the paper's own config is the paper's setting: every cell equals its paper cell
    assert (df["steps_per_model"] == df["paper_steps_per_model"]).all()
    assert (df["paper_method"] == df["method"]).all() and set(df["n_seeds"]) == {1}


def test_jstdo_at_a_k_the_paper_config_has_no_proportions_for(tmp_path):
    """The paper config's JSTDO proportions are for k=4; at k=3 the paper cell draws with ours."""
    overlay = tmp_path / "k3.yaml"
    overlay.write_text(yaml.safe_dump({"jstdo": {"k": 3, "proportions": [1.0, 0.5, 0.0]}}))
    config = regime.load_config([overlay])
    df = regime.regime_table(config, PAPER).set_index(["video", "scale", "backbone", "method"])
    row = df.loc[("demo", 2, "espcn", "jstdo-k3")]
    n_paper = 450 * 200  # 15 s at 30 fps, 20x10 patches of 48x54
    share = 30_000 + 15_000 + 0  # all of D0, half of D1, none of D2, each of N/3 patches
    assert row["paper_lr_pixels_per_param"] == pytest.approx(share * 48 * 54 / espcn_parameters(2))
    assert row["paper_steps_per_model"] == math.ceil(50 * n_paper / 16)
