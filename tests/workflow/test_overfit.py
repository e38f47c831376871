"""``stdo overfit VIDEO``: the own-video overlay it writes (checked by configcheck and the
workflow's own checks before it is written, whole or not at all), its refusals of bad input,
and (slow) a user's clip through the whole DAG to the tables and bundles it prints."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from support.workflow import TINY, snakemake

from stdo.core.errors import StdoError
from stdo.video.demo import encode, render_frames
from stdo.workflow import configcheck, overfit
from stdo.workflow.plan import Plan


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """A user's clip: 110x58 (fits no grid), 24 fps, 30 frames, a space in its name."""
    path = tmp_path_factory.mktemp("clip") / "phone clip.mp4"
    encode(render_frames(110, 58, 30), path, fps=24, crf=18)
    return path


def _fails(tmp_path: Path, *args: str) -> str:
    """Run ``stdo overfit`` (in process) that must stop before Snakemake; its one-line error."""
    with pytest.raises(SystemExit) as e:
        overfit.main([*args, "--workdir", str(tmp_path)])
    assert isinstance(e.value.code, str), e.value.code
    assert e.value.code.startswith("stdo overfit: error: ") and "\n" not in e.value.code
    return e.value.code


def test_the_overlay_of_a_users_clip_passes_every_check(clip):
    width, height, frames = overfit.probe(clip)
    assert (width, height, frames) == (110, 58, 30)
    base = configcheck.check_files([])
    name = overfit.video_name(clip, None)
    assert name == "phone_clip"
    overlay = overfit.build_overlay(clip, name, (width, height), base, scales=[4, 2], epochs=3, seeds=[0])
    assert overlay["videos"] == [{"name": "phone_clip", "source": str(clip), "fit": "crop", "frames": None}]
    assert overlay["scales"] == [2, 4]
    # at x4 the LR frame is 27x14: the 2x2 minimum; x2 the same HR patches (4x4)
    assert overlay["patch_grid"] == {"x2": [4, 4], "x4": [2, 2]}
    assert [(b["name"], b["epochs"]) for b in overlay["backbones"]] == [("espcn", 3), ("wdsr", 3)]
    assert overlay["backbones"][1]["kwargs"] == base["backbones"][1]["kwargs"]  # the config's entry kept
    assert overlay["train"] == {"seeds": [0]}
    config = configcheck.merge(base, overlay)
    configcheck.check_config(config, configcheck.SCHEMA, [configcheck.BASE])
    plan = Plan(config).check()
    assert plan.table_videos == ["phone_clip"]
    goals, bundles = overfit.targets(plan, "phone_clip")
    assert goals[0] == "tables" and bundles and all("/phone_clip/" in b for b in bundles)
    text = overfit.overlay_text(overlay, "stdo overfit 'phone clip.mp4'", ["config/overfit_phone_clip.yaml"])
    assert text.startswith(f"{overfit.HEADER} {clip}\n")
    assert yaml.safe_load(text) == overlay


def test_the_default_grid_is_the_papers_on_1080p():
    assert overfit.default_grids(1920, 1080, [2, 4]) == {"x2": [20, 10], "x4": [10, 5]}
    assert overfit.default_grids(1920, 1080, [2, 3, 4])["x3"] == [13, 7]  # x3 does not divide x4
    assert overfit.parse_grid(["2=8x4"], [2, 4]) == {"x2": [8, 4]}
    with pytest.raises(StdoError, match="patches under 4 pixels; use a smaller --scale"):
        overfit.default_grids(24, 24, [4])


