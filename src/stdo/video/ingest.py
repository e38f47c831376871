"""Decode a video file (anything PyAV reads) into HR frames: uint8 RGB ``[T, H, W, 3]``.

Frames are written to a memory-mappable ``.npy`` with ``meta.json`` beside it (fps, frame
count, size, the frame range and crop used, the codec and the SHA-256 of the source file).
A display matrix (a phone's portrait video) is applied, turning the frames upright, and recorded
(``display_rotation``); a variable frame rate is recorded (``vfr``, ``frame_duration_s``) with a
warning, since NAS and CaFM segments are cut by frame count at the average rate.
A file that is not a video, has no video stream, or is truncated stops the stage with a
message naming the file; nothing is left at the output paths.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from stdo.core import cliargs, io
from stdo.core.errors import StdoError
from stdo.core.frames import cafm_split, count_in, parse_range
from stdo.core.progress import bar as progress_bar


def probe_video(path: Path, frames: Sequence[int | None] | None = None) -> tuple[int, float] | None:
    """Frames (in the frame range when given) and frames per second of the video in ``path``,
    from the container's headers without decoding; ``None`` when the file does not say."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            total = stream.frames or (
                round(float(container.duration) / 1e6 * float(rate)) if container.duration and rate else 0
            )
    except (av.error.FFmpegError, OSError):
        return None
    if not rate or not total:
        return None
    return count_in(frames, total), float(rate)


ON_CORRUPT = ("error", "skip")
VFR_TOLERANCE = 0.02  # frame durations further apart than this (relative) and 2 ticks: variable rate


