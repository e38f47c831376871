"""Decode a video file (anything PyAV reads) into HR frames: uint8 RGB ``[T, H, W, 3]``.

Frames are written to a memory-mappable ``.npy`` with ``meta.json`` beside it (fps, frame
count, size, the frame range and crop used, the codec and the SHA-256 of the source file).
A file that is not a video, has no video stream, or is truncated stops the stage with a
message naming the file; nothing is left at the output paths.
"""

from __future__ import annotations

import argparse
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from tqdm import tqdm

from stdo import io
from stdo.errors import StdoError


def _parse_range(frames: list[int] | None) -> tuple[int, int | None]:
    if not frames:
        return 0, None
    start, stop = int(frames[0]), (None if frames[1] is None else int(frames[1]))
    if start < 0 or (stop is not None and stop <= start):
        raise StdoError(f"frame range {frames} is empty or negative; use [start, stop) with stop > start")
    return start, stop


def decode(
    path: Path, frames: list[int] | None = None, crop: list[int] | None = None, progress: bool = True
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Decode ``path`` to a list of RGB frames and a metadata dict."""
    start, stop = _parse_range(frames)
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
        try:
            bar = tqdm(desc=f"decode {path.name}", unit="frame", disable=not progress, total=expected)
            for frame in container.decode(stream):
                if stop is not None and decoded >= stop:
                    break
                if decoded >= start:
                    img = frame.to_ndarray(format="rgb24")
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
    if not out:
        raise StdoError(f"{path}: no frames decoded in range [{start}, {stop})")
    if stop is not None and start + len(out) < stop:
        raise StdoError(
            f"{path}: frame range [{start}, {stop}) asked for, but the video has only "
            f"{start + len(out)} frames"
        )
    meta = {
        "source": str(path),
        "source_sha256": io.sha256_file(path),
        "codec": codec,
        "fps": fps,
        "fps_fraction": str(Fraction(rate)) if rate else None,
        "source_width": width,
        "source_height": height,
        "frame_range": [start, start + len(out)],
        "crop": crop,
        "frames": len(out),
        "height": int(out[0].shape[0]),
        "width": int(out[0].shape[1]),
    }
    return out, meta


def ingest(
    path: Path,
    out_frames: Path,
    out_meta: Path,
    frames: list[int] | None = None,
    crop: list[int] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    imgs, meta = decode(path, frames, crop, progress)
    with io.array_writer(out_frames, (len(imgs), *imgs[0].shape), np.uint8) as arr:
        for i, img in enumerate(imgs):
            arr[i] = img
    io.write_json(out_meta, meta)
    return meta


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo ingest", description=__doc__)
    p.add_argument("--video", required=True, type=Path)
    p.add_argument("--frames", type=json.loads, default=None, help="JSON [start, stop)")
    p.add_argument("--crop", type=json.loads, default=None, help="JSON [x, y, width, height]")
    p.add_argument("--out-frames", required=True, type=Path)
    p.add_argument("--out-meta", required=True, type=Path)
    a = p.parse_args(argv)
    with io.stage_errors("ingest"):
        meta = ingest(a.video, a.out_frames, a.out_meta, a.frames, a.crop)
        for out in (a.out_frames, a.out_meta):
            io.write_sidecar(
                out, stage="ingest", params={"frames": a.frames, "crop": a.crop}, inputs=[a.video]
            )
        print(json.dumps(meta))


if __name__ == "__main__":
    main()
