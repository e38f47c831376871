"""The configuration reference of the docs (docs/configuration.md), generated from the workflow's
schema (``workflow/schemas/config.schema.yaml``) when the site is built, so that it cannot drift
from what the workflow accepts: every key path, its type, default and description.

Key paths: ``train.seeds`` (an object's property), ``videos[].fit`` (a property of a list's
items), ``jobs.group_resources.<name>`` (an object's free-form keys) and
``export.parity.<float32|float16>.max_abs`` (keys matching a pattern); an object that does not
restrict its keys (a backbone's ``kwargs``) has ``<name>`` of type any. ``$ref`` is followed, and
the alternatives of ``anyOf``/``oneOf`` are merged. The mkdocs hook ``docs/hooks/config_reference.py``
puts :func:`markdown` where the page says :data:`MARKER`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stdo.core.checkout import CHECKOUT
from stdo.workflow import paths

SCHEMA = CHECKOUT / paths.SCHEMA
MARKER = "<!-- config-reference -->"
NO_DEFAULT = "—"


@dataclass(frozen=True)
class Key:
    path: str
    type: str
    default: str
    description: str


def load_schema(path: str | Path = SCHEMA) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text())


def _resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    """``node`` with its ``$ref`` (``#/definitions/...``) merged under its own keywords."""
    out = dict(node)
    while "$ref" in out:
        ref = out.pop("$ref")
        target: Any = root
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        out = {**target, **out}
    return out


def _alternatives(node: Mapping[str, Any], root: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The node itself and each of its ``anyOf``/``oneOf`` alternatives, resolved."""
    alts = [node] + [a for k in ("anyOf", "oneOf") for a in node.get(k, [])]
    return [_resolve(a, root) for a in alts]


def _type(node: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    names: list[str] = []
    for alt in _alternatives(node, root):
        types = alt.get("type", [])
        for t in [types] if isinstance(types, str) else types:
            if t == "array" and isinstance(alt.get("items"), dict):
                t = f"array of {_type(_resolve(alt['items'], root), root)}"
            if t not in names:
                names.append(t)
    text = " or ".join(names) or "any"
    enum = [v for alt in _alternatives(node, root) for v in alt.get("enum", [])]
    if enum:
        text += f" (one of {', '.join(json.dumps(v) for v in enum)})"
    return text


def _pattern_key(pattern: str) -> str:
    """``^(float32|float16)$`` as the key path writes it: ``<float32|float16>``."""
    inner = pattern.removeprefix("^").removesuffix("$")
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1]
    return f"<{inner}>"


def _children(node: Mapping[str, Any], root: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path suffix, resolved schema) of every key below ``node``."""
    for alt in _alternatives(node, root):
        for name, sub in alt.get("properties", {}).items():
            yield f".{name}", _resolve(sub, root)
        for pattern, sub in alt.get("patternProperties", {}).items():
            yield f".{_pattern_key(pattern)}", _resolve(sub, root)
        types = alt.get("type", [])
        open_object = "object" in ([types] if isinstance(types, str) else types)
        # an object that does not say: any key (JSON Schema's default), e.g. a backbone's kwargs
        extra = alt.get("additionalProperties", {} if open_object else None)
        if isinstance(extra, dict):
            yield ".<name>", _resolve(extra, root)
        items = alt.get("items")
        if isinstance(items, dict):
            yield from ((f"[]{suffix}", sub) for suffix, sub in _children(_resolve(items, root), root))


def keys(schema: Mapping[str, Any]) -> list[Key]:
    """Every key path of the schema, depth first in the schema's order."""
    out: list[Key] = []

    def walk(node: dict[str, Any], prefix: str) -> None:
        for suffix, sub in _children(node, schema):
            path = (prefix + suffix).lstrip(".")
            default = json.dumps(sub["default"]) if "default" in sub else NO_DEFAULT
            text = " ".join(str(sub.get("description", "")).split())
            if not text and path.endswith(">"):
                text = "Any key of this object (the schema does not name them)."
            out.append(Key(path, _type(sub, schema), default, text))
            walk(sub, path)

    walk(dict(schema), "")
    return out


def _cell(text: str) -> str:
    """Text safe in a Markdown table cell: no HTML, emphasis, links or column breaks."""
    text = html.escape(text, quote=False)
    for ch in "|*_[]`\\":
        text = text.replace(ch, f"&#{ord(ch)};")
    return text


def markdown(schema: Mapping[str, Any]) -> str:
    """The reference as a Markdown table, one row per key path."""
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for k in keys(schema):
        cells = [f"<code>{_cell(k.path)}</code>", _cell(k.type), _cell(k.default), _cell(k.description)]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
