"""Render the embedded demo video from real photographs shipped in ``skimage.data``.

Scenes are camera moves (pans and zooms) over one photograph each, joined by hard cuts;
the result is encoded with libx264 through PyAV, so every later stage reads it exactly as
it would read a user's video. No network is needed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from stdo.core import io
from stdo.core.errors import StdoError
from stdo.video import codec
from stdo.video.photos import DEFAULT_SCENES, Scene, load_photo


def scene_bounds(scenes: tuple[Scene, ...], n_frames: int, fps: float | None = None) -> np.ndarray:
    """Frame index of every scene's first frame, and ``n_frames`` last (``len(scenes) + 1``).

    Scenes with ``seconds`` last that long; the others share what is left equally. Every
    boundary is a cumulative time rounded to the nearest frame (``round(t * fps)``), so lengths
    that are whole frames land exactly and rounding never accumulates. Without any ``seconds``
    the scenes split the frames equally and ``fps`` is not needed."""
    given = [s.seconds for s in scenes if s.seconds is not None]
    if not given:
        return np.linspace(0, n_frames, len(scenes) + 1).round().astype(int)
    if fps is None:
        raise StdoError("scenes with their own seconds need the frame rate")
    total = n_frames / fps
    rest = total - sum(given)
    free = len(scenes) - len(given)
    if rest < -0.5 / fps or (free == 0 and rest > 0.5 / fps):
        raise StdoError(
            f"demo scenes last {sum(given):g} s in all but the video is {total:g} s ({n_frames} frames "
            f"at {fps:g} fps): the scenes' seconds must add up to the video's"
        )
    share = max(rest, 0.0) / free if free else 0.0
    lengths = [share if s.seconds is None else s.seconds for s in scenes]
    bounds = np.round(np.concatenate([[0.0], np.cumsum(lengths)]) * fps).astype(int)
    bounds[-1] = n_frames
    if (np.diff(bounds) < 1).any():
        raise StdoError(
            f"every demo scene needs at least one frame; frames per scene: {np.diff(bounds).tolist()}"
        )
    return bounds


def render_frames(
    width: int,
    height: int,
    n_frames: int,
    scenes: tuple[Scene, ...] = DEFAULT_SCENES,
    fps: float | None = None,
) -> np.ndarray:
    """``[n_frames, height, width, 3]`` uint8: the scenes one after another, hard cuts between
    them, each as long as :func:`scene_bounds` gives (equal lengths unless scenes give seconds)."""
    if width % 2 or height % 2:
        raise StdoError(f"demo frame size {width}x{height} must be even (H.264 4:2:0)")
    if n_frames < len(scenes):
        raise StdoError(f"demo needs at least {len(scenes)} frames, got {n_frames}")
    out = np.empty((n_frames, height, width, 3), dtype=np.uint8)
    bounds = scene_bounds(scenes, n_frames, fps)
    for scene, a, b in zip(scenes, bounds[:-1], bounds[1:], strict=True):
        photo = Image.fromarray(load_photo(scene.image))
        pw, ph = photo.size
        s0, s1 = np.array(scene.start), np.array(scene.end)
        for i in range(a, b):
            t = (i - a) / max(1, b - a - 1)
            x0, y0, x1, y1 = (s0 + (s1 - s0) * t) * np.array([pw, ph, pw, ph])
            out[i] = np.asarray(photo.resize((width, height), Image.Resampling.LANCZOS, box=(x0, y0, x1, y1)))
    return out


def encode(frames: np.ndarray, path: Path, fps: int, crf: int) -> None:
    """Encode RGB frames to H.264 (yuv420p) in an MP4 container, atomically."""
    codec.write_mp4(frames, path, fps, crf=crf, preset="medium")


def parse_scenes(spec: list[dict]) -> tuple[Scene, ...]:
    """Scenes from config entries ``{image, start, end[, seconds]}`` (boxes in relative units)."""
    scenes = []
    for i, entry in enumerate(spec):
        try:
            start, end = tuple(float(v) for v in entry["start"]), tuple(float(v) for v in entry["end"])
            image = str(entry["image"])
        except (KeyError, TypeError, ValueError) as e:
            raise StdoError(f"demo scene {i}: needs image, start and end ([x0, y0, x1, y1]): {e}") from None
        try:
            seconds = None if entry.get("seconds") is None else float(entry["seconds"])
        except (TypeError, ValueError):
            raise StdoError(f"demo scene {i} ({image}): seconds must be a number") from None
        if seconds is not None and not seconds > 0:
            raise StdoError(f"demo scene {i} ({image}): seconds must be positive, got {seconds:g}")
        for box in (start, end):
            if len(box) != 4 or not (0 <= box[0] < box[2] <= 1 and 0 <= box[1] < box[3] <= 1):
                raise StdoError(
                    f"demo scene {i} ({image}): box {list(box)} must be x0 < x1, y0 < y1 in [0, 1]"
                )
        scenes.append(Scene(image, start, end, seconds))  # type: ignore[arg-type]
    if not scenes:
        raise StdoError("demo_video.scenes is empty")
    return tuple(scenes)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo demo", description=__doc__)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--height", type=int, required=True)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--crf", type=int, default=12)
    p.add_argument(
        "--scenes", type=json.loads, default=None, help="JSON list of {image, start, end[, seconds]}"
    )
    args = p.parse_args(argv)
    with io.stage_errors("demo"):
        scenes = parse_scenes(args.scenes) if args.scenes is not None else DEFAULT_SCENES
        n = int(round(args.seconds * args.fps))
        bounds = scene_bounds(scenes, n, args.fps)
        encode(render_frames(args.width, args.height, n, scenes, args.fps), args.out, args.fps, args.crf)
        io.write_sidecar(
            args.out,
            stage="demo",
            params=vars(args)
            | {
                "out": str(args.out),
                "scenes": [s.image for s in scenes],
                "scene_starts": bounds[:-1].tolist(),
            },
        )


if __name__ == "__main__":
    main()
