import numpy as np
import pytest

from stdo import methods
from stdo.core.errors import StdoError
from stdo.sr.partition import partition
from stdo.sr.train import steps_for
from stdo.video.patches import index_table

FRAMES, COLS, ROWS = 90, 4, 2
INDEX = index_table(FRAMES, COLS, ROWS)
N = len(INDEX)
CHUNKS4 = partition(np.random.default_rng(0).normal(30, 3, N), 4)


def test_jstdo_draws_the_configured_proportions():
    rho = [1.0, 0.5, 0.25, 0.0]
    sel = methods.joint_selection(CHUNKS4, rho, seed=0)
    for i, p in enumerate(rho):
        members = np.flatnonzero(CHUNKS4 == i)
        picked = np.intersect1d(sel, members)
        assert picked.size == round(p * members.size)
    assert set(np.flatnonzero(CHUNKS4 == 0)) <= set(sel)  # all of D0
    assert not set(np.flatnonzero(CHUNKS4 == 3)) & set(sel)  # none of Dk
    assert sel.size == sum(round(p * (CHUNKS4 == i).sum()) for i, p in enumerate(rho))  # mu


def test_jstdo_sampling_is_seeded():
    rho = [1.0, 0.6, 0.3, 0.0]
    a = methods.joint_selection(CHUNKS4, rho, seed=1)
    np.testing.assert_array_equal(a, methods.joint_selection(CHUNKS4, rho, seed=1))
    assert not np.array_equal(a, methods.joint_selection(CHUNKS4, rho, seed=2))
    via_unit = methods.unit_selection("jstdo-k4", index=INDEX, chunks=CHUNKS4, proportions=rho, seed=1)
    np.testing.assert_array_equal(a, via_unit)


@pytest.mark.parametrize(
    "rho,msg",
    [
        ([1.0, 0.5, 0.0], "3 values for k=4"),
        ([1.0, 0.2, 0.5, 0.0], "not increase"),
        ([1.2, 0, 0, 0], "[0, 1]"),
    ],
)
def test_bad_jstdo_proportions(rho, msg):
    with pytest.raises(StdoError, match=msg):
        methods.joint_selection(CHUNKS4, rho, seed=0)


def test_nas_routes_each_frame_to_its_time_segment():
    route = methods.route("nas-n3", index=INDEX)
    frames = INDEX["frame"].to_numpy()
    assert (route[frames < 30] == 0).all() and (route[(frames >= 30) & (frames < 60)] == 1).all()
    assert (route[frames >= 60] == 2).all()
    for i in range(3):  # a segment's model trains on exactly the patches routed to it
        sel = methods.unit_selection(f"nas-n3-c{i}", index=INDEX)
        np.testing.assert_array_equal(sel, np.flatnonzero(route == i))


def test_cafm_routes_like_nas_with_one_shared_unit():
    np.testing.assert_array_equal(methods.route("cafm-n3", index=INDEX), methods.route("nas-n3", index=INDEX))
    assert methods.method_units("cafm-n3") == ["cafm-n3"]
    assert methods.unit_selection("cafm-n3", index=INDEX).size == N


def test_time_segments_of_uneven_lengths():
    seg = methods.time_segments(np.arange(10), 10, 3)
    assert seg.tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    with pytest.raises(StdoError, match="cannot cut 2 frames into 3"):
        methods.time_segments(np.arange(2), 2, 3)


def test_stdo_routes_by_partition_and_single_chunk_methods_use_one_model():
    np.testing.assert_array_equal(methods.route("stdo-k4", index=INDEX, chunks=CHUNKS4), CHUNKS4)
    assert methods.method_units("stdo-k4-d0") == ["stdo-k4-c0"]
    assert methods.method_units("stdo-k4-dk") == ["stdo-k4-c3"]
    assert (methods.route("stdo-k4-dk", index=INDEX, chunks=CHUNKS4) == 0).all()
    with pytest.raises(StdoError, match="partition has chunk 3, outside 0..1 for k=2"):
        methods.route("stdo-k2", index=INDEX, chunks=CHUNKS4)


@pytest.mark.parametrize("epochs,batch", [(1.0, 16), (0.3, 16), (10, 8)])
def test_every_method_spends_the_same_patch_steps(epochs, batch):
    """Equal compute: a method's units together take awDNN's steps (up to one step per unit)."""
    chunks2 = partition(np.random.default_rng(1).normal(30, 3, N), 2)
    parts = {2: chunks2, 4: CHUNKS4}
    reference = steps_for(epochs, N, batch)
    for method in ["awdnn", "nas-n3", "cafm-n3", "stdo-k2", "stdo-k4", "jstdo-k4"]:
        total = 0
        for unit in methods.method_units(method):
            k = methods.unit_partition_k(unit)
            sel = methods.unit_selection(
                unit, index=INDEX, chunks=parts.get(k), proportions=[1, 0.5, 0.25, 0], seed=0
            )
            budget = sel.size if methods.unit_budget(unit) == "data" else N
            total += steps_for(epochs, budget, batch)
        assert reference <= total <= reference + len(methods.method_units(method)), method


def test_unknown_names_list_the_known_ones():
    with pytest.raises(
        StdoError, match=r"unknown method 'srgan'; known forms: awdnn, nas-n\{n\}.*jstdo-k\{k\}"
    ):
        methods.method_units("srgan")
    with pytest.raises(StdoError, match=r"unknown method 'stdo-k4-d1'"):
        methods.method_label("stdo-k4-d1")  # misspelt: no longer sorts as NaN in a table
    with pytest.raises(StdoError, match=r"unknown training unit 'stdo-k2'; known forms: all, "):
        methods.unit_budget("stdo-k2")
    with pytest.raises(
        StdoError, match=r"unknown method 'esrgan' in methods; known: awdnn, nas, cafm, stdo, jstdo"
    ):
        methods.requested_ids({"methods": ["esrgan"]}, methods.Request(segments=1, single_chunk=False))


def test_a_held_out_partition_with_an_empty_chunk_still_routes():
    """split: cafm's held-out frames take the training thresholds, so a chunk can be empty there:
    STDO still routes every patch to its chunk's model (found by reading, issue 10)."""
    held_out = np.where(CHUNKS4 == 3, 2, CHUNKS4)  # nothing reaches the top chunk
    np.testing.assert_array_equal(methods.route("stdo-k4", index=INDEX, chunks=held_out), held_out)
    with pytest.raises(StdoError, match="chunk 4"):
        methods.route("stdo-k4", index=INDEX, chunks=np.where(CHUNKS4 == 3, 4, CHUNKS4))
