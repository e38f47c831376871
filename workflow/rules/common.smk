# Helpers shared by the workflow's stage files: paths, config look-ups, target lists. No algorithms here.
import hashlib
import json
import math
import os
import re
import shlex
import sys

from stdo import methods as stdo_methods

VIDEO = "results/videos/{video}"
SCALED = "results/videos/{video}/x{scale}"
PATCH_FILES = ["lr.npy", "hr.npy", "index.csv", "grid.json"]
LOGS = "results/logs"
SRC_DIR = str(Path(workflow.basedir) / "src")


def publish_config_snapshot(cfg):
    """Write the resolved config once (content-addressed) and point every job to it."""
    text = json.dumps(cfg, sort_keys=True, indent=1)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = Path("results/.provenance") / f"config-{digest}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.part")
        tmp.write_text(text)
        tmp.replace(path)
    return str(path.resolve())


def uses_conda():
    methods = getattr(workflow.deployment_settings, "deployment_method", ()) or ()
    return any(str(getattr(m, "value", m)).lower() == "conda" for m in methods)


def job_prefix(cfg):
    """Shell prefix of every job: the Python that runs Snakemake (unless --use-conda picks
    the env's), the package source (also inside a conda env that lacks it), and the
    resolved-config snapshot that provenance sidecars record."""
    snapshot = publish_config_snapshot(cfg)
    prefix = ""
    if not uses_conda():
        prefix += f"export PATH={shlex.quote(os.path.dirname(sys.executable))}:$PATH; "
    # braces doubled twice: Snakemake formats the prefix again
    prefix += f"export PYTHONPATH={shlex.quote(SRC_DIR)}${{{{PYTHONPATH:+:$PYTHONPATH}}}}; "
    return prefix + f"export STDO_CONFIG_SNAPSHOT={shlex.quote(snapshot)}; "


def _by_name(section):
    entries = {}
    for entry in config[section]:
        if entry["name"] in entries:
            raise ValueError(f"config: {section} lists {entry['name']!r} twice")
        entries[entry["name"]] = entry
    return entries


VIDEOS = _by_name("videos")
BACKBONES = _by_name("backbones")
# videos in the paper's tables (others only feed ablations)
TABLE_VIDEOS = [v for v, entry in VIDEOS.items() if entry.get("tables", True)]
# split: cafm trains on frames 1..n of the video and evaluates on the next n/10, a held-out
# video <name>_heldout made by the same rules
for _name, _entry in list(VIDEOS.items()):
    if _entry.get("split", "none") == "cafm":
        if f"{_name}_heldout" in VIDEOS:
            raise ValueError(f"config: video name {_name}_heldout is reserved for {_name}'s held-out frames")
        VIDEOS[f"{_name}_heldout"] = dict(_entry, name=f"{_name}_heldout", split="heldout", tables=False)


def eval_video(video):
    """The video a method is evaluated on: itself, or its held-out frames (split: cafm)."""
    return f"{video}_heldout" if VIDEOS[video].get("split") == "cafm" else video


def ingest_split(wildcards):
    split = VIDEOS[wildcards.video].get("split", "none")
    return {"cafm": "--split train", "heldout": "--split test"}.get(split, "")


def partition_assign(wildcards):
    """Held-out frames take the training partition's thresholds, not their own quantiles."""
    if VIDEOS[wildcards.video].get("split") == "heldout":
        train = wildcards.video.removesuffix("_heldout")
        return [f"results/videos/{train}/x{wildcards.scale}/partition/k{wildcards.k}/thresholds.csv"]
    return []


GPUS = config.get("gpus", 0)  # GPUs each torch job asks for (resources: gpu)


def vsd4k_dirs(video):
    """Directories of a VSD4K video's clips (made by download_vsd4k), or []."""
    return [f"data/vsd4k/{clip}" for clip in VIDEOS[video].get("vsd4k") or []]


def ingest_input(wildcards):
    return vsd4k_dirs(wildcards.video) or [VIDEOS[wildcards.video]["source"]]


