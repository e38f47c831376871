"""Super-resolve the whole LR video with a method's models, as a client would, and measure it.

Every LR patch goes through the model its method routes it to (for STDO: its PSNR chunk's
model; for single-model methods: the one model) and the SR patches tile the frame back
exactly, so the video's PSNR is computed from the MSE pooled over all pixels of all frames
(:mod:`stdo.metrics`). Writes ``metrics.json`` and the per-patch PSNR map ``psnr_map.npy``
``[frames, rows, cols]`` for heatmaps.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from stdo import io, methods, runtime
from stdo.errors import StdoError
from stdo.infer import patch_mse
from stdo.metrics import mse_to_psnr, pooled_psnr
from stdo.models import count_parameters
from stdo.patches import grid_map


def evaluate(
    patches: Path,
    method: str,
    model_paths: list[Path],
    *,
    partition: Path | None,
    fps: float | None,
    batch_size: int,
    device: str,
) -> tuple[dict, np.ndarray]:
    units = methods.method_units(method)
    if len(units) != len(model_paths):
        raise StdoError(
            f"method {method!r} needs {len(units)} models ({', '.join(units)}), got {len(model_paths)}"
        )
    dev = runtime.resolve_device(device)
    grid = json.loads((patches / "grid.json").read_text())
    index = pd.read_csv(patches / "index.csv")
    chunks = np.asarray(io.open_array(partition)) if partition is not None else None
    routing = methods.route(method, index=index, chunks=chunks, fps=fps)
    lr, hr = io.open_array(patches / "lr.npy"), io.open_array(patches / "hr.npy")
    mse = np.full(len(index), np.nan)
    per_model, params = [], 0
    for m, (unit, path) in enumerate(zip(units, model_paths, strict=True)):
        model, record = runtime.load_model(path, dev)
        if record["scale"] != grid["scale"]:
            raise StdoError(f"{path}: a x{record['scale']} model cannot evaluate x{grid['scale']} patches")
        params += count_parameters(model)
        ids = np.flatnonzero(routing == m)
        if ids.size:
            mse[ids] = patch_mse(
                model, lr, hr, ids, batch_size=batch_size, device=dev, desc=f"{method} model {m}"
            )
        per_model.append(
            {
                "unit": unit,
                "model": str(path),
                "patches": int(ids.size),
                "psnr": pooled_psnr(mse[ids]) if ids.size else None,
            }
        )
    if np.isnan(mse).any():
        raise StdoError(f"method {method!r}: {int(np.isnan(mse).sum())} patches were routed to no model")
    metrics = {
        "method": method,
        "psnr": pooled_psnr(mse),
        "mse": float(mse.mean()),
        "models": len(units),
        "parameters": params,
        "patches": int(mse.size),
        "frames": int(grid["frames"]),
        "per_model": per_model,
    }
    return metrics, grid_map(mse_to_psnr(mse), grid["cols"], grid["rows"])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo evaluate", description=__doc__)
    p.add_argument("--patches", required=True, type=Path)
    p.add_argument("--method", required=True)
    p.add_argument("--models", required=True, nargs="+", type=Path)
    p.add_argument("--partition", type=Path, default=None)
    p.add_argument("--meta", type=Path, default=None, help="video meta.json")
    p.add_argument("--labels", type=json.loads, default={}, help="JSON copied into metrics.json")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--out-metrics", required=True, type=Path)
    p.add_argument("--out-map", required=True, type=Path)
    a = p.parse_args(argv)
    with io.stage_errors("evaluate"):
        runtime.set_threads(a.threads)
        fps = json.loads(a.meta.read_text())["fps"] if a.meta else None
        metrics, pmap = evaluate(
            a.patches,
            a.method,
            a.models,
            partition=a.partition,
            fps=fps,
            batch_size=a.batch_size,
            device=a.device,
        )
        metrics |= a.labels
        io.save_array(a.out_map, pmap)
        io.write_json(a.out_metrics, metrics)
        inputs = [a.patches / "index.csv", *a.models] + ([a.partition] if a.partition else [])
        for out in (a.out_metrics, a.out_map):
            io.write_sidecar(
                out, stage="evaluate", params={"method": a.method, "labels": a.labels}, inputs=inputs
            )
        print(json.dumps({k: metrics[k] for k in ("method", "psnr", "models", "parameters")}))


if __name__ == "__main__":
    main()
