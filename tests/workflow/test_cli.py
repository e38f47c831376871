"""The two faces of ``stdo``: the user's commands first, one line each, then the internal stages
the rules run (also ``stdo stage <name>``); every name once, each mapped to a module that exists."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support.workflow import REPO

from stdo.workflow import cli


def _stdo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stdo", *args], capture_output=True, text=True, timeout=120, cwd=REPO
    )


def test_help_lists_the_users_commands_first_then_the_internal_stages():
    proc = _stdo("--help")
    assert proc.returncode == 0 and proc.stderr == ""
    text = proc.stdout
    users, _, internal = text.partition("internal stages")
    assert internal, text
    for name, (_, line) in cli.COMMANDS.items():
        assert any(x.split() == [name, *line.split()] for x in users.splitlines()), (name, users)
    assert {"overfit", "upscale", "plan", "configcheck", "resume", "restore", "packaged"} <= set(cli.COMMANDS)
    listed = set(internal.split())
    for name in cli.INTERNAL:
        assert name in listed, name
        assert f"  {name} " not in users, f"internal stage {name} listed among the user's commands"
    assert "stdo stage <name>" in internal.splitlines()[0]


@pytest.mark.parametrize(("args", "named"), [((), None), (("trian",), "'trian' (did you mean 'train'?)")])
def test_no_command_or_an_unknown_one_prints_the_usage_and_fails(args, named):
    proc = _stdo(*args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "commands:" in proc.stderr and "internal stages" in proc.stderr
    if named:
        assert proc.stderr.splitlines()[0] == f"stdo: unknown command {named}"


def test_an_internal_stage_runs_as_itself_and_as_stdo_stage():
    direct, staged = _stdo("partition", "--help"), _stdo("stage", "partition", "--help")
    assert direct.returncode == staged.returncode == 0
    assert direct.stdout == staged.stdout and "--out-thresholds" in direct.stdout
    # and python -m stdo.workflow.cli, as tests/workflow/test_dvc.py and old scripts call it
    module = subprocess.run(
        [sys.executable, "-m", "stdo.workflow.cli", "partition", "--help"], capture_output=True, text=True
    )
    assert module.stdout == direct.stdout


def test_stdo_stage_refuses_an_unknown_stage_and_a_user_command():
    proc = _stdo("stage", "partion")
    assert proc.returncode == 2 and "unknown stage 'partion' (did you mean 'partition'?)" in proc.stderr
    proc = _stdo("stage", "upscale")
    assert (
        proc.returncode == 1 and "upscale is a user command" in proc.stderr and "stdo upscale" in proc.stderr
    )
    listing = _stdo("stage")
    assert listing.returncode == 2 and "figures.table_page" in listing.stderr


def test_every_name_once_and_every_module_exists():
    assert not set(cli.COMMANDS) & set(cli.INTERNAL)
    assert cli.STAGES == cli.stages() and len(cli.STAGES) == len(cli.COMMANDS) + len(cli.INTERNAL)
    for name, module in cli.STAGES.items():
        assert (REPO / "src" / f"{module.replace('.', '/')}.py").exists(), (name, module)
    for name, (_, line) in cli.COMMANDS.items():
        assert line and "\n" not in line and len(name) + len(line) < 96, name


def test_a_stage_is_one_entry_of_internal(monkeypatch, capsys):
    """What adding a stage takes: its line in INTERNAL; it then runs, as itself and under stage,
    and the help lists it with the internal stages (here a real module under a new name)."""
    monkeypatch.setitem(cli.INTERNAL, "budget", "stdo.workflow.configcheck")
    for argv in (["budget", "--help"], ["stage", "budget", "--help"]):
        with pytest.raises(SystemExit) as e:
            cli.main(argv)
        assert e.value.code == 0
        assert "usage: stdo configcheck" in capsys.readouterr().out
    assert "budget" in cli.usage().partition("internal stages")[2].split()
    monkeypatch.setitem(cli.INTERNAL, "plan", "stdo.workflow.regime")
    with pytest.raises(AssertionError, match="plan: both a user command and an internal stage"):
        cli.stages()
