"""The training regime of every configured cell, beside the paper's: ``stdo plan``.

For every (video, scale, backbone, method) a table trains (``Plan.metrics_evals``), before
anything trains:

* ``models``: models of the method (its training units, :func:`stdo.methods.method_units`);
* ``steps_per_model``: optimiser steps each model takes, exactly as :mod:`stdo.sr.train` counts
  them (``steps_for(epochs, budget, batch_size)``, the budget being the unit's own patches or
  the whole video's, :func:`stdo.methods.unit_budget`); where a method's models differ (NAS
  segments or STDO chunks of unequal sizes) it is their mean, and ``steps_range`` gives
  ``min-max``;
* ``lr_pixels_per_param``: LR pixels of a model's training share (its patches x LR patch
  height x width) over the model's parameters (the backbone built with its kwargs at that
  scale; CaFM's include every segment's modulation, as ``stdo.sr.evaluate`` counts them), mean over
  the method's models.

A unit's patches come from the real selection code (:func:`stdo.methods.unit_selection`) run
on the patch index the video's frames and grid make (:func:`stdo.video.patches.index_table`) and on
a partition of the same chunk sizes as the PSNR partition's (:func:`stdo.sr.partition.partition`
cuts ``N`` patches into ``k`` chunks whose sizes differ by at most one, whatever the scores).

Beside each, ``paper_steps_per_model`` and ``paper_lr_pixels_per_param``: the same numbers in
the paper's setting (:class:`PaperSetting`): 1080p VSD4K at 30 fps, the video's ``paper`` label's
duration (15 s where the video has none, said in ``paper_cell``), and the patch grids, batch
size, epochs, backbone kwargs and NAS/CaFM segment length of ``config/paper.yaml``. NAS and
CaFM are compared with the paper's segmentation of that duration (``paper_method``).

Importing this module imports neither PyAV nor Snakemake: a user video's size is read from its
header, and configs given with ``--configfile`` are validated with Snakemake's validator, only
when needed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stdo import methods
from stdo.core import io
from stdo.core.checkout import CHECKOUT
from stdo.core.errors import StdoError
from stdo.core.frames import cafm_train_frames
from stdo.report import markdown
from stdo.workflow import paths
from stdo.workflow.plan import Plan

CONFIG = Path(paths.CONFIG)
PAPER_CONFIG = Path(paths.PAPER_CONFIG)
SCHEMA = Path(paths.SCHEMA)

# The paper's setting that config/paper.yaml cannot say (its videos are VSD4K clips, read from
# PNGs): VSD4K is 1080p (paper Section 4.1; CaFM's dataset), at 30 fps (the authors' VSD4K.py
# keeps time * 30 frames: 450 for 15 s, 1,350 for 45 s); a video without a paper label is set
# beside the 15 s clips.
PAPER_HR = (1920, 1080)  # width, height
PAPER_FPS = 30
PAPER_DEFAULT_SECONDS = 15

COLUMNS = [
    "video", "scale", "backbone", "method", "models", "n_seeds", "frames", "hr_size", "lr_patch",
    "patches", "epochs", "batch_size", "steps_per_model", "steps_range", "share_patches", "parameters",
    "lr_pixels_per_param", "paper_cell", "paper_method", "paper_steps_per_model", "paper_steps_range",
    "paper_lr_pixels_per_param", "note",
]  # fmt: skip
PRINTED = [
    "video", "scale", "backbone", "method", "models", "n_seeds", "steps_per_model",
    "paper_steps_per_model", "lr_pixels_per_param", "paper_lr_pixels_per_param", "paper_cell", "note",
]  # fmt: skip


# ------------------------------------------------------------------ the numbers (pure)


@dataclass(frozen=True)
class Geometry:
    """What a cell's patches are: frames, patch grid (cols x rows) and LR patch size."""

    frames: int
    cols: int
    rows: int
    patch_w: int
    patch_h: int

    @property
    def patches(self) -> int:
        return self.frames * self.cols * self.rows


@lru_cache(maxsize=64)
def _index(frames: int, cols: int, rows: int) -> pd.DataFrame:
    from stdo.video.patches import index_table

    return index_table(frames, cols, rows)


@lru_cache(maxsize=256)
def _chunks(n: int, k: int) -> np.ndarray:
    """A partition with the PSNR partition's chunk sizes (they depend on ``n`` and ``k`` only)."""
    from stdo.sr.partition import partition

    return partition(np.arange(n, dtype=np.float64), k)


