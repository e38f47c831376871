"""``stdo.sr.score`` on a small real patch set: f0's per-patch PSNR table and the bicubic reference,
checked against PSNRs computed by hand from the super-resolved patches."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from support.sr import (
    COLS,
    ESPCN_KW,
    FRAMES,
    ROWS,
    SCALE,
    VDSR_KW,
    N,
    make_patches,
    nearest_espcn,
    offset_vdsr,
    patch_psnr,
    save,
    super_resolve,
    video_psnr,
)

from stdo.core import io, metrics
from stdo.core.errors import StdoError
from stdo.core.imaging import upscale_bicubic
from stdo.models import count_parameters
from stdo.sr import score
from stdo.video.patches import index_table


@pytest.fixture(scope="module")
def f0(tmp_path_factory) -> tuple[torch.nn.Module, Path]:
    model = nearest_espcn(seed=1)
    return model, save(tmp_path_factory.mktemp("f0") / "f0.pt", model, "espcn", ESPCN_KW)


def bicubic_sr(lr: np.ndarray) -> np.ndarray:
    """Each LR patch upscaled with stdo.video.degrade's bicubic, float ``[n, H, W, 3]``."""
    x = torch.from_numpy(np.array(lr)).permute(0, 3, 1, 2).float()
    return upscale_bicubic(x, SCALE).permute(0, 2, 3, 1).numpy()


