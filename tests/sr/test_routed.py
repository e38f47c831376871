"""``stdo.sr.routed.RoutedSR`` against a hand-written per-patch loop (:func:`support.sr.routed_sr`),
its models-versus-groups check, and its PyTorch and LiteRT backends against each other."""

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from support.sr import COLS, FRAMES, ROWS, N, make_patches, nearest_espcn, offset_vdsr, routed_sr

from stdo.core.errors import StdoError
from stdo.models.cafm import CaFM
from stdo.sr.routed import RoutedSR, TorchModels
from stdo.video.patches import stitch

CONFIG = Path(__file__).resolve().parents[2] / "config" / "config.yaml"


@pytest.fixture(scope="module")
def patches(tmp_path_factory, demo_frames) -> Path:
    """32 real patches (4 frames of a 4x2 grid at x2)."""
    return make_patches(demo_frames[:FRAMES], tmp_path_factory.mktemp("patches"))


@pytest.fixture(scope="module")
def lr(patches) -> np.ndarray:
    return np.load(patches / "lr.npy", mmap_mode="r")  # as the patch stage's memory map


@pytest.fixture(scope="module")
def chunks() -> np.ndarray:
    return (np.arange(N) % 3 == 0).astype(np.int64)  # both chunks in every frame


def shown(sr: np.ndarray) -> np.ndarray:
    return np.clip(np.round(sr), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("batch_size", [None, 1, 3, 64])
def test_routed_sr_is_the_per_patch_loop(lr, chunks, batch_size):
    models = [nearest_espcn(seed=1), offset_vdsr(25)]
    expected = shown(routed_sr(models, chunks, lr))
    sr = RoutedSR(TorchModels(models), chunks, groups=2, batch_size=batch_size, grid=(COLS, ROWS))
    out = sr(lr)
    assert out.dtype == np.uint8 and out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)
    ids = np.array([17, 3, 30, 0, 9])  # any patches, in any order
    np.testing.assert_array_equal(sr(lr, ids), expected[ids])
    np.testing.assert_array_equal(sr.frames(lr, [2, 0]), stitch(expected, COLS, ROWS)[[2, 0]])
    np.testing.assert_array_equal(sr.window(8, 24)(np.asarray(lr[8:24])), expected[8:24])
    assert [g for g, _ in sr.plan(np.arange(8))] == [0, 1] and [g for g, _ in sr.plan([0, 3])] == [1]


def test_one_cafm_model_serves_every_group_with_its_modulation(lr):
    torch.manual_seed(0)
    model = CaFM(nearest_espcn(seed=2), 2)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    groups = (np.arange(N) >= N // 2).astype(np.int64)  # two time segments
    out = RoutedSR(TorchModels([model]), groups, groups=2, batch_size=5)(lr)
    np.testing.assert_array_equal(out, shown(routed_sr([model, model], groups, lr)))
    model.set_segment(0)
    assert not np.array_equal(out[groups == 1], shown(routed_sr([model], np.zeros(N), lr))[groups == 1])


def test_the_models_versus_groups_check_names_the_mismatch(chunks):
    three = TorchModels([offset_vdsr(0), offset_vdsr(1), offset_vdsr(2)])
    with pytest.raises(StdoError, match=r"^method 'stdo-k2': 2 routing groups for 3 models$"):
        RoutedSR(three, chunks, groups=2, what="method 'stdo-k2'")
    one = TorchModels([offset_vdsr(0)])
    assert RoutedSR(one, chunks, groups=2).member(1) == 0  # one model for every group
    with pytest.raises(StdoError, match="2 routing groups for 1 models"):
        RoutedSR(one, chunks, groups=2, share=False)
    with pytest.raises(StdoError, match=r"a patch routed to group 2, outside 0\.\.1"):
        RoutedSR(one, chunks * 2, groups=2)
    with pytest.raises(StdoError, match=r"frames \[4\] are outside the video's 4 frames"):
        RoutedSR(one, chunks, groups=2, grid=(COLS, ROWS)).frames(np.zeros((N, 12, 16, 3), np.uint8), [4])


def test_torch_and_litert_backends_agree_within_the_export_parity_bound(patches, lr, chunks, tmp_path):
    for package in ("ai_edge_litert", "litert_torch"):
        pytest.importorskip(package, reason=f"{package} is not installed: pip install -e '.[export]'")
    from stdo.device import export
    from stdo.sr.litert import LiteRTModels

    bounds = yaml.safe_load(CONFIG.read_text())["export"]["parity"]["float32"]
    models = [nearest_espcn(seed=1), nearest_espcn(seed=4, noise=0.05)]
    files = export.convert_groups(models, lr.shape[1:3], tmp_path)
    torch_sr = RoutedSR(TorchModels(models), chunks, groups=2, batch_size=4)
    litert_sr = RoutedSR(LiteRTModels(files), chunks, groups=2)
    hr = np.load(patches / "hr.npy")
    raw = {}
    for name, sr in (("torch", torch_sr), ("litert", litert_sr)):
        out = np.empty((N, 3, *hr.shape[1:3]), np.float32)
        for _, part, y in sr.batches(lr):
            out[part] = y.numpy() if isinstance(y, torch.Tensor) else y
        raw[name] = out.transpose(0, 2, 3, 1)
    assert np.abs(raw["torch"] - raw["litert"]).max() <= bounds["max_abs"]
    np.testing.assert_array_equal(litert_sr(lr), shown(raw["litert"]))
    export.check_parity(export.parity(raw["torch"], raw["litert"], hr), bounds, "litert RoutedSR")
    with pytest.raises(StdoError, match="exported for input"):
        litert_sr(np.zeros((N, 8, 6, 3), np.uint8))
