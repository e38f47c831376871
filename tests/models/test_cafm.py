import pytest
import torch
from torch import nn

from stdo.models import build_model, modelfile
from stdo.models.backbones.edsr import ResBlock
from stdo.models.backbones.wdsr import Block
from stdo.models.cafm import CaFM, Modulated


def _mods(model: CaFM) -> list[Modulated]:
    return [m for m in model.modules() if isinstance(m, Modulated)]


SMALL = {
    "espcn": {"channels": (8, 6)},
    "srcnn": {"features": (8, 6)},
    "vdsr": {"depth": 4, "features": 6},
    "edsr": {"n_resblocks": 2, "n_feats": 8},
    "wdsr": {"n_resblocks": 2, "n_feats": 8},
}


@pytest.mark.parametrize("backbone", sorted(SMALL))
@pytest.mark.parametrize("placement", ["cafm", "all"])
def test_cafm_starts_as_the_shared_backbone(backbone, placement):
    base = build_model(backbone, scale=2, seed=0, **SMALL[backbone])
    x = torch.rand(2, 3, 12, 12) * 255
    ref = base(x)
    model = CaFM(base, 3, placement=placement)
    model.set_segment(torch.tensor([0, 2]))
    assert all(torch.equal(m.gamma, torch.zeros(3)) for m in _mods(model))  # CaFM's gamma = zeros(1)
    torch.testing.assert_close(model(x), ref)


def test_kernel_1_is_a_per_channel_scale_and_bias():
    """CaFM's ContentAwareFM(C, 1): y + gamma * (w_c * y + b_c) = (1 + gamma w_c) y + gamma b_c."""
    m = Modulated(nn.Identity(), channels=2, n_segments=2, kernel_size=1)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([[2.0, -1.0], [0.0, 3.0]]).view(2, 2, 1, 1, 1))
        m.bias.copy_(torch.tensor([[1.0, 4.0], [-2.0, 0.0]]))
        m.gamma.copy_(torch.tensor([0.5, 0.25]))
    y = torch.tensor([[[[1.0, 2.0]], [[3.0, -1.0]]]])  # [1, 2 channels, 1, 2]
    m.segment = 0  # channel 0: (1 + 0.5*2) y + 0.5*1 = 2y + 0.5; channel 1: 0.5 y + 2
    torch.testing.assert_close(m(y), torch.tensor([[[[2.5, 4.5]], [[3.5, 1.5]]]]))
    m.segment = 1  # channel 0: y - 0.5; channel 1: 1.75 y
    torch.testing.assert_close(m(y), torch.tensor([[[[0.5, 1.5]], [[5.25, -1.75]]]]))


def test_edsr_is_modulated_after_both_convs_of_every_residual_block_only():
    """CaFM's common.ResBlock: cafms1 after conv1 (before the ReLU), cafms2 after conv2."""
    model = CaFM(build_model("edsr", scale=2, **SMALL["edsr"]), 2)
    blocks = [b for b in model.base.body if isinstance(b, ResBlock)]
    for b in blocks:
        assert [type(m) for m in b.body] == [Modulated, nn.ReLU, Modulated]
        assert all(isinstance(b.body[i].inner, nn.Conv2d) for i in (0, 2))
    assert len(_mods(model)) == 2 * len(blocks) == 4  # not the head, last body conv, upsampler or tail
    assert isinstance(model.base.head, nn.Conv2d) and isinstance(model.base.body[-1], nn.Conv2d)
    assert not any(isinstance(m, Modulated) for m in model.base.tail.modules())


def test_wdsr_is_modulated_after_both_convs_of_every_block_only():
    model = CaFM(build_model("wdsr", scale=2, **SMALL["wdsr"]), 2)
    for b in model.base.body:
        assert isinstance(b, Block)
        assert [type(m) for m in b.body] == [Modulated, nn.ReLU, Modulated]
        assert [b.body[0].weight.shape[1], b.body[2].weight.shape[1]] == [32, 8]  # wide (8 x 4), narrow
    assert len(_mods(model)) == 4
    assert not any(
        isinstance(m, Modulated)
        for part in (model.base.head, model.base.tail, model.base.skip)
        for m in part.modules()
    )


