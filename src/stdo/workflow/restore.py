"""After ``git clone``: fetch the versioned results with DVC and make Snakemake trust them.

``stdo restore [--configfile FILE ...] [--target T] [--no-pull]`` runs ``dvc pull`` and then
``snakemake --touch`` on the same target and configuration, and finally a dry run that prints
what is left to do (nothing, when the pulled results match the code and config).

Why: DVC writes pulled files with fresh modification times in arbitrary order, and a fresh clone
has no ``.snakemake/`` records, so Snakemake would see inputs newer than outputs and retrain.
Touching marks the pulled outputs up to date in dependency order; files that were not pulled
(missing) are still made by the next run. Only touch results that came from the same commit's
``dvc.lock``: that is what ``dvc pull`` restores.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from stdo.core.errors import StdoError


def _run(cmd: list[str], cwd: Path) -> None:
    print("+ " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, cwd=cwd)
    if proc.returncode != 0:
        raise StdoError(f"{' '.join(cmd[:4])} ... failed (exit {proc.returncode}); see its output above")


def snakemake_cmd(repo: Path, workdir: Path, target: str, configfiles: list[str], *extra: str) -> list[str]:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "-d", str(workdir)]
    cmd += ["--cores", "1", target, *extra]
    if configfiles:
        cmd += ["--configfile", *configfiles]  # last: it takes several values
    return cmd


def check_dvc(dvc: str, workdir: Path) -> None:
    """Say what is missing before ``dvc pull`` (whose own words are "Everything is up to date"
    and "Checkout failed"): a DVC repository, a remote, a ``dvc.lock`` in this commit."""
    if not (workdir / ".dvc").is_dir():
        raise StdoError(
            f"{workdir} is not a DVC repository (no .dvc/): where the results were made, run "
            "dvc init && dvc remote add -d store <remote> (see README, 'Share results with DVC')"
        )
    remotes = subprocess.run([dvc, "remote", "list"], cwd=workdir, capture_output=True, text=True)
    if remotes.returncode == 0 and not remotes.stdout.strip():
        raise StdoError(
            "this DVC repository has no remote to pull from: dvc remote add -d store <remote> "
            "(a directory, s3://..., ...), the one the results were pushed to"
        )
    if not (workdir / "dvc.lock").exists():
        raise StdoError(
            f"{workdir / 'dvc.lock'} is missing in this commit, so DVC knows no results to pull: where "
            "they were made, run dvc commit -f pipeline && dvc push && git add dvc.lock .dvc && "
            "git commit, then pull that commit here"
        )


def restore(repo: Path, workdir: Path, target: str, configfiles: list[str], pull: bool = True) -> None:
    if pull:
        beside = Path(sys.executable).with_name("dvc")  # the same environment, even when not activated
        dvc = str(beside) if beside.exists() else shutil.which("dvc")
        if dvc is None:
            raise StdoError("dvc is not installed: pip install 'stdo[dvc]' (or dvc[s3], dvc[gs], ...)")
        check_dvc(dvc, workdir)
        _run([dvc, "pull"], workdir)
    _run(snakemake_cmd(repo, workdir, target, configfiles, "--touch", "--quiet", "rules"), workdir)
    _run(snakemake_cmd(repo, workdir, target, configfiles, "--dry-run"), workdir)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo restore", description=__doc__)
    p.add_argument("--configfile", nargs="*", default=[], help="the overlays the results were made with")
    p.add_argument("--target", default="tables")
    p.add_argument("--no-pull", action="store_true", help="only mark existing results up to date")
    p.add_argument("--directory", type=Path, default=Path("."), help="the project checkout")
    args = p.parse_args(argv)
    repo = args.directory.resolve()
    if not (repo / "Snakefile").exists():
        raise SystemExit(f"stdo restore: {repo} has no Snakefile; run it in the project checkout")
    try:
        restore(repo, repo, args.target, args.configfile, pull=not args.no_pull)
    except StdoError as e:
        raise SystemExit(f"stdo restore: {e}") from None


if __name__ == "__main__":
    main()
