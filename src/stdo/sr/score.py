"""Per-patch PSNR of the generic model f0 against HR (the scores STDO partitions by).

Writes ``scores.csv`` (``patch, frame, row, col, mse, psnr``, and ``psnr_trainer``, each patch's
PSNR with the STDO trainer's scale + 4 shave, where a patch keeps pixels after it; PSNR per
:mod:`stdo.core.metrics`) and ``summary.json`` with the pooled PSNR of f0 and of plain bicubic
upscaling over the whole video (ours and the authors' protocol), the references every
trained model is compared with in the tables.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from stdo.core import io, runtime
from stdo.core.errors import StdoError
from stdo.core.imaging import upscale_bicubic
from stdo.core.metrics import chunk_psnr, error_shaves, mse_to_psnr, pooled_psnr
from stdo.models import count_parameters, modelfile
from stdo.sr.infer import patch_errors


class Bicubic(nn.Module):
    """Plain bicubic upscaling as a model (the no-learning reference)."""

    def __init__(self, scale: int):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upscale_bicubic(x, self.scale)


def score(patches: Path, model_path: Path, batch_size: int, device: str) -> tuple[pd.DataFrame, dict]:
    dev = runtime.resolve_device(device)
    model, record = modelfile.load_model(model_path, dev)
    grid = json.loads((patches / "grid.json").read_text())
    if record["scale"] != grid["scale"]:
        raise StdoError(
            f"{model_path}: f0 is a x{record['scale']} model but the patches are x{grid['scale']}"
        )
    lr, hr = io.open_array(patches / "lr.npy"), io.open_array(patches / "hr.npy")
    table = pd.read_csv(patches / "index.csv")
    ids = table["patch"].to_numpy()
    shaves = error_shaves(hr.shape[1], hr.shape[2], grid["scale"])
    kw: dict[str, Any] = {"batch_size": batch_size, "device": dev, "shaves": list(shaves.values())}
    f0 = patch_errors(model, lr, hr, ids, desc="score f0", **kw)
    bic = patch_errors(Bicubic(grid["scale"]), lr, hr, ids, desc="bicubic", **kw)
    mse = f0[:, 0]
    table["mse"] = mse
    table["psnr"] = mse_to_psnr(mse)
    cols = {name: j for j, name in enumerate(shaves)}
    if "psnr_trainer" in cols:  # what the authors partition by (see stdo.sr.partition.scores_of)
        table["psnr_trainer"] = mse_to_psnr(f0[:, cols["psnr_trainer"]])
    one = np.zeros(ids.size, dtype=np.int64)  # f0 and bicubic: one model, one chunk
    summary: dict[str, Any] = {
        "f0_psnr": pooled_psnr(mse),
        "bicubic_psnr": pooled_psnr(bic[:, 0]),
    }
    for name, pool in (("psnr_trainer", lambda m: chunk_psnr(m, one)), ("psnr_vsd4k", pooled_psnr)):
        for ref, err in (("f0", f0), ("bicubic", bic)):
            summary[f"{ref}_{name}"] = pool(err[:, cols[name]]) if name in cols else None
    summary |= {
        "f0_backbone": record["backbone"],
        "f0_kwargs": record["kwargs"],
        "f0_parameters": count_parameters(model),
        "patches": int(ids.size),
        "patch_psnr_min": float(np.min(table["psnr"])),
        "patch_psnr_max": float(np.max(table["psnr"])),
    }
    return table, summary


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo score", description=__doc__)
    p.add_argument("--patches", required=True, type=Path)
    p.add_argument("--model", required=True, type=Path, help="f0 (an stdo model file)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--out", required=True, type=Path, help="scores.csv")
    p.add_argument("--out-summary", required=True, type=Path)
    p.add_argument("--labels", type=json.loads, default={}, help="JSON copied into the summary")
    args = p.parse_args(argv)
    with io.stage_errors("score"):
        runtime.set_threads(args.threads)
        table, summary = score(args.patches, args.model, args.batch_size, args.device)
        summary |= args.labels
        io.write_csv(args.out, table)
        io.write_json(args.out_summary, summary)
        for out in (args.out, args.out_summary):
            io.write_sidecar(
                out,
                stage="score",
                params={"batch_size": args.batch_size},
                inputs=[args.patches / "index.csv", args.model],
            )
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
