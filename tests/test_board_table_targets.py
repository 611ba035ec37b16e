"""One :class:`BoardTable` may declare a machine-type name once per target."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from machinectl import BoardFacts, BoardSpec, BoardTable, Machine, MachineError, MiB
from machinectl.plugins import create_registry


def _record(targets: tuple[str, ...], size: int, ram_id: str = "board.ram") -> BoardFacts:
    return BoardFacts(
        spec=BoardSpec(name="board", description="a board", family="test", targets=targets),
        default_ram_size=size,
        default_ram_id=ram_id,
        ram_base=0x8000_0000,
    )


NARROW = _record(("t32",), 16 * MiB, "narrow.ram")
WIDE = _record(("t64",), 64 * MiB, "wide.ram")


def test_one_name_for_two_targets() -> None:
    table = BoardTable([NARROW, WIDE])
    assert list(table) == [NARROW, WIDE]
    assert len(table) == 2
    assert table.facts("board", "t32") is NARROW
    assert table.facts("board", "t64") is WIDE
    assert table.facts("board") is NARROW
    assert table.facts("board", "t16") is None
    assert [spec.targets for spec in table.register_boards()] == [("t32",), ("t64",)]


def test_each_target_builds_its_own_board() -> None:
    registry = create_registry(
        load_entrypoints=False, plugins=[("table", BoardTable([NARROW, WIDE]))]
    )
    for target, size, ram_id in (("t32", 16 * MiB, "narrow.ram"), ("t64", 64 * MiB, "wide.ram")):
        board = registry.board("board", target)
        assert registry.default_ram_id(board) == ram_id
        with Machine.from_argv(
            ["-M", "board"], target=target, registry=registry, allocate=False
        ) as machine:
            assert machine.state.ram_size == size
    with pytest.raises(MachineError, match=r"exists for several targets: t32 .*; t64 "):
        registry.board("board")
    # A target the name does not exist for: QEMU's message, and where the name does exist.
    for target in ("riscv64", "x86_64"):  # QEMU's targets, without a board here
        with pytest.raises(MachineError) as info:
            registry.board("board", target)
        assert str(info.value) == "unsupported machine type"
        assert info.value.suggestion == f"'board' is a machine type of t32, t64, not of '{target}'"
    # A target neither QEMU nor a board has is a mistake, even for `none` (every target).
    for name in ("board", "none"):
        with pytest.raises(MachineError) as info:
            registry.board(name, "t16")
        assert str(info.value) == "unknown target 't16'"
        assert info.value.hint is not None
        assert info.value.hint.startswith("did you mean 't64'?")
        assert "t32, t64" in info.value.hint and "x86_64" in info.value.hint
    assert registry.board("none", "riscv64").name == "none"


def test_the_command_line_names_the_targets_of_a_name_asked_for_another(tmp_path: Path) -> None:
    """From the board index too (no plugin imported), for every target spelling."""
    env = {**os.environ, "MACHINECTL_CACHE_DIR": str(tmp_path)}
    for args in (["--target", "x86_64"], []):
        extra = {} if args else {"MACHINECTL_TARGET": "x86_64"}
        proc = subprocess.run(
            [sys.executable, "-m", "machinectl.cli", "run", *args, "-M", "raspi3b"],
            capture_output=True,
            text=True,
            env={**env, **extra},
            check=False,
        )
        assert (proc.returncode, proc.stdout) == (1, "")
        assert proc.stderr == (
            "machinectl: unsupported machine type (Use -machine help to list supported "
            "machines; 'raspi3b' is a machine type of aarch64, not of 'x86_64')\n"
        )


@pytest.mark.parametrize(
    "other", [("t32",), ("t32", "t64"), ("*",)], ids=["same", "overlapping", "every"]
)
def test_a_shared_target_is_declared_twice(other: tuple[str, ...]) -> None:
    with pytest.raises(MachineError, match="machine type 'board' is declared twice"):
        BoardTable([NARROW, _record(other, 32 * MiB)])


def test_the_command_line_refuses_an_unknown_target(tmp_path: Path) -> None:
    """From the board index: run and describe refuse a target no one has, list-boards too;
    a QEMU target without boards here still has `none`."""
    env = {**os.environ, "MACHINECTL_CACHE_DIR": str(tmp_path)}
    cli = [sys.executable, "-m", "machinectl.cli"]

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*cli, *args], capture_output=True, text=True, env={**env, **extra}, check=False
        )

    for args, extra in (
        (["run", "--target", "x86-64", "-M", "none", "--dry-run"], {}),
        (["run", "-M", "none", "--dry-run"], {"MACHINECTL_TARGET": "x86-64"}),
        (["describe", "none", "--target", "x86-64"], {}),
        (["run", "--target", "x86-64", "-M", "help"], {}),
    ):
        proc = run(*args, **extra)
        assert (proc.returncode, proc.stdout) == (1, "")
        assert proc.stderr.startswith(
            "machinectl: unknown target 'x86-64' (did you mean 'x86_64'? known targets: "
        )
        assert proc.stderr.count("\n") == 1
    for target in ({}, {"MACHINECTL_TARGET": "x86-64"}):
        proc = run("list-boards", *(() if target else ("--target", "x86-64")), **target)
        assert (proc.returncode, proc.stdout) == (1, "")
        assert proc.stderr.startswith("machinectl: unknown target 'x86-64' (did you mean ")
    proc = run("list-boards", "--target", "tricore")  # QEMU's, no plugin here
    assert proc.returncode == 0 and [line.split()[0] for line in proc.stdout.splitlines()] == [
        "NAME",
        "none",
    ]
    assert run("run", "--target", "tricore", "-M", "none", "--dry-run").returncode == 0
