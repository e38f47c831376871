"""Planning over a config (stdo.workflow.plan), without Snakemake: what the workflow is asked to make."""

import copy
import subprocess
import sys

import pytest

from stdo.core.errors import StdoError
from stdo.core.frames import cafm_train_frames
from stdo.workflow.plan import Plan

BASE = {
    "videos": [{"name": "demo", "source": "resources/demo/demo.mp4"}],
    "demo_video": {"path": "resources/demo/demo.mp4", "width": 96, "height": 48, "fps": 10, "seconds": 2.0},
    "scales": [2, 4],
    "patch_grid": {"x2": [4, 2], "x4": [2, 2]},
    "backbones": [{"name": "espcn", "lr": 1e-3, "epochs": 2}, {"name": "wdsr", "lr": 1e-3, "epochs": 1}],
    "methods": ["awdnn", "nas", "cafm", "stdo", "jstdo"],
    "nas": {"chunk_seconds": 0.5},
    "stdo": {"k": [2, 3]},
    "jstdo": {"k": 4, "proportions": [1, 0.5, 0.5, 0]},
    "table1": {"backbones": ["wdsr"]},
    "train": {"batch_size": 8, "init": "generic", "lr_min": 4e-8},
    "pretrain": {"backbone": "espcn", "lr": 2e-3, "batch_size": 16},
}


def config(**changes):
    cfg = copy.deepcopy(BASE)
    cfg.update(changes)
    return cfg


def test_cafm_split_and_segments_of_a_short_video_are_exact():
    """21 frames at 1 fps with split: cafm train on 19 frames (19 + 1 held out <= 21). The old
    ``seconds / 1.1`` gave 20 one-second segments, more than the 19 frames NAS could cut."""
    assert cafm_train_frames(21) == 19 and cafm_train_frames(450) == 409
    with pytest.raises(StdoError, match="too few"):
        cafm_train_frames(9)
    cfg = config(
        videos=[{"name": "demo", "source": "resources/demo/demo.mp4", "split": "cafm"}],
        demo_video=BASE["demo_video"] | {"fps": 1, "seconds": 21},
        nas={"chunk_seconds": 1},
    )
    plan = Plan(cfg)
    assert plan.video_frames("demo") == (21, 1.0)
    assert plan.time_segments("demo") == 19
    assert plan.eval_video("demo") == "demo_heldout" and plan.train_video("demo_heldout") == "demo"
    assert plan.ingest_split("demo") == "train" and plan.ingest_split("demo_heldout") == "test"
    assert plan.table_videos == ["demo"]
    # without a frame count (a VSD4K clip), the long-video limit n / (n + n/10) = 1/1.1
    vsd = Plan(config(videos=[{"name": "g", "vsd4k": ["game_15s_1"], "split": "cafm", "duration_s": 15}]))
    assert vsd.time_segments("g") == 28  # ceil(15 / 1.1 / 0.5)


def test_segments_follow_the_demo_and_its_frame_range():
    plan = Plan(config())
    assert plan.video_duration("demo") == 2.0 and plan.time_segments("demo") == 4
    ranged = Plan(config(videos=[{"name": "demo", "source": "resources/demo/demo.mp4", "frames": [5, 12]}]))
    assert ranged.video_frames("demo") == (7, 10.0) and ranged.time_segments("demo") == 2
    with pytest.raises(StdoError, match="needs duration_s"):
        Plan(config(videos=[{"name": "mine", "source": "no/such/file.mp4"}])).time_segments("mine")


def test_method_ids_tables_and_the_best_of_k_set():
    plan = Plan(config())
    assert plan.method_ids("demo", "espcn") == [
        "awdnn", "nas-n4", "cafm-n4", "stdo-k2", "stdo-k3", "jstdo-k4", "stdo-k4",
    ]  # fmt: skip
    assert "stdo-k2-d0" in plan.method_ids("demo", "wdsr")  # Table 1's backbone
    assert "stdo-k2-d0" not in plan.method_ids("demo", "wdsr", single_chunk=False)
    assert plan.stdo_ks() == [2, 3]  # jstdo.k 4 is evaluated for Table 4, not a competitor in Table 2
    assert plan.tables_to_build() == [1, 2, 3, 4]
    assert Plan(config(methods=["awdnn", "stdo"], table1={})).tables_to_build() == [2]
    assert len(plan.metrics_cells()) == 2 * (7 + 11)
    units = plan.cell_units("demo", "espcn")
    assert units[:4] == ["all", "nas-n4-c0", "nas-n4-c1", "nas-n4-c2"] and len(units) == len(set(units))
    assert "stdo-k3-c2" in units and "jstdo-k4" in units and "stdo-k4-c3" in units
    assert plan.cell_partition_ks("demo", "espcn") == [2, 3, 4]


