"""Existing checkpoints become stdo model files: the STDO authors' WDSR format (a dict holding
model_state_dict, old-style weight norm, their module layout, 0..1 images), DataParallel keys."""

import math

import pytest
import torch
from torch import nn

from stdo.core.errors import StdoError
from stdo.models import modelfile, weights

# the authors' code uses the old weight-norm API on purpose: that is the format being imported
pytestmark = pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated:FutureWarning")


class AuthorsBlock(nn.Module):
    """Module layout of models/wdsr.py in coulsonlee/STDO-CVPR2023 (their naming, old weight norm)."""

    def __init__(self, units, width, res_scale):
        super().__init__()
        wn = torch.nn.utils.weight_norm
        self.body = nn.Sequential(
            wn(nn.Conv2d(units, units * width, 3, padding=1)),
            nn.ReLU(True),
            wn(nn.Conv2d(units * width, units, 3, padding=1)),
        )

    def forward(self, x):
        return self.body(x) + x


class AuthorsWDSR(nn.Module):
    def __init__(self, scale, blocks=3, units=8, width=4):
        super().__init__()
        wn = torch.nn.utils.weight_norm
        out = 3 * scale * scale
        body = [wn(nn.Conv2d(3, units, 3, padding=1))]
        body += [AuthorsBlock(units, width, 1 / math.sqrt(blocks)) for _ in range(blocks)]
        body += [wn(nn.Conv2d(units, out, 3, padding=1))]
        self.body = nn.Sequential(*body)
        self.skip = nn.Sequential(wn(nn.Conv2d(3, out, 5, padding=2)))
        self.shuf = nn.Sequential(nn.PixelShuffle(scale))
        self.image_mean = 0.5

    def forward(self, x):  # x in 0..1, as their datasets feed it
        x = x - self.image_mean
        x = self.shuf(self.body(x) + self.skip(x))
        return x + self.image_mean


@pytest.fixture()
def authors_checkpoint(tmp_path):
    torch.manual_seed(3)
    ref = AuthorsWDSR(scale=2)
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(torch.randn_like(p) * 0.05)  # not the initial values
    opt = torch.optim.Adam(ref.parameters(), 1e-3)
    path = tmp_path / "wdsr_game_15_epoch_50X2_chunk0.pth"
    torch.save(
        {
            "model_state_dict": ref.state_dict(),
            "optimizer_state_dict": opt.state_dict(),
            "lr_scheduler_state_dict": torch.optim.lr_scheduler.CosineAnnealingLR(opt, 50).state_dict(),
            "epoch": 50,
        },
        path,
    )
    return ref.eval(), path


def test_authors_wdsr_checkpoint_computes_the_same_function(tmp_path, authors_checkpoint, photos):
    ref, path = authors_checkpoint
    out = tmp_path / "f0.pt"
    info = weights.import_weights(path, out, backbone="wdsr", scale=2, kwargs={})
    assert info["kwargs"] == {
        "n_resblocks": 3,
        "n_feats": 8,
        "expansion": 4,
        "mean": [0.5] * 3,
        "norm": 255.0,
    }
    model, record = modelfile.load_model(out)
    assert record["extra"]["imported_from"] == str(path)
    x = torch.from_numpy(photos["coffee"][:40, :56].copy()).permute(2, 0, 1)[None].float()
    with torch.no_grad():
        ours = model(x)
        theirs = ref(x / 255.0) * 255.0
    assert ours.shape == (1, 3, 80, 112)
    torch.testing.assert_close(ours, theirs, atol=1e-3, rtol=1e-5)


def test_dataparallel_prefix_and_plain_state_dict(tmp_path):
    from stdo.models import build_model

    src = build_model("espcn", scale=3, seed=1)
    path = tmp_path / "espcn.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in src.state_dict().items()}}, path)
    weights.import_weights(path, tmp_path / "m.pt", backbone="espcn", scale=3, kwargs={})
    model, _ = modelfile.load_model(tmp_path / "m.pt")
    x = torch.rand(1, 3, 12, 12) * 255
    with torch.no_grad():
        torch.testing.assert_close(model(x), src.eval()(x))


def test_checkpoint_for_another_scale_or_backbone_is_named(tmp_path, authors_checkpoint):
    _, path = authors_checkpoint
    with pytest.raises(StdoError, match="do not fit a x4 wdsr.*scale the imported weights were trained for"):
        weights.import_weights(path, tmp_path / "m.pt", backbone="wdsr", scale=4, kwargs={})
    with pytest.raises(StdoError, match="do not fit a x2 edsr"):
        weights.import_weights(path, tmp_path / "m.pt", backbone="edsr", scale=2, kwargs={})
    bad = tmp_path / "notes.pth"
    torch.save({"epoch": 3, "notes": "no weights"}, bad)
    with pytest.raises(StdoError, match="holds no state dict"):
        weights.import_weights(bad, tmp_path / "m.pt", backbone="wdsr", scale=2, kwargs={})
    assert not (tmp_path / "m.pt").exists()
