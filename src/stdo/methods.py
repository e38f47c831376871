"""Methods as training units and routing rules: one registry, one spec per method family.

A *method* (a row of the paper's tables) is a list of *training units*, each one model
trained on a selection of patches, plus a *routing* that sends every patch of the video to
a group at evaluation time: group ``g`` is served by unit ``g``'s model, or, for CaFM (one
unit), by the shared model with chunk ``g``'s modulation.

====================  =================================  =========================================
method                units                              routing
====================  =================================  =========================================
``awdnn``             ``all``                            every patch to the one model
``nas-n{n}``          ``nas-n{n}-c0 .. c{n-1}``          each frame to its time segment's model
``cafm-n{n}``         ``cafm-n{n}``                      each frame to its time segment's modulation
``stdo-k{k}``         ``stdo-k{k}-c0 .. c{k-1}``         each patch to its PSNR chunk's model
``stdo-k{k}-d0``      ``stdo-k{k}-c0``                   every patch to the D0 model (Table 1)
``stdo-k{k}-dk``      ``stdo-k{k}-c{k-1}``               every patch to the Dk model (Table 1)
``jstdo-k{k}``        ``jstdo-k{k}``                     every patch to the one joint model
``jstdo-k{k}-p{i}``   ``jstdo-k{k}-p{i}``                as jstdo-k{k}, with sampling schedule i
====================  =================================  =========================================

Each family is one :class:`MethodSpec` in :data:`REGISTRY` (added with :func:`register`):
its method and unit id patterns, the units and routing of a method, a unit's patch selection
and budget, the paper's label and table order, and which ids a config asks for. Everything
else (planning, training, evaluation, tables, claims) asks the registry, so adding a method
is one :func:`register` call (in this module, or in a plugin file named by the config's
``plugins``). An unknown or misspelt id stops with the list of known forms.

Sampling schedule ``i`` is entry ``i`` of ``ablations.schedules.proportions`` (Figure 7b);
``jstdo-k{k}`` uses ``jstdo.proportions``.

Time segments split the frames into ``n`` equal consecutive runs (NAS/CaFM cut a video into
fixed-length segments; the number of segments is chosen from the video's duration).

Equal compute: a unit's optimiser budget is ``epochs x`` its *budget patches*. Units that
split the video between models (``all``, NAS and STDO chunks) budget their own patches, so a
method's models together see ``epochs x N`` patches; single-model methods trained on all or
part of the video (CaFM, JSTDO) budget the whole video's ``N``. Every method thus spends the
same number of patch-steps as awDNN (the paper's "same computation cost").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from stdo.core.errors import StdoError
from stdo.core.registry import Registry

# every patch to one group; by time segment; by PSNR chunk; by the family's own ``route`` (one group per unit)
ROUTINGS = ("one", "time", "chunks", "custom")
BUDGETS = ("data", "video")
# the reference rows of the tables come before every method
REFERENCE_LABELS = ("bicubic", "f0")


@dataclass(frozen=True)
class Parsed:
    """A method or unit id matched against its family's pattern."""

    id: str
    spec: MethodSpec
    fields: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.fields.get(key)


@dataclass(frozen=True)
class Request:
    """What decides the ids a config asks for in one cell (video x backbone)."""

    segments: int  # time segments of the video (NAS, CaFM)
    single_chunk: bool  # also the single-chunk models of Table 1 (this backbone is in table1.backbones)


@dataclass(frozen=True)
class Selection:
    """What a unit's patch selection may depend on."""

    index: pd.DataFrame
    chunks: np.ndarray | None
    proportions: Sequence[float] | None
    seed: int


