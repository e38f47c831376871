import torch

from stdo import runtime
from stdo.cafm import CaFM, ModulatedConv
from stdo.models import build_model


def test_cafm_starts_as_the_shared_backbone():
    base = build_model("espcn", scale=2, seed=0)
    x = torch.rand(2, 3, 12, 12) * 255
    ref = base(x)
    model = CaFM(base, 3)
    model.set_chunk(torch.tensor([0, 2]))
    assert torch.allclose(model(x), ref)  # every alpha starts at 0


def test_modulation_is_applied_after_every_conv_and_per_item():
    model = CaFM(build_model("espcn", scale=2, seed=0), 2)
    mods = [m for m in model.modules() if isinstance(m, ModulatedConv)]
    assert len(mods) == 4  # ESPCN has four convs
    for m in mods:
        torch.nn.init.normal_(m.alpha, std=0.5)
    x = torch.rand(4, 3, 10, 10) * 255
    chunks = torch.tensor([1, 0, 1, 0])
    model.set_chunk(chunks)
    mixed = model(x)
    for c in (0, 1):
        model.set_chunk(c)
        torch.testing.assert_close(mixed[chunks == c], model(x[chunks == c]))
    model.set_chunk(0)
    assert not torch.allclose(model(x), (model.set_chunk(1), model(x))[1])


def test_parameters_per_chunk_hand_count():
    model = CaFM(build_model("espcn", scale=2), 3)
    per_conv = [64, 64, 32, 12]  # output channels: depthwise 3x3 weights + bias + one scalar
    assert model.parameters_per_chunk() == sum(c * 9 + c + 1 for c in per_conv)


def test_cafm_model_file_round_trip(tmp_path):
    model = CaFM(build_model("wdsr", scale=2, n_resblocks=2, n_feats=8, seed=0), 3)
    for m in model.modules():
        if isinstance(m, ModulatedConv):
            torch.nn.init.normal_(m.alpha)
    path = tmp_path / "model.pt"
    runtime.save_model(path, model, backbone="wdsr", scale=2, kwargs={"n_resblocks": 2, "n_feats": 8},
                       extra={"cafm_chunks": 3})  # fmt: skip
    loaded, record = runtime.load_model(path)
    x = torch.rand(1, 3, 8, 8) * 255
    model.eval()
    for c in range(3):
        model.set_chunk(c)
        loaded.set_chunk(c)
        torch.testing.assert_close(loaded(x), model(x))


def test_model_file_that_does_not_fit_the_code_is_a_clear_error(tmp_path):
    import pytest

    from stdo.errors import StdoError

    path = tmp_path / "model.pt"
    runtime.save_model(path, build_model("espcn", scale=2), backbone="espcn", scale=2, kwargs={},
                       extra={"cafm_chunks": 2})  # fmt: skip
    with pytest.raises(StdoError, match="do not fit the espcn model.*delete the file and rerun"):
        runtime.load_model(path)
