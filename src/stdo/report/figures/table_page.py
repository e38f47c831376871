"""A table of this run as an HTML page for the report (the report shows HTML, not CSV).

The page has the Markdown file's title (its ``# `` line), the CSV as an HTML table, and the
Markdown's notes and footer (every other line outside the Markdown table), escaped as text.
"""

from __future__ import annotations

import argparse
import html
from pathlib import Path

import pandas as pd

from stdo.core import io

STYLE = """body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.5em; text-align: left; }
th { background: #eef; }
p.note { font-size: 0.9em; }"""


def table_page(df: pd.DataFrame, markdown: str) -> str:
    """The page: title and notes from ``markdown``, the table from ``df``."""
    lines = markdown.splitlines()
    title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), "table")
    notes = [ln.strip() for ln in lines if ln.strip() and not ln.startswith(("# ", "|"))]
    table = df.to_html(index=False, na_rep="", border=0, float_format=lambda v: f"{v:.4g}")
    notes_html = "\n".join(f'<p class="note">{html.escape(n.lstrip("- "))}</p>' for n in notes)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n<h1>{html.escape(title)}</h1>\n{table}\n{notes_html}\n"
        "</body></html>\n"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo figures.table_page", description=__doc__)
    p.add_argument("--csv", required=True, type=Path)
    p.add_argument("--md", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("figures"):
        page = table_page(pd.read_csv(args.csv), args.md.read_text())
        with io.atomic_path(args.out) as tmp:
            tmp.write_text(page)
        io.write_sidecar(args.out, stage="figures", params={}, inputs=[args.csv, args.md])


if __name__ == "__main__":
    main()
