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
    assert len(plan.metrics_evals()) == 2 * (7 + 11)
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
    assert one.metrics_runs() == [(*cell, 0) for cell in one.metrics_evals()]
    cfg = config(
        train=BASE["train"] | {"seeds": [3, 1, 4]},
        ablations={"chunks": {"k": [1, 2], "seeds": 2}, "schedules": {"k": 4, "proportions": [[1, 1, 0, 0]]}},
    )
    plan = Plan(cfg)
    assert plan.seeds == [3, 1, 4] and plan.multi_seed
    runs = plan.metrics_runs()
    assert len(runs) == 3 * len(plan.metrics_evals()) and {r[-1] for r in runs} == {3, 1, 4}
    settings = plan.train_settings(1e-3, seed=4)
    assert settings["seed"] == 4 and "seeds" not in settings
    assert plan.train_settings(1e-3)["seed"] == 3  # the first seed (pretraining's)
    assert plan.ablation("chunks").seeds == [3, 1] and plan.ablation("schedules").seeds == [3, 1, 4]
    assert {r[-1] for r in plan.ablation_runs("chunks")} == {3, 1}
    assert len(plan.ablation_runs("chunks")) == 2 * len(plan.ablation("chunks").evals)
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
    assert plan.ablation("chunks").evals == [("demo", 2, "espcn", "stdo-k1"), ("demo", 2, "espcn", "stdo-k2")]
    assert plan.ablation("schedules").evals[1] == ("demo", 4, "wdsr", "jstdo-k2-p1")
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
    assert plan.ablation("chunks").evals == [
        ("demo", 4, b, f"stdo-k{k}") for b in ("espcn", "wdsr") for k in (1, 2)
    ]
    assert plan.ablation("schedules").evals == [("demo", 4, "wdsr", "jstdo-k2-p0")]
    assert plan.ablation("long_video") is None
    cfg["figures"] = {"video": "demo", "scale": 2, "backbone": "espcn"}
    plan = Plan(cfg)
    assert plan.figure_cell() == ("demo", 2, "espcn")
    assert plan.ablation("schedules").evals == [("demo", 2, "espcn", "jstdo-k2-p0")]
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


def test_stdo_chunk_units_and_the_single_unit_rule_leave_each_other_alone():
    """STDO's k chunk models are one job's (train_stdo_k<k>); the one-unit rule's ``unit``
    wildcard takes every other unit id, not a chunk model's."""
    import re

    assert Plan.chunk_units(3) == ["stdo-k3-c0", "stdo-k3-c1", "stdo-k3-c2"]
    assert Plan.chunk_units(2) == [
        u for u in Plan(config()).cell_units("demo", "espcn") if u.startswith("stdo-k2")
    ]
    unit = Plan.single_unit_constraint()
    assert "?P<" not in unit  # no named group beside Snakemake's own

    def takes(u):
        return re.fullmatch(rf"units/(?P<unit>{unit})/model\.pt", f"units/{u}/model.pt") is not None

    assert all(map(takes, ["all", "nas-n4-c3", "cafm-n4", "jstdo-k4", "jstdo-k4-p1", "half-c0"]))
    assert not any(map(takes, ["stdo-k2-c0", "stdo-k12-c11"]))


def test_ablation_and_claim_arguments():
    cfg = config(
        ablations={
            "chunks": {"k": [1, 2]},
            "schedules": {"k": 2, "proportions": [[1, 0], [0.5, 0.5]]},
            "long_video": {"video": "demo", "scale": 2, "backbone": "espcn", "parts": ["demo"]},
        },
    )
    plan = Plan(cfg).check()
    assert plan.ablation_args("chunks") == ""
    assert plan.ablation_args("schedules") == "--proportions '[[1,0],[0.5,0.5]]'"
    assert plan.ablation_args("long_video") == "--long demo --parts demo"
    tables = plan.claim_ablations()
    assert tables == [f"results/ablations/{n}.csv" for n in ("chunks", "schedules", "long_video")]
    assert plan.claim_ablation_args(tables) == (
        "--chunks results/ablations/chunks.csv --schedules results/ablations/schedules.csv "
        "--long-video results/ablations/long_video.csv"
    )
    assert plan.stdo_k_arg() == "--stdo-k 2,3" and Plan(config(stdo={"k": []})).stdo_k_arg() == ""


