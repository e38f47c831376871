"""The delivery package of one video, scale, backbone and method, every bit counted.

A bundle is a directory:

* ``stream.mkv``: the LR bitstream (degrade's ``lr_stream.mkv``, copied as it is),
* ``models/<unit>.pt``: the method's models, one per training unit, in the ``stdo-model/1`` format
  of :mod:`stdo.core.runtime` (rebuilt by :func:`stdo.models.modelfile.load_model`) with float16 weights
  (``rate.model_dtype``) and nothing of the training record but what rebuilding needs,
* ``map.bin`` (methods routed by PSNR chunk, STDO): the patch-to-chunk map, see :func:`pack_map`,
* ``manifest.json``: what the client needs (method, routing, scale, backbone, grid, frames, fps,
  frame sizes) and every part's size in bytes and SHA-256.

**Delta bundles** (``rate.model_coding: delta``, with ``train.init: generic``): each model is sent
as ``models/<unit>.delta``, its difference from the generic model it started from
(:mod:`stdo.delivery.delta`), which the client holds once (shipped with the player, or sent
once) and names with ``--generic``. The manifest names that model's weight hash
(``generic.hash``) and the quantisation the parity bound chose: the bundle stage measures the
PSNR of the method on the video's patches with the models as the full bundle sends them
(``model_dtype``) and with each delta quantisation, smallest first (int8 with a per-tensor
scale, then float16), and keeps the first within ``rate.delta_bound_db`` (``delta``: every
candidate's bytes and PSNR, and what the full models would cost). When none is within it, the
bundle sends its models full and ``delta.refused`` says why.

The rate table counts the parts' file sizes: the stream (container included), the model files
(PyTorch's zip container included, a few hundred bytes per file) and the map; the manifest itself
is not counted (a few hundred bytes of JSON that a real client's protocol would carry in its own
header).

**The map** (side information; NAS and CaFM route by time and need none): an 18-byte header
(:data:`HEADER`, little-endian: ``b"STDOMAP1"``, cols and rows as uint16, frames as uint32, k and
the compression as uint8), so that a map for another grid is recognised, then each patch's chunk
in ``ceil(log2 k)`` bits, patches in id order
(frame-major, then row, then column), bits most significant first, packed with
:func:`numpy.packbits`, then compressed with zlib (level 9) or lzma (raw LZMA2, preset 9),
whichever is smaller, or kept raw when neither helps (a compression byte in the header says
which). Choices of ours: the paper sends no map and does not say how.
"""

from __future__ import annotations

import argparse
import json
import lzma
import math
import shutil
import struct
import zlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from stdo import methods
from stdo.core import io
from stdo.core.errors import StdoError
from stdo.core.metrics import mse_to_psnr
from stdo.delivery import delta
from stdo.models import cafm, modelfile
from stdo.sr.routed import RoutedSR, TorchModels

FORMAT = "stdo-bundle/1"
CODINGS = ("full", "delta")
DELTA_ORDER = ("int8", "float16")  # smallest first: the parity bound keeps the first within it
DEFAULT_BOUND_DB = 0.05
REBUILD = "rebuild the bundle (snakemake ... rate, or python -m stdo.delivery.bundle)"
MAGIC = b"STDOMAP1"
HEADER = struct.Struct("<8sHHIBB")  # magic, cols, rows, frames, k, compression: 18 bytes
COMPRESSIONS = ("raw", "zlib", "lzma")
_LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9}]


def bits_per_patch(k: int) -> int:
    """Bits of one patch's chunk id among ``k`` chunks: ``ceil(log2 k)`` (0 for one chunk)."""
    return max(0, math.ceil(math.log2(k))) if k > 1 else 0


