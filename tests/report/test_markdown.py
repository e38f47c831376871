"""The one Markdown renderer (stdo.report.markdown): cells, alignment, escaping and whole pages."""

import numpy as np
import pandas as pd
import pytest

from stdo.report import markdown


def test_the_exact_output_on_a_small_frame():
    df = pd.DataFrame(
        {
            "video": ["a", "b"],
            "scale": pd.array([4, None], dtype="Int64"),
            "psnr_db": [36.456, np.nan],
            "best": [True, False],
            "note": [None, "x"],
        }
    )
    assert markdown.table(df) == (
        "| video | scale | psnr_db | best | note |\n"
        "|---|---|---|---|---|\n"
        "| a | 4 | 36.46 | yes |  |\n"
        "| b |  |  |  | x |"
    )


def test_missing_cells_are_empty():
    for v in (None, pd.NA, float("nan"), np.float64("nan"), np.float32("nan")):
        assert markdown.cell(v) == "" and markdown.is_missing(v)
    assert not markdown.is_missing(0.0) and markdown.cell(0.0) == "0.00" and markdown.cell(0) == "0"


def test_a_pipe_is_escaped_in_names_and_cells():
    df = pd.DataFrame({"a|b": ["SM | X", "plain"]})
    lines = markdown.table(df).splitlines()
    assert lines[0] == "| a\\|b |" and lines[2] == "| SM \\| X |" and lines[3] == "| plain |"
    assert all(line.count(" | ") == 0 for line in lines)  # one column: no cell boundary inside


def test_float_formats_default_per_column_and_as_a_function():
    df = pd.DataFrame({"m": [1.23456], "se": [0.01234], "n": [12345.0]})
    out = markdown.table(df, column_floats={"se": ".3f"}, floats=".1f").splitlines()[2]
    assert out == "| 1.2 | 0.012 | 12345.0 |"
    out = markdown.table(df, floats=lambda v: f"{v:,.0f}").splitlines()[2]
    assert out == "| 1 | 0 | 12,345 |"
    assert markdown.cell(np.float32(2.5)) == "2.50"  # numpy floats are floats


def test_alignment():
    df = pd.DataFrame({"a": [1], "b": [2], "c": [3], "d": [4]})
    sep = markdown.table(df, align={"a": "left", "b": "right", "c": "center"}).splitlines()[1]
    assert sep == "|:---|---:|:---:|---|"
    with pytest.raises(ValueError, match="left, right or center"):
        markdown.table(df, align={"a": "middle"})


def test_a_page_is_title_blocks_and_footer():
    text = markdown.page("T", "| a |\n|---|", "note", footer={"git revision": "abc"})
    assert text == "# T\n\n| a |\n|---|\n\nnote\n\n- git revision: abc\n"
    assert markdown.page("T", "note") == "# T\n\nnote\n\n"  # without a footer: ends on a blank line
    assert markdown.page("T", "note", end="") == "# T\n\nnote\n"


def test_an_empty_frame_is_its_header():
    assert markdown.table(pd.DataFrame(columns=["a", "b"])) == "| a | b |\n|---|---|"
