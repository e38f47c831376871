"""Models sent as deltas from a generic model the client already holds (``rate.model_coding:
delta``).

With ``train.init: generic`` every overfitted model starts from a generic model (f0 of its
backbone and scale). A client that holds that model once (shipped with the player, or sent once)
needs only the difference. A delta file is:

* an 8-byte magic ``b"STDODLT1"``, a uint32 (little-endian) header length, the header (JSON:
  the format, the generic model's weight hash, the compression, and per tensor its name, shape,
  the quantisation and its scale), then
* the payload: every floating tensor's ``model - generic`` quantised, concatenated in header
  order, compressed with zlib (level 9) or raw LZMA2 (preset 9), whichever is smaller, or raw
  when neither helps; non-floating tensors (counters) are sent whole in the header.

A tensor the generic model has no counterpart of (a CaFM model's modulations, :func:`cafm_bases`)
is sent whole in float16; the header's ``record`` says how to rebuild the model (backbone, scale,
kwargs, CaFM's record).

Quantisations: ``float16`` (the difference rounded to half precision) and ``int8`` (per tensor,
``scale = max|d| / 127``, ``q = round(d / scale)``, sent as int8 with its float32 scale). The
bundle stage picks the smallest one whose PSNR on the video's patches stays within the parity
bound of the full model (``rate.delta_bound_db``), as the export stage bounds its conversions.

:func:`decode` refuses a generic model whose hash is not the one the delta names, and a
truncated or damaged delta, each with what to do. Choices of ours: the paper sends full models.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import struct
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from stdo.core.errors import StdoError

MAGIC = b"STDODLT1"
FORMAT = "stdo-delta/1"
QUANTS = ("float16", "int8")
COMPRESSIONS = ("raw", "zlib", "lzma")
_LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9}]
_LEN = struct.Struct("<I")


def compress_smallest(raw: bytes) -> tuple[str, bytes]:
    """``raw`` compressed with zlib (9) or raw LZMA2 (preset 9), whichever is smaller, or kept
    raw when neither helps: ``(name, bytes)``."""
    candidates = {
        "raw": raw,
        "zlib": zlib.compress(raw, 9),
        "lzma": lzma.compress(raw, format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS),
    }
    best = min(COMPRESSIONS, key=lambda c: (len(candidates[c]), COMPRESSIONS.index(c)))
    return best, candidates[best]


def decompress(name: str, data: bytes) -> bytes:
    """Inverse of :func:`compress_smallest` (``zlib.error`` / ``lzma.LZMAError`` on damage)."""
    if name == "raw":
        return data
    if name == "zlib":
        return zlib.decompress(data)
    if name == "lzma":
        return lzma.decompress(data, format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    raise ValueError(f"unknown compression {name!r}")


def weights_hash(state: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 of a state dict's names, shapes, dtypes and float32 values, in name order: the
    identity of a generic model, whatever file it is stored in."""
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().cpu()
        h.update(f"{name}:{tuple(t.shape)}:{t.dtype}\n".encode())
        values = t.to(torch.float32) if t.is_floating_point() else t.to(torch.int64)
        h.update(values.contiguous().numpy().tobytes())
    return h.hexdigest()


def _quantise(d: np.ndarray, quant: str) -> tuple[bytes, float | None]:
    if quant == "float16":
        return d.astype("<f2").tobytes(), None
    top = float(np.abs(d).max()) if d.size else 0.0
    scale = top / 127.0 if top > 0 else 1.0
    return np.clip(np.rint(d / scale), -127, 127).astype(np.int8).tobytes(), scale


def _dequantise(raw: bytes, quant: str, scale: float | None, shape: list[int]) -> np.ndarray:
    if quant == "float16":
        return np.frombuffer(raw, dtype="<f2").astype(np.float32).reshape(shape)
    return (np.frombuffer(raw, dtype=np.int8).astype(np.float32) * np.float32(scale)).reshape(shape)


def cafm_bases(model: torch.nn.Module) -> dict[str, str | None]:
    """For each tensor of ``model``'s state dict, the generic model's tensor it is a difference
    from: the same name for a plain backbone; for a CaFM model (:class:`stdo.models.cafm.CaFM`)
    the backbone's name (``base.`` and each ``.inner`` dropped), and ``None`` for the
    modulations' own tensors (``weight``, ``bias``, ``gamma`` of each
    :class:`stdo.models.cafm.Modulated`), which the generic model does not have."""
    from stdo.models.cafm import CaFM, Modulated

    names = list(model.state_dict())
    if not isinstance(model, CaFM):
        return {n: n for n in names}
    own = {f"{path}.{p}" for path, m in model.named_modules() if isinstance(m, Modulated)
           for p, _ in m.named_parameters(recurse=False)}  # fmt: skip
    out: dict[str, str | None] = {}
    for n in names:
        out[n] = None if n in own else n.removeprefix("base.").replace(".inner.", ".")
    return out