def ingest_source(wildcards, input):
    if vsd4k_dirs(wildcards.video):
        return f"--vsd4k {shlex.quote(','.join(input))}"
    return f"--video {shlex.quote(input[0])}"


def fit_args(wildcards):
    """--fit and the size multiple (width, height, offset step) every scale and grid needs."""
    fit = VIDEOS[wildcards.video].get("fit", "error")
    if fit == "error":
        return "--fit error"
    mw = mh = step = 1
    for s in config["scales"]:
        cols, rows = grid(s)
        mw, mh, step = math.lcm(mw, s * cols), math.lcm(mh, s * rows), math.lcm(step, s)
    return f"--fit {fit} --multiple {mw},{mh},{step}"


def download_source(dataset):
    if dataset not in config.get("downloads", {}):
        raise ValueError(f"config: downloads.{dataset} is needed (where to fetch {dataset} from)")
    return json_arg(config["downloads"][dataset])


def demo_photos():
    """The photographs the demo video is made of (f0 must not train on them)."""
    if "demo_video" not in config:
        return []
    if config["demo_video"].get("scenes"):
        return [scene["image"] for scene in config["demo_video"]["scenes"]]
    from stdo.demo import DEFAULT_SCENES

    return [scene.image for scene in DEFAULT_SCENES]


def patch_files(video="{video}", scale="{scale}"):
    return [f"results/videos/{video}/x{scale}/patches/{name}" for name in PATCH_FILES]


def grid(scale):
    key = f"x{scale}"
    if key not in config["patch_grid"]:
        raise ValueError(f"config: patch_grid has no entry {key} for scale {scale}")
    return config["patch_grid"][key]


def torch_threads():
    return config.get("threads") or workflow.cores


def json_arg(obj):
    """A JSON value as one single-quoted shell word."""
    text = json.dumps(obj, separators=(",", ":"))
    if "'" in text:
        raise ValueError(f"config value {text} must not contain a single quote")
    return f"'{text}'"


def train_settings(lr, batch_size=None):
    settings = {k: v for k, v in config["train"].items() if k != "init"} | {"lr": lr}
    if batch_size is not None:
        settings["batch_size"] = batch_size
    return json_arg(settings)


def video_duration(video):
    """Length in seconds of a configured video (for NAS/CaFM time segments): duration_s, the
    demo's settings, the paper label, or the file's own header when it exists already."""
    entry = VIDEOS[video]
    if entry.get("duration_s"):
        return float(entry["duration_s"])
    demo = config.get("demo_video")
    if demo and entry.get("source") == demo["path"]:
        frames = entry.get("frames")
        total = round(demo["seconds"] * demo["fps"])
        used = (min(frames[1], total) - frames[0]) if frames else total
        return used / demo["fps"]
    if entry.get("paper"):
        return float(entry["paper"]["duration_s"])
    if entry.get("source") and os.path.exists(entry["source"]):
        from stdo.ingest import probe_duration

        seconds = probe_duration(entry["source"], entry.get("frames"))
        if seconds:
            return seconds
    raise ValueError(
        f"config: video {video!r} needs duration_s (its length in seconds) to cut NAS/CaFM segments"
    )


def time_segments(video):
    seconds = video_duration(video)
    if VIDEOS[video].get("split") == "cafm":
        seconds /= 1.1  # NAS/CaFM segments cover the training frames (n of n + n/10)
    return max(1, math.ceil(seconds / config["nas"]["chunk_seconds"] - 1e-9))


def method_ids(video, backbone, single_chunk=True):
    """Evaluated method ids of one video and backbone, e.g. awdnn, nas-n3, stdo-k2, jstdo-k4."""
    out = []
    ks = list(config.get("stdo", {}).get("k", []))
    for m in config["methods"]:
        if m in ("nas", "cafm"):
            out.append(f"{m}-n{time_segments(video)}")
        elif m == "jstdo":
            out.append(f"jstdo-k{config['jstdo']['k']}")
            if "stdo" in config["methods"] and config["jstdo"]["k"] not in ks:
                ks.append(config["jstdo"]["k"])  # Table 4 compares STDO at JSTDO's k
        elif m != "stdo":
            out.append(m)
    if "stdo" in config["methods"]:
        out += [f"stdo-k{k}" for k in ks]
        if single_chunk and backbone in config.get("table1", {}).get("backbones", []):
            out += [f"stdo-k{k}-{d}" for k in ks for d in ("d0", "dk")]
    return out


