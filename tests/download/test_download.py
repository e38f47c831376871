"""Downloads against a loopback HTTP server (the real urllib client, real archives): resume
after a cut connection, checksum manifest, rate-limit page, missing file, refused connection."""

import shutil
import socket
import zipfile
from pathlib import Path

import numpy as np
import pytest
from support.clips import LoopbackFiles, make_vsd4k_clip

from stdo.core import io
from stdo.core.errors import StdoError
from stdo.video import download


@pytest.fixture(scope="module")
def archive(tmp_path_factory, vsd4k_frames) -> Path:
    """game_15s_1.zip in VSD4K's layout (VSD4K/game/game_15s_1/...)."""
    root = tmp_path_factory.mktemp("vsd4k")
    make_vsd4k_clip(root / "VSD4K", "game_15s_1", vsd4k_frames[:6])
    served = tmp_path_factory.mktemp("served")
    path = served / "game_15s_1.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:  # stored: big enough to cut mid-file
        for f in sorted((root / "VSD4K").rglob("*")):
            z.write(f, f.relative_to(root))
    return path


def _source(url: str, manifest: Path, **kw) -> download.Source:
    return download.Source(
        kind="http", url=url + "/{archive}", manifest=str(manifest), **({"retries": 2} | kw)
    )


def _manifest(tmp_path: Path, archive: Path, digest: str | None = None) -> Path:
    m = tmp_path / "vsd4k.sha256"
    m.write_text(f"# checksums\n{digest or io.sha256_file(archive)}  {archive.name}\n")
    return m


def test_loopback_http_download_resumes_after_cut_connection(tmp_path, archive):
    out = tmp_path / "data/vsd4k/game_15s_1"
    with LoopbackFiles(archive.parent) as srv:
        srv.cut_after[archive.name] = archive.stat().st_size // 3
        srv.cuts_left = 1
        info = download.fetch_item(
            _source(srv.url, _manifest(tmp_path, archive)),
            "game_15s_1",
            out,
            tmp_path / "arch",
            "DIV2K_train_HR",
        )
    assert [r for _, r in srv.requests] == [None, f"bytes={archive.stat().st_size // 3}-"]
    assert info["sha256"] == io.sha256_file(archive)
    assert sorted(p.name for p in (out / "DIV2K_train_HR").iterdir()) == [f"{i:05d}.png" for i in range(1, 7)]
    assert (out / "DIV2K_train_LR_bicubic/X4/00006_x4.png").is_file()
    assert not list(tmp_path.rglob("*.part")) and not list(out.parent.glob(".*unpack*"))


def test_loopback_http_checksum_mismatch_leaves_nothing(tmp_path, archive):
    out = tmp_path / "data/vsd4k/game_15s_1"
    with LoopbackFiles(archive.parent) as srv:
        source = _source(srv.url, _manifest(tmp_path, archive, "0" * 64))
        with pytest.raises(StdoError, match="checksum mismatch.*says 0000.*has [0-9a-f]{64}"):
            download.fetch_item(source, "game_15s_1", out, tmp_path / "arch", "DIV2K_train_HR")
    assert not out.exists()
    assert list((tmp_path / "arch").iterdir()) == []  # the bad archive is deleted, no .part left


def test_loopback_http_connection_cut_every_time_keeps_part_for_next_run(tmp_path, archive):
    out = tmp_path / "data/vsd4k/game_15s_1"
    cut = 5000
    with LoopbackFiles(archive.parent) as srv:
        srv.cut_after[archive.name] = cut
        srv.cuts_left = 3  # the first try and both retries are cut
        source = _source(srv.url, _manifest(tmp_path, archive))
        with pytest.raises(StdoError, match="download failed after 3 attempts.*next run resumes"):
            download.fetch_item(source, "game_15s_1", out, tmp_path / "arch", "DIV2K_train_HR")
        assert not out.exists()
        part = tmp_path / "arch/game_15s_1.zip.part"
        assert part.stat().st_size == 3 * cut
        download.fetch_item(source, "game_15s_1", out, tmp_path / "arch", "DIV2K_train_HR")  # resumes
    assert srv.requests[-1] == (archive.name, f"bytes={3 * cut}-")
    assert (out / "DIV2K_train_HR/00001.png").is_file()


