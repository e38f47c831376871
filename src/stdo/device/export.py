"""Export trained models to TFLite with litert-torch, and check them against PyTorch.

Layout of every exported model: one input, float32 NCHW ``[1, 3, h, w]`` on the 0..255 scale
(exactly what the PyTorch backbones take), one output float32 NCHW ``[1, 3, h*s, w*s]`` on the
same scale, unclamped; a client converts its uint8 HWC frame with ``frame.transpose(2, 0, 1)[None]``
and rounds and clips the output. Shapes are static (LiteRT's XNNPACK delegate cannot reshape these
graphs), so each model is exported at the sizes it runs at: the video's LR frame (``frame``) and
one LR patch of its grid (``patch``, what STDO's client sends through a chunk's model).

Before conversion weight norm is folded into plain weights (WDSR). CaFM's modulation is not
folded into the shared convolutions (with kernel size 1 after a conv it could be, a per-channel
scale and bias per segment; after a ReLU, or with a wider kernel, whose zero padding differs at
frame borders, it cannot exactly), so a CaFM model is exported once per time segment, the
segment's modulation fixed in the graph (``..._s{g}.tflite``).

``float32`` is the converted graph; ``float16`` stores the weights as float16 (ai-edge-quantizer's
float casting, dequantized at load: half the size, float32 compute on CPU). The parity check runs
every file with the LiteRT interpreter on real LR frames (or patches) of the video and records the
largest absolute difference from PyTorch and the PSNR of both against HR; the stage fails when a
file breaks the bounds set in config (``export.parity``), and then writes no manifest.
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn.utils import parametrize

from stdo import methods
from stdo.core import io, runtime
from stdo.core.errors import StdoError
from stdo.core.metrics import psnr
from stdo.models import modelfile
from stdo.models.cafm import CaFM
from stdo.sr.litert import LiteRTModels
from stdo.video.patches import stitch

DTYPES = ("float32", "float16")
SIZES = ("frame", "patch")
_FP16_RECIPE = [
    {
        "regex": ".*",
        "operation": "*",
        "algorithm_key": "float_casting",
        "op_config": {
            "weight_tensor_config": {"num_bits": 16, "dtype": "FLOAT", "granularity": "TENSORWISE"},
            "compute_precision": "FLOAT",
            "explicit_dequantize": True,
        },
    }
]


class ParityError(StdoError):
    """An exported model's output differs from PyTorch's beyond the configured bounds."""


class _Segment(nn.Module):
    """A CaFM model with one time segment's modulation fixed (an int chunk: a static graph)."""

    def __init__(self, model: CaFM, segment: int):
        super().__init__()
        self.model = copy.deepcopy(model)
        self.model.set_segment(int(segment))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def fold_weight_norm(model: nn.Module) -> nn.Module:
    """``model`` itself, in eval mode, with every parametrization (weight norm) folded into a
    plain weight; the outputs are unchanged. In place: a deep copy would share the dynamically
    made parametrized classes, whose removal would then break the original."""
    out = model.eval()
    for module in list(out.modules()):
        if parametrize.is_parametrized(module):
            for name in list(cast(nn.ModuleDict, module.parametrizations)):
                parametrize.remove_parametrizations(module, name, leave_parametrized=True)
    return out


