"""Helpers of the delivery tests and tests/reliability (imported as ``support.delivery``: a module name of its
own, so other test folders' conftest files cannot shadow it): constants of the test cell, seeded
models, the cell itself (:func:`make_cell`), building and resealing bundles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from stdo.core import io
from stdo.delivery import bundle
from stdo.models import build_model, modelfile
from stdo.models.cafm import CaFM
from stdo.video import codec
from stdo.video.degrade import degrade_frames
from stdo.video.patches import write_patches

SCALE, COLS, ROWS, FRAMES = 2, 4, 2, 8
KW = {"channels": [8]}
META = {"fps": 30.0, "fps_fraction": "30"}


def espcn(seed: int, scale: int = SCALE) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model("espcn", scale=scale, **KW)


UNITS = {"awdnn": ["all"], "nas-n2": ["nas-n2-c0", "nas-n2-c1"], "cafm-n2": ["cafm-n2"],
         "stdo-k2": ["stdo-k2-c0", "stdo-k2-c1"]}  # fmt: skip


def make_bundle(cell: dict, method: str, out: Path, dtype: str = "float16", **coding) -> dict:
    """A bundle of ``method`` from the cell's models (``coding``: ``coding="delta"``,
    ``generic=...``, ``bound_db=...`` for a delta bundle, measured on the cell's patches)."""
    if coding.get("coding") == "delta":
        coding.setdefault("patches", cell["patches"])
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
        **coding,
    )


def reseal(root: Path) -> None:
    """Rewrite a bundle manifest's sizes and checksums after a part was swapped (a bundle whose
    parts are consistent with its manifest but not with each other)."""
    m = json.loads((root / "manifest.json").read_text())
    for part in [m["stream"], *m["models"], *([m["side"]] if m["side"] else [])]:
        path = root / part["file"]
        part["bytes"], part["sha256"] = path.stat().st_size, io.sha256_file(path)
    io.write_json(root / "manifest.json", m)


def make_cell(demo_frames: np.ndarray, root: Path) -> dict:
    """8 real 96x64 frames at x2 through x264 (crf 23), a 4x2 grid, models for awdnn, nas-n2,
    cafm-n2 and stdo-k2, and a k=2 partition, under ``root``."""
    hr = np.ascontiguousarray(demo_frames[:FRAMES])
    io.save_array(root / "hr.npy", hr)
    lr, record = codec.round_trip(
        degrade_frames(hr, SCALE), root / "lr_stream.mkv", {"codec": "libx264", "crf": 23}, "30"
    )
    write_patches(lr, hr, SCALE, COLS, ROWS, root / "patches")
    models = {}
    for i, unit in enumerate(["all", "nas-n2-c0", "nas-n2-c1", "stdo-k2-c0", "stdo-k2-c1"]):
        models[unit] = root / "units" / unit / "model.pt"
        modelfile.save_model(models[unit], espcn(i), backbone="espcn", scale=SCALE, kwargs=KW)
    cafm = CaFM(espcn(9), 2)
    with torch.no_grad():
        for p in cafm.parameters():
            p.add_(0.01 * torch.randn_like(p))
    models["cafm-n2"] = root / "units" / "cafm-n2" / "model.pt"
    modelfile.save_model(
        models["cafm-n2"], cafm, backbone="espcn", scale=SCALE, kwargs=KW, extra=cafm.record()
    )
    chunks = np.random.default_rng(0).integers(0, 2, FRAMES * ROWS * COLS)
    io.save_array(root / "chunks.npy", chunks)
    return {"root": root, "hr": root / "hr.npy", "stream": root / "lr_stream.mkv", "record": record,
            "patches": root / "patches", "models": models, "partition": root / "chunks.npy"}  # fmt: skip


def make_delta_cell(cell: dict, root: Path) -> dict:
    """The cell with models overfitted from one generic model (``train.init: generic``): a
    generic ESPCN (``root/generic.pt``) and every unit that model moved by a small seeded step
    (CaFM's: wrapped, its modulations trained from their initialisation), as delta bundles expect."""
    generic = fit(espcn(100), cell["patches"])
    modelfile.save_model(root / "generic.pt", generic, backbone="espcn", scale=SCALE, kwargs=KW)
    models = {}
    for i, unit in enumerate(["all", "nas-n2-c0", "nas-n2-c1", "stdo-k2-c0", "stdo-k2-c1", "cafm-n2"]):
        torch.manual_seed(200 + i)
        base = espcn(100)
        base.load_state_dict(generic.state_dict())
        model = CaFM(base, 2) if unit.startswith("cafm") else base
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.02 * p.abs().mean() * torch.randn_like(p))
        models[unit] = root / "units" / unit / "model.pt"
        extra = model.record() if isinstance(model, CaFM) else None
        modelfile.save_model(models[unit], model, backbone="espcn", scale=SCALE, kwargs=KW, extra=extra)
    return cell | {"models": models, "generic": root / "generic.pt", "other_generic": _other(root)}


def fit(model: torch.nn.Module, patches: Path, steps: int = 300) -> torch.nn.Module:
    """``model`` fitted a little (L1, Adam) to the patches' HR from their LR: a model whose PSNR
    means something (well above a random model's), in about a second."""
    lr = torch.from_numpy(np.asarray(io.open_array(patches / "lr.npy"))).permute(0, 3, 1, 2).float()
    hr = torch.from_numpy(np.asarray(io.open_array(patches / "hr.npy"))).permute(0, 3, 1, 2).float()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(0, len(lr), (16,), generator=g)
        loss = (model(lr[idx]) - hr[idx]).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def _other(root: Path) -> Path:
    """A generic model of the same backbone and scale but other weights (the wrong one)."""
    modelfile.save_model(root / "other.pt", espcn(101), backbone="espcn", scale=SCALE, kwargs=KW)
    return root / "other.pt"
