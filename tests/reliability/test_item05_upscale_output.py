"""Item 5: ``stdo upscale -o`` never destroys an input or an existing file."""

from __future__ import annotations

import pytest

from stdo.core import io
from stdo.delivery import client


def _refused(capsys, argv: list[str], match: str) -> str:
    with pytest.raises(SystemExit) as e:
        client.main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and match in err and "Traceback" not in err, err
    return err


def test_item05_output_equal_to_the_reference_is_refused(cell, awdnn_bundle, tmp_path, capsys):
    ref = tmp_path / "ref.npy"
    io.save_array(ref, io.open_array(cell["hr"]))
    before = ref.read_bytes()
    _refused(
        capsys, [str(awdnn_bundle), "-o", str(ref), "--hr", str(ref), "--force"], "is the --hr reference"
    )
    assert ref.read_bytes() == before


def test_item05_output_inside_the_bundle_is_refused(awdnn_bundle, capsys):
    stream = awdnn_bundle / "stream.mkv"
    before = stream.read_bytes()
    _refused(capsys, [str(awdnn_bundle), "-o", str(stream), "--force"], "inside the bundle")
    _refused(capsys, [str(awdnn_bundle), "-o", str(awdnn_bundle / "new.mp4")], "inside the bundle")
    assert stream.read_bytes() == before and not (awdnn_bundle / "new.mp4").exists()


def test_item05_existing_file_needs_force(awdnn_bundle, tmp_path, capsys):
    out = tmp_path / "mine.mp4"
    out.write_bytes(b"a file of the user's")
    _refused(capsys, [str(awdnn_bundle), "-o", str(out)], "exists; pass --force")
    assert out.read_bytes() == b"a file of the user's"
    client.main([str(awdnn_bundle), "-o", str(out), "--force"])
    assert out.read_bytes()[4:8] == b"ftyp"  # replaced by the MP4
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]  # written beside, then renamed


def test_item05_existing_directory_is_refused(awdnn_bundle, tmp_path, capsys):
    (tmp_path / "clips").mkdir()
    _refused(capsys, [str(awdnn_bundle), "-o", str(tmp_path / "clips")], "is a directory; give a file name")
