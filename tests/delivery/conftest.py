"""The delivery tests' fixture: a small real delivery cell (see support.delivery.make_cell)."""

from __future__ import annotations

import pytest
from support.delivery import make_cell


@pytest.fixture(scope="session")
def cell(demo_frames, tmp_path_factory) -> dict:
    return make_cell(demo_frames, tmp_path_factory.mktemp("cell"))
