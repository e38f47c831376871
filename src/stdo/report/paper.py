"""The paper's published numbers (Tables 1-4), kept as CSV inside the package.

Names used here are the paper's: backbones ``ESPCN, SRCNN, VDSR, EDSR, WDSR``; methods
``awDNN, NAS, CaFM, STDO, STDO_D0_only, STDO_Dk_only, JSTDO``; videos ``game, inter, vlog``.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

# the paper's backbones in its tables' order; other registered backbones follow, by name
BACKBONE_ORDER = ("ESPCN", "SRCNN", "VDSR", "EDSR", "WDSR")


def table(n: int) -> pd.DataFrame:
    """Paper Table ``n`` (1-4) as a DataFrame."""
    with resources.files("stdo.report.data.paper").joinpath(f"table{n}.csv").open() as fh:
        return pd.read_csv(fh)


def backbone_name(name: str) -> str:
    """Display name of a registered backbone (its class's ``display_name``, see stdo.models)."""
    from stdo.models import display_name

    return display_name(name)


def backbone_id(display: str) -> str:
    """The registry name of the backbone shown as ``display`` (the inverse of
    :func:`backbone_name`); a name no registered backbone shows is returned as it is."""
    from stdo.models import available, display_name

    return next((name for name in available() if display_name(name) == display), display)


def backbone_rank(display: str) -> tuple[int, str]:
    """Sort key of a backbone's display name: the paper's order, then any other by name."""
    order = BACKBONE_ORDER.index(display) if display in BACKBONE_ORDER else len(BACKBONE_ORDER)
    return order, display


def lookup(n: int, column: str = "psnr_db", **where: object) -> float | str | None:
    """The paper's PSNR (or another ``column``, e.g. ``source``) for one cell of table ``n``, or
    None where the paper has no such cell.

    ``source`` says where a cell's number comes from: ``stdo`` (the STDO authors' own runs, made
    in their trainer's protocol, :func:`stdo.core.metrics.psnr_trainer`) or ``cafm`` (equal to CaFM's
    published number for that cell in CaFM's README, made in CaFM's protocol,
    :func:`stdo.core.metrics.psnr_cafm`)."""
    if any(v is None for v in where.values()):
        return None
    df = table(n)
    mask = pd.Series(True, index=df.index)
    for col, val in where.items():
        mask &= df[col] == val
    if column not in df:
        return None
    hits = df.loc[mask, column]
    if len(hits) != 1:
        return None
    v = hits.iloc[0]
    return v if isinstance(v, str) else float(v)
