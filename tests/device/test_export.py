"""TFLite export: the documented layout, weight norm folded, CaFM per segment, and a parity
check that passes honest exports and stops a perturbed one (real models, real LiteRT)."""

import json

import numpy as np
import pytest
import torch
from torch.nn.utils import parametrize

from stdo.device import export
from stdo.models import build_model, modelfile
from stdo.models.cafm import CaFM
from stdo.sr import litert
from stdo.video.degrade import degrade_frames
from stdo.video.patches import write_patches

SCALE = 2
BOUNDS = {
    "float32": {"max_abs": 0.01, "max_psnr_drop_db": 0.01},
    "float16": {"max_abs": 1.0, "max_psnr_drop_db": 0.05},
}


@pytest.fixture(scope="module")
def patch_dir(tmp_path_factory, demo_frames):
    """6 real 96x64 frames at x2 on a 4x2 grid (LR patches 12x16)."""
    out = tmp_path_factory.mktemp("patches")
    hr = np.ascontiguousarray(demo_frames[:6])
    write_patches(degrade_frames(hr, SCALE), hr, SCALE, 4, 2, out)
    return out


def _save(path, model, backbone, kwargs, **extra):
    path.parent.mkdir(parents=True, exist_ok=True)
    modelfile.save_model(path, model, backbone=backbone, scale=SCALE, kwargs=kwargs, extra=extra)
    return path


def _espcn(path, seed):
    return _save(
        path, build_model("espcn", scale=SCALE, seed=seed, channels=(8,)), "espcn", {"channels": [8]}
    )


def test_the_exported_layout_is_nchw_on_the_0_255_scale(tmp_path, demo_frames):
    model = build_model("vdsr", scale=SCALE, seed=0, depth=2, features=4).eval()  # bicubic + residual
    lr = degrade_frames(np.ascontiguousarray(demo_frames[:2]), SCALE)  # uint8 [2, 32, 48, 3]
    path = export.convert(model, lr.shape[1:3], {"float32": tmp_path / "m.tflite"})["float32"]
    it = litert.interpreter(path)
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    assert tuple(inp["shape"]) == (1, 3, 32, 48) and inp["dtype"] == np.float32
    assert tuple(out["shape"]) == (1, 3, 64, 96)
    sr = export.run_tflite(path, lr)  # HWC uint8 in, transposed to NCHW 0..255 as documented
    with torch.no_grad():
        ref = model(torch.from_numpy(lr).permute(0, 3, 1, 2).float()).permute(0, 2, 3, 1).numpy()
    assert sr.shape == (2, 64, 96, 3) and ref.max() > 100  # the 0..255 scale, not 0..1
    np.testing.assert_allclose(sr, ref, atol=1e-3)
    with pytest.raises(export.StdoError, match="exported for input"):
        export.run_tflite(path, lr[:, :16])


def test_weight_norm_is_folded_and_cafm_exports_one_graph_per_segment():
    wdsr = build_model("wdsr", scale=SCALE, seed=0, n_resblocks=1, n_feats=8).eval()
    assert any(parametrize.is_parametrized(m) for m in wdsr.modules())
    x = torch.rand(1, 3, 12, 16) * 255
    before = wdsr(x)
    [(suffix, plain)] = export.graphs(wdsr)
    assert suffix == "" and not any(parametrize.is_parametrized(m) for m in plain.modules())
    torch.testing.assert_close(plain(x), before, atol=1e-3, rtol=0)
    cafm = CaFM(build_model("espcn", scale=SCALE, seed=0, channels=(8,)), 3).eval()
    with torch.no_grad():
        for m in cafm.modules():
            if hasattr(m, "gamma"):
                m.gamma.copy_(torch.tensor([0.0, 0.5, 1.0]))
    segments = export.graphs(cafm)
    assert [s for s, _ in segments] == ["_s0", "_s1", "_s2"]
    for g, (_, graph) in enumerate(segments):
        cafm.set_segment(g)
        torch.testing.assert_close(graph(x), cafm(x))
    assert not torch.allclose(segments[0][1](x), segments[2][1](x))


