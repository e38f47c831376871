"""Item 13: README's test command runs every test where it can. ``scripts/setup.sh`` installs the
Debian packages the tests need (``scripts/system-deps.sh``, shared with ``.ci/run``) or prints the
one command that does, and every skip in tests/ says how to un-skip it."""

from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPS = REPO / "scripts/system-deps.sh"
# a reason names a command: a package manager's install line or one of our scripts
COMMAND = re.compile(r"apt-get install \S|pip install \S|bash scripts/\S")


def _text(node: ast.AST | None) -> str:
    """The literal text of a reason (an f-string's literal parts); '' when it is not a literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return ""


def _skips(path: Path) -> list[tuple[int, str]]:
    """(line, reason) of every pytest.skip, pytest.importorskip, skipif and mark.skip in one file."""
    found = []
    tree = ast.parse(path.read_text(), str(path))
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if id(node) in called:
            continue  # the attribute of a call: seen with its call
        call = node if isinstance(node, ast.Call) else None
        func = call.func if call else node
        if not isinstance(func, ast.Attribute) or func.attr not in {"skip", "skipif", "importorskip"}:
            continue
        owner = ast.unparse(func.value)
        if owner not in {"pytest", "pytest.mark"}:
            continue
        kw = {k.arg: k.value for k in call.keywords} if call else {}
        reason = kw.get("reason")
        if reason is None and call and func.attr == "skip" and call.args:
            reason = call.args[0]
        found.append((node.lineno, _text(reason)))
    return found


def test_item13_every_skip_in_tests_names_the_command_that_unskips_it():
    sites = {f"{p.relative_to(REPO)}:{line}": reason for p in sorted((REPO / "tests").rglob("*.py"))
             for line, reason in _skips(p)}  # fmt: skip
    assert len(sites) >= 7, sites  # adb, SLURM (3), DVC (2), LiteRT: the check sees them all
    mute = {site: reason for site, reason in sites.items() if not COMMAND.search(reason)}
    assert not mute, f"skips that do not say how to un-skip: {mute}"


def _stubs(tmp_path: Path, uid: int, apt_rc: int | None) -> dict:
    """A PATH holding only a stand-in ``id`` (this uid) and ``apt-get`` (recording, exiting apt_rc)."""
    bin_ = tmp_path / "bin"
    bin_.mkdir(exist_ok=True)
    (bin_ / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    if apt_rc is not None:
        (bin_ / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/apt.log\nexit {apt_rc}\n')
    for f in bin_.iterdir():
        f.chmod(0o755)
    return {"PATH": str(bin_), "HOME": str(tmp_path)}


def _deps(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/bash", str(DEPS)], capture_output=True, text=True, env=env, timeout=60)


def test_item13_system_deps_installs_as_root_and_names_the_command_otherwise(tmp_path):
    slurm = ["slurmctld", "slurmd", "slurm-client", "munge"]
    slurm = [] if os.access("/usr/sbin/slurmctld", os.X_OK) else slurm
    wanted = " ".join(["git", *slurm, "adb", "chromium"])  # nothing is on the stand-in PATH
    # not root: one line with the command, nothing installed, setup goes on
    proc = _deps(_stubs(tmp_path, 1000, 0))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines() == [
        f"system-deps: not root; to run every test: sudo apt-get install -y --no-install-recommends {wanted}"
    ]
    assert not (tmp_path / "apt.log").exists()
    # no apt-get: one line naming the packages
    (tmp_path / "noapt").mkdir()
    proc = _deps(_stubs(tmp_path / "noapt", 0, None))
    assert proc.returncode == 0 and "no apt-get here" in proc.stdout and "adb" in proc.stdout, proc.stdout
    # root with apt-get: installs exactly what is missing
    proc = _deps(_stubs(tmp_path, 0, 0))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = (tmp_path / "apt.log").read_text().splitlines()
    assert log == ["update -qq", f"install -y -qq --no-install-recommends {wanted}"]
    # apt-get failing: setup goes on saying so; CI (STDO_SYSTEM_DEPS=require) stops
    env = _stubs(tmp_path, 0, 100)
    proc = _deps(env)
    assert proc.returncode == 0 and "apt-get failed" in proc.stdout, proc.stdout
    assert "retry: apt-get install" in proc.stdout
    assert _deps(env | {"STDO_SYSTEM_DEPS": "require"}).returncode == 1
    assert _deps(env | {"STDO_SYSTEM_DEPS": "0"}).stdout == ""


def test_item13_setup_and_ci_share_the_system_deps_script():
    setup = (REPO / "scripts/setup.sh").read_text()
    ci = (REPO / ".ci/run").read_text()
    code = lambda s: [line for line in s.splitlines() if not line.lstrip().startswith("#")]  # noqa: E731
    assert "bash scripts/system-deps.sh" in code(setup)
    assert "bash scripts/setup.sh" in code(ci)
    # the packages are listed in one place only
    for text in (setup, ci):
        assert not any("apt-get" in line or "adb" in line for line in code(text)), text
    assert "scripts/system-deps.sh" in (REPO / "README.md").read_text()