@dataclass(frozen=True)
class MethodSpec:
    """One method family: everything the pipeline needs to know about it.

    ``name`` is what a config lists under ``methods``; ``method_forms``/``unit_forms`` are the id
    forms (for messages and docs) and ``method_re``/``unit_re`` match them, with named groups
    (``k``, ``n``, ``c``, ``variant``, ``schedule``; digits become ints).
    """

    name: str
    method_forms: tuple[str, ...]
    method_re: re.Pattern[str]
    unit_forms: tuple[str, ...]
    unit_re: re.Pattern[str]
    labels: tuple[str, ...]  # paper labels this family's rows carry, in table order
    label: Callable[[Parsed], str]  # the paper label of one method id
    units: Callable[[Parsed], list[str]]  # training units of a method, in group order
    routing: Callable[[Parsed], str]  # one of ROUTINGS
    budget: str  # one of BUDGETS, for every unit of the family
    select: Callable[[Parsed, Selection], np.ndarray]  # patch ids a unit trains on
    requested: Callable[[Mapping[str, Any], Request], list[str]]  # method ids a config asks for
    route: Callable[[Parsed, pd.DataFrame], np.ndarray] | None = None  # "custom": group of each patch
    partition: bool = False  # units and chunk routing need the PSNR partition of k chunks
    modulated: bool = False  # one shared model with per-time-segment modulation (CaFM)
    proportions: Callable[[Parsed, Mapping[str, Any]], list[float] | None] = field(default=lambda p, c: None)
    baseline: bool = False  # one of the paper's baselines (the claims compare against them)
    main_table: bool = True  # rows of Table 2

    def __post_init__(self) -> None:
        if self.budget not in BUDGETS:
            raise ValueError(f"method {self.name}: budget must be one of {BUDGETS}")


def _load_plugins() -> None:
    from stdo.core import plugins

    plugins.load()


REGISTRY: Registry[MethodSpec] = Registry("method", load=_load_plugins)


def register(spec: MethodSpec) -> MethodSpec:
    """Make a method family known to every stage (its name must be new)."""
    if spec.name in REGISTRY.raw() and REGISTRY.raw()[spec.name] is not spec:
        raise ValueError(f"method {spec.name!r} registered twice")
    taken = REGISTRY.raw().values()
    clash = set(spec.labels) & {lab for s in taken if s.name != spec.name for lab in s.labels}
    if clash or set(spec.labels) & set(REFERENCE_LABELS):
        raise ValueError(f"method {spec.name!r}: label(s) {sorted(clash) or spec.labels} already taken")
    return REGISTRY.add(spec.name, spec)


def _specs() -> list[MethodSpec]:
    return REGISTRY.values()


def known() -> list[str]:
    """The method names a config may list under ``methods``."""
    return [s.name for s in _specs()]


def known_forms() -> str:
    return ", ".join(f for s in _specs() for f in s.method_forms)


def spec(name: str) -> MethodSpec:
    """The family a config's ``methods`` entry names."""
    for s in _specs():
        if s.name == name:
            return s
    raise StdoError(f"unknown method {name!r} in methods; known: {', '.join(known())}")


def _fields(m: re.Match[str]) -> dict[str, Any]:
    return {k: (int(v) if v is not None and v.isdigit() else v) for k, v in m.groupdict().items()}


def _positive(p: Parsed) -> Parsed:
    for key in ("k", "n"):
        if p[key] is not None and p[key] < 1:
            raise StdoError(f"{p.id}: {key} must be >= 1, got {p[key]}")
    return p


def parse_method(method: str) -> Parsed:
    """The family and fields of a method id; an unknown id lists the known forms."""
    for s in _specs():
        if m := s.method_re.fullmatch(method):
            return _positive(Parsed(method, s, _fields(m)))
    raise StdoError(f"unknown method {method!r}; known forms: {known_forms()}")


def parse_unit(unit: str) -> Parsed:
    """The family and fields of a training unit id."""
    for s in _specs():
        if m := s.unit_re.fullmatch(unit):
            return _positive(Parsed(unit, s, _fields(m)))
    forms = ", ".join(f for s in _specs() for f in s.unit_forms)
    raise StdoError(f"unknown training unit {unit!r}; known forms: {forms}")


def label_order() -> dict[str, int]:
    """Table order of paper labels: bicubic, f0, then every family's labels as registered."""
    labels = [*REFERENCE_LABELS, *(lab for s in _specs() for lab in s.labels)]
    return {lab: i - len(REFERENCE_LABELS) for i, lab in enumerate(labels)}


def baseline_labels() -> tuple[str, ...]:
    return tuple(lab for s in _specs() if s.baseline for lab in s.labels)


def main_table_labels() -> tuple[str, ...]:
    return tuple(lab for s in _specs() if s.main_table for lab in s.labels[:1])


