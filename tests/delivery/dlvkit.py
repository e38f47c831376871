"""Helpers of the delivery tests (imported as ``dlvkit``: a module name of its own, so other test
folders' conftest files cannot shadow it): constants of the test cell, seeded models, building
and resealing bundles."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from stdo import io
from stdo.delivery import bundle
from stdo.models import build_model

SCALE, COLS, ROWS, FRAMES = 2, 4, 2, 8
KW = {"channels": [8]}
META = {"fps": 30.0, "fps_fraction": "30"}


def espcn(seed: int, scale: int = SCALE) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model("espcn", scale=scale, **KW)


UNITS = {"awdnn": ["all"], "nas-n2": ["nas-n2-c0", "nas-n2-c1"], "cafm-n2": ["cafm-n2"],
         "stdo-k2": ["stdo-k2-c0", "stdo-k2-c1"]}  # fmt: skip


def make_bundle(cell: dict, method: str, out: Path, dtype: str = "float16") -> dict:
    return bundle.build(
        out,
        video="demo",
        scale=SCALE,
        backbone="espcn",
        method=method,
        stream=cell["stream"],
        grid=json.loads((cell["patches"] / "grid.json").read_text()),
        meta=META,
        models=[cell["models"][u] for u in UNITS[method]],
        partition=cell["partition"] if method.startswith("stdo") else None,
        dtype=dtype,
        stream_record=cell["record"],
    )


def reseal(root: Path) -> None:
    """Rewrite a bundle manifest's sizes and checksums after a part was swapped (a bundle whose
    parts are consistent with its manifest but not with each other)."""
    m = json.loads((root / "manifest.json").read_text())
    for part in [m["stream"], *m["models"], *([m["side"]] if m["side"] else [])]:
        path = root / part["file"]
        part["bytes"], part["sha256"] = path.stat().st_size, io.sha256_file(path)
    io.write_json(root / "manifest.json", m)
