"""``stdo upscale BUNDLE -o out.mp4``: the client that plays a bundle back.

It checks the bundle (:func:`stdo.delivery.bundle.load_checked`: every part's size and SHA-256
against the manifest; each model's scale and backbone; the map's grid and frame count; then the
stream's frame count and size), decodes the LR stream, sends every LR patch through the model its
method routes it to (:func:`stdo.methods.route` and :class:`stdo.sr.routed.RoutedSR`, as
:mod:`stdo.sr.evaluate` does: STDO by the packed patch-to-chunk map, NAS/CaFM by time segment, the
others to the one model), stitches the SR patches into frames, writes them as H.264 (``libx264``,
``--crf``, yuv420p) in an MP4 and prints frames per second. With ``--hr`` (HR frames as ``.npy``,
or a video file PyAV reads) it prints the PSNR of the SR frames (before the MP4's own encoding:
the frames the client displays) against them, under :mod:`stdo.core.metrics`' convention: RGB, range
255, no shave, the MSE pooled over every pixel of the video (an exact integer sum of squared
errors here).

Like the evaluate stage, the client super-resolves patch by patch for every method, so that its
frames are exactly the ones evaluate measured (a single-model method could run whole frames, and
would then differ at patch borders). With ``rate.model_dtype: float32`` bundles the client's PSNR
equals evaluate's; float16 bundles round each weight to float16 (the client computes in float32),
which moves PSNR by hundredths of a dB (tested with a tolerance, see tests/delivery).

A bundle whose models are sent as deltas (``rate.model_coding: delta``) needs ``--generic MODEL``,
the generic model they were made against (the client's copy, shipped once): the models are
rebuilt from it and the deltas (:mod:`stdo.delivery.delta`), and a generic model whose weight hash
is not the one the manifest names is refused, as is a truncated or damaged delta.

``--backend torch`` (default) rebuilds the models with :func:`stdo.models.modelfile.load_model`;
``--backend litert`` converts each model (each CaFM time segment as its own graph, as
:mod:`stdo.device.export` does) at the LR patch size with litert-torch and runs the LiteRT
interpreter (needs ``pip install -e ".[export]"``; conversion takes seconds per graph and is not
counted in fps).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from stdo import methods
from stdo.core import io, runtime
from stdo.core.errors import StdoError
from stdo.core.metrics import mse_to_psnr
from stdo.core.progress import bar as progress_bar
from stdo.delivery import bundle as bundle_mod
from stdo.device import export
from stdo.sr.litert import LiteRTModels
from stdo.sr.routed import RoutedSR, TorchModels, torch_modules
from stdo.video import codec
from stdo.video.patches import index_table, split, stitch

BACKENDS = ("torch", "litert")
REBUILD = bundle_mod.REBUILD


@dataclass
class Bundle:
    root: Path
    manifest: dict[str, Any]
    sr: RoutedSR  # its models (PyTorch) and the group of every patch, id order


def open_bundle(
    path: str | Path, device: torch.device | str = "cpu", generic: str | Path | None = None
) -> Bundle:
    """Check a bundle (:func:`stdo.delivery.bundle.load_checked`) and route its patches through
    its models with PyTorch; a damaged or mismatched bundle is a :class:`StdoError` saying which
    part is wrong and what to do. A delta bundle (``rate.model_coding: delta``) needs the
    ``generic`` model its deltas were made against."""
    b = bundle_mod.load_checked(path, device, generic)
    m = b.manifest
    index = index_table(int(m["frames"]), m["grid"]["cols"], m["grid"]["rows"])
    routing = methods.route(m["method"], index=index, chunks=b.chunks)
    try:
        sr = RoutedSR(
            TorchModels([model for model, _ in b.models], device),
            routing,
            groups=methods.method_groups(m["method"]),
            grid=(m["grid"]["cols"], m["grid"]["rows"]),
            what=f"method {m['method']!r}",
        )
    except StdoError as e:
        raise StdoError(f"{e}; {REBUILD}") from None
    return Bundle(b.root, m, sr)


def litert(b: Bundle, workdir: Path) -> RoutedSR:
    """The bundle's :class:`RoutedSR` with LiteRT: each group's graph converted at the LR patch
    size (float32) into ``workdir``."""
    try:
        import litert_torch  # noqa: F401
    except ImportError as e:
        raise StdoError('--backend litert needs litert-torch: pip install -e ".[export]"') from e
    files = export.convert_groups(torch_modules(b.sr), tuple(b.manifest["grid"]["lr_patch"]), workdir)
    return replace(b.sr, models=LiteRTModels(files))


def _reference(path: Path) -> Iterator[np.ndarray]:
    if path.suffix == ".npy":
        arr = io.open_array(path)
        for i in range(len(arr)):
            yield np.asarray(arr[i])
    else:
        yield from codec.iter_decode(path)


def check_output(out: Path, bundle: Path, hr: Path | None, *, force: bool = False) -> None:
    """Refuse an output path that would destroy an input: the ``--hr`` reference, anything inside
    the bundle, a directory, or (without ``force``) any existing file."""
    root = (bundle.parent if bundle.name == "manifest.json" else bundle).resolve()
    target = out.resolve()
    if hr is not None and hr.exists() and target == hr.resolve():
        raise StdoError(f"-o {out} is the --hr reference; write the SR video to another file")
    if target == root or root in target.parents:
        raise StdoError(f"-o {out} lies inside the bundle {root}; write the SR video outside it")
    if out.is_dir():
        raise StdoError(f"-o {out} is a directory; give a file name, e.g. -o {out / 'sr.mp4'}")
    if out.exists() and not force:
        raise StdoError(f"-o {out} exists; pass --force to replace it, or choose another name")


def upscale(
    bundle: str | Path,
    out: str | Path,
    *,
    backend: str = "torch",
    hr: str | Path | None = None,
    crf: int = 18,
    window: int = 8,
    device: str = "cpu",
    progress: bool | None = None,
    force: bool = False,
    generic: str | Path | None = None,
) -> dict[str, Any]:
    """Play a bundle back into ``out`` (H.264 MP4); returns frames, seconds, fps and PSNR (with
    ``hr``). ``window`` frames are super-resolved together (each group's patches in one batch).
    ``out`` may not be the reference, lie inside the bundle or be a directory; an existing file is
    replaced only with ``force`` (see :func:`check_output`)."""
    if backend not in BACKENDS:
        raise StdoError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    check_output(Path(out), Path(bundle), Path(hr) if hr is not None else None, force=force)
    dev = runtime.resolve_device(device)
    b = open_bundle(bundle, dev, generic)
    m = b.manifest
    cols, rows, frames = m["grid"]["cols"], m["grid"]["rows"], int(m["frames"])
    per = cols * rows
    with tempfile.TemporaryDirectory() as tmp:
        routed = b.sr if backend == "torch" else litert(b, Path(tmp))
        reference = _reference(Path(hr)) if hr is not None else None
        stream = codec.iter_decode(b.root / m["stream"]["file"], tuple(m["lr_size"]), frames)
        writer = codec.mp4_writer(Path(out), m.get("fps_fraction") or str(m["fps"]), crf=crf, preset="medium")
        sse, pixels, done, sr_seconds, ok = 0, 0, 0, 0.0, False
        bar = progress_bar(
            total=frames,
            unit="frame",
            desc="upscale",
            disable=(frames < 100) if progress is None else not progress,
        )
        t0 = time.perf_counter()
        try:
            while done < frames:
                lr = [next(stream) for _ in range(min(window, frames - done))]
                t1 = time.perf_counter()
                patches = split(np.stack(lr), cols, rows)
                sr_frames = stitch(routed.window(done * per, (done + len(lr)) * per)(patches), cols, rows)
                sr_seconds += time.perf_counter() - t1
                for img in sr_frames:
                    writer.write(img)
                    if reference is not None:
                        ref = next(reference, None)
                        if ref is None:
                            raise StdoError(f"{hr}: the reference ends before frame {done + 1} of {frames}")
                        if ref.shape != img.shape:
                            raise StdoError(
                                f"{hr}: reference frames are {ref.shape[1]}x{ref.shape[0]}, "
                                f"the bundle's SR frames {img.shape[1]}x{img.shape[0]}"
                            )
                        sse += int(((img.astype(np.int64) - ref.astype(np.int64)) ** 2).sum())
                        pixels += img.size
                    done += 1
                bar.update(len(lr))
            for _ in stream:  # the stream's own frame count check
                pass
            if reference is not None and next(reference, None) is not None:
                raise StdoError(f"{hr}: the reference has more frames than the bundle's {frames}")
            ok = True
        except StopIteration:
            raise StdoError(
                f"{b.root}: the stream ended before frame {done + 1} of {frames}; {REBUILD}"
            ) from None
        finally:
            bar.close()
            writer.close(ok)
        seconds = time.perf_counter() - t0
    return {
        "bundle": str(b.root),
        "out": str(out),
        "backend": backend,
        "method": m["method"],
        "frames": frames,
        "seconds": seconds,
        "fps": frames / seconds,
        "sr_fps": frames / sr_seconds if sr_seconds else None,
        "psnr": mse_to_psnr(sse / pixels) if reference is not None else None,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="stdo upscale", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("bundle", type=Path, help="a bundle directory (or its manifest.json)")
    p.add_argument("-o", "--out", required=True, type=Path, help="the MP4 to write (H.264)")
    p.add_argument("--force", action="store_true", help="replace the -o file if it exists")
    p.add_argument("--backend", default="torch", choices=BACKENDS)
    p.add_argument("--hr", type=Path, default=None, help="HR reference (.npy frames or a video): prints PSNR")
    p.add_argument("--crf", type=int, default=18, help="x264 quality of the output MP4")
    p.add_argument("--generic", type=Path, default=None,
                   help="the generic model a delta bundle's models are differences from (its weight hash "
                        "must be the one the bundle names)")  # fmt: skip
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--json", type=Path, default=None, help="also write the result as JSON here")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: on for videos of 100 frames or more)")  # fmt: skip
    args = p.parse_args(argv)
    with io.stage_errors("upscale"):
        runtime.set_threads(args.threads)
        result = upscale(
            args.bundle,
            args.out,
            backend=args.backend,
            hr=args.hr,
            crf=args.crf,
            device=args.device,
            progress=args.progress,
            force=args.force,
            generic=args.generic,
        )
        line = f"{result['frames']} frames in {result['seconds']:.2f} s: {result['fps']:.1f} fps"
        line += f" (super-resolution alone {result['sr_fps']:.1f} fps)" if result["sr_fps"] else ""
        if result["psnr"] is not None:
            line += f"; PSNR {result['psnr']:.4f} dB against {args.hr}"
        print(line)
        if args.json:
            io.write_json(args.json, result)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
