"""The conda env files of the rule families stay in step with pyproject.toml, and each rule's env
holds what its command imports (read with ``ast``, no conda needed)."""

import re
import sys
import tomllib

import pytest
import yaml
from support.imports import SRC, imported, module_path, third_party_closure
from support.workflow import REPO

from stdo.workflow import cli

RULES = REPO / "workflow" / "rules"

# import name -> the distribution (pyproject.toml's spelling) that provides it
DISTRIBUTION = {
    "torch": "torch",
    "numpy": "numpy",
    "pandas": "pandas",
    "PIL": "pillow",
    "skimage": "scikit-image",
    "av": "av",
    "yaml": "pyyaml",
    "jsonschema": "jsonschema",
    "matplotlib": "matplotlib",
    "scipy": "scipy",
    "tqdm": "tqdm",
    "gdown": "gdown",
    "ai_edge_litert": "litert-torch",  # the LiteRT interpreter, a dependency of litert-torch
    "litert_torch": "litert-torch",
    "ai_edge_quantizer": "litert-torch",  # float16 weights, a dependency of litert-torch
    "snakemake": "snakemake",
}

# modules a module loads without an import statement
DYNAMIC = {
    # stdo.models._load_all imports every backbone module of the package (pkgutil) on first use
    "stdo.models": sorted(
        f"stdo.models.{p.stem}" for p in (SRC / "models").glob("*.py") if not p.stem.startswith("_")
    ),
}

# (rule or env file, import name): imports that a rule's command can reach in the code but never
# runs, each with the function it sits in and why. Nothing else may be missing from a rule's env.
UNREACHED = {
    # stdo.core.io.read_image (Pillow): only pretrain's DIV2K images and VSD4K clips' frames are
    # read as image files, in torch.yaml and video.yaml
    ("report.yaml", "PIL"): "stdo.core.io.read_image",
    ("export.yaml", "PIL"): "stdo.core.io.read_image",
    ("snakemake.yaml", "PIL"): "stdo.core.io.read_image",
    # stdo.video.photos.load_photo renders the demo's photographs; parsing the Snakefile only names them
    ("report", "skimage"): "stdo.video.photos.load_photo",
    # `stdo delivery.rate ladder` encodes and measures; only `delivery.rate report` plots
    ("rate_ladder", "matplotlib"): "stdo.delivery.rate.figure",
    # the rule passes --config-json (the resolved snapshot); only --configfile merges and
    # validates overlays with snakemake.utils
    ("regime", "snakemake"): "stdo.workflow.regime.load_config",
}


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].lower()


def _env_distributions(rel: str) -> set[str]:
    spec = yaml.safe_load((RULES / rel).read_text())
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    return {_name(req) for req in pip}


COMMAND = r"\(?\s*f?\"python -m (stdo [\w.]+|snakemake)\b"


def rule_commands() -> dict[str, tuple[str, str]]:
    """``{rule: (conda env, command)}`` of every rule with a shell line, read from the rule
    files: the command is ``stdo <stage>`` or ``snakemake``, the module ``python -m`` runs (a
    shell line kept in a variable, ``shell: NAME``, is read where ``NAME = "..."`` is)."""
    texts = {smk: smk.read_text() for smk in sorted(RULES.glob("*.smk"))}
    shared = {
        m.group(1): m.group(2)
        for text in texts.values()
        for m in re.finditer(rf"^([A-Z_]+) = {COMMAND}", text, re.M)
    }
    out = {}
    for smk, text in texts.items():
        starts = list(re.finditer(r"^\s*rule\b\s*(\w*)\s*:", text, re.M))
        for m, nxt in zip(starts, [*starts[1:], None], strict=False):
            block = text[m.start() : nxt.start() if nxt else len(text)]
            name = m.group(1) or re.search(r'name:\s*\n\s*f?"([^"]+)"', block).group(1)
            if "shell:" not in block:
                assert not re.search(r"^\s*(run|script|notebook|wrapper):", block, re.M), name
                continue  # a target: it runs nothing
            conda = re.search(r'conda:\s*\n\s*"([^"]+)"', block)
            cmd = re.search(rf"shell:\s*\n\s*{COMMAND}", block)
            var = re.search(r"shell:\s*\n\s*([A-Z_]+)\s*$", block, re.M)
            command = cmd.group(1) if cmd else shared.get(var.group(1)) if var else None
            assert conda and command, f"{smk.name}: rule {name} must run `python -m stdo <stage>` in an env"
            out[f"{smk.name}:{name}"] = (conda.group(1), command)
    return out