def pack_map(chunks: np.ndarray, k: int, cols: int, rows: int) -> bytes:
    """A patch-to-chunk map ``[frames * rows * cols]`` (values ``0..k-1``) as the bytes of
    ``map.bin`` (see the module docstring)."""
    chunks = np.asarray(chunks, dtype=np.int64).ravel()
    per = cols * rows
    if chunks.size % per:
        raise StdoError(f"a map of {chunks.size} patches does not fill whole frames of a {cols}x{rows} grid")
    if chunks.size and (chunks.min() < 0 or chunks.max() >= k):
        raise StdoError(f"map values must lie in 0..{k - 1}")
    b = bits_per_patch(k)
    shifts = np.arange(b - 1, -1, -1, dtype=np.int64)
    bits = ((chunks[:, None] >> shifts[None, :]) & 1).astype(np.uint8).ravel()
    raw = np.packbits(bits).tobytes()
    candidates = {
        "raw": raw,
        "zlib": zlib.compress(raw, 9),
        "lzma": lzma.compress(raw, format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS),
    }
    best = min(COMPRESSIONS, key=lambda c: (len(candidates[c]), COMPRESSIONS.index(c)))
    header = HEADER.pack(MAGIC, cols, rows, chunks.size // per, k, COMPRESSIONS.index(best))
    return header + candidates[best]


def unpack_map(data: bytes, what: str = "map") -> dict[str, Any]:
    """Inverse of :func:`pack_map`: ``{"cols", "rows", "frames", "k", "compression", "chunks"}``;
    a damaged map is a :class:`StdoError` naming ``what``."""
    if len(data) < HEADER.size or data[:8] != MAGIC:
        raise StdoError(f"{what}: not a patch-to-chunk map (bad header); the bundle is damaged, rebuild it")
    _, cols, rows, frames, k, comp = HEADER.unpack(data[: HEADER.size])
    if comp >= len(COMPRESSIONS) or k < 1:
        raise StdoError(f"{what}: unknown compression {comp} or k={k}; the bundle is damaged, rebuild it")
    body = data[HEADER.size :]
    try:
        raw = {
            "raw": lambda x: x,
            "zlib": zlib.decompress,
            "lzma": lambda x: lzma.decompress(x, format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS),
        }[COMPRESSIONS[comp]](body)
    except (zlib.error, lzma.LZMAError) as e:
        raise StdoError(f"{what}: cannot decompress the map ({e}); the bundle is damaged, rebuild it") from e
    n, b = frames * rows * cols, bits_per_patch(k)
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8))
    if bits.size < n * b or bits.size >= n * b + 8:
        raise StdoError(
            f"{what}: {bits.size} bits for {n} patches of {b} bits; the bundle is damaged, rebuild it"
        )
    weights = (1 << np.arange(b - 1, -1, -1, dtype=np.int64)) if b else np.zeros(0, dtype=np.int64)
    chunks = bits[: n * b].reshape(n, b).astype(np.int64) @ weights if b else np.zeros(n, dtype=np.int64)
    if n and chunks.max() >= k:
        raise StdoError(
            f"{what}: chunk {int(chunks.max())} outside 0..{k - 1}; the bundle is damaged, rebuild it"
        )
    return {
        "cols": cols,
        "rows": rows,
        "frames": frames,
        "k": k,
        "compression": COMPRESSIONS[comp],
        "chunks": chunks,
    }


# ---------------------------------------------------------------- what a valid bundle is


