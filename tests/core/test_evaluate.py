"""``stdo.sr.evaluate`` on a small real patch set and tiny saved models.

The reference numbers are computed here from the definitions in :mod:`stdo.core.metrics` on the
super-resolved frames (each model run on its patches by hand, the patches stitched back into
frames), never through :mod:`stdo.sr.infer`.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from support.sr import (
    COLS,
    ESPCN_KW,
    FRAMES,
    ROWS,
    SCALE,
    VDSR_KW,
    N,
    make_patches,
    nearest_espcn,
    offset_vdsr,
    patch_psnr,
    routed_sr,
    save,
    super_resolve,
    video_psnr,
)

from stdo.core import io, metrics
from stdo.core.errors import StdoError
from stdo.core.imaging import upscale_bicubic
from stdo.models import count_parameters
from stdo.models.cafm import CaFM, Modulated
from stdo.sr import evaluate
from stdo.video.patches import stitch


@pytest.fixture(scope="module")
def chunks() -> np.ndarray:
    """A 2-chunk partition (every third patch in chunk 1), as chunks.npy holds it."""
    return (np.arange(N) % 3 == 0).astype(np.int64)


def run(patch_dir: Path, method: str, paths: list[Path], partition: Path | None = None):
    return evaluate.evaluate(patch_dir, method, paths, partition=partition, batch_size=64, device="cpu")


def test_awdnn_psnr_equals_an_independent_computation(tmp_path, patch_dir, arrays):
    lr, hr = arrays
    model = nearest_espcn(seed=3)
    path = save(tmp_path / "all.pt", model, "espcn", ESPCN_KW, patches=N)
    out, pmap = run(patch_dir, "awdnn", [path])

    sr = super_resolve(model, lr)
    assert out["psnr"] == pytest.approx(video_psnr(sr, hr), abs=1e-9)
    assert out["psnr_vsd4k"] == pytest.approx(metrics.psnr_vsd4k(sr, hr), abs=1e-9)
    one = np.zeros(len(sr), dtype=np.int64)
    assert out["psnr_trainer"] == pytest.approx(metrics.psnr_trainer(sr, hr, one, scale=SCALE), abs=1e-9)
    assert pmap.shape == (FRAMES, ROWS, COLS)
    np.testing.assert_allclose(pmap.ravel(), patch_psnr(sr, hr), rtol=0, atol=1e-9)
    assert out["mse"] == pytest.approx(255.0**2 / 10 ** (out["psnr"] / 10), rel=1e-12)
    assert 15 < out["psnr"] < 40  # a perturbed nearest-neighbour upscaler: poor but not garbage


def test_bicubic_model_scores_bicubic_psnr(tmp_path, patch_dir, arrays):
    lr, hr = arrays
    out, _ = run(patch_dir, "awdnn", [save(tmp_path / "m.pt", offset_vdsr(0), "vdsr", VDSR_KW)])
    x = torch.from_numpy(lr).permute(0, 3, 1, 2).float()
    bicubic = upscale_bicubic(x, SCALE).permute(0, 2, 3, 1).numpy()
    assert out["psnr"] == pytest.approx(video_psnr(bicubic, hr), abs=1e-6)
    assert 20 < out["psnr"] < 45


def test_metrics_fields_are_consistent(tmp_path, patch_dir, arrays):
    model = nearest_espcn(seed=3)
    out, pmap = run(patch_dir, "awdnn", [save(tmp_path / "all.pt", model, "espcn", ESPCN_KW, patches=N)])
    # espcn with one hidden layer of 8: 3->8 and 8->12 3x3 convs with bias
    params = (3 * 8 * 9 + 8) + (8 * 12 * 9 + 12)
    assert out["parameters"] == out["backbone_parameters"] == count_parameters(model) == params
    assert out["macs_48"] == 48 * 48 * (8 * 3 * 9 + 12 * 8 * 9)  # both convs run at the LR size
    assert out["method"] == "awdnn"
    assert out["models"] == 1
    assert out["patches"] == N and out["frames"] == FRAMES
    assert out["train_patches"] == N
    assert out["cafm_params_per_chunk"] is None
    assert out["psnr"] == pytest.approx(metrics.mse_to_psnr(out["mse"]), abs=1e-12)
    assert out["per_group"] == [{"unit": "all", "group": 0, "patches": N, "psnr": out["psnr"]}]
    # the map holds per-patch PSNRs that pool (through their MSEs) to the video's PSNR
    assert metrics.pooled_psnr(255.0**2 / 10 ** (pmap / 10)) == pytest.approx(out["psnr"], abs=1e-9)


def test_stdo_routes_each_psnr_chunk_to_its_model(tmp_path, patch_dir, arrays, chunks):
    lr, hr = arrays
    part = tmp_path / "chunks.npy"
    np.save(part, chunks)
    good, bad = offset_vdsr(0), offset_vdsr(40)
    sizes = np.bincount(chunks)
    paths = [
        save(tmp_path / "c0.pt", good, "vdsr", VDSR_KW, patches=int(sizes[0])),
        save(tmp_path / "c1.pt", bad, "vdsr", VDSR_KW, patches=int(sizes[1])),
    ]
    out, pmap = run(patch_dir, "stdo-k2", paths, part)
    flat = pmap.ravel()
    good_psnr, bad_psnr = patch_psnr(super_resolve(good, lr), hr), patch_psnr(super_resolve(bad, lr), hr)
    assert (good_psnr > bad_psnr + 5).all()  # a 40-level shift costs every patch > 5 dB
    np.testing.assert_allclose(flat[chunks == 0], good_psnr[chunks == 0], atol=1e-9)
    np.testing.assert_allclose(flat[chunks == 1], bad_psnr[chunks == 1], atol=1e-9)
    routed = routed_sr([good, bad], chunks, lr)
    assert out["psnr"] == pytest.approx(video_psnr(routed, hr), abs=1e-9)
    assert [(g["unit"], g["group"], g["patches"]) for g in out["per_group"]] == [
        ("stdo-k2-c0", 0, sizes[0]),
        ("stdo-k2-c1", 1, sizes[1]),
    ]
    for g in out["per_group"]:
        sel = chunks == g["group"]
        assert g["psnr"] == pytest.approx(metrics.psnr(routed[sel], hr[sel]), abs=1e-9)
    assert out["models"] == 2 and out["parameters"] == 2 * count_parameters(good)
    assert out["backbone_parameters"] == count_parameters(good)
    assert out["train_patches"] == N
    # the STDO trainer's protocol: each patch shaved by scale + 4 = 6 HR pixels, then the unweighted
    # mean of the two chunks' mean patch MSEs (README "Evaluate"); chunks of unequal size (about 2:1)
    # make it differ from the pooled mean
    shaved = (np.clip(np.round(routed), 0, 255) - hr.astype(np.float64))[:, 6:-6, 6:-6, :]
    patch_mse = (shaved**2).reshape(N, -1).mean(axis=1)
    chunk_means = [patch_mse[chunks == c].mean() for c in (0, 1)]
    assert out["psnr_trainer"] == pytest.approx(10 * np.log10(255.0**2 / np.mean(chunk_means)), abs=1e-9)
    assert out["psnr_trainer"] != pytest.approx(10 * np.log10(255.0**2 / patch_mse.mean()), abs=1e-3)

    # the models swapped: the chunk-1 patches now get the good model and chunk 0 the bad one
    swapped, smap = run(patch_dir, "stdo-k2", paths[::-1], part)
    np.testing.assert_allclose(smap.ravel()[chunks == 0], bad_psnr[chunks == 0], atol=1e-9)
    np.testing.assert_allclose(smap.ravel()[chunks == 1], good_psnr[chunks == 1], atol=1e-9)
    assert swapped["psnr"] < out["psnr"] - 2  # chunk 0 holds about twice the patches of chunk 1


def test_nas_routes_each_time_chunk_to_its_model(tmp_path, patch_dir, arrays):
    lr, hr = arrays
    good, bad = offset_vdsr(0), offset_vdsr(-30)
    paths = [save(tmp_path / "n0.pt", good, "vdsr", VDSR_KW), save(tmp_path / "n1.pt", bad, "vdsr", VDSR_KW)]
    out, pmap = run(patch_dir, "nas-n2", paths)
    expected_good = patch_psnr(super_resolve(good, lr), hr).reshape(pmap.shape)
    expected_bad = patch_psnr(super_resolve(bad, lr), hr).reshape(pmap.shape)
    np.testing.assert_allclose(pmap[:2], expected_good[:2], atol=1e-9)  # frames 0-1: segment 0
    np.testing.assert_allclose(pmap[2:], expected_bad[2:], atol=1e-9)  # frames 2-3: segment 1
    half = N // 2
    assert [(g["unit"], g["patches"]) for g in out["per_group"]] == [("nas-n2-c0", half), ("nas-n2-c1", half)]


def test_cafm_serves_each_time_chunk_with_its_modulation(tmp_path, patch_dir, arrays):
    lr, hr = arrays
    model = CaFM(offset_vdsr(0), 2, placement="all")  # VDSR_KW has no hidden conv, CaFM's site
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, Modulated):
                m.gamma.copy_(torch.tensor([0.0, 1.0]))  # chunk 0: the plain backbone; chunk 1: modulated
    per_chunk = model.parameters_per_segment()
    path = save(
        tmp_path / "cafm.pt", model, "vdsr", VDSR_KW, **model.record(), cafm_params_per_chunk=per_chunk
    )
    out, pmap = run(patch_dir, "cafm-n2", [path])

    groups = np.repeat([0, 1], N // 2)
    reference = patch_psnr(routed_sr([model, model], groups, lr), hr).reshape(pmap.shape)
    np.testing.assert_allclose(pmap, reference, atol=1e-9)
    model.set_segment(0)
    chunk0_everywhere = patch_psnr(super_resolve(model, lr), hr).reshape(pmap.shape)
    assert np.abs(pmap[2:] - chunk0_everywhere[2:]).min() > 0.1  # frames 2-3 use chunk 1's modulation
    assert [(g["unit"], g["group"]) for g in out["per_group"]] == [("cafm-n2", 0), ("cafm-n2", 1)]
    assert out["models"] == 1
    assert out["cafm_params_per_chunk"] == per_chunk
    assert out["parameters"] - out["backbone_parameters"] == 2 * per_chunk


def test_patches_of_at_most_8_pixels_have_no_shaved_psnr(tmp_path, demo_frames):
    patches = make_patches(demo_frames[:1, :32, :32], tmp_path / "small", cols=4, rows=4)  # HR 8x8
    model = offset_vdsr(0)
    out, pmap = run(patches, "awdnn", [save(tmp_path / "m.pt", model, "vdsr", VDSR_KW)])
    assert out["psnr_vsd4k"] is None and out["psnr_trainer"] is None
    lr_p, hr_p = np.load(patches / "lr.npy"), np.load(patches / "hr.npy")
    sr = super_resolve(model, lr_p)
    assert out["psnr"] == pytest.approx(metrics.psnr(sr, hr_p), abs=1e-9)
    assert pmap.shape == (1, 4, 4)


@pytest.mark.parametrize(
    ("method", "n_models", "partition", "message"),
    [
        ("stdo-k2", 1, "ok", r"method 'stdo-k2' needs 2 models \(stdo-k2-c0, stdo-k2-c1\), got 1"),
        ("awdnn", 2, None, r"method 'awdnn' needs 1 models \(all\), got 2"),
        ("nas-n2", 3, None, r"method 'nas-n2' needs 2 models \(nas-n2-c0, nas-n2-c1\), got 3"),
        ("stdo-k2", 2, "short", rf"method 'stdo-k2': partition has {N - 1} entries for {N} patches"),
        ("stdo-k2", 2, "k3", r"method 'stdo-k2': partition has (3 chunks|chunk 2)"),
        ("stdo-k2", 2, None, r"method 'stdo-k2' needs the PSNR partition \(chunks.npy\) for k=2"),
        ("stdo-2", 1, None, r"unknown method 'stdo-2'"),
    ],
)
def test_bad_inputs_are_clear_errors(tmp_path, patch_dir, chunks, method, n_models, partition, message):
    path = save(tmp_path / "m.pt", offset_vdsr(0), "vdsr", VDSR_KW)
    part = None
    if partition is not None:
        part = tmp_path / "chunks.npy"
        values = {"ok": chunks, "short": chunks[:-1], "k3": np.arange(N) % 3}[partition]
        np.save(part, values)
    with pytest.raises(StdoError, match=message):
        run(patch_dir, method, [path] * n_models, part)


def test_a_model_of_another_scale_is_a_clear_error(tmp_path, patch_dir):
    path = save(tmp_path / "x4.pt", offset_vdsr(0, scale=4), "vdsr", VDSR_KW, scale=4)
    with pytest.raises(StdoError, match=r"x4\.pt: a x4 model cannot evaluate x2 patches"):
        run(patch_dir, "awdnn", [path])


def test_main_writes_metrics_and_map(tmp_path, patch_dir, capsys):
    path = save(tmp_path / "all.pt", nearest_espcn(seed=3), "espcn", ESPCN_KW, patches=N)
    expected, expected_map = run(patch_dir, "awdnn", [path])
    out_metrics, out_map = tmp_path / "eval" / "metrics.json", tmp_path / "eval" / "psnr_map.npy"
    evaluate.main(
        ["--patches", str(patch_dir), "--method", "awdnn", "--models", str(path), "--device", "cpu",
         "--threads", str(torch.get_num_threads()),
         "--labels", '{"video": "demo", "scale": 2}', "--out-metrics", str(out_metrics),
         "--out-map", str(out_map)]
    )  # fmt: skip
    written = json.loads(out_metrics.read_text())
    assert written == json.loads(json.dumps(expected | {"video": "demo", "scale": 2}))
    np.testing.assert_array_equal(np.load(out_map), expected_map)
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == {"method": "awdnn", "psnr": expected["psnr"], "models": 1, "parameters": 1100}
    for out in (out_metrics, out_map):
        side = json.loads(out.with_name(out.name + io.SIDECAR_SUFFIX).read_text())
        assert side["stage"] == "evaluate" and side["params"]["method"] == "awdnn"


def test_main_reports_bad_input_without_a_traceback(tmp_path, patch_dir, capsys):
    path = save(tmp_path / "m.pt", offset_vdsr(0), "vdsr", VDSR_KW)
    with pytest.raises(SystemExit) as e:
        evaluate.main(
            ["--patches", str(patch_dir), "--method", "stdo-k2", "--models", str(path),
             "--out-metrics", str(tmp_path / "m.json"), "--out-map", str(tmp_path / "m.npy")]
        )  # fmt: skip
    assert e.value.code == 2
    assert "stdo evaluate: error: method 'stdo-k2' needs 2 models" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


def test_stdo_on_held_out_frames_with_an_empty_chunk(tmp_path, patch_dir, arrays, chunks):
    """split: cafm partitions held-out frames by the training thresholds, so a chunk can be
    empty: its model serves no patch and the others are unaffected (found by reading, issue 10)."""
    lr, hr = arrays
    part = tmp_path / "chunks.npy"
    np.save(part, chunks)  # chunks 0 and 1 only
    good, bad, unused = offset_vdsr(0), offset_vdsr(40), offset_vdsr(80)
    paths = [save(tmp_path / f"c{i}.pt", m, "vdsr", VDSR_KW) for i, m in enumerate([good, bad, unused])]
    out, pmap = run(patch_dir, "stdo-k3", paths, part)
    assert [g["patches"] for g in out["per_group"]] == [*np.bincount(chunks), 0]
    assert out["per_group"][2]["psnr"] is None and out["models"] == 3
    assert out["psnr"] == pytest.approx(video_psnr(routed_sr([good, bad], chunks, lr), hr), abs=1e-9)


def test_rendered_frames_are_the_routed_patches_stitched_with_the_evaluated_psnr(
    tmp_path, patch_dir, arrays, chunks
):
    """RoutedSR.frames (Figure 4, the clip) gives whole frames whose PSNR is the evaluation's: each
    patch through its chunk's model, quantised to uint8, stitched in grid order."""
    lr, hr = arrays
    part = tmp_path / "chunks.npy"
    np.save(part, chunks)
    good, bad = nearest_espcn(seed=1), offset_vdsr(25)
    paths = [
        save(tmp_path / "c0.pt", good, "espcn", ESPCN_KW),
        save(tmp_path / "c1.pt", bad, "vdsr", VDSR_KW),
    ]
    _, pmap = run(patch_dir, "stdo-k2", paths, part)
    routed = evaluate.load_routed(
        patch_dir, "stdo-k2", paths, partition=part, device=torch.device("cpu"), batch_size=3
    )
    frames = [3, 0]
    out = routed.sr.frames(lr, frames)
    assert out.shape == (2, ROWS * hr.shape[1], COLS * hr.shape[2], 3) and out.dtype == np.uint8
    expected = np.clip(np.round(routed_sr([good, bad], chunks, lr)), 0, 255).astype(np.uint8)
    whole = stitch(expected, COLS, ROWS)
    np.testing.assert_array_equal(out, whole[frames])
    hr_frames = stitch(hr, COLS, ROWS)
    per_patch = ROWS * COLS
    for i, f in enumerate(frames):
        pooled = metrics.pooled_psnr(metrics.psnr_to_mse(pmap[f]).ravel())
        assert metrics.psnr(out[i], hr_frames[f]) == pytest.approx(pooled, abs=1e-9)
        assert (chunks[f * per_patch : (f + 1) * per_patch] == 1).any()  # both models in the frame
    with pytest.raises(StdoError, match=r"frames \[4\] are outside the video's 4 frames"):
        routed.sr.frames(lr, [4])