@pytest.mark.slow  # snakemake -n
def test_dry_run_writes_the_overlay_and_runs_nothing(clip, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "stdo", "overfit", str(clip), "--scale", "2", "--backbone", "espcn",
         "--methods", "awdnn", "--dry-run", "--cores", "1", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "config/overfit_phone_clip.yaml"
    assert f"stdo overfit: wrote {out}" in proc.stdout and "dry run; nothing ran" in proc.stdout
    written = configcheck.load_file(out)
    assert written["backbones"] == [{"name": "espcn", "lr": 1.0e-3, "epochs": 10}]
    assert written["methods"] == ["awdnn"]
    assert "--dry-run" not in out.read_text()  # the command it records trains
    assert not (tmp_path / "results").exists()
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left


def test_bad_input_is_refused_naming_what_and_what_to_do(clip, tmp_path):
    assert "no such file; check the path" in _fails(tmp_path, str(tmp_path / "nope.mp4"))
    fake = tmp_path / "notes.mp4"
    fake.write_text("not a video\n")
    msg = _fails(tmp_path, str(fake))
    assert "not a video PyAV can open" in msg and "ffmpeg -i" in msg
    assert "is a directory" in _fails(tmp_path, str(tmp_path))
    msg = _fails(tmp_path, str(clip), "--name", "my clip")
    assert "letters, digits and _" in msg and "--name my_clip" in msg
    assert "the workflow's own" in _fails(tmp_path, str(clip), "--name", "mine_heldout")
    assert "unknown backbone 'wdsrx'; registered:" in _fails(tmp_path, str(clip), "--backbone", "wdsrx")
    assert "unknown method" in _fails(tmp_path, str(clip), "--methods", "stdoo")
    assert "give upscaling factors of 2 or more" in _fails(tmp_path, str(clip), "--scale", "1")
    assert "write SCALE=COLSxROWS" in _fails(tmp_path, str(clip), "--grid", "2:4x2")
    assert "write START:STOP" in _fails(tmp_path, str(clip), "--frames", "10:5")
    assert not (tmp_path / "config").exists()  # nothing written by a refused command


def test_a_name_that_clashes_is_refused_and_nothing_is_overwritten(clip, tmp_path):
    other = tmp_path / "results/videos/phone_clip/meta.json"
    other.parent.mkdir(parents=True)
    other.write_text('{"source": "/videos/another.mp4", "source_sha256": "0"}')
    msg = _fails(tmp_path, str(clip))
    assert "already holds the results of another video (/videos/another.mp4)" in msg
    assert "pick another --name" in msg
    mine = tmp_path / "config/overfit_clip2.yaml"
    mine.parent.mkdir()
    mine.write_text("scales: [3]\n")
    msg = _fails(tmp_path, str(clip), "--name", "clip2")
    assert "a file stdo overfit did not write" in msg and "--force" in msg
    assert mine.read_text() == "scales: [3]\n"
    mine.write_text(f"{overfit.HEADER} /videos/another.mp4\nscales: [3]\n")
    assert "another video's stdo overfit overlay" in _fails(tmp_path, str(clip), "--name", "clip2")


@pytest.mark.slow  # runs Snakemake
def test_stdo_overfit_runs_a_users_clip_to_tables_and_bundles(tmp_path):
    clip = tmp_path / "my clip.mp4"
    encode(render_frames(96, 64, 12), clip, fps=10, crf=18)
    cmd = [sys.executable, "-m", "stdo", "overfit", clip.name, "--scale", "2", "--backbone", "espcn",
           "--epochs", "1", "--seeds", "0", "--methods", "awdnn", "stdo", "--no-ablations",
           "--configfile", str(TINY), "--cores", "2"]  # fmt: skip
    # the tiny config's training sizes (batch, pretrain steps) under the generated overlay
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert "stdo overfit: my_clip done" in lines
    table2 = pd.read_csv(tmp_path / "results/tables/table2.csv")
    best = table2[table2["method"].isin(["awDNN", "STDO"])].sort_values("psnr_db").iloc[-1]
    said = f"best x2 ESPCN: {best['method']}" + (f" k={int(best['k'])}" if best["method"] == "STDO" else "")
    said += f" {best['psnr_db']:.2f} dB ({best['vs_bicubic_db']:+.2f} dB against bicubic"
    assert lines[lines.index("stdo overfit: my_clip done") + 1].startswith(f"  {said}")
    shown = {}
    for line in lines[lines.index("stdo overfit: my_clip done") + 1 :]:
        m = re.match(r"\s+(\w+):\s+(\S+)", line)
        if m:
            shown.setdefault(m[1], m[2].rstrip(","))
    assert set(shown) >= {"tables", "claims", "bundles", "figures", "config"}
    for what, path in shown.items():
        assert Path(path).exists() and Path(path).is_absolute(), (what, path)
    assert set(table2["video"]) == {"my_clip"} and set(table2["scale"]) == {2}
    assert {"bicubic", "f0", "awDNN", "STDO"} == set(table2["method"])  # --methods awdnn stdo
    assert set(table2["backbone"]) == {"-", "ESPCN"}
    bundles = [line.split()[-1] for line in lines if "/bundle/" in line and "upscale" not in line]
    assert sorted(Path(b).name for b in bundles) == ["awdnn", "stdo-k2", "stdo-k3"]  # tiny's k: 2, 3
    assert all((Path(b) / "manifest.json").is_file() for b in bundles)
    # each training job's log: a summary line per unit, and no bar (STDO_PROGRESS=0 in the tests)
    log = (tmp_path / "results/logs/train/my_clip_x2_espcn.log").read_text()
    assert re.search(r"^trained all \(seed 0\): \d+ steps of batch 8, final loss [\d.]+, [\d.]+ s", log, re.M)
    assert "it/s" not in log and "step/s" not in log
    # the same command again goes on from where it is, past the lock a killed run leaves behind
    # (Snakemake's lock file, written as a killed run leaves it), with nothing left to do
    lock = tmp_path / ".snakemake/locks/0.output.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("results/tables/claims.csv\n")
    configs = [str(TINY), shown["config"]]
    locked = snakemake(tmp_path, "tables", "--configfile", *configs, check=False)  # plain Snakemake stops
    assert locked.returncode != 0 and "LockException" in locked.stdout + locked.stderr
    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    assert "Nothing to be done" in again.stdout + again.stderr
    assert "stdo overfit: my_clip done" in again.stdout and not lock.exists()
