"""The machinectl command, run as a user runs it: a real process, real exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

CLI = [sys.executable, "-m", "machinectl.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=60, check=False, env=env
    )


def test_run_none_json() -> None:
    proc = run("run", "-M", "none", "-m", "1G", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {
        "machine",
        "memdev",
        "memory-size-summary",
        "numa",
        "mtree",
        "notices",
        "memory-devices",
    }
    assert data["notices"] == []
    assert [(d["id"], d["size"]) for d in data["memdev"]] == [("ram", 1073741824)]
    assert data["machine"]["allocated"] is True


def test_run_text_summary_shows_info_memdev_and_flat_map() -> None:
    proc = run("run", "-M", "none", "-m", "64M")
    assert proc.returncode == 0, proc.stderr
    assert "memory backend: ram\n  size:  67108864\n" in proc.stdout
    assert "0000000000000000-0000000003ffffff (prio 0, ram): ram" in proc.stdout
    assert "base memory: 67108864" in proc.stdout


def test_dry_run_allocates_nothing() -> None:
    proc = run("run", "-M", "none", "-m", "8T", "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["machine"]["allocated"] is False


@pytest.mark.parametrize(
    ("args", "line", "status"),
    [
        (
            ["run", "-M", "none", "-m", "foo"],
            "machinectl: -m foo: Parameter 'size' expects a non-negative number below 2^64 "
            "(Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta- "
            "and exabytes, respectively.)",
            1,
        ),
        (
            ["run", "-M", "nosuch"],
            "machinectl: unsupported machine type (Use -machine help to list supported machines)",
            1,
        ),
        (
            ["run", "-M", "none", "-m", "1T"],
            "machinectl: cannot set up guest memory 'ram': Cannot allocate memory",
            1,
        ),
        (["run", "-bogus"], "machinectl: -bogus: invalid option", 2),
        (["frobnicate"], "machinectl: unknown command 'frobnicate' (try 'machinectl --help')", 2),
        (["describe"], "machinectl: describe: expected exactly one BOARD", 2),
        (
            ["describe", "nosuch"],
            "machinectl: unsupported machine type (Use -machine help to list supported machines)",
            1,
        ),
    ],
)
def test_errors_are_one_line(args: list[str], line: str, status: int) -> None:
    proc = run(*args)
    assert proc.returncode == status
    assert proc.stderr == line + "\n"
    assert "Traceback" not in proc.stderr


def test_garbage_never_gives_a_traceback() -> None:
    for args in (
        ["run", "-object", "\udcff"],
        ["run", "-M", ",,,", "-m", "\x01"],
        ["run", "-numa", "node,mem=x", "-M", "none"],
        ["run", "-m", "9" * 5000],
    ):
        proc = subprocess.run([*CLI, *args], capture_output=True, timeout=60, check=False)
        assert proc.returncode in (1, 2), proc.stderr
        assert b"Traceback" not in proc.stderr
        assert proc.stderr.count(b"\n") == 1


def test_list_boards_and_json() -> None:
    proc = run("list-boards")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].split() == [
        "NAME",
        "ALIAS",
        "FAMILY",
        "TARGETS",
        "DEFAULT-RAM",
        "BYTES",
        "RAM-ID",
        "PLUGIN",
    ]
    rows = json.loads(run("list-boards", "--json").stdout)
    none = next(r for r in rows if r["name"] == "none")
    assert none["default-ram-size"] == 0 and none["default-ram-id"] == "ram"
    assert none["distribution"] == "machinectl"


def test_describe_none() -> None:
    proc = run("describe", "none")
    assert proc.returncode == 0, proc.stderr
    assert "default RAM id: ram" in proc.stdout
    info = json.loads(run("describe", "none", "--json").stdout)
    assert info["default-ram-size"] == 0 and info["numa"] is False


def test_plugins_lists_the_builtin() -> None:
    data = json.loads(run("plugins", "--json").stdout)
    builtin = next(p for p in data["plugins"] if p["name"] == "builtin")
    assert builtin["distribution"] == "machinectl"
    assert "none" in builtin["boards"] and "init_board" in builtin["hooks"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_hold_ends_cleanly_on_a_signal(signum: int) -> None:
    proc = subprocess.Popen(
        [
            *CLI,
            "run",
            "-M",
            "none",
            "-m",
            "32M",
            "-object",
            "memory-backend-memfd,id=shared,size=4M",
            "--hold",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    banner = proc.stderr.readline()
    assert banner.startswith("holding none (pid ")
    hint = proc.stderr.readline()
    assert hint.startswith(f"  shared: /proc/{proc.pid}/fd/")
    path = hint.split(": ", 1)[1].strip()
    assert os.path.exists(path)
    time.sleep(0.1)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
