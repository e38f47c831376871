"""Markdown tables and pages: the one renderer of every table the pipeline writes as Markdown
(Tables 1-4, the claims, the device benchmarks, the rate table, the training regime).

:func:`table` renders a frame as a pipe table: a header of the column names, a separator
(``---``, or ``:---``, ``---:``, ``:---:`` for columns given an alignment) and one line per row.
A cell is empty for None, NaN and ``pd.NA``; ``yes`` or empty for a boolean; a float is
formatted with ``floats`` (a format spec such as ``".2f"``, or a function), per column where
``column_floats`` names one; anything else is ``str(value)``. A ``|`` in a name or cell is
escaped (``\\|``), so that it cannot split the cell.

:func:`page` puts a title, blocks (tables, paragraphs, sub-headings) each followed by a blank
line, and a footer of ``- key: value`` lines together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

FloatFormat = str | Callable[[float], str]  # a format spec (".2f") or a function of the value
ALIGN = {"left": ":---", "right": "---:", "center": ":---:", None: "---"}


def escape(text: str) -> str:
    """``text`` safe inside a table cell: ``|`` escaped."""
    return text.replace("|", "\\|")


def is_missing(v: Any) -> bool:
    """None, ``pd.NA`` or a float NaN: an empty cell."""
    return v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and math.isnan(v))


def cell(v: Any, floats: FloatFormat = ".2f") -> str:
    """One cell's text (module docstring)."""
    if is_missing(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else ""
    if isinstance(v, (float, np.floating)):
        return floats(float(v)) if callable(floats) else format(v, floats)
    return escape(str(v))


def table(
    df: pd.DataFrame,
    *,
    floats: FloatFormat = ".2f",
    column_floats: Mapping[str, FloatFormat] | None = None,
    align: Mapping[str, str] | None = None,
) -> str:
    """``df`` as a Markdown pipe table (module docstring), without a final newline. ``align``:
    ``left``, ``right`` or ``center`` per column name (unnamed columns: the renderer's default)."""
    align = dict(align or {})
    unknown = {a for a in align.values() if a not in ALIGN or a is None}
    if unknown:
        raise ValueError(f"alignment must be left, right or center; got {sorted(unknown)}")
    cols = [str(c) for c in df.columns]
    fmts = [(column_floats or {}).get(c, floats) for c in cols]
    lines = [
        "| " + " | ".join(escape(c) for c in cols) + " |",
        "|" + "|".join(ALIGN[align.get(c)] for c in cols) + "|",
    ]
    lines += [
        "| " + " | ".join(cell(v, f) for v, f in zip(row, fmts, strict=True)) + " |"
        for row in df.itertuples(index=False)
    ]
    return "\n".join(lines)


def page(title: str, *blocks: str, footer: Mapping[str, Any] | None = None, end: str = "\n") -> str:
    """``# title``, then each block followed by a blank line, then the footer's ``- key: value``
    lines; ``end`` closes the text (the last block's blank line ends it where there is no footer)."""
    lines = [f"# {title}", ""]
    for block in blocks:
        lines += [block, ""]
    lines += [f"- {k}: {v}" for k, v in (footer or {}).items()]
    return "\n".join(lines) + end
