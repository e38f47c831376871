# Path templates and config look-ups shared by the stage files. Everything computed from the
# config (videos, time segments, method ids, tables, ablations) is asked of stdo.workflow.plan.Plan,
# tested without Snakemake; parsing the workflow writes nothing.
import hashlib
import json
import os
import shlex
import sys
from types import SimpleNamespace

from stdo import methods as stdo_methods
from stdo.core import plugins as stdo_plugins
from stdo.core.errors import StdoError
from stdo.workflow.plan import Plan

# ------------------------------------------------------------------ path templates (each once)
VIDEO = "results/videos/{video}"
SCALED = "results/videos/{video}/x{scale}"
PATCHES = "results/videos/{video}/x{scale}/patches"
PATCH_FILES = ["lr.npy", "hr.npy", "index.csv", "grid.json"]
SCORES = "results/videos/{video}/x{scale}/scores.csv"
PARTITION = "results/videos/{video}/x{scale}/partition/k{k}/chunks.npy"
THRESHOLDS = "results/videos/{video}/x{scale}/partition/k{k}/thresholds.csv"
CELL_DIR = "results/videos/{video}/x{scale}/{backbone}"
SCORE_SUMMARY = "results/videos/{video}/x{scale}/score_summary.json"
PRETRAINED = "results/pretrain/{backbone}/x{scale}/model.pt"
IMPORTED_F0 = "results/pretrain/imported/{backbone}/x{scale}/model.pt"
ABLATION = "results/ablations/{name}"
TABLE = "results/tables/table{n}"
CLAIMS = "results/tables/claims"
REGIME = "results/tables/regime"  # .csv and .md: the training regime of every cell beside the paper's
HEATMAP = "results/figures/heatmaps/{video}_x{scale}_{backbone}.png"
EXPORT_MANIFEST = "results/videos/{video}/x{scale}/{backbone}/export/manifest.json"
EXPORT_FILES = "results/videos/{video}/x{scale}/{backbone}/export/tflite"
BENCH_DIR = "results/videos/{video}/x{scale}/{backbone}/bench"
BENCH_HOST = "results/videos/{video}/x{scale}/{backbone}/bench/host.json"
BENCH_ADB = "results/videos/{video}/x{scale}/{backbone}/bench/adb.json"
BENCH_TASK = "results/videos/{video}/x{scale}/{backbone}/bench/task"
BENCH_TABLE = "results/tables/bench"
FIGURE5_PNG = "results/figures/figure5.png"
FIGURE5_PDF = "results/figures/figure5.pdf"
FIGURE5_DATA = "results/figures/figure5.csv"
FIGURE = "results/figures/figure{n}"  # .png, .pdf and .csv (the data plotted), n in 1 3 4 6
CLIP = "results/figures/side_by_side.mp4"
CLIP_DATA = "results/figures/side_by_side.csv"
PAPER_VS_RUN = "results/report/paper_vs_run"  # .html and .csv
REPORT = "results/report.html"
LOGS = "results/logs"
SRC_DIR = str(Path(workflow.basedir) / "src")
# delivery (stdo.delivery): the LR stream, bundles, the HR rate ladder, the rate table and figure
LR_STREAM = "results/videos/{video}/x{scale}/lr_stream.mkv"
BUNDLE = "results/videos/{video}/x{scale}/{backbone}/bundle/{method}"
LADDER = "results/videos/{video}/ladder.csv"
RATE_TABLE = "results/tables/rate"
RATE_FIGURE = "results/figures/rate"

# ------------------------------------------------------------------ the plan
try:  # a config mistake is one line (what, which key, what to do), not a stack of Snakemake frames
    PLUGINS = stdo_plugins.activate(config.get("plugins", []))  # before any registry look-up
    PLAN = Plan(config).check()
except StdoError as e:
    print(f"stdo: config error: {e}", file=sys.stderr)
    sys.exit(1)
SEEDS = PLAN.seeds
SEED0 = SEEDS[0]  # the run that figures, exports, benchmarks and bundles show
# a trained run: one seed per directory when there are several (train.seeds), else none
RUN = f"{CELL_DIR}/seed{{seed}}" if PLAN.multi_seed else CELL_DIR
UNIT = f"{RUN}/units/{{unit}}"
EVAL = f"{RUN}/eval/{{method}}"
METRICS = f"{EVAL}/metrics.json"
SEED_LOG = "_seed{seed}" if PLAN.multi_seed else ""  # log names carry the seed as RUN does
VIDEOS = PLAN.videos
BACKBONES = PLAN.backbones
TABLE_VIDEOS = PLAN.table_videos
GPUS = config.get("gpus", 0)  # GPUs each torch job asks for (resources: gpu)

