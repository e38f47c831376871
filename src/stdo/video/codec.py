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

Every video file the package writes goes through one :class:`Writer` (frames pushed one at a
time, the file moved into place whole when closed): the LR streams (:func:`encode`) and the
H.264 MP4s people watch (:func:`mp4_writer`, :func:`write_mp4`: the demo video, the clips, the
client's SR video), each caller with its own quality (``crf``) and ``preset``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


class Writer:
    """A video file written one uint8 RGB ``[H, W, 3]`` frame at a time, atomically: the file
    appears whole when :meth:`close` succeeds, and not at all after ``close(ok=False)`` or a
    failure. As a context manager it closes ok unless the block raised. The stream (``codec``,
    ``options``, ``pix_fmt``, ``fps`` as an exact fraction to within 1/1001000) opens at the
    first frame's size, rounded up to a multiple of ``pad`` by repeating edge pixels (every frame
    must have that size). ``frames``: how many were written; ``payload_bytes``: the sum of the
    packets' sizes."""

    def __init__(
        self,
        path: str | Path,
        codec: str,
        fps: float | str | Fraction,
        *,
        options: Mapping[str, str],
        pix_fmt: str = "yuv420p",
        container: str = "matroska",
        pad: int = 1,
    ):
        import av

        self._av, self.path, self.codec, self.pad = av, Path(path), codec, pad
        self.rate = Fraction(str(fps)).limit_denominator(1001000)
        self._options, self._pix_fmt = dict(options), pix_fmt
        self.frames, self.payload_bytes = 0, 0
        self.size: tuple[int, int] = (0, 0)  # (height, width), set by the first frame
        self.coded_size: tuple[int, int] = (0, 0)  # padded to a multiple of ``pad``
        self._stream: Any = None
        self._ctx = io.atomic_path(self.path)
        tmp = self._ctx.__enter__()
        try:
            self._container = av.open(str(tmp), mode="w", format=container)
        except BaseException as e:
            self._ctx.__exit__(type(e), e, e.__traceback__)
            raise
        self._closed = False

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, typ: Any, value: Any, tb: Any) -> None:
        self.close(ok=typ is None)

    def _mux(self, packets: Any) -> None:
        for packet in packets:
            self.payload_bytes += packet.size
            self._container.mux(packet)

    def write(self, img: np.ndarray) -> None:
        img = np.asarray(img)
        if self._stream is None:
            h, w = img.shape[:2]
            self.size, self.coded_size = (h, w), (-(-h // self.pad) * self.pad, -(-w // self.pad) * self.pad)
            self._stream = self._container.add_stream(self.codec, rate=self.rate)
            self._stream.height, self._stream.width = self.coded_size
            self._stream.pix_fmt = self._pix_fmt
            self._stream.options = self._options
        if img.shape[:2] != self.size:
            raise StdoError(
                f"{self.path}: a {img.shape[1]}x{img.shape[0]} frame in a {self.size[1]}x{self.size[0]} video"
            )
        (h, w), (ch, cw) = self.size, self.coded_size
        if (ch, cw) != (h, w):
            img = np.pad(img, ((0, ch - h), (0, cw - w), (0, 0)), mode="edge")
        self._mux(self._stream.encode(self._av.VideoFrame.from_ndarray(img, format="rgb24")))
        self.frames += 1

    def close(self, ok: bool = True) -> None:
        """Flush the encoder and move the file into place (``ok``), or discard it; a file without
        a frame is a :class:`StdoError` (and discarded). Closing twice does nothing."""
        if self._closed:
            return
        self._closed = True
        error: BaseException | None = None if ok else RuntimeError("aborted")
        try:
            if ok and self._stream is not None:
                self._mux(self._stream.encode())
            self._container.close()
            if ok and self._stream is None:
                raise StdoError(f"{self.path}: no frames to write")
        except BaseException as e:
            error = error or e
            raise
        finally:
            self._ctx.__exit__(type(error) if error else None, error, None)


def mp4_writer(
    path: str | Path, fps: float | str | Fraction, *, crf: int, preset: str | None = None
) -> Writer:
    """An H.264 MP4 (libx264, ``yuv420p``, frames padded to even sides) at quality ``crf`` and
    x264's ``preset`` (its default, medium, when not given): the videos people watch."""
    options = {"crf": str(crf), **({"preset": preset} if preset is not None else {})}
    return Writer(path, "libx264", fps, options=options, container="mp4", pad=2)


def write_mp4(
    frames: Iterable[np.ndarray],
    path: str | Path,
    fps: float | str | Fraction,
    *,
    crf: int,
    preset: str | None = None,
) -> int:
    """Write ``frames`` as an H.264 MP4 (:func:`mp4_writer`); returns how many were written."""
    with mp4_writer(path, fps, crf=crf, preset=preset) as writer:
        for img in frames:
            writer.write(img)
    return writer.frames


def encode(frames: np.ndarray, path: str | Path, spec: Mapping[str, Any] | None, fps: float | str) -> dict:
    """Encode uint8 RGB frames ``[T, H, W, 3]`` to ``path`` (Matroska), atomically; returns the
    stream's record: the codec setting, fps, frames, size, coded size, file bytes and payload
    bytes (sum of packet sizes)."""
    import av

    spec = normalise(spec)
    t, h, w, _ = frames.shape
    if spec["codec"] != "ffv1" and (h % 2 or w % 2):
        raise StdoError(f"{spec['codec']} (yuv420p) needs even frame sizes, got {w}x{h}")
    lossless = spec["codec"] == "ffv1"
    try:
        with Writer(
            path,
            spec["codec"],
            fps,
            options=_options(spec),
            pix_fmt="bgr0" if lossless else "yuv420p",
            pad=1 if lossless else _PAD.get(spec["codec"], 2),  # yuv420p needs even sizes
        ) as writer:
            for img in frames:
                writer.write(img)
    except av.error.FFmpegError as e:
        raise StdoError(f"{path}: encoding with {spec['codec']} failed ({e})") from e
    ch, cw = writer.coded_size
    return {
        "codec": spec,
        "fps": str(writer.rate),
        "frames": int(t),
        "size": [int(h), int(w)],
        "coded_size": [int(ch), int(cw)],
        "bytes": Path(path).stat().st_size,
        "payload_bytes": int(writer.payload_bytes),
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