def test_table_has_one_row_per_patch_in_index_order(patch_dir, arrays, f0):
    lr, hr = arrays
    model, path = f0
    table, _ = score.score(patch_dir, path, batch_size=64, device="cpu")
    assert list(table.columns) == ["patch", "frame", "row", "col", "mse", "psnr", "psnr_trainer"]
    assert len(table) == N
    pd.testing.assert_frame_equal(table[["patch", "frame", "row", "col"]], index_table(FRAMES, COLS, ROWS))
    expected = patch_psnr(super_resolve(model, lr), hr)
    np.testing.assert_allclose(table["psnr"].to_numpy(), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(table["mse"].to_numpy(), 255.0**2 / 10 ** (expected / 10), rtol=1e-9)
    assert np.unique(expected).size == N and np.ptp(expected) > 1  # a mix-up of rows would show


def test_rows_follow_the_patch_ids_across_batches(tmp_path, patch_dir, arrays):
    """Small batches give the same table: every row holds its own patch's PSNR."""
    lr, hr = arrays
    model = offset_vdsr(-20)
    path = save(tmp_path / "vdsr.pt", model, "vdsr", VDSR_KW)
    table, _ = score.score(patch_dir, path, batch_size=5, device="cpu")
    np.testing.assert_allclose(table["psnr"], patch_psnr(super_resolve(model, lr), hr), atol=1e-9)


def test_summary_pools_f0_and_bicubic(patch_dir, arrays, f0):
    lr, hr = arrays
    model, path = f0
    table, summary = score.score(patch_dir, path, batch_size=64, device="cpu")
    sr, bic = super_resolve(model, lr), bicubic_sr(lr)
    assert summary["f0_psnr"] == pytest.approx(video_psnr(sr, hr), abs=1e-9)
    assert summary["f0_psnr_vsd4k"] == pytest.approx(metrics.psnr_vsd4k(sr, hr), abs=1e-9)
    assert summary["bicubic_psnr"] == pytest.approx(video_psnr(bic, hr), abs=1e-9)
    assert summary["bicubic_psnr_vsd4k"] == pytest.approx(metrics.psnr_vsd4k(bic, hr), abs=1e-9)
    assert 20 < summary["bicubic_psnr"] < 45
    assert summary["bicubic_psnr"] > summary["f0_psnr"] + 1  # a noisy nearest-neighbour f0 is worse
    assert summary["f0_psnr"] == pytest.approx(metrics.pooled_psnr(table["mse"].to_numpy()), abs=1e-12)
    assert summary["patch_psnr_min"] == pytest.approx(table["psnr"].min())
    assert summary["patch_psnr_max"] == pytest.approx(table["psnr"].max())
    assert summary["patch_psnr_min"] < summary["f0_psnr"] < summary["patch_psnr_max"]
    assert summary["f0_backbone"] == "espcn"
    assert summary["f0_kwargs"] == ESPCN_KW
    assert summary["f0_parameters"] == count_parameters(model) == (3 * 8 * 9 + 8) + (8 * 12 * 9 + 12)
    assert summary["patches"] == N


def test_bicubic_reference_does_not_depend_on_f0(tmp_path, patch_dir, f0):
    _, path = f0
    other = save(tmp_path / "vdsr_bad.pt", offset_vdsr(50), "vdsr", VDSR_KW)
    _, a = score.score(patch_dir, path, batch_size=64, device="cpu")
    _, b = score.score(patch_dir, other, batch_size=64, device="cpu")
    assert a["bicubic_psnr"] == b["bicubic_psnr"]
    assert a["bicubic_psnr_vsd4k"] == b["bicubic_psnr_vsd4k"]
    assert b["f0_psnr"] < a["f0_psnr"] - 1


def test_bicubic_model_is_stdo_degrade_upscaling():
    x = torch.rand(2, 3, 5, 7) * 255
    out = score.Bicubic(3)(x)
    assert out.shape == (2, 3, 15, 21)
    torch.testing.assert_close(out, upscale_bicubic(x, 3), rtol=0, atol=0)
    assert sum(p.numel() for p in score.Bicubic(3).parameters()) == 0


def test_a_bicubic_f0_scores_the_bicubic_psnr(tmp_path, patch_dir):
    path = save(tmp_path / "vdsr_bicubic.pt", offset_vdsr(0), "vdsr", VDSR_KW)
    _, summary = score.score(patch_dir, path, batch_size=64, device="cpu")
    assert summary["f0_psnr"] == pytest.approx(summary["bicubic_psnr"], abs=1e-4)
    assert summary["f0_psnr_vsd4k"] == pytest.approx(summary["bicubic_psnr_vsd4k"], abs=1e-4)
    assert summary["f0_backbone"] == "vdsr" and summary["f0_kwargs"] == VDSR_KW


def test_patches_of_at_most_8_pixels_have_no_authors_psnr(tmp_path, demo_frames):
    patches = make_patches(demo_frames[:1, :32, :32], tmp_path / "small", cols=4, rows=4)  # HR 8x8
    model = nearest_espcn(seed=1)
    table, summary = score.score(patches, save(tmp_path / "f0.pt", model, "espcn", ESPCN_KW), 64, "cpu")
    assert summary["f0_psnr_vsd4k"] is None and summary["bicubic_psnr_vsd4k"] is None
    lr, hr = np.load(patches / "lr.npy"), np.load(patches / "hr.npy")
    assert summary["f0_psnr"] == pytest.approx(metrics.psnr(super_resolve(model, lr), hr), abs=1e-9)
    assert summary["bicubic_psnr"] == pytest.approx(metrics.psnr(bicubic_sr(lr), hr), abs=1e-9)
    assert len(table) == summary["patches"] == 16


def test_f0_of_another_scale_is_a_clear_error(tmp_path, patch_dir):
    path = save(tmp_path / "x4.pt", offset_vdsr(0, scale=4), "vdsr", VDSR_KW, scale=4)
    with pytest.raises(StdoError, match=r"x4\.pt: f0 is a x4 model but the patches are x2"):
        score.score(patch_dir, path, batch_size=64, device="cpu")


def test_main_writes_scores_and_summary(tmp_path, patch_dir, f0, capsys):
    _, path = f0
    expected_table, expected = score.score(patch_dir, path, batch_size=64, device="cpu")
    out, out_summary = tmp_path / "s" / "scores.csv", tmp_path / "s" / "score_summary.json"
    score.main(
        ["--patches", str(patch_dir), "--model", str(path), "--device", "cpu", "--out", str(out),
         "--out-summary", str(out_summary), "--labels", '{"video": "demo"}']
    )  # fmt: skip
    written = pd.read_csv(out)
    pd.testing.assert_frame_equal(written, expected_table, check_exact=False, rtol=1e-12)
    summary = json.loads(out_summary.read_text())
    assert summary == json.loads(json.dumps(expected | {"video": "demo"}))
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == summary
    for f in (out, out_summary):
        side = json.loads(f.with_name(f.name + io.SIDECAR_SUFFIX).read_text())
        assert side["stage"] == "score" and side["params"] == {"batch_size": 64}


def test_main_reports_a_missing_model_without_a_traceback(tmp_path, patch_dir, capsys):
    with pytest.raises(SystemExit) as e:
        score.main(
            ["--patches", str(patch_dir), "--model", str(tmp_path / "none.pt"),
             "--out", str(tmp_path / "scores.csv"), "--out-summary", str(tmp_path / "s.json")]
        )  # fmt: skip
    assert e.value.code == 2
    assert "stdo score: error:" in (err := capsys.readouterr().err) and "none.pt: model file not found" in err
    assert not (tmp_path / "scores.csv").exists()


def test_psnr_trainer_is_each_patchs_psnr_with_the_trainers_shave(patch_dir, arrays, f0):
    """The authors' labels (trainer.py --save_label): common.metrics.psnr, shave scale + 4, one
    patch per eval batch, output rounded and clamped."""
    lr, hr = arrays
    model, path = f0
    table, _ = score.score(patch_dir, path, batch_size=64, device="cpu")
    sr = np.clip(np.round(super_resolve(model, lr)), 0, 255)
    s = SCALE + 4
    diff = sr[:, s:-s, s:-s].astype(np.float64) - np.asarray(hr)[:, s:-s, s:-s]
    by_hand = 10 * np.log10(255.0**2 / (diff**2).mean(axis=(1, 2, 3)))
    np.testing.assert_allclose(table["psnr_trainer"].to_numpy(), by_hand, rtol=0, atol=1e-9)
    assert np.abs(table["psnr_trainer"] - table["psnr"]).max() > 0.01
