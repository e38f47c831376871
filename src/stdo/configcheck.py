"""The workflow config checked against its schema before Snakemake's own validation, so that a
mistake is one line: the key path, the file and line it came from, and what was expected
(Snakemake's message dumps the whole schema and config around it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from stdo.errors import StdoError


def _node_line(path: Path, keys: Sequence[Any]) -> int | None:
    """The 1-based line of ``keys`` (a key path) in YAML file ``path``, or None if it is not there."""
    try:
        node = yaml.compose(path.read_text())
    except (OSError, yaml.YAMLError):
        return None
    line = None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(key)]
            if not match:
                return None
            line, node = match[-1][0].start_mark.line + 1, match[-1][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return None
    return line


def where(keys: Sequence[Any], files: Sequence[str | Path]) -> str | None:
    """``file:line`` of the last of ``files`` (later files override earlier) that sets ``keys``."""
    for f in reversed(files):
        line = _node_line(Path(f), keys)
        if line is not None:
            return f"{f}:{line}"
    return None


def check_config(config: Mapping[str, Any], schema_path: str | Path, files: Sequence[str | Path]) -> None:
    """Raise a :class:`StdoError` naming the first schema violation of ``config``: its key path,
    the file and line that set it (``files``: the base config, then the overlays) and the rule."""
    import jsonschema

    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(dict(config)))
    if error is None:
        return
    keys = list(error.absolute_path)
    message = error.message
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            keys.append(extra[0])
            near = ", ".join(sorted(allowed))
            message = f"unknown key: {message}; the keys allowed here are: {near}"
    path = ".".join(str(k) for k in keys) or "(top level)"
    place = where(keys, files)
    raise StdoError(
        f"{path}{f' ({place})' if place else ''}: {message}; see {schema_path} for what each key takes"
    )
