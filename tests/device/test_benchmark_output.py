"""The benchmark_model output parser on real phone output and on the older format; the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from stdo.core.errors import StdoError
from stdo.device.benchmark_output import (
    BenchmarkOutputError,
    parse_benchmark_output,
    split_transcript,
)
from stdo.device.realtime import verdict, verdict_label

TRANSCRIPT = Path(__file__).with_name("benchmark_model_android_transcript.txt")  # real phone output

# A build from before the INFO: prefix and the percentiles (TF 2.3 era), written by hand in
# that build's format: warm-up block, timed block, then the older summary line.
OLDER_FORMAT = """\
STARTING!
Min num runs: [50]
Min runs duration (seconds): [1]
Max runs duration (seconds): [150]
Inter-run delay (seconds): [-1]
Num threads: [4]
Benchmark name: []
Output prefix: []
Min warmup runs: [1]
Min warmup runs duration (seconds): [0.5]
Graph: [/data/local/tmp/mobilenet_v1_1.0_224.tflite]
Input layers: []
Input shapes: []
Use nnapi : [0]
Use legacy nnapi : [0]
Use gpu : [0]
Allow fp16 : [0]
Require full delegation : [0]
Enable op profiling: [0]
Max profiling buffer entries: [1024]
Loaded model /data/local/tmp/mobilenet_v1_1.0_224.tflite
resolved reporter
Initialized session in 3.914ms.
Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.
count=6 first=95213 curr=83145 min=83004 max=95213 avg=85398.2 std=4411

Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.
count=50 first=83419 curr=82977 min=82411 max=90115 avg=83662.6 std=1340

