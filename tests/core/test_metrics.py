import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio

from stdo.core.imaging import downscale, upscale_bicubic
from stdo.core.metrics import (
    VSD4K_SHAVE,
    chunk_psnr,
    error_shaves,
    mse_per_item,
    mse_to_psnr,
    pooled_psnr,
    psnr,
    psnr_cafm,
    psnr_trainer,
    psnr_vsd4k,
    trainer_shave,
)
from stdo.video.patches import split


def _bicubic_sr(img: np.ndarray, scale: int) -> np.ndarray:
    lr = downscale(img, scale)
    x = torch.from_numpy(lr).permute(2, 0, 1)[None].float()
    return upscale_bicubic(x, scale)[0].permute(1, 2, 0).clamp(0, 255).round().byte().numpy()


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_psnr_equals_skimage_on_real_images(photos, name):
    hr = photos[name][:240, :360]
    sr = _bicubic_sr(hr, 4)
    ours = psnr(sr, hr)
    ref = peak_signal_noise_ratio(hr, sr, data_range=255)
    assert ours == pytest.approx(ref, abs=1e-9)
    assert 15 < ours < 45


def test_psnr_quantises_float_predictions(photos):
    hr = photos["astronaut"][:64, :64]
    noisy = hr.astype(np.float64) + 0.3  # rounds back to hr
    assert psnr(noisy.astype(np.float32), hr) == float("inf")
    over = hr.astype(np.float32) + 400  # clamps to 255
    expected = peak_signal_noise_ratio(hr, np.full_like(hr, 255), data_range=255)
    assert psnr(over, hr) == pytest.approx(expected)


def test_pooled_patch_mse_equals_whole_frame_psnr(photos):
    hr = photos["coffee"][:240, :360]
    sr = _bicubic_sr(hr, 2)
    p_sr, p_hr = split(sr[None], 6, 4), split(hr[None], 6, 4)
    mse = mse_per_item(torch.from_numpy(p_sr).float(), torch.from_numpy(p_hr))
    assert pooled_psnr(mse.numpy()) == pytest.approx(psnr(sr, hr), abs=1e-9)
    # the mean of per-patch PSNRs is a different (wrong) number: pooling matters
    assert np.mean(mse_to_psnr(mse.numpy())) != pytest.approx(psnr(sr, hr), abs=1e-3)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape mismatch"):
        mse_per_item(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 5))


def test_vsd4k_protocol_against_a_hand_computation():
    # two 10x10 HR patches; VSD4K.py get_patch_psnr shaves 4 pixels at each border, leaving the 2x2 centre
    hr = np.zeros((2, 10, 10, 3), dtype=np.uint8)
    sr = np.zeros((2, 10, 10, 3), dtype=np.float32)
    sr[0, 4:6, 4:6, :] = 10.4  # centre of patch 0: rounds to 10, error 10 on 12 values
    sr[1, 4:6, 4:6, 0] = 19.6  # centre of patch 1: rounds to 20 on one channel, error 20 on 4 of 12
    sr[:, 0, :, :] = 200.0  # borders are shaved away: they must not count
    mse0, mse1 = 10.0**2, 20.0**2 * 4 / 12
    expected = 10 * np.log10(255.0**2 / ((mse0 + mse1) / 2))
    assert psnr_vsd4k(sr, hr) == pytest.approx(expected, abs=1e-9)
    # our convention counts every pixel, borders included, so it differs
    ours = pooled_psnr(
        mse_per_item(
            torch.from_numpy(sr).permute(0, 3, 1, 2), torch.from_numpy(hr).permute(0, 3, 1, 2)
        ).numpy()
    )
    assert ours < psnr_vsd4k(sr, hr) - 10


