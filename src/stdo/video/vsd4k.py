"""Read VSD4K clips (the dataset of CaFM, ICCV 2021) into the arrays the rest of the DAG uses.

Layout of one clip directory (e.g. ``VSD4K/game/game_15s_1``)::

    DIV2K_train_HR/00001.png ...                      HR frames
    DIV2K_train_LR_bicubic/X{s}/00001_x{s}.png ...    the dataset's own LR frames

HR frames become ``hr.npy`` (through :mod:`stdo.video.ingest`); the dataset's LR frames are used as
they are (not recomputed) for each scale (through :mod:`stdo.video.degrade`). A video may be several
clips played one after another (the paper's 90-second game-45s + vlog-45s video). The frame
range and crop of the video entry apply to the concatenation; a crop must be a multiple of the
scale so that HR and LR stay aligned.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stdo.core import io
from stdo.core.errors import StdoError
from stdo.core.frames import parse_range

HR_DIR = "DIV2K_train_HR"
LR_DIR = "DIV2K_train_LR_bicubic"


def hr_frames(clip: Path) -> list[Path]:
    d = Path(clip) / HR_DIR
    if not d.is_dir():
        raise StdoError(f"{clip}: no {HR_DIR}/ directory; is this a VSD4K clip directory?")
    files = sorted(d.glob("*.png"))
    if not files:
        raise StdoError(f"{d}: holds no PNG frames")
    return files


def lr_path(clip: Path, hr_file: Path, scale: int) -> Path:
    return Path(clip) / LR_DIR / f"X{scale}" / f"{hr_file.stem}_x{scale}.png"


def frame_list(
    clips: list[Path], frames: Sequence[int | None] | None, clip_frames: int | None = None
) -> list[tuple[Path, Path]]:
    """(clip, HR file) pairs of the concatenated clips, each clip cut to its first ``clip_frames``
    frames (the STDO authors' ``VSD4K.py`` ``generate_test_data``: ``frame[0:num_frames]``,
    ``num_frames = time * 30``; None: all), then restricted to ``[start, stop)``."""
    pairs = []
    for c in clips:
        files = hr_frames(Path(c))
        if clip_frames is not None:
            if len(files) < clip_frames:
                raise StdoError(f"{c}: {len(files)} frames, fewer than clip_frames {clip_frames}")
            files = files[:clip_frames]
        pairs += [(Path(c), f) for f in files]
    if frames:
        start, stop = parse_range(frames)
        stop = len(pairs) if stop is None else stop
        if stop > len(pairs):
            raise StdoError(
                f"frame range [{start}, {stop}) asked for, but the clips have {len(pairs)} frames"
            )
        pairs = pairs[start:stop]
    return pairs


def _read(path: Path) -> np.ndarray:
    return io.read_image(path, "; the clip is incomplete or damaged (download it again)")


def _crop(img: np.ndarray, crop: list[int] | None, factor: int, where: Path) -> np.ndarray:
    if not crop:
        return img
    x, y, w, h = (int(v) for v in crop)
    if any(v % factor for v in (x, y, w, h)):
        raise StdoError(
            f"crop {crop} is not a multiple of x{factor}; VSD4K's LR frames are given, so the crop "
            f"must divide by every scale to keep HR and LR aligned"
        )
    x, y, w, h = x // factor, y // factor, w // factor, h // factor
    if x + w > img.shape[1] or y + h > img.shape[0]:
        raise StdoError(f"{where}: crop {crop} falls outside the {img.shape[1]}x{img.shape[0]} frame")
    return img[y : y + h, x : x + w]


def read_hr(pairs: list[tuple[Path, Path]], crop: list[int] | None = None) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for _, f in pairs:
        img = _crop(_read(f), crop, 1, f)
        if out and img.shape != out[0].shape:
            raise StdoError(f"{f}: size {img.shape[1]}x{img.shape[0]} differs from the first frame's")
        out.append(np.ascontiguousarray(img))
    return out


def read_lr(
    pairs: list[tuple[Path, Path]], scale: int, hr_size: tuple[int, int], crop: list[int] | None = None
) -> np.ndarray:
    """The dataset's LR frames for ``scale``, checked against the HR size ``(height, width)``."""
    out = None
    for i, (clip, f) in enumerate(pairs):
        path = lr_path(clip, f, scale)
        img = _read(path)
        if crop:
            img = _crop(img, crop, scale, path)
        want = (hr_size[0] // scale, hr_size[1] // scale)
        if img.shape[:2] != want:
            raise StdoError(
                f"{path}: LR frame is {img.shape[1]}x{img.shape[0]}, expected {want[1]}x{want[0]} "
                f"(HR / x{scale})"
            )
        if out is None:
            out = np.empty((len(pairs), *img.shape), np.uint8)
        out[i] = img
    assert out is not None
    return out
