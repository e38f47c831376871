"""``stdo <stage> ...`` (or ``python -m stdo <stage> ...``): one entry point for every stage.

The stage names are the user's interface and do not follow the package's layout: each maps to
the module whose ``main`` runs it, so a module can move between layers without changing a
command line or a rule's shell line.
"""

from __future__ import annotations

import importlib
import sys

STAGES = {
    "demo": "stdo.video.demo",
    "packaged": "stdo.video.packaged",
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
    "restore": "stdo.workflow.restore",
    "resume": "stdo.workflow.resume",
    "configcheck": "stdo.workflow.configcheck",
    "device.export": "stdo.device.export",
    "device.bench": "stdo.device.bench",
    "device.adb": "stdo.device.adb",
    "device.adb_bench": "stdo.device.adb_bench",
    "device.report": "stdo.device.report",
    "delivery.bundle": "stdo.delivery.bundle",
    "delivery.rate": "stdo.delivery.rate",
    "upscale": "stdo.delivery.client",
    "plan": "stdo.workflow.regime",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in STAGES:
        print("usage: stdo {" + ",".join(STAGES) + "} [options]\n\n" + (__doc__ or ""), file=sys.stderr)
        raise SystemExit(0 if argv and argv[0] in ("-h", "--help") else 2)
    importlib.import_module(STAGES[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    main()
