"""``stdo resume [snakemake arguments]``: go on after a run was killed, in one command.

A run whose whole process tree was killed (SIGKILL, a lost session, a node taken away) leaves
Snakemake's lock and its records of unfinished jobs behind, so the same command first fails
with IncompleteFilesException and then LockException. ``stdo resume`` checks that no Snakemake
is still running in this working directory (an orphan would be unlocked under), then runs
``snakemake --unlock`` and ``snakemake --rerun-incomplete`` with the arguments given, e.g.
``stdo resume --cores 8 tables --configfile my-video.yaml``. Each interrupted model continues
from its resume state; a trainer still running (an orphan) holds its unit's lock, and the rerun's
trainer of that unit stops naming it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from stdo.core.errors import StdoError
from stdo.workflow import configcheck


def running_snakemakes(workdir: Path) -> list[int]:
    """Process ids of Snakemake runs (other than this process) whose working directory is ``workdir``."""
    workdir, out = workdir.resolve(), []
    for proc in Path("/proc").glob("[0-9]*"):
        if int(proc.name) == os.getpid():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            cwd = Path(os.readlink(proc / "cwd"))
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv if a]
        if not any(Path(w).name == "snakemake" or w == "snakemake" for w in words):
            continue
        where = Path(words[words.index("-d") + 1]) if "-d" in words[:-1] else Path(".")
        if (cwd / where).resolve() == workdir:
            out.append(int(proc.name))
    return out


def resume(repo: Path, workdir: Path, args: list[str]) -> None:
    alive = running_snakemakes(workdir)
    if alive:
        raise StdoError(
            f"Snakemake is still running in {workdir} (pid {', '.join(map(str, alive))}): wait for it, "
            f"or stop it (kill {' '.join(map(str, alive))}) and run stdo resume again"
        )
    base = [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "-d", str(workdir)]
    for extra in (["--unlock"], ["--rerun-incomplete"]):
        cmd = [*base, *extra, *args]
        print("+ " + " ".join(cmd[2:]), flush=True)
        proc = subprocess.run(cmd, cwd=workdir)
        if proc.returncode != 0:
            raise StdoError(f"snakemake {extra[0]} failed (exit {proc.returncode}); see its output above")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo resume", description=__doc__, add_help=False)
    p.add_argument("-h", "--help", action="help")
    p.add_argument("--directory", type=Path, default=Path("."), help="the project checkout")
    p.add_argument("--workdir", type=Path, default=None, help="Snakemake's working directory (the checkout)")
    args, rest = p.parse_known_args(argv)
    repo = args.directory.resolve()
    if not (repo / "Snakefile").exists():
        raise SystemExit(f"stdo resume: {repo} has no Snakefile; run it in the project checkout")
    try:
        for f in configcheck.configfile_args(rest):  # before Snakemake reads them, naming the line
            configcheck.load_file(f if Path(f).is_absolute() else (args.workdir or repo) / f)
        resume(repo, (args.workdir or repo).resolve(), rest)
    except StdoError as e:
        raise SystemExit(f"stdo resume: error: {e}") from None


if __name__ == "__main__":
    main()
