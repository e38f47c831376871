"""Bad input stops the real DAG with a message naming what was wrong, leaving no partial output."""

from pathlib import Path

import pytest
import yaml
from support.workflow import TINY, snakemake

pytestmark = pytest.mark.slow  # runs Snakemake (see pyproject's markers)


def _overlay(tmp_path: Path, **changes) -> Path:
    cfg = yaml.safe_load(TINY.read_text()) | changes
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _log(wd: Path, rule: str) -> str:
    return "".join(p.read_text() for p in (wd / "results/logs" / rule).glob("*.log"))


def _leftovers(wd: Path) -> list[str]:
    return sorted(str(p.relative_to(wd)) for p in (wd / "results/videos").rglob("*") if p.is_file())


def _video_overlay(tmp_path: Path, source: Path) -> Path:
    return _overlay(tmp_path, videos=[{"name": "bad", "source": str(source), "duration_s": 1.2}])


def test_user_video_without_length_for_nas_segments(tmp_path):
    path = _overlay(tmp_path, videos=[{"name": "mine", "source": "clip.mp4"}])
    proc = snakemake(tmp_path, "tables", "-n", "--configfile", str(path), check=False)
    assert proc.returncode != 0
    assert "video 'mine' needs duration_s" in proc.stdout + proc.stderr


def test_truncated_video(tmp_path, tiny_run):
    good = tiny_run / "resources/demo/tiny.mp4"
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    proc = snakemake(tmp_path, "tables", "--configfile", str(_video_overlay(tmp_path, cut)), check=False)
    assert proc.returncode != 0
    log = _log(tmp_path, "ingest")
    assert "cut.mp4" in log and ("truncated" in log or "not a readable video" in log)
    assert _leftovers(tmp_path) == []


def test_file_that_is_not_a_video(tmp_path):
    bad = tmp_path / "holiday.mp4"
    bad.write_text("not a video\n" * 50)
    proc = snakemake(tmp_path, "tables", "--configfile", str(_video_overlay(tmp_path, bad)), check=False)
    assert proc.returncode != 0
    assert "holiday.mp4: not a readable video" in _log(tmp_path, "ingest")
    assert _leftovers(tmp_path) == []


def test_missing_video_is_named(tmp_path):
    proc = snakemake(
        tmp_path,
        "tables",
        "--configfile",
        str(_video_overlay(tmp_path, tmp_path / "nowhere.mp4")),
        check=False,
    )
    assert proc.returncode != 0
    assert "nowhere.mp4" in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "grid,expected",
    [
        ({"x2": [5, 2], "x4": [2, 2]}, "48x24 does not divide into a grid of 5x2"),
    ],
)
def test_frame_size_that_does_not_fit_the_grid(tmp_path, grid, expected):
    proc = snakemake(
        tmp_path, "tables", "--configfile", str(_overlay(tmp_path, patch_grid=grid)), check=False
    )
    assert proc.returncode != 0
    assert expected in _log(tmp_path, "patches")
    assert not list((tmp_path / "results/videos/tiny/x2").rglob("patches/*"))  # x4 fits and may finish


def test_frame_size_that_does_not_fit_the_scale(tmp_path):
    demo = yaml.safe_load(TINY.read_text())["demo_video"] | {"width": 98}
    proc = snakemake(
        tmp_path, "tables", "--configfile", str(_overlay(tmp_path, demo_video=demo, scales=[4])), check=False
    )
    assert proc.returncode != 0
    assert "98x48 is not divisible by scale x4" in _log(tmp_path, "degrade")
    assert not list((tmp_path / "results/videos").rglob("lr.npy"))


def test_unknown_config_key_is_named(tmp_path):
    path = _overlay(tmp_path, scalez=[2])
    proc = snakemake(tmp_path, "tables", "-n", "--configfile", str(path), check=False)
    assert proc.returncode != 0
    assert "'scalez' was unexpected" in proc.stdout + proc.stderr


def test_unknown_nested_key_is_named(tmp_path):
    train = yaml.safe_load(TINY.read_text())["train"] | {"bacth_size": 4}
    proc = snakemake(
        tmp_path, "tables", "-n", "--configfile", str(_overlay(tmp_path, train=train)), check=False
    )
    assert proc.returncode != 0
    assert "'bacth_size' was unexpected" in proc.stdout + proc.stderr


def test_wrong_type_is_named(tmp_path):
    proc = snakemake(
        tmp_path, "tables", "-n", "--configfile", str(_overlay(tmp_path, scales="two")), check=False
    )
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "'two' is not of type 'array'" in text and "scales" in text