def _display_turns(frame: av.VideoFrame, path: Path) -> int:
    """Quarter turns counter-clockwise (``np.rot90``'s k) that show ``frame`` as its display
    matrix says (a phone's portrait video is stored landscape with one); 0 without a matrix. A
    matrix that mirrors the picture or turns it by other than a multiple of 90 degrees is refused."""
    display = av.sidedata.sidedata.Type.DISPLAYMATRIX  # type: ignore[attr-defined]  # PyAV's stubs lack it
    matrix = next((d for d in frame.side_data if d.type == display), None)  # type: ignore[attr-defined]
    if matrix is None:
        return 0
    a, b, _, c, d, *_ = np.frombuffer(bytes(matrix), "<i4").astype(np.int64)  # type: ignore[arg-type]
    degrees = frame.rotation
    if a * d - b * c < 0 or degrees % 90:
        what = "mirrors the picture" if a * d - b * c < 0 else f"turns the picture by {degrees} degrees"
        raise StdoError(
            f"{path}: its display matrix {what}, which ingest does not apply; re-encode it upright "
            "(ffmpeg -i IN -c:v libx264 OUT applies the matrix) and use that file"
        )
    return (degrees // 90) % 4


def frame_timing(pts: list[int], time_base: Fraction | None) -> dict[str, Any]:
    """Whether decoded presentation times ``pts`` (ticks of ``time_base``) are evenly spaced:
    ``vfr`` and the shortest and longest frame duration in seconds (null when unknown)."""
    ticks = np.diff(np.sort(np.asarray(pts, np.int64)))
    if not time_base or len(ticks) == 0 or ticks.min() <= 0:
        return {"vfr": False, "frame_duration_s": None}
    lo, hi = int(ticks.min()), int(ticks.max())
    vfr = hi - lo > max(2, VFR_TOLERANCE * float(np.median(ticks)))
    return {"vfr": bool(vfr), "frame_duration_s": [float(lo * time_base), float(hi * time_base)]}


def _ranges(ids: list[int]) -> str:
    """``[3, 4, 5, 9]`` as ``"3-5, 9"``."""
    parts, i = [], 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        parts.append(f"{ids[i]}" if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ", ".join(parts)


def decode(
    path: Path,
    frames: Sequence[int | None] | None = None,
    crop: list[int] | None = None,
    progress: bool = True,
    on_corrupt: str = "error",
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Decode ``path`` to a list of RGB frames and a metadata dict.

    A frame the decoder marks corrupt (it concealed damage in it: ``frame.is_corrupt``) and every
    frame after it up to the next keyframe (they are predicted from it) are damaged:
    ``on_corrupt="error"`` refuses the file naming them, ``"skip"`` drops them and lists them
    (video frame numbers) in the metadata's ``dropped_frames``."""
    if on_corrupt not in ON_CORRUPT:
        raise StdoError(f"on_corrupt must be one of {', '.join(ON_CORRUPT)}, got {on_corrupt!r}")
    start, stop = parse_range(frames)
    if not path.exists():
        raise StdoError(f"{path}: video file not found")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as e:
        raise StdoError(f"{path}: not a readable video ({e}); is the file a video, and complete?") from e
    out: list[np.ndarray] = []
    with container:
        if not container.streams.video:
            raise StdoError(f"{path}: contains no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        expected = stream.frames or None
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else None
        decoded = 0
        damaged: list[int] = []  # video frame numbers in the range that the decoder concealed errors in
        tainted = False  # a frame since the last keyframe was corrupt
        turns = None  # quarter turns of the display matrix (the first frame's; every frame's the same)
        pts: list[int] = []  # presentation times of the frames in the range
        try:
            bar = progress_bar(desc=f"decode {path.name}", unit="frame", disable=not progress, total=expected)
            for frame in container.decode(stream):
                if stop is not None and decoded >= stop:
                    break
                tainted = bool(frame.is_corrupt) or (tainted and not frame.key_frame)
                if decoded >= start and frame.pts is not None:
                    pts.append(frame.pts)
                if decoded >= start and tainted:
                    damaged.append(decoded)
                elif decoded >= start:
                    img = frame.to_ndarray(format="rgb24")
                    k = _display_turns(frame, path)
                    if turns is not None and k != turns:
                        raise StdoError(
                            f"{path}: the display rotation changes at frame {decoded} ({turns * 90} to "
                            f"{k * 90} degrees); cut the video where it changes (frames: [start, stop))"
                        )
                    turns = k
                    img = np.rot90(img, k) if k else img
                    if crop:
                        x, y, w, h = crop
                        if x < 0 or y < 0 or x + w > img.shape[1] or y + h > img.shape[0]:
                            raise StdoError(
                                f"{path}: crop {crop} (x, y, width, height) falls outside "
                                f"the {img.shape[1]}x{img.shape[0]} frame"
                            )
                        img = img[y : y + h, x : x + w]
                    out.append(np.ascontiguousarray(img))
                decoded += 1
                bar.update(1)
            bar.close()
        except av.error.FFmpegError as e:
            raise StdoError(
                f"{path}: decoding failed after {decoded} frames ({e}); the file is corrupt or truncated"
            ) from e
        if expected and stop is None and decoded < expected:
            raise StdoError(
                f"{path}: truncated: the stream declares {expected} frames but only "
                f"{decoded} could be decoded"
            )
        codec = stream.codec_context.name
        width, height = stream.codec_context.width, stream.codec_context.height
    if damaged and on_corrupt == "error":
        raise StdoError(
            f"{path}: damaged: {len(damaged)} frames ({_ranges(damaged)}) decode with concealed errors "
            "(the first is corrupt, the rest up to the next keyframe are predicted from it); re-encode "
            "or fetch the file again, or set on_corrupt: skip on the video (stdo ingest --on-corrupt "
            "skip) to drop them, recorded in meta.json"
        )
    timing = frame_timing(pts, stream.time_base)
    if timing["vfr"]:
        lo, hi = timing["frame_duration_s"]
        print(
            f"warning: {path}: variable frame rate: frames last {lo * 1000:.1f} to {hi * 1000:.1f} ms; "
            f"taken as its average {fps or 0:.3f} fps, so NAS and CaFM segments (cut by frame count) are not "
            "equal in time; for segments equal in time re-encode it at a constant rate first (ffmpeg "
            "-i IN -fps_mode cfr -r 30 OUT); recorded in meta.json (vfr, frame_duration_s)",
            file=sys.stderr,
            flush=True,
        )
    if turns:
        print(f"{path}: display matrix: turned {turns * 90} degrees counter-clockwise", flush=True)
    if damaged:
        print(f"{path}: dropped {len(damaged)} damaged frames: {_ranges(damaged)}", flush=True)
    if not out:
        raise StdoError(f"{path}: no frames decoded in range [{start}, {stop})")
    if stop is not None and start + len(out) + len(damaged) < stop:
        raise StdoError(
            f"{path}: frame range [{start}, {stop}) asked for, but the video has only "
            f"{start + len(out) + len(damaged)} frames"
        )
    meta = {
        "source": str(path),
        "source_sha256": io.sha256_file(path),
        "codec": codec,
        "fps": fps,
        "fps_fraction": str(Fraction(rate)) if rate else None,
        "source_width": width,
        "source_height": height,
        "frame_range": [start, start + len(out) + len(damaged)],
        "dropped_frames": damaged,
        "on_corrupt": on_corrupt,
        "crop": crop,
        "display_rotation": (turns or 0) * 90,
        **timing,
        "frames": len(out),
        "height": int(out[0].shape[0]),
        "width": int(out[0].shape[1]),
    }
    return out, meta


def fit_crop(height: int, width: int, multiple: tuple[int, int, int]) -> list[int] | None:
    """Centre crop ``[x, y, w, h]`` to the largest size whose width and height divide by
    ``multiple = (mw, mh, step)``, with offsets on multiples of ``step`` (every scale, so LR
    frames given by a dataset stay aligned). ``None`` when the frame already fits."""
    mw, mh, step = multiple
    w, h = (width // mw) * mw, (height // mh) * mh
    if w == 0 or h == 0:
        raise StdoError(
            f"frame size {width}x{height} is smaller than one patch grid ({mw}x{mh} pixels for every "
            "scale and patch_grid); use a larger video or a coarser patch_grid"
        )
    if (w, h) == (width, height):
        return None
    x, y = ((width - w) // 2 // step) * step, ((height - h) // 2 // step) * step
    return [x, y, w, h]


def compose_crops(first: list[int] | None, second: list[int] | None) -> list[int] | None:
    """One crop equal to cropping by ``first`` and then by ``second`` (``[x, y, w, h]``)."""
    if not first:
        return second
    if not second:
        return first
    return [first[0] + second[0], first[1] + second[1], second[2], second[3]]


def ingest_vsd4k(
    clips: list[Path],
    frames: Sequence[int | None] | None = None,
    crop: list[int] | None = None,
    duration_s: float | None = None,
    clip_frames: int | None = None,
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """HR frames of VSD4K clips (concatenated), with the same metadata keys as :func:`decode`.
    PNG frames carry no frame rate: with ``duration_s`` (the video's configured length, its
    ``duration_s`` or paper label) it is every frame of the clips over that length, so that the
    parts of a split share it; without it, ``fps`` is null. ``clip_frames``: the frames kept from
    the start of each clip (:func:`stdo.video.vsd4k.frame_list`)."""
    from stdo.video import vsd4k

    pairs = vsd4k.frame_list(clips, frames, clip_frames)
    imgs = vsd4k.read_hr(pairs, crop)
    start = parse_range(frames)[0]
    rate = None
    if duration_s:
        rate = Fraction(len(vsd4k.frame_list(clips, None, clip_frames)) / duration_s).limit_denominator(1001)
    meta = {
        "source": [str(c) for c in clips],
        "source_sha256": None,
        "codec": "png (VSD4K)",
        "fps": float(rate) if rate else None,
        "fps_fraction": str(rate) if rate else None,
        "source_width": None,
        "source_height": None,
        "frame_range": [start, start + len(imgs)],
        "first_frame": str(pairs[0][1]),
        "crop": crop,
        "clip_frames": clip_frames,
        "frames": len(imgs),
        "height": int(imgs[0].shape[0]),
        "width": int(imgs[0].shape[1]),
    }
    return imgs, meta


def ingest(
    path: Path | list[Path],
    out_frames: Path,
    out_meta: Path,
    frames: Sequence[int | None] | None = None,
    crop: list[int] | None = None,
    progress: bool = True,
    fit: str = "error",
    multiple: tuple[int, int, int] | None = None,
    split: str = "none",
    duration_s: float | None = None,
    clip_frames: int | None = None,
    on_corrupt: str = "error",
) -> dict[str, Any]:
    if isinstance(path, list):
        imgs, meta = ingest_vsd4k(path, frames, crop, duration_s, clip_frames)
    else:
        imgs, meta = decode(path, frames, crop, progress, on_corrupt)
    if split != "none":
        part = cafm_split(len(imgs))[0 if split == "train" else 1]
        imgs = imgs[part[0] : part[1]]
        first = meta["frame_range"][0]
        meta |= {"frame_range": [first + part[0], first + part[1]], "frames": len(imgs), "split": split}
        print(f"CaFM split: {split} frames {meta['frame_range']}", flush=True)
    extra = None
    if fit == "crop" and multiple:
        extra = fit_crop(meta["height"], meta["width"], multiple)
        if extra:
            x, y, w, h = extra
            print(f"fit: crop: {meta['width']}x{meta['height']} -> {w}x{h} at ({x}, {y})", flush=True)
            imgs = [np.ascontiguousarray(img[y : y + h, x : x + w]) for img in imgs]
            meta |= {"width": w, "height": h}
    meta |= {"fit": fit, "fit_crop": extra, "effective_crop": compose_crops(crop, extra)}
    with io.array_writer(out_frames, (len(imgs), *imgs[0].shape), np.uint8) as arr:
        for i, img in enumerate(imgs):
            arr[i] = img
    io.write_json(out_meta, meta)
    return meta


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo ingest", description=__doc__)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--video", type=Path, help="a video file PyAV reads")
    src.add_argument("--vsd4k", type=cliargs.path_list, help="VSD4K clip dirs")
    p.add_argument("--frames", type=json.loads, default=None, help="JSON [start, stop)")
    p.add_argument("--crop", type=json.loads, default=None, help="JSON [x, y, width, height]")
    p.add_argument("--fit", choices=["error", "crop"], default="error", help="sizes that do not fit")
    p.add_argument(
        "--multiple",
        type=lambda v: tuple(int(x) for x in v.split(",")),
        default=None,
        help="width,height,offset-step the frame must fit (with --fit crop)",
    )
    p.add_argument(
        "--split",
        choices=["none", "train", "test"],
        default="none",
        help="CaFM's frame split: train = frames 1..n, test = the next n/10",
    )
    p.add_argument(
        "--duration-s", type=float, default=None, help="VSD4K: the video's length, for its frame rate"
    )
    p.add_argument(
        "--clip-frames", type=int, default=None, help="VSD4K: frames kept from the start of each clip"
    )
    p.add_argument(
        "--on-corrupt",
        choices=ON_CORRUPT,
        default="error",
        help="frames the decoder marks damaged: refuse the file (error) or drop them (skip; listed "
        "in meta.json's dropped_frames)",
    )
    p.add_argument("--out-frames", required=True, type=Path)
    p.add_argument("--out-meta", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("ingest"):
        source = args.video if args.video is not None else args.vsd4k
        meta = ingest(
            source,
            args.out_frames,
            args.out_meta,
            args.frames,
            args.crop,
            fit=args.fit,
            multiple=args.multiple,
            split=args.split,
            duration_s=args.duration_s,
            clip_frames=args.clip_frames,
            on_corrupt=args.on_corrupt,
        )
        inputs = [args.video] if args.video is not None else []
        params = {
            "frames": args.frames,
            "crop": args.crop,
            "fit": args.fit,
            "multiple": args.multiple,
            "split": args.split,
            "duration_s": args.duration_s,
            "clip_frames": args.clip_frames,
            "on_corrupt": args.on_corrupt,
            "vsd4k": meta["source"] if args.vsd4k else None,
        }
        for out in (args.out_frames, args.out_meta):
            io.write_sidecar(out, stage="ingest", params=params, inputs=inputs)
        print(json.dumps(meta))


if __name__ == "__main__":
    main()
