"""Items 8 and 9 (the workflow's part): a config mistake stops a dry run with one line naming the
key path, the file and line it came from, and what to do: no schema dump, no Snakemake frames."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
import pytest
from support.workflow import TINY, snakemake  # noqa: E402

pytestmark = pytest.mark.slow  # runs Snakemake (see pyproject's markers)


def _dry_run(tmp_path: Path, overlay: str) -> str:
    path = tmp_path / "overlay.yaml"
    path.write_text(overlay)
    proc = snakemake(tmp_path, "tables", "-n", "--configfile", str(TINY), str(path), check=False)
    assert proc.returncode != 0
    return proc.stdout + proc.stderr


def _one_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.startswith("stdo: config error: ")]
    assert len(lines) == 1, text
    assert 'File "' not in text and "Traceback" not in text and len(text.splitlines()) < 5, text
    return lines[0]


def test_item09_misspelt_top_level_key_names_the_key_file_and_line(tmp_path):
    line = _one_line(_dry_run(tmp_path, "# my overlay\nscales: [2]\nscalez: [2]\n"))
    assert f"scalez ({tmp_path / 'overlay.yaml'}:3): unknown key" in line and "scales" in line


def test_item08_unknown_backbone_is_one_line(tmp_path):
    line = _one_line(_dry_run(tmp_path, "backbones:\n  - {name: espcnn, lr: 1.0e-3, epochs: 1}\n"))
    assert "unknown backbone 'espcnn'; registered: " in line


def test_item10_jstdo_proportions_of_the_wrong_length_stop_the_dry_run(tmp_path):
    line = _one_line(_dry_run(tmp_path, "jstdo: {k: 3, proportions: [1.0, 0.0]}\n"))
    assert "jstdo.proportions has 2 values for k=3 chunks; give one per chunk" in line


def test_item08_unknown_method_is_one_line(tmp_path):
    line = _one_line(_dry_run(tmp_path, "methods: [awdnn, stdoo]\n"))
    assert "stdoo" in line and "stdo" in line.replace("stdoo", "")


def test_item08_duplicate_video_names_are_one_line(tmp_path):
    overlay = "videos:\n  - {name: tiny, source: resources/demo/tiny.mp4}\n  - {name: tiny, source: b.mp4}\n"
    line = _one_line(_dry_run(tmp_path, overlay))
    assert "videos lists 'tiny' twice" in line