def test_fit_multiple_train_settings_and_generic_kwargs():
    plan = Plan(config())
    assert plan.fit_multiple() == (8, 8, 4)  # lcm(2*4, 4*2), lcm(2*2, 4*2), lcm(2, 4)
    assert plan.train_settings(1e-3) == {"batch_size": 8, "lr_min": 4e-8, "lr": 1e-3, "seed": 0}
    assert plan.train_settings(2e-3, 16)["batch_size"] == 16
    # the fused-training settings (train.fuse, tf32, resident, compile) reach the jobs only when
    # set away from their defaults, so a config that leaves them gives the jobs the same parameters
    quiet = {"fuse": "auto", "tf32": None, "resident": "auto", "compile": False}
    assert Plan(config(train=BASE["train"] | quiet)).train_settings(1e-3) == plan.train_settings(1e-3)
    loud = {"fuse": False, "tf32": True, "resident": "off", "compile": True, "amp": "bf16"}
    assert Plan(config(train=BASE["train"] | loud)).train_settings(1e-3) == plan.train_settings(1e-3) | loud
    assert plan.generic_kwargs("espcn") == {} and plan.init_from_generic()
    clash = Plan(config(pretrain=BASE["pretrain"] | {"kwargs": {"channels": [8]}}))
    with pytest.raises(StdoError, match="pretrain.kwargs .* differ from backbones' espcn kwargs"):
        clash.generic_kwargs("espcn")
    assert Plan(config()).demo_photos() == ["astronaut", "rocket", "stereo_motorcycle"]


def test_seeds_multiply_the_evaluations_and_ablations_take_their_first_seeds():
    """train.seeds: every table evaluation once per seed, the job's seed in its train settings
    (never the list); an ablation's ``seeds: n`` takes the first n seeds, more than there are
    stops naming both numbers; one seed (the default) keeps paths without a seed."""
    one = Plan(config())
    assert one.seeds == [0] and not one.multi_seed
    assert one.metrics_runs() == [(*cell, 0) for cell in one.metrics_cells()]
    cfg = config(
        train=BASE["train"] | {"seeds": [3, 1, 4]},
        ablations={"chunks": {"k": [1, 2], "seeds": 2}, "schedules": {"k": 4, "proportions": [[1, 1, 0, 0]]}},
    )
    plan = Plan(cfg)
    assert plan.seeds == [3, 1, 4] and plan.multi_seed
    runs = plan.metrics_runs()
    assert len(runs) == 3 * len(plan.metrics_cells()) and {r[-1] for r in runs} == {3, 1, 4}
    settings = plan.train_settings(1e-3, seed=4)
    assert settings["seed"] == 4 and "seeds" not in settings
    assert plan.train_settings(1e-3)["seed"] == 3  # the first seed (pretraining's)
    assert plan.ablation("chunks").seeds == [3, 1] and plan.ablation("schedules").seeds == [3, 1, 4]
    assert {r[-1] for r in plan.ablation_runs("chunks")} == {3, 1}
    assert len(plan.ablation_runs("chunks")) == 2 * len(plan.ablation("chunks").cells)
    too_many = config(train=BASE["train"] | {"seeds": [0]}, ablations={"chunks": {"k": [1, 2], "seeds": 2}})
    with pytest.raises(StdoError, match=r"ablations.chunks.seeds is 2, but train.seeds has 1"):
        Plan(too_many).ablations()


def test_unknown_names_stop_with_what_is_known():
    with pytest.raises(
        StdoError, match="unknown backbone 'wdsrr'; registered: edsr, espcn, srcnn, vdsr, wdsr"
    ):
        Plan(config(backbones=[{"name": "wdsrr", "lr": 1e-3, "epochs": 1}])).check()
    with pytest.raises(
        StdoError, match="unknown method 'stdo2' in methods; known: awdnn, nas, cafm, stdo, jstdo"
    ):
        Plan(config(methods=["stdo2"])).check()
    with pytest.raises(StdoError, match="lists 'espcn' twice"):
        Plan(config(backbones=[BASE["backbones"][0]] * 2)).check()
    bad = config(ablations={"chunks": {"video": "demo", "scale": 2, "backbones": ["vdsr"], "k": [1, 2]}})
    with pytest.raises(StdoError, match="ablations.chunks names backbone 'vdsr'"):
        Plan(bad).check()


def test_ablations_name_their_evaluations():
    cfg = config(
        ablations={
            "chunks": {"video": "demo", "scale": 2, "backbones": ["espcn"], "k": [1, 2]},
            "schedules": {
                "video": "demo",
                "scale": 4,
                "backbone": "wdsr",
                "k": 2,
                "proportions": [[1, 0], [1, 1]],
            },
        }
    )
    plan = Plan(cfg).check()
    assert [a.name for a in plan.ablations()] == ["chunks", "schedules"]
    assert plan.ablation("chunks").cells == [("demo", 2, "espcn", "stdo-k1"), ("demo", 2, "espcn", "stdo-k2")]
    assert plan.ablation("schedules").cells[1] == ("demo", 4, "wdsr", "jstdo-k2-p1")
    assert plan.unit_proportions("jstdo-k2-p1") == [1, 1] and plan.ablation("long_video") is None


