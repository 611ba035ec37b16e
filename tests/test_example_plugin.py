"""The example board plugin, installed the way a third party installs one.

A fresh virtual environment gets the core (this repository) and ``examples/board-plugin`` and
nothing else: no board plugin of the workspace. The commands and the example's own tests then
run inside it, as a real user's would.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from freshenv import create, machinectl, user_env

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "board-plugin"
TUTORIAL = ROOT / "docs" / "tutorial.rst"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("third-party") / "venv"
    return create(path, [str(ROOT), f"{EXAMPLE}[test]"], refresh=["machinectl", "machinectl-acme"])


def test_only_the_core_and_the_example_are_installed(venv: Path) -> None:
    listing = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; print(*sorted(d.name for d in m.distributions()))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=user_env(),
    ).stdout.split()
    ours = [name for name in listing if name.startswith("machinectl")]
    assert sorted(ours) == ["machinectl", "machinectl-acme"]


def test_list_boards_shows_the_widget_beside_none(venv: Path) -> None:
    proc = machinectl(venv, "list-boards", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    assert set(rows) == {"none", "widget-1.0"}
    widget = rows["widget-1.0"]
    assert widget["alias"] == "widget"
    assert widget["default-ram-size"] == 16 * 1024 * 1024
    assert widget["default-ram-id"] == "widget.ram"
    assert widget["distribution"] == "machinectl-acme"

    text = machinectl(venv, "list-boards")
    assert text.returncode == 0, text.stderr
    assert (
        "widget-1.0  widget  acme    acme     16MiB        16777216  widget.ram  machinectl-acme  "
        "Acme Widget, revision 1.0" in (text.stdout)
    )
    # The tutorial shows this very output.
    tutorial = TUTORIAL.read_text()
    for line in text.stdout.splitlines():
        assert f"   {line}\n" in tutorial, f"docs/tutorial.rst does not show: {line}"


def test_plugins_names_the_distribution_and_its_version(venv: Path) -> None:
    proc = machinectl(venv, "plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["failed"] == []
    (acme,) = [p for p in data["plugins"] if p["name"] == "acme"]
    assert (acme["distribution"], acme["version"], acme["boards"]) == (
        "machinectl-acme",
        "1.0.0",
        ["widget-1.0"],
    )


def test_run_builds_the_widget_with_its_boot_window(venv: Path) -> None:
    proc = machinectl(venv, "run", "-M", "widget", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["machine"]["type"] == "widget-1.0"
    assert data["machine"]["allocated"] is True
    assert [(m["id"], m["size"]) for m in data["memdev"]] == [("widget.ram", 16 * 1024 * 1024)]
    flat = [(r["start"], r["size"], r["offset"]) for r in data["mtree"]["flat"]]
    assert flat == [(0, 0x10000, 0), (0x8000_0000, 16 * 1024 * 1024, 0)]

    text = machinectl(venv, "run", "-M", "widget")
    assert text.returncode == 0, text.stderr
    assert "0000000080000000-0000000080ffffff (prio 0, ram): widget.ram" in text.stdout


def test_a_refused_size_is_one_line_and_exit_status_1(venv: Path) -> None:
    proc = machinectl(venv, "run", "-M", "widget", "-m", "32M")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == "machinectl: Invalid RAM size, should be 16 MiB\n"
    assert f"   {proc.stderr}" in TUTORIAL.read_text()


def test_the_examples_own_tests_pass_inside_the_environment(venv: Path) -> None:
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-v", "-p", "no:cacheprovider"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        env=user_env(),
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The conformance kit ran against the installed board, not zero boards.
    assert "TestConformance::test_allocated_ram_is_writable[widget-1.0] PASSED" in proc.stdout
    assert "TestConformance::test_no_overlapping_ram[widget-1.0] PASSED" in proc.stdout