def metrics_files():
    return [
        f"results/videos/{v}/x{s}/{b}/eval/{m}/metrics.json"
        for v in TABLE_VIDEOS
        for s in config["scales"]
        for b in BACKBONES
        for m in method_ids(v, b)
    ]


def tables_to_build():
    """The paper tables this config has the methods for."""
    methods = set(config["methods"])
    out = [2]
    if "stdo" in methods and set(config.get("table1", {}).get("backbones", [])) & set(BACKBONES):
        out.append(1)
    if {"stdo", "cafm"} <= methods:
        out.append(3)
    if {"stdo", "jstdo"} <= methods:
        out.append(4)
    return sorted(out)


def unit_proportions(wildcards):
    if not wildcards.unit.startswith("jstdo-"):
        return ""
    m = re.match(r"^jstdo-k\d+-p(\d+)$", wildcards.unit)
    if m:
        schedules = config.get("ablations", {}).get("schedules", {}).get("proportions", [])
        if int(m.group(1)) >= len(schedules):
            raise ValueError(f"unit {wildcards.unit}: ablations.schedules.proportions has no entry {m.group(1)}")
        return f"--proportions {json_arg(schedules[int(m.group(1))])}"
    return f"--proportions {json_arg(config['jstdo']['proportions'])}"


def generic_kwargs(backbone):
    """Constructor arguments of a backbone's generic model (pretrained on photographs): the
    backbone entry's, or pretrain.kwargs for f0's backbone when it is not trained itself."""
    pre = config["pretrain"]
    if backbone in BACKBONES:
        kwargs = BACKBONES[backbone].get("kwargs", {})
        if backbone == pre["backbone"] and pre.get("kwargs", {}) not in ({}, kwargs):
            raise ValueError(
                f"config: pretrain.kwargs {pre['kwargs']} differ from backbones' {backbone} kwargs {kwargs}; "
                "f0 is the generic model of that backbone, so give them the same values"
            )
        return kwargs
    return pre.get("kwargs", {})


def unit_init(wildcards):
    """The generic model an overfitted model starts from (train.init: generic), or none."""
    if config["train"].get("init", "scratch") != "generic":
        return []
    if wildcards.backbone == config["pretrain"]["backbone"]:
        return [f0_model(wildcards)]  # f0 itself, trained or imported (pretrain.checkpoints)
    return [f"results/pretrain/{wildcards.backbone}/x{wildcards.scale}/model.pt"]


def score_summaries():
    return [f"results/videos/{v}/x{s}/score_summary.json" for v in TABLE_VIDEOS for s in config["scales"]]


def score_labels(wildcards):
    """Labels copied into score_summary.json (the bicubic and f0 reference rows of the tables)."""
    paper = VIDEOS[wildcards.video].get("paper") or {}
    return json_arg(
        {
            "video": wildcards.video,
            "scale": int(wildcards.scale),
            "paper_video": paper.get("video"),
            "paper_duration_s": paper.get("duration_s"),
        }
    )


def f0_model(wildcards):
    """f0 for a scale: trained by rule pretrain, or imported from pretrain.checkpoints."""
    backbone = config["pretrain"]["backbone"]
    if config["pretrain"].get("checkpoints", {}).get(f"x{wildcards.scale}"):
        return f"results/pretrain/imported/{backbone}/x{wildcards.scale}/model.pt"
    return f"results/pretrain/{backbone}/x{wildcards.scale}/model.pt"


def pretrain_images(wildcards):
    if config["pretrain"].get("source", "skimage") == "div2k":
        return ["data/div2k/DIV2K_train_HR"]
    return []


