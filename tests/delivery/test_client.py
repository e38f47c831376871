"""``stdo upscale``: the client against the evaluate stage on the same inputs, and every damaged or
mismatched bundle (stdo.delivery.client)."""

import json

import av
import numpy as np
import pytest
from support.delivery import COLS, ROWS, UNITS, espcn, make_bundle, reseal

from stdo.core import io
from stdo.core.errors import StdoError
from stdo.delivery import bundle, client
from stdo.models import modelfile
from stdo.sr.evaluate import evaluate

FP16_TOLERANCE_DB = 0.05  # float16 weights, float32 compute: hundredths of a dB at most


def _evaluate(cell, method):
    metrics, _ = evaluate(
        cell["patches"],
        method,
        [cell["models"][u] for u in UNITS[method]],
        partition=cell["partition"] if method.startswith("stdo") else None,
        batch_size=64,
        device="cpu",
    )
    return metrics["psnr"]


@pytest.mark.parametrize("method", ["awdnn", "nas-n2", "cafm-n2", "stdo-k2"])
def test_client_gives_evaluates_psnr_with_float32_models(cell, tmp_path, method):
    make_bundle(cell, method, tmp_path / "b", dtype="float32")
    result = client.upscale(tmp_path / "b", tmp_path / "out.mp4", hr=cell["hr"])
    assert result["psnr"] == pytest.approx(_evaluate(cell, method), abs=1e-9)
    assert result["frames"] == 8 and result["fps"] > 0
    with av.open(str(tmp_path / "out.mp4")) as c:  # an H.264 MP4 of the SR frames
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        assert c.streams.video[0].codec_context.name == "h264"
    assert len(frames) == 8 and frames[0].shape == (64, 96, 3)


def test_client_with_float16_models_is_within_a_documented_tolerance(cell, tmp_path, capsys):
    make_bundle(cell, "stdo-k2", tmp_path / "b")
    client.main(
        [
            str(tmp_path / "b"),
            "-o",
            str(tmp_path / "o.mp4"),
            "--hr",
            str(cell["hr"]),
            "--json",
            str(tmp_path / "r.json"),
        ]
    )
    out = capsys.readouterr().out
    assert "fps" in out and "PSNR" in out
    psnr = json.loads((tmp_path / "r.json").read_text())["psnr"]
    assert abs(psnr - _evaluate(cell, "stdo-k2")) < FP16_TOLERANCE_DB


@pytest.fixture
def stdo_bundle(cell, tmp_path):
    make_bundle(cell, "stdo-k2", tmp_path / "b")
    return tmp_path / "b"


def _fails(path, match, tmp_path):
    with pytest.raises(StdoError, match=match):
        client.upscale(path, tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


def test_truncated_stream(stdo_bundle, tmp_path):
    s = stdo_bundle / "stream.mkv"
    s.write_bytes(s.read_bytes()[: s.stat().st_size // 2])
    _fails(
        stdo_bundle, r"stream.mkv: the LR stream has \d+ bytes, the manifest says \d+ \(truncated", tmp_path
    )
    reseal(stdo_bundle)  # consistent manifest: the decoder finds it
    _fails(stdo_bundle, "damaged or truncated", tmp_path)


def test_damaged_model_bytes(stdo_bundle, tmp_path):
    p = stdo_bundle / "models/stdo-k2-c1.pt"
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    _fails(stdo_bundle, "stdo-k2-c1.pt: model stdo-k2-c1 does not match its SHA-256", tmp_path)


def test_a_model_for_another_scale(stdo_bundle, tmp_path):
    src = tmp_path / "x4.pt"
    modelfile.save_model(src, espcn(0, scale=4), backbone="espcn", scale=4, kwargs={"channels": [8]})
    bundle.write_model(src, stdo_bundle / "models/stdo-k2-c0.pt", "float16")
    reseal(stdo_bundle)
    _fails(stdo_bundle, "a x4 model in a x2 bundle \\(a model for another scale\\)", tmp_path)


def test_a_map_for_another_grid(stdo_bundle, tmp_path):
    chunks = np.zeros(64, dtype=int)
    (stdo_bundle / "map.bin").write_bytes(bundle.pack_map(chunks, 2, cols=ROWS, rows=COLS))  # 2x4, same count
    reseal(stdo_bundle)
    _fails(stdo_bundle, "a map for a 2x4 grid over 8 frames, the bundle's is 4x2 over 8 frames", tmp_path)


def test_a_missing_map_and_no_manifest(stdo_bundle, tmp_path):
    (stdo_bundle / "map.bin").unlink()
    _fails(stdo_bundle, "the patch-to-chunk map missing", tmp_path)
    _fails(tmp_path / "nowhere", "not a bundle", tmp_path)


def test_reference_of_another_size_is_an_error(cell, stdo_bundle, tmp_path):
    io.save_array(tmp_path / "ref.npy", np.zeros((8, 32, 48, 3), np.uint8))
    with pytest.raises(StdoError, match="reference frames are 48x32"):
        client.upscale(stdo_bundle, tmp_path / "x.mp4", hr=tmp_path / "ref.npy")


def test_litert_backend_plays_the_same_frames(cell, tmp_path):
    pytest.importorskip(
        "litert_torch", reason="litert-torch is not installed: pip install -e '.[export]' (setup.sh does)"
    )
    make_bundle(cell, "awdnn", tmp_path / "b", dtype="float32")  # one graph: one conversion (seconds)
    torch_run = client.upscale(tmp_path / "b", tmp_path / "t.mp4", hr=cell["hr"])
    litert_run = client.upscale(tmp_path / "b", tmp_path / "l.mp4", hr=cell["hr"], backend="litert")
    assert litert_run["psnr"] == pytest.approx(torch_run["psnr"], abs=0.01)
