"""What a config asks of the delivery stages (stdo.workflow.plan.Plan: LR codec, HR ladder, bundle cells)."""

import copy

import pytest

from stdo.core.errors import StdoError
from stdo.workflow.plan import Plan

BASE = {
    "videos": [{"name": "demo", "source": "resources/demo/demo.mp4"}],
    "demo_video": {"path": "resources/demo/demo.mp4", "width": 96, "height": 48, "fps": 10, "seconds": 2.0},
    "scales": [2, 4],
    "patch_grid": {"x2": [4, 2], "x4": [2, 2]},
    "backbones": [{"name": "espcn", "lr": 1e-3, "epochs": 2}],
    "methods": ["awdnn", "stdo", "jstdo"],
    "nas": {"chunk_seconds": 0.5},
    "stdo": {"k": [2]},
    "jstdo": {"k": 4, "proportions": [1, 0.5, 0.5, 0]},
    "table1": {"backbones": ["espcn"]},
    "train": {"batch_size": 8},
    "pretrain": {"backbone": "espcn"},
}


def plan(**changes):
    cfg = copy.deepcopy(BASE)
    cfg.update(changes)
    return Plan(cfg)


def test_codec_is_off_by_default_and_the_ladder_uses_rate_codec():
    p = plan()
    assert p.lr_codec("demo") is None
    assert p.ladder("demo") == {"codec": "libx264", "crf": [18, 23, 28, 33, 38, 43]}


def test_the_ladder_takes_the_lr_streams_codec_and_a_video_overrides_the_config():
    p = plan(
        degrade={"codec": {"codec": "libx265", "crf": 28, "preset": "fast"}},
        rate={"ladder_crf": [20, 25, 30, 35]},
        videos=[
            {"name": "demo", "source": "resources/demo/demo.mp4"},
            {"name": "clean", "source": "resources/demo/demo.mp4", "degrade": {"codec": None}},
        ],
    )
    assert p.lr_codec("demo") == {"codec": "libx265", "crf": 28, "preset": "fast"}
    assert p.ladder("demo") == {"codec": "libx265", "preset": "fast", "crf": [20, 25, 30, 35]}
    assert p.lr_codec("clean") is None


def test_bundles_are_the_delivered_methods_not_table1s_single_chunk_models():
    cells = plan().delivery_evals()
    assert {m for *_, m in cells} == {"awdnn", "stdo-k2", "jstdo-k4", "stdo-k4"}
    assert len(cells) == 2 * 4


def test_an_unknown_codec_stops_with_the_known_ones():
    with pytest.raises(StdoError, match="libx264, libx265, libvpx-vp9, libsvtav1"):
        plan(degrade={"codec": {"codec": "mpeg2", "crf": 3}}).lr_codec("demo")


CODEC = {"codec": {"codec": "libx264", "crf": 23}}


def test_lr_crf_derives_one_video_per_other_quality_and_nothing_without_it():
    assert plan(degrade=CODEC).delivery_videos() == ["demo"]  # no rate.lr_crf: one point per method
    p = plan(degrade=CODEC, rate={"lr_crf": [33, 18, 23, 28]})
    assert p.curve_videos("demo") == ["demo_crf18", "demo", "demo_crf28", "demo_crf33"]  # by crf
    assert p.lr_codec("demo_crf18") == {"codec": "libx264", "crf": 18}
    assert p.lr_codec("demo") == {"codec": "libx264", "crf": 23}
    assert p.table_videos == ["demo"] and p.curve_of("demo_crf33") == "demo"
    assert p.ladders() == ["results/videos/demo/ladder.csv"]  # one HR ladder per curve
    crf = p.crf_delivery_evals()
    assert {v for v, *_ in crf} == {"demo_crf18", "demo_crf28", "demo_crf33"}
    assert len(p.delivery_evals()) == 4 * len(plan(degrade=CODEC).delivery_evals())
    # trained and evaluated for the first seed: their cells' jobs have the delivered methods
    assert ("demo_crf18", 2, "espcn") in p.cells()
    assert set(p.cell_methods("demo_crf18", 2, "espcn", 0)) == {"awdnn", "stdo-k2", "stdo-k4", "jstdo-k4"}
    assert "results/videos/demo_crf28/x4/score_summary.json" in p.delivery_references()
    assert p.curves_arg().startswith(" --curves ") and '"demo_crf18":"demo"' in p.curves_arg()


def test_lr_crf_leaves_a_config_without_codec_as_it_was():
    before, after = plan(), plan(rate={"lr_crf": [18, 28, 33, 38]})  # lossless LR: no CRF
    assert after.delivery_evals() == before.delivery_evals() and after.cells() == before.cells()
    assert after.curves_arg() == "" and list(after.videos) == list(before.videos)
    assert after.delivery_references() == before.score_summaries(evaluated=True)


def test_lr_crf_videos_of_a_split_video_keep_their_held_out_frames():
    p = plan(degrade=CODEC, rate={"lr_crf": [18, 23]},
             videos=[{"name": "demo", "source": "resources/demo/demo.mp4", "split": "cafm"}])  # fmt: skip
    assert p.eval_video("demo_crf18") == "demo_crf18_heldout"
    assert p.curve_of("demo_crf18_heldout") == "demo_heldout"  # the ladder of the held-out frames
    assert p.lr_codec("demo_crf18_heldout")["crf"] == 18


def test_a_reserved_crf_video_name_is_refused():
    with pytest.raises(StdoError, match="reserved for demo's LR stream at crf 18"):
        _ = plan(degrade=CODEC, rate={"lr_crf": [18]},
                 videos=[{"name": "demo", "source": "resources/demo/demo.mp4"},
                         {"name": "demo_crf18", "source": "resources/demo/demo.mp4"}]).videos  # fmt: skip


def test_delta_coding_needs_generic_init_and_names_the_generic_model():
    with pytest.raises(StdoError, match="needs train.init: generic"):
        plan(rate={"model_coding": "delta"}).check()
    p = plan(rate={"model_coding": "delta"}, train={"batch_size": 8, "init": "generic"})
    assert p.bundle_generic("espcn", 4) == ["results/pretrain/espcn/x4/model.pt"]  # f0 itself
    assert p.bundle_coding_arg(p.bundle_generic("espcn", 4)) == (
        " --coding delta --generic results/pretrain/espcn/x4/model.pt --bound-db 0.05"
    )
    full = plan()
    assert full.bundle_generic("espcn", 4) == [] and full.bundle_coding_arg([]) == ""