def test_export_checks_parity_and_writes_the_manifest(tmp_path, patch_dir):
    units = tmp_path / "units"
    models = [_espcn(units / unit / "model.pt", seed) for unit, seed in (("all", 0), ("stdo-k2-c0", 1))]
    manifest = tmp_path / "out" / "manifest.json"
    args = ["--patches", str(patch_dir), "--models", *map(str, models), "--parity", json.dumps(BOUNDS)]
    export.main([*args, "--out-dir", str(tmp_path / "out" / "tflite"), "--out-manifest", str(manifest)])
    files = json.loads(manifest.read_text())["files"]
    got = {(f["unit"], f["size"], f["dtype"]) for f in files}
    assert got == {
        ("all", "frame", "float32"),
        ("all", "frame", "float16"),
        ("stdo-k2-c0", "frame", "float32"),
        ("stdo-k2-c0", "frame", "float16"),
        ("stdo-k2-c0", "patch", "float32"),
        ("stdo-k2-c0", "patch", "float16"),
    }  # fmt: skip  (a chunk's model also runs at patch size, for the routed client)
    for f in files:
        assert f["max_abs"] <= BOUNDS[f["dtype"]]["max_abs"] and abs(f["psnr_drop_db"]) < 0.05
        assert f["input"] == ([1, 3, 32, 48] if f["size"] == "frame" else [1, 3, 16, 12])
    f32 = {f["size"]: f for f in files if f["unit"] == "stdo-k2-c0" and f["dtype"] == "float32"}
    f16 = {f["size"]: f for f in files if f["unit"] == "stdo-k2-c0" and f["dtype"] == "float16"}
    assert f16["frame"]["bytes"] < f32["frame"]["bytes"] and f16["frame"]["max_abs"] > f32["frame"]["max_abs"]


class _Offset(torch.nn.Module):
    """A converted graph that is off by a constant: what a broken conversion looks like."""

    def __init__(self, model: torch.nn.Module, offset: float):
        super().__init__()
        self.model, self.offset = model, offset

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) + self.offset


def test_a_perturbed_export_fails_parity_and_writes_no_manifest(tmp_path, patch_dir, capsys, monkeypatch):
    convert = export.convert  # the real converter, given a graph 0.5 grey levels off
    monkeypatch.setattr(
        export, "convert", lambda graph, shape, paths: convert(_Offset(graph, 0.5), shape, paths)
    )
    model = _espcn(tmp_path / "units" / "all" / "model.pt", 0)
    manifest = tmp_path / "out" / "manifest.json"
    argv = [
        "--patches",
        str(patch_dir),
        "--models",
        str(model),
        "--parity",
        json.dumps(BOUNDS),
        "--dtypes",
        "float32",
    ]
    with pytest.raises(SystemExit) as exit_info:
        export.main([*argv, "--out-dir", str(tmp_path / "out/t"), "--out-manifest", str(manifest)])
    assert exit_info.value.code != 0
    err = capsys.readouterr().err
    assert (
        "float32_frame.tflite: parity with PyTorch broken: max abs error 0.5" in err
        and "export.parity" in err
    )
    assert not manifest.exists()


def test_parity_measures_against_hr():
    rng = np.random.default_rng(0)
    hr = rng.integers(0, 256, (2, 8, 8, 3)).astype(np.uint8)
    ref = hr.astype(np.float64) + rng.normal(0, 3, hr.shape)
    same = export.parity(ref, ref.copy(), hr)
    assert same["max_abs"] == 0 and same["psnr_drop_db"] == 0 and 35 < same["psnr_torch"] < 45
    worse = export.parity(ref, ref + 20, hr)
    assert worse["max_abs"] == pytest.approx(20) and worse["psnr_drop_db"] > 10
    with pytest.raises(export.ParityError, match="PSNR drop"):
        export.check_parity(worse, {"max_abs": 100, "max_psnr_drop_db": 1}, "m.tflite")
    assert export.parity_frames(10, 3) == [0, 4, 9] and export.parity_frames(1, 3) == [0]
    assert (
        export.routed_unit("stdo-k4-c1") and export.routed_unit("nas-n3-c0") and export.routed_unit("cafm-n2")
    )
    assert not export.routed_unit("all") and not export.routed_unit("jstdo-k4")