def test_cafm_protocol_is_the_mean_of_per_frame_psnrs_of_whole_frames(tmp_path, patch_dir, arrays):
    """CaFM's calc_psnr: a scale + 6 shave, one PSNR per whole frame, their mean (not pooled)."""
    _, hr = arrays
    model = nearest_espcn(seed=0)
    with torch.no_grad():  # every output pixel 100.4 (quantised to 100): the error is HR - 100
        model.body[-2].weight.zero_()
        model.body[-2].bias.fill_(100.4 / 255.0)
    path = save(tmp_path / "c.pt", model, "espcn", ESPCN_KW)
    out, _ = evaluate.evaluate(patch_dir, "awdnn", [path], partition=None, batch_size=64, device="cpu",
                               cafm_protocol=True)  # fmt: skip
    frames = stitch(np.asarray(hr, dtype=np.float64), COLS, ROWS)
    s = SCALE + 6
    by_hand = [10 * np.log10(255.0**2 / ((f[s:-s, s:-s] - 100.0) ** 2).mean()) for f in frames]
    assert out["psnr_cafm"] == pytest.approx(float(np.mean(by_hand)), abs=1e-9)
    assert out["psnr_cafm_inference"] == "frame"
    pooled = 10 * np.log10(255.0**2 / np.mean([((f[s:-s, s:-s] - 100.0) ** 2).mean() for f in frames]))
    assert abs(out["psnr_cafm"] - pooled) > 1e-3  # the mean of PSNRs, not the PSNR of the mean
    assert "psnr_cafm" not in run(patch_dir, "awdnn", [path])[0]  # only on held-out frames


def test_cafm_protocol_runs_whole_frames_not_stitched_patches(tmp_path, patch_dir, arrays):
    """A bicubic model on the whole LR frame differs from bicubic patches stitched (patch borders)."""
    lr, hr = arrays
    path = save(tmp_path / "b.pt", offset_vdsr(0), "vdsr", VDSR_KW)
    out, _ = evaluate.evaluate(patch_dir, "awdnn", [path], partition=None, batch_size=64, device="cpu",
                               cafm_protocol=True)  # fmt: skip
    whole = torch.from_numpy(stitch(np.asarray(lr), COLS, ROWS)).permute(0, 3, 1, 2).float()
    sr = upscale_bicubic(whole, SCALE).round().clamp(0, 255).permute(0, 2, 3, 1).numpy()
    hr_frames = stitch(np.asarray(hr), COLS, ROWS)
    assert out["psnr_cafm"] == pytest.approx(metrics.psnr_cafm(sr, hr_frames, scale=SCALE), abs=1e-9)
    patched = stitch(super_resolve(offset_vdsr(0), lr).round().clip(0, 255), COLS, ROWS)
    assert abs(out["psnr_cafm"] - metrics.psnr_cafm(patched, hr_frames, scale=SCALE)) > 1e-3