@lru_cache(maxsize=4096)
def _unit_patches(unit: str, frames: int, cols: int, rows: int, proportions: tuple[float, ...] | None):
    index = _index(frames, cols, rows)
    k = methods.unit_partition_k(unit)
    chunks = _chunks(len(index), k) if k else None
    sel = methods.unit_selection(unit, index=index, chunks=chunks, proportions=proportions)
    budget = sel.size if methods.unit_budget(unit) == "data" else len(index)
    return int(sel.size), int(budget)


def unit_patches(
    unit: str, geometry: Geometry, proportions: Sequence[float] | None = None
) -> tuple[int, int]:
    """``(share, budget)`` of a training unit: the patches it trains on and the patches its
    optimiser budget counts (``epochs x budget`` patch-steps), as :func:`stdo.sr.train.run_training`."""
    g = geometry
    return _unit_patches(unit, g.frames, g.cols, g.rows, tuple(proportions) if proportions else None)


def steps_for(epochs: float, n_patches: int, batch_size: int) -> int:
    """:func:`stdo.sr.train.steps_for` (imported on call: it brings torch's optimiser code)."""
    from stdo.sr.train import steps_for as train_steps

    return train_steps(epochs, n_patches, batch_size)


@lru_cache(maxsize=256)
def _parameters(
    backbone: str, kwargs_json: str, scale: int, cafm_segments: int | None, cafm_json: str = "{}"
) -> int:
    from stdo.models import build_model, count_parameters

    model = build_model(backbone, scale=scale, **json.loads(kwargs_json))
    if cafm_segments is not None:
        from stdo.models.cafm import CaFM

        model = CaFM(model, cafm_segments, **json.loads(cafm_json))
    return count_parameters(model)


def unit_parameters(
    backbone: str,
    kwargs: Mapping[str, Any],
    scale: int,
    unit: str,
    cafm: Mapping[str, Any] | None = None,
) -> int:
    """Parameters of a unit's model: the backbone at ``scale``; CaFM's with every segment's
    modulation, built with config ``cafm``'s settings as training builds it (what
    ``stdo.sr.evaluate`` counts for it)."""
    kw = json.dumps(dict(kwargs), sort_keys=True)
    cafm_json = json.dumps(dict(cafm or {}), sort_keys=True)
    return _parameters(backbone, kw, int(scale), methods.unit_cafm_segments(unit), cafm_json)


def method_regime(
    method: str,
    *,
    geometry: Geometry,
    epochs: float,
    batch_size: int,
    backbone: str,
    kwargs: Mapping[str, Any],
    scale: int,
    config: Mapping[str, Any],
) -> dict[str, Any]:
    """Models, steps per model (mean and range), training share and LR pixels per parameter of
    one method in one cell. ``config`` gives the units' sampling proportions (JSTDO)."""
    units = methods.method_units(method)
    steps, shares, pixels_per_param = [], [], []
    params = 0
    for unit in units:
        share, budget = unit_patches(unit, geometry, methods.unit_proportions(unit, config))
        params = unit_parameters(backbone, kwargs, scale, unit, config.get("cafm"))
        steps.append(steps_for(epochs, budget, batch_size))
        shares.append(share)
        pixels_per_param.append(share * geometry.patch_w * geometry.patch_h / params)
    lo, hi = min(steps), max(steps)
    return {
        "models": len(units),
        "steps_per_model": float(np.mean(steps)),
        "steps_range": f"{lo}" if lo == hi else f"{lo}-{hi}",
        "share_patches": float(np.mean(shares)),
        "parameters": params,
        "lr_pixels_per_param": float(np.mean(pixels_per_param)),
    }


def lr_patch(hr: tuple[int, int], scale: int, grid: Sequence[int]) -> tuple[int, int] | None:
    """LR patch ``(width, height)`` of an HR frame ``(width, height)``, or None when it does not
    divide by scale x grid."""
    (w, h), (cols, rows) = hr, grid
    if w % (scale * cols) or h % (scale * rows):
        return None
    return w // scale // cols, h // scale // rows


def retime_method(method: str, segments: int) -> str:
    """The same method with ``segments`` time segments (NAS and CaFM: ``-n{n}``); others as they are."""
    p = methods.parse_method(method)
    if p["n"] is None:
        return method
    return re.sub(r"-n\d+", f"-n{segments}", method, count=1)