def test_vdsr_espcn_srcnn_sites_follow_cafms_code():
    vdsr = CaFM(build_model("vdsr", scale=2, **SMALL["vdsr"]), 2)  # BasicBlock_: hidden convs, before ReLU
    assert [type(m).__name__ for m in vdsr.base.body] == [
        "Conv2d",
        "ReLU",
        "Modulated",
        "ReLU",
        "Modulated",
        "ReLU",
        "Conv2d",
    ]
    espcn = CaFM(build_model("espcn", scale=2, **SMALL["espcn"]), 2)  # espcn.py: after each hidden ReLU
    assert [type(m).__name__ for m in espcn.base.body] == [
        "Conv2d",
        "Modulated",
        "Conv2d",
        "Modulated",
        "Conv2d",
        "PixelShuffle",
    ]
    assert all(isinstance(m.inner, nn.ReLU) and m.group_width == 2 for m in _mods(espcn))
    srcnn = CaFM(build_model("srcnn", scale=2, **SMALL["srcnn"]), 2)
    assert [type(m).__name__ for m in srcnn.base.body] == [
        "Conv2d",
        "Modulated",
        "Conv2d",
        "Modulated",
        "Conv2d",
    ]


def test_parameters_per_segment_hand_count():
    # EDSR, kernel 1 depthwise: per site 8 weights + 8 biases + gamma, 2 sites per block, 2 blocks
    assert CaFM(build_model("edsr", scale=2, **SMALL["edsr"]), 3).parameters_per_segment() == 4 * (8 + 8 + 1)
    # WDSR: a wide site (32 channels) and a narrow one (8) per block
    assert CaFM(build_model("wdsr", scale=2, **SMALL["wdsr"]), 3).parameters_per_segment() == 2 * (65 + 17)
    # ESPCN, two channels per group: C * 2 weights + C biases + gamma after each hidden ReLU
    assert CaFM(build_model("espcn", scale=2), 3).parameters_per_segment() == (64 * 3 + 1) * 2 + 32 * 3 + 1
    # all, 3x3 depthwise after every conv (stdo's earlier modulation): ESPCN's 64, 64, 32, 12 outputs
    model = CaFM(build_model("espcn", scale=2), 3, kernel_size=3, placement="all")
    assert model.parameters_per_segment() == sum(c * 9 + c + 1 for c in (64, 64, 32, 12))
    counted = sum(p.numel() for m in _mods(model) for p in (m.weight, m.bias, m.gamma)) // 3
    assert counted == model.parameters_per_segment()


def test_modulation_is_per_item_in_a_mixed_batch():
    model = CaFM(build_model("espcn", scale=2, seed=0), 2, kernel_size=3, placement="all")
    mods = _mods(model)
    assert len(mods) == 4  # ESPCN has four convs
    for m in mods:
        torch.nn.init.normal_(m.gamma, std=0.5)
    x = torch.rand(4, 3, 10, 10) * 255
    chunks = torch.tensor([1, 0, 1, 0])
    model.set_segment(chunks)
    mixed = model(x)
    for c in (0, 1):
        model.set_segment(c)
        torch.testing.assert_close(mixed[chunks == c], model(x[chunks == c]))
    model.set_segment(0)
    assert not torch.allclose(model(x), (model.set_segment(1), model(x))[1])


def test_a_backbone_without_cafm_sites_needs_placement_all():
    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 3, padding=1)

        def forward(self, x):
            return self.conv(x)

    with pytest.raises(ValueError, match="declares no CaFM sites.*placement: all"):
        CaFM(Plain(), 2)
    assert len(_mods(CaFM(Plain(), 2, placement="all"))) == 1


@pytest.mark.parametrize(("kernel_size", "placement"), [(1, "cafm"), (3, "all")])
def test_cafm_model_file_round_trip(tmp_path, kernel_size, placement):
    model = CaFM(
        build_model("wdsr", scale=2, seed=0, **SMALL["wdsr"]), 3, kernel_size=kernel_size, placement=placement
    )
    for m in _mods(model):
        torch.nn.init.normal_(m.gamma)
    path = tmp_path / "model.pt"
    modelfile.save_model(path, model, backbone="wdsr", scale=2, kwargs=SMALL["wdsr"], extra=model.record())
    loaded, _ = modelfile.load_model(path)
    assert (loaded.kernel_size, loaded.placement) == (kernel_size, placement)
    x = torch.rand(1, 3, 8, 8) * 255
    model.eval()
    for c in range(3):
        model.set_segment(c)
        loaded.set_segment(c)
        torch.testing.assert_close(loaded(x), model(x))


def test_model_file_that_does_not_fit_the_code_is_a_clear_error(tmp_path):
    from stdo.core.errors import StdoError

    path = tmp_path / "model.pt"
    modelfile.save_model(
        path, build_model("espcn", scale=2), backbone="espcn", scale=2, kwargs={}, extra={"cafm_chunks": 2}
    )
    with pytest.raises(StdoError, match="do not fit the espcn model.*delete the file and rerun"):
        modelfile.load_model(path)
