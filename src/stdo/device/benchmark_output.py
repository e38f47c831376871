"""Parse the output of TFLite/LiteRT's ``benchmark_model`` tool (``tensorflow/lite/tools/benchmark``).

What the tool prints (INFO/WARN/VERBOSE lines on stdout, ERROR lines on stderr; builds before
about TF 2.4 print the same lines without the ``INFO:`` prefix)::

    INFO: Running benchmark for at least 5 iterations and at least 0.5 seconds ...
    INFO: count=9 first=87112 curr=51629 min=51629 max=87112 avg=58147.4 std=11478 p5=... p95=...
    INFO: Running benchmark for at least 1000 iterations and at least 1 seconds ...
    INFO: count=1000 first=52162 curr=49785 min=49088 max=686105 avg=63743.2 std=60716 p5=... p95=...
    INFO: Inference timings in us: Init: 119515, First inference: 87112, Warmup (avg): 58147.4,
          Inference (avg): 63743.2   (one line)

The first ``count=`` block is the warm-up, the second the timed runs; ``p5/median/p95`` appear only
in newer builds. Older builds end with ``Average inference timings in us: Warmup: W, Init: I,
Inference: A`` and no first-inference entry (then :attr:`BenchmarkOutput.first_us` is the warm-up
block's ``first=``). A run succeeded when the summary line is there *and* the exit status is 0;
``ERROR:`` lines alone are not failure (XNNPACK logs a harmless one on every run with some builds).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from stdo.core.errors import StdoError

_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_PREFIX = r"^(?:(?:INFO|WARN|WARNING|VERBOSE): )?"
_COUNT = re.compile(_PREFIX + r"count=(?P<count>\d+)(?P<rest>(?:\s+\w+=" + _NUM + r")*)\s*$")
_PAIR = re.compile(r"(\w+)=(" + _NUM + ")")
_SUMMARY = re.compile(_PREFIX + r"(?P<kind>Average inference|Inference) timings in us: (?P<body>.*?)\s*$")
_ENTRY = re.compile(r"\s*(?P<key>[^:,]+?):\s*(?P<value>" + _NUM + r")\s*$")
_ERROR = re.compile(r"^ERROR: ")
# ``~/dir $ ./android_aarch64_benchmark_model --graph=...``: a shell prompt, then the tool.
_PROMPT = re.compile(r"^(?P<prompt>\S*\s*[$#] )(?P<command>\S*benchmark_model\S*(?:\s.*)?)$")

SUMMARY_KEYS = {
    "Init": "init",
    "First inference": "first",
    "Warmup (avg)": "warmup",
    "Warmup": "warmup",
    "Inference (avg)": "inference",
    "Inference": "inference",
}


class BenchmarkOutputError(StdoError):
    """A ``benchmark_model`` run that failed: non-zero exit status or no summary line.

    ``error_text`` is what the tool said (its ``ERROR:`` lines, else its last lines)."""

    def __init__(self, message: str, *, error_text: str, exit_status: int | None, raw: str):
        super().__init__(message)
        self.error_text = error_text
        self.exit_status = exit_status
        self.raw = raw


@dataclass(frozen=True)
class BenchmarkOutput:
    """The timings of one successful ``benchmark_model`` run, in microseconds.

    ``init_us``, ``first_us``, ``warmup_avg_us`` and ``inference_avg_us`` come from the summary
    line; ``count`` .. ``p95_us`` from the timed ``count=`` block (``None`` where the build does
    not print them); ``warmup_count`` from the warm-up block; ``errors`` are the (non-fatal)
    ``ERROR:`` lines; ``raw`` is the text parsed."""

    init_us: float
    first_us: float | None
    warmup_avg_us: float
    inference_avg_us: float
    count: int | None
    min_us: float | None
    max_us: float | None
    std_us: float | None
    p5_us: float | None
    median_us: float | None
    p95_us: float | None
    warmup_count: int | None
    errors: tuple[str, ...]
    exit_status: int | None
    raw: str = field(repr=False)

    @property
    def latency_ms(self) -> float:
        """Mean latency of the timed runs in milliseconds."""
        return self.inference_avg_us / 1000.0

    @property
    def fps(self) -> float:
        """Frames (inferences) per second implied by the mean latency."""
        return 1e6 / self.inference_avg_us


@dataclass(frozen=True)
class TranscriptRun:
    """One run cut from a terminal transcript: the command line as typed, its ``--flag=value``
    arguments and everything printed until the next prompt."""

    command: str
    flags: dict[str, str]
    output: str


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _error_text(lines: list[str]) -> str:
    errors = [ln.strip() for ln in lines if _ERROR.match(ln)]
    if errors:
        return "\n".join(errors)
    tail = [ln.strip() for ln in lines if ln.strip()][-5:]
    return "\n".join(tail) if tail else "(no output)"


def parse_benchmark_output(text: str, exit_status: int | None = 0) -> BenchmarkOutput:
    """Parse one run's combined stdout and stderr.

    ``exit_status`` is the tool's exit status; ``None`` means unknown (a pasted transcript), and
    then the summary line alone decides. A failed run is a :class:`BenchmarkOutputError` that
    carries the tool's error text."""
    lines = _lines(text)
    blocks: list[tuple[int, dict[str, float]]] = []
    summary: dict[str, float] | None = None
    for line in lines:
        if m := _COUNT.match(line):
            blocks.append((int(m["count"]), {k: float(v) for k, v in _PAIR.findall(m["rest"])}))
        elif m := _SUMMARY.match(line):
            entries: dict[str, float] = {}
            for part in m["body"].split(","):
                if (e := _ENTRY.match(part)) and e["key"] in SUMMARY_KEYS:
                    entries[SUMMARY_KEYS[e["key"]]] = float(e["value"])
            if {"init", "warmup", "inference"} <= entries.keys():
                summary = entries
                break  # the count= blocks that matter come before the summary
    if exit_status is not None and exit_status != 0:
        err = _error_text(lines)
        raise BenchmarkOutputError(
            f"benchmark_model failed (exit status {exit_status}): {err}",
            error_text=err,
            exit_status=exit_status,
            raw=text,
        )
    if summary is None:
        err = _error_text(lines)
        raise BenchmarkOutputError(
            f"benchmark_model printed no 'Inference timings in us' summary line: {err}",
            error_text=err,
            exit_status=exit_status,
            raw=text,
        )
    timed = blocks[-1] if blocks else None
    warm = blocks[-2] if len(blocks) >= 2 else None
    stats = timed[1] if timed else {}
    first = summary.get("first")
    if first is None and warm is not None:
        first = warm[1].get("first")
    return BenchmarkOutput(
        init_us=summary["init"],
        first_us=first,
        warmup_avg_us=summary["warmup"],
        inference_avg_us=summary["inference"],
        count=timed[0] if timed else None,
        min_us=stats.get("min"),
        max_us=stats.get("max"),
        std_us=stats.get("std"),
        p5_us=stats.get("p5"),
        median_us=stats.get("median"),
        p95_us=stats.get("p95"),
        warmup_count=warm[0] if warm else None,
        errors=tuple(ln.strip() for ln in lines if _ERROR.match(ln)),
        exit_status=exit_status,
        raw=text,
    )


def split_transcript(text: str) -> list[TranscriptRun]:
    """Cut a terminal transcript (``PROMPT $ ./..benchmark_model --flags`` then output, repeated)
    into runs. Lines before the first prompt (comments) are dropped."""
    runs: list[TranscriptRun] = []
    command: str | None = None
    out: list[str] = []

    def flush() -> None:
        if command is not None:
            flags = {}
            for tok in shlex.split(command)[1:]:
                if tok.startswith("--") and "=" in tok:
                    key, value = tok[2:].split("=", 1)
                    flags[key] = value
            runs.append(TranscriptRun(command=command, flags=flags, output="\n".join(out).strip("\n") + "\n"))

    for line in _lines(text):
        if m := _PROMPT.match(line):
            flush()
            command, out = m["command"].strip(), []
        elif command is not None:
            out.append(line)
    flush()
    return runs
