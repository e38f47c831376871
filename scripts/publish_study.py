"""Copy a finished study's small results into the repository, for readers who do not rerun it.

    python scripts/publish_study.py --results /path/to/workdir/results --out docs/studies/converge

Copies the tables (CSV and Markdown: Tables 1-4, the claims, the budget sweep, the regime), the
budget figure (PNG) and the resolved config the run's sidecars point to, and writes
``provenance.json``: the git revision and config sha256 the claims table was made with (from its
sidecar) and what was copied. Refuses a results folder without a claims table, and never copies
models or patches (the folder stays small: a few hundred kB).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

TABLES = ["table1", "table2", "table3", "table4", "claims", "budget", "regime"]
FIGURES = ["budget.png"]


def publish(results: Path, out: Path) -> list[str]:
    claims = results / "tables" / "claims.csv"
    if not claims.is_file():
        raise SystemExit(f"{claims}: not found; run the study's tables target first")
    side = json.loads((results / "tables" / "claims.csv.prov.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in TABLES:
        for ext in ("csv", "md"):
            src = results / "tables" / f"{name}.{ext}"
            if src.is_file():
                shutil.copyfile(src, out / src.name)
                copied.append(src.name)
    for name in FIGURES:
        src = results / "figures" / name
        if src.is_file():
            shutil.copyfile(src, out / name)
            copied.append(name)
    snapshot = results / ".provenance" / f"config-{side['config_sha256'][:16]}.json"
    snapshots = [snapshot] if snapshot.is_file() else sorted((results / ".provenance").glob("config-*.json"))
    if snapshots:
        shutil.copyfile(snapshots[-1], out / "config.json")
        copied.append("config.json")
    provenance = {
        "git": side.get("git"),
        "config_sha256": side.get("config_sha256"),
        "created_utc": side.get("created_utc"),
        "versions": side.get("versions"),
        "files": copied,
    }
    (out / "provenance.json").write_text(json.dumps(provenance, indent=1, sort_keys=True) + "\n")
    return copied


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", required=True, type=Path, help="the study's results/ folder")
    p.add_argument("--out", required=True, type=Path, help="e.g. docs/studies/converge")
    args = p.parse_args(argv)
    copied = publish(args.results, args.out)
    print(f"{len(copied)} files to {args.out}: {', '.join(copied)}", file=sys.stderr)


if __name__ == "__main__":
    main()