# ------------------------------------------------------------------ the paper's setting


@dataclass(frozen=True)
class PaperSetting:
    """The paper's training setting, from config/paper.yaml and :data:`PAPER_HR`/:data:`PAPER_FPS`."""

    grids: Mapping[int, tuple[int, int]]
    batch_size: int
    backbones: Mapping[str, Mapping[str, Any]]  # name -> {epochs, kwargs}
    chunk_seconds: float
    config: Mapping[str, Any]  # the paper config (JSTDO's proportions)
    hr: tuple[int, int] = PAPER_HR
    fps: int = PAPER_FPS

    @classmethod
    def from_config(cls, paper: Mapping[str, Any]) -> PaperSetting:
        try:
            grids = {int(k.removeprefix("x")): tuple(v) for k, v in paper["patch_grid"].items()}
            backbones = {
                b["name"]: {"epochs": b["epochs"], "kwargs": b.get("kwargs") or {}}
                for b in paper["backbones"]
            }
            return cls(
                grids, int(paper["train"]["batch_size"]), backbones, paper["nas"]["chunk_seconds"], paper
            )
        except (KeyError, TypeError) as e:
            raise StdoError(
                f"the paper config lacks {e} (it needs patch_grid, backbones with epochs, train.batch_size "
                "and nas.chunk_seconds): give config/paper.yaml as it is in the repository"
            ) from None

    def cell(self, entry: Mapping[str, Any]) -> tuple[float, str]:
        """Seconds of the paper's matching video and its description."""
        label = entry.get("paper")
        if label:
            return float(label["duration_s"]), f"{label['video']} {label['duration_s']:g} s"
        return float(PAPER_DEFAULT_SECONDS), f"{PAPER_DEFAULT_SECONDS} s (no paper label)"

    def regime(
        self, method: str, scale: int, backbone: str, seconds: float, ours: Mapping[str, Any]
    ) -> tuple[str, dict | None, str]:
        """``(paper method, its regime or None, note)`` of a method in the paper's cell. JSTDO
        draws with the paper config's proportions where they fit its k, else with ``ours``'."""
        segments = max(1, math.ceil(seconds / self.chunk_seconds - 1e-9))
        paper_method = retime_method(method, segments)
        if backbone not in self.backbones:
            return paper_method, None, f"the paper has no {backbone}"
        if scale not in self.grids:
            return paper_method, None, f"the paper has no x{scale}"
        patch = lr_patch(self.hr, scale, self.grids[scale])
        if patch is None:
            return paper_method, None, f"the paper's x{scale} grid does not divide its frames"
        geometry = Geometry(round(seconds * self.fps), *self.grids[scale], *patch)
        config = self.config if self._proportions_fit(paper_method) else ours
        b = self.backbones[backbone]
        out = method_regime(
            paper_method,
            geometry=geometry,
            epochs=b["epochs"],
            batch_size=self.batch_size,
            backbone=backbone,
            kwargs=b["kwargs"],
            scale=scale,
            config=config,
        )
        return paper_method, out, ""

    def _proportions_fit(self, method: str) -> bool:
        for unit in methods.method_units(method):
            try:
                rho = methods.unit_proportions(unit, self.config)
            except (StdoError, KeyError):
                return False
            if rho is not None and len(rho) != methods.unit_partition_k(unit):
                return False
        return True


# ------------------------------------------------------------------ the configured cells


def train_frames(plan: Plan, video: str) -> int | None:
    """Frames the video's patches are cut from (CaFM's training part with ``split: cafm``):
    known without decoding for the demo and files with a header; VSD4K clips: their duration
    (``duration_s`` or the paper label's) x 30 fps, as the authors keep them; else None."""
    entry = plan.videos[video]
    probed = plan.video_frames(video)
    total = probed[0] if probed else None
    if total is None and entry.get("vsd4k"):
        seconds = entry.get("duration_s") or (entry.get("paper") or {}).get("duration_s")
        if seconds:
            total = round(float(seconds) * PAPER_FPS)
            if entry.get("frames"):
                start, stop = entry["frames"]
                total = max(0, (total if stop is None else min(int(stop), total)) - int(start))
    if total is not None and entry.get("split") == "cafm":
        total = cafm_train_frames(total)
    return total


