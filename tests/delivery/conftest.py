"""The delivery tests' fixture: a small real delivery cell (real frames, a real x264 LR stream,
its patches, seeded models saved as stdo model files, a PSNR partition); helpers in dlvkit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from dlvkit import COLS, FRAMES, KW, ROWS, SCALE, espcn

from stdo import io, runtime
from stdo.cafm import CaFM
from stdo.degrade import degrade_frames
from stdo.delivery import codec
from stdo.patches import write_patches


@pytest.fixture(scope="session")
def cell(demo_frames, tmp_path_factory) -> dict:
    """8 real 96x64 frames at x2 through x264 (crf 23), a 4x2 grid, models for awdnn, nas-n2,
    cafm-n2 and stdo-k2, and a k=2 partition."""
    root = tmp_path_factory.mktemp("cell")
    hr = np.ascontiguousarray(demo_frames[:FRAMES])
    io.save_array(root / "hr.npy", hr)
    lr, record = codec.round_trip(
        degrade_frames(hr, SCALE), root / "lr_stream.mkv", {"codec": "libx264", "crf": 23}, "30"
    )
    write_patches(lr, hr, SCALE, COLS, ROWS, root / "patches")
    models = {}
    for i, unit in enumerate(["all", "nas-n2-c0", "nas-n2-c1", "stdo-k2-c0", "stdo-k2-c1"]):
        models[unit] = root / "units" / unit / "model.pt"
        runtime.save_model(models[unit], espcn(i), backbone="espcn", scale=SCALE, kwargs=KW)
    cafm = CaFM(espcn(9), 2)
    with torch.no_grad():
        for p in cafm.parameters():
            p.add_(0.01 * torch.randn_like(p))
    models["cafm-n2"] = root / "units" / "cafm-n2" / "model.pt"
    runtime.save_model(models["cafm-n2"], cafm, backbone="espcn", scale=SCALE, kwargs=KW, extra=cafm.record())
    chunks = np.random.default_rng(0).integers(0, 2, FRAMES * ROWS * COLS)
    io.save_array(root / "chunks.npy", chunks)
    return {"root": root, "hr": root / "hr.npy", "stream": root / "lr_stream.mkv", "record": record,
            "patches": root / "patches", "models": models, "partition": root / "chunks.npy"}  # fmt: skip