_SNAPSHOT_TEXT = json.dumps(config, sort_keys=True, indent=1)
CONFIG_SNAPSHOT = Path("results/.provenance").resolve() / (
    f"config-{hashlib.sha256(_SNAPSHOT_TEXT.encode()).hexdigest()[:16]}.json"
)


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

    for side in stdo_io.remove_orphan_sidecars("results"):
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


def json_arg(obj):
    """A JSON value as one single-quoted shell word."""
    text = json.dumps(obj, separators=(",", ":"))
    if "'" in text:
        raise ValueError(f"config value {text} must not contain a single quote")
    return f"'{text}'"


# ------------------------------------------------------------------ look-ups
def torch_threads():
    return config.get("threads") or workflow.cores


def grid(scale):
    return PLAN.grid(scale)


def eval_video(video):
    return PLAN.eval_video(video)


def method_ids(video, backbone, single_chunk=True):
    return PLAN.method_ids(video, backbone, single_chunk)


def patch_files(video="{video}", scale="{scale}"):
    return [f"{PATCHES}/{name}".format(video=video, scale=scale) for name in PATCH_FILES]


def seed_of(wildcards):
    """The seed of a job (its wildcard when paths carry one, else the only seed)."""
    return int(getattr(wildcards, "seed", SEED0))


def metrics_file(video, scale, backbone, method, seed=SEED0):
    return METRICS.format(video=video, scale=scale, backbone=backbone, method=method, seed=seed)


def metrics_files():
    """Every seed's metrics of every table cell."""
    return [metrics_file(*run) for run in PLAN.metrics_runs()]


def score_summaries():
    return [SCORE_SUMMARY.format(video=v, scale=s) for v in TABLE_VIDEOS for s in config["scales"]]


def stdo_k_arg():
    return f"--stdo-k {','.join(map(str, PLAN.stdo_ks()))}" if PLAN.stdo_ks() else ""


def train_settings(lr, batch_size=None, seed=None):
    return json_arg(PLAN.train_settings(lr, batch_size, seed))


def vsd4k_dirs(video):
    """Directories of a VSD4K video's clips (made by download_vsd4k), or []."""
    return [f"data/vsd4k/{clip}" for clip in VIDEOS[video].get("vsd4k") or []]


def ingest_input(wildcards):
    return vsd4k_dirs(wildcards.video) or [VIDEOS[wildcards.video]["source"]]


def ingest_source(wildcards, input):
    if vsd4k_dirs(wildcards.video):
        return f"--vsd4k {shlex.quote(','.join(input))}"
    return f"--video {shlex.quote(input[0])}"


def ingest_duration(wildcards):
    """VSD4K's PNG frames carry no frame rate: the video's configured length gives it."""
    if not vsd4k_dirs(wildcards.video):
        return ""
    try:
        return f"--duration-s {PLAN.video_duration(wildcards.video)}"
    except StdoError:
        return ""  # fps stays unknown; the LR stream (degrade) then asks for duration_s


def ingest_split(wildcards):
    split = PLAN.ingest_split(wildcards.video)
    return "" if split == "none" else f"--split {split}"


def fit_args(wildcards):
    """--fit and the size multiple (width, height, offset step) every scale and grid needs."""
    fit = VIDEOS[wildcards.video].get("fit", "error")
    if fit == "error":
        return "--fit error"
    return f"--fit {fit} --multiple {','.join(map(str, PLAN.fit_multiple()))}"


def download_source(dataset):
    if dataset not in config.get("downloads", {}):
        raise ValueError(f"config: downloads.{dataset} is needed (where to fetch {dataset} from)")
    return json_arg(config["downloads"][dataset])


def partition_assign(wildcards):
    """Held-out frames take the training partition's thresholds, not their own quantiles."""
    train = PLAN.train_video(wildcards.video)
    return [THRESHOLDS.format(video=train, scale=wildcards.scale, k=wildcards.k)] if train else []


def unit_proportions(wildcards):
    rho = PLAN.unit_proportions(wildcards.unit)
    return f"--proportions {json_arg(rho)}" if rho is not None else ""


def f0_model(wildcards):
    """f0 for a scale: trained by rule pretrain, or imported from pretrain.checkpoints."""
    template = IMPORTED_F0 if PLAN.f0_imported(int(wildcards.scale)) else PRETRAINED
    return template.format(backbone=config["pretrain"]["backbone"], scale=wildcards.scale)


def unit_init(wildcards):
    """The generic model an overfitted model starts from (train.init: generic), or none."""
    if not PLAN.init_from_generic():
        return []
    if wildcards.backbone == config["pretrain"]["backbone"]:
        return [f0_model(wildcards)]  # f0 itself, trained or imported (pretrain.checkpoints)
    return [PRETRAINED.format(backbone=wildcards.backbone, scale=wildcards.scale)]


