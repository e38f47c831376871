import numpy as np
import pytest

from stdo import pretrain
from stdo.degrade import downscale


def test_pairs_are_degraded_tiles_of_every_view(photos):
    img = photos["coffee"]
    lr, hr = pretrain.make_pairs([img], scale=2, patch=24)
    assert lr.shape[1:] == (24, 24, 3) and hr.shape[1:] == (48, 48, 3)
    # four views (identity, two flips, transpose) of a 400x600 photograph in 48-px tiles
    assert len(hr) == 2 * (8 * 12) + 2 * (12 * 8)
    np.testing.assert_array_equal(hr[0], img[:48, :48])
    np.testing.assert_array_equal(lr[0], downscale(np.ascontiguousarray(img[:384, :576]), 2)[:24, :24])


def test_f0_may_not_train_on_the_videos_photographs(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        pretrain.main(
            ["--images", "chelsea,astronaut", "--exclude", "astronaut,rocket", "--patch", "8",
             "--steps", "1", "--backbone", "espcn", "--scale", "2", "--settings", '{"batch_size": 2}',
             "--out-model", str(tmp_path / "m.pt"), "--out-log", str(tmp_path / "log.csv")]
        )  # fmt: skip
    assert exit_info.value.code == 2
    assert "['astronaut'] also appear in the demo video" in capsys.readouterr().err
    assert not (tmp_path / "m.pt").exists()
