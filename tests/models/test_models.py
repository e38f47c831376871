import pytest
import torch

from stdo.errors import StdoError
from stdo.models import available, build_model, count_macs, count_parameters

ALL = ["edsr", "espcn", "srcnn", "vdsr", "wdsr"]


def test_registry_lists_every_backbone():
    assert available() == ALL


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_shape(name, scale):
    model = build_model(name, scale=scale)
    y = model(torch.rand(2, 3, 10, 14) * 255)
    assert y.shape == (2, 3, 10 * scale, 14 * scale)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize(
    "name,scale,lo,hi",
    [
        ("espcn", 2, 60_000, 61_000),  # 3x3 convs 3-64-64-32-12
        ("srcnn", 2, 69_000, 69_500),
        ("vdsr", 2, 668_000, 668_500),
        ("edsr", 2, 1_360_000, 1_380_000),  # EDSR baseline x2: 1.37 M
        ("wdsr", 4, 1_150_000, 1_250_000),  # the paper's "1.2M" (Table 4)
    ],
)
def test_parameter_counts_at_paper_settings(name, scale, lo, hi):
    assert lo <= count_parameters(build_model(name, scale=scale)) <= hi


def test_mac_counter_against_hand_count():
    # ESPCN x2 on 48x48: per LR pixel 9*(3*64 + 64*64 + 64*32 + 32*12) MACs
    per_px = 9 * (3 * 64 + 64 * 64 + 64 * 32 + 32 * 12)
    assert count_macs(build_model("espcn", scale=2), (48, 48)) == per_px * 48 * 48
    # SRCNN x3 runs at the upscaled 144x144: 81*3*64 + 25*64*32 + 25*32*3 per HR pixel
    per_hr = 81 * 3 * 64 + 25 * 64 * 32 + 25 * 32 * 3
    assert count_macs(build_model("srcnn", scale=3), (48, 48)) == per_hr * 144 * 144


@pytest.mark.parametrize(
    "name,scale,paper_g",
    [
        ("espcn", 2, 0.14),
        ("espcn", 4, 0.16),
        ("srcnn", 4, 2.58),
        ("vdsr", 2, 6.15),
        ("edsr", 2, 3.16),
        ("edsr", 4, 4.57),
        ("wdsr", 2, 2.73),
        ("wdsr", 4, 2.76),
    ],
)
def test_macs_reproduce_paper_table3(name, scale, paper_g):
    g = count_macs(build_model(name, scale=scale), (48, 48)) / 1e9
    assert g == pytest.approx(paper_g, rel=0.015, abs=0.005)  # the paper prints 2 decimals


def test_unknown_backbone_and_bad_kwargs_are_clear():
    with pytest.raises(StdoError, match="unknown backbone 'fsrcnn'"):
        build_model("fsrcnn", scale=2)
    with pytest.raises(StdoError, match="bad arguments"):
        build_model("wdsr", scale=2, blocks=3)
