"""The workflow config checked against its schema before Snakemake's own validation, so that a
mistake is one line: the key path, the file and line it came from, and what was expected
(Snakemake's message dumps the whole schema and config around it).

Snakemake 9 reads ``--configfile`` files before the Snakefile runs, and says only "Config file
is not valid JSON or YAML" of a syntax error, or gives a FileNotFoundError traceback for a file
that is not there (often a target typed after ``--configfile``). ``stdo configcheck FILE...``
(``python -m stdo.workflow.configcheck``) names the file and line of such a mistake, and checks the
demo config with the overlays merged on top against the schema; ``stdo resume`` checks its
``--configfile`` files this way before Snakemake reads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from stdo.core.checkout import CHECKOUT
from stdo.core.errors import StdoError
from stdo.workflow import paths

REPO = CHECKOUT
BASE = REPO / paths.CONFIG
SCHEMA = REPO / paths.SCHEMA


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


def load_file(path: str | Path) -> dict[str, Any]:
    """The mapping in config file ``path``; a missing file, a YAML syntax error (with its line and
    column) or a file that is not a mapping of keys is a :class:`StdoError` saying what to do."""
    path = Path(path)
    if not path.is_file():
        if path.suffix not in (".yaml", ".yml", ".json") and path.name == str(path) and not path.exists():
            raise StdoError(
                f"{path}: no such config file; if '{path}' is a target, it was typed after --configfile, "
                f"which takes every word after it: put the targets first (snakemake --cores 8 {path} "
                "--configfile my.yaml)"
            )
        what = "is a directory, not a config file" if path.is_dir() else "no such config file"
        raise StdoError(f"{path}: {what}; check the path (a relative one is read from where snakemake runs)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        place = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = "; ".join(x for x in (e.context, e.problem) if x)
        if e.context_mark and mark and e.context_mark.line != mark.line:
            opened = (e.context or "while parsing a block").removeprefix("while parsing a ")
            what += f" (the {opened} opened at line {e.context_mark.line + 1})"
        fix = "indent with spaces, not tabs" if "\\t" in (e.problem or "") else "fix that line"
        raise StdoError(f"{place}: not valid YAML: {what}; {fix}") from e
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise StdoError(f"{path}: not valid YAML ({e}); is it a config file?") from e
    if not isinstance(data, dict):
        raise StdoError(
            f"{path}: a config file is a mapping of keys (such as 'scales: [2]'), "
            f"not {type(data).__name__}; see {BASE} for every key"
        )
    return data


def merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``overlay`` on top of ``base`` as Snakemake merges config files: mappings key by key, other
    values (lists too) replaced whole."""
    out = dict(base)
    for key, value in overlay.items():
        both = isinstance(value, Mapping) and isinstance(out.get(key), Mapping)
        out[key] = merge(out[key], value) if both else value
    return out


def check_files(files: Sequence[str | Path], base: Path = BASE, schema: Path = SCHEMA) -> dict[str, Any]:
    """Every one of ``files`` readable as a config (:func:`load_file`), and ``base`` with them merged
    on top valid against ``schema`` (:func:`check_config`); the merged config."""
    config = load_file(base)
    for f in files:
        config = merge(config, load_file(f))
    check_config(config, schema, [base, *files])
    return config


def configfile_args(args: Sequence[str]) -> list[str]:
    """The files a Snakemake command line gives ``--configfile`` (or ``--configfiles``): every word
    after it up to the next option."""
    files, taking = [], False
    for word in args:
        if word in ("--configfile", "--configfiles"):
            taking = True
        elif word.startswith(("--configfile=", "--configfiles=")):
            files.append(word.split("=", 1)[1])
            taking = True
        elif word.startswith("-"):
            taking = False
        elif taking:
            files.append(word)
    return files


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(
        prog="stdo configcheck",
        description="Check config overlays before a run: each file's YAML (naming the file and line of a "
        "syntax error), then the demo config with them merged on top against the schema. The backbone, "
        "method and size checks need the workflow: snakemake -n runs them.",
    )
    p.add_argument("files", nargs="*", type=Path, help="the overlays, in --configfile order")
    p.add_argument("--base", type=Path, default=BASE, help="the config they go on top of")
    args = p.parse_args(argv)
    try:
        check_files(args.files, args.base)
    except StdoError as e:
        raise SystemExit(f"stdo configcheck: error: {e}") from None
    print(f"stdo configcheck: {', '.join(map(str, [args.base, *args.files]))}: ok")


if __name__ == "__main__":
    main()