def probe_size(path: Path) -> tuple[int, int] | None:
    """``(width, height)`` of a video file's first video stream, from its header (PyAV)."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            ctx = container.streams.video[0].codec_context
            return (int(ctx.width), int(ctx.height)) if ctx.width and ctx.height else None
    except (av.error.FFmpegError, OSError):
        return None


def hr_size(plan: Plan, video: str) -> tuple[tuple[int, int] | None, str]:
    """HR frame ``(width, height)`` the patches are cut from (after ``crop`` and ``fit``), or
    None with why: the demo's settings, VSD4K's 1080p, or a user file's header."""
    entry = plan.videos[video]
    demo = plan.config.get("demo_video")
    source = entry.get("source")
    size: tuple[int, int] | None
    if demo and source == demo["path"]:
        size = (int(demo["width"]), int(demo["height"]))
    elif entry.get("vsd4k"):
        size = PAPER_HR
    elif source and Path(source).exists():
        size = probe_size(Path(source))
        if size is None:
            return None, f"{source}: its header gives no frame size"
    else:
        return None, f"frame size unknown: {source or 'no source'} is not there yet"
    if entry.get("crop"):
        size = (int(entry["crop"][2]), int(entry["crop"][3]))
    if entry.get("fit") == "crop":
        mw, mh, _ = plan.fit_multiple()
        size = ((size[0] // mw) * mw, (size[1] // mh) * mh)
    return size, ""


def regime_table(config: Mapping[str, Any], paper: PaperSetting) -> pd.DataFrame:
    """One row per configured cell and method (``Plan.metrics_evals``): its regime and the paper's;
    with study.budgets, one per budget too (column ``budget``, epochs)."""
    plan = Plan(config)
    n_seeds = len(plan.seeds)
    batch = int(config["train"].get("batch_size", 16))
    rows = []
    for budget, (video, scale, backbone, method) in itertools.product(plan.budgets, plan.metrics_evals()):
        entry = plan.videos[video]
        b = plan.backbones[backbone]
        grid = plan.grid(scale)
        frames = train_frames(plan, video)
        size, note = hr_size(plan, video)
        patch = lr_patch(size, scale, grid) if size else None
        if size and patch is None:
            note = f"HR {size[0]}x{size[1]} does not divide by x{scale} x grid {grid[0]}x{grid[1]}"
        if frames is None:
            note = "; ".join(filter(None, [note, "frame count unknown (no file header to read yet)"]))
        row: dict[str, Any] = {
            "video": video,
            "scale": scale,
            "backbone": backbone,
            "method": method,
            "models": len(methods.method_units(method)),
            "n_seeds": n_seeds,
            "frames": frames,
            "hr_size": f"{size[0]}x{size[1]}" if size else None,
            "lr_patch": f"{patch[0]}x{patch[1]}" if patch else None,
            "patches": frames * grid[0] * grid[1] if frames is not None else None,
            "epochs": plan.epochs(backbone, budget),
            "batch_size": batch,
        } | plan.budget_labels(budget)
        if frames is not None:
            geometry = Geometry(frames, grid[0], grid[1], *(patch or (0, 0)))
            ours = method_regime(
                method,
                geometry=geometry,
                epochs=plan.epochs(backbone, budget),
                batch_size=batch,
                backbone=backbone,
                kwargs=b.get("kwargs") or {},
                scale=scale,
                config=config,
            )
            if patch is None:
                ours["lr_pixels_per_param"] = None
            row |= ours
        seconds, row["paper_cell"] = paper.cell(entry)
        row["paper_method"], theirs, paper_note = paper.regime(method, scale, backbone, seconds, config)
        if theirs:
            row |= {
                "paper_steps_per_model": theirs["steps_per_model"],
                "paper_steps_range": theirs["steps_range"],
                "paper_lr_pixels_per_param": theirs["lr_pixels_per_param"],
            }
        row["note"] = "; ".join(filter(None, [note, paper_note]))
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=[*COLUMNS, *(["budget"] if plan.swept else [])])


# ------------------------------------------------------------------ configs


def repo_root() -> Path:
    """The directory holding config/config.yaml: the working directory, else the package's checkout."""
    for root in (Path.cwd(), CHECKOUT):
        if (root / CONFIG).is_file():
            return root
    raise StdoError(
        f"no {CONFIG} in {Path.cwd()} or the package's checkout: run from the repository root, "
        "or give --config-json with a resolved config"
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise StdoError(f"config file {path} not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise StdoError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise StdoError(f"{path}: a config file must be a mapping of keys, not {type(data).__name__}")
    return data


def load_config(configfiles: Sequence[Path], root: Path | None = None) -> dict[str, Any]:
    """config/config.yaml with each overlay merged on top (as ``snakemake --configfile``:
    mappings merged key by key, lists replaced), validated against the schema with its
    defaults filled in, as the Snakefile does."""
    from snakemake.utils import update_config, validate

    root = root or repo_root()
    config = _read_yaml(root / CONFIG)
    for path in configfiles:
        update_config(config, _read_yaml(Path(path)))
    try:
        validate(config, str((root / SCHEMA).resolve()), set_default=True)
    except Exception as e:  # noqa: BLE001 - Snakemake's WorkflowError wraps jsonschema's
        names = ", ".join(map(str, configfiles)) or str(root / CONFIG)
        raise StdoError(f"config ({names}) does not match {SCHEMA}: {e}") from None
    return config


def prepare(config: dict[str, Any]) -> Plan:
    """Load the config's plugins and check it as the workflow does (``Plan.check``)."""
    from stdo.core import plugins

    plugins.activate(config.get("plugins", []))
    return Plan(config).check()


# ------------------------------------------------------------------ output


def _number(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 or v.is_integer() else f"{v:.2f}"


def _fmt(v: Any) -> str:  # the printed table's cells
    if markdown.is_missing(v):
        return ""
    return _number(v) if isinstance(v, float) else str(v)


def to_markdown(df: pd.DataFrame) -> str:
    note = (
        "`steps_per_model`: optimiser steps of each of the method's `models` (the mean where they differ; "
        "`steps_range` min-max), `ceil(epochs x budget / batch_size)` as stdo.sr.train counts them. "
        "`lr_pixels_per_param`: LR pixels of a model's training share (`share_patches` x `lr_patch`) "
        "over its `parameters` (CaFM: with every segment's modulation). `paper_*`: the same in the "
        f"paper's setting (VSD4K {PAPER_HR[0]}x{PAPER_HR[1]} at {PAPER_FPS} fps, the duration of "
        "`paper_cell`, config/paper.yaml's grids, batch size, epochs and backbone sizes), for "
        "`paper_method` (NAS and CaFM: the paper's segments of that duration)."
    )
    title = "Training regime of every cell, beside the paper's"
    return markdown.page(title, markdown.table(df, floats=_number), note, end="")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo plan", description=__doc__)
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--configfile",
        type=Path,
        action="extend",
        nargs="+",
        default=[],
        help="overlay(s) on config/config.yaml, merged in order as snakemake --configfile",
    )
    src.add_argument("--config-json", type=Path, help="an already resolved config (the workflow's snapshot)")
    p.add_argument(
        "--paper-config", type=Path, default=None, help="default: config/paper.yaml of the checkout"
    )
    p.add_argument("--out-csv", type=Path, default=None)
    p.add_argument("--out-md", type=Path, default=None)
    args = p.parse_args(argv)
    with io.stage_errors("plan"):
        if args.config_json:
            if not args.config_json.is_file():
                raise StdoError(f"--config-json {args.config_json}: file not found")
            config = json.loads(args.config_json.read_text())
        else:
            config = load_config(args.configfile)
        prepare(config)
        paper_path = args.paper_config or repo_root() / PAPER_CONFIG
        paper = PaperSetting.from_config(_read_yaml(paper_path))
        df = regime_table(config, paper)
        with pd.option_context("display.width", 250, "display.max_rows", None, "display.max_columns", None):
            printed = PRINTED + (["budget"] if "budget" in df else [])
            print(df[printed].to_string(index=False, formatters={c: _fmt for c in printed}))
        params = {"paper_config": str(paper_path), "config_json": str(args.config_json or "")}
        inputs = [paper_path] + ([args.config_json] if args.config_json else list(args.configfile))
        if args.out_csv:
            io.write_csv(args.out_csv, df)
            io.write_sidecar(args.out_csv, stage="plan", params=params, inputs=inputs)
        if args.out_md:
            io.write_text(args.out_md, to_markdown(df))
            io.write_sidecar(args.out_md, stage="plan", params=params, inputs=inputs)


if __name__ == "__main__":
    main()
