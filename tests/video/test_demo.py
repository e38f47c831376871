"""The demo video's scenes: configurable camera moves over packaged photographs."""

import numpy as np
import pytest

from stdo.core.errors import StdoError
from stdo.video.demo import DEFAULT_SCENES, parse_scenes, render_frames, scene_bounds


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


def _cut_frames(frames: np.ndarray) -> list[int]:
    """Frames where a new scene starts (the scenes here hold the camera still: within a scene
    frames differ by the encoder's noise only, across a cut by far more)."""
    diff = np.abs(np.diff(frames.astype(int), axis=0)).mean(axis=(1, 2, 3))
    return (np.flatnonzero(diff > 10) + 1).tolist()


def test_scene_seconds_put_the_cuts_where_the_lengths_say():
    """Unequal lengths (in seconds, at 10 fps): 7, 4 and 9 frames, so cuts at frames 7 and 11;
    a scene without seconds takes an equal share of what is left."""
    boxes = {"start": [0, 0, 0.5, 0.5], "end": [0, 0, 0.5, 0.5]}  # a still camera
    spec = [
        {"image": "coins", "seconds": 0.7} | boxes,
        {"image": "astronaut", "seconds": 0.4} | boxes,
        {"image": "gravel", "seconds": 0.9} | boxes,
    ]
    scenes = parse_scenes(spec)
    assert scene_bounds(scenes, 20, fps=10).tolist() == [0, 7, 11, 20]
    frames = render_frames(64, 32, 20, scenes, fps=10)
    assert _cut_frames(frames) == [7, 11]
    # the first scene's frames are coins (grey), the second's astronaut (colour)
    assert (frames[6, ..., 0] == frames[6, ..., 1]).all() and not (
        frames[7, ..., 0] == frames[7, ..., 1]
    ).all()
    # the last scene without seconds: 2.0 - 1.1 s = 9 frames
    rest = parse_scenes(spec[:2] + [{"image": "gravel"} | boxes])
    assert scene_bounds(rest, 20, fps=10).tolist() == [0, 7, 11, 20]
    # without any seconds: equal lengths, as before
    assert scene_bounds(parse_scenes([{"image": "coins"} | boxes] * 3), 21).tolist() == [0, 7, 14, 21]


def test_the_demo_cli_renders_cuts_at_the_configured_seconds(tmp_path):
    """Through the CLI and the encoder: the decoded video cuts where the scene lengths put them
    (config/cpu.yaml's way of naming them), and the sidecar records the scene starts."""
    import json

    from stdo.video.demo import main

    boxes = {"start": [0, 0, 0.5, 0.5], "end": [0, 0, 0.5, 0.5]}  # a still camera
    spec = [
        {"image": "astronaut", "seconds": 0.5} | boxes,
        {"image": "coins", "seconds": 1.2} | boxes,
        {"image": "rocket", "seconds": 0.3} | boxes,
    ]
    out = tmp_path / "demo.mp4"
    main(["--out", str(out), "--width", "64", "--height", "32", "--fps", "10", "--seconds", "2",
          "--crf", "10", "--scenes", json.dumps(spec)])  # fmt: skip
    frames = _decode(out)
    assert frames.shape[0] == 20
    assert _cut_frames(frames) == [5, 17]
    sidecar = json.loads((tmp_path / "demo.mp4.prov.json").read_text())
    assert sidecar["params"]["scene_starts"] == [0, 5, 17]


def _decode(path) -> np.ndarray:
    import av

    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


@pytest.mark.parametrize(
    "seconds,message",
    [([0.5, 0.5, 0.5], "must add up to the video's"), ([1.5, 0.5, 0.5], "must add up to the video's")],
)
def test_scene_seconds_that_do_not_fill_the_video_are_refused(seconds, message):
    scenes = parse_scenes(
        [{"image": "coins", "start": [0, 0, 1, 1], "end": [0, 0, 1, 1], "seconds": s} for s in seconds]
    )
    with pytest.raises(StdoError, match=message):
        scene_bounds(scenes, 20, fps=10)