def pretrain_image_args(wildcards, input):
    out = f"--images '{','.join(config['pretrain'].get('images', []))}'"
    if input.images:
        out += f" --image-dir {input.images[0]} --max-images {config['pretrain'].get('max_images', 0)}"
    return out


def partition_file(video, scale, k):
    return f"results/videos/{video}/x{scale}/partition/k{k}/chunks.npy"


def unit_inputs(wildcards):
    k = stdo_methods.unit_partition_k(wildcards.unit)
    return [partition_file(wildcards.video, wildcards.scale, k)] if k else []


def method_models(wildcards):
    return [
        f"results/videos/{wildcards.video}/x{wildcards.scale}/{wildcards.backbone}/units/{u}/model.pt"
        for u in stdo_methods.method_units(wildcards.method)
    ]


def method_partition(wildcards):
    k = stdo_methods.method_partition_k(wildcards.method)
    return [partition_file(eval_video(wildcards.video), wildcards.scale, k)] if k else []


def eval_labels(wildcards):
    """Labels copied into metrics.json: names, and the paper cell the video corresponds to."""
    paper = VIDEOS[wildcards.video].get("paper") or {}
    return json_arg(
        {
            "video": wildcards.video,
            "backbone": wildcards.backbone,
            "scale": int(wildcards.scale),
            "paper_video": paper.get("video"),
            "paper_duration_s": paper.get("duration_s"),
            "evaluated_on": eval_video(wildcards.video),
        }
    )


def _ablation(name):
    spec = config.get("ablations", {}).get(name)
    if not spec:
        return None
    for video in [spec["video"], *spec.get("parts", [])]:
        if video not in VIDEOS:
            raise ValueError(f"config: ablations.{name} names video {video!r}, which videos does not list")
    for backbone in spec.get("backbones", [spec.get("backbone")]):
        if backbone not in BACKBONES:
            raise ValueError(f"config: ablations.{name} names backbone {backbone!r}, which backbones does not list")
    grid(spec["scale"])  # the scale needs a patch grid
    return spec


def _metrics(video, scale, backbone, method):
    return f"results/videos/{video}/x{scale}/{backbone}/eval/{method}/metrics.json"


def ablation_metrics(name):
    """Evaluation metrics one ablation is made of."""
    spec = _ablation(name)
    if name == "chunks":
        return [
            _metrics(spec["video"], spec["scale"], b, f"stdo-k{k}") for b in spec["backbones"] for k in spec["k"]
        ]
    if name == "schedules":
        return [
            _metrics(spec["video"], spec["scale"], spec["backbone"], f"jstdo-k{spec['k']}-p{i}")
            for i in range(len(spec["proportions"]))
        ]
    ks = config.get("stdo", {}).get("k", [])
    if not ks:
        raise ValueError("config: ablations.long_video needs stdo.k")
    return [
        _metrics(v, spec["scale"], spec["backbone"], f"stdo-k{k}")
        for v in [spec["video"], *spec["parts"]]
        for k in ks
    ]


def ablation_outputs():
    out = []
    for name in ("chunks", "schedules", "long_video"):
        if _ablation(name):
            out += [f"results/ablations/{name}.csv", f"results/ablations/{name}.md"]
            if name != "long_video":
                out.append(f"results/ablations/{name}.png")
    return out


def ablation_args(wildcards):
    name = getattr(wildcards, "name", "long_video")
    spec = _ablation(name)
    if name == "schedules":
        return f"--proportions {json_arg(spec['proportions'])}"
    if name == "chunks":
        return ""
    return f"--long {spec['video']} --parts {','.join(spec['parts'])}"


def claim_ablations():
    """The ablation tables the claims are checked on (those configured)."""
    return [f"results/ablations/{name}.csv" for name in ("chunks", "schedules", "long_video") if _ablation(name)]


def claim_ablation_args(paths):
    flags = {"chunks": "--chunks", "schedules": "--schedules", "long_video": "--long-video"}
    return " ".join(f"{flags[Path(p).stem]} {p}" for p in paths)