def method_label(method: str) -> tuple[str, int | None]:
    """Paper label and (for chunked methods) k of one method id."""
    p = parse_method(method)
    return p.spec.label(p), p["k"]


def method_units(method: str) -> list[str]:
    """Training units whose models the method evaluates with, in group order."""
    p = parse_method(method)
    return p.spec.units(p)


def method_groups(method: str) -> int:
    """How many routing groups the method has (models, or CaFM's modulations)."""
    p = parse_method(method)
    routing = p.spec.routing(p)
    if routing == "time":
        return int(p["n"])
    if routing == "chunks":
        return int(p["k"])
    if routing == "custom":
        return len(p.spec.units(p))
    return 1


def method_partition_k(method: str) -> int | None:
    """The number of PSNR chunks the method's routing needs, if any."""
    p = parse_method(method)
    return int(p["k"]) if p.spec.routing(p) == "chunks" else None


def unit_partition_k(unit: str) -> int | None:
    """The number of PSNR chunks a unit's selection needs, if any."""
    p = parse_unit(unit)
    return int(p["k"]) if p.spec.partition else None


def unit_budget(unit: str) -> str:
    """``data``: epochs over the unit's own patches; ``video``: over all of the video's."""
    return parse_unit(unit).spec.budget


def unit_cafm_segments(unit: str) -> int | None:
    """Time segments of a modulated (CaFM) unit, or None."""
    p = parse_unit(unit)
    return int(p["n"]) if p.spec.modulated else None


def unit_proportions(unit: str, config: Mapping[str, Any]) -> list[float] | None:
    """The sampling proportions a unit trains with (JSTDO), from the config, or None."""
    p = parse_unit(unit)
    return p.spec.proportions(p, config)


def requested_ids(config: Mapping[str, Any], request: Request) -> list[str]:
    """Method ids a config asks for in one cell, in ``methods`` order, each once."""
    out: list[str] = []
    for name in config["methods"]:
        for ident in spec(name).requested(config, request):
            parse_method(ident)
            if ident not in out:
                out.append(ident)
    return out