def encode(
    state: Mapping[str, torch.Tensor],
    generic: Mapping[str, torch.Tensor],
    quant: str = "float16",
    *,
    bases: Mapping[str, str | None] | None = None,
    record: Mapping[str, Any] | None = None,
) -> bytes:
    """A model's weights ``state`` as a delta from the ``generic`` weights (module docstring).
    ``bases`` names each tensor's generic counterpart (default: the same name; ``None``: none, the
    tensor is sent whole in float16, see :func:`cafm_bases`); ``record`` (what rebuilding the
    model needs: backbone, scale, kwargs, extra) travels in the header."""
    if quant not in QUANTS:
        raise StdoError(f"delta quantisation {quant!r}: use one of {', '.join(QUANTS)}")
    if bases is None:
        if set(state) != set(generic):
            diff = sorted(set(state) ^ set(generic))
            raise StdoError(f"the model and the generic model differ in their tensors ({diff[:4]}...)")
        bases = {n: n for n in state}
    missing = sorted(b for b in bases.values() if b is not None and b not in generic)
    if set(bases) != set(state) or missing:
        raise StdoError(f"the model's tensors do not map onto the generic model's ({missing[:4]}...)")
    tensors, chunks = [], []
    for name in sorted(state):
        t, base = state[name].detach().cpu(), bases[name]
        entry: dict[str, Any] = {
            "name": name,
            "shape": list(t.shape),
            "dtype": str(t.dtype).removeprefix("torch."),
        }
        if base is not None:
            g = generic[base].detach().cpu()
            if t.shape != g.shape:
                raise StdoError(
                    f"{name}: shape {tuple(t.shape)} against the generic model's {tuple(g.shape)}"
                )
            if base != name:
                entry["base"] = base
        if t.is_floating_point():
            if base is None:  # no generic counterpart: the tensor itself
                raw, scale, q = t.to(torch.float32).numpy().astype("<f2").tobytes(), None, "float16"
                entry["base"] = None
            else:
                d = t.to(torch.float32).numpy() - generic[base].detach().cpu().to(torch.float32).numpy()
                (raw, scale), q = _quantise(d, quant), quant
            entry |= {"quant": q, "scale": scale, "bytes": len(raw)}
            chunks.append(raw)
        else:
            entry["value"] = t.tolist()
        tensors.append(entry)
    compression, payload = compress_smallest(b"".join(chunks))
    header = {"format": FORMAT, "generic": weights_hash(generic), "compression": compression,
              "payload": len(payload), "tensors": tensors}  # fmt: skip
    if record is not None:
        header["record"] = dict(record)
    head = json.dumps(header, separators=(",", ":")).encode()
    return MAGIC + _LEN.pack(len(head)) + head + payload


def header(blob: bytes, what: str = "delta") -> dict[str, Any]:
    """The header of a delta; a blob that is not one, or is cut short, is a :class:`StdoError`."""
    damaged = f"{what}: the delta is damaged or truncated; rebuild the bundle"
    if len(blob) < len(MAGIC) + _LEN.size or blob[: len(MAGIC)] != MAGIC:
        raise StdoError(f"{what}: not an stdo model delta (bad magic); rebuild the bundle")
    (n,) = _LEN.unpack_from(blob, len(MAGIC))
    start = len(MAGIC) + _LEN.size
    try:
        head = json.loads(blob[start : start + n])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise StdoError(damaged) from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise StdoError(f"{what}: not an {FORMAT} delta; rebuild the bundle")
    if len(blob) != start + n + int(head.get("payload", -1)):
        raise StdoError(f"{damaged} ({len(blob)} bytes, the header says {start + n + head['payload']})")
    head["_offset"] = start + n
    return head


def decode(blob: bytes, generic: Mapping[str, torch.Tensor], what: str = "delta") -> dict[str, torch.Tensor]:
    """The weights a delta encodes, given the generic weights it was made against."""
    head = header(blob, what)
    have = weights_hash(generic)
    if have != head["generic"]:
        raise StdoError(
            f"{what}: made against the generic model with weight hash {head['generic'][:12]}..., "
            f"but the one given hashes to {have[:12]}...; pass the generic model the bundle names "
            "(manifest.json: generic)"
        )
    try:
        raw = decompress(head["compression"], blob[head["_offset"] :])
    except (zlib.error, lzma.LZMAError, ValueError) as e:
        raise StdoError(f"{what}: cannot decompress the delta ({e}); rebuild the bundle") from e
    out, pos = {}, 0
    for entry in head["tensors"]:
        dtype = getattr(torch, entry["dtype"])
        if "value" in entry:
            out[entry["name"]] = torch.tensor(entry["value"], dtype=dtype).reshape(entry["shape"])
            continue
        part = raw[pos : pos + entry["bytes"]]
        pos += entry["bytes"]
        if len(part) != entry["bytes"]:
            raise StdoError(f"{what}: the delta is damaged or truncated; rebuild the bundle")
        d = torch.from_numpy(_dequantise(part, entry["quant"], entry["scale"], entry["shape"]).copy())
        base_name = entry.get("base", entry["name"])
        if base_name is None:  # sent whole (no generic counterpart)
            out[entry["name"]] = d.to(dtype)
            continue
        if base_name not in generic or list(generic[base_name].shape) != entry["shape"]:
            raise StdoError(f"{what}: the generic model has no tensor {base_name} of shape {entry['shape']}")
        base = generic[base_name].detach().cpu().to(torch.float32)
        out[entry["name"]] = (base + d).to(dtype)
    if pos != len(raw):
        raise StdoError(
            f"{what}: the delta is damaged ({len(raw) - pos} bytes left over); rebuild the bundle"
        )
    return out
