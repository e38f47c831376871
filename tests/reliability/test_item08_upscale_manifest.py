"""Item 8 (the client's part): a bad manifest is one line naming the key, never a traceback."""

from __future__ import annotations

import json

import pytest

from stdo.delivery import client


def _edit(bundle, **changes) -> None:
    path = bundle / "manifest.json"
    m = json.loads(path.read_text())
    for k, v in changes.items():
        if v is ...:
            del m[k]
        else:
            m[k] = v
    path.write_text(json.dumps(m))


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"models": ...}, "models is null, expected a list of models"),
        ({"grid": None}, "grid is null, expected an object with cols, rows"),
        ({"fps": -5}, "fps is -5, expected a positive fps"),
    ],
    ids=["no-models", "grid-null", "fps-negative"],
)
def test_item08_upscale_on_a_bad_manifest_is_one_line(awdnn_bundle, tmp_path, capsys, changes, said):
    _edit(awdnn_bundle, **changes)
    with pytest.raises(SystemExit) as e:
        client.main([str(awdnn_bundle), "-o", str(tmp_path / "sr.mp4")])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "Traceback" not in err
    assert err.startswith(f"stdo upscale: error: {awdnn_bundle / 'manifest.json'}: {said}"), err
    assert "rebuild the bundle" in err and not (tmp_path / "sr.mp4").exists()
