"""docs/extending.md kept true: a backbone and a method added in one plugin file run through the
tiny DAG, and every stage has its module, CLI entry, rule file and Snakefile include."""

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from support.workflow import REPO, TINY, snakemake

from stdo.workflow import cli

PLUGIN = Path(__file__).with_name("plugin_example.py")


@pytest.mark.slow
def test_a_plugin_backbone_and_method_run_through_the_dag(tmp_path):
    shutil.copy(PLUGIN, tmp_path / "my_plugin.py")
    overlay = {
        "plugins": ["my_plugin.py"],
        "backbones": [{"name": "tinynet", "kwargs": {"n_feats": 8}, "lr": 1.0e-3, "epochs": 2}],
        "methods": ["awdnn", "half", "stdo"],
        "stdo": {"k": [2]},
        "scales": [2],
    }
    (tmp_path / "overlay.yaml").write_text(yaml.safe_dump(overlay))
    snakemake(tmp_path, "tables", "--configfile", str(TINY), str(tmp_path / "overlay.yaml"))
    t2 = pd.read_csv(tmp_path / "results/tables/table2.csv")
    trained = t2[~t2["method"].isin(["bicubic", "f0"])]
    assert set(trained["backbone"]) == {"TinyNet"}
    assert trained["method"].tolist() == ["awDNN", "STDO", "Half"]  # the registry's table order
    half = trained.set_index("method").loc["Half"]
    assert half["models"] == 2 and half["psnr_db"] > 10
    units = sorted(p.name for p in (tmp_path / "results/videos/tiny/x2/tinynet/units").iterdir())
    assert units == ["all", "half-c0", "half-c1", "stdo-k2-c0", "stdo-k2-c1"]
    assert "Table 1" not in (tmp_path / "results/tables/table2.md").read_text()


@pytest.mark.slow
def test_parsing_and_dry_runs_write_nothing(tmp_path):
    """A dry run and ``--lint`` (which must find nothing) leave no results behind."""
    for args in (["-n", "tables"], ["--lint"]):
        proc = snakemake(tmp_path, *args, "--configfile", str(TINY))
        assert not (tmp_path / "results").exists(), args
        if args == ["--lint"]:
            assert "Lints for" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == [".snakemake"] or not any(tmp_path.iterdir())


@pytest.mark.slow
def test_an_unregistered_backbone_stops_the_parse_with_the_registered_ones(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        yaml.safe_dump({"backbones": [{"name": "wdsrx", "lr": 1e-3, "epochs": 1}]})
    )
    proc = snakemake(
        tmp_path, "-n", "tables", "--configfile", str(TINY), str(tmp_path / "bad.yaml"), check=False
    )
    assert proc.returncode != 0
    assert "unknown backbone 'wdsrx'; registered: edsr, espcn, srcnn, vdsr, wdsr" in proc.stdout + proc.stderr


def test_every_stage_has_a_module_a_rule_and_an_include():
    snakefile = (REPO / "Snakefile").read_text()
    included = set(re.findall(r'include: "workflow/rules/(\w+)\.smk"', snakefile))
    rule_files = {p.stem for p in (REPO / "workflow/rules").glob("*.smk")}
    assert included == rule_files  # every rule file is part of the workflow
    called = set()
    for p in (REPO / "workflow/rules").glob("*.smk"):
        called |= set(re.findall(r"python -m stdo ([\w.]+)", p.read_text()))
    assert {"ingest", "train", "evaluate", "tables", "device.export"} <= called
    for stage in called:
        assert stage in cli.STAGES, f"`stdo {stage}` runs in a rule but is not a stage of stdo.workflow.cli"
        assert (REPO / "src" / f"{cli.STAGES[stage].replace('.', '/')}.py").exists(), stage


def test_rule_files_spell_no_file_name():
    """Every file name is a template of stdo.workflow.paths, written once there: the Snakefile and
    the rule files name files through it (or through ``rules.<rule>.output``), never as text."""
    import io
    import tokenize

    # a results/, data/ or resources/ path, or a file name (a placeholder {output.csv} is none)
    spelled = re.compile(
        r"\b(results|data|resources)/|(?<![\w{.-])[\w-]+\.(npy|pt|json|csv|md|mkv|mp4|png|pdf|html)\b"
    )
    found = []
    for f in [REPO / "Snakefile", *sorted((REPO / "workflow/rules").glob("*.smk"))]:
        for tok in tokenize.generate_tokens(io.StringIO(f.read_text()).readline):
            docstring = tok.string.startswith('"""')
            if tok.type == tokenize.STRING and not docstring and spelled.search(tok.string):
                found.append(f"{f.name}:{tok.start[0]}: {tok.string}")
    assert not found, "file names spelled out (use stdo.workflow.paths):\n" + "\n".join(found)
