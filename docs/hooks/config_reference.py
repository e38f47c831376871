"""mkdocs hook: the configuration reference (docs/configuration.md) generated from the schema at
build time, where the page says ``<!-- config-reference -->`` (see ``stdo.workflow.configref``)."""

from __future__ import annotations

from typing import Any

from stdo.workflow.configref import MARKER, load_schema, markdown


def on_page_markdown(text: str, page: Any, config: Any, files: Any, **_: Any) -> str:
    if MARKER not in text:
        return text
    return text.replace(MARKER, markdown(load_schema()))