Average inference timings in us: Warmup: 85398.2, Init: 3914, Inference: 83662.6
Peak memory footprint (MB): init=3.41406 overall=22.5625
"""


@pytest.fixture(scope="module")
def runs():
    return split_transcript(TRANSCRIPT.read_text())


def test_real_phone_transcript_splits_into_its_three_runs(runs):
    assert [r.flags for r in runs] == [
        {"num_runs": "1000", "warmup_runs": "5", "graph": "./models/tiny_muaalem_float32.tflite"},
        {"num_runs": "5", "warmup_runs": "5", "graph": "./models/tiny_muaalem_int8.tflite"},
        {"num_runs": "5", "warmup_runs": "5", "graph": "./models/tiny_muaalem_int4.tflite"},
    ]
    assert all(r.command.startswith("./android_aarch64_benchmark_model ") for r in runs)
    assert all(r.output.startswith("INFO: STARTING!\n") for r in runs)
    assert "tiny_muaalem_int8" not in runs[0].output and "tiny_muaalem_int4" not in runs[1].output
    assert runs[2].output.rstrip().endswith("init=23.5938 overall=26.6797")


def test_real_phone_float32_run(runs):
    out = parse_benchmark_output(runs[0].output, exit_status=None)
    assert (out.init_us, out.first_us, out.warmup_avg_us, out.inference_avg_us) == (
        119515,
        87112,
        58147.4,
        63743.2,
    )
    assert (out.count, out.min_us, out.max_us, out.std_us) == (1000, 49088, 686105, 60716)
    assert (out.p5_us, out.median_us, out.p95_us) == (49620, 51891, 68628)
    assert out.warmup_count == 9
    assert out.errors == ()
    assert out.raw == runs[0].output
    assert out.latency_ms == pytest.approx(63.7432)
    assert out.fps == pytest.approx(15.6880, abs=1e-4)
    assert not verdict(out.latency_ms, out.fps)  # 64 ms: not real time on that phone


def test_real_phone_int4_run(runs):
    out = parse_benchmark_output(runs[2].output, exit_status=None)
    assert (out.init_us, out.first_us, out.warmup_avg_us, out.inference_avg_us) == (
        207799,
        90710,
        48230.2,
        42394.8,
    )
    assert (out.count, out.min_us, out.max_us, out.std_us) == (24, 41938, 42840, 188)
    assert (out.p5_us, out.median_us, out.p95_us) == (42133, 42419, 42671)
    assert out.warmup_count == 11
    assert verdict(out.latency_ms, out.fps)  # 42 ms, 23.6 fps


def test_real_phone_int8_run_is_a_failure_with_its_error_text(runs):
    with pytest.raises(BenchmarkOutputError, match="no 'Inference timings in us' summary line") as e:
        parse_benchmark_output(runs[1].output, exit_status=None)
    assert e.value.error_text.splitlines() == [
        "ERROR: tensorflow/lite/kernels/batch_matmul.cc:353 (lhs_data->type == kTfLiteFloat32 && "
        "rhs_data->type == kTfLiteInt8) || lhs_data->type == rhs_data->type was not true.",
        "ERROR: Node number 57 (BATCH_MATMUL) failed to prepare.",
        "ERROR: Failed to allocate tensors!",
        "ERROR: Benchmarking failed.",
    ]
    assert "Failed to allocate tensors!" in str(e.value)
    assert e.value.exit_status is None
    assert isinstance(e.value, StdoError)


def test_nonzero_exit_status_is_failure_even_with_the_summary_line(runs):
    assert parse_benchmark_output(runs[0].output, exit_status=0).inference_avg_us == 63743.2
    with pytest.raises(BenchmarkOutputError, match="exit status 139") as e:
        parse_benchmark_output(runs[0].output, exit_status=139)
    assert e.value.exit_status == 139
    # no ERROR: line to quote: the last lines say where it stopped
    assert "Memory footprint delta" in e.value.error_text


def test_an_error_line_alone_is_not_failure(runs):
    lines = runs[2].output.splitlines()
    harmless = (
        "ERROR: Subgraph reshaping is enabled by default, "
        "but Failed to allocate tensors in the XNNPack delegate."
    )
    text = "\n".join(lines[:9] + [harmless] + lines[9:])
    out = parse_benchmark_output(text, exit_status=0)
    assert out.errors == (harmless,)
    assert out.inference_avg_us == 42394.8


def test_older_format_summary_and_blocks():
    out = parse_benchmark_output(OLDER_FORMAT)
    assert (out.init_us, out.warmup_avg_us, out.inference_avg_us) == (3914, 85398.2, 83662.6)
    assert out.first_us == 95213  # no first-inference entry: the warm-up block's first=
    assert (out.count, out.min_us, out.max_us, out.std_us) == (50, 82411, 90115, 1340)
    assert (out.p5_us, out.median_us, out.p95_us) == (None, None, None)
    assert out.warmup_count == 6
    assert out.fps == pytest.approx(1e6 / 83662.6)


def test_older_format_without_summary_fails():
    truncated = OLDER_FORMAT.split("Average inference timings")[0]
    with pytest.raises(BenchmarkOutputError, match="summary line") as e:
        parse_benchmark_output(truncated, exit_status=0)
    assert "count=50 first=83419" in e.value.error_text  # the last lines printed


def test_carriage_returns_and_exponent_averages():
    # an adb shell over a pty ends lines with CR LF; C++ streams print large averages as 1.23457e+06
    text = (
        "INFO: count=2 first=1300000 curr=1169140 min=1169140 max=1300000 avg=1.23457e+06 std=65430\r\n"
        "INFO: count=3 first=1200000 curr=1100000 min=1100000 max=1200000 avg=1.13333e+06 std=47140 "
        "p5=1100000 median=1100000 p95=1200000\r\n"
        "INFO: Inference timings in us: Init: 5021, First inference: 1300000, "
        "Warmup (avg): 1.23457e+06, Inference (avg): 1.13333e+06\r\n"
    )
    out = parse_benchmark_output(text)
    assert out.warmup_avg_us == 1234570 and out.inference_avg_us == 1133330
    assert (out.count, out.median_us, out.warmup_count) == (3, 1100000, 2)
    assert out.latency_ms == pytest.approx(1133.33)


def test_empty_output_is_a_failure():
    with pytest.raises(BenchmarkOutputError, match=r"\(no output\)"):
        parse_benchmark_output("", exit_status=0)


@pytest.mark.parametrize(
    ("latency_ms", "fps", "real_time"),
    [
        (1000 / 28, 28.0, True),  # the paper's STDO WDSR on the Galaxy S21
        (49.9, 1000 / 49.9, True),
        (50.0, 20.0, False),  # both bounds strict
        (45.0, 20.0, False),
        (50.0, 25.0, False),
        (63.7432, 15.688, False),
    ],
)
def test_real_time_verdict(latency_ms, fps, real_time):
    assert verdict(latency_ms, fps) is real_time
    assert verdict_label(real_time) == ("real-time" if real_time else "not real-time")


@pytest.mark.parametrize(("latency_ms", "fps"), [(0.0, 20.0), (-1.0, 30.0), (10.0, float("nan"))])
def test_verdict_rejects_non_positive_or_non_finite(latency_ms, fps):
    with pytest.raises(StdoError, match="positive"):
        verdict(latency_ms, fps)
