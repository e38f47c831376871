import numpy as np
import pandas as pd
import pytest

from stdo.core.errors import StdoError
from stdo.sr import partition as partition_stage
from stdo.sr.partition import partition, thresholds


@pytest.mark.parametrize("n,k", [(100, 4), (101, 4), (7, 3), (1350, 6), (5, 5)])
def test_chunk_sizes_are_equal_within_one(n, k):
    psnr = np.random.default_rng(n).normal(30, 4, n)
    chunks = partition(psnr, k)
    sizes = np.bincount(chunks, minlength=k)
    assert sizes.sum() == n and sizes.max() - sizes.min() <= 1


def test_chunk_zero_holds_lowest_psnr_and_chunks_are_ordered():
    psnr = np.random.default_rng(0).normal(30, 4, 1000)
    chunks = partition(psnr, 4)
    for c in range(3):
        assert psnr[chunks == c].max() <= psnr[chunks == c + 1].min()
    assert set(np.flatnonzero(chunks == 0)) == set(np.argsort(psnr)[:250])


def test_ties_are_broken_by_patch_id_deterministically():
    psnr = np.array([30.0, 20.0, 30.0, 30.0, 20.0, 30.0])
    chunks = partition(psnr, 2)
    # sorted: ids 1, 4 (20 dB) then 0, 2, 3, 5 (30 dB); the first 3 go to chunk 0
    np.testing.assert_array_equal(chunks, [0, 0, 1, 1, 0, 1])
    np.testing.assert_array_equal(partition(psnr[::-1].copy()[::-1], 2), chunks)


def test_infinite_psnr_sorts_last():
    psnr = np.array([np.inf, 25.0, 40.0, 10.0])
    np.testing.assert_array_equal(partition(psnr, 2), [1, 0, 1, 0])


def test_thresholds_report_ranges():
    psnr = np.arange(10, dtype=float)
    t = thresholds(psnr, partition(psnr, 2), 2)
    assert isinstance(t, pd.DataFrame)
    assert t.to_dict("list") | {} == {
        "chunk": [0, 1],
        "patches": [5, 5],
        "psnr_min": [0.0, 5.0],
        "psnr_max": [4.0, 9.0],
        "psnr_mean": [2.0, 7.0],
    }


@pytest.mark.parametrize(
    "psnr,k,msg",
    [
        (np.ones(3), 4, "cannot split 3 patches into 4"),
        (np.array([1.0, np.nan]), 1, "NaN"),
        (np.ones(3), 0, "k must be >= 1"),
    ],
)
def test_bad_partition_requests(psnr, k, msg):
    with pytest.raises(StdoError, match=msg):
        partition(psnr, k)


def test_assign_by_another_partitions_thresholds():
    import pandas as pd

    from stdo.sr.partition import assign, partition, thresholds

    rng = np.random.default_rng(0)
    train = rng.normal(30, 3, 400)
    chunks = partition(train, 4)
    table = thresholds(train, chunks, 4)
    # the training patches themselves get their own chunks back
    np.testing.assert_array_equal(assign(train, table), chunks)
    bounds = table["psnr_max"].to_numpy()
    new = np.array([bounds[0] - 5, bounds[0], bounds[0] + 1e-9, bounds[2] + 1, 99.0])
    np.testing.assert_array_equal(assign(new, pd.DataFrame(table)), [0, 0, 1, 3, 3])


def test_the_partition_follows_the_trainer_shaved_scores(tmp_path):
    """The authors cut their --save_label PSNRs (shave scale + 4) into quantiles, so a patch whose
    unshaved PSNR is the lowest but whose shaved one is the highest goes to the last chunk."""
    scores = pd.DataFrame({"patch": [0, 1, 2, 3], "psnr": [10.0, 20.0, 30.0, 40.0],
                           "psnr_trainer": [45.0, 21.0, 31.0, 41.0]})  # fmt: skip
    scores.to_csv(tmp_path / "scores.csv", index=False)
    out = tmp_path / "chunks.npy"
    partition_stage.main(["--scores", str(tmp_path / "scores.csv"), "--k", "2", "--out-map", str(out),
                          "--out-thresholds", str(tmp_path / "t.csv")])  # fmt: skip
    assert np.load(out).tolist() == [1, 0, 0, 1]  # by psnr_trainer: 21, 31 | 41, 45
    t = pd.read_csv(tmp_path / "t.csv")
    assert t["psnr_max"].tolist() == [31.0, 45.0]
    no_shave = scores.drop(columns="psnr_trainer")  # patches too small for the trainer's shave
    assert partition(partition_stage.scores_of(no_shave), 2).tolist() == [0, 0, 1, 1]
