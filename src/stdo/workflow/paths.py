"""Every file the workflow makes or reads, as a path template written once.

The owner of the names: :class:`stdo.workflow.plan.Plan` formats them into the file lists a config
asks for, ``workflow/rules/common.smk`` hands them to the rule files, and a rule that needs the
file another rule makes names it as ``rules.<rule>.output.<name>``. Templates are relative to
Snakemake's working directory; their ``{wildcards}`` are the rules' wildcards. A trained run's
files (models, evaluations) sit in a directory per seed when ``train.seeds`` has several:
:func:`run_dir`.
"""

from __future__ import annotations

# ------------------------------------------------------------------ inputs
VSD4K_CLIP = "data/vsd4k/{clip}"  # one VSD4K clip's PNG frames (rule download_vsd4k)
VSD4K_ARCHIVES = "data/vsd4k/.archives"
DIV2K_ITEM = "data/div2k/{item}"  # rule download_div2k
DIV2K_ARCHIVES = "data/div2k/.archives"
DIV2K_TRAIN = DIV2K_ITEM.format(item="DIV2K_train_HR")  # pretrain.source: div2k
PACKAGED = "resources/packaged/{package}/{path}"  # a file shipped in an installed package

# ------------------------------------------------------------------ one video
RESULTS = "results"
VIDEO = f"{RESULTS}/videos/{{video}}"
HR = f"{VIDEO}/hr.npy"  # HR frames (ingest)
META = f"{VIDEO}/meta.json"
LADDER = f"{VIDEO}/ladder.csv"  # the HR video's rate ladder (delivery)

# one video at one scale
SCALED = f"{VIDEO}/x{{scale}}"
LR = f"{SCALED}/lr.npy"
LR_STREAM = f"{SCALED}/lr_stream.mkv"
PATCHES = f"{SCALED}/patches"
PATCH_FILES = {"lr": "lr.npy", "hr": "hr.npy", "index": "index.csv", "grid": "grid.json"}
SCORES = f"{SCALED}/scores.csv"  # f0's per-patch PSNR
SCORE_SUMMARY = f"{SCALED}/score_summary.json"
PARTITION_DIR = f"{SCALED}/partition/k{{k}}"
PARTITION = f"{PARTITION_DIR}/chunks.npy"
THRESHOLDS = f"{PARTITION_DIR}/thresholds.csv"

# one cell: a video, scale and backbone
CELL = f"{SCALED}/{{backbone}}"
BUDGET_RUN = f"{CELL}/e{{budget}}"  # a trained run at one budget, when study.budgets sweeps
EXPORT_MANIFEST = f"{CELL}/export/manifest.json"
EXPORT_FILES = f"{CELL}/export/tflite"
BENCH_DIR = f"{CELL}/bench"
BENCH_HOST = f"{BENCH_DIR}/host.json"
BENCH_ADB = f"{BENCH_DIR}/adb.json"
BENCH_ADB_LOG = f"{BENCH_DIR}/adb.log"
BENCH_TASK = f"{BENCH_DIR}/task"
BUNDLE = f"{CELL}/bundle/{{method}}"

# the files of a trained run (see run_dir): a unit's model and training log, a method's evaluation
MODEL = "model.pt"
TRAIN_LOG = "log.csv"
METRICS = "metrics.json"
PSNR_MAP = "psnr_map.npy"

# generic models
PRETRAIN_DIR = f"{RESULTS}/pretrain/{{backbone}}/x{{scale}}"
PRETRAINED = f"{PRETRAIN_DIR}/{MODEL}"
PRETRAIN_LOG = f"{PRETRAIN_DIR}/{TRAIN_LOG}"
IMPORTED_F0 = f"{RESULTS}/pretrain/imported/{{backbone}}/x{{scale}}/{MODEL}"

# ------------------------------------------------------------------ tables, figures, report
TABLES = f"{RESULTS}/tables"
TABLE = f"{TABLES}/table{{n}}"  # .csv and .md, n in 1-4
CLAIMS = f"{TABLES}/claims"
BUDGET_TABLE = f"{TABLES}/budget"  # every claim at every budget of study.budgets, and its convergence
REGIME = f"{TABLES}/regime"  # the training regime of every cell beside the paper's
BENCH_TABLE = f"{TABLES}/bench"
RATE_TABLE = f"{TABLES}/rate"
ABLATION = f"{RESULTS}/ablations/{{name}}"  # .csv and .md (and .png, .pdf but long_video)
FIGURES = f"{RESULTS}/figures"
FIGURE = f"{FIGURES}/figure{{n}}"  # .png, .pdf and .csv (the data plotted)
BUDGET_FIGURE = f"{FIGURES}/budget"  # .png, .pdf and .csv: margins against steps per model
HEATMAP = f"{FIGURES}/heatmaps/{{video}}_x{{scale}}_{{backbone}}.png"
CLIP = f"{FIGURES}/side_by_side.mp4"
CLIP_DATA = f"{FIGURES}/side_by_side.csv"
RATE_FIGURE = f"{FIGURES}/rate"  # .png, .pdf and .csv
PAPER_VS_RUN = f"{RESULTS}/report/paper_vs_run"  # .html and .csv
TABLE_SOURCE = f"{RESULTS}/{{folder}}/{{table}}"  # a table's .csv and .md (folder: tables, ablations)
TABLE_PAGE = f"{RESULTS}/report/{{folder}}/{{table}}.html"
REPORT = f"{RESULTS}/report.html"
LOGS = f"{RESULTS}/logs"
PROVENANCE = f"{RESULTS}/.provenance"  # the resolved configs the sidecars point to
# in the checkout (Snakemake's base directory)
CONFIG = "config/config.yaml"
PAPER_CONFIG = "config/paper.yaml"
SCHEMA = "workflow/schemas/config.schema.yaml"


def run_dir(multi_seed: bool, swept: bool = False) -> str:
    """A trained run's directory: the cell's, with ``e{budget}/`` when study.budgets sweeps the
    training budget, and ``seed{seed}/`` when there are several seeds."""
    return (BUDGET_RUN if swept else CELL) + ("/seed{seed}" if multi_seed else "")


def seed_suffix(multi_seed: bool, swept: bool = False) -> str:
    """What a log name of a trained run ends with: ``_e{budget}`` when budgets are swept,
    ``_seed{seed}`` when there are several seeds."""
    return ("_e{budget}" if swept else "") + ("_seed{seed}" if multi_seed else "")


def unit_template(multi_seed: bool, name: str = MODEL, swept: bool = False) -> str:
    """``name`` (``model.pt``, ``log.csv``) of one training unit of a run."""
    return f"{run_dir(multi_seed, swept)}/units/{{unit}}/{name}"


def eval_template(multi_seed: bool, name: str = METRICS, swept: bool = False) -> str:
    """``name`` (``metrics.json``, ``psnr_map.npy``) of one method's evaluation of a run."""
    return f"{run_dir(multi_seed, swept)}/eval/{{method}}/{name}"


def patch_files() -> dict[str, str]:
    """The patch folder's files (rule patches' outputs), by name."""
    return {key: f"{PATCHES}/{name}" for key, name in PATCH_FILES.items()}


def with_ext(template: str, *exts: str, **wildcards: object) -> list[str]:
    """``template.ext`` for each extension, formatted with ``wildcards`` (all of its own)."""
    return [f"{template}.{ext}".format(**wildcards) for ext in exts]
