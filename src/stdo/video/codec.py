"""A real LR stream: encode frames with a video codec through PyAV and decode them back.

``degrade.codec`` (config) names the codec of a video's LR stream, e.g. ``{codec: libx264, crf:
23}``: the bicubic LR frames are encoded with it, and training, scoring and evaluation use the
*decoded* frames, those a client receives (the NAS and NEMO setting). Supported: ``libx264``,
``libx265``, ``libvpx-vp9`` and ``libsvtav1`` (constant quality, ``crf``; ``preset`` optional),
all 8-bit ``yuv420p``. With the option off (the paper's clean-bicubic setting) the LR frames are
still written as a stream, losslessly with ``ffv1`` (RGB, ``bgr0``), so that a bundle counts the
bits a client would need to receive exactly those frames.

Choices not in the paper:

* The container is Matroska (``.mkv``) for every codec; a bundle counts the file's bytes (the
  container's few hundred bytes of overhead included), and the manifest records the payload
  (the sum of the packets' sizes) beside it.
* ``libvpx-vp9`` runs in constant-quality mode (``crf`` with a zero target bitrate, ``b: 0``),
  ``libx265`` with its log quiet. Single encoder thread for every codec: the stream is then the
  same bytes on every machine that has the same encoder build.
* PyAV 18's libx265 corrupts its heap on some small frame sizes (36x18 and 48x24 crash; sizes
  that are multiples of 32 do not): for libx265 frames are padded (edge pixels repeated) to a
  multiple of 32 and the decoder crops them back (:func:`decode` ``size``). The padding's bits
  are counted; it is a few percent at the demo's sizes and nothing at 1080p's multiples.
* Colour conversion: RGB to ``yuv420p`` and back with FFmpeg's swscale (BT.601, limited range),
  PyAV's defaults, both when encoding in the pipeline and when decoding in the client, so the
  client decodes exactly the frames the pipeline trained and evaluated on.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from stdo.core import io
from stdo.core.errors import StdoError

CODECS = ("libx264", "libx265", "libvpx-vp9", "libsvtav1")
LOSSLESS = {"codec": "ffv1"}  # the stream of clean (codec-off) LR frames
EXTENSION = ".mkv"
_PAD = {"libx265": 32}  # see the module docstring


def normalise(spec: Mapping[str, Any] | None) -> dict[str, Any]:
    """A codec setting from the config (``None``: lossless FFV1) with its defaults filled in; an
    unknown codec or key is a :class:`StdoError` naming what is allowed."""
    if not spec:
        return dict(LOSSLESS)
    spec = dict(spec)
    codec = spec.get("codec")
    if codec == "ffv1":
        return dict(LOSSLESS)
    if codec not in CODECS:
        raise StdoError(f"degrade.codec: unknown codec {codec!r}; use one of {', '.join(CODECS)} (or null)")
    unknown = set(spec) - {"codec", "crf", "preset"}
    if unknown:
        raise StdoError(f"degrade.codec: unknown key(s) {sorted(unknown)}; allowed: codec, crf, preset")
    if "crf" not in spec:
        raise StdoError(f"degrade.codec: {codec} needs a crf (constant-quality setting)")
    return {
        "codec": codec,
        "crf": int(spec["crf"]),
        **({"preset": spec["preset"]} if "preset" in spec else {}),
    }


def _options(spec: Mapping[str, Any]) -> dict[str, str]:
    codec = spec["codec"]
    if codec == "ffv1":
        return {"threads": "1"}
    opts = {"crf": str(spec["crf"]), "threads": "1"}
    if "preset" in spec:
        opts["preset"] = str(spec["preset"])
    if codec == "libx265":
        opts["x265-params"] = "log-level=error:pools=none:frame-threads=1"
        del opts["threads"]
    elif codec == "libvpx-vp9":
        opts["b"] = "0"
    elif codec == "libsvtav1":
        opts.pop("threads")
    return opts


def _padded(h: int, w: int, codec: str) -> tuple[int, int]:
    m = _PAD.get(codec, 2)  # yuv420p needs even sizes
    return -(-h // m) * m, -(-w // m) * m


def encode(frames: np.ndarray, path: str | Path, spec: Mapping[str, Any] | None, fps: float | str) -> dict:
    """Encode uint8 RGB frames ``[T, H, W, 3]`` to ``path`` (Matroska), atomically; returns the
    stream's record: the codec setting, fps, frames, size, coded size, file bytes and payload
    bytes (sum of packet sizes)."""
    import av

    spec = normalise(spec)
    t, h, w, _ = frames.shape
    if spec["codec"] != "ffv1" and (h % 2 or w % 2):
        raise StdoError(f"{spec['codec']} (yuv420p) needs even frame sizes, got {w}x{h}")
    ch, cw = _padded(h, w, spec["codec"]) if spec["codec"] != "ffv1" else (h, w)
    rate = Fraction(str(fps)).limit_denominator(1001000)
    payload = 0
    with io.atomic_path(path) as tmp:
        try:
            with av.open(str(tmp), mode="w", format="matroska") as container:
                stream = container.add_stream(spec["codec"], rate=rate)
                stream.width, stream.height = cw, ch
                stream.pix_fmt = "bgr0" if spec["codec"] == "ffv1" else "yuv420p"
                stream.options = _options(spec)
                for img in frames:
                    img = np.asarray(img)
                    if (ch, cw) != (h, w):
                        img = np.pad(img, ((0, ch - h), (0, cw - w), (0, 0)), mode="edge")
                    for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                        payload += packet.size
                        container.mux(packet)
                for packet in stream.encode():
                    payload += packet.size
                    container.mux(packet)
        except av.error.FFmpegError as e:
            raise StdoError(f"{path}: encoding with {spec['codec']} failed ({e})") from e
    return {
        "codec": spec,
        "fps": str(rate),
        "frames": int(t),
        "size": [int(h), int(w)],
        "coded_size": [int(ch), int(cw)],
        "bytes": Path(path).stat().st_size,
        "payload_bytes": int(payload),
    }


def decode(path: str | Path, size: tuple[int, int] | None = None, frames: int | None = None) -> np.ndarray:
    """Decode a stream to uint8 RGB frames ``[T, H, W, 3]``, cropped to ``size`` ``(h, w)`` (the
    frame size before any padding). With ``frames``, a stream that decodes to another number of
    frames (truncated, damaged) is a :class:`StdoError`."""
    return np.stack(list(iter_decode(path, size, frames)))


def iter_decode(path: str | Path, size: tuple[int, int] | None = None, frames: int | None = None):
    """Frames of a stream one by one (see :func:`decode`)."""
    import av

    path = Path(path)
    if not path.exists():
        raise StdoError(f"{path}: stream file not found")
    n = 0
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                img = frame.to_ndarray(format="rgb24")
                if size is not None:
                    if img.shape[0] < size[0] or img.shape[1] < size[1]:
                        raise StdoError(
                            f"{path}: decodes to {img.shape[1]}x{img.shape[0]} frames, "
                            f"expected {size[1]}x{size[0]}"
                        )
                    img = img[: size[0], : size[1]]
                n += 1
                if frames is not None and n > frames:
                    break
                yield np.ascontiguousarray(img)
    except (av.error.FFmpegError, OSError, EOFError) as e:
        raise StdoError(f"{path}: not a decodable video stream ({e}); it is damaged or truncated") from e
    if frames is not None and n != frames:
        raise StdoError(
            f"{path}: the stream decodes to {n} frames, {frames} expected; it is damaged or truncated"
        )


def round_trip(frames: np.ndarray, path: str | Path, spec: Mapping[str, Any] | None, fps: float | str):
    """Encode ``frames`` to ``path`` and decode them back: ``(decoded frames, stream record)``."""
    record = encode(frames, path, spec, fps)
    return decode(path, tuple(record["size"]), record["frames"]), record