def test_the_files_of_a_run_carry_the_seed_only_with_several():
    one, three = Plan(config()), Plan(config(train=BASE["train"] | {"seeds": [0, 1, 2]}))
    assert one.unit_file("demo", 2, "espcn", "all", 0) == "results/videos/demo/x2/espcn/units/all/model.pt"
    assert three.unit_file("demo", 2, "espcn", "all", 1, "log.csv") == (
        "results/videos/demo/x2/espcn/seed1/units/all/log.csv"
    )
    assert three.eval_file("demo", 4, "wdsr", "stdo-k2", 2, "psnr_map.npy") == (
        "results/videos/demo/x4/wdsr/seed2/eval/stdo-k2/psnr_map.npy"
    )
    assert len(three.metrics_files()) == 3 * len(one.metrics_files()) == 3 * len(one.metrics_evals())
    assert one.cell_job_name("demo", 2, "espcn", 0) == "demo_x2_espcn"
    assert three.cell_job_name("demo", 2, "espcn", 1) == "demo_x2_espcn_seed1"


def test_budgets_add_a_run_directory_and_the_main_budget_is_the_largest():
    """study.budgets: sorted, every table run once per budget in e<budget>/, the epochs of each
    job its budget's, the ablations at the largest budget only, the labels carry the budget."""
    plain = Plan(config())
    assert plain.budgets == [None] and not plain.swept and plain.budget_outputs() == []
    assert plain.epochs("espcn") == 2 and plain.budget_labels(None) == {}
    cfg = config(
        study={"budgets": [20, 5, 10]},
        train=BASE["train"] | {"seeds": [0, 1]},
        ablations={"chunks": {"k": [1, 2], "seeds": 1}},
    )
    plan = Plan(cfg)
    assert plan.budgets == [5, 10, 20] and plan.main_budget == 20 and plan.swept
    assert plan.epochs("espcn") == 20 and plan.epochs("wdsr", "5") == 5  # the backbone's own epochs replaced
    assert (
        plan.unit_file("demo", 2, "espcn", "all", 1)
        == "results/videos/demo/x2/espcn/e20/seed1/units/all/model.pt"
    )
    assert plan.eval_file("demo", 4, "wdsr", "awdnn", 0, budget=5) == (
        "results/videos/demo/x4/wdsr/e5/seed0/eval/awdnn/metrics.json"
    )
    assert plan.metrics_files() == [plan.eval_file(*r) for r in plan.metrics_runs()]  # the tables: largest
    assert len(plan.budget_metrics_files()) == 3 * len(plan.metrics_files())
    assert plan.cell_job_name("demo", 2, "espcn", 1, 5) == "demo_x2_espcn_e5_seed1"
    ablated = set(plan.cell_methods("demo", 4, "wdsr", 0)) - set(plan.cell_methods("demo", 4, "wdsr", 0, 5))
    only_ablation = {m for v, s, b, m in plan.ablation("chunks").evals if (v, s, b) == ("demo", 4, "wdsr")}
    assert ablated and ablated == only_ablation - set(plan.cell_methods("demo", 4, "wdsr", 0, 5))
    assert set(plan.cell_methods("demo", 4, "wdsr", 0, 5)) == {
        m for v, s, b, m, sd in plan.metrics_runs() if (v, s, b, sd) == ("demo", 4, "wdsr", 0)
    }
    assert plan.budget_labels(5) == {"budget": 5} and plan.budget_labels(None) == {"budget": 20}
    assert plan.claim_budget() == ["results/tables/budget.csv"]
    assert "results/figures/budget.png" in plan.budget_outputs()


def test_the_inputs_of_training_and_evaluation_jobs():
    """Partitions of the video a method is evaluated on (its held-out frames with split: cafm),
    generic models to start from, and the batch of a cell's evaluation job."""
    held = Plan(config(videos=[{"name": "demo", "source": "resources/demo/demo.mp4", "split": "cafm"}]))
    assert held.method_partition("demo", 2, "stdo-k2") == [
        "results/videos/demo_heldout/x2/partition/k2/chunks.npy"
    ]
    assert held.method_partition("demo", 2, "awdnn") == []
    assert held.unit_partition("demo", 2, "stdo-k2-c1") == ["results/videos/demo/x2/partition/k2/chunks.npy"]
    assert held.assign_by("demo_heldout", 2, 3) == ["results/videos/demo/x2/partition/k3/thresholds.csv"]
    assert held.assign_by("demo", 2, 3) == [] and held.cafm_protocol_arg("demo") == "--cafm-protocol"
    plan = Plan(config())
    assert plan.unit_init("espcn", 2) == ["results/pretrain/espcn/x2/model.pt"]  # f0 itself
    assert plan.unit_init("wdsr", 4) == ["results/pretrain/wdsr/x4/model.pt"]
    assert Plan(config(train={"init": "scratch"})).unit_init("wdsr", 4) == []
    imported = Plan(config(pretrain=BASE["pretrain"] | {"checkpoints": {"x2": "f0.pt"}}))
    assert (
        imported.f0_model(2)
        == "results/pretrain/imported/espcn/x2/model.pt"
        == imported.unit_init("espcn", 2)[0]
    )
    (job,) = plan.cell_eval_batch("demo", 2, "espcn", 0, ["stdo-k2"])
    assert job == {
        "method": "stdo-k2",
        "models": [f"results/videos/demo/x2/espcn/units/stdo-k2-c{c}/model.pt" for c in (0, 1)],
        "partition": "results/videos/demo/x2/partition/k2/chunks.npy",
        "out_metrics": "results/videos/demo/x2/espcn/eval/stdo-k2/metrics.json",
        "out_map": "results/videos/demo/x2/espcn/eval/stdo-k2/psnr_map.npy",
    }
    parts, args = plan.cell_train_inputs("demo", 2, ["all", "stdo-k2-c0", "jstdo-k4"])
    assert parts == [
        "results/videos/demo/x2/partition/k2/chunks.npy",
        "results/videos/demo/x2/partition/k4/chunks.npy",
    ]
    assert args == (
        '--partitions \'{"2":"results/videos/demo/x2/partition/k2/chunks.npy",'
        '"4":"results/videos/demo/x2/partition/k4/chunks.npy"}\' --proportions \'{"jstdo-k4":[1,0.5,0.5,0]}\''
    )


