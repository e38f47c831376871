"""``stdo overfit VIDEO``: overfit your own video, in one command.

It writes the own-video overlay (``config/overfit_<name>.yaml``: the video with ``fit: crop``,
the scales and a patch grid for its size, and what the options change) atomically, after
checking it with :mod:`stdo.workflow.configcheck` and the workflow's own checks (backbone and
method names, the video's length); then runs Snakemake on the ``tables`` target and the video's
delivery bundles, and prints where the tables, the claims and the bundles are. ``--dry-run``
writes the overlay and shows what Snakemake would run. A run that stops goes on with the same
command (or ``stdo resume --cores N tables --configfile config/overfit_<name>.yaml``).

The patch grid, unless ``--grid`` sets it: LR patches of about the paper's size (48 x 54 LR
pixels: its 1080p grids, x2 20x10 and x4 10x5), at least 2 x 2 at the largest scale, and at
each smaller scale that divides it the same HR patches (so every scale crops the frame alike).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from stdo.core import io
from stdo.core.checkout import CHECKOUT
from stdo.core.errors import StdoError
from stdo.workflow import configcheck, paths, resume
from stdo.workflow.plan import CRF_SUFFIX, HELDOUT_SUFFIX, Plan

NAME = re.compile(r"^[A-Za-z0-9_]+$")  # the schema's and the rules' wildcard's video name
PATCH = (48, 54)  # the paper's LR patch (width, height): 1080p at x2 in 20x10, at x4 in 10x5
HEADER = "# stdo overfit:"  # the first line of an overlay this command wrote


def probe(video: Path) -> tuple[int, int, int | None]:
    """Width and height of ``video`` as shown (a display matrix's quarter turn applied), and its
    frame count where the container says; a :class:`StdoError` saying what to do when PyAV cannot
    open the file or decode a frame of it."""
    import av  # not at import: stdo --help and stdo plan do without PyAV

    if not video.exists():
        raise StdoError(f"{video}: no such file; check the path (a relative one is read from {Path.cwd()})")
    if not video.is_file():
        raise StdoError(f"{video}: is a directory, not a video file; give the video file itself")
    fix = f"re-encode it (ffmpeg -i '{video}' -c:v libx264 -crf 18 clip.mp4) and give that file"
    try:
        with av.open(str(video)) as container:
            if not container.streams.video:
                raise StdoError(f"{video}: has no video stream (audio only?); give a video file")
            stream = container.streams.video[0]
            frame = next(container.decode(stream), None)
            count = int(stream.frames) or None
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as e:
        raise StdoError(f"{video}: not a video PyAV can open ({e}); if it is one, {fix}") from e
    if frame is None:
        raise StdoError(f"{video}: no frame of it decodes; {fix}")
    turned = (getattr(frame, "rotation", 0) or 0) % 180 != 0
    width, height = (frame.height, frame.width) if turned else (frame.width, frame.height)
    return int(width), int(height), count


def default_grids(width: int, height: int, scales: Sequence[int]) -> dict[str, list[int]]:
    """The patch grid (cols, rows of the LR frame) per scale for a ``width`` x ``height`` video
    (see the module's docstring)."""
    top = max(scales)
    cols = max(2, round(width / top / PATCH[0]))
    rows = max(2, round(height / top / PATCH[1]))
    out = {}
    for s in sorted(scales):
        if top % s == 0:
            out[f"x{s}"] = [cols * top // s, rows * top // s]
        else:
            out[f"x{s}"] = [max(2, round(width / s / PATCH[0])), max(2, round(height / s / PATCH[1]))]
        cols_s, rows_s = out[f"x{s}"]
        if width // s // cols_s < 4 or height // s // rows_s < 4:
            raise StdoError(
                f"the video is {width}x{height}: at x{s} a {cols_s}x{rows_s} patch grid of its LR frame "
                f"({width // s}x{height // s}) makes patches under 4 pixels; use a smaller --scale"
            )
    return out


def parse_grid(values: Sequence[str], scales: Sequence[int]) -> dict[str, list[int]]:
    """``--grid SCALE=COLSxROWS`` values as the config's ``patch_grid``."""
    out = {}
    for v in values:
        m = re.fullmatch(r"x?(\d+)=(\d+)x(\d+)", v.strip())
        if not m:
            raise StdoError(f"--grid {v!r}: write SCALE=COLSxROWS, e.g. --grid 2=20x10")
        scale, cols, rows = map(int, m.groups())
        if scale not in scales:
            raise StdoError(
                f"--grid {v!r}: x{scale} is not one of the scales ({', '.join(map(str, scales))})"
            )
        out[f"x{scale}"] = [cols, rows]
    return out


def video_name(video: Path, name: str | None) -> str:
    """``name``, or one made from the file's name; a name the workflow cannot use is refused."""
    if name is None:
        name = re.sub(r"[^A-Za-z0-9_]+", "_", video.stem).strip("_") or "video"
    if not NAME.match(name):
        raise StdoError(
            f"--name {name!r}: a video's name is letters, digits and _ (it names result folders); "
            f"e.g. --name {re.sub(r'[^A-Za-z0-9_]+', '_', name).strip('_') or 'myclip'}"
        )
    if name.endswith(HELDOUT_SUFFIX) or re.search(re.escape(CRF_SUFFIX) + r"\d+$", name):
        raise StdoError(
            f"--name {name!r}: names ending in {HELDOUT_SUFFIX} or {CRF_SUFFIX}<number> are the workflow's "
            "own (held-out frames, other LR qualities); pick another --name"
        )
    return name


def check_name_is_free(name: str, video: Path, workdir: Path) -> None:
    """Refuse ``name`` where ``workdir``'s results already hold another video of that name."""
    meta = workdir / paths.META.format(video=name)
    if not meta.is_file():
        return
    try:
        known = json.loads(meta.read_text())
    except (OSError, ValueError):
        return
    source = str(known.get("source") or "")
    if source and Path(source).resolve() == video.resolve():
        return
    if known.get("source_sha256") and known["source_sha256"] == io.sha256_file(video):
        return  # the same file, moved
    raise StdoError(
        f"--name {name}: {meta.parent} already holds the results of another video "
        f"({source or 'unknown source'}); "
        f"pick another --name, or remove {meta.parent} to reuse the name"
    )


def _backbones(config: Mapping[str, Any], names: Sequence[str] | None, epochs: float | None) -> list[dict]:
    """The config's backbone entries named ``names`` (all when None; a name the config does not
    set up gets lr 1e-3 and 10 epochs, the demo's), with ``epochs`` when given."""
    known = {b["name"]: dict(b) for b in config["backbones"]}
    chosen = [known.get(n, {"name": n, "lr": 1.0e-3, "epochs": 10}) for n in (names or list(known))]
    if epochs is not None and float(epochs).is_integer():
        epochs = int(epochs)
    return [b | {"epochs": epochs} if epochs is not None else b for b in chosen]


def build_overlay(
    video: Path,
    name: str,
    size: tuple[int, int],
    config: Mapping[str, Any],
    *,
    scales: Sequence[int],
    grid: Sequence[str] = (),
    backbones: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    epochs: float | None = None,
    seeds: Sequence[int] | None = None,
    frames: tuple[int, int] | None = None,
    ablations: bool = True,
) -> dict[str, Any]:
    """The own-video overlay for ``video`` (``size``: its shown width and height) on ``config``
    (the base config with any other overlays merged)."""
    if not scales or any(s < 2 for s in scales):
        raise StdoError(
            f"--scale {' '.join(map(str, scales))}: give upscaling factors of 2 or more, e.g. --scale 2 4"
        )
    scales = sorted(set(scales))
    entry: dict[str, Any] = {"name": name, "source": str(video.resolve()), "fit": "crop"}
    entry["frames"] = list(frames) if frames else None
    overlay: dict[str, Any] = {"videos": [entry], "scales": scales}
    overlay["patch_grid"] = default_grids(*size, scales) | parse_grid(grid, scales)
    if backbones is not None or epochs is not None:
        overlay["backbones"] = _backbones(config, backbones, epochs)
    if methods is not None:
        overlay["methods"] = list(methods)
    if seeds is not None:
        overlay["train"] = {"seeds": list(seeds)}
    if not ablations:
        overlay["ablations"] = dict.fromkeys(config.get("ablations") or {})
    return overlay


def overlay_text(overlay: Mapping[str, Any], command: str, configfiles: Sequence[str]) -> str:
    """The overlay file: a header naming the video and the commands that run it, then the keys."""
    return (
        f"{HEADER} {overlay['videos'][0]['source']}\n"
        f"# written by: {command}\n"
        "# an overlay on config/config.yaml (README: Your own video); run that command again to go on, or\n"
        f"# snakemake --cores 8 tables --configfile {' '.join(map(_quote, configfiles))}\n"
        + yaml.safe_dump(dict(overlay), sort_keys=False, default_flow_style=None)
    )


def check_out_file(out: Path, source: str, force: bool) -> None:
    """Refuse to replace ``out`` unless it is this command's overlay of the same video (or ``force``)."""
    if force or not out.exists():
        return
    if out.is_dir():
        raise StdoError(f"--out {out}: is a directory; give a file path such as {out / 'overfit.yaml'}")
    first = out.read_text(errors="replace").partition("\n")[0]
    if first != f"{HEADER} {source}":
        what = (
            "another video's stdo overfit overlay"
            if first.startswith(HEADER)
            else "a file stdo overfit did not write"
        )
        raise StdoError(f"--out {out}: is {what}; pick another --name or --out, or replace it with --force")


def targets(plan: Plan, name: str) -> tuple[list[str], list[str]]:
    """The Snakemake targets: ``tables`` and the delivery bundles of video ``name``."""
    bundles = [
        paths.BUNDLE.format(video=v, scale=s, backbone=b, method=m)
        for v, s, b, m in plan.delivery_evals()
        if plan.curve_of(v) == name or v == name
    ]
    return ["tables", *bundles], bundles


def report(workdir: Path, plan: Plan, name: str, bundles: Sequence[str], out: Path) -> list[str]:
    """The lines saying where the results are (every path checked to exist)."""
    tables = [workdir / f for f in plan.table_files() if f.endswith(".md")]
    claims = workdir / f"{paths.CLAIMS}.md"
    missing = [p for p in [*tables, claims, *(workdir / b for b in bundles)] if not p.exists()]
    if missing:
        raise StdoError(f"snakemake finished but {missing[0]} is not there; see Snakemake's output above")
    lines = [
        "tables:  " + ", ".join(str(t) for t in tables) + " (and .csv beside each)",
        f"claims:  {claims}",
    ]
    if bundles:
        shown = [workdir / b for b in bundles]
        lines += [f"bundles: {shown[0]}", *(f"         {b}" for b in shown[1:8])]
        if len(shown) > 8:
            lines.append(f"         ... {len(shown)} in all, under {shown[0].parents[3]}")
        lines.append(f"         play one back: stdo upscale {shown[0]} -o {name}_upscaled.mp4")
    lines += [f"figures: {workdir / paths.FIGURES}", f"config:  {out}"]
    return headline(workdir / f"{paths.TABLE.format(n=2)}.csv", name) + lines


def headline(table2: Path, name: str) -> list[str]:
    """Per scale and backbone, Table 2's best overfitted model of video ``name`` against bicubic
    upscaling (nothing when the config builds no Table 2)."""
    import pandas as pd

    if not table2.exists():
        return []
    t = pd.read_csv(table2)
    t = t[(t["video"] == name) & ~t["method"].isin(["bicubic", "f0"])].dropna(subset=["psnr_db"])
    out = []
    for (scale, backbone), cell in t.groupby(["scale", "backbone"], sort=True):
        best = cell.loc[cell["psnr_db"].idxmax()]
        k = f" k={int(best['k'])}" if pd.notna(best.get("k")) else ""
        gain = best["vs_bicubic_db"]
        vs = f" ({gain:+.2f} dB against bicubic)" if pd.notna(gain) else ""
        if pd.notna(gain) and gain < 0:
            vs += "; below bicubic: train longer (--epochs), or start from the generic model (train.init)"
        out.append(f"best x{scale} {backbone}: {best['method']}{k} {best['psnr_db']:.2f} dB{vs}")
    return out


def run(argv: Sequence[str], args: argparse.Namespace, passthrough: Sequence[str]) -> None:
    workdir = (args.workdir or Path.cwd()).resolve()
    snakefile = CHECKOUT / "Snakefile"
    video = args.video.expanduser()
    size = probe(video)[:2]
    name = video_name(video, args.name)
    extra = [Path(f).resolve() for f in args.configfile]
    out = args.out or Path("config") / f"overfit_{name}.yaml"
    out = (out if out.is_absolute() else workdir / out).resolve()
    check_out_file(out, str(video.resolve()), args.force)
    check_name_is_free(name, video, workdir)
    base = configcheck.check_files(extra)  # each file's YAML and keys, naming the file and line
    frames = None
    if args.frames:
        m = re.fullmatch(r"(\d+):(\d+)", args.frames)
        if not m or int(m[2]) <= int(m[1]):
            raise StdoError(f"--frames {args.frames!r}: write START:STOP (frames [START, STOP)), e.g. 0:300")
        frames = (int(m[1]), int(m[2]))
    overlay = build_overlay(
        video,
        name,
        size,
        base,
        scales=args.scale,
        grid=args.grid,
        backbones=args.backbone,
        methods=args.methods,
        epochs=args.epochs,
        seeds=args.seeds,
        frames=frames,
        ablations=not args.no_ablations,
    )
    config = configcheck.merge(base, overlay)
    configcheck.check_config(config, configcheck.SCHEMA, [configcheck.BASE, *extra, out])
    from stdo.core import plugins

    plugins.activate(config.get("plugins", []))
    plan = Plan(config).check()  # backbone and method names, the video's length, as the workflow does
    command = "stdo overfit " + " ".join(_quote(a) for a in argv if a not in ("-n", "--dry-run"))
    io.write_text(out, overlay_text(overlay, command, [*map(str, extra), str(out)]))
    print(f"stdo overfit: wrote {out} ({name}: {size[0]}x{size[1]}, patch grid {overlay['patch_grid']})")
    goals, bundles = targets(plan, name)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "-d", str(workdir)]
    alive = resume.running_snakemakes(workdir)
    if alive:
        raise StdoError(
            f"Snakemake is already running in {workdir} (pid {', '.join(map(str, alive))}): wait for it, "
            "or stop it and run stdo overfit again"
        )
    if not args.dry_run and any((workdir / ".snakemake" / "locks").glob("*")):
        # a killed run's lock (no Snakemake runs here): go on from it, as stdo resume does
        subprocess.run([*cmd, "--unlock"], cwd=workdir, check=False, capture_output=True)
    cmd += ["--cores", str(args.cores or os.cpu_count() or 1), "--rerun-incomplete"]
    cmd += ["-n"] if args.dry_run else []
    cmd += [*goals, "--configfile", *map(str, extra), str(out), *passthrough]
    shown = [a for a in cmd[2:] if a not in bundles]
    print("+ " + " ".join(map(_quote, shown)) + (f" <{len(bundles)} bundles>" if bundles else ""), flush=True)
    try:
        proc = subprocess.run(cmd, cwd=workdir)
    except KeyboardInterrupt:
        raise StdoError("interrupted; run the same command again to go on from where it stopped") from None
    if proc.returncode != 0:
        raise StdoError(
            f"snakemake failed (exit {proc.returncode}); see its output above (each job's log is under "
            f"{workdir / paths.LOGS}); fix it and run the same command again to go on"
        )
    if args.dry_run:
        print(f"stdo overfit: dry run; nothing ran. Run it without --dry-run to train (config: {out})")
        return
    print(f"stdo overfit: {name} done")
    for line in report(workdir, plan, name, bundles, out):
        print("  " + line)


def _quote(word: str) -> str:
    return word if re.fullmatch(r"[\w./:=,+@%-]+", word) else "'" + word.replace("'", "'\\''") + "'"


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    own, passthrough = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    )
    p = argparse.ArgumentParser(
        prog="stdo overfit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Arguments after -- go to snakemake as they are (e.g. -- --resources gpu=1).",
    )
    p.add_argument("video", type=Path, help="the video file (any file PyAV reads)")
    p.add_argument("--name", help="the video's name in results and tables (default: from the file name)")
    p.add_argument("--scale", type=int, nargs="+", default=[2, 4], help="upscaling factors (default: 2 4)")
    p.add_argument(
        "--grid", action="append", default=[], metavar="SCALE=COLSxROWS", help="a scale's patch grid"
    )
    p.add_argument("--backbone", nargs="+", help="backbones to train (default: the config's, espcn and wdsr)")
    p.add_argument("--methods", nargs="+", help="methods (default: awdnn nas cafm stdo jstdo)")
    p.add_argument("--epochs", type=float, help="epochs of every backbone (default: the config's)")
    p.add_argument("--seeds", type=int, nargs="+", help="training seeds (default: 0 1)")
    p.add_argument("--frames", help="START:STOP: use frames [START, STOP) of the video only")
    p.add_argument("--no-ablations", action="store_true", help="skip the Figure 6/7 ablations (faster)")
    p.add_argument(
        "--configfile",
        nargs="+",
        default=[],
        help="overlays the generated one goes on top of (e.g. config/cpu.yaml)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="the overlay to write (default: config/overfit_<name>.yaml; relative to --workdir)",
    )
    p.add_argument("--force", action="store_true", help="replace --out even if it is another video's")
    p.add_argument("--workdir", type=Path, help="Snakemake's working directory (default: here)")
    p.add_argument("--cores", type=int, help="snakemake --cores (default: every CPU)")
    p.add_argument("-n", "--dry-run", action="store_true", help="write the overlay, show what would run")
    args = p.parse_args(own)
    try:
        run(argv, args, passthrough)
    except StdoError as e:
        raise SystemExit(f"stdo overfit: error: {e}") from None


if __name__ == "__main__":
    main()
