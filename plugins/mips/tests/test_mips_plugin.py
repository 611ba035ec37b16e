"""The mips distribution as installed: its entry point declares exactly the mips machine types."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from machinectl import MachineError, create_registry

EXPECTED = {"boston", "fuloong2e", "magnum", "pica61", "malta", "mipssim", "mips", "loongson3-virt"}


def test_only_core_and_mips_list_exactly_the_mips_boards() -> None:
    registry = create_registry(only=["machinectl-mips"], strict=True)
    assert {b.name for b in registry.boards} == EXPECTED | {"none"}
    for name in EXPECTED:
        assert registry.board(name).distribution == "machinectl-mips"
    assert not any(board.spec.alias for board in registry.boards)


def test_fulong2e_is_no_longer_a_name() -> None:
    registry = create_registry(only=["machinectl-mips"], strict=True)
    with pytest.raises(MachineError, match=r"^unsupported machine type$"):
        registry.board("fulong2e")


def test_list_boards_command_with_only_mips() -> None:
    env = {**os.environ, "MACHINECTL_PLUGINS": "mips", "MACHINECTL_STRICT": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "machinectl.cli", "list-boards", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(proc.stdout)
    assert {row["name"] for row in rows} == EXPECTED | {"none"}
    assert proc.stderr == ""
