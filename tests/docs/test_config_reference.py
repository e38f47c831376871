"""The configuration reference (docs/configuration.md, generated from the schema when the site is
built) lists every key path of workflow/schemas/config.schema.yaml, with its type, default and
description, and nothing else; the site builds with --strict and fails on a page outside nav."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stdo.workflow.configref import MARKER, NO_DEFAULT, keys, load_schema, markdown

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "workflow/schemas/config.schema.yaml"
# the JSON Schema keywords the schema uses; a word outside them is a typo or a description cut in two
KEYWORDS = {
    "$schema", "$ref", "definitions", "description", "type", "properties", "items", "required",
    "additionalProperties", "patternProperties", "default", "enum", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "pattern", "minItems", "maxItems", "uniqueItems",
    "oneOf", "anyOf",
}  # fmt: skip
ROW = re.compile(r"^\| <code>(.*?)</code> \| (.*?) \| (.*?) \| (.*?) \|$", re.M)


def _schema_paths(node: dict, root: dict, prefix: str = "") -> list[str]:
    """Every key path, walked from the raw YAML (the test's own walk, beside the generator's)."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        node = {**root["definitions"][name], **{k: v for k, v in node.items() if k != "$ref"}}
    out = []
    for alt in node.get("anyOf", []) + node.get("oneOf", []):
        out += _schema_paths(alt, root, prefix)
    for name, sub in node.get("properties", {}).items():
        out += [prefix + name, *_schema_paths(sub, root, prefix + name + ".")]
    for pattern, sub in node.get("patternProperties", {}).items():
        key = "<" + pattern.strip("^$").strip("()") + ">"
        out += [prefix + key, *_schema_paths(sub, root, prefix + key + ".")]
    extra = node.get(
        "additionalProperties", {} if node.get("type") == "object" else None
    )  # JSON Schema's default
    if isinstance(extra, dict):
        out += [prefix + "<name>", *_schema_paths(extra, root, prefix + "<name>.")]
    if isinstance(node.get("items"), dict):
        out += _schema_paths(node["items"], root, prefix.removesuffix(".") + "[].")
    return out


def _rows(text: str) -> dict[str, tuple[str, str, str]]:
    rows = [tuple(html.unescape(c) for c in m) for m in ROW.findall(text)]
    paths = [r[0] for r in rows]
    assert len(paths) == len(set(paths)), "a key path listed twice"
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_reference_lists_every_schema_key_path_and_nothing_else():
    schema = yaml.safe_load(SCHEMA.read_text())
    expected = _schema_paths(schema, schema)
    rows = _rows(markdown(load_schema(SCHEMA)))
    assert len(expected) == len(set(expected)) > 150
    assert set(rows) == set(expected), (set(expected) - set(rows), set(rows) - set(expected))
    needed = {"train.seeds", "backbones[].epochs", "videos[].fit", "videos[].degrade.codec.crf"}
    needed |= {
        "export.parity.<float32|float16>.max_abs",
        "jobs.group_resources.<name>",
        "backbones[].kwargs.<name>",
    }
    assert needed <= set(rows), needed - set(rows)


def test_reference_rows_carry_the_schemas_type_default_and_description():
    schema = yaml.safe_load(SCHEMA.read_text())
    rows = _rows(markdown(schema))
    fit = schema["properties"]["videos"]["items"]["properties"]["fit"]
    assert rows["videos[].fit"] == (
        'string (one of "error", "crop")',
        '"error"',
        " ".join(fit["description"].split()),
    )
    assert rows["train.seeds"][0] == "array of integer"
    assert rows["train.workers"][1:] == (
        "0",
        "DataLoader worker processes gathering batches from host memory (0 in-process; not used when "
        "the patches are on the device, train.resident).",
    )
    # a $ref without a description of its own takes the definition's; a key without a default says so
    assert rows["backbones[].name"][2].startswith("A registered backbone")
    assert rows["downloads.vsd4k.kind"][1] == NO_DEFAULT
    assert rows["ablations.schedules.backbone"][0] == "string or null"  # anyOf: a backbone name or null
    with_default = {k.path for k in keys(schema) if k.default != NO_DEFAULT}
    assert len(with_default) > 40 and {"train.seeds", "threads"} <= with_default


