"""``stdo.report.figures.crops`` (Figure 4): the crop goes where the methods differ most, each panel's
caption is its PSNR, and the figure's CSV holds the crop box and the PSNRs it shows."""

import numpy as np
import pytest
import torch

from stdo.core import metrics
from stdo.core.errors import StdoError
from stdo.core.imaging import downscale, upscale_bicubic
from stdo.report.figures import crops
from stdo.report.figures.common import plt
from stdo.video.patches import split, stitch


@pytest.fixture
def frame(demo_frames):
    return np.ascontiguousarray(demo_frames[5, :48, :96])


def test_the_crop_is_where_the_methods_differ_most(frame):
    rng = np.random.default_rng(0)
    noisy = np.clip(frame + rng.normal(0, 4, frame.shape), 0, 255).astype(np.uint8)
    a, b = noisy.copy(), noisy.copy()
    b[30:46, 60:92] = np.clip(b[30:46, 60:92].astype(int) + 40, 0, 255)  # method b fails in one region
    y, x, h, w = crops.choose_crop(frame, {"a": a, "b": b}, (16, 32))
    assert (h, w) == (16, 32)
    assert 26 <= y <= 34 and 56 <= x <= 64  # on the planted region (stride: a quarter window)
    # the chosen window's spread is the largest of all windows on the stride
    spread = crops.crop_psnr(a, frame, (y, x, h, w)) - crops.crop_psnr(b, frame, (y, x, h, w))
    for yy in range(0, 48 - 16 + 1, 4):
        for xx in range(0, 96 - 32 + 1, 8):
            box = (yy, xx, 16, 32)
            assert crops.crop_psnr(a, frame, box) - crops.crop_psnr(b, frame, box) <= spread + 1e-9


def test_one_method_crops_where_it_is_worst(frame):
    sr = frame.copy()
    sr[:12, :24] = 0
    assert crops.choose_crop(frame, {"only": sr}, (12, 24))[:2] == (0, 0)
    with pytest.raises(StdoError, match="at least one"):
        crops.choose_crop(frame, {}, (12, 24))
    with pytest.raises(StdoError, match="shape"):
        crops.choose_crop(frame, {"x": sr[:10]}, (12, 24))


def test_crop_psnr_is_stdo_metrics_psnr_of_the_crop(frame):
    sr = np.clip(frame.astype(int) + 3, 0, 255).astype(np.uint8)
    box = (4, 8, 20, 30)
    assert crops.crop_psnr(sr, frame, box) == pytest.approx(metrics.psnr(sr[4:24, 8:38], frame[4:24, 8:38]))
    assert crops.crop_psnr(frame, frame) == float("inf")


def test_bicubic_frame_is_the_references_upscaling_patch_by_patch(frame):
    lr = downscale(frame, 4)  # 12 x 24, a 3 x 2 grid of 6 x 8 patches
    patches = split(lr[None], 3, 2)
    got = crops.bicubic_frame(patches, 3, 2, 4)
    x = torch.from_numpy(patches).permute(0, 3, 1, 2).float()
    expected = upscale_bicubic(x, 4).clamp(0, 255).round().permute(0, 2, 3, 1).numpy().astype(np.uint8)
    np.testing.assert_array_equal(got[:24, 32:64], expected[1])  # row 0, column 1
    np.testing.assert_array_equal(got, stitch(expected, 3, 2)[0])
    whole = upscale_bicubic(torch.from_numpy(lr).permute(2, 0, 1)[None].float(), 4)
    assert not np.array_equal(got, whole.clamp(0, 255).round()[0].permute(1, 2, 0).numpy().astype(np.uint8))


def test_figure4_captions_each_crop_with_its_psnr(frame):
    rng = np.random.default_rng(1)
    panels = {
        "bicubic": np.clip(frame + rng.normal(0, 9, frame.shape), 0, 255).astype(np.uint8),
        "STDO (k=4)": np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255).astype(np.uint8),
    }
    box = (8, 16, 16, 32)
    fig, data = crops.figure4(frame, panels, box, title="Figure 4")
    try:
        assert len(fig.axes) == 4  # the frame, HR's crop, each panel's crop: one row of 4
        np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), frame[8:24, 16:48])
        np.testing.assert_array_equal(fig.axes[3].images[0].get_array(), panels["STDO (k=4)"][8:24, 16:48])
        for ax, (name, img) in zip(fig.axes[2:], panels.items(), strict=True):
            c, f = crops.crop_psnr(img, frame, box), crops.crop_psnr(img, frame)
            assert ax.get_title() == f"{name}\ncrop {c:.2f} dB (frame {f:.2f})"
    finally:
        plt.close(fig)
    assert list(data["panel"]) == ["bicubic", "STDO (k=4)"]
    assert data[["y", "x", "h", "w"]].iloc[0].tolist() == list(box)
    assert data["crop_psnr_db"].iloc[1] > data["crop_psnr_db"].iloc[0]