def labels(wildcards, **extra):
    """Labels copied into a stage's JSON output: names, and the paper cell of the video."""
    paper = VIDEOS[wildcards.video].get("paper") or {}
    return json_arg(
        {"video": wildcards.video, **extra, "scale": int(wildcards.scale)}
        | {"paper_video": paper.get("video"), "paper_duration_s": paper.get("duration_s")}
    )


def pretrain_images(wildcards):
    if config["pretrain"].get("source", "skimage") == "div2k":
        return ["data/div2k/DIV2K_train_HR"]
    return []


def pretrain_image_args(wildcards, input):
    out = f"--images '{','.join(config['pretrain'].get('images', []))}'"
    if input.images:
        out += f" --image-dir {input.images[0]} --max-images {config['pretrain'].get('max_images', 0)}"
    return out


def unit_inputs(wildcards):
    k = stdo_methods.unit_partition_k(wildcards.unit)
    return [PARTITION.format(video=wildcards.video, scale=wildcards.scale, k=k)] if k else []


def chunk_units(k):
    """STDO's k chunk models of one partition, trained by one job (rule train_stdo_k<k>)."""
    return [f"stdo-k{k}-c{c}" for c in range(k)]


def unit_file(video, scale, backbone, unit, seed, name="model.pt"):
    return f"{UNIT}/{name}".format(video=video, scale=scale, backbone=backbone, unit=unit, seed=seed)


def eval_file(video, scale, backbone, method, seed, name="metrics.json"):
    return f"{EVAL}/{name}".format(video=video, scale=scale, backbone=backbone, method=method, seed=seed)


def unit_model(wildcards, unit):
    """model.pt of one unit of a cell, for the job's seed (the first seed where it has none)."""
    w = wildcards
    return unit_file(w.video, w.scale, w.backbone, unit, seed_of(w))


# ------------------------------------------------------------------ jobs of a cell (config jobs: cell)
def cell_job_name(video, scale, backbone, seed):
    return f"{video}_x{scale}_{backbone}" + (f"_seed{seed}" if PLAN.multi_seed else "")


def partition_files(video, scale, ks):
    """{k: chunks.npy} of one video and scale."""
    return {str(k): PARTITION.format(video=video, scale=scale, k=k) for k in sorted(ks)}


def cell_train_inputs(video, scale, units):
    """--partitions and --proportions of a job that trains ``units`` of one cell."""
    ks = {stdo_methods.unit_partition_k(u) for u in units} - {None}
    rho = {u: PLAN.unit_proportions(u) for u in units if PLAN.unit_proportions(u) is not None}
    parts = partition_files(video, scale, ks)
    args = (f"--partitions {json_arg(parts)} " if parts else "") + (f"--proportions {json_arg(rho)}" if rho else "")
    return list(parts.values()), args


def cell_eval_batch(video, scale, backbone, seed, method_list):
    """--batch of a job that evaluates ``method_list`` of one cell and seed (stdo.sr.evaluate)."""
    target = eval_video(video)
    out = []
    for m in method_list:
        k = stdo_methods.method_partition_k(m)
        out.append(
            {
                "method": m,
                "models": [unit_file(video, scale, backbone, u, seed) for u in stdo_methods.method_units(m)],
                "partition": PARTITION.format(video=target, scale=scale, k=k) if k else None,
                "out_metrics": eval_file(video, scale, backbone, m, seed),
                "out_map": eval_file(video, scale, backbone, m, seed, "psnr_map.npy"),
            }
        )
    return out


def method_models(wildcards):
    return [unit_model(wildcards, u) for u in stdo_methods.method_units(wildcards.method)]


def cell_models(wildcards):
    return [unit_model(wildcards, u) for u in PLAN.cell_units(wildcards.video, wildcards.backbone)]


def cell_partitions(wildcards):
    """PSNR partitions the routed methods of a cell need (of the video they are evaluated on)."""
    ks = PLAN.cell_partition_ks(wildcards.video, wildcards.backbone)
    return [PARTITION.format(video=eval_video(wildcards.video), scale=wildcards.scale, k=k) for k in ks]


def bench_files():
    """Benchmark results of every table video, scale and backbone (host; and the phone with bench.adb)."""
    templates = [BENCH_HOST] + ([BENCH_ADB] if config["bench"].get("adb") else [])
    return [
        t.format(video=v, scale=s, backbone=b)
        for t in templates
        for v in TABLE_VIDEOS
        for s in config["scales"]
        for b in BACKBONES
    ]


