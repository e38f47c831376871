"""Bundles: map packing, rate accounting on known sizes (stdo.delivery.bundle, stdo.delivery.rate)."""

import json
import math
import zlib

import numpy as np
import pandas as pd
import pytest
import torch
from support.delivery import COLS, FRAMES, ROWS, make_bundle

from stdo.core.errors import StdoError
from stdo.delivery import bundle, rate


@pytest.mark.parametrize("k,bits", [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (8, 3), (9, 4)])
def test_bits_per_patch_is_ceil_log2_k(k, bits):
    assert bundle.bits_per_patch(k) == bits


@pytest.mark.parametrize("k", [1, 2, 3, 4, 6])
def test_map_round_trips_and_is_at_most_its_packed_bits(k):
    rng = np.random.default_rng(k)
    chunks = rng.integers(0, k, 30 * 10 * 20)  # 30 frames of a 20x10 grid
    data = bundle.pack_map(chunks, k, cols=20, rows=10)
    back = bundle.unpack_map(data)
    assert np.array_equal(back["chunks"], chunks) and (back["cols"], back["rows"], back["frames"]) == (
        20,
        10,
        30,
    )
    packed = math.ceil(chunks.size * bundle.bits_per_patch(k) / 8)
    assert len(data) <= bundle.HEADER.size + packed + 16  # never more than the raw packing


def test_a_regular_map_compresses_and_the_bits_are_msb_first():
    chunks = np.array([1, 0, 1, 1, 0, 0, 0, 1] * 100)  # k=2: 0xB1 repeated
    data = bundle.pack_map(chunks, 2, cols=8, rows=1)
    assert len(data) < bundle.HEADER.size + 20 and bundle.unpack_map(data)["compression"] in ("zlib", "lzma")
    raw = bundle.pack_map(np.array([1, 0, 1, 1, 0, 0, 0, 1]), 2, cols=8, rows=1)
    assert raw[bundle.HEADER.size :] == bytes([0xB1]) or zlib.decompress(raw[bundle.HEADER.size :]) == bytes(
        [0xB1]
    )


def test_a_damaged_map_is_an_error():
    data = bundle.pack_map(np.zeros(80, dtype=int), 4, cols=4, rows=2)
    with pytest.raises(StdoError, match="bad header"):
        bundle.unpack_map(b"XXXX" + data[4:])
    with pytest.raises(StdoError, match="damaged"):
        bundle.unpack_map(data[:-3])


def test_rate_accounting_counts_every_part_of_a_real_bundle(cell, tmp_path):
    m = make_bundle(cell, "stdo-k2", tmp_path / "b")
    root = tmp_path / "b"
    on_disk = {
        "stream": (root / "stream.mkv").stat().st_size,
        "models": sum(p.stat().st_size for p in (root / "models").iterdir()),
        "side": (root / "map.bin").stat().st_size,
    }
    assert m["sizes"] == on_disk | {"total": sum(on_disk.values())}
    assert on_disk["stream"] == cell["stream"].stat().st_size
    assert m["side"]["bits_per_patch"] == 1 and m["side"]["patches"] == FRAMES * ROWS * COLS == 64
    assert on_disk["side"] <= bundle.HEADER.size + 8 + 16  # 64 patches x 1 bit = 8 bytes, raw or compressed
    # float16 weights: each model file holds 2 bytes per parameter plus torch's container
    params = m["models"][0]["parameters"]
    sd = torch.load(root / "models/stdo-k2-c0.pt", weights_only=True)["state_dict"]
    assert (
        all(v.dtype == torch.float16 for v in sd.values()) and sum(v.numel() for v in sd.values()) == params
    )
    assert 2 * params < m["models"][0]["bytes"] < 2 * params + 4000
    assert m["grid"] == {"cols": COLS, "rows": ROWS, "lr_patch": [16, 12], "hr_patch": [32, 24]}
    assert m["routing"] == "chunks" and m["duration_s"] == pytest.approx(FRAMES / 30)
    nas = make_bundle(cell, "nas-n2", tmp_path / "nas")
    assert nas["side"] is None and nas["sizes"]["side"] == 0  # time routing needs no side information


def test_rate_table_from_known_sizes(tmp_path):
    manifest = {
        "video": "v", "scale": 4, "backbone": "wdsr", "method": "stdo-k2", "frames": 60, "duration_s": 2.0,
        "stream": {"codec": {"codec": "libx264", "crf": 23}},
        "sizes": {"stream": 10000, "models": 5000, "side": 250, "total": 15250},
    }  # fmt: skip
    (tmp_path / "m.json").write_text(
        json.dumps({"video": "v", "scale": 4, "backbone": "wdsr", "method": "stdo-k2", "psnr": 33.0})
    )
    p = np.array([30.0, 32.0, 34.0, 36.0])
    kb = 10 ** (1 + 0.1 * (p - 30))
    pd.DataFrame({"video": "v", "codec": "libx264", "crf": [40, 35, 30, 25], "kbps": kb,
                  "psnr_db": p}).to_csv(tmp_path / "ladder.csv", index=False)  # fmt: skip
    row = rate.rate_table([manifest], [tmp_path / "m.json"], [tmp_path / "ladder.csv"]).iloc[0]
    # 15250 bytes over 2 s: 61 kbit/s = 40 (stream) + 20 (models) + 1 (map)
    assert (row.stream_kbps, row.model_kbps, row.side_kbps, row.total_kbps) == (40.0, 20.0, 1.0, 61.0)
    assert row.ladder_kbps_at_psnr == pytest.approx(10**1.3)  # 19.95 kbit/s at 33 dB
    assert row.bd_rate_pct == pytest.approx((61 / 10**1.3 - 1) * 100) and row.bd_rate_note == ""
    assert (row.method, row.k, row.lr_codec, row.lr_crf) == ("STDO", 2, "libx264", 23)