def _config_paths(value, prefix: str = "") -> list[str]:
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out += [prefix + str(k), *_config_paths(v, f"{prefix}{k}.")]
    elif isinstance(value, list):
        for v in value:
            out += _config_paths(v, prefix.removesuffix(".") + "[].")
    return out


def _pattern(path: str) -> re.Pattern:
    """A reference path as a regex over config paths: <name> is any key, <a|b> one of a and b."""
    parts = re.split(r"(<[^>]+>)", path)
    return re.compile(
        "".join(
            (f"({p[1:-1]})" if "|" in p else "[^.]+") if p.startswith("<") else re.escape(p) for p in parts
        )
        + "$"
    )


def test_every_key_of_the_shipped_configs_is_in_the_reference():
    refs = _rows(markdown(load_schema(SCHEMA)))
    pats = [_pattern(p) for p in refs]
    files = sorted((REPO / "config").glob("*.yaml")) + sorted((REPO / "tests/workflow").glob("*.yaml"))
    assert len(files) >= 6
    for f in files:
        missing = [
            p for p in _config_paths(yaml.safe_load(f.read_text())) if not any(r.match(p) for r in pats)
        ]
        assert not missing, f"{f.name}: keys the reference does not list: {missing}"


def test_schema_uses_only_json_schema_keywords():
    """A flow mapping's comma cuts a description in two (``{description: a, b.}`` makes a key
    ``b.``): the reference would show half of it, and the validator ignores the stray key."""
    stray = []

    def walk(node, where):
        if isinstance(node, dict):
            names = where.endswith(
                ("properties", "definitions", "patternProperties")
            )  # keys there are names, not keywords
            stray.extend(f"{where}: {k!r}" for k in node if not names and k not in KEYWORDS)
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")

    walk(yaml.safe_load(SCHEMA.read_text()), "")
    assert not stray, stray


def _build(root: Path, *args: str) -> subprocess.CompletedProcess:
    pytest.importorskip("mkdocs", reason="the docs extra builds the site: pip install -e '.[docs]'")
    pytest.importorskip("material", reason="the docs extra builds the site: pip install -e '.[docs]'")
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(root / "mkdocs.yml"), *args]
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1"}  # material's notice, not a warning of the build
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


def test_site_builds_strict_with_the_generated_reference(tmp_path):
    proc = _build(REPO, "-d", str(tmp_path / "site"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert MARKER in (REPO / "docs/configuration.md").read_text()
    page = (tmp_path / "site/configuration/index.html").read_text()
    listed = {
        html.unescape(re.sub(r"<.*?>", "", c)) for c in re.findall(r"<td><code>(.*?)</code></td>", page)
    }
    assert listed == {k.path for k in keys(load_schema(SCHEMA))}


def test_site_build_fails_on_a_page_outside_nav_and_a_broken_link(tmp_path):
    for name in ("mkdocs.yml", "docs"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    assert _build(tmp_path, "-d", str(tmp_path / "ok")).returncode == 0
    (tmp_path / "docs/orphan.md").write_text("# Orphan\n")
    proc = _build(tmp_path, "-d", str(tmp_path / "site"))
    assert proc.returncode != 0 and "orphan.md" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    (tmp_path / "docs/orphan.md").unlink()
    page = tmp_path / "docs/troubleshooting.md"
    page.write_text(page.read_text() + "\n[gone](getting-started.md#no-such-section)\n")
    proc = _build(tmp_path, "-d", str(tmp_path / "site2"))
    assert proc.returncode != 0 and "no-such-section" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