def test_the_arguments_of_a_training_job():
    plan = Plan(config())
    assert plan.proportions_arg(["jstdo-k4"]) == "--proportions '[1,0.5,0.5,0]'"
    assert plan.proportions_arg(["stdo-k2-c0", "stdo-k2-c1"]) == ""
    assert plan.selection_args(["all"], []) == " "  # two empty words, as the shell line spaces them
    assert plan.selection_args(["stdo-k2-c0"], ["p.npy"]) == "--partition p.npy "
    assert plan.cafm_arg(["all"]) == "" and plan.cafm_arg(["cafm-n4"]) == plan.cafm_arg() == "--cafm '{}'"
    assert plan.labels("demo", "2", backbone="espcn") == {
        "video": "demo", "backbone": "espcn", "scale": 2, "paper_video": None, "paper_duration_s": None,
    }  # fmt: skip


def test_what_tables_figures_and_the_report_are_made_of():
    cfg = config(
        ablations={"chunks": {"k": [1, 2]}, "schedules": {"k": 2, "proportions": [[1, 0]]}},
        bench={"threads": 1},
    )
    plan = Plan(cfg).check()
    assert plan.table_files()[:2] == ["results/tables/table1.csv", "results/tables/table1.md"]
    assert plan.ablation_outputs() == [
        f"results/ablations/{n}.{e}" for n in ("chunks", "schedules") for e in ("csv", "md", "png", "pdf")
    ]
    assert plan.table_pages() == [
        *(
            f"results/report/tables/{t}.html"
            for t in ("table1", "table2", "table3", "table4", "claims", "bench")
        ),
        "results/report/ablations/chunks.html",
        "results/report/ablations/schedules.html",
    ]
    figures = plan.figure_outputs()
    assert figures[:3] == [
        "results/figures/figure1.png",
        "results/figures/figure1.pdf",
        "results/figures/figure1.csv",
    ]
    assert "results/figures/figure6.png" in figures and "results/figures/side_by_side.mp4" in figures
    assert "results/ablations/chunks.png" in figures and "results/ablations/chunks.csv" not in figures
    assert figures[-1] == "results/figures/heatmaps/demo_x4_wdsr.png"
    assert plan.report_pages() == plan.table_pages() + figures
    assert plan.figure_evals("metrics.json")[0] == "results/videos/demo/x4/wdsr/eval/awdnn/metrics.json"
    assert plan.bench_files() == [
        f"results/videos/demo/x{s}/{b}/bench/host.json" for s in (2, 4) for b in ("espcn", "wdsr")
    ]
    assert plan.score_summaries() == [f"results/videos/demo/x{s}/score_summary.json" for s in (2, 4)]
    snap, text = plan.snapshot()
    assert snap.startswith("results/.provenance/config-") and Plan(copy.deepcopy(cfg)).snapshot() == (
        snap,
        text,
    )


def test_shell_words_of_the_rules():
    from types import SimpleNamespace

    from stdo.workflow import paths, shell

    assert shell.json_arg({"a": [1, 2]}) == """'{"a":[1,2]}'"""
    with pytest.raises(ValueError, match="single quote"):
        shell.json_arg("it's")
    assert shell.flag("--k", None) == shell.flag("--k", "") == shell.flag("--k", []) == ""
    assert shell.flag("--k", 0) == "--k 0"
    inputs = {"partition": ["p.npy"], "init": []}
    assert shell.input_flag("--partition", "partition")(None, inputs) == "--partition p.npy"
    assert shell.input_flag("--init", "init")(None, inputs) == ""
    files = SimpleNamespace(patches=[p.format(video="v", scale=2) for p in paths.patch_files().values()])
    assert shell.patch_dir(None, files) == "results/videos/v/x2/patches"
