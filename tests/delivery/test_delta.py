"""Models as deltas from a generic model: exact round trips, bounded quantisation error, fewer
bytes than the full model, and every damaged case refused with what to do."""

import pytest
import torch

from stdo.core.errors import StdoError
from stdo.delivery import delta
from stdo.models import build_model


def _pair(seed: int = 0, step: float = 0.01):
    """A generic ESPCN and an 'overfitted' one: the generic weights moved by a small step."""
    generic = build_model("espcn", scale=2, seed=seed, channels=[16, 8]).state_dict()
    g = torch.Generator().manual_seed(seed + 1)
    model = {k: v + step * torch.randn(v.shape, generator=g) for k, v in generic.items()}
    return model, generic


@pytest.mark.parametrize("quant", delta.QUANTS)
def test_a_delta_decodes_to_the_model_within_its_quantisation(quant):
    model, generic = _pair()
    back = delta.decode(delta.encode(model, generic, quant), generic)
    assert set(back) == set(model)
    for k, v in model.items():
        d = (v - generic[k]).abs().max().item()
        # float16: half precision of a difference of at most ~0.05; int8: half a step of max|d|/127
        bound = 2e-5 if quant == "float16" else d / 127 / 2 + 1e-7
        assert (back[k] - v).abs().max().item() <= bound, (quant, k)


def test_a_delta_is_smaller_than_the_model_and_int8_smaller_than_float16():
    model, generic = _pair()
    full = sum(v.numel() * 2 for v in model.values())  # the full model in float16
    f16, i8 = (len(delta.encode(model, generic, q)) for q in ("float16", "int8"))
    assert i8 < f16 < full + 2048  # a small model: the header weighs; int8 halves the payload
    same = delta.encode(generic, generic, "float16")  # no change at all compresses to almost nothing
    assert len(same) < f16 / 4


def test_the_hash_names_the_generic_weights_not_the_file():
    model, generic = _pair()
    assert delta.weights_hash(generic) == delta.weights_hash({k: v.clone() for k, v in generic.items()})
    assert delta.weights_hash(generic) != delta.weights_hash(model)


def test_a_wrong_generic_model_is_refused_naming_the_hashes():
    model, generic = _pair()
    blob = delta.encode(model, generic)
    other = build_model("espcn", scale=2, seed=7, channels=[16, 8]).state_dict()
    with pytest.raises(
        StdoError, match="made against the generic model with weight hash .* pass the generic"
    ):
        delta.decode(blob, other, "models/all.delta")


@pytest.mark.parametrize("cut", [1, 100, "header"])
def test_a_truncated_delta_is_refused(cut):
    model, generic = _pair()
    blob = delta.encode(model, generic)
    bad = blob[:20] if cut == "header" else blob[:-cut]
    with pytest.raises(StdoError, match="damaged or truncated; rebuild the bundle"):
        delta.decode(bad, generic, "models/all.delta")


def test_a_damaged_payload_and_a_foreign_file_are_refused():
    model, generic = _pair()
    blob = bytearray(delta.encode(model, generic))
    blob[-10] ^= 0xFF
    with pytest.raises(StdoError, match="rebuild the bundle"):
        delta.decode(bytes(blob), generic)
    with pytest.raises(StdoError, match="not an stdo model delta"):
        delta.decode(b"PK\x03\x04 a zip file", generic)


def test_models_of_another_shape_are_refused():
    model, generic = _pair()
    other = build_model("espcn", scale=2, seed=0, channels=[8, 8]).state_dict()
    with pytest.raises(StdoError, match="shape"):
        delta.encode(model, other)


def test_a_cafm_model_is_a_delta_of_its_backbone_and_its_modulations_are_sent_whole():
    from stdo.models.cafm import CaFM

    generic = build_model("wdsr", scale=2, seed=0, n_resblocks=2, n_feats=8)
    model = CaFM(build_model("wdsr", scale=2, seed=0, n_resblocks=2, n_feats=8), 2)
    bases = delta.cafm_bases(model)
    g = generic.state_dict()
    assert {b for b in bases.values() if b is not None} == set(g)  # every backbone tensor has its own
    own = [n for n, b in bases.items() if b is None]
    assert own and all(n.rsplit(".", 1)[1] in ("weight", "bias", "gamma") for n in own)
    state = {k: v + 0.01 for k, v in model.state_dict().items()}
    blob = delta.encode(state, g, "int8", bases=bases, record={"backbone": "wdsr"})
    back = delta.decode(blob, g)
    assert delta.header(blob)["record"] == {"backbone": "wdsr"}
    for n in own:  # sent whole in float16
        assert (back[n] - state[n]).abs().max().item() <= 1e-3 * (1 + state[n].abs().max().item())
