"""VSD4K through the real DAG: download_vsd4k from a loopback HTTP server, ingest of the
layout, the dataset's LR frames, patches and scores; a checksum mismatch leaves no dataset."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from support.clips import LoopbackFiles, make_vsd4k_clip
from support.workflow import TINY, snakemake

from stdo.core import io

pytestmark = pytest.mark.slow  # runs Snakemake (see pyproject's markers)


@pytest.fixture()
def served(tmp_path, vsd4k_frames) -> Path:
    root = tmp_path / "src"
    make_vsd4k_clip(root / "VSD4K", "game_15s_1", vsd4k_frames, scales=(2, 4))
    out = tmp_path / "served"
    out.mkdir()
    with zipfile.ZipFile(out / "game_15s_1.zip", "w") as z:
        for f in sorted((root / "VSD4K").rglob("*")):
            z.write(f, f.relative_to(root))
    return out


def _overlay(wd: Path, url: str, manifest: Path) -> Path:
    cfg = yaml.safe_load(TINY.read_text()) | {
        "videos": [{"name": "game", "vsd4k": ["game_15s_1"], "duration_s": 1.2}],
        "downloads": {"vsd4k": {"kind": "http", "url": url + "/{archive}", "manifest": str(manifest)}},
    }
    path = wd / "overlay.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_loopback_http_vsd4k_download_ingest_and_score_through_snakemake(tmp_path, served, vsd4k_frames):
    manifest = tmp_path / "vsd4k.sha256"
    manifest.write_text(f"{io.sha256_file(served / 'game_15s_1.zip')}  game_15s_1.zip\n")
    wd = tmp_path / "wd"
    wd.mkdir()
    with LoopbackFiles(served) as srv:
        srv.cut_after["game_15s_1.zip"] = 20000
        srv.cuts_left = 1  # the first response is cut mid-file; the rule resumes it
        targets = ["results/videos/game/x4/scores.csv", "results/videos/game/x2/patches/index.csv"]
        snakemake(wd, *targets, "--configfile", str(_overlay(wd, srv.url, manifest)))
    assert any(r is not None for _, r in srv.requests), "the cut download was not resumed with Range"
    np.testing.assert_array_equal(io.open_array(wd / "results/videos/game/hr.npy"), vsd4k_frames)
    from PIL import Image

    lr = io.open_array(wd / "results/videos/game/x4/lr.npy")
    first = np.asarray(Image.open(wd / "data/vsd4k/game_15s_1/DIV2K_train_LR_bicubic/X4/00001_x4.png"))
    np.testing.assert_array_equal(lr[0], first)
    assert (wd / "results/videos/game/x4/scores.csv").stat().st_size > 0
    # PNG frames carry no rate: every frame over the configured 1.2 s, for the LR stream's timestamps
    meta = json.loads((wd / "results/videos/game/meta.json").read_text())
    assert meta["fps_fraction"] == "10" and meta["fps"] == len(vsd4k_frames) / 1.2


def test_loopback_http_vsd4k_checksum_mismatch_stops_the_dag(tmp_path, served):
    manifest = tmp_path / "vsd4k.sha256"
    manifest.write_text(f"{'ab' * 32}  game_15s_1.zip\n")
    wd = tmp_path / "wd"
    wd.mkdir()
    with LoopbackFiles(served) as srv:
        proc = snakemake(
            wd,
            "results/videos/game/hr.npy",
            "--configfile",
            str(_overlay(wd, srv.url, manifest)),
            check=False,
        )
    assert proc.returncode != 0
    log = (wd / "results/logs/download/vsd4k_game_15s_1.log").read_text()
    assert "checksum mismatch" in log and "abab" in log
    assert not (wd / "data/vsd4k/game_15s_1").exists()
    assert not (wd / "results/videos/game").exists()


def test_cafm_split_trains_on_n_frames_and_evaluates_on_the_next_tenth(tmp_path):
    from stdo.video.demo import render_frames

    frames = render_frames(96, 48, 22)  # CaFM's split: 20 training frames, 2 held out
    make_vsd4k_clip(tmp_path / "have/VSD4K", "vlog_15s_1", frames, scales=(2,))
    tiny = yaml.safe_load(TINY.read_text())
    cfg = tiny | {
        "videos": [{"name": "vlog", "vsd4k": ["vlog_15s_1"], "duration_s": 2.2, "split": "cafm"}],
        "downloads": {"vsd4k": {"kind": "local", "path": str(tmp_path / "have/VSD4K")}},
        "scales": [2],
        "backbones": [b for b in tiny["backbones"] if b["name"] == "espcn"],
        "methods": ["awdnn", "nas", "stdo"],
        "stdo": {"k": [2]},
        "nas": {"chunk_seconds": 1.0},
        "table1": {"backbones": []},
    }
    wd = tmp_path / "wd"
    wd.mkdir()
    (wd / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(wd, "tables", "--configfile", str(wd / "cfg.yaml"))
    v = wd / "results/videos"
    np.testing.assert_array_equal(io.open_array(v / "vlog/hr.npy"), frames[:20])
    np.testing.assert_array_equal(io.open_array(v / "vlog_heldout/hr.npy"), frames[20:])
    for method in ("awdnn", "nas-n2", "stdo-k2"):  # 2.2 s / 1.1 = 2 s of training frames: 2 segments
        m = json.loads((v / f"vlog/x2/espcn/eval/{method}/metrics.json").read_text())
        assert m["evaluated_on"] == "vlog_heldout" and m["frames"] == 2 and m["patches"] == 2 * 8
    # held-out patches are routed by the training partition's thresholds
    side = json.loads((v / "vlog_heldout/x2/partition/k2/chunks.npy.prov.json").read_text())
    assert side["params"]["assigned_by"].endswith("vlog/x2/partition/k2/thresholds.csv")
    assert "vlog" in (wd / "results/tables/table2.csv").read_text()
