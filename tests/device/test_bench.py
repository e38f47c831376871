"""Host benchmarks of exported models (real LiteRT timings on this CPU): every method's whole
frame at the paper's task size and the video's size, and the routed client's frame."""

import json

import numpy as np
import pytest

from stdo.device import bench, export
from stdo.models import build_model, modelfile
from stdo.sr.partition import partition
from stdo.video.degrade import degrade_frames
from stdo.video.patches import write_patches

SCALE = 2
BOUNDS = {"float32": {"max_abs": 0.01, "max_psnr_drop_db": 0.01}}


@pytest.fixture(scope="module")
def cell(tmp_path_factory, demo_frames):
    """A patch folder of 4 real frames, three ESPCN units (awDNN's and STDO k=2's two chunks),
    a 2-chunk partition, and their export."""
    root = tmp_path_factory.mktemp("cell")
    hr = np.ascontiguousarray(demo_frames[:4])
    write_patches(degrade_frames(hr, SCALE), hr, SCALE, 4, 2, root / "patches")
    models = []
    for seed, unit in enumerate(["all", "stdo-k2-c0", "stdo-k2-c1"]):
        path = root / "units" / unit / "model.pt"
        path.parent.mkdir(parents=True)
        model = build_model("espcn", scale=SCALE, seed=seed, channels=(8,))
        modelfile.save_model(path, model, backbone="espcn", scale=SCALE, kwargs={"channels": [8]})
        models.append(path)
    (root / "k2").mkdir()
    chunks = partition(np.random.default_rng(0).normal(30, 3, 32), 2)
    np.save(root / "k2" / "chunks.npy", chunks)
    export.main(
        ["--patches", str(root / "patches"), "--models", *map(str, models), "--dtypes", "float32"]
        + [
            "--parity",
            json.dumps(BOUNDS),
            "--out-dir",
            str(root / "tflite"),
            "--out-manifest",
            str(root / "m.json"),
        ]
    )
    return root, models, chunks


def test_task_sizes_follow_the_papers_1080p_output():
    assert (
        bench.task_lr(4) == (270, 480) and bench.task_lr(2) == (540, 960) and bench.task_lr(3) == (360, 640)
    )
    assert bench.host_name(2).startswith("host CPU ") and "2 threads, LiteRT" in bench.host_name(2)


def test_bench_rows_for_whole_frames_and_the_routed_client(cell, tmp_path):
    root, models, chunks = cell
    out = tmp_path / "host.json"
    bench.main(
        [
            "--manifest",
            str(root / "m.json"),
            "--models",
            *map(str, models),
            "--patches",
            str(root / "patches"),
        ]
        + ["--methods", "awdnn,stdo-k2", "--partitions", str(root / "k2" / "chunks.npy")]
        + ["--labels", json.dumps({"video": "v", "scale": SCALE, "backbone": "espcn"})]
        + [
            "--threads",
            "1",
            "--warmup",
            "1",
            "--runs",
            "3",
            "--out",
            str(out),
            "--task-dir",
            str(tmp_path / "task"),
        ]
    )
    result = json.loads(out.read_text())
    assert result["backend"] == "host" and result["device"].startswith("host CPU")
    rows = {(r["method"], r["size"], r["routed"]): r for r in result["rows"]}
    assert set(rows) == {
        ("awdnn", "task", False), ("awdnn", "frame", False),
        ("stdo-k2", "task", False), ("stdo-k2", "frame", False), ("stdo-k2", "frame", True),
    }  # fmt: skip
    task = rows[("awdnn", "task", False)]
    assert (task["lr_h"], task["lr_w"], task["hr_h"], task["hr_w"]) == (540, 960, 1080, 1920)
    assert rows[("stdo-k2", "task", False)]["latency_ms"] > 0  # same graph: converted once, timed once
    frame = rows[("awdnn", "frame", False)]
    assert (frame["lr_h"], frame["lr_w"]) == (32, 48) and frame["latency_ms"] < task["latency_ms"]
    routed = rows[("stdo-k2", "frame", True)]
    assert routed["switches"] == 1 and (routed["lr_h"], routed["lr_w"]) == (32, 48)  # a frame, by patches
    for r in result["rows"]:
        # both rounded to 4 decimals: fps * latency is 1000 up to that rounding
        assert abs(r["fps"] * r["latency_ms"] - 1000) <= 5e-5 * (r["fps"] + r["latency_ms"]) + 1e-6
        assert r["real_time"] == (r["latency_ms"] < 50 and r["fps"] > 20)
        assert r["p95_ms"] >= r["latency_ms"]
    assert sorted(p.name for p in (tmp_path / "task").iterdir()) == ["plain_float32.tflite"]


def test_time_routed_sends_each_patch_to_its_groups_model(cell):
    root, _, chunks = cell
    files = json.loads((root / "m.json").read_text())["files"]
    paths = [
        f["file"]
        for u in ("stdo-k2-c0", "stdo-k2-c1")
        for f in files
        if f["unit"] == u and f["size"] == "patch"
    ]
    lr = np.asarray(np.load(root / "patches" / "lr.npy"))[:8]  # frame 0
    one_group = bench.time_routed(paths, np.zeros(8, dtype=int), lr, threads=1, warmup=0, runs=2)
    two_groups = bench.time_routed(paths, chunks[:8], lr, threads=1, warmup=0, runs=2)
    assert one_group["switches"] == 0 and two_groups["switches"] == (len(set(chunks[:8])) - 1)