def time_segments(frames: np.ndarray, n_frames: int, n: int) -> np.ndarray:
    """Time segment (``0..n-1``) of each frame index: ``n`` equal consecutive runs of frames."""
    if n < 1 or n > n_frames:
        raise StdoError(f"cannot cut {n_frames} frames into {n} time segments")
    return np.minimum(np.asarray(frames, dtype=np.int64) * n // n_frames, n - 1)


def patch_time_segments(index: pd.DataFrame, n: int) -> np.ndarray:
    frames = index["frame"].to_numpy()
    return time_segments(frames, int(frames.max()) + 1, n)


def check_chunks(chunks: np.ndarray | None, k: int, n: int, what: str) -> np.ndarray:
    """A PSNR partition of ``n`` patches into chunks ``0..k-1``. A chunk may be empty: held-out
    frames (``split: cafm``) are partitioned by the training video's thresholds."""
    if chunks is None:
        raise StdoError(f"{what} needs the PSNR partition (chunks.npy) for k={k}")
    chunks = np.asarray(chunks)
    if chunks.shape != (n,):
        raise StdoError(f"{what}: partition has {chunks.shape[0]} entries for {n} patches")
    if n and (chunks.min() < 0 or chunks.max() >= k):
        bad = int(chunks.max()) if chunks.max() >= k else int(chunks.min())
        raise StdoError(f"{what}: partition has chunk {bad}, outside 0..{k - 1} for k={k}; rerun partition")
    return chunks


def check_proportions(proportions: Sequence[float], k: int) -> list[float]:
    """JSTDO's sampling proportions rho_0..rho_{k-1}: one per chunk, in [0, 1], non-increasing."""
    rho = [float(p) for p in proportions]
    if len(rho) != k:
        raise StdoError(f"jstdo.proportions has {len(rho)} values for k={k} chunks; give one per chunk")
    if any(p < 0 or p > 1 for p in rho) or any(a < b for a, b in zip(rho, rho[1:], strict=False)):
        raise StdoError(f"jstdo.proportions {rho} must lie in [0, 1] and not increase from D0 to Dk")
    return rho


def joint_selection(chunks: np.ndarray, proportions: Sequence[float], seed: int) -> np.ndarray:
    """The joint training set of Eq. 2: ``round(rho_i |D_i|)`` patches drawn from each chunk
    ``D_i`` uniformly without replacement (seeded per chunk); sorted patch ids. Its size is mu."""
    k = int(chunks.max()) + 1
    rho = check_proportions(proportions, k)
    picked = []
    for i, p in enumerate(rho):
        members = np.flatnonzero(chunks == i)
        take = int(round(p * members.size))
        rng = np.random.default_rng([seed, i])
        picked.append(np.sort(rng.choice(members, size=take, replace=False)))
    out = np.sort(np.concatenate(picked)).astype(np.int64)
    if out.size == 0:
        raise StdoError(f"jstdo.proportions {rho} select no patch")
    return out


def unit_selection(
    unit: str,
    *,
    index: pd.DataFrame,
    chunks: np.ndarray | None = None,
    proportions: Sequence[float] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Patch ids a unit trains on (sorted)."""
    p = parse_unit(unit)
    if p.spec.partition:
        chunks = check_chunks(chunks, int(p["k"]), len(index), f"unit {unit!r}")
    return p.spec.select(p, Selection(index, chunks, proportions, seed)).astype(np.int64)


def route(method: str, *, index: pd.DataFrame, chunks: np.ndarray | None = None) -> np.ndarray:
    """Group (model, or CaFM modulation) index ``0..method_groups-1`` of every patch of the video."""
    p = parse_method(method)
    routing = p.spec.routing(p)
    if routing == "chunks":
        return check_chunks(chunks, int(p["k"]), len(index), f"method {method!r}").astype(np.int64)
    if routing == "time":
        return patch_time_segments(index, int(p["n"]))
    if routing == "custom":
        if p.spec.route is None:
            raise StdoError(f"method {p.spec.name!r}: custom routing needs a route function")
        groups = np.asarray(p.spec.route(p, index), dtype=np.int64)
        if groups.shape != (len(index),) or groups.min() < 0 or groups.max() >= method_groups(method):
            raise StdoError(
                f"method {method!r}: its route gave groups outside 0..{method_groups(method) - 1}"
            )
        return groups
    return np.zeros(len(index), dtype=np.int64)


# ---------------------------------------------------------------- the paper's methods


def _everything(p: Parsed, s: Selection) -> np.ndarray:
    return np.arange(len(s.index))


def _time_segment(p: Parsed, s: Selection) -> np.ndarray:
    if p["c"] >= p["n"]:
        raise StdoError(f"unit {p.id!r}: time segment {p['c']} does not exist for {p['n']} segments")
    return np.flatnonzero(patch_time_segments(s.index, int(p["n"])) == p["c"])


def _psnr_chunk(p: Parsed, s: Selection) -> np.ndarray:
    if p["c"] >= p["k"]:
        raise StdoError(f"unit {p.id!r}: chunk {p['c']} does not exist for k={p['k']}")
    return np.flatnonzero(s.chunks == p["c"])


def _joint(p: Parsed, s: Selection) -> np.ndarray:
    if s.proportions is None:
        raise StdoError(f"unit {p.id!r} needs jstdo.proportions")
    if s.chunks is None:
        raise StdoError(f"unit {p.id!r} needs the PSNR partition of k={p['k']} chunks")
    return joint_selection(s.chunks, s.proportions, s.seed)


def _jstdo_proportions(p: Parsed, config: Mapping[str, Any]) -> list[float]:
    if p["schedule"] is None:
        return list(config["jstdo"]["proportions"])
    schedules = config.get("ablations", {}).get("schedules", {}).get("proportions", [])
    if p["schedule"] >= len(schedules):
        raise StdoError(f"unit {p.id}: ablations.schedules.proportions has no entry {p['schedule']}")
    return list(schedules[p["schedule"]])


def stdo_ks(config: Mapping[str, Any]) -> list[int]:
    """STDO's k that compete for Table 2's best of k (the config's ``stdo.k``)."""
    return [int(k) for k in config.get("stdo", {}).get("k", [])]


def _stdo_requested(config: Mapping[str, Any], r: Request) -> list[str]:
    out = [f"stdo-k{k}" for k in stdo_ks(config)]
    if r.single_chunk:
        out += [f"stdo-k{k}-{d}" for k in stdo_ks(config) for d in ("d0", "dk")]
    return out


def _jstdo_requested(config: Mapping[str, Any], r: Request) -> list[str]:
    k = config["jstdo"]["k"]
    # Table 4 compares JSTDO with STDO at JSTDO's k (Table 2's best of k stays over stdo.k)
    return [f"jstdo-k{k}"] + ([f"stdo-k{k}"] if "stdo" in config["methods"] else [])


def _stdo_units(p: Parsed) -> list[str]:
    k = p["k"]
    return {"d0": [f"stdo-k{k}-c0"], "dk": [f"stdo-k{k}-c{k - 1}"]}.get(
        p["variant"], [f"stdo-k{k}-c{c}" for c in range(k)]
    )


register(
    MethodSpec(
        name="awdnn",
        method_forms=("awdnn",),
        method_re=re.compile(r"awdnn"),
        unit_forms=("all",),
        unit_re=re.compile(r"all"),
        labels=("awDNN",),
        label=lambda p: "awDNN",
        units=lambda p: ["all"],
        routing=lambda p: "one",
        budget="data",
        select=_everything,
        requested=lambda config, r: ["awdnn"],
        baseline=True,
    )
)
register(
    MethodSpec(
        name="nas",
        method_forms=("nas-n{n}",),
        method_re=re.compile(r"nas-n(?P<n>\d+)"),
        unit_forms=("nas-n{n}-c{i}",),
        unit_re=re.compile(r"nas-n(?P<n>\d+)-c(?P<c>\d+)"),
        labels=("NAS",),
        label=lambda p: "NAS",
        units=lambda p: [f"nas-n{p['n']}-c{i}" for i in range(p["n"])],
        routing=lambda p: "time",
        budget="data",
        select=_time_segment,
        requested=lambda config, r: [f"nas-n{r.segments}"],
        baseline=True,
    )
)
register(
    MethodSpec(
        name="cafm",
        method_forms=("cafm-n{n}",),
        method_re=re.compile(r"cafm-n(?P<n>\d+)"),
        unit_forms=("cafm-n{n}",),
        unit_re=re.compile(r"cafm-n(?P<n>\d+)"),
        labels=("CaFM",),
        label=lambda p: "CaFM",
        units=lambda p: [p.id],
        routing=lambda p: "time",
        budget="video",
        select=_everything,
        requested=lambda config, r: [f"cafm-n{r.segments}"],
        modulated=True,
        baseline=True,
    )
)
register(
    MethodSpec(
        name="stdo",
        method_forms=("stdo-k{k}", "stdo-k{k}-d0", "stdo-k{k}-dk"),
        method_re=re.compile(r"stdo-k(?P<k>\d+)(?:-(?P<variant>d0|dk))?"),
        unit_forms=("stdo-k{k}-c{c}",),
        unit_re=re.compile(r"stdo-k(?P<k>\d+)-c(?P<c>\d+)"),
        labels=("STDO", "STDO_D0_only", "STDO_Dk_only"),
        label=lambda p: {"d0": "STDO_D0_only", "dk": "STDO_Dk_only"}.get(p["variant"], "STDO"),
        units=_stdo_units,
        routing=lambda p: "one" if p["variant"] else "chunks",
        budget="data",
        select=_psnr_chunk,
        requested=_stdo_requested,
        partition=True,
    )
)
register(
    MethodSpec(
        name="jstdo",
        method_forms=("jstdo-k{k}", "jstdo-k{k}-p{i}"),
        method_re=re.compile(r"jstdo-k(?P<k>\d+)(?:-p(?P<schedule>\d+))?"),
        unit_forms=("jstdo-k{k}", "jstdo-k{k}-p{i}"),
        unit_re=re.compile(r"jstdo-k(?P<k>\d+)(?:-p(?P<schedule>\d+))?"),
        labels=("JSTDO",),
        label=lambda p: "JSTDO",
        units=lambda p: [p.id],
        routing=lambda p: "one",
        budget="video",
        select=_joint,
        requested=_jstdo_requested,
        partition=True,
        proportions=_jstdo_proportions,
        main_table=False,
    )
)
