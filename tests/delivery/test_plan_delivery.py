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
