import pytest
import torch

from stdo.core.errors import StdoError
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


def test_wdsr_is_initialised_as_the_authors_initialise_it():
    """github coulsonlee/STDO-CVPR2023 models/wdsr.py: gains head/tail/skip 1, first block conv 2,
    second block conv 1/sqrt(n_resblocks), every bias 0, input x/255 - 0.5."""
    model = build_model("wdsr", scale=2, n_resblocks=9, n_feats=8, seed=0)

    def gain(conv):
        return conv.parametrizations.weight.original0

    for conv in (model.head[0], model.tail[0], model.skip[0]):
        assert torch.all(gain(conv) == 1.0)
    for block in model.body:
        assert torch.all(gain(block.body[0]) == 2.0)
        assert torch.allclose(gain(block.body[2]), torch.full_like(gain(block.body[2]), 1 / 3))
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 3 + 2 * 9 and all(torch.all(c.bias == 0) for c in convs)
    # each filter's norm is its gain (weight norm: w = g v / |v|)
    w = model.body[0].body[0].weight
    assert torch.allclose(w.flatten(1).norm(dim=1), torch.full((w.shape[0],), 2.0), atol=1e-5)
    assert torch.allclose(model.rgb_mean, torch.full((1, 3, 1, 1), 127.5)) and model.norm == 255.0
    # an explicit residual scale sets the second conv's gain
    custom = build_model("wdsr", scale=2, n_resblocks=2, n_feats=8, res_scale=0.25)
    assert torch.all(gain(custom.body[0].body[2]) == 0.25)
