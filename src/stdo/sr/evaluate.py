"""Super-resolve the whole LR video with a method's models, as a client would, and measure it.

Every LR patch goes through the model its method routes it to (see :mod:`stdo.methods`:
STDO sends it to its PSNR chunk's model, NAS to its time segment's model, CaFM through the
shared model with its segment's modulation, single-model methods to the one model), and
the SR patches tile the frame back exactly, so the video's PSNR is computed from the MSE
pooled over all pixels of all frames (:mod:`stdo.core.metrics`); the same pass also gives the STDO
trainer's protocol that made the paper's numbers (``psnr_trainer``: each patch shaved by
scale + 4 pixels, the mean of the routing groups' MSEs) and VSD4K.py's offline one
(``psnr_vsd4k``: each patch shaved by 4 pixels). On the held-out frames of a ``split: cafm``
video (``--cafm-protocol``) also CaFM's (``psnr_cafm``: whole frames, see
:func:`render_whole_frames`, scale + 6 shave, the mean of per-frame PSNRs), in which the paper's
cells reported from CaFM are compared (:mod:`stdo.report.tables`). Writes ``metrics.json`` and
the per-patch PSNR map ``psnr_map.npy`` ``[frames, rows, cols]`` for heatmaps.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from stdo import methods
from stdo.core import io, runtime
from stdo.core.errors import StdoError
from stdo.core.metrics import chunk_psnr, error_shaves, mse_to_psnr, pooled_psnr, psnr_cafm
from stdo.core.progress import bar as progress_bar
from stdo.models import build_model, count_macs, count_parameters, modelfile
from stdo.sr.infer import batch_errors
from stdo.sr.routed import RoutedSR, TorchModels, torch_modules
from stdo.video.patches import grid_map, stitch


@dataclass
class MethodSR:
    """A method ready to run on one video's patches: its models, loaded and checked against the
    patch grid, routed over the patches (:class:`stdo.sr.routed.RoutedSR`), and their records."""

    method: str
    units: list[str]
    grid: dict
    index: pd.DataFrame
    records: list[dict]
    sr: RoutedSR


def load_routed(
    patches: Path,
    method: str,
    model_paths: list[Path],
    *,
    partition: Path | None,
    device: torch.device,
    batch_size: int | None = 64,
) -> MethodSR:
    """Load ``method``'s models for the patches in ``patches`` (a patch directory) and route
    every patch; stops with what is wrong on a model count, scale or grouping mismatch."""
    units = methods.method_units(method)
    if len(units) != len(model_paths):
        raise StdoError(
            f"method {method!r} needs {len(units)} models ({', '.join(units)}), got {len(model_paths)}"
        )
    grid = json.loads((patches / "grid.json").read_text())
    index = pd.read_csv(patches / "index.csv")
    chunks = np.asarray(io.open_array(partition)) if partition is not None else None
    routing = methods.route(method, index=index, chunks=chunks)
    loaded = [modelfile.load_model(p, device) for p in model_paths]
    for path, (_, record) in zip(model_paths, loaded, strict=True):
        if record["scale"] != grid["scale"]:
            raise StdoError(f"{path}: a x{record['scale']} model cannot evaluate x{grid['scale']} patches")
    sr = RoutedSR(
        TorchModels([m for m, _ in loaded], device),
        routing,
        groups=methods.method_groups(method),  # a group may be empty (held-out frames, split: cafm)
        batch_size=batch_size,
        grid=(grid["cols"], grid["rows"]),
        what=f"method {method!r}",
    )
    return MethodSR(method, units, grid, index, [r for _, r in loaded], sr)


def render_whole_frames(routed: MethodSR, lr: np.ndarray) -> tuple[np.ndarray, str]:
    """Every frame of the video super-resolved as CaFM's test does (``src/trainer_cafm.py``,
    ``test``: the whole LR frame through the model of its time segment): a frame whose patches
    all go to one group (awDNN, NAS, CaFM) is stitched into its LR frame and run whole, quantised
    (:func:`stdo.core.metrics.quantize`); a frame whose patches go to several models (STDO) cannot be,
    and is rendered as the client does (:meth:`stdo.sr.routed.RoutedSR.frames`). Returns the frames
    ``[F, H, W, 3]`` and how they were made: ``frame``, ``patches`` or ``mixed``."""
    sr = routed.sr
    assert sr.grid is not None  # load_routed gives the grid
    cols, rows = sr.grid
    per_frame = cols * rows
    out, kinds = [], set()
    for f in range(len(routed.index) // per_frame):
        ids = np.arange(f * per_frame, (f + 1) * per_frame)
        groups = np.unique(sr.routing[ids])
        if groups.size == 1:
            frame = stitch(np.asarray(lr[ids]), cols, rows)
            out.append(sr.run_group(int(groups[0]), frame)[0])
            kinds.add("frame")
        else:
            out.append(sr.frames(lr, [f])[0])
            kinds.add("patches")
    return np.stack(out), kinds.pop() if len(kinds) == 1 else "mixed"


def evaluate(
    patches: Path,
    method: str,
    model_paths: list[Path],
    *,
    partition: Path | None,
    batch_size: int,
    device: str,
    cafm_protocol: bool = False,
) -> tuple[dict, np.ndarray]:
    """The method's metrics on the video of ``patches`` and its per-patch PSNR map. With
    ``cafm_protocol`` (the held-out frames of a ``split: cafm`` video) also ``psnr_cafm``:
    :func:`stdo.core.metrics.psnr_cafm` of :func:`render_whole_frames` against the stitched HR frames."""
    dev = runtime.resolve_device(device)
    routed = load_routed(patches, method, model_paths, partition=partition, device=dev, batch_size=batch_size)
    grid, index, sr, records = routed.grid, routed.index, routed.sr, routed.records
    lr, hr = io.open_array(patches / "lr.npy"), io.open_array(patches / "hr.npy")
    shaves = error_shaves(hr.shape[1], hr.shape[2], grid["scale"])
    col = {name: j for j, name in enumerate(shaves)}
    errors = np.full((len(index), len(shaves)), np.nan)
    with progress_bar(total=len(index), desc=f"evaluate {method}", unit="patch") as bar:
        for _, part, y in sr.batches(lr):
            errors[part] = batch_errors(y, hr[part], list(shaves.values()))
            bar.update(len(part))
    mse = errors[:, 0]
    per_group = []
    for g in range(sr.groups):
        ids = np.flatnonzero(sr.routing == g)
        per_group.append(
            {
                "unit": routed.units[sr.member(g)],
                "group": g,
                "patches": int(ids.size),
                "psnr": pooled_psnr(mse[ids]) if ids.size else None,
            }
        )
    record = records[0]
    plain = build_model(record["backbone"], scale=record["scale"], **record["kwargs"])  # no modulation
    metrics = {
        "method": method,
        "psnr": pooled_psnr(mse),
        "psnr_trainer": (
            chunk_psnr(errors[:, col["psnr_trainer"]], sr.routing) if "psnr_trainer" in col else None
        ),  # the trainer's protocol: one chunk per routing group (a model, or a CaFM modulation)
        "psnr_vsd4k": pooled_psnr(errors[:, col["psnr_vsd4k"]]) if "psnr_vsd4k" in col else None,
        "mse": float(mse.mean()),
        "models": len(routed.units),
        "parameters": sum(count_parameters(m) for m in torch_modules(sr)),
        "backbone_parameters": count_parameters(plain),
        "macs_48": count_macs(plain, (48, 48)),
        "patches": int(mse.size),
        "frames": int(grid["frames"]),
        "train_patches": sum(r.get("extra", {}).get("patches") or 0 for r in records),
        "cafm_params_per_chunk": record.get("extra", {}).get("cafm_params_per_chunk"),
        "per_group": per_group,
    }
    if cafm_protocol:
        frames, how = render_whole_frames(routed, lr)
        metrics["psnr_cafm"] = psnr_cafm(
            frames, stitch(np.asarray(hr), grid["cols"], grid["rows"]), scale=grid["scale"]
        )
        metrics["psnr_cafm_inference"] = how
    return metrics, grid_map(mse_to_psnr(mse), grid["cols"], grid["rows"])


def evaluate_and_write(
    patches: Path,
    method: str,
    models: list[Path],
    *,
    out_metrics: Path,
    out_map: Path,
    partition: Path | None = None,
    labels: dict[str, Any] | None = None,
    batch_size: int = 64,
    device: str = "auto",
    cafm_protocol: bool = False,
) -> dict[str, Any]:
    """:func:`evaluate` one method and write its metrics.json (with ``labels``), PSNR map and
    their sidecars."""
    labels = labels or {}
    metrics, pmap = evaluate(
        patches,
        method,
        models,
        partition=partition,
        batch_size=batch_size,
        device=device,
        cafm_protocol=cafm_protocol,
    )
    metrics |= labels
    io.save_array(out_map, pmap)
    io.write_json(out_metrics, metrics)
    inputs = [patches / "index.csv", *models] + ([partition] if partition else [])
    for out in (out_metrics, out_map):
        io.write_sidecar(
            out,
            stage="evaluate",
            params={"method": method, "labels": labels, "cafm_protocol": cafm_protocol},
            inputs=inputs,
        )
    print(json.dumps({k: metrics[k] for k in ("method", "psnr", "models", "parameters")}), flush=True)
    return metrics


BATCH_KEYS = {"method", "models", "partition", "out_metrics", "out_map"}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo evaluate", description=__doc__)
    p.add_argument("--patches", required=True, type=Path)
    p.add_argument("--method")
    p.add_argument("--models", nargs="+", type=Path)
    p.add_argument("--partition", type=Path, default=None)
    p.add_argument(
        "--batch",
        type=json.loads,
        default=None,
        help="several methods in this process, instead of --method/--models/--partition/--out-*: a JSON "
        "list of objects with method, models, partition (or null), out_metrics and out_map",
    )
    p.add_argument("--labels", type=json.loads, default={}, help="JSON copied into metrics.json")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument(
        "--cafm-protocol",
        action="store_true",
        help="also psnr_cafm, CaFM's protocol on whole frames (the held-out frames of a split: cafm video)",
    )
    p.add_argument("--out-metrics", type=Path)
    p.add_argument("--out-map", type=Path)
    args = p.parse_args(argv)
    single = (args.method, args.models, args.out_metrics, args.out_map)
    if args.batch is None and None in single:
        p.error("give --method, --models, --out-metrics and --out-map, or --batch")
    if args.batch is not None and any(v is not None for v in (*single, args.partition)):
        p.error("--batch replaces --method, --models, --partition, --out-metrics and --out-map")
    jobs = args.batch if args.batch is not None else [
        {"method": args.method, "models": args.models, "partition": args.partition,
         "out_metrics": args.out_metrics, "out_map": args.out_map}
    ]  # fmt: skip
    for job in jobs:
        if not isinstance(job, dict) or set(job) != BATCH_KEYS:
            p.error(f"each --batch entry has exactly the keys {sorted(BATCH_KEYS)}; got {job!r}")
    with io.stage_errors("evaluate"):
        runtime.set_threads(args.threads)
        for job in jobs:
            evaluate_and_write(
                args.patches,
                job["method"],
                [Path(m) for m in job["models"]],
                out_metrics=Path(job["out_metrics"]),
                out_map=Path(job["out_map"]),
                partition=Path(job["partition"]) if job["partition"] else None,
                labels=args.labels,
                batch_size=args.batch_size,
                device=args.device,
                cafm_protocol=args.cafm_protocol,
            )


if __name__ == "__main__":
    main()
