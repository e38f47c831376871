import numpy as np
import pytest

from stdo.core.errors import StdoError
from stdo.video.patches import grid_map, index_table, split, stitch


def test_split_stitch_round_trip_on_real_frames(demo_frames):
    patches = split(demo_frames, cols=4, rows=2)
    assert patches.shape == (24 * 8, 32, 24, 3)
    np.testing.assert_array_equal(stitch(patches, cols=4, rows=2), demo_frames)


def test_index_table_addresses_the_right_pixels(demo_frames):
    cols, rows = 4, 2
    patches = split(demo_frames, cols, rows)
    table = index_table(len(demo_frames), cols, rows)
    for pid in (0, 5, 77, len(table) - 1):
        f, r, c = table.loc[pid, ["frame", "row", "col"]]
        np.testing.assert_array_equal(
            patches[pid], demo_frames[f, r * 32 : (r + 1) * 32, c * 24 : (c + 1) * 24]
        )


def test_grid_map_layout_matches_index():
    t, rows, cols = 3, 2, 4
    table = index_table(t, cols, rows)
    m = grid_map(table["patch"].to_numpy(), cols, rows)
    assert m.shape == (t, rows, cols)
    assert m[2, 1, 3] == table[(table.frame == 2) & (table.row == 1) & (table.col == 3)].patch.item()


def test_paper_grids_fit_1080p():
    for scale, (cols, rows), patch in [
        (2, (20, 10), (54, 48)),
        (3, (10, 6), (60, 64)),
        (4, (10, 5), (54, 48)),
    ]:
        lr = np.zeros((1, 1080 // scale, 1920 // scale, 3), np.uint8)
        assert split(lr, cols, rows).shape[1:3] == patch


def test_grid_that_does_not_fit_is_a_clear_error(demo_frames):
    with pytest.raises(StdoError, match=r"96x64 does not divide into a grid of 5x2"):
        split(demo_frames, cols=5, rows=2)
