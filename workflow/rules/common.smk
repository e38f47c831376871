# Look-ups shared by the stage files, and nothing computed. Every file name is a template of
# stdo.workflow.paths (each written once there; a rule names another rule's file as
# rules.<rule>.output.<name>); everything computed from the config (videos, time segments,
# method ids, training units, the files of each job, the arguments that depend on the config)
# is asked of stdo.workflow.plan.Plan, tested without Snakemake (tests/core/test_plan.py). What
# is left here turns a job's wildcards into a question to the plan, or is Snakemake's own (the
# job prefix, the start and error hooks). Parsing the workflow writes nothing.
import itertools
import os
import shlex
import sys
from types import SimpleNamespace

from stdo.core import plugins as stdo_plugins
from stdo.core.errors import StdoError
from stdo.workflow import paths
from stdo.workflow.plan import Plan
from stdo.workflow.shell import flag, input_flag, json_arg, patch_dir

# ------------------------------------------------------------------ the plan
try:  # a config mistake is one line (what, which key, what to do), not a stack of Snakemake frames
    PLUGINS = stdo_plugins.activate(config.get("plugins", []))  # before any registry look-up
    PLAN = Plan(config).check()
except StdoError as e:
    print(f"stdo: config error: {e}", file=sys.stderr)
    sys.exit(1)
SEEDS = PLAN.seeds
SEED0 = SEEDS[0]  # the run that figures, exports, benchmarks and bundles show
VIDEOS = PLAN.videos
BACKBONES = PLAN.backbones
GPUS = config.get("gpus", 0)  # GPUs each torch job asks for (resources: gpu)
BUDGETS = PLAN.budgets  # study.budgets, or [None]: each backbone's own epochs
# a trained run's files: one directory per budget when study.budgets sweeps it, per seed when
# there are several (train.seeds)
UNIT_MODEL = paths.unit_template(PLAN.multi_seed, paths.MODEL, PLAN.swept)
UNIT_LOG = paths.unit_template(PLAN.multi_seed, paths.TRAIN_LOG, PLAN.swept)
METRICS = paths.eval_template(PLAN.multi_seed, paths.METRICS, PLAN.swept)
PSNR_MAP = paths.eval_template(PLAN.multi_seed, paths.PSNR_MAP, PLAN.swept)
SEED_LOG = paths.seed_suffix(PLAN.multi_seed, PLAN.swept)  # log names carry what run directories do
SRC_DIR = str(Path(workflow.basedir) / "src")
_SNAPSHOT, _SNAPSHOT_TEXT = PLAN.snapshot()
CONFIG_SNAPSHOT = Path(_SNAPSHOT).resolve()
FIG_VIDEO, FIG_SCALE, FIG_BACKBONE = PLAN.figure_cell()  # Figures 1, 3, 4 and the clip
FIG = {"video": FIG_VIDEO, "scale": str(FIG_SCALE), "backbone": FIG_BACKBONE}
FIG_CELL = SimpleNamespace(**FIG)  # the figures' cell, as wildcards


# ------------------------------------------------------------------ Snakemake's own
def write_config_snapshot():
    """The resolved config, content-addressed, that every job's sidecars point to (written when
    the workflow starts running, never while parsing or on a dry run)."""
    if not CONFIG_SNAPSHOT.exists():
        CONFIG_SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        tmp = CONFIG_SNAPSHOT.with_name(CONFIG_SNAPSHOT.name + f".{os.getpid()}.part")
        tmp.write_text(_SNAPSHOT_TEXT)
        tmp.replace(CONFIG_SNAPSHOT)


def remove_orphan_sidecars():
    """A failed job's outputs are deleted by Snakemake, the sidecars written with them are not:
    remove every ``X.prov.json`` under results/ whose ``X`` is gone (on start and on error)."""
    from stdo.core import io as stdo_io

    for side in stdo_io.remove_orphan_sidecars(paths.RESULTS):
        print(f"removed {side}: its file is gone (a failed or deleted output)", file=sys.stderr)


def uses_conda():
    methods = getattr(workflow.deployment_settings, "deployment_method", ()) or ()
    return any(str(getattr(m, "value", m)).lower() == "conda" for m in methods)