def test_trainer_protocol_against_a_hand_computation():
    """models/wdsr.py: shave scale + 4 (x2: 6 pixels); README: -10 log10(mean of the chunk MSEs)."""
    assert [trainer_shave(s) for s in (1, 2, 3, 4)] == [0, 6, 7, 8]
    hr = np.zeros((3, 14, 14, 3), dtype=np.uint8)  # x2: a 6-pixel shave leaves the 2x2 centre
    sr = np.zeros((3, 14, 14, 3), dtype=np.float32)
    sr[:, 5, :, :] = 90.0  # inside the 4-pixel shave's window, outside the trainer's: must not count
    sr[0, 6:8, 6:8, :] = 10.0  # patch 0 (chunk 0): MSE 100
    sr[1, 6:8, 6:8, :] = 20.0  # patch 1 (chunk 0): MSE 400
    sr[2, 6:8, 6:8, :] = 30.4  # patch 2 (chunk 1): rounds to 30, MSE 900
    groups = np.array([0, 0, 1])
    expected = 10 * np.log10(255.0**2 / (((100 + 400) / 2 + 900) / 2))  # chunks weigh the same
    assert psnr_trainer(sr, hr, groups, scale=2) == pytest.approx(expected, abs=1e-9)
    assert chunk_psnr(np.array([100.0, 400.0, 900.0]), groups) == pytest.approx(expected, abs=1e-12)
    # one chunk: the pooled PSNR of the patch MSEs
    assert psnr_trainer(sr, hr, np.zeros(3), scale=2) == pytest.approx(
        10 * np.log10(255.0**2 / ((100 + 400 + 900) / 3)), abs=1e-9
    )
    # VSD4K.py's 4-pixel shave keeps row 5, so it differs
    assert psnr_vsd4k(sr, hr) < psnr_trainer(sr, hr, np.zeros(3), scale=2) - 3


def test_cafm_protocol_against_a_hand_computation():
    """src/utility.py calc_psnr: shave scale + 6 (x2: 8) of a whole frame; the mean of per-frame PSNRs."""
    hr = np.zeros((2, 18, 18, 3), dtype=np.uint8)
    sr = np.zeros((2, 18, 18, 3), dtype=np.float32)
    sr[:, 7, :, :] = 250.0  # row 7 is shaved away (8 pixels at each border)
    sr[0, 8:10, 8:10, :] = 10.0  # frame 0: MSE 100
    sr[1, 8:10, 8:10, :] = 100.0  # frame 1: MSE 10000
    expected = (10 * np.log10(255.0**2 / 100) + 10 * np.log10(255.0**2 / 10000)) / 2
    assert psnr_cafm(sr, hr, scale=2) == pytest.approx(expected, abs=1e-9)
    # the mean of PSNRs is not the PSNR of the mean MSE
    assert psnr_cafm(sr, hr, scale=2) > 10 * np.log10(255.0**2 / 5050) + 5


def test_shaved_protocols_need_patches_larger_than_the_shave():
    assert error_shaves(9, 9, 2) == {"psnr": 0, "psnr_vsd4k": VSD4K_SHAVE}
    assert error_shaves(13, 13, 2) == {"psnr": 0, "psnr_vsd4k": 4, "psnr_trainer": 6}
    assert error_shaves(17, 17, 4) == {"psnr": 0, "psnr_vsd4k": 4, "psnr_trainer": 8}
    assert error_shaves(8, 36, 2) == {"psnr": 0}
    with pytest.raises(ValueError, match="cannot shave 4"):
        psnr_vsd4k(np.zeros((1, 8, 8, 3)), np.zeros((1, 8, 8, 3), dtype=np.uint8))


def test_psnr_to_mse_inverts_mse_to_psnr():
    from stdo.core.metrics import mse_to_psnr, psnr_to_mse

    mse = np.array([0.5, 10.0, 650.25])
    np.testing.assert_allclose(psnr_to_mse(mse_to_psnr(mse)), mse, rtol=1e-12)
    assert psnr_to_mse(float("inf")) == 0.0 and psnr_to_mse(48.13080360867910) == pytest.approx(1.0)
