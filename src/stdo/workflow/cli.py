"""``stdo <command> ...`` (or ``python -m stdo <command> ...``): one entry point for every stage.

The names are the user's interface and do not follow the package's layout: each maps to the
module whose ``main`` runs it, so a module can move between layers without changing a command
line or a rule's shell line. :data:`COMMANDS` are the user's commands (with the line ``stdo
--help`` shows for each); :data:`INTERNAL` are the stages the workflow's rules run, each also
``stdo stage <name> ...``. A name is in one of them, once; adding a stage is one line of
:data:`INTERNAL`. :data:`STAGES` is every name's module, both together.
"""

from __future__ import annotations

import difflib
import importlib
import sys

# the user's commands: name -> (module, what it does in one line)
COMMANDS = {
    "overfit": (
        "stdo.workflow.overfit",
        "overfit your own video: write its config, check it, run it, say where",
    ),
    "upscale": (
        "stdo.delivery.client",
        "play a delivery bundle back: upscale its LR stream to an mp4",
    ),
    "plan": (
        "stdo.workflow.regime",
        "a config's training regime (steps, pixels per parameter) before any run",
    ),
    "configcheck": (
        "stdo.workflow.configcheck",
        "check config overlays, naming the file and line of a mistake",
    ),
    "resume": (
        "stdo.workflow.resume",
        "go on after a killed run: unlock, then rerun what was incomplete",
    ),
    "restore": (
        "stdo.workflow.restore",
        "after git clone: dvc pull the results and mark them up to date",
    ),
    "packaged": (
        "stdo.video.packaged",
        "copy a file shipped in an installed package (a test clip) to a path",
    ),
}

# the stages the workflow's rules run (python -m stdo <stage> in workflow/rules/*.smk): name -> module
INTERNAL = {
    "demo": "stdo.video.demo",
    "ingest": "stdo.video.ingest",
    "degrade": "stdo.video.degrade",
    "patches": "stdo.video.patches",
    "pretrain": "stdo.sr.pretrain",
    "score": "stdo.sr.score",
    "partition": "stdo.sr.partition",
    "train": "stdo.sr.train",
    "evaluate": "stdo.sr.evaluate",
    "tables": "stdo.report.tables",
    "claims": "stdo.report.claims",
    "budget": "stdo.report.budget",
    "figures.heatmaps": "stdo.report.figures.heatmaps",
    "figures.patch_psnr": "stdo.report.figures.patch_psnr",
    "figures.crops": "stdo.report.figures.crops",
    "figures.clip": "stdo.report.figures.clip",
    "figures.paper_vs_run": "stdo.report.figures.paper_vs_run",
    "figures.table_page": "stdo.report.figures.table_page",
    "ablations": "stdo.report.ablations",
    "download": "stdo.video.download",
    "checkpoints": "stdo.models.weights",
    "device.export": "stdo.device.export",
    "device.bench": "stdo.device.bench",
    "device.adb": "stdo.device.adb",
    "device.adb_bench": "stdo.device.adb_bench",
    "device.report": "stdo.device.report",
    "delivery.bundle": "stdo.delivery.bundle",
    "delivery.rate": "stdo.delivery.rate",
}


def stages() -> dict[str, str]:
    """Every name's module: the user's commands and the internal stages (a name is one of them)."""
    both = set(COMMANDS) & set(INTERNAL)
    if both:
        raise AssertionError(f"{', '.join(sorted(both))}: both a user command and an internal stage")
    return {name: module for name, (module, _) in COMMANDS.items()} | INTERNAL


STAGES = stages()  # what a rule's `python -m stdo <name>` may name

STAGE = "stage"  # ``stdo stage <name> ...``: an internal stage by its name


def _columns(names: list[str], width: int = 96, indent: str = "  ") -> list[str]:
    """``names`` in lines of at most ``width`` characters."""
    lines, line = [], indent
    for name in names:
        if len(line) + len(name) + 1 > width and line.strip():
            lines.append(line.rstrip())
            line = indent
        line += name + " "
    return [*lines, line.rstrip()] if line.strip() else lines


def usage() -> str:
    """What ``stdo --help`` prints: the user's commands, one line each, then the internal stages."""
    pad = max(map(len, COMMANDS)) + 2
    return "\n".join(
        [
            "usage: stdo <command> [options]      (stdo <command> --help: its options)",
            "",
            "commands:",
            *(f"  {name:<{pad}}{line}" for name, (_, line) in COMMANDS.items()),
            "",
            "internal stages (what the workflow's rules run; also stdo stage <name> [options]):",
            *_columns(list(INTERNAL)),
            "",
            "Run the whole workflow with snakemake (snakemake --cores 8 tables), or your own video with",
            "stdo overfit VIDEO. STDO_PROGRESS=0 (or CI set) turns the progress bars off.",
        ]
    )


def _unknown(name: str, names: list[str], what: str) -> str:
    near = difflib.get_close_matches(name, names, n=1)
    return f"stdo: unknown {what} {name!r}" + (f" (did you mean {near[0]!r}?)" if near else "")


def _stage(argv: list[str]) -> None:
    """``stdo stage <name> ...``: run internal stage ``name`` with the arguments after it."""
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: stdo stage <name> [options]\n\ninternal stages:", file=sys.stderr)
        print("\n".join(_columns(list(INTERNAL))), file=sys.stderr)
        raise SystemExit(0 if argv else 2)
    name = argv[0]
    if name in COMMANDS:
        raise SystemExit(f"stdo: {name} is a user command, not an internal stage: run stdo {name} ...")
    if name not in INTERNAL:
        print(_unknown(name, list(INTERNAL), "stage") + "\n", file=sys.stderr)
        print("internal stages:\n" + "\n".join(_columns(list(INTERNAL))), file=sys.stderr)
        raise SystemExit(2)
    importlib.import_module(INTERNAL[name]).main(argv[1:])


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == STAGE:
        _stage(argv[1:])
        return
    if argv and argv[0] in stages():
        importlib.import_module(stages()[argv[0]]).main(argv[1:])
        return
    asked = bool(argv) and argv[0] in ("-h", "--help")
    if argv and not asked:
        print(_unknown(argv[0], [*COMMANDS, STAGE, *INTERNAL], "command") + "\n", file=sys.stderr)
    print(usage(), file=sys.stdout if asked else sys.stderr)
    raise SystemExit(0 if asked else 2)


if __name__ == "__main__":
    main()