def read_manifest(path: Path) -> tuple[Path, dict[str, Any]]:
    """A bundle's directory and its manifest (``path``: the directory or its manifest.json),
    checked by :func:`check_manifest`."""
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
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise StdoError(f"{mpath}: not a {FORMAT} manifest; {REBUILD}")
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
    if m.get("model_coding", "full") not in CODINGS:
        raise bad("model_coding", f"one of {', '.join(CODINGS)}")
    if m.get("model_coding") == "delta" and not (
        isinstance(m.get("generic"), dict) and isinstance(m["generic"].get("hash"), str)
    ):
        raise bad("generic", "an object naming the generic model's weight hash (a delta bundle)")
    g, scale = m["grid"], m["scale"]
    if not (_positive_int(g.get("cols")) and _positive_int(g.get("rows"))):
        raise StdoError(f"{mpath}: grid.cols and grid.rows must be positive integers; {REBUILD}")
    if not (_pair(g.get("lr_patch")) and _pair(g.get("hr_patch"))):
        raise StdoError(f"{mpath}: grid.lr_patch and grid.hr_patch must be [height, width]; {REBUILD}")
    lr_size = [g["lr_patch"][0] * g["rows"], g["lr_patch"][1] * g["cols"]]
    for key, got, made in (
        ("grid.hr_patch", g["hr_patch"], [x * scale for x in g["lr_patch"]]),
        ("lr_size", m["lr_size"], lr_size),
        ("hr_size", m["hr_size"], [x * scale for x in lr_size]),
    ):
        if got != made:
            raise StdoError(f"{mpath}: {key} is {got}, but the grid and x{scale} make it {made}; {REBUILD}")
    for part in m["models"]:
        for key in ("backbone", "scale"):
            if key in part and part[key] != m[key]:
                raise StdoError(
                    f"{mpath}: model {part.get('unit')} is listed with {key} {part[key]!r} in a bundle of "
                    f"{key} {m[key]!r}; {REBUILD}"
                )
    if m.get("fps_fraction") is not None:
        try:
            valid = Fraction(str(m["fps_fraction"])) > 0
        except (ValueError, ZeroDivisionError):
            valid = False
        if not valid:
            raise bad("fps_fraction", "null or a positive frame rate such as 30000/1001")


def check_part(root: Path, part: dict[str, Any], what: str) -> Path:
    """The path of a part (``what``, in errors) inside the bundle, its size and SHA-256 checked."""
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


@dataclass
class Checked:
    """A checked bundle: its directory, manifest, models (rebuilt, with their records) and the
    patch-to-chunk map's chunks (methods routed by PSNR chunk; else None)."""

    root: Path
    manifest: dict[str, Any]
    models: list[tuple[torch.nn.Module, dict[str, Any]]]
    chunks: np.ndarray | None


