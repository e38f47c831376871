"""File I/O at the edges: atomic writes, memory-mapped arrays, hashing and provenance sidecars.

Every output is first written under a temporary name in the destination folder and moved
into place with ``os.replace`` only when complete, so an interrupted or failed stage never
leaves a half-written file where the next stage would read it.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stdo.core.errors import StdoError

if TYPE_CHECKING:
    import pandas as pd

CONFIG_ENV = "STDO_CONFIG_SNAPSHOT"
SIDECAR_SUFFIX = ".prov.json"
_HASH_LIMIT = 512 * 2**20  # files larger than this are recorded by size only


def _part_prefix(path: Path) -> str:
    return f".{path.name}."


_PART_OWNER = re.compile(r"^(?P<host>.+)-(?P<pid>\d+)\.[^.]+\.part$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_parts(path: str | Path) -> list[Path]:
    """Remove the temporary files that :func:`atomic_path` left beside ``path`` in an earlier,
    killed run (their writer, named in the file name, is a process of this host that no longer
    runs; files of the older unnamed form too). Returns what was removed."""
    path = Path(path)
    prefix, host = _part_prefix(path), socket.gethostname()
    removed: list[Path] = []
    if not path.parent.is_dir():
        return removed
    for part in path.parent.glob(f"{glob.escape(prefix)}*.part"):
        m = _PART_OWNER.match(part.name[len(prefix) :])
        if m and (m["host"] != host or _alive(int(m["pid"]))):
            continue  # another host's writer, or one still running
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
            removed.append(part)
    return removed


def free_space(path: str | Path) -> str:
    """``"N bytes free in DIR"`` for the folder of ``path``."""
    parent = Path(path).parent
    try:
        return f"{shutil.disk_usage(parent).free:,} bytes free in {parent}"
    except OSError:
        return f"free space in {parent} unknown"


def no_space_error(path: str | Path, needed: int | None = None) -> StdoError:
    """The message of a full disk while writing ``path``: the file, the bytes it needed and the
    bytes free there, and what to do."""
    path = Path(path)
    need = f" needs {needed:,} bytes;" if needed else ""
    return StdoError(
        f"{path}: no space left on device:{need} {free_space(path)}. Free some space there (or "
        "move results/ to a larger disk) and run again; nothing was left half-written"
    )


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place if the block succeeds.

    The temporary file is named after this host and process, so a later writer of ``path``
    removes those a killed run left behind. A full disk is a :class:`StdoError` naming ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(path)
    owner = f"{socket.gethostname()}-{os.getpid()}."
    fd, tmp = tempfile.mkstemp(prefix=_part_prefix(path) + owner, suffix=".part", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield tmp_path
        if tmp_path.exists():
            os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
        os.replace(tmp_path, path)
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise no_space_error(path) from e
        raise
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def write_csv(path: str | Path, df: pd.DataFrame) -> None:
    """Write ``df`` to ``path`` as CSV without its index, atomically (nothing at ``path``, and
    no temporary file beside it, if writing fails)."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def save_array(path: str | Path, array: np.ndarray) -> None:
    """Save an array as ``.npy`` atomically (readable later with ``open_array`` as a memmap)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)


@contextlib.contextmanager
def array_writer(path: str | Path, shape: Sequence[int], dtype: Any) -> Iterator[np.ndarray]:
    """Yield a writable memmap ``.npy`` of ``shape``; it appears at ``path`` only when complete."""
    with atomic_path(path) as tmp:
        arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=tuple(shape))
        try:
            reserve(tmp, path)
        except BaseException:
            del arr  # unmap before the file is removed
            raise
        yield arr
        arr.flush()
        del arr


def reserve(tmp: Path, path: str | Path) -> None:
    """Allocate the whole of (sparse) file ``tmp`` on disk now, so that a full disk is an error
    naming ``path`` and the bytes it needs, not SIGBUS when a memory-mapped page is written."""
    size = tmp.stat().st_size
    fd = os.open(tmp, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise no_space_error(path, size) from e
        if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # a file system that cannot: as before
            raise
    finally:
        os.close(fd)


def remove_orphan_sidecars(root: str | Path) -> list[Path]:
    """Remove provenance sidecars under ``root`` whose file is gone (Snakemake deletes a failed
    job's outputs but not the sidecars they were written with). Returns what was removed."""
    removed: list[Path] = []
    root = Path(root)
    if not root.is_dir():
        return removed
    for side in root.rglob(f"*{SIDECAR_SUFFIX}"):
        target = side.with_name(side.name[: -len(SIDECAR_SUFFIX)])
        if not target.exists():
            with contextlib.suppress(FileNotFoundError):
                side.unlink()
                removed.append(side)
    return removed


def open_array(path: str | Path) -> np.ndarray:
    """Open a ``.npy`` array read-only as a memory map."""
    path = Path(path)
    if not path.exists():
        raise StdoError(f"{path}: file not found")
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as e:
        raise StdoError(f"{path}: not a readable .npy array ({e}); delete it and rerun") from e


def read_image(path: str | Path, hint: str = "") -> np.ndarray:
    """An image file (PNG, ...) as uint8 RGB ``[H, W, 3]``; a missing or unreadable file is a
    :class:`StdoError` naming it, followed by ``hint`` (what to do)."""
    from PIL import Image

    path = Path(path)
    if not path.exists():
        raise StdoError(f"{path}: image missing{hint}")
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except OSError as e:
        raise StdoError(f"{path}: not a readable image ({e}){hint}") from e


def sha256_file(path: str | Path, chunk: int = 2**20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_array(array: np.ndarray, rows: int = 256) -> str:
    """SHA-256 of an array's data bytes in C order (the bytes a ``.npy`` holds after its header),
    read ``rows`` leading-axis entries at a time so that a memory map is never loaded whole."""
    h = hashlib.sha256()
    for i in range(0, len(array), rows):
        h.update(np.ascontiguousarray(array[i : i + rows]).tobytes())
    return h.hexdigest()


def sha256_json(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=_json_default).encode()).hexdigest()


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in ("stdo", "torch", "numpy", "av", "pillow", "scikit-image", "pandas", "snakemake"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_revision(cwd: str | Path | None = None) -> dict[str, Any]:
    """The git commit of the working tree and whether it has uncommitted changes."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10
        )
        if rev.returncode != 0:
            return {"commit": None, "dirty": None}
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"commit": rev.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def describe_input(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        return {"path": str(path), "kind": "directory"}
    size = path.stat().st_size
    return {"path": str(path), "bytes": size, "sha256": sha256_file(path) if size <= _HASH_LIMIT else None}


def resolved_config() -> dict[str, Any] | None:
    """The resolved workflow config, if the Snakefile published a snapshot of it."""
    snap = os.environ.get(CONFIG_ENV)
    if not snap or not Path(snap).exists():
        return None
    return json.loads(Path(snap).read_text())


def write_sidecar(
    output: str | Path,
    *,
    stage: str,
    params: dict[str, Any],
    inputs: Sequence[str | Path] = (),
    seed: int | None = None,
) -> Path:
    """Record how ``output`` was made in ``<output>.prov.json``.

    The sidecar holds the stage, its parameters and seed, the inputs with their hashes,
    the resolved workflow config (when run from Snakemake), package versions, the git
    revision of the working tree, the command line and a UTC timestamp.
    """
    output = Path(output)
    config = resolved_config()
    record = {
        "output": str(output),
        "output_sha256": describe_input(output).get("sha256") if output.is_file() else None,
        "stage": stage,
        "params": params,
        "seed": seed,
        "inputs": [describe_input(p) for p in inputs],
        "config": config,
        "config_sha256": sha256_json(config) if config is not None else None,
        "versions": package_versions(),
        "git": git_revision(),
        "argv": sys.argv,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    side = output.with_name(output.name + SIDECAR_SUFFIX)
    write_json(side, record)
    return side


@contextlib.contextmanager
def stage_errors(stage: str) -> Iterator[None]:
    """Turn :class:`StdoError` into a one-line message on stderr and exit status 2."""
    try:
        yield
    except StdoError as e:
        print(f"stdo {stage}: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except PermissionError as e:
        where = e.filename or "a file"
        print(
            f"stdo {stage}: error: permission denied writing or reading {where}: make it (and its "
            "folder) writable by you, e.g. chmod -R u+w results, or run in a working directory you own",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    except OSError as e:
        if e.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        what = no_space_error(e.filename) if e.filename else "no space left on device; free some and rerun"
        print(f"stdo {stage}: error: {what}", file=sys.stderr)
        raise SystemExit(2) from None
