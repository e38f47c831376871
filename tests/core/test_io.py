"""stdo.core.io: atomic CSV writing."""

import numpy as np
import pandas as pd
import pytest

from stdo.core import io


def test_write_csv_round_trips_without_the_index(tmp_path):
    df = pd.DataFrame(
        {"patch": np.arange(5), "psnr": np.linspace(20.0, 31.5, 5), "method": list("abcde")},
        index=np.arange(10, 15),
    )
    out = tmp_path / "new" / "scores.csv"  # a folder that does not exist yet
    io.write_csv(out, df)
    assert out.read_text().splitlines()[0] == "patch,psnr,method"
    pd.testing.assert_frame_equal(pd.read_csv(out), df.reset_index(drop=True), check_exact=True)
    assert sorted(p.name for p in out.parent.iterdir()) == ["scores.csv"]


class _Unprintable:
    """A cell that cannot be written: ``to_csv`` fails after writing the rows before it."""

    def __str__(self) -> str:
        raise RuntimeError("cannot format this cell")

    __repr__ = __str__


def test_failed_write_csv_leaves_no_file_and_no_temporary(tmp_path):
    df = pd.DataFrame({"a": np.arange(3), "b": [1, 2, _Unprintable()]})
    with pytest.raises(RuntimeError, match="cannot format"):
        io.write_csv(tmp_path / "table.csv", df)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_csv_keeps_the_previous_file(tmp_path):
    out = tmp_path / "table.csv"
    io.write_csv(out, pd.DataFrame({"a": [1, 2]}))
    before = out.read_bytes()
    with pytest.raises(RuntimeError):
        io.write_csv(out, pd.DataFrame({"a": [3, _Unprintable()]}))
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
