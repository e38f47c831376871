"""``stdo upscale BUNDLE -o out.mp4``: the client that plays a bundle back.

It checks the bundle (every part's size and SHA-256 against the manifest; each model's scale and
backbone; the map's grid and frame count; the stream's frame count and size), decodes the LR
stream, sends every LR patch through the model its method routes it to (:func:`stdo.methods.route`,
as :mod:`stdo.sr.evaluate` does: STDO by the packed patch-to-chunk map, NAS/CaFM by time segment, the
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

``--backend torch`` (default) rebuilds the models with :func:`stdo.models.modelfile.load_model`;
``--backend litert`` converts each model (each CaFM time segment as its own graph, as
:mod:`stdo.device.export` does) at the LR patch size with litert-torch and runs the LiteRT
interpreter (needs ``pip install -e ".[export]"``; conversion takes seconds per graph and is not
counted in fps).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from stdo import methods
from stdo.core import io, runtime
from stdo.core.errors import StdoError
from stdo.core.metrics import mse_to_psnr, quantize
from stdo.delivery import bundle as bundle_mod
from stdo.models import modelfile
from stdo.models.cafm import CaFM
from stdo.video import codec
from stdo.video.patches import index_table, split, stitch

BACKENDS = ("torch", "litert")
REBUILD = "rebuild the bundle (snakemake ... rate, or python -m stdo.delivery.bundle)"


@dataclass
class Bundle:
    root: Path
    manifest: dict[str, Any]
    models: list[tuple[torch.nn.Module, dict[str, Any]]]
    routing: np.ndarray  # group of every patch, id order


def _manifest(path: Path) -> tuple[Path, dict[str, Any]]:
    root = path.parent if path.name == "manifest.json" else path
    mpath = root / "manifest.json"
    if not mpath.exists():
        raise StdoError(
            f"{root}: not a bundle (no manifest.json); give a bundle directory made by the bundle rule"
        )
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise StdoError(f"{mpath}: not readable JSON ({e}); the bundle is damaged, {REBUILD}") from e
    if not isinstance(manifest, dict) or manifest.get("format") != bundle_mod.FORMAT:
        raise StdoError(f"{mpath}: not a {bundle_mod.FORMAT} manifest; {REBUILD}")
    check_manifest(mpath, manifest)
    return root, manifest


def _positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _pair(v: Any) -> bool:
    return isinstance(v, list) and len(v) == 2 and all(_positive_int(x) for x in v)


def _is_part(v: Any) -> bool:
    return isinstance(v, dict) and isinstance(v.get("file"), str) and "bytes" in v and "sha256" in v


def check_manifest(mpath: Path, m: dict[str, Any]) -> None:
    """Every key the client reads, with its type and its agreement with the others (sizes, scale,
    backbone, fps); a manifest that fails is a :class:`StdoError` naming the key."""

    def bad(key: str, want: str) -> StdoError:
        return StdoError(f"{mpath}: {key} is {json.dumps(m.get(key))[:60]}, "
                         f"expected {want}; the manifest is damaged or hand-edited, {REBUILD}")  # fmt: skip

    for key, ok, want in (
        ("method", lambda v: isinstance(v, str) and v, "a method name"),
        ("backbone", lambda v: isinstance(v, str) and v, "a backbone name"),
        ("routing", lambda v: isinstance(v, str), "a routing name"),
        ("scale", _positive_int, "a positive integer"),
        ("frames", _positive_int, "a positive number of frames"),
        ("fps", lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v > 0, "a positive fps"),
        ("grid", lambda v: isinstance(v, dict), "an object with cols, rows, lr_patch and hr_patch"),
        ("lr_size", _pair, "[height, width]"),
        ("hr_size", _pair, "[height, width]"),
        ("stream", _is_part, "a part (file, bytes, sha256)"),
        ("models", lambda v: isinstance(v, list) and v and all(_is_part(x) for x in v), "a list of models"),
    ):
        if not ok(m.get(key)):
            raise bad(key, want)
    if m.get("side") is not None and not _is_part(m["side"]):
        raise bad("side", "null or a part (file, bytes, sha256)")
    g, scale = m["grid"], m["scale"]
    if not (_positive_int(g.get("cols")) and _positive_int(g.get("rows"))):
        raise StdoError(f"{mpath}: grid.cols and grid.rows must be positive integers; {REBUILD}")
    if not (_pair(g.get("lr_patch")) and _pair(g.get("hr_patch"))):
        raise StdoError(f"{mpath}: grid.lr_patch and grid.hr_patch must be [height, width]; {REBUILD}")
    lr_size = [g["lr_patch"][0] * g["rows"], g["lr_patch"][1] * g["cols"]]
    for key, got, want in (
        ("grid.hr_patch", g["hr_patch"], [x * scale for x in g["lr_patch"]]),
        ("lr_size", m["lr_size"], lr_size),
        ("hr_size", m["hr_size"], [x * scale for x in lr_size]),
    ):
        if got != want:
            raise StdoError(f"{mpath}: {key} is {got}, but the grid and x{scale} make it {want}; {REBUILD}")
    for part in m["models"]:
        for key in ("backbone", "scale"):
            if key in part and part[key] != m[key]:
                raise StdoError(
                    f"{mpath}: model {part.get('unit')} is listed with {key} {part[key]!r} in a bundle of "
                    f"{key} {m[key]!r}; {REBUILD}"
                )
    if m.get("fps_fraction") is not None:
        try:
            ok = Fraction(str(m["fps_fraction"])) > 0
        except (ValueError, ZeroDivisionError):
            ok = False
        if not ok:
            raise bad("fps_fraction", "null or a positive frame rate such as 30000/1001")


def _check_part(root: Path, part: dict[str, Any], what: str) -> Path:
    path = root / part["file"]
    inside = root.resolve()
    if Path(part["file"]).is_absolute() or inside not in (path.resolve(), *path.resolve().parents):
        raise StdoError(
            f"{root / 'manifest.json'}: {what} is {part['file']!r}, outside the bundle; a bundle names only "
            f"its own files, {REBUILD}"
        )
    if not path.exists():
        raise StdoError(f"{path}: {what} missing from the bundle; {REBUILD}")
    size = path.stat().st_size
    if size != part["bytes"]:
        raise StdoError(
            f"{path}: {what} has {size} bytes, the manifest says {part['bytes']} "
            f"(truncated or damaged); {REBUILD}"
        )
    if io.sha256_file(path) != part["sha256"]:
        raise StdoError(f"{path}: {what} does not match its SHA-256 in the manifest (damaged); {REBUILD}")
    return path


def open_bundle(path: str | Path, device: torch.device | str = "cpu") -> Bundle:
    """Check a bundle and load its models and routing; a damaged or mismatched bundle is a
    :class:`StdoError` saying which part is wrong and what to do."""
    root, m = _manifest(Path(path))
    _check_part(root, m["stream"], "the LR stream")
    grid, scale = m["grid"], int(m["scale"])
    units = methods.method_units(m["method"])
    if [p["unit"] for p in m["models"]] != units:
        raise StdoError(
            f"{root}: models {[p['unit'] for p in m['models']]} are not method {m['method']}'s {units}"
        )
    models = []
    for part in m["models"]:
        model_path = _check_part(root, part, f"model {part['unit']}")
        model, record = modelfile.load_model(model_path, device)
        if int(record["scale"]) != scale:
            raise StdoError(
                f"{model_path}: a x{record['scale']} model in a x{scale} bundle "
                f"(a model for another scale); {REBUILD}"
            )
        if record["backbone"] != m["backbone"]:
            raise StdoError(
                f"{model_path}: a {record['backbone']} model in a {m['backbone']} bundle; {REBUILD}"
            )
        models.append((model, record))
    index = index_table(int(m["frames"]), grid["cols"], grid["rows"])
    chunks = None
    if m["routing"] == "chunks":
        if not m.get("side"):
            raise StdoError(
                f"{root}: method {m['method']} routes by PSNR chunk but the bundle has no map; {REBUILD}"
            )
        map_path = _check_part(root, m["side"], "the patch-to-chunk map")
        side = bundle_mod.unpack_map(map_path.read_bytes(), str(map_path))
        mine = (grid["cols"], grid["rows"], int(m["frames"]))
        theirs = (side["cols"], side["rows"], side["frames"])
        if theirs != mine:
            raise StdoError(
                f"{map_path}: a map for a {theirs[0]}x{theirs[1]} grid over {theirs[2]} frames, "
                "the bundle's is "
                f"{mine[0]}x{mine[1]} over {mine[2]} frames (a map for another grid); {REBUILD}"
            )
        if side["k"] != m["side"]["k"]:
            raise StdoError(f"{map_path}: a map of k={side['k']} for method {m['method']}; {REBUILD}")
        chunks = side["chunks"]
    routing = methods.route(m["method"], index=index, chunks=chunks)
    groups = methods.method_groups(m["method"])
    if len(models) not in (1, groups):
        raise StdoError(
            f"method {m['method']!r}: {groups} routing groups for {len(models)} models; {REBUILD}"
        )
    return Bundle(root, m, models, routing)


def _group_model(b: Bundle, g: int) -> torch.nn.Module:
    groups = methods.method_groups(b.manifest["method"])
    model = b.models[g][0] if len(b.models) == groups else b.models[0][0]
    return model


def torch_runners(b: Bundle, device: torch.device) -> Callable[[int, np.ndarray], np.ndarray]:
    """``run(group, lr uint8 [n, h, w, 3]) -> sr uint8 [n, H, W, 3]`` with PyTorch."""

    @torch.no_grad()
    def run(g: int, lr: np.ndarray) -> np.ndarray:
        model = _group_model(b, g)
        if isinstance(model, CaFM):
            model.set_chunk(g)
        x = torch.from_numpy(np.ascontiguousarray(lr)).to(device).permute(0, 3, 1, 2).float()
        return quantize(model(x)).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()

    return run


def litert_runners(b: Bundle, workdir: Path) -> Callable[[int, np.ndarray], np.ndarray]:
    """The same with LiteRT: each group's graph converted at the LR patch size (float32)."""
    from stdo.device import export

    try:
        import litert_torch  # noqa: F401
    except ImportError as e:
        raise StdoError('--backend litert needs litert-torch: pip install -e ".[export]"') from e
    groups = methods.method_groups(b.manifest["method"])
    hw = tuple(b.manifest["grid"]["lr_patch"])
    interpreters = {}
    for i, (model, _) in enumerate(b.models):
        for suffix, graph in export.graphs(model):
            path = workdir / f"m{i}{suffix}.tflite"
            export.convert(graph, hw, {"float32": path})
            g = int(suffix[2:]) if suffix else i
            for group in range(groups) if (len(b.models) == 1 and not suffix) else [g]:
                interpreters[group] = export.interpreter(path)

    def run(g: int, lr: np.ndarray) -> np.ndarray:
        it = interpreters[g]
        inp, out = it.get_input_details()[0], it.get_output_details()[0]
        res = []
        for img in lr:
            it.set_tensor(inp["index"], np.ascontiguousarray(img.transpose(2, 0, 1)[None], dtype=np.float32))
            it.invoke()
            res.append(it.get_tensor(out["index"])[0].transpose(1, 2, 0))
        return np.clip(np.rint(np.stack(res)), 0, 255).astype(np.uint8)

    return run


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
) -> dict[str, Any]:
    """Play a bundle back into ``out`` (H.264 MP4); returns frames, seconds, fps and PSNR (with
    ``hr``). ``window`` frames are super-resolved together (each group's patches in one batch).
    ``out`` may not be the reference, lie inside the bundle or be a directory; an existing file is
    replaced only with ``force`` (see :func:`check_output`)."""
    if backend not in BACKENDS:
        raise StdoError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    check_output(Path(out), Path(bundle), Path(hr) if hr is not None else None, force=force)
    dev = runtime.resolve_device(device)
    b = open_bundle(bundle, dev)
    m = b.manifest
    cols, rows, frames = m["grid"]["cols"], m["grid"]["rows"], int(m["frames"])
    per = cols * rows
    with tempfile.TemporaryDirectory() as tmp:
        run = torch_runners(b, dev) if backend == "torch" else litert_runners(b, Path(tmp))
        reference = _reference(Path(hr)) if hr is not None else None
        stream = codec.iter_decode(b.root / m["stream"]["file"], tuple(m["lr_size"]), frames)
        writer = codec.mp4_writer(Path(out), m.get("fps_fraction") or str(m["fps"]), crf=crf, preset="medium")
        sse, pixels, done, sr_seconds, ok = 0, 0, 0, 0.0, False
        bar = tqdm(
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
                groups = b.routing[done * per : (done + len(lr)) * per]
                sr = np.empty((len(patches), *m["grid"]["hr_patch"], 3), dtype=np.uint8)
                for g in np.unique(groups):
                    ids = np.flatnonzero(groups == g)
                    sr[ids] = run(int(g), patches[ids])
                sr_frames = stitch(sr, cols, rows)
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