def generic_state(path: Path) -> dict[str, torch.Tensor]:
    """The weights of a generic model file (an stdo model file: results/pretrain/...)."""
    if not Path(path).exists():
        raise StdoError(f"{path}: generic model not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - torch raises many kinds on a corrupt file
        raise StdoError(f"{path}: not a readable model file ({e})") from e
    if not isinstance(payload, dict) or payload.get("format") != modelfile.MODEL_FORMAT:
        raise StdoError(f"{path}: not an stdo model file; give the generic model (results/pretrain/...)")
    return dict(payload["state_dict"])


def _generic_for(root: Path, m: dict[str, Any], generic: Path | None) -> dict[str, torch.Tensor]:
    """The generic weights a delta bundle's models are made against, checked against its hash."""
    want = m["generic"]["hash"]
    hint = f"results/pretrain/{m['backbone']}/x{m['scale']}/model.pt"
    if generic is None:
        raise StdoError(
            f"{root}: its models are sent as deltas from the generic model with weight hash {want[:12]}... "
            f"(manifest.json: generic); pass that model: stdo upscale {root} --generic {hint}"
        )
    state = generic_state(Path(generic))
    have = delta.weights_hash(state)
    if have != want:
        raise StdoError(
            f"{generic}: the generic model's weight hash is {have[:12]}..., the bundle's deltas were made "
            f"against {want[:12]}... (manifest.json: generic); pass the generic model the bundle names "
            f"(the {m['backbone']} x{m['scale']} model it was built with, e.g. {hint})"
        )
    return state


def load_delta(
    path: Path, generic: dict[str, torch.Tensor], device: torch.device | str = "cpu"
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """A model sent as a delta (:mod:`stdo.delivery.delta`) rebuilt on the generic weights, and its
    record; a damaged delta is a :class:`StdoError`."""
    blob = path.read_bytes()
    head = delta.header(blob, str(path))
    record = head.get("record")
    if not isinstance(record, dict) or not {"backbone", "scale", "kwargs"} <= set(record):
        raise StdoError(f"{path}: the delta does not say how to rebuild its model; {REBUILD}")
    state = delta.decode(blob, generic, str(path))
    model = modelfile.rebuild(record, state, str(path), REBUILD)
    return model.to(device).eval(), record


def load_checked(
    path: str | Path, device: torch.device | str = "cpu", generic: str | Path | None = None
) -> Checked:
    """Check a bundle (manifest, every part's size and SHA-256, each model's scale and backbone,
    the map's grid, frames and k) and load its models and map; a damaged or mismatched bundle is
    a :class:`StdoError` saying which part is wrong and what to do. A delta bundle needs its
    ``generic`` model (refused when its weight hash is not the one the manifest names)."""
    root, m = read_manifest(Path(path))
    check_part(root, m["stream"], "the LR stream")
    grid, scale = m["grid"], int(m["scale"])
    units = methods.method_units(m["method"])
    if [p["unit"] for p in m["models"]] != units:
        raise StdoError(
            f"{root}: models {[p['unit'] for p in m['models']]} are not method {m['method']}'s {units}"
        )
    base = (
        _generic_for(root, m, Path(generic) if generic is not None else None)
        if m.get("model_coding") == "delta"
        else None
    )
    models = []
    for part in m["models"]:
        model_path = check_part(root, part, f"model {part['unit']}")
        if base is not None:
            model, record = load_delta(model_path, base, device)
        else:
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
    chunks = None
    if m["routing"] == "chunks":
        if not m.get("side"):
            raise StdoError(
                f"{root}: method {m['method']} routes by PSNR chunk but the bundle has no map; {REBUILD}"
            )
        map_path = check_part(root, m["side"], "the patch-to-chunk map")
        side = unpack_map(map_path.read_bytes(), str(map_path))
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
    return Checked(root, m, models, chunks)


# ---------------------------------------------------------------- writing one


def _read_model(src: Path) -> dict[str, Any]:
    payload = torch.load(src, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != modelfile.MODEL_FORMAT:
        raise StdoError(f"{src}: not an stdo model file")
    return payload


def _slim(payload: dict[str, Any], dtype: str) -> dict[str, Any]:
    """A model file's payload with ``dtype`` weights and only what rebuilding needs."""
    target = {"float16": torch.float16, "float32": torch.float32}[dtype]
    state = {k: (v.to(target) if v.is_floating_point() else v) for k, v in payload["state_dict"].items()}
    extra = {k: v for k, v in payload.get("extra", {}).items() if k in cafm.RECORD_KEYS}
    return {key: payload[key] for key in ("format", "backbone", "scale", "kwargs")} | {
        "state_dict": state,
        "extra": extra,
    }


def write_model(src: Path, dst: Path, dtype: str) -> dict[str, Any]:
    """Copy a trained model into a bundle with ``dtype`` weights and only what rebuilding needs
    (backbone, scale, kwargs, CaFM's chunks, kernel size and placement); returns its record."""
    payload = _read_model(src)
    slim = _slim(payload, dtype)
    state = slim["state_dict"]
    with io.atomic_path(dst) as tmp:
        torch.save(slim, tmp)
    return {
        "parameters": int(sum(v.numel() for v in state.values() if v.is_floating_point())),
        "dtype": dtype,
        "backbone": payload["backbone"],
        "scale": int(payload["scale"]),
    }


def routed_psnr(
    modules: list[torch.nn.Module], method: str, routing: np.ndarray, lr: np.ndarray, hr: np.ndarray
) -> float:
    """PSNR of ``method``'s ``modules`` routed over the patches ``lr`` against ``hr``, as the client
    and evaluate measure it (:mod:`stdo.core.metrics`: RGB, no shave, pooled over every pixel; an
    exact integer sum of squared errors)."""
    sr = RoutedSR(TorchModels(modules), routing, groups=methods.method_groups(method), batch_size=64,
                  what=f"method {method!r}")  # fmt: skip
    err, pixels = 0, 0
    for _, part, raw in sr.batches(lr):
        y = sr.models.finish(raw)
        err += int(((y.astype(np.int64) - np.asarray(hr[part]).astype(np.int64)) ** 2).sum())
        pixels += y.size
    return mse_to_psnr(err / pixels)


def choose_deltas(
    payloads: list[dict[str, Any]],
    generic: dict[str, torch.Tensor],
    method: str,
    routing: np.ndarray,
    lr: np.ndarray,
    hr: np.ndarray,
    *,
    dtype: str,
    bound_db: float,
) -> tuple[list[bytes] | None, dict[str, Any]]:
    """The deltas of a method's models (``payloads``: their model files) from the ``generic``
    weights, in the smallest quantisation (:data:`DELTA_ORDER`) whose PSNR on the patches is at
    most ``bound_db`` below the full bundle's (the models in ``dtype``); ``None`` when none is.
    Returns the deltas and what was measured."""
    full = [modelfile.rebuild(_slim(p, dtype), _slim(p, dtype)["state_dict"], "model", REBUILD).float()
            for p in payloads]  # fmt: skip
    reference = routed_psnr(full, method, routing, lr, hr)
    info: dict[str, Any] = {"bound_db": bound_db, "full_psnr_db": reference, "candidates": []}
    for quant in DELTA_ORDER:
        blobs, modules = [], []
        for p in payloads:
            rec = {k: v for k, v in _slim(p, "float32").items() if k not in ("state_dict", "format")}
            model = modelfile.rebuild(rec, p["state_dict"], "model", REBUILD)
            blob = delta.encode(p["state_dict"], generic, quant, bases=delta.cafm_bases(model), record=rec)
            blobs.append(blob)
            modules.append(modelfile.rebuild(rec, delta.decode(blob, generic), "delta", REBUILD))
        psnr = routed_psnr(modules, method, routing, lr, hr)
        drop = reference - psnr
        info["candidates"].append(
            {"quant": quant, "bytes": sum(map(len, blobs)), "psnr_db": psnr, "drop_db": drop}
        )
        if drop <= bound_db:
            return blobs, info | {"quant": quant, "psnr_db": psnr, "drop_db": drop}
    worst = ", ".join(f"{c['quant']} {c['drop_db']:.3f} dB" for c in info["candidates"])
    return None, info | {
        "refused": f"no delta quantisation within {bound_db:g} dB of the full models ({worst})"
    }


def _part(path: Path, root: Path) -> dict[str, Any]:
    return {"file": str(path.relative_to(root)), "bytes": path.stat().st_size, "sha256": io.sha256_file(path)}


def build(
    out: Path,
    *,
    video: str,
    scale: int,
    backbone: str,
    method: str,
    stream: Path,
    grid: dict[str, Any],
    meta: dict[str, Any],
    models: list[Path],
    partition: Path | None,
    dtype: str = "float16",
    stream_record: dict[str, Any] | None = None,
    coding: str = "full",
    generic: Path | None = None,
    patches: Path | None = None,
    bound_db: float = DEFAULT_BOUND_DB,
) -> dict[str, Any]:
    """Write the bundle directory ``out`` (replacing it whole when complete); returns the manifest.
    ``coding`` ``delta`` sends the models as deltas from ``generic`` (module docstring), its
    quantisation chosen on the ``patches`` folder's frames within ``bound_db``."""
    if coding not in CODINGS:
        raise StdoError(f"model coding {coding!r}: use one of {', '.join(CODINGS)}")
    if coding == "delta" and (generic is None or patches is None):
        raise StdoError("delta coding needs the generic model (--generic) and the patches (--patches)")
    units = methods.method_units(method)
    if len(units) != len(models):
        raise StdoError(
            f"method {method!r} needs {len(units)} models ({', '.join(units)}), got {len(models)}"
        )
    parsed = methods.parse_method(method)
    routing = parsed.spec.routing(parsed)
    n = grid["frames"] * grid["rows"] * grid["cols"]
    tmp = out.with_name(f".{out.name}.part")
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "models").mkdir(parents=True)
    try:
        shutil.copyfile(stream, tmp / "stream.mkv")
        model_parts = []
        for unit, src in zip(units, models, strict=True):
            rec = write_model(src, tmp / "models" / f"{unit}.pt", dtype)
            if rec["scale"] != scale or rec["backbone"] != backbone:
                raise StdoError(
                    f"{src}: a x{rec['scale']} {rec['backbone']} model in a x{scale} {backbone} bundle"
                )
            model_parts.append({"unit": unit} | rec | _part(tmp / "models" / f"{unit}.pt", tmp))
        chunks = None
        if routing == "chunks":
            if partition is None:
                raise StdoError(f"method {method!r} routes by PSNR chunk: give --partition")
            chunks = methods.check_chunks(io.open_array(partition), int(parsed["k"]), n, f"method {method!r}")
        coded: dict[str, Any] = {}
        if coding == "delta":
            assert generic is not None and patches is not None
            coded, model_parts = _delta_parts(tmp, units, models, model_parts, generic, patches, method,
                                              chunks, dtype, bound_db)  # fmt: skip
        side = None
        if chunks is not None:
            k = int(parsed["k"])
            (tmp / "map.bin").write_bytes(pack_map(chunks, k, grid["cols"], grid["rows"]))
            header = unpack_map((tmp / "map.bin").read_bytes())
            side = _part(tmp / "map.bin", tmp) | {
                "k": k,
                "bits_per_patch": bits_per_patch(k),
                "patches": n,
                "compression": header["compression"],
                "raw_bits": n * bits_per_patch(k),
            }
        stream_part = _part(tmp / "stream.mkv", tmp) | {
            "codec": (stream_record or {}).get("codec"),
            "payload_bytes": (stream_record or {}).get("payload_bytes"),
            "coded_size": (stream_record or {}).get("coded_size"),
        }
        frames = int(grid["frames"])
        fps = float(meta["fps"])
        lr_h, lr_w = grid["lr_patch"][0] * grid["rows"], grid["lr_patch"][1] * grid["cols"]
        sizes = {
            "stream": stream_part["bytes"],
            "models": sum(m["bytes"] for m in model_parts),
            "side": side["bytes"] if side else 0,
        }
        manifest = {
            "format": FORMAT,
            "video": video,
            "scale": scale,
            "backbone": backbone,
            "method": method,
            "routing": routing,
            "units": units,
            "grid": {k: grid[k] for k in ("cols", "rows", "lr_patch", "hr_patch")},
            "frames": frames,
            "fps": fps,
            "fps_fraction": meta.get("fps_fraction"),
            "duration_s": frames / fps,
            "lr_size": [lr_h, lr_w],
            "hr_size": [lr_h * scale, lr_w * scale],
            "model_dtype": dtype,
            "stream": stream_part,
            "models": model_parts,
            "side": side,
            "sizes": sizes | {"total": sum(sizes.values())},
        } | coded
        io.write_json(tmp / "manifest.json", manifest)
        if out.exists():
            shutil.rmtree(out)
        tmp.replace(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return manifest


def _delta_parts(
    tmp: Path,
    units: list[str],
    models: list[Path],
    full_parts: list[dict[str, Any]],
    generic: Path,
    patches: Path,
    method: str,
    chunks: np.ndarray | None,
    dtype: str,
    bound_db: float,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The manifest keys and model parts of a delta bundle (its full model files, written to
    ``tmp/models`` already, replaced by deltas; kept when no quantisation is within the bound)."""
    base = generic_state(generic)
    payloads = [_read_model(src) for src in models]
    index = pd.read_csv(patches / "index.csv")
    routing = methods.route(method, index=index, chunks=chunks)
    lr, hr = io.open_array(patches / "lr.npy"), io.open_array(patches / "hr.npy")
    blobs, info = choose_deltas(payloads, base, method, routing, lr, hr, dtype=dtype, bound_db=bound_db)
    info["full_model_bytes"] = sum(p["bytes"] for p in full_parts)
    keys: dict[str, Any] = {
        "generic": {"hash": delta.weights_hash(base), "source": str(generic)},
        "delta": info,
    }
    if blobs is None:
        return keys | {"model_coding": "full"}, full_parts
    parts = []
    for unit, blob, full in zip(units, blobs, full_parts, strict=True):
        (tmp / "models" / f"{unit}.pt").unlink()
        (tmp / "models" / f"{unit}.delta").write_bytes(blob)
        parts.append({"unit": unit, "parameters": full["parameters"], "dtype": f"delta-{info['quant']}",
                      "backbone": full["backbone"], "scale": full["scale"]}
                     | _part(tmp / "models" / f"{unit}.delta", tmp))  # fmt: skip
    return keys | {"model_coding": "delta"}, parts


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo delivery.bundle", description=__doc__)
    p.add_argument("--video", required=True)
    p.add_argument("--scale", required=True, type=int)
    p.add_argument("--backbone", required=True)
    p.add_argument("--method", required=True)
    p.add_argument("--stream", required=True, type=Path, help="degrade's lr_stream.mkv")
    p.add_argument("--patches", required=True, type=Path, help="the patches folder (grid.json)")
    p.add_argument("--meta", required=True, type=Path, help="ingest's meta.json (fps)")
    p.add_argument("--models", required=True, nargs="+", type=Path)
    p.add_argument("--partition", type=Path, default=None)
    p.add_argument("--dtype", default="float16", choices=("float16", "float32"))
    p.add_argument("--out", required=True, type=Path, help="the bundle directory")
    p.add_argument(
        "--coding", default="full", choices=CODINGS, help="models whole, or as deltas from --generic"
    )
    p.add_argument("--generic", type=Path, default=None, help="the generic model the deltas are made against")
    p.add_argument("--bound-db", type=float, default=DEFAULT_BOUND_DB,
                   help="delta: the PSNR parity bound against the full models (dB)")  # fmt: skip
    args = p.parse_args(argv)
    with io.stage_errors("bundle"):
        side = args.stream.with_name(args.stream.name + io.SIDECAR_SUFFIX)
        record = json.loads(side.read_text())["params"].get("stream") if side.exists() else None
        manifest = build(
            args.out,
            video=args.video,
            scale=args.scale,
            backbone=args.backbone,
            method=args.method,
            stream=args.stream,
            grid=json.loads((args.patches / "grid.json").read_text()),
            meta=json.loads(args.meta.read_text()),
            models=args.models,
            partition=args.partition,
            dtype=args.dtype,
            stream_record=record,
            coding=args.coding,
            generic=args.generic,
            patches=args.patches,
            bound_db=args.bound_db,
        )
        params: dict[str, Any] = {"method": args.method, "dtype": args.dtype}
        if args.coding == "delta":
            params |= {"coding": args.coding, "bound_db": args.bound_db}
        io.write_sidecar(
            args.out / "manifest.json",
            stage="bundle",
            params=params,
            inputs=[args.stream, *args.models]
            + ([args.partition] if args.partition else [])
            + ([args.generic] if args.generic else []),
        )
        print(json.dumps(manifest["sizes"]))


if __name__ == "__main__":
    main()
