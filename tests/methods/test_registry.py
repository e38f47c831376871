"""The method registry: one spec per family, asked by every stage. A method added in a test
(``half``: two models, one per half of the frame's columns) flows through labels, table
order, planning, routing and training selections without touching anything else."""

import re

import numpy as np
import pytest

from stdo import methods
from stdo.core.errors import StdoError
from stdo.video.patches import index_table

INDEX = index_table(6, 4, 2)


def _left_right(p: methods.Parsed, s: methods.Selection) -> np.ndarray:
    return np.flatnonzero((s.index["col"].to_numpy() >= 2) == (p["c"] == 1))


HALF = methods.MethodSpec(
    name="half",
    method_forms=("half",),
    method_re=re.compile(r"half"),
    unit_forms=("half-c{c}",),
    unit_re=re.compile(r"half-c(?P<c>\d+)"),
    labels=("Half",),
    label=lambda p: "Half",
    units=lambda p: ["half-c0", "half-c1"],
    routing=lambda p: "custom",
    route=lambda p, index: (index["col"].to_numpy() >= 2).astype(int),
    budget="data",
    select=_left_right,
    requested=lambda config, r: ["half"],
)


@pytest.fixture
def half():
    methods.register(HALF)
    yield HALF
    methods.REGISTRY.remove("half")


def test_a_registered_method_is_known_everywhere(half):
    assert "half" in methods.known()
    assert methods.method_units("half") == ["half-c0", "half-c1"]
    assert methods.method_label("half") == ("Half", None)
    order = methods.label_order()
    assert order["bicubic"] < order["f0"] < order["awDNN"] < order["JSTDO"] < order["Half"]
    ids = methods.requested_ids(
        {"methods": ["awdnn", "half"]}, methods.Request(segments=2, single_chunk=False)
    )
    assert ids == ["awdnn", "half"]
    left = methods.unit_selection("half-c0", index=INDEX)
    right = methods.unit_selection("half-c1", index=INDEX)
    assert sorted(np.concatenate([left, right])) == list(range(len(INDEX)))
    assert (INDEX["col"].to_numpy()[left] < 2).all() and methods.unit_budget("half-c0") == "data"
    assert methods.unit_partition_k("half-c0") is None and methods.method_partition_k("half") is None
    groups = methods.route("half", index=INDEX)
    np.testing.assert_array_equal(np.flatnonzero(groups == 0), left)
    assert methods.method_groups("half") == 2


def test_registering_a_taken_name_or_label_fails(half):
    with pytest.raises(ValueError, match="label"):
        methods.register(methods.MethodSpec(**{**HALF.__dict__, "name": "half2"}))
    with pytest.raises(ValueError, match="registered twice"):
        methods.register(methods.MethodSpec(**HALF.__dict__))


def test_the_papers_families_and_what_a_config_asks_for():
    config = {
        "methods": ["awdnn", "nas", "cafm", "stdo", "jstdo"],
        "stdo": {"k": [2, 6]},
        "jstdo": {"k": 4, "proportions": [1, 0.5, 0.5, 0.5]},
    }
    ids = methods.requested_ids(config, methods.Request(segments=3, single_chunk=True))
    assert ids == [
        "awdnn", "nas-n3", "cafm-n3", "stdo-k2", "stdo-k6",
        "stdo-k2-d0", "stdo-k2-dk", "stdo-k6-d0", "stdo-k6-dk", "jstdo-k4", "stdo-k4",
    ]  # fmt: skip
    # STDO at JSTDO's k is evaluated for Table 4 but is not one of stdo.k (Table 2's best of k)
    assert methods.baseline_labels() == ("awDNN", "NAS", "CaFM")
    assert methods.main_table_labels() == ("awDNN", "NAS", "CaFM", "STDO")
    assert methods.method_groups("cafm-n3") == 3 and methods.method_groups("stdo-k6") == 6
    assert methods.method_groups("stdo-k6-d0") == 1
    assert methods.unit_proportions("jstdo-k4", config) == [1, 0.5, 0.5, 0.5]
    assert methods.unit_proportions("stdo-k4-c0", config) is None
    with pytest.raises(StdoError, match="ablations.schedules.proportions has no entry 0"):
        methods.unit_proportions("jstdo-k4-p0", config)
    with pytest.raises(StdoError, match="k must be >= 1"):
        methods.method_units("stdo-k0")
