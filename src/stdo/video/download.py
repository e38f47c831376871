"""Fetch a dataset archive (VSD4K clips, DIV2K), verify it, and unpack it into place.

Sources (``downloads.<dataset>`` in the config):

- ``http``: any http(s) mirror; ``url`` is a template with ``{archive}``.
- ``gdrive``: a Google Drive folder (``gdrive_folder``, files matched by name) or explicit file
  ids (``gdrive_ids``), fetched through gdown.
- ``local``: a directory the user already has, holding the archives or the unpacked items.

Guarantees: the archive is written to ``<name>.part`` and resumed with HTTP ``Range`` after a
cut connection; it is renamed into place only when whole and its SHA-256 matches the manifest
(``sha256sum`` format: ``<hex>  <archive>``); it is unpacked into a temporary directory and
moved to the item's directory only when complete. A network error, Google's rate limit, a
checksum mismatch or a missing file stops with a message and exit status 2, and leaves
nothing at the item's directory. Archives whose name is not in the manifest are refused unless
``unknown_checksums: record``, which appends the computed checksum (trust on first use).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stdo.core import io
from stdo.core.errors import StdoError

GOOGLE_RATE_LIMIT = "Too many users have viewed or downloaded this file recently"
RATE_LIMIT_ADVICE = (
    "Google Drive's download quota for this file is exhausted (\"Too many users have viewed or "
    'downloaded this file recently"). Wait up to 24 hours and run again (the download resumes), '
    "or copy the file to your own Drive, or use a mirror (source: http) or a local copy (source: local)."
)
CHUNK = 1 << 20


@dataclass
class Source:
    """Where a dataset's archives come from (one ``downloads.<dataset>`` config entry)."""

    kind: str
    archive: str = "{item}.zip"
    url: str | None = None
    gdrive_folder: str | None = None
    gdrive_ids: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    manifest: str | None = None
    unknown_checksums: str = "fail"
    retries: int = 5
    timeout_s: float = 60.0

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> Source:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise StdoError(f"download source: unknown keys {unknown}")
        src = cls(**cfg)
        if src.kind not in ("http", "gdrive", "local"):
            raise StdoError(f"download source kind {src.kind!r}: use http, gdrive or local")
        if src.kind == "http" and not src.url:
            raise StdoError("download source http needs url (a template with {archive})")
        if src.kind == "gdrive" and not (src.gdrive_folder or src.gdrive_ids):
            raise StdoError(
                "download source gdrive needs gdrive_folder (the id in the folder's share link) "
                "or gdrive_ids ({archive: file id})"
            )
        if src.kind == "local" and not src.path:
            raise StdoError("download source local needs path (a directory)")
        return src


# --- checksum manifest -------------------------------------------------------------------------


def read_manifest(path: str | Path | None) -> dict[str, str]:
    """``{archive name: sha256}`` from a ``sha256sum``-format file (missing file: empty)."""
    if not path or not Path(path).exists():
        return {}
    out = {}
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise StdoError(f"{path}:{n}: expected '<sha256>  <file name>', got {line!r}")
        out[parts[1].lstrip("*").strip()] = parts[0].lower()
    return out


def record_checksum(path: str | Path, name: str, digest: str) -> None:
    """Append one entry to the manifest (atomically: old entries plus the new one)."""
    old = Path(path).read_text() if Path(path).exists() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    io.write_text(path, f"{old}{digest}  {name}\n")


def verify(archive: Path, name: str, source: Source) -> str:
    """Check ``archive`` against the manifest entry for ``name``; return its SHA-256."""
    digest = io.sha256_file(archive)
    expected = read_manifest(source.manifest).get(name)
    if expected is None:
        if source.unknown_checksums != "record":
            raise StdoError(
                f"{name}: no checksum in the manifest {source.manifest}; add the line "
                f"'{digest}  {name}' if you trust this file, or set unknown_checksums: record"
            )
        if source.manifest:
            record_checksum(source.manifest, name, digest)
        print(f"{name}: sha256 {digest} recorded in {source.manifest} (trust on first use)")
    elif expected != digest:
        raise StdoError(
            f"{name}: checksum mismatch: the manifest {source.manifest} says {expected}, the "
            f"downloaded file has {digest}. The file was deleted; run again to download it anew, "
            "or check the mirror"
        )
    return digest


