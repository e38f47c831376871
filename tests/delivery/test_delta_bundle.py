"""Delta bundles (``rate.model_coding: delta``): the models sent as differences from the generic
model they started from, played back through ``stdo upscale --generic`` within the parity bound
of the full bundle, fewer bytes, and every damaged or mismatched case refused through the client."""

import json

import pytest
from support.delivery import make_bundle, make_delta_cell, reseal

from stdo.core.errors import StdoError
from stdo.delivery import client, delta

BOUND_DB = 0.05


@pytest.fixture(scope="module")
def dcell(cell, tmp_path_factory):
    return make_delta_cell(cell, tmp_path_factory.mktemp("delta"))


@pytest.fixture(scope="module")
def delta_bundle(dcell, tmp_path_factory):
    out = tmp_path_factory.mktemp("db") / "stdo-k2"
    make_bundle(dcell, "stdo-k2", out, coding="delta", generic=dcell["generic"], bound_db=BOUND_DB)
    return out


@pytest.mark.parametrize("method", ["awdnn", "nas-n2", "cafm-n2", "stdo-k2"])
def test_a_delta_bundle_plays_back_within_the_bound_of_the_full_bundle(dcell, tmp_path, method):
    full = make_bundle(dcell, method, tmp_path / "full")
    m = make_bundle(
        dcell, method, tmp_path / "delta", coding="delta", generic=dcell["generic"], bound_db=BOUND_DB
    )
    assert "refused" not in m["delta"], m["delta"]
    assert m["model_coding"] == "delta" and m["delta"]["quant"] in delta.QUANTS
    assert all(p["file"].endswith(".delta") for p in m["models"])
    assert m["generic"]["hash"] == delta.weights_hash(
        __import__("torch").load(dcell["generic"], weights_only=True)["state_dict"]
    )
    assert m["sizes"]["models"] < full["sizes"]["models"] == m["delta"]["full_model_bytes"]
    assert m["sizes"]["stream"] == full["sizes"]["stream"] and m["sizes"]["side"] == full["sizes"]["side"]
    played = client.upscale(tmp_path / "delta", tmp_path / "d.mp4", hr=dcell["hr"], generic=dcell["generic"])
    reference = client.upscale(tmp_path / "full", tmp_path / "f.mp4", hr=dcell["hr"])
    assert abs(played["psnr"] - reference["psnr"]) <= BOUND_DB
    assert played["psnr"] == pytest.approx(m["delta"]["psnr_db"], abs=1e-9)  # what the bundle stage measured
    assert reference["psnr"] == pytest.approx(m["delta"]["full_psnr_db"], abs=1e-9)


def test_the_parity_bound_picks_the_quantisation(dcell, tmp_path):
    loose = make_bundle(
        dcell, "awdnn", tmp_path / "a", coding="delta", generic=dcell["generic"], bound_db=10.0
    )
    assert loose["delta"]["quant"] == "int8" and len(loose["delta"]["candidates"]) == 1
    strict = make_bundle(
        dcell, "awdnn", tmp_path / "b", coding="delta", generic=dcell["generic"], bound_db=0.0
    )
    tried = strict["delta"]["candidates"]
    assert tried[0]["quant"] == "int8"
    # each quantisation in turn until one drops at most 0 dB; none does -> sent full, refused says why
    within = [c["quant"] for c in tried if c["drop_db"] <= 0.0]
    assert within == ([tried[-1]["quant"]] if within else [])
    if within:
        assert strict["delta"]["quant"] == within[0] and strict["model_coding"] == "delta"
    else:
        assert "refused" in strict["delta"] and strict["model_coding"] == "full"
        assert len(tried) == len(delta.QUANTS)
    none = make_bundle(
        dcell, "awdnn", tmp_path / "c", coding="delta", generic=dcell["generic"], bound_db=-1.0
    )
    assert none["model_coding"] == "full" and "no delta quantisation within" in none["delta"]["refused"]
    assert client.upscale(tmp_path / "c", tmp_path / "c.mp4", hr=dcell["hr"])["psnr"] > 0  # plays as full


def test_the_client_asks_for_the_generic_model(delta_bundle, tmp_path):
    with pytest.raises(StdoError, match="sent as deltas from the generic model .* --generic"):
        client.upscale(delta_bundle, tmp_path / "o.mp4")


def test_a_wrong_generic_model_is_refused_through_the_client(dcell, delta_bundle, tmp_path, capsys):
    with pytest.raises(SystemExit):
        client.main(
            [str(delta_bundle), "-o", str(tmp_path / "o.mp4"), "--generic", str(dcell["other_generic"])]
        )
    err = capsys.readouterr().err
    assert "weight hash" in err and "pass the generic model the bundle names" in err
    assert not (tmp_path / "o.mp4").exists()


def test_the_cli_plays_a_delta_bundle_with_its_generic_model(dcell, delta_bundle, tmp_path, capsys):
    client.main([str(delta_bundle), "-o", str(tmp_path / "o.mp4"), "--hr", str(dcell["hr"]),
                 "--generic", str(dcell["generic"])])  # fmt: skip
    assert "PSNR" in capsys.readouterr().out and (tmp_path / "o.mp4").stat().st_size > 0


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_a_truncated_delta_is_refused_through_the_client(dcell, delta_bundle, tmp_path):
    b = _copy(delta_bundle, tmp_path / "b")
    part = b / json.loads((b / "manifest.json").read_text())["models"][1]["file"]
    part.write_bytes(part.read_bytes()[:-50])
    with pytest.raises(StdoError, match="truncated or damaged"):  # the manifest's size
        client.upscale(b, tmp_path / "o.mp4", generic=dcell["generic"])
    reseal(b)  # sizes and checksums rewritten: the delta's own header finds it
    with pytest.raises(StdoError, match=r"\.delta: the delta is damaged or truncated; rebuild the bundle"):
        client.upscale(b, tmp_path / "o.mp4", generic=dcell["generic"])


def test_a_damaged_delta_payload_and_a_foreign_file_are_refused_through_the_client(
    dcell, delta_bundle, tmp_path
):
    b = _copy(delta_bundle, tmp_path / "b")
    part = b / json.loads((b / "manifest.json").read_text())["models"][0]["file"]
    blob = bytearray(part.read_bytes())
    blob[-5] ^= 0xFF
    part.write_bytes(bytes(blob))
    reseal(b)
    with pytest.raises(StdoError, match="rebuild the bundle"):
        client.upscale(b, tmp_path / "o.mp4", generic=dcell["generic"])
    part.write_bytes((dcell["root"] / "units" / "all" / "model.pt").read_bytes())  # a model file, not a delta
    reseal(b)
    with pytest.raises(StdoError, match="not an stdo model delta"):
        client.upscale(b, tmp_path / "o.mp4", generic=dcell["generic"])