def graphs(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The graphs a trained model exports to: ``[("", model)]``, or one per CaFM time segment
    ``[("_s0", ...), ...]``; weight norm folded (in ``model`` itself)."""
    plain = fold_weight_norm(model)
    if isinstance(plain, CaFM):
        return [(f"_s{g}", _Segment(plain, g).eval()) for g in range(plain.n_segments)]
    return [("", plain)]


def convert(model: nn.Module, lr_hw: tuple[int, int], paths: dict[str, Path]) -> dict[str, Path]:
    """Convert ``model`` for a ``[1, 3, h, w]`` input once and write it in each dtype of ``paths``
    (``{"float32": path, "float16": path}``; files written atomically)."""
    import litert_torch

    for dtype in paths:
        if dtype not in DTYPES:
            raise StdoError(f"unknown export dtype {dtype!r}; use one of {', '.join(DTYPES)}")
    sample = torch.rand(1, 3, *lr_hw) * 255.0
    with tempfile.TemporaryDirectory() as tmp:
        f32 = Path(tmp) / "model.tflite"
        litert_torch.convert(model.eval(), (sample,)).export(str(f32))
        made = {"float32": f32}
        if "float16" in paths:
            from ai_edge_quantizer import quantizer

            made["float16"] = Path(tmp) / "model_fp16.tflite"
            result = quantizer.Quantizer(str(f32), _FP16_RECIPE).quantize()
            result.export_model(str(made["float16"]), overwrite=True)
        for dtype, path in paths.items():
            with io.atomic_path(path) as out:
                out.write_bytes(made[dtype].read_bytes())
    return paths


def routed_unit(unit: str) -> bool:
    """Whether a unit's model serves only part of a frame (a chunk, a time segment): its patch
    size is exported too, for the client's routed cost."""
    parsed = methods.parse_unit(unit)
    return parsed.spec.routing(parsed) != "one"


def convert_groups(models: Sequence[nn.Module], lr_hw: tuple[int, int], workdir: Path) -> list[Path]:
    """Every model's graphs (:func:`graphs`: one per CaFM time segment) converted for a
    ``[1, 3, h, w]`` input in float32 into ``workdir``: the files of a LiteRT
    :class:`stdo.sr.routed.RoutedSR`, in routing-group order (or one file for every group)."""
    paths = []
    for i, model in enumerate(models):
        for suffix, graph in graphs(model):
            paths.append(convert(graph, lr_hw, {"float32": workdir / f"m{i}{suffix}.tflite"})["float32"])
    return paths


def run_tflite(path: Path, lr: np.ndarray, threads: int = 1) -> np.ndarray:
    """Super-resolve uint8 HWC images ``[N, h, w, 3]`` one by one with a ``.tflite`` file; float
    ``[N, H, W, 3]`` on the 0..255 scale, unclamped (:class:`stdo.sr.litert.LiteRTModels`)."""
    models = LiteRTModels([path], threads)
    return np.ascontiguousarray(models.forward(0, models.prepare(lr), 0).transpose(0, 2, 3, 1))


@torch.no_grad()
def run_torch(model: nn.Module, lr: np.ndarray) -> np.ndarray:
    """The same as :func:`run_tflite` with the PyTorch model."""
    x = torch.from_numpy(np.ascontiguousarray(lr)).permute(0, 3, 1, 2).float()
    return torch.cat([model(x[i : i + 1]) for i in range(len(x))]).permute(0, 2, 3, 1).numpy()


def parity(reference: np.ndarray, exported: np.ndarray, hr: np.ndarray) -> dict[str, float]:
    """How far an exported model's outputs are from PyTorch's on the same inputs: the largest
    absolute difference (0..255 scale) and the PSNR of each against HR (outputs rounded and
    clipped to uint8, as a client shows them; :func:`stdo.core.metrics.psnr`)."""
    shown = [np.clip(np.rint(a), 0, 255).astype(np.uint8) for a in (reference, exported)]
    p_ref, p_exp = psnr(shown[0], hr), psnr(shown[1], hr)
    return {
        "max_abs": float(np.abs(reference - exported).max()),
        "psnr_torch": float(p_ref),
        "psnr_tflite": float(p_exp),
        "psnr_drop_db": float(p_ref - p_exp),
    }


def check_parity(result: dict[str, float], bounds: dict[str, float], what: str) -> None:
    """Raise :class:`ParityError` naming ``what`` when ``result`` breaks ``bounds``
    (``max_abs``, ``max_psnr_drop_db``)."""
    broken = []
    if result["max_abs"] > bounds["max_abs"]:
        broken.append(f"max abs error {result['max_abs']:.4g} > {bounds['max_abs']:g}")
    if result["psnr_drop_db"] > bounds["max_psnr_drop_db"]:
        broken.append(f"PSNR drop {result['psnr_drop_db']:.4g} dB > {bounds['max_psnr_drop_db']:g} dB")
    if broken:
        raise ParityError(f"{what}: parity with PyTorch broken: {'; '.join(broken)} (bounds: export.parity)")


def parity_frames(n_frames: int, count: int) -> list[int]:
    """``count`` evenly spaced frame indices of ``n_frames`` (first and last included)."""
    return sorted({int(round(v)) for v in np.linspace(0, n_frames - 1, max(1, min(count, n_frames)))})


def export_unit(
    model: nn.Module,
    *,
    name: str,
    outdir: Path,
    frames_lr: np.ndarray,
    frames_hr: np.ndarray,
    patches_lr: np.ndarray,
    patches_hr: np.ndarray,
    dtypes: Sequence[str],
    bounds: dict[str, dict[str, float]],
) -> list[dict[str, Any]]:
    """Export one trained model at frame size (and, for a routed unit, patch size) in every
    dtype, check each file's parity on the given LR/HR frames or patches; one record per file."""
    records = []
    sizes = [("frame", frames_lr, frames_hr)]
    if routed_unit(name):
        sizes.append(("patch", patches_lr, patches_hr))
    for suffix, graph in graphs(model):
        for size, lr, hr in sizes:
            reference = run_torch(graph, lr)
            paths = {dtype: outdir / name / f"{dtype}_{size}{suffix}.tflite" for dtype in dtypes}
            t0 = time.perf_counter()
            convert(graph, lr.shape[1:3], paths)
            seconds = round(time.perf_counter() - t0, 2)
            for dtype, path in paths.items():
                result = parity(reference, run_tflite(path, lr), hr)
                check_parity(result, bounds[dtype], str(path))
                records.append(
                    {"unit": name, "segment": int(suffix[2:]) if suffix else None, "size": size}
                    | {"dtype": dtype, "file": str(path), "bytes": path.stat().st_size}
                    | {"input": [1, 3, *lr.shape[1:3]], "convert_seconds": seconds}
                    | result
                )
    return records


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo export", description=__doc__)
    p.add_argument("--patches", required=True, type=Path, help="patch folder of the patches stage")
    p.add_argument("--models", required=True, nargs="+", type=Path, help="units' model.pt files")
    p.add_argument("--dtypes", default="float32,float16")
    p.add_argument(
        "--parity", required=True, type=json.loads, help="JSON: dtype -> {max_abs, max_psnr_drop_db}"
    )
    p.add_argument("--frames", type=int, default=2, help="LR frames (evenly spaced) the parity check runs on")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--out-dir", required=True, type=Path, help="where the .tflite files go (per unit)")
    p.add_argument("--out-manifest", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("export"):
        runtime.set_threads(args.threads)
        dtypes = [d for d in args.dtypes.split(",") if d]
        for d in dtypes:
            if d not in DTYPES or d not in args.parity:
                raise StdoError(
                    f"export dtype {d!r}: use {', '.join(DTYPES)}, each with bounds in export.parity"
                )
        grid = json.loads((args.patches / "grid.json").read_text())
        index = pd.read_csv(args.patches / "index.csv")
        cols, rows = int(grid["cols"]), int(grid["rows"])
        picked = parity_frames(int(grid["frames"]), args.frames)
        ids = index.loc[index["frame"].isin(picked), "patch"].to_numpy()
        lr_p = np.asarray(io.open_array(args.patches / "lr.npy")[ids])
        hr_p = np.asarray(io.open_array(args.patches / "hr.npy")[ids])
        frames_lr, frames_hr = stitch(lr_p, cols, rows), stitch(hr_p, cols, rows)
        records = []
        for path in args.models:
            model, record = modelfile.load_model(path)
            if int(record["scale"]) != int(grid["scale"]):
                raise StdoError(f"{path}: a x{record['scale']} model for x{grid['scale']} patches")
            name = path.parent.name
            methods.parse_unit(name)  # the unit folder names the unit
            print(f"export {name}", flush=True)
            records += export_unit(
                model,
                name=name,
                outdir=args.out_dir,
                frames_lr=frames_lr,
                frames_hr=frames_hr,
                patches_lr=lr_p,
                patches_hr=hr_p,
                dtypes=dtypes,
                bounds=args.parity,
            )
        manifest = {
            "layout": "float32 NCHW [1, 3, h, w] on 0..255 in; float32 NCHW [1, 3, h*s, w*s] on 0..255 out",
            "scale": int(grid["scale"]),
            "backbone": record["backbone"],
            "kwargs": record["kwargs"],
            "parity_frames": picked,
            "parity_bounds": args.parity,
            "files": records,
        }
        io.write_json(args.out_manifest, manifest)
        io.write_sidecar(
            args.out_manifest,
            stage="export",
            params={"dtypes": dtypes, "parity": args.parity},
            inputs=args.models,
        )
        worst = max(records, key=lambda r: r["max_abs"])
        print(f"{len(records)} files; worst parity {worst['file']}: max abs {worst['max_abs']:.3g}")


if __name__ == "__main__":
    main()