def _workflow_roots() -> tuple[list[str], dict[str, list[str]]]:
    """What ``python -m snakemake`` imports of this package while parsing the Snakefile: the
    import lines of the Snakefile and the rule files (and the third-party names they import)."""
    roots, third = [], {}
    for f in [REPO / "Snakefile", *sorted(RULES.glob("*.smk"))]:
        lines = re.findall(r"^[ \t]*((?:from\s+\S+\s+)?import\s+.+)$", f.read_text(), re.M)
        for name, _ in imported(SRC, f, "\n".join(lines)):
            if name.split(".")[0] == "stdo":
                roots.append(name if module_path(SRC, name) else name.rpartition(".")[0])
            elif name.split(".")[0] not in sys.stdlib_module_names:
                third.setdefault(name.split(".")[0], []).append(f.name)
    return roots, third


def needed(command: str) -> dict[str, list[str]]:
    """Third-party import names a command can reach, with where."""
    if command == "snakemake":
        roots, third = _workflow_roots()
        return third | third_party_closure(SRC, roots, DYNAMIC) | {"snakemake": ["python -m snakemake"]}
    stage = command.split()[1]
    assert stage in cli.STAGES, f"`stdo {stage}` is not a stage of stdo.workflow.cli.STAGES"
    return third_party_closure(SRC, ["stdo.__main__", cli.STAGES[stage]], DYNAMIC)


def test_env_files_match_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    deps = project["dependencies"] + extras["export"] + extras["samples"]
    pinned = {_name(d): d.replace(" ", "") for d in deps}
    seen = set()
    for env in sorted((REPO / "envs").glob("*.yaml")):
        spec = yaml.safe_load(env.read_text())
        pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
        for req in pip:
            assert _name(req) in pinned, f"{env.name}: {req} is not a dependency in pyproject.toml"
            assert req.replace(" ", "") == pinned[_name(req)], f"{env.name}: {req} != {pinned[_name(req)]}"
            seen.add(_name(req))
    # every runtime dependency is in some rule family's env (snakemake runs the workflow itself)
    assert set(pinned) - {"snakemake", "pyyaml", "jsonschema"} <= seen


def test_every_rule_names_an_env_that_exists():
    for smk in (REPO / "workflow/rules").glob("*.smk"):
        for rel in re.findall(r'conda:\s*\n\s*"([^"]+)"', smk.read_text()):
            assert (smk.parent / rel).resolve().is_file(), f"{smk.name}: {rel}"


def test_the_rules_are_read():
    rules = rule_commands()
    assert rules["train.smk:train"] == ("../../envs/torch.yaml", "stdo train")
    assert rules["report.smk:report"] == ("../../envs/snakemake.yaml", "snakemake")
    assert any(r.startswith("train.smk:train_cell_") for r in rules)
    assert rules["train.smk:train_stdo_k{_k}"] == (
        "../../envs/torch.yaml",
        "stdo train",
    )  # shell: TRAIN_SHELL
    assert len({cmd for _, cmd in rules.values()}) > 25


def missing(rule: str, envs=_env_distributions) -> list[str]:
    """What ``rule``'s env lacks of what its command imports (``envs``: the distributions of an env)."""
    env, command = rule_commands()[rule]
    have = envs(env)
    out = []
    for name, where in sorted(needed(command).items()):
        assert name in DISTRIBUTION, f"import {name} ({where[0]}): add its distribution to DISTRIBUTION"
        exempt = {(rule.split(":")[1], name), (env.rpartition("/")[2], name)} & set(UNREACHED)
        if DISTRIBUTION[name] not in have and not exempt:
            out.append(f"{DISTRIBUTION[name]} (import {name}: {', '.join(where[:3])})")
    return out


@pytest.mark.parametrize("rule", sorted(rule_commands()))
def test_each_rule_env_holds_what_its_command_imports(rule):
    env, command = rule_commands()[rule]
    assert not (lack := missing(rule)), f"{rule} ({command}) runs in {env}, which lacks " + "; ".join(lack)


def test_a_missing_distribution_is_found():
    """Imports at the top, inside functions, through the packages above a module and through the
    backbone registry's own loading are all followed; an env without one fails its rules."""
    assert "PIL" in needed("stdo pretrain")  # stdo.core.io.read_image imports it in the function
    assert "torch" in needed("stdo tables")  # report.paper.backbone_name -> stdo.models, in a function
    assert "litert_torch" in needed("stdo device.export")
    assert {"snakemake", "yaml", "torch"} <= set(needed("snakemake"))  # parsing checks the backbones

    def without_matplotlib(env):
        return _env_distributions(env) - {"matplotlib"}

    assert any(m.startswith("matplotlib") for m in missing("figures.smk:heatmaps", without_matplotlib))
    assert missing("figures.smk:heatmaps") == []
