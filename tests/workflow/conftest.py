"""Fixtures of the workflow tests (helpers in wfkit)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.workflow import TINY, snakemake


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """The whole DAG (`tables`) on the tiny config, once per session."""
    wd = tmp_path_factory.mktemp("tiny")
    snakemake(wd, "tables", "--configfile", str(TINY))
    return wd
