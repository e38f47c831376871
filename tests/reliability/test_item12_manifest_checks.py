"""Item 12 (the bundle's part): manifest paths that leave the bundle are refused, and hr_size,
lr_patch, a model's backbone and fps are checked."""

from __future__ import annotations

import json

import pytest

from stdo.core.errors import StdoError
from stdo.delivery import client


def _manifest(bundle) -> dict:
    return json.loads((bundle / "manifest.json").read_text())


def _save(bundle, m: dict) -> None:
    (bundle / "manifest.json").write_text(json.dumps(m))


def test_item12_a_part_outside_the_bundle_is_refused(awdnn_bundle, tmp_path):
    outside = tmp_path / "elsewhere.mkv"
    outside.write_bytes((awdnn_bundle / "stream.mkv").read_bytes())  # same bytes: sizes and hashes match
    for name in ("../elsewhere.mkv", str(outside)):
        m = _manifest(awdnn_bundle)
        m["stream"]["file"] = name
        _save(awdnn_bundle, m)
        with pytest.raises(StdoError, match="outside the bundle"):
            client.upscale(awdnn_bundle, tmp_path / "sr.mp4")


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (lambda m: m.update(hr_size=[1, 1]), r"hr_size is \[1, 1\], but the grid and x2 make it \[64, 96\]"),
        (lambda m: m["grid"].update(lr_patch=[8, 8]), r"grid.hr_patch is \[32, 24\], but the grid and x2"),
        (lambda m: m["models"][0].update(backbone="wdsr"), "model all is listed with backbone 'wdsr'"),
        (lambda m: m.update(fps=0), "fps is 0, expected a positive fps"),
    ],
    ids=["hr_size", "lr_patch", "backbone", "fps-0"],
)
def test_item12_manifest_fields_are_checked(awdnn_bundle, tmp_path, edit, said):
    m = _manifest(awdnn_bundle)
    edit(m)
    _save(awdnn_bundle, m)
    with pytest.raises(StdoError, match=said):
        client.upscale(awdnn_bundle, tmp_path / "sr.mp4")
    assert not (tmp_path / "sr.mp4").exists()