def test_the_figures_cell_and_ablations_left_null_follow_the_config():
    """Figures 1, 3, 4 and the clip default to the first table video, the largest scale and the
    last backbone; ablations with null video, scale and backbone(s) take the figures' cell (and
    every backbone), so an overlay that brings its own video keeps them; null turns one off."""
    held_out = {"name": "extra", "source": "x.mp4", "tables": False}
    cfg = config(
        videos=[*BASE["videos"], held_out],
        ablations={
            "chunks": {"video": None, "scale": None, "backbones": None, "k": [1, 2]},
            "schedules": {"k": 2, "proportions": [[1, 0]]},
            "long_video": None,
        },
    )
    plan = Plan(cfg).check()
    assert plan.figure_cell() == ("demo", 4, "wdsr")
    assert plan.ablation("chunks").cells == [
        ("demo", 4, b, f"stdo-k{k}") for b in ("espcn", "wdsr") for k in (1, 2)
    ]
    assert plan.ablation("schedules").cells == [("demo", 4, "wdsr", "jstdo-k2-p0")]
    assert plan.ablation("long_video") is None
    cfg["figures"] = {"video": "demo", "scale": 2, "backbone": "espcn"}
    plan = Plan(cfg)
    assert plan.figure_cell() == ("demo", 2, "espcn")
    assert plan.ablation("schedules").cells == [("demo", 2, "espcn", "jstdo-k2-p0")]
    for bad, message in [
        ({"video": "extra"}, "figures.video 'extra' is not a table video"),
        ({"scale": 3}, "figures.scale 3 is not one of scales"),
        ({"backbone": "edsr"}, "figures.backbone 'edsr' is not one of backbones"),
    ]:
        with pytest.raises(StdoError, match=message):
            Plan(config(figures=bad)).check()


def test_chunk_models_are_trained_by_one_job_per_k():
    """Every k whose STDO chunk models an evaluation needs (Table 2's k, Table 4's STDO at
    JSTDO's k, the chunk ablation's k) and only STDO's chunk units are grouped."""
    cfg = config(ablations={"chunks": {"k": [1, 5]}})
    plan = Plan(cfg).check()
    assert plan.chunk_unit_ks() == [1, 2, 3, 4, 5]  # stdo.k 2, 3; jstdo.k 4 (Table 4); ablation 1, 5
    assert plan.is_chunk_unit("stdo-k4-c3") and plan.is_chunk_unit("stdo-k1-c0")
    assert not any(map(plan.is_chunk_unit, ["all", "nas-n2-c0", "jstdo-k4", "jstdo-k4-p1", "cafm-n2"]))
    assert Plan(config(methods=["awdnn", "nas"])).chunk_unit_ks() == []
    assert plan.figures_to_build() == [1, 3, 4]  # no schedule ablation: no Figure 6
    assert Plan(config(methods=["awdnn", "nas"])).figures_to_build() == [1, 4]  # nothing for Figure 3


def test_what_snakemake_imports_while_parsing_pulls_in_neither_pyav_nor_skimage():
    code = (
        "import sys; from stdo import methods; from stdo.core import plugins; "
        "from stdo.workflow import plan; "
        "plan.Plan({'demo_video': {}}).demo_photos(); "
        "print(sorted(m for m in ('av', 'skimage') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _paper_config() -> dict:
    """config/config.yaml overlaid by config/paper.yaml as Snakemake merges them (lists replace,
    mappings merge key by key)."""
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2]

    def merge(base, over):
        for k, v in over.items():
            nested = isinstance(v, dict) and isinstance(base.get(k), dict)
            base[k] = merge(base[k], v) if nested else v
        return base

    base = yaml.safe_load((root / "config/config.yaml").read_text())
    return merge(base, yaml.safe_load((root / "config/paper.yaml").read_text()))


def test_paper_config_plans_the_authors_450_and_1350_frames():
    """VSD4K.py keeps frame[0:time*30] of each clip: 450 of 15 s, 1,350 of 45 s (both parts of 90 s)."""
    plan = Plan(_paper_config())
    frames = {v: plan.video_frames(v) for v in plan.videos}
    for v in ("game_15s", "inter_15s", "vlog_15s"):
        assert frames[v] == (450, 30.0)
    for v in ("game_45s", "inter_45s", "vlog_45s"):
        assert frames[v] == (1350, 30.0)
    assert frames["long_90s"] == (2 * 1350, 30.0)


def test_paper_config_builds_cafm_as_its_authors():
    """CaFM's ContentAwareFM(n_feats, 1) at its code's sites; config ``cafm`` passed to stdo.sr.train."""
    assert Plan(_paper_config()).cafm_settings() == {"kernel_size": 1, "placement": "cafm"}
