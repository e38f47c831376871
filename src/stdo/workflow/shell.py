"""Shell words of the rules' command lines: JSON values, optional flags, a patch folder. The
helpers that read a job's ``input`` are Snakemake params functions (``(wildcards, input)``)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any


def json_arg(obj: Any) -> str:
    """A JSON value as one single-quoted shell word."""
    text = json.dumps(obj, separators=(",", ":"))
    if "'" in text:
        raise ValueError(f"config value {text} must not contain a single quote")
    return f"'{text}'"


def flag(name: str, value: Any) -> str:
    """``name value``, or nothing when ``value`` is None or empty."""
    return "" if value is None or value in ("", [], {}) else f"{name} {value}"


def input_flag(name: str, key: str) -> Callable[[Any, Any], str]:
    """A params function: ``name <the first file of input.key>``, or nothing when the rule's
    input ``key`` is empty (an optional input)."""

    def param(wildcards: Any, input: Any) -> str:  # noqa: A002 - Snakemake passes it by this name
        files = input[key]
        return flag(name, files[0] if files else None)

    return param


def patch_dir(wildcards: Any, input: Any) -> str:  # noqa: A002
    """A params function: the patch folder of a rule's ``input.patches`` (its files' directory)."""
    return os.path.dirname(input.patches[0])
