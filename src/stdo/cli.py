"""``stdo <stage> ...``: one entry point for every stage (same as ``python -m stdo.<stage>``)."""

from __future__ import annotations

import importlib
import sys

STAGES = (
    "demo",
    "packaged",
    "ingest",
    "degrade",
    "patches",
    "pretrain",
    "score",
    "partition",
    "train",
    "evaluate",
    "tables",
    "claims",
    "figures.heatmaps",
    "figures.patch_psnr",
    "figures.crops",
    "figures.clip",
    "figures.paper_vs_run",
    "figures.table_page",
    "ablations",
    "download",
    "checkpoints",
    "restore",
    "resume",
    "configcheck",
    "device.export",
    "device.bench",
    "device.adb",
    "device.adb_bench",
    "device.report",
    "delivery.bundle",
    "delivery.rate",
    "upscale",
    "plan",
)
# commands whose module is not stdo.<command>
MODULES = {"upscale": "delivery.client", "plan": "regime"}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in STAGES:
        print("usage: stdo {" + ",".join(STAGES) + "} [options]\n\n" + (__doc__ or ""), file=sys.stderr)
        raise SystemExit(0 if argv and argv[0] in ("-h", "--help") else 2)
    importlib.import_module(f"stdo.{MODULES.get(argv[0], argv[0])}").main(argv[1:])


if __name__ == "__main__":
    main()
