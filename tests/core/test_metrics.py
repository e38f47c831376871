import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio

from stdo.degrade import downscale, upscale_bicubic
from stdo.metrics import (
    AUTHORS_SHAVE,
    error_shaves,
    mse_per_item,
    mse_to_psnr,
    pooled_psnr,
    psnr,
    psnr_authors,
)
from stdo.patches import split


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


def test_authors_protocol_against_a_hand_computation():
    # two 10x10 HR patches; the authors shave 4 pixels at each border, leaving the 2x2 centre
    hr = np.zeros((2, 10, 10, 3), dtype=np.uint8)
    sr = np.zeros((2, 10, 10, 3), dtype=np.float32)
    sr[0, 4:6, 4:6, :] = 10.4  # centre of patch 0: rounds to 10, error 10 on 12 values
    sr[1, 4:6, 4:6, 0] = 19.6  # centre of patch 1: rounds to 20 on one channel, error 20 on 4 of 12
    sr[:, 0, :, :] = 200.0  # borders are shaved away: they must not count
    mse0, mse1 = 10.0**2, 20.0**2 * 4 / 12
    expected = 10 * np.log10(255.0**2 / ((mse0 + mse1) / 2))
    assert psnr_authors(sr, hr) == pytest.approx(expected, abs=1e-9)
    # our convention counts every pixel, borders included, so it differs
    ours = pooled_psnr(
        mse_per_item(
            torch.from_numpy(sr).permute(0, 3, 1, 2), torch.from_numpy(hr).permute(0, 3, 1, 2)
        ).numpy()
    )
    assert ours < psnr_authors(sr, hr) - 10


def test_authors_protocol_needs_patches_larger_than_the_shave():
    assert error_shaves(9, 9) == [0, AUTHORS_SHAVE] and error_shaves(8, 36) == [0]
    with pytest.raises(ValueError, match="cannot shave 4"):
        psnr_authors(np.zeros((1, 8, 8, 3)), np.zeros((1, 8, 8, 3), dtype=np.uint8))


def test_psnr_to_mse_inverts_mse_to_psnr():
    from stdo.metrics import mse_to_psnr, psnr_to_mse

    mse = np.array([0.5, 10.0, 650.25])
    np.testing.assert_allclose(psnr_to_mse(mse_to_psnr(mse)), mse, rtol=1e-12)
    assert psnr_to_mse(float("inf")) == 0.0 and psnr_to_mse(48.13080360867910) == pytest.approx(1.0)
