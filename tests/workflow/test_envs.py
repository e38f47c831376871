"""The conda env files of the rule families stay in step with pyproject.toml."""

import re
import tomllib

import yaml
from support.workflow import REPO


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].lower()


def test_env_files_match_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["export"]
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