# --- transports --------------------------------------------------------------------------------


def _looks_like_rate_limit(body: bytes) -> bool:
    return GOOGLE_RATE_LIMIT.encode() in body or b"Quota exceeded" in body


def fetch_http(url: str, dest: Path, *, retries: int = 5, timeout_s: float = 60.0) -> Path:
    """Download ``url`` to ``dest``, resuming ``dest.part`` with HTTP Range after a cut.

    Raises :class:`StdoError` on HTTP errors, on Google's rate-limit page, and when the
    connection keeps failing after ``retries`` attempts (the ``.part`` file is kept so the
    next run resumes)."""
    part = dest.with_name(dest.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    last_error: Exception | None = None
    for attempt in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        req = urllib.request.Request(url, headers={"User-Agent": "stdo-download"})
        if have:
            req.add_header("Range", f"bytes={have}-")
        try:
            with urllib.request.urlopen(req, timeout=timeout_s) as resp:
                ctype = resp.headers.get("Content-Type", "")
                if ctype.startswith("text/html"):
                    body = resp.read(1 << 20)
                    if _looks_like_rate_limit(body):
                        raise StdoError(f"{url}: {RATE_LIMIT_ADVICE}")
                    raise StdoError(
                        f"{url}: the server sent a web page, not the archive (a login or "
                        "confirmation page?); check the URL"
                    )
                if have and resp.status != 206:
                    have = 0  # server ignored Range: start over
                total = resp.headers.get("Content-Length")
                total = int(total) + have if total is not None else None
                with open(part, "ab" if have else "wb") as f:
                    while True:
                        chunk = resp.read(CHUNK)
                        if not chunk:
                            break
                        f.write(chunk)
                size = part.stat().st_size
                if total is not None and size < total:
                    raise http.client.IncompleteRead(b"", total - size)
            os.replace(part, dest)
            return dest
        except urllib.error.HTTPError as e:
            if e.code == 416 and part.exists():  # range beyond the end: the part is whole
                os.replace(part, dest)
                return dest
            if e.code == 429 or (e.code == 403 and _looks_like_rate_limit(e.read(1 << 20))):
                raise StdoError(f"{url}: HTTP {e.code}: {RATE_LIMIT_ADVICE}") from e
            if e.code in (404, 410):
                raise StdoError(f"{url}: not found on the server (HTTP {e.code}); check the URL") from e
            if e.code < 500:
                raise StdoError(f"{url}: HTTP {e.code} {e.reason}") from e
            last_error = e
        except (TimeoutError, urllib.error.URLError, http.client.HTTPException, ConnectionError) as e:
            last_error = e
        if attempt < retries:
            wait = min(30.0, 0.5 * 2**attempt)
            print(f"{url}: {last_error}; retrying in {wait:.1f} s (attempt {attempt + 2}/{retries + 1})")
            time.sleep(wait)
    kept = part.stat().st_size if part.exists() else 0
    raise StdoError(
        f"{url}: download failed after {retries + 1} attempts ({last_error}); {kept} bytes are kept "
        f"in {part} and the next run resumes from there"
    )


def _gdown_error(e: Exception, what: str) -> StdoError:
    text = str(e)
    if GOOGLE_RATE_LIMIT in text or "Too many users" in text:
        return StdoError(f"{what}: {RATE_LIMIT_ADVICE}")
    return StdoError(f"{what}: Google Drive download failed: {text.strip().splitlines()[0] if text else e}")


def gdrive_file_id(source: Source, name: str) -> str:
    if name in source.gdrive_ids:
        return source.gdrive_ids[name]
    if not source.gdrive_folder:
        raise StdoError(f"{name}: not in gdrive_ids and no gdrive_folder given")
    import gdown

    try:
        files = gdown.download_folder(id=source.gdrive_folder, skip_download=True, quiet=True)
    except Exception as e:  # gdown raises its own and requests' exceptions
        raise _gdown_error(e, f"Drive folder {source.gdrive_folder}") from e
    for f in files or []:
        if not isinstance(f, str) and Path(f.path).name == name:  # skip_download: file records
            return f.id
    raise StdoError(f"{name}: not found in Drive folder {source.gdrive_folder}")


def fetch_gdrive(source: Source, name: str, dest: Path) -> Path:
    import gdown

    file_id = gdrive_file_id(source, name)
    part = dest.with_name(dest.name + ".part")
    try:
        got = gdown.download(id=file_id, output=str(part), resume=True, quiet=False)
    except Exception as e:
        raise _gdown_error(e, f"{name} (Drive id {file_id})") from e
    if not got or not part.exists():
        raise StdoError(f"{name} (Drive id {file_id}): gdown returned no file")
    os.replace(part, dest)
    return dest


# --- unpacking ---------------------------------------------------------------------------------


def _unpack(archive: Path, into: Path) -> None:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for member in z.namelist():
                target = (into / member).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise StdoError(f"{archive}: member {member!r} would unpack outside the target")
            z.extractall(into)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            t.extractall(into, filter="data")
    else:
        raise StdoError(f"{archive}: neither a zip nor a tar archive")


def _find_root(tree: Path, marker: str | None) -> Path:
    """The directory inside ``tree`` that holds ``marker`` (or the tree when there is none)."""
    if not marker:
        entries = [p for p in tree.iterdir() if not p.name.startswith(".")]
        return entries[0] if len(entries) == 1 and entries[0].is_dir() else tree
    hits = sorted(p.parent for p in tree.rglob(marker) if p.is_dir())
    if not hits:
        raise StdoError(f"the archive holds no {marker}/ directory; is it the right dataset?")
    return min(hits, key=lambda p: len(p.parts))


def unpack(archive: Path, out_dir: Path, marker: str | None = None) -> Path:
    """Unpack into a temporary sibling of ``out_dir``; move the item's root into place."""
    if out_dir.exists():
        raise StdoError(f"{out_dir} exists; remove it to unpack again")
    tmp = out_dir.with_name(f".{out_dir.name}.unpack-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        _unpack(archive, tmp)
        root = _find_root(tmp, marker)
        os.replace(root, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


# --- one item ----------------------------------------------------------------------------------


def fetch_item(source: Source, item: str, out_dir: Path, archives_dir: Path, marker: str | None) -> dict:
    """Make ``out_dir`` hold ``item`` (a VSD4K clip, a DIV2K split). Returns provenance."""
    name = source.archive.format(item=item)
    if source.kind == "local":
        assert source.path is not None  # Source.from_config requires it
        root = Path(source.path)
        if not root.is_dir():
            raise StdoError(f"local source {root}: not a directory")
        found = [p for p in (root / name, *root.rglob(name)) if p.is_file()]
        if not found:
            dirs = [p for p in (root / item, *root.rglob(item)) if p.is_dir()]
            if not dirs:
                raise StdoError(f"{item}: neither {name} nor a directory {item}/ under {root}")
            target = _find_root(dirs[0], marker) if marker else dirs[0]
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            tmp = out_dir.with_name(f".{out_dir.name}.link-{os.getpid()}")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(target.resolve(), target_is_directory=True)
            os.replace(tmp, out_dir)
            return {"item": item, "source": str(target.resolve()), "kind": "local-directory"}
        archive = found[0]
    else:
        archive = archives_dir / name
        if not archive.exists():
            if source.kind == "http":
                assert source.url is not None  # Source.from_config requires it
                fetch_http(
                    source.url.format(archive=name, item=item),
                    archive,
                    retries=source.retries,
                    timeout_s=source.timeout_s,
                )
            else:
                fetch_gdrive(source, name, archive)
    try:
        digest = verify(archive, name, source)
    except StdoError:
        if source.kind != "local":
            archive.unlink(missing_ok=True)
        raise
    unpack(archive, out_dir, marker)
    return {"item": item, "archive": name, "sha256": digest, "kind": source.kind}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo download", description=__doc__)
    p.add_argument("--source", required=True, type=json.loads, help="JSON downloads.<dataset> entry")
    p.add_argument("--item", required=True, help="what to fetch, e.g. game_15s_1 or DIV2K_train_HR")
    p.add_argument("--marker", default=None, help="a directory name the item's root must hold")
    p.add_argument("--archives", required=True, type=Path, help="directory for downloaded archives")
    p.add_argument("--out", required=True, type=Path, help="the item's directory")
    args = p.parse_args(argv)
    with io.stage_errors("download"):
        source = Source.from_config(args.source)
        info = fetch_item(source, args.item, args.out, args.archives, args.marker)
        print(json.dumps(info))


if __name__ == "__main__":
    main()
