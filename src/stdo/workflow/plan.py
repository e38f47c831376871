"""What a config asks the workflow to make: pure planning over the validated config.

Snakemake's ``common.smk`` asks a :class:`Plan` for everything that is computed from the
config (the videos including CaFM's held-out ones, time segments, fit multiples, method ids and
training units, which tables, figures and ablations to build, train settings), for the files
each rule reads and writes (formatted from the templates of :mod:`stdo.workflow.paths`) and for
the command-line arguments that depend on the config; it keeps only look-ups. Nothing here
touches files, except :meth:`Plan.video_frames` reading a user video's header when the config
does not give its length. Importing this module imports neither PyAV nor scikit-image
(Snakemake imports it while parsing).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from stdo import methods
from stdo.core.cell import Cell
from stdo.core.errors import StdoError
from stdo.core.frames import cafm_train_frames, count_in
from stdo.workflow import paths
from stdo.workflow.shell import flag, json_arg

ABLATIONS = ("chunks", "schedules", "long_video")
# train settings not passed to the jobs at their defaults (Plan.train_settings)
QUIET_DEFAULTS: dict[str, tuple[Any, ...]] = {
    "tf32": (None,),
    "fuse": ("auto",),
    "resident": ("auto",),
    "compile": (False,),
}
HELDOUT_SUFFIX = "_heldout"
CRF_SUFFIX = "_crf"  # a video's LR stream at another rate.lr_crf: <video>_crf<crf> (Plan.videos)


@dataclass(frozen=True)
class Ablation:
    """One configured ablation: its spec and the evaluations it is made of."""

    name: str
    spec: Mapping[str, Any]
    evals: list[tuple[str, int, str, str]]  # (video, scale, backbone, method)
    seeds: list[int]  # the seeds it trains (the first ``seeds`` of train.seeds)


class Plan:
    """Planning over one validated config (a plain dict)."""

    def __init__(self, config: Mapping[str, Any]):
        self.config = config

    def check(self) -> Plan:
        """Stop early, with what to change, on names the registries do not know (backbones,
        methods) and on ablations that name unconfigured videos or backbones."""
        _ = self.backbones  # checks every name against the registry
        for name in self.config["methods"]:
            methods.spec(name)
        jstdo = self.config.get("jstdo") or {}
        if "jstdo" in self.config["methods"] and jstdo.get("proportions") is not None:
            methods.check_proportions(jstdo["proportions"], int(jstdo["k"]))  # at parse time, not in training
        self.ablations()
        self.model_coding()  # delta needs the generic models
        self.figure_cell()
        self.check_sizes()
        return self

    def train_frames(self, video: str) -> int | None:
        """Frames a method trains on in a video, when known without decoding (CaFM's training
        part with ``split: cafm``); ``None`` when unknown."""
        probed = self.video_frames(video)
        if not probed:
            return None
        if self.videos[video].get("split") == "cafm":
            return cafm_train_frames(probed[0])
        return probed[0]

    def check_sizes(self) -> None:
        """Stop at parse time, not in partition or training, where a video is too short for what
        is asked of it (checked where its frame count is known without decoding): a PSNR
        partition of more chunks than the video has patches, or more NAS/CaFM time segments than
        it has frames."""
        evals = [*self.metrics_evals(), *(c for a in self.ablations() for c in a.evals)]
        need: dict[tuple[str, int], set[int]] = {}
        segments: dict[str, set[int]] = {}
        for video, scale, _, method in evals:
            if self.train_video(video) is not None:
                continue  # held-out frames are routed by the training video's partition
            units = methods.method_units(method)
            wanted = [methods.method_partition_k(method), *map(methods.unit_partition_k, units)]
            need.setdefault((video, scale), set()).update(k for k in wanted if k is not None)
            n = methods.parse_method(method)["n"]
            if n is not None and methods.parse_method(method).spec.name in ("nas", "cafm"):
                segments.setdefault(video, set()).add(int(n))
        for video in sorted({v for v, _ in need} | set(segments)):
            frames = self.train_frames(video)
            if frames is None:
                continue
            for n in sorted(segments.get(video, ())):
                if n > frames:
                    raise StdoError(
                        f"config: video {video!r} has {frames} frame{'s' * (frames != 1)} but NAS/CaFM "
                        f"cut it into {n} time segments of nas.chunk_seconds "
                        f"{self.config['nas']['chunk_seconds']} s (its length "
                        f"{self.video_duration(video):g} s): set duration_s to the video's real length, "
                        "raise nas.chunk_seconds, or leave nas and cafm out of methods"
                    )
        for (video, scale), ks in sorted(need.items()):
            frames = self.train_frames(video)
            if frames is None or not ks:
                continue
            cols, rows = self.grid(scale)
            patches = frames * cols * rows
            if max(ks) > patches:
                raise StdoError(
                    f"config: k={max(ks)} PSNR chunks (stdo.k, jstdo.k or ablations.chunks.k) for video "
                    f"{video!r} at x{scale}, which has only {patches} patches "
                    f"({frames} frames x {cols}x{rows} patch_grid.x{scale}): use k <= {patches}, a finer "
                    "patch_grid or more frames"
                )

    # ------------------------------------------------------------------ entries

    @staticmethod
    def _by_name(entries: list[Mapping[str, Any]], section: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for entry in entries:
            if entry["name"] in out:
                raise StdoError(f"config: {section} lists {entry['name']!r} twice")
            out[entry["name"]] = dict(entry)
        return out

    @cached_property
    def videos(self) -> dict[str, dict[str, Any]]:
        """Configured videos, plus ``<name>_heldout`` for each ``split: cafm`` video (its held-out
        frames, made by the same rules)."""
        out = self._by_name(self.config["videos"], "videos")
        for name, entry in list(out.items()):
            for crf in self._other_crfs(entry):
                derived = f"{name}{CRF_SUFFIX}{crf}"
                if derived in out:
                    raise StdoError(
                        f"config: video name {derived} is reserved for {name}'s LR stream at crf {crf} "
                        "(rate.lr_crf)"
                    )
                codec = dict(self._entry_codec(entry) or {}, crf=crf)
                out[derived] = dict(
                    entry, name=derived, tables=False, degrade={"codec": codec}, lr_crf_of=name
                )
        for name, entry in list(out.items()):
            if entry.get("split", "none") == "cafm":
                held = name + HELDOUT_SUFFIX
                if held in out:
                    raise StdoError(f"config: video name {held} is reserved for {name}'s held-out frames")
                out[held] = dict(entry, name=held, split="heldout", tables=False)
                if "lr_crf_of" in entry:
                    out[held]["lr_crf_of"] = entry["lr_crf_of"] + HELDOUT_SUFFIX
        return out

    @cached_property
    def backbones(self) -> dict[str, dict[str, Any]]:
        """Configured backbones; each name must be registered (stdo.models, or a plugin)."""
        out = self._by_name(self.config["backbones"], "backbones")
        for name in {*out, self.config["pretrain"]["backbone"], *self._ablation_backbones()}:
            self.check_backbone(name)
        return out

    @staticmethod
    def check_backbone(name: str) -> None:
        from stdo.models import get_class

        get_class(name)  # an unknown name stops with the registered ones

    def _ablation_backbones(self) -> list[str]:
        specs = self.config.get("ablations", {}) or {}
        return [b for s in specs.values() if s for b in (s.get("backbones") or [s.get("backbone")]) if b]

    @cached_property
    def table_videos(self) -> list[str]:
        """Videos in the paper's tables (the others only feed ablations)."""
        return [v for v, e in self.videos.items() if e.get("tables", True)]

    def eval_video(self, video: str) -> str:
        """The video a method is evaluated on: itself, or its held-out frames (split: cafm)."""
        return video + HELDOUT_SUFFIX if self.videos[video].get("split") == "cafm" else video

    def train_video(self, video: str) -> str | None:
        """The training video whose partition thresholds a held-out video takes, or None."""
        return video.removesuffix(HELDOUT_SUFFIX) if self.videos[video].get("split") == "heldout" else None

    def ingest_split(self, video: str) -> str:
        """``train``/``test`` for the two halves of CaFM's split, else ``none``."""
        return {"cafm": "train", "heldout": "test"}.get(self.videos[video].get("split", "none"), "none")

    # ------------------------------------------------------------------ sizes

    def grid(self, scale: int) -> list[int]:
        """``[cols, rows]`` of the patch grid at ``scale``."""
        key = f"x{scale}"
        if key not in self.config["patch_grid"]:
            raise StdoError(f"config: patch_grid has no entry {key} for scale {scale}")
        return list(self.config["patch_grid"][key])

    def fit_multiple(self) -> tuple[int, int, int]:
        """What a frame's width, height and crop offset must divide by so that every scale and
        its grid fit: lcm over scales of ``scale * cols``, ``scale * rows`` and ``scale``."""
        mw = mh = step = 1
        for s in self.config["scales"]:
            cols, rows = self.grid(s)
            mw, mh, step = math.lcm(mw, s * cols), math.lcm(mh, s * rows), math.lcm(step, s)
        return mw, mh, step

    def video_frames(self, video: str) -> tuple[int, float] | None:
        """Frames and frames per second of a configured (training or whole) video when known
        without decoding: the demo's settings, or the file's header where it exists."""
        entry = self.videos[video]
        demo = self.config.get("demo_video")
        total: int | None = None
        if demo and entry.get("source") == demo["path"]:
            total, fps = round(demo["seconds"] * demo["fps"]), float(demo["fps"])
            return count_in(entry.get("frames"), total), fps
        if entry.get("vsd4k") and entry.get("clip_frames"):
            total = len(entry["vsd4k"]) * int(entry["clip_frames"])
            return count_in(
                entry.get("frames"), total
            ), 30.0  # VSD4K.py: "Default FPS is 30" (num_frames = time * 30)
        if entry.get("source") and Path(entry["source"]).exists():
            from stdo.video.ingest import probe_video  # PyAV, only for a user video of unknown length

            return probe_video(Path(entry["source"]), entry.get("frames"))
        return None

    def video_duration(self, video: str) -> float:
        """Length in seconds of a configured video: ``duration_s``, the demo's settings or the
        file's header, or the paper label's duration."""
        entry = self.videos[video]
        if entry.get("duration_s"):
            return float(entry["duration_s"])
        probed = self.video_frames(video)
        if probed:
            return probed[0] / probed[1]
        if entry.get("paper"):
            return float(entry["paper"]["duration_s"])
        raise StdoError(
            f"config: video {video!r} needs duration_s (its length in seconds) to cut NAS/CaFM segments"
        )

    def time_segments(self, video: str) -> int:
        """NAS/CaFM segments of ``nas.chunk_seconds`` over the frames a method trains on. With
        ``split: cafm`` that is CaFM's training part: exact where the frame count is known,
        else ``seconds / 1.1`` (its limit for long videos)."""
        seconds = self.video_duration(video)
        if self.videos[video].get("split") == "cafm":
            probed = self.video_frames(video)
            seconds *= cafm_train_frames(probed[0]) / probed[0] if probed else 1 / 1.1
        return max(1, math.ceil(seconds / self.config["nas"]["chunk_seconds"] - 1e-9))

    # ------------------------------------------------------------------ methods and outputs

    def method_ids(self, video: str, backbone: str, single_chunk: bool = True) -> list[str]:
        """Evaluated method ids of one video and backbone (the registry's, see stdo.methods)."""
        table1 = backbone in self.config.get("table1", {}).get("backbones", [])
        request = methods.Request(segments=self.time_segments(video), single_chunk=single_chunk and table1)
        return methods.requested_ids(self.config, request)

    def metrics_evals(self) -> list[tuple[str, int, str, str]]:
        """(video, scale, backbone, method) of every evaluation the tables use."""
        return [
            (v, s, b, m)
            for v in self.table_videos
            for s in self.config["scales"]
            for b in self.backbones
            for m in self.method_ids(v, b)
        ]

    def cell_units(self, video: str, backbone: str) -> list[str]:
        """Training units of every method of one video and backbone, each once, in method order
        (what the export stage converts)."""
        units: dict[str, None] = {}
        for method in self.method_ids(video, backbone):
            units |= dict.fromkeys(methods.method_units(method))
        return list(units)

    def job_grouping(self) -> dict[str, str]:
        """How units and methods are grouped into jobs (config ``jobs``): ``train`` ``unit`` (a
        job per training unit; STDO's k chunk models of one partition together) or ``cell`` (a
        job per video, scale, backbone and seed trains all of its units one after another) or
        ``group`` (a job per video, scale and backbone trains every seed's units, fused on CUDA);
        ``evaluate`` ``method`` (a job per method) or ``cell`` (a job per video, scale, backbone
        and seed evaluates all of its methods)."""
        jobs = self.config.get("jobs") or {}
        return {"train": jobs.get("train", "unit"), "evaluate": jobs.get("evaluate", "method")}

    def cells(self) -> list[Cell]:
        """(video, scale, backbone) of every cell something is evaluated in (the tables', the
        ablations' and the other LR qualities' of rate.lr_crf), in plan order."""
        runs = [
            *self.metrics_evals(),
            *(c for a in self.ablations() for c in a.evals),
            *self.crf_delivery_evals(),
        ]
        return list(dict.fromkeys(Cell(v, int(s), b) for v, s, b, _ in runs))

    def cell_methods(
        self, video: str, scale: int, backbone: str, seed: int, budget: int | None = None
    ) -> list[str]:
        """Methods evaluated in one cell for one seed: the tables' (every seed), then each
        ablation's (its seeds), then the deliveries at rate.lr_crf's other qualities (the first
        seed), each once; at a budget below the main one (study.budgets), the tables' only."""
        runs = list(self.metrics_runs())
        if budget is None or budget == self.main_budget:
            runs += [
                *(r for a in self.ablations() for r in self.ablation_runs(a.name)),
                *((*ev, self.seeds[0]) for ev in self.crf_delivery_evals()),
            ]
        key = (video, int(scale), backbone, int(seed))
        return list(dict.fromkeys(m for v, s, b, m, sd in runs if (v, int(s), b, int(sd)) == key))

    def cell_train_units(
        self, video: str, scale: int, backbone: str, seed: int, budget: int | None = None
    ) -> list[str]:
        """Training units of every method of one cell and seed (:meth:`cell_methods`), each once."""
        units: dict[str, None] = {}
        for method in self.cell_methods(video, scale, backbone, seed, budget):
            units |= dict.fromkeys(methods.method_units(method))
        return list(units)

    def chunk_unit_ks(self) -> list[int]:
        """Every k whose STDO chunk models (``stdo-k{k}-c0 .. c{k-1}``) some evaluation needs, in
        the tables or an ablation: each such k is trained by one job (the k models one after
        another, in one process: together they cost one awDNN model, and a job per chunk model
        would spend most of its time starting up)."""
        evals = [*self.metrics_evals(), *(c for a in self.ablations() for c in a.evals)]  # any seed
        ks = set()
        for *_, method in evals:
            for unit in methods.method_units(method):
                if self.is_chunk_unit(unit):
                    ks.add(int(methods.parse_unit(unit)["k"]))
        return sorted(ks)

    @staticmethod
    def is_chunk_unit(unit: str) -> bool:
        """Whether ``unit`` is one of STDO's chunk models (``stdo-k{k}-c{c}``)."""
        p = methods.parse_unit(unit)
        return p.spec.name == "stdo" and p["c"] is not None

    @staticmethod
    def chunk_units(k: int) -> list[str]:
        """STDO's ``k`` chunk models of one partition, in chunk order: the units one job trains
        (rule ``train_stdo_k<k>``)."""
        form = methods.spec("stdo").unit_forms[0]
        return [form.format(k=k, c=c) for c in range(int(k))]

    @staticmethod
    def single_unit_constraint() -> str:
        """The ``unit`` wildcard of the rule that trains one unit a job: any unit id but STDO's
        chunk models (trained by one job per k). A regular expression without named groups."""
        chunk = re.sub(r"\(\?P<\w+>", "(?:", methods.spec("stdo").unit_re.pattern)
        return rf"(?!{chunk}/)[a-z0-9-]+"

    def cell_partition_ks(self, video: str, backbone: str) -> list[int]:
        """The k of the PSNR partitions the routed methods of one video and backbone need."""
        ks = {methods.method_partition_k(m) for m in self.method_ids(video, backbone)} - {None}
        return sorted(k for k in ks if k is not None)

    def stdo_ks(self) -> list[int]:
        """STDO's k that compete for Table 2's best of k (the config's ``stdo.k``)."""
        return methods.stdo_ks(self.config)

    def tables_to_build(self) -> list[int]:
        """The paper tables this config has the methods for."""
        chosen = set(self.config["methods"])
        out = [2]
        if "stdo" in chosen and set(self.config.get("table1", {}).get("backbones", [])) & set(self.backbones):
            out.append(1)
        if {"stdo", "cafm"} <= chosen:
            out.append(3)
        if {"stdo", "jstdo"} <= chosen:
            out.append(4)
        return sorted(out)

    def unit_proportions(self, unit: str) -> list[float] | None:
        return methods.unit_proportions(unit, self.config)

    @property
    def seeds(self) -> list[int]:
        """``train.seeds``: every training unit trains once per seed."""
        return [int(s) for s in self.config["train"].get("seeds", [0])]

    @property
    def multi_seed(self) -> bool:
        """Whether result paths carry the seed (only when there is more than one)."""
        return len(self.seeds) > 1

    def metrics_runs(self) -> list[tuple[str, int, str, str, int]]:
        """(video, scale, backbone, method, seed) of every evaluation the tables use."""
        return [(*ev, seed) for ev in self.metrics_evals() for seed in self.seeds]

    # ------------------------------------------------------------------ the training budget

    @property
    def budgets(self) -> list[int | None]:
        """``study.budgets`` in epochs, smallest first, or ``[None]``: each backbone's own epochs.
        Every unit of the tables' cells trains and is evaluated once per budget and seed."""
        swept = (self.config.get("study") or {}).get("budgets")
        if not swept:
            return [None]
        return [*sorted({int(b) for b in swept})]

    @property
    def swept(self) -> bool:
        """Whether the training budget is swept (study.budgets): result paths carry ``e{budget}``."""
        return self.budgets != [None]

    @property
    def main_budget(self) -> int | None:
        """The budget the tables, figures, ablations, exports and bundles show: the largest swept,
        or None (each backbone's epochs)."""
        return self.budgets[-1]

    def epochs(self, backbone: str, budget: int | str | None = None) -> float:
        """Epochs a unit of ``backbone`` trains for at ``budget`` (None: the main budget)."""
        budget = self.main_budget if budget is None else int(budget)
        return self.backbones[backbone]["epochs"] if budget is None else int(budget)

    def budget_metrics_files(self) -> list[str]:
        """Every budget's and seed's metrics of every table cell (the claims at each budget)."""
        return [self.eval_file(*run, budget=b) for b in self.budgets for run in self.metrics_runs()]

    def budget_outputs(self) -> list[str]:
        """The budget sweep's table (.csv, .md) and figure (.png, .pdf, .csv), or none."""
        if not self.swept:
            return []
        return [
            *paths.with_ext(paths.BUDGET_TABLE, "csv", "md"),
            *paths.with_ext(paths.BUDGET_FIGURE, "png", "pdf", "csv"),
        ]

    def claim_budget(self) -> list[str]:
        """The budget sweep's table the claims take (each claim's status at every budget), or none."""
        return paths.with_ext(paths.BUDGET_TABLE, "csv") if self.swept else []

    def budget_labels(self, budget: int | str | None) -> dict[str, Any]:
        """The ``budget`` label of a run's outputs when budgets are swept (else none)."""
        if not self.swept:
            return {}
        return {"budget": int(budget) if budget is not None else self.main_budget}

    def train_settings(
        self, lr: float, batch_size: int | None = None, seed: int | None = None
    ) -> dict[str, Any]:
        """TrainSettings fields (except steps) of a run: ``train`` without ``init`` and
        ``seeds``, with ``lr`` and ``seed`` (the first of ``train.seeds`` unless given). The
        step settings added with fused training (:data:`QUIET_DEFAULTS`) are left out at their
        defaults, so a config that does not set them gives the jobs the parameters it gave
        before (Snakemake reruns a job whose parameters change)."""
        skip = {"init", "seeds"}
        train = self.config["train"]
        quiet = {k for k, v in train.items() if k in QUIET_DEFAULTS and v in QUIET_DEFAULTS[k]}
        settings = {k: v for k, v in train.items() if k not in skip | quiet} | {"lr": lr}
        settings["seed"] = self.seeds[0] if seed is None else int(seed)
        if batch_size is not None:
            settings["batch_size"] = batch_size
        return settings

    def cafm_settings(self) -> dict[str, Any]:
        """:class:`stdo.models.cafm.CaFM`'s ``kernel_size`` and ``placement`` as config ``cafm`` gives
        them; absent ones take :class:`stdo.models.cafm.CaFM`'s defaults (1, ``cafm``)."""
        return dict(self.config.get("cafm") or {})

    def generic_kwargs(self, backbone: str) -> dict[str, Any]:
        """Constructor arguments of a backbone's generic model (pretrained on photographs): the
        backbone entry's, or pretrain.kwargs for f0's backbone when it is not trained itself."""
        pre = self.config["pretrain"]
        if backbone in self.backbones:
            kwargs = self.backbones[backbone].get("kwargs", {})
            if backbone == pre["backbone"] and pre.get("kwargs", {}) not in ({}, kwargs):
                raise StdoError(
                    f"config: pretrain.kwargs {pre['kwargs']} differ from backbones' {backbone} kwargs "
                    f"{kwargs}; f0 is the generic model of that backbone, so give them the same values"
                )
            return kwargs
        return pre.get("kwargs", {})

    def init_from_generic(self) -> bool:
        return self.config["train"].get("init", "scratch") == "generic"

    def f0_imported(self, scale: int) -> bool:
        return bool(self.config["pretrain"].get("checkpoints", {}).get(f"x{scale}"))

    def demo_photos(self) -> list[str]:
        """The photographs the demo video is made of (f0 must not train on them)."""
        demo = self.config.get("demo_video")
        if not demo:
            return []
        if demo.get("scenes"):
            return [scene["image"] for scene in demo["scenes"]]
        from stdo.video.photos import DEFAULT_SCENES

        return [scene.image for scene in DEFAULT_SCENES]

    # ------------------------------------------------------------------ ablations

    def figure_cell(self) -> Cell:
        """``(video, scale, backbone)`` of Figures 1, 3 and 4 and the clip (config ``figures``;
        defaults: the first table video, the largest scale, the last backbone)."""
        spec = self.config.get("figures") or {}
        video = spec.get("video") or (self.table_videos[0] if self.table_videos else None)
        if video is None or video not in self.table_videos:
            raise StdoError(f"config: figures.video {video!r} is not a table video: {self.table_videos}")
        scale = spec.get("scale") or max(self.config["scales"])
        if scale not in self.config["scales"]:
            raise StdoError(f"config: figures.scale {scale} is not one of scales {self.config['scales']}")
        backbone = spec.get("backbone") or list(self.backbones)[-1]
        if backbone not in self.backbones:
            known = list(self.backbones)
            raise StdoError(f"config: figures.backbone {backbone!r} is not one of backbones {known}")
        return Cell(video, int(scale), backbone)

    def figures_to_build(self) -> list[int]:
        """The paper's figures this config has what for (Figure 5 is the benchmarks'): 1 always
        (f0's scores), 3 with CaFM, STDO or JSTDO, 4 with any method, 6 with the schedule
        ablation (7a and 7b are the ablations' own outputs)."""
        chosen = set(self.config["methods"])
        out = [1]
        if chosen & {"cafm", "stdo", "jstdo"}:
            out.append(3)
        if chosen:
            out.append(4)
        if self.ablation("schedules"):
            out.append(6)
        return out

    def _resolve_ablation(self, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
        """An ablation's spec with its nulls filled in: video, scale and backbone from the
        figures' cell, chunks' backbones: every configured backbone."""
        spec = dict(spec)
        if name == "long_video":
            return spec
        video, scale, backbone = self.figure_cell()
        spec["video"] = spec.get("video") or video
        spec["scale"] = spec.get("scale") or scale
        if name == "chunks":
            spec["backbones"] = spec.get("backbones") or list(self.backbones)
        else:
            spec["backbone"] = spec.get("backbone") or backbone
        return spec

    def required_ablation(self, name: str) -> Ablation:
        """A configured ablation (:meth:`ablation`), for what only exists when it is configured."""
        found = self.ablation(name)
        if found is None:
            raise StdoError(f"config: ablations.{name} is not configured")
        return found

    def ablation(self, name: str) -> Ablation | None:
        """A configured ablation and its evaluations, checked against videos and backbones."""
        spec = (self.config.get("ablations") or {}).get(name)
        if not spec:
            return None
        spec = self._resolve_ablation(name, spec)
        for video in [spec["video"], *spec.get("parts", [])]:
            if video not in self.videos:
                raise StdoError(f"config: ablations.{name} names video {video!r}, which videos does not list")
        for backbone in spec.get("backbones", [spec.get("backbone")]):
            if backbone not in self.backbones:
                raise StdoError(
                    f"config: ablations.{name} names backbone {backbone!r}, which backbones does not list"
                )
        scale = int(spec["scale"])
        self.grid(scale)
        if name == "chunks":
            evals = [(spec["video"], scale, b, f"stdo-k{k}") for b in spec["backbones"] for k in spec["k"]]
        elif name == "schedules":
            evals = [
                (spec["video"], scale, spec["backbone"], f"jstdo-k{spec['k']}-p{i}")
                for i in range(len(spec["proportions"]))
            ]
        else:
            if not self.stdo_ks():
                raise StdoError("config: ablations.long_video needs stdo.k")
            evals = [
                (v, scale, spec["backbone"], f"stdo-k{k}")
                for v in [spec["video"], *spec["parts"]]
                for k in self.stdo_ks()
            ]
        for ev in evals:
            methods.parse_method(ev[3])
        n = spec.get("seeds") or len(self.seeds)
        if n > len(self.seeds):
            raise StdoError(f"config: ablations.{name}.seeds is {n}, but train.seeds has {len(self.seeds)}")
        return Ablation(name, spec, evals, self.seeds[:n])

    def ablation_runs(self, name: str) -> list[tuple[str, int, str, str, int]]:
        """(video, scale, backbone, method, seed) of every evaluation one ablation is made of."""
        a = self.ablation(name)
        return [] if a is None else [(*ev, seed) for ev in a.evals for seed in a.seeds]

    def ablations(self) -> list[Ablation]:
        return [a for name in ABLATIONS if (a := self.ablation(name))]

    # ------------------------------------------------------------------ delivery (issue 13)

    def lr_codec(self, video: str) -> dict[str, Any] | None:
        """The codec of a video's LR stream (its own ``degrade.codec``, else the config's), with
        defaults filled in, or ``None``: clean bicubic LR frames, sent losslessly (FFV1). A video of
        rate.lr_crf (``<video>_crf<crf>``) has its base video's codec at that crf."""
        return self._entry_codec(self.videos[video])

    def ladder(self, video: str) -> dict[str, Any]:
        """The HR rate ladder of a video: the codec of its LR stream (``rate.codec`` when the LR
        stream is lossless), its preset, and the ``rate.ladder_crf`` quality settings."""
        rate = self.config.get("rate") or {}
        lr = self.lr_codec(video)
        spec = {k: v for k, v in lr.items() if k != "crf"} if lr else {"codec": rate.get("codec", "libx264")}
        return spec | {"crf": [int(c) for c in rate.get("ladder_crf", [18, 23, 28, 33, 38, 43])]}

    def _entry_codec(self, entry: Mapping[str, Any]) -> dict[str, Any] | None:
        """The LR codec of a configured video entry (its own ``degrade.codec``, else the config's),
        normalised, or ``None``."""
        from stdo.video import codec  # no PyAV at import

        own = entry.get("degrade") or {}
        spec = own["codec"] if "codec" in own else (self.config.get("degrade") or {}).get("codec")
        return codec.normalise(spec) if spec else None

    def lr_crfs(self) -> list[int]:
        """``rate.lr_crf``: the LR stream's qualities every codec-compressed table video is also
        delivered at (sorted; empty when absent)."""
        return sorted({int(c) for c in (self.config.get("rate") or {}).get("lr_crf") or []})

    def _other_crfs(self, entry: Mapping[str, Any]) -> list[int]:
        """The rate.lr_crf qualities of a configured video beyond its own LR stream's: none for a
        video outside the tables or with a lossless LR stream (it has no CRF)."""
        if not entry.get("tables", True) or not self.lr_crfs():
            return []
        codec = self._entry_codec(entry)
        return [c for c in self.lr_crfs() if codec and c != int(codec["crf"])]

    def curve_of(self, video: str) -> str:
        """The video a delivered video's rate-distortion curve belongs to: itself, or for a video
        of rate.lr_crf (``<video>_crf<crf>``, and its held-out frames) its base video."""
        return str(self.videos[video].get("lr_crf_of", video))

    def curve_videos(self, video: str) -> list[str]:
        """The delivered videos of a table video's rate-distortion curve: itself (its own
        degrade.codec) and one per other rate.lr_crf quality, in the order of their crf."""
        entry = self.videos[video]
        own = self._entry_codec(entry)
        by_crf = {int(own["crf"]) if own else -1: video}
        by_crf |= {c: f"{video}{CRF_SUFFIX}{c}" for c in self._other_crfs(entry)}
        return [by_crf[c] for c in sorted(by_crf)]

    def delivery_videos(self) -> list[str]:
        """Every delivered video: each table video, then its rate.lr_crf videos."""
        return [d for v in self.table_videos for d in self.curve_videos(v)]

    def delivery_evals(self) -> list[tuple[str, int, str, str]]:
        """(video, scale, backbone, method) of every bundle the rate table counts: each delivered
        video's methods of Table 2 and 4 (Table 1's single-chunk models are not deliveries)."""
        return [
            (v, s, b, m)
            for v in self.delivery_videos()
            for s in self.config["scales"]
            for b in self.backbones
            for m in self.method_ids(v, b, single_chunk=False)
        ]

    def crf_delivery_evals(self) -> list[tuple[str, int, str, str]]:
        """The delivery cells of the rate.lr_crf videos alone (trained and evaluated for the rate
        table only, first seed)."""
        return [c for c in self.delivery_evals() if c[0] not in self.table_videos]

    def delivery_references(self) -> list[str]:
        """f0's score summary (bicubic's PSNR) of every delivered video and scale, of the frames
        each is evaluated on."""
        videos = [self.eval_video(v) for v in self.delivery_videos()]
        return [paths.SCORE_SUMMARY.format(video=v, scale=s) for v in videos for s in self.config["scales"]]

    def curves_arg(self) -> str:
        """`` --curves JSON`` of the rate report (``{delivered video: its curve's video}``, held-out
        frames too) where rate.lr_crf adds videos, else nothing (a leading space: the rule's shell
        line stays as it was without it)."""
        curves = {v: self.curve_of(v) for v in self.videos if self.curve_of(v) != v}
        return f" --curves {json_arg(curves)}" if curves else ""

    def model_coding(self) -> str:
        """``rate.model_coding``: ``full`` (each model file whole) or ``delta`` (the difference
        from the generic model it started from; needs train.init: generic)."""
        coding = str((self.config.get("rate") or {}).get("model_coding", "full"))
        if coding == "delta" and not self.init_from_generic():
            raise StdoError(
                "config: rate.model_coding: delta sends models as differences from the generic model they "
                "start from, so it needs train.init: generic (or use rate.model_coding: full)"
            )
        return coding

    def bundle_generic(self, backbone: str, scale: int | str) -> list[str]:
        """The generic model a bundle's deltas are made against (rate.model_coding: delta), or none."""
        return self.unit_init(backbone, scale) if self.model_coding() == "delta" else []

    def bundle_coding_arg(self, generic: list[str]) -> str:
        """`` --coding delta --generic MODEL --bound-db B`` of a bundle job with rate.model_coding:
        delta (B: rate.delta_bound_db, default 0.05 dB), else nothing (a leading space, as
        :meth:`curves_arg`)."""
        if self.model_coding() != "delta":
            return ""
        bound = float((self.config.get("rate") or {}).get("delta_bound_db", 0.05))
        return f" --coding delta --generic {generic[0]} --bound-db {bound:g}"

    # ------------------------------------------------------------------ files (stdo.workflow.paths)

    def unit_file(
        self,
        video: str,
        scale: int | str,
        backbone: str,
        unit: str,
        seed: int,
        name: str = paths.MODEL,
        budget: int | None = None,
    ) -> str:
        """``name`` (``model.pt``, ``log.csv``) of one training unit of one run (at ``budget``,
        None: the main one)."""
        template = paths.unit_template(self.multi_seed, name, self.swept)
        budget = self.main_budget if budget is None else budget
        return template.format(
            video=video, scale=scale, backbone=backbone, unit=unit, seed=seed, budget=budget
        )

    def eval_file(
        self,
        video: str,
        scale: int | str,
        backbone: str,
        method: str,
        seed: int,
        name: str = paths.METRICS,
        budget: int | None = None,
    ) -> str:
        """``name`` (``metrics.json``, ``psnr_map.npy``) of one method's evaluation of one run
        (at ``budget``, None: the main one)."""
        template = paths.eval_template(self.multi_seed, name, self.swept)
        budget = self.main_budget if budget is None else budget
        return template.format(
            video=video, scale=scale, backbone=backbone, method=method, seed=seed, budget=budget
        )

    def metrics_files(self) -> list[str]:
        """Every seed's metrics of every table cell."""
        return [self.eval_file(*run) for run in self.metrics_runs()]

    def ablation_metrics(self, name: str) -> list[str]:
        """Evaluation metrics one ablation is made of (each of its seeds)."""
        return [self.eval_file(*run) for run in self.ablation_runs(name)]

    def score_summaries(self, evaluated: bool = False) -> list[str]:
        """f0's score summary of every table video and scale (with ``evaluated``: of the frames
        each is evaluated on, :meth:`eval_video`)."""
        videos = [self.eval_video(v) if evaluated else v for v in self.table_videos]
        return [paths.SCORE_SUMMARY.format(video=v, scale=s) for v in videos for s in self.config["scales"]]

    def partition_file(self, video: str, scale: int | str, k: int) -> str:
        return paths.PARTITION.format(video=video, scale=scale, k=k)

    def partition_files(self, video: str, scale: int | str, ks: Iterable[int]) -> dict[str, str]:
        """``{k: chunks.npy}`` of one video and scale."""
        return {str(k): self.partition_file(video, scale, k) for k in sorted(ks)}

    def assign_by(self, video: str, scale: int | str, k: int | str) -> list[str]:
        """The training partition's thresholds a held-out video's frames are assigned by (not
        their own quantiles), or none."""
        train = self.train_video(video)
        return [paths.THRESHOLDS.format(video=train, scale=scale, k=k)] if train else []

    def f0_model(self, scale: int | str) -> str:
        """f0 for a scale: trained by rule pretrain, or imported from pretrain.checkpoints."""
        template = paths.IMPORTED_F0 if self.f0_imported(int(scale)) else paths.PRETRAINED
        return template.format(backbone=self.config["pretrain"]["backbone"], scale=scale)

    def unit_init(self, backbone: str, scale: int | str) -> list[str]:
        """The generic model an overfitted model starts from (train.init: generic), or none."""
        if not self.init_from_generic():
            return []
        if backbone == self.config["pretrain"]["backbone"]:
            return [self.f0_model(scale)]  # f0 itself, trained or imported (pretrain.checkpoints)
        return [paths.PRETRAINED.format(backbone=backbone, scale=scale)]

    def unit_partition(self, video: str, scale: int | str, unit: str) -> list[str]:
        """The PSNR partition a training unit selects its patches by, or none."""
        k = methods.unit_partition_k(unit)
        return [self.partition_file(video, scale, k)] if k else []

    def method_partition(self, video: str, scale: int | str, method: str) -> list[str]:
        """The PSNR partition a method routes patches by (of the video it is evaluated on), or none."""
        k = methods.method_partition_k(method)
        return [self.partition_file(self.eval_video(video), scale, k)] if k else []

    def method_models(
        self, video: str, scale: int | str, backbone: str, method: str, seed: int, budget: int | None = None
    ) -> list[str]:
        return [
            self.unit_file(video, scale, backbone, u, seed, budget=budget)
            for u in methods.method_units(method)
        ]

    def cell_models(self, video: str, scale: int | str, backbone: str, seed: int) -> list[str]:
        """Every model of a cell (what the export stage converts), of one seed."""
        return [self.unit_file(video, scale, backbone, u, seed) for u in self.cell_units(video, backbone)]

    def cell_partitions(self, video: str, scale: int | str, backbone: str) -> list[str]:
        """PSNR partitions the routed methods of a cell need (of the video they are evaluated on)."""
        ks = self.cell_partition_ks(video, backbone)
        return [self.partition_file(self.eval_video(video), scale, k) for k in ks]

    def cell_train_inputs(self, video: str, scale: int | str, units: list[str]) -> tuple[list[str], str]:
        """The partitions, and ``--partitions`` and ``--proportions`` (``{unit: ...}``), of a job
        that trains ``units`` of one cell (jobs.train: cell)."""
        ks = {k for u in units if (k := methods.unit_partition_k(u)) is not None}
        rho = {u: self.unit_proportions(u) for u in units if self.unit_proportions(u) is not None}
        parts = self.partition_files(video, scale, ks)
        args = (f"--partitions {json_arg(parts)} " if parts else "") + (
            f"--proportions {json_arg(rho)}" if rho else ""
        )
        return list(parts.values()), args

    def cell_eval_batch(
        self,
        video: str,
        scale: int | str,
        backbone: str,
        seed: int,
        method_list: list[str],
        budget: int | None = None,
    ) -> list[dict[str, Any]]:
        """``--batch`` of a job that evaluates ``method_list`` of one cell and seed
        (jobs.evaluate: cell; stdo.sr.evaluate)."""
        out = []
        for m in method_list:
            partition = self.method_partition(video, scale, m)
            out.append(
                {
                    "method": m,
                    "models": self.method_models(video, scale, backbone, m, seed, budget),
                    "partition": partition[0] if partition else None,
                    "out_metrics": self.eval_file(video, scale, backbone, m, seed, budget=budget),
                    "out_map": self.eval_file(video, scale, backbone, m, seed, paths.PSNR_MAP, budget),
                }
            )
        return out

    def cell_job_name(
        self, video: str, scale: int | str, backbone: str, seed: int | None, budget: int | None = None
    ) -> str:
        """The name of a cell's job (jobs: cell), with the budget when budgets are swept and the
        seed when there are several (None: every seed's, jobs.train: group)."""
        budget = self.main_budget if budget is None else budget
        return (
            f"{video}_x{scale}_{backbone}"
            + (f"_e{budget}" if self.swept else "")
            + (f"_seed{seed}" if self.multi_seed and seed is not None else "")
        )

    def group_train_runs(
        self, video: str, scale: int, backbone: str, budget: int | None = None
    ) -> list[tuple[str, int]]:
        """``(unit, seed)`` of every seed's training units of one cell (jobs.train: group): what
        one job trains, fusing on CUDA the runs that can train together."""
        return [
            (u, seed)
            for seed in self.seeds
            for u in self.cell_train_units(video, scale, backbone, seed, budget)
        ]

    def bench_files(self) -> list[str]:
        """Benchmark results of every table video, scale and backbone (host; and the phone with
        bench.adb)."""
        templates = [paths.BENCH_HOST] + ([paths.BENCH_ADB] if self.config["bench"].get("adb") else [])
        return [
            t.format(video=v, scale=s, backbone=b)
            for t in templates
            for v in self.table_videos
            for s in self.config["scales"]
            for b in self.backbones
        ]

    def ablation_outputs(self) -> list[str]:
        """Every configured ablation's table (.csv, .md) and figure (.png, .pdf; long_video has none)."""
        out = []
        for a in self.ablations():
            out += paths.with_ext(paths.ABLATION, "csv", "md", name=a.name)
            if a.name != "long_video":
                out += paths.with_ext(paths.ABLATION, "png", "pdf", name=a.name)
        return out

    def claim_ablations(self) -> list[str]:
        """The ablation tables the claims are checked on (those configured)."""
        return [f"{paths.ABLATION}.csv".format(name=a.name) for a in self.ablations()]

    def claim_bench(self) -> list[str]:
        """The benchmark table when a phone is benchmarked (its rows decide Figure 5's claim)."""
        return [f"{paths.BENCH_TABLE}.csv"] if self.config["bench"].get("adb") else []

    def figure_files(self, n: int) -> list[str]:
        return paths.with_ext(paths.FIGURE, "png", "pdf", "csv", n=n)

    def figure_outputs(self) -> list[str]:
        """Every figure of the paper the config asks for (Figure 5 is the bench target's), the
        ablations' figures, the overview heatmaps and the side-by-side clip."""
        built = self.figures_to_build()
        out = [f for n in built for f in self.figure_files(n)]
        out += [paths.CLIP, paths.CLIP_DATA] if 4 in built else []
        out += [f for f in self.ablation_outputs() if not f.endswith((".csv", ".md"))]
        out += [
            paths.HEATMAP.format(video=v, scale=s, backbone=b)
            for v in self.table_videos
            for s in self.config["scales"]
            for b in self.backbones
        ]
        return out

    def figure_methods(self) -> list[str]:
        """The main methods of the figures' cell (not Table 1's single-chunk models)."""
        video, _, backbone = self.figure_cell()
        return self.method_ids(video, backbone, single_chunk=False)

    def figure_evals(self, name: str) -> list[str]:
        """``name`` (``metrics.json``, ``psnr_map.npy``) of each main method of the figures' cell,
        first seed."""
        video, scale, backbone = self.figure_cell()
        return [self.eval_file(video, scale, backbone, m, self.seeds[0], name) for m in self.figure_methods()]

    def heatmap_maps(self, video: str, scale: int | str, backbone: str) -> list[str]:
        """psnr_map.npy of each main method of a cell, first seed (its overview heatmaps)."""
        ids = self.method_ids(video, backbone, single_chunk=False)
        return [self.eval_file(video, scale, backbone, m, self.seeds[0], paths.PSNR_MAP) for m in ids]

    def schedule_maps(self) -> list[str]:
        """psnr_map.npy of the JSTDO schedule models (Figure 6), first seed."""
        return [
            self.eval_file(v, s, b, m, self.seeds[0], paths.PSNR_MAP)
            for v, s, b, m in self.required_ablation("schedules").evals
        ]

    def table_files(self) -> list[str]:
        """The paper tables' .csv and .md this config builds."""
        return [f for n in self.tables_to_build() for f in paths.with_ext(paths.TABLE, "csv", "md", n=n)]

    def table_pages(self) -> list[str]:
        """HTML pages of every table for the report: Tables 1-4, the claims, the device
        benchmarks, the ablations (and the budget sweep, with study.budgets)."""
        tables = [paths.TABLE.format(n=n) for n in self.tables_to_build()] + [paths.CLAIMS, paths.BENCH_TABLE]
        tables += [paths.BUDGET_TABLE] if self.swept else []
        pages = [self._page(t) for t in tables]
        return pages + [self._page(paths.ABLATION.format(name=a.name)) for a in self.ablations()]

    @staticmethod
    def _page(table: str) -> str:
        """The HTML page of a table (``results/<folder>/<table>``)."""
        folder, name = Path(table).relative_to(paths.RESULTS).parts
        return paths.TABLE_PAGE.format(folder=folder, table=name)

    def report_pages(self) -> list[str]:
        """What the report shows beside Figure 5 and the page "the paper against this run": the
        tables' pages and the figures."""
        return self.table_pages() + self.figure_outputs() + self.budget_outputs()

    def bundle_dirs(self) -> list[str]:
        return [
            paths.BUNDLE.format(video=v, scale=s, backbone=b, method=m)
            for v, s, b, m in self.delivery_evals()
        ]

    def delivery_metrics(self) -> list[str]:
        """The first seed's metrics of every delivered method."""
        return [self.eval_file(*ev, self.seeds[0]) for ev in self.delivery_evals()]

    def ladders(self) -> list[str]:
        return [paths.LADDER.format(video=self.eval_video(v)) for v in self.table_videos]

    def vsd4k_dirs(self, video: str) -> list[str]:
        """Directories of a VSD4K video's clips (made by download_vsd4k), or []."""
        return [paths.VSD4K_CLIP.format(clip=clip) for clip in self.videos[video].get("vsd4k") or []]

    def ingest_inputs(self, video: str) -> list[str]:
        """What ingest decodes: a VSD4K video's clip directories, or the video file."""
        return self.vsd4k_dirs(video) or [self.videos[video]["source"]]

    def pretrain_images(self) -> list[str]:
        """The image directory f0 trains on (pretrain.source: div2k), or none (skimage photographs)."""
        return [paths.DIV2K_TRAIN] if self.config["pretrain"].get("source", "skimage") == "div2k" else []

    def snapshot(self) -> tuple[str, str]:
        """The resolved config's snapshot, content-addressed: its path (under
        :data:`stdo.workflow.paths.PROVENANCE`) and its text, that every job's sidecars point to."""
        text = json.dumps(self.config, sort_keys=True, indent=1)
        name = f"config-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
        return f"{paths.PROVENANCE}/{name}", text

    # ------------------------------------------------------------------ command-line arguments

    def labels(self, video: str, scale: int | str, **extra: Any) -> dict[str, Any]:
        """Labels copied into a stage's JSON output: names, and the paper cell of the video."""
        paper = self.videos[video].get("paper") or {}
        return {"video": video, **extra, "scale": int(scale)} | {
            "paper_video": paper.get("video"),
            "paper_duration_s": paper.get("duration_s"),
        }

    def positions_arg(self) -> str:
        """``--positions`` of the figures: which frames, as fractions of the video."""
        return ",".join(str(p) for p in self.config["figures"]["positions"])

    def stdo_k_arg(self) -> str:
        """``--stdo-k`` of the stages that pick Table 2's best of k."""
        return flag("--stdo-k", ",".join(map(str, self.stdo_ks())))

    def ablation_args(self, name: str) -> str:
        """The arguments of ``stdo ablations`` beyond its files: JSTDO's schedules, or the long
        video and its parts."""
        spec = self.required_ablation(name).spec
        if name == "schedules":
            return f"--proportions {json_arg(spec['proportions'])}"
        if name == "chunks":
            return ""
        return f"--long {spec['video']} --parts {','.join(spec['parts'])}"

    @staticmethod
    def claim_ablation_args(tables: Iterable[str]) -> str:
        """``--chunks``, ``--schedules``, ``--long-video`` of ``stdo claims``, each naming its table."""
        flags = {"chunks": "--chunks", "schedules": "--schedules", "long_video": "--long-video"}
        return " ".join(f"{flags[Path(p).stem]} {p}" for p in tables)

    def proportions_arg(self, units: list[str]) -> str:
        """``--proportions`` of a job that trains ``units``: one unit's sampling proportions, or
        ``{unit: proportions}`` of several; nothing when none has any (only JSTDO's do)."""
        rho = {u: self.unit_proportions(u) for u in units if self.unit_proportions(u) is not None}
        if not rho:
            return ""
        return f"--proportions {json_arg(rho[units[0]] if len(units) == 1 else rho)}"

    def selection_args(self, units: list[str], partitions: list[str]) -> str:
        """``--partition`` (the job's PSNR partition, if any) and ``--proportions`` of a job
        that trains ``units`` of one partition."""
        return f"{flag('--partition', partitions[0] if partitions else None)} {self.proportions_arg(units)}"

    def cafm_arg(self, units: list[str] | None = None) -> str:
        """``--cafm`` (config ``cafm``): for a job training ``units``, only when one of them is
        modulated (CaFM's); without ``units``, always."""
        if units is not None and not any(methods.unit_cafm_segments(u) for u in units):
            return ""
        return f"--cafm {json_arg(self.cafm_settings())}"

    def cafm_protocol_arg(self, video: str) -> str:
        """``--cafm-protocol`` where a video is evaluated on held-out frames (split: cafm)."""
        return "--cafm-protocol" if self.eval_video(video) != video else ""

    def ingest_source_arg(self, video: str, inputs: list[str]) -> str:
        if self.vsd4k_dirs(video):
            return f"--vsd4k {shlex.quote(','.join(inputs))}"
        return f"--video {shlex.quote(inputs[0])}"

    def ingest_duration_arg(self, video: str) -> str:
        """VSD4K's PNG frames carry no frame rate: the video's configured length gives it."""
        if not self.vsd4k_dirs(video):
            return ""
        try:
            return f"--duration-s {self.video_duration(video)}"
        except StdoError:
            return ""  # fps stays unknown; the LR stream (degrade) then asks for duration_s

    def ingest_split_arg(self, video: str) -> str:
        split = self.ingest_split(video)
        return "" if split == "none" else f"--split {split}"

    def fit_arg(self, video: str) -> str:
        """--fit and the size multiple (width, height, offset step) every scale and grid needs."""
        fit = self.videos[video].get("fit", "error")
        if fit == "error":
            return "--fit error"
        return f"--fit {fit} --multiple {','.join(map(str, self.fit_multiple()))}"

    def lr_codec_arg(self, video: str) -> str:
        """``--codec JSON`` for a video whose LR stream is codec-compressed, else nothing."""
        spec = self.lr_codec(video)
        return f"--codec {json_arg(spec)}" if spec else ""

    def pretrain_image_args(self, image_dirs: list[str]) -> str:
        """``--images`` (skimage photographs) and, with DIV2K, ``--image-dir`` and ``--max-images``."""
        pre = self.config["pretrain"]
        out = f"--images '{','.join(pre.get('images', []))}'"
        if image_dirs:
            out += f" --image-dir {image_dirs[0]} --max-images {pre.get('max_images', 0)}"
        return out

    def download_source_arg(self, dataset: str) -> str:
        if dataset not in self.config.get("downloads", {}):
            raise ValueError(f"config: downloads.{dataset} is needed (where to fetch {dataset} from)")
        return json_arg(self.config["downloads"][dataset])