def job_prefix():
    """Shell prefix of every job: the Python that runs Snakemake (unless --use-conda picks
    the env's), the package source (also inside a conda env that lacks it), the plugins and
    the resolved-config snapshot that provenance sidecars record."""
    prefix = ""
    if not uses_conda():
        prefix += f"export PATH={shlex.quote(os.path.dirname(sys.executable))}:$PATH; "
    # braces doubled twice: Snakemake formats the prefix again
    prefix += f"export PYTHONPATH={shlex.quote(SRC_DIR)}${{{{PYTHONPATH:+:$PYTHONPATH}}}}; "
    prefix += f"export {stdo_plugins.ENV}={shlex.quote(PLUGINS)}; "
    return prefix + f"export STDO_CONFIG_SNAPSHOT={shlex.quote(str(CONFIG_SNAPSHOT))}; "


def torch_threads():
    return config.get("threads") or workflow.cores


# ------------------------------------------------------------------ look-ups of a job's wildcards
def seed_of(wildcards):
    """The seed of a job (its wildcard when paths carry one, else the only seed)."""
    return int(getattr(wildcards, "seed", SEED0))


def budget_of(wildcards):
    """The budget of a job (its wildcard when paths carry one, else None: the main budget)."""
    return getattr(wildcards, "budget", None)


def eval_video(video):
    return PLAN.eval_video(video)


def method_ids(video, backbone, single_chunk=True):
    return PLAN.method_ids(video, backbone, single_chunk)


def of_eval_video(template):
    """An input function: ``template`` (another rule's output) for the video the job's video is
    evaluated on (itself, or its held-out frames), the job's other wildcards as they are."""
    return lambda w: expand(template, **(dict(w.items()) | {"video": eval_video(w.video)}))


def train_settings(lr, batch_size=None, seed=None):
    return json_arg(PLAN.train_settings(lr, batch_size, seed))


def labels(wildcards, **extra):
    return json_arg(PLAN.labels(wildcards.video, wildcards.scale, **extra))


def cell_labels(wildcards):
    """``--labels`` of a cell's job (bench): names only."""
    return json_arg({"video": wildcards.video, "scale": int(wildcards.scale), "backbone": wildcards.backbone})


def method_models(wildcards):
    w = wildcards
    return PLAN.method_models(w.video, w.scale, w.backbone, w.method, seed_of(w), budget_of(w))


def method_partition(wildcards):
    return PLAN.method_partition(wildcards.video, wildcards.scale, wildcards.method)


def cell_models(wildcards):
    w = wildcards
    return PLAN.cell_models(w.video, w.scale, w.backbone, seed_of(w))


def cell_partitions(wildcards):
    return PLAN.cell_partitions(wildcards.video, wildcards.scale, wildcards.backbone)


def cell_methods_arg(wildcards):
    return ",".join(method_ids(wildcards.video, wildcards.backbone))


def unit_init(wildcards):
    return PLAN.unit_init(wildcards.backbone, wildcards.scale)


# ------------------------------------------------------------------ training jobs (train.smk)
# Every training job runs this command; the rules differ in their units and inputs.
TRAIN_SHELL = (
    "python -m stdo train --patches {params.patches} --unit {params.units} "
    "--epochs {params.epochs} {params.selection} {params.init} {params.cafm} "
    "--backbone {params.backbone} --backbone-kwargs {params.kwargs} "
    "--scale {params.scale} --settings {params.settings} --device {params.device} "
    "--threads {threads} {params.seeds}--out-model {output.model} --out-log {output.log_csv} > {log} 2>&1"
)


def train_params(units):
    """The params of a job that trains ``units(wildcards)`` of one cell and seed, one after
    another, selected by the job's ``input.partition`` (if any)."""
    return dict(
        units=lambda w: " ".join(units(w)),
        patches=patch_dir,
        selection=lambda w, input: PLAN.selection_args(units(w), input.partition),
        init=input_flag("--init", "init"),
        cafm=lambda w: PLAN.cafm_arg(units(w)),
        epochs=lambda w: PLAN.epochs(w.backbone, budget_of(w)),
        backbone=lambda w: w.backbone,
        kwargs=lambda w: json_arg(BACKBONES[w.backbone].get("kwargs", {})),
        scale=lambda w: w.scale,
        settings=lambda w: train_settings(BACKBONES[w.backbone]["lr"], seed=seed_of(w)),
        device=config["device"],
        seeds="",
    )
