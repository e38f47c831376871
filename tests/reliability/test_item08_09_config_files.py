"""Items 8 and 9 (config files): Snakemake 9 reads ``--configfile`` files before the Snakefile
runs, saying only "Config file is not valid JSON or YAML" of a syntax error and giving a
traceback for a file that is not there (often a target typed after ``--configfile``).
``stdo configcheck FILE...`` names the file and line, and ``stdo resume`` checks its files the
same way before Snakemake reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from stdo.workflow import configcheck
from stdo.workflow.resume import main as resume_main

REPO = Path(__file__).resolve().parents[2]


def _check(*files: str | Path) -> str:
    with pytest.raises(SystemExit) as e:
        configcheck.main([str(f) for f in files])
    return str(e.value.code)


def test_item09_yaml_syntax_error_names_the_file_and_line(tmp_path):
    bad = tmp_path / "my-video.yaml"
    bad.write_text("# my overlay\nscales: [2, 4\nvideos:\n  - name: clip\n")
    msg = _check(bad)
    assert msg.startswith(f"stdo configcheck: error: {bad}:3:7: not valid YAML: "), msg
    assert "expected ',' or ']'" in msg and "opened at line 2" in msg and "\n" not in msg
    bad.write_text("scales: [2]\nvideos:\n\t- name: clip\n")
    msg = _check(bad)
    assert f"{bad}:3:1: not valid YAML" in msg and "indent with spaces, not tabs" in msg, msg


def test_item08_missing_overlay_and_target_after_configfile_are_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    msg = _check("tables")  # snakemake -n --configfile my.yaml tables
    assert "'tables' is a target, it was typed after --configfile" in msg, msg
    assert "snakemake --cores 8 tables --configfile my.yaml" in msg
    msg = _check("overlays/my-video.yaml")
    assert "overlays/my-video.yaml: no such config file; check the path" in msg, msg
    (tmp_path / "list.yaml").write_text("- scales\n")
    assert "list.yaml: a config file is a mapping of keys" in _check("list.yaml")


def test_item09_the_merged_config_is_checked_against_the_schema_naming_the_overlay(tmp_path, capsys):
    over = tmp_path / "over.yaml"
    over.write_text("scales: [2]\ntrain:\n  scheduel: cosine\n")
    msg = _check(over)
    assert f"train.scheduel ({over}:3): unknown key" in msg, msg
    configcheck.main([str(REPO / "config/cpu.yaml"), str(REPO / "config/codec.yaml")])
    assert capsys.readouterr().out.strip().endswith("codec.yaml: ok")


def test_item09_stdo_resume_checks_config_files_before_snakemake_reads_them(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("scales: [2\n")
    with pytest.raises(SystemExit) as e:
        resume_main(["--directory", str(REPO), "--workdir", str(tmp_path), "--cores", "1", "tables",
                     "--configfile", str(REPO / "config/cpu.yaml"), str(bad)])  # fmt: skip
    assert str(e.value.code).startswith(f"stdo resume: error: {bad}:2:1: not valid YAML"), e.value.code
    assert not (tmp_path / ".snakemake").exists()  # Snakemake was not started
    assert configcheck.configfile_args(["-n", "all", "--configfile", "a.yaml", "b.yaml", "-j", "2"]) == [
        "a.yaml",
        "b.yaml",
    ]
