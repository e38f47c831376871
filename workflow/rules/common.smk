# Helpers shared by the workflow's stage files: paths, config look-ups, target lists. No algorithms here.
import hashlib
import json
import os
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
    settings = dict(config["train"], lr=lr)
    if batch_size is not None:
        settings["batch_size"] = batch_size
    return json_arg(settings)


def method_ids():
    """Evaluated method ids, e.g. awdnn, stdo-k2, stdo-k4."""
    out = []
    for m in config["methods"]:
        if m == "stdo":
            out += [f"stdo-k{k}" for k in config["stdo"]["k"]]
        else:
            out.append(m)
    return out


def metrics_files():
    return [
        f"{VIDEO}/x{{scale}}/{{backbone}}/eval/{{method}}/metrics.json".format(
            video=v, scale=s, backbone=b, method=m
        )
        for v in VIDEOS
        for s in config["scales"]
        for b in BACKBONES
        for m in method_ids()
    ]


def f0_model(wildcards):
    given = config["pretrain"].get("checkpoints", {}).get(f"x{wildcards.scale}")
    if given:
        return given
    return f"results/pretrain/{config['pretrain']['backbone']}/x{wildcards.scale}/model.pt"


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
    return [partition_file(wildcards.video, wildcards.scale, k)] if k else []


def eval_labels(wildcards):
    paper = VIDEOS[wildcards.video].get("paper") or {}
    return json_arg(
        {
            "video": wildcards.video,
            "backbone": wildcards.backbone,
            "scale": int(wildcards.scale),
            "paper_video": paper.get("video"),
            "paper_duration_s": paper.get("duration_s"),
        }
    )
