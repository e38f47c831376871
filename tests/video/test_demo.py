"""The demo video's scenes: configurable camera moves over packaged photographs."""

import numpy as np
import pytest

from stdo.demo import DEFAULT_SCENES, parse_scenes, render_frames
from stdo.errors import StdoError


def test_configured_scenes_render_one_after_another():
    spec = [
        {"image": "coins", "start": [0, 0, 0.5, 0.5], "end": [0.5, 0.5, 1, 1]},
        {"image": "gravel", "start": [0, 0, 1, 1], "end": [0.25, 0.25, 0.75, 0.75]},
    ]
    scenes = parse_scenes(spec)
    assert [s.image for s in scenes] == ["coins", "gravel"]
    frames = render_frames(64, 32, 6, scenes)
    assert frames.shape == (6, 32, 64, 3)
    # a hard cut between frame 2 (coins) and 3 (gravel); coins is grey, replicated to RGB
    assert np.abs(frames[3].astype(int) - frames[2]).mean() > np.abs(frames[1].astype(int) - frames[0]).mean()
    assert (frames[0, ..., 0] == frames[0, ..., 1]).all()
    assert render_frames(64, 32, 6).shape == (6, 32, 64, 3) and len(DEFAULT_SCENES) == 3


@pytest.mark.parametrize(
    "entry,message",
    [
        ({"image": "coins", "start": [0, 0, 1, 1]}, "needs image, start and end"),
        ({"image": "coins", "start": [0.5, 0, 0.2, 1], "end": [0, 0, 1, 1]}, "must be x0 < x1"),
        ({"image": "coins", "start": [0, 0, 1], "end": [0, 0, 1, 1]}, "must be x0 < x1"),
    ],
)
def test_bad_scenes_are_named(entry, message):
    with pytest.raises(StdoError, match=message):
        parse_scenes([entry])