def method_partition(wildcards):
    k = stdo_methods.method_partition_k(wildcards.method)
    return [PARTITION.format(video=eval_video(wildcards.video), scale=wildcards.scale, k=k)] if k else []


def ablation_metrics(name):
    """Evaluation metrics one ablation is made of (each of its seeds)."""
    return [metrics_file(*run) for run in PLAN.ablation_runs(name)]


def ablation_outputs():
    out = []
    for a in PLAN.ablations():
        out += [f"{ABLATION}.{ext}".format(name=a.name) for ext in ("csv", "md")]
        if a.name != "long_video":
            out += [f"{ABLATION}.{ext}".format(name=a.name) for ext in ("png", "pdf")]
    return out


def ablation_args(wildcards):
    name = getattr(wildcards, "name", "long_video")
    spec = PLAN.ablation(name).spec
    if name == "schedules":
        return f"--proportions {json_arg(spec['proportions'])}"
    if name == "chunks":
        return ""
    return f"--long {spec['video']} --parts {','.join(spec['parts'])}"


def claim_ablations():
    """The ablation tables the claims are checked on (those configured)."""
    return [f"{ABLATION}.csv".format(name=a.name) for a in PLAN.ablations()]


def claim_ablation_args(paths):
    flags = {"chunks": "--chunks", "schedules": "--schedules", "long_video": "--long-video"}
    return " ".join(f"{flags[Path(p).stem]} {p}" for p in paths)


# ------------------------------------------------------------------ figure look-ups
FIG_VIDEO, FIG_SCALE, FIG_BACKBONE = PLAN.figure_cell()  # Figures 1, 3, 4 and the clip
FIG = {"video": FIG_VIDEO, "scale": str(FIG_SCALE), "backbone": FIG_BACKBONE}
FIG_CELL = SimpleNamespace(**FIG)  # as wildcards, for the cell look-ups below


def fig_methods():
    """The main methods of the figures' cell (not Table 1's single-chunk models)."""
    return method_ids(FIG_VIDEO, FIG_BACKBONE, single_chunk=False)


def fig_eval(name, methods=None):
    """``eval/<method>/<name>`` of the figures' cell for each of its methods."""
    return [
        f"{EVAL}/{name}".format(video=FIG_VIDEO, scale=FIG_SCALE, backbone=FIG_BACKBONE, method=m, seed=SEED0)
        for m in (methods if methods is not None else fig_methods())
    ]


def figure_files(n):
    return [f"{FIGURE}.{ext}".format(n=n) for ext in ("png", "pdf", "csv")]


def figure_outputs():
    """Every figure of the paper the config asks for (Figure 5 is the bench target's), the
    overview heatmaps and the side-by-side clip."""
    out = [f for n in PLAN.figures_to_build() for f in figure_files(n)]
    out += [CLIP, CLIP_DATA] if 4 in PLAN.figures_to_build() else []
    out += [f for f in ablation_outputs() if not f.endswith((".csv", ".md"))]
    out += expand(HEATMAP, video=TABLE_VIDEOS, scale=config["scales"], backbone=list(BACKBONES))
    return out


def schedule_maps():
    """psnr_map.npy of the JSTDO schedule models (Figure 6)."""
    return [
        f"{EVAL}/psnr_map.npy".format(video=v, scale=s, backbone=b, method=m, seed=SEED0)
        for v, s, b, m in PLAN.ablation("schedules").cells
    ]


def positions_arg():
    return ",".join(str(p) for p in config["figures"]["positions"])


def table_pages():
    """HTML pages of every table for the report: Tables 1-4, the claims, the ablations, the
    device benchmarks."""
    names = [f"table{n}" for n in PLAN.tables_to_build()] + ["claims", "bench"]
    pages = [f"results/report/tables/{t}.html" for t in names]
    return pages + [f"results/report/ablations/{a.name}.html" for a in PLAN.ablations()]


def report_inputs():
    """Everything the report shows: tables, figures (Figure 5 included), the paper against this run."""
    return table_pages() + figure_outputs() + [FIGURE5_PNG, f"{PAPER_VS_RUN}.html"]


# ------------------------------------------------------------------ delivery look-ups
def lr_codec_arg(video):
    """``--codec JSON`` for a video whose LR stream is codec-compressed, else nothing."""
    spec = PLAN.lr_codec(video)
    return f"--codec {json_arg(spec)}" if spec else ""


def bundle_dirs():
    return [BUNDLE.format(video=v, scale=s, backbone=b, method=m) for v, s, b, m in PLAN.delivery_cells()]


def delivery_metrics():
    return [metrics_file(*cell) for cell in PLAN.delivery_cells()]  # the first seed's


def ladders():
    return [LADDER.format(video=eval_video(v)) for v in TABLE_VIDEOS]