def test_loopback_http_google_rate_limit_page(tmp_path, archive):
    with LoopbackFiles(archive.parent) as srv:
        srv.rate_limited.add(archive.name)
        source = _source(srv.url, _manifest(tmp_path, archive))
        with pytest.raises(StdoError, match="Too many users have viewed or downloaded this file recently"):
            download.fetch_item(source, "game_15s_1", tmp_path / "out", tmp_path / "arch", "DIV2K_train_HR")
    assert not (tmp_path / "out").exists() and not (tmp_path / "arch/game_15s_1.zip").exists()


def test_loopback_http_missing_file_and_unlisted_checksum(tmp_path, archive):
    with LoopbackFiles(archive.parent) as srv:
        source = _source(srv.url, _manifest(tmp_path, archive))
        with pytest.raises(StdoError, match="not found on the server \\(HTTP 404\\)"):
            download.fetch_item(source, "vlog_15s_1", tmp_path / "out", tmp_path / "arch", "DIV2K_train_HR")
        empty = tmp_path / "empty.sha256"
        with pytest.raises(StdoError, match="no checksum in the manifest"):
            download.fetch_item(
                _source(srv.url, empty), "game_15s_1", tmp_path / "out", tmp_path / "a2", None
            )
        recorded = download.fetch_item(
            _source(srv.url, empty, unknown_checksums="record"),
            "game_15s_1",
            tmp_path / "out",
            tmp_path / "a3",
            None,
        )
    assert download.read_manifest(empty) == {archive.name: recorded["sha256"]}


def test_refused_connection_is_a_clear_error(tmp_path, archive):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    source = _source(f"http://127.0.0.1:{port}", _manifest(tmp_path, archive), retries=1)
    with pytest.raises(StdoError, match="download failed after 2 attempts.*(refused|Errno)"):
        download.fetch_item(source, "game_15s_1", tmp_path / "out", tmp_path / "arch", None)


def test_local_source_directory_and_archive(tmp_path, archive):
    clip_root = tmp_path / "mine"
    with zipfile.ZipFile(archive) as z:
        z.extractall(clip_root)
    out = tmp_path / "data/vsd4k/game_15s_1"
    info = download.fetch_item(
        download.Source(kind="local", path=str(clip_root)),
        "game_15s_1",
        out,
        tmp_path / "arch",
        "DIV2K_train_HR",
    )
    assert info["kind"] == "local-directory" and out.is_symlink()
    assert (out / "DIV2K_train_HR/00001.png").is_file()
    shutil.copy(archive, tmp_path / archive.name)
    out2 = tmp_path / "data2/game_15s_1"
    info = download.fetch_item(
        download.Source(kind="local", path=str(tmp_path), manifest=str(_manifest(tmp_path, archive))),
        "game_15s_1",
        out2,
        tmp_path / "arch",
        "DIV2K_train_HR",
    )
    assert info["sha256"] == io.sha256_file(archive) and not out2.is_symlink()
    a = np.asarray(__import__("PIL.Image").Image.open(out2 / "DIV2K_train_HR/00003.png"))
    b = np.asarray(__import__("PIL.Image").Image.open(out / "DIV2K_train_HR/00003.png"))
    np.testing.assert_array_equal(a, b)


def test_gdown_rate_limit_message_is_translated():
    from gdown.exceptions import FileURLRetrievalError

    err = download._gdown_error(
        FileURLRetrievalError(
            "Failed to retrieve file url:\n\n\tToo many users have viewed or downloaded this file recently."
        ),
        "game_15s_1.zip",
    )
    assert "Wait up to 24 hours" in str(err) and "mirror" in str(err)
