"""The ppc distribution as installed: its entry point declares exactly the ppc machine types."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from machinectl import create_registry

PSERIES = [
    f"pseries-{v}"
    for v in (
        "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12",
        "2.12-sxxm", "3.0", "3.1", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1",
        "6.2", "7.0", "7.1", "7.2",
    )
]  # fmt: skip
EXPECTED = {
    "ppce500", "mpc8544ds", "mac99", "g3beige", "powernv8", "powernv9", "powernv10",
    "ref405ep", "taihu", "bamboo", "sam460ex", "virtex-ml507", "40p", "pegasos2", *PSERIES,
}  # fmt: skip
ALIASES = {"pseries": "pseries-7.2", "powernv": "powernv9"}


def test_only_core_and_ppc_list_exactly_the_ppc_boards() -> None:
    registry = create_registry(only=["machinectl-ppc"], strict=True)
    assert {b.name for b in registry.boards} == EXPECTED | {"none"}
    for name in EXPECTED:
        assert registry.board(name).distribution == "machinectl-ppc"
    for alias, name in ALIASES.items():
        assert registry.board(alias).name == name
    aliases = {b.spec.alias for b in registry.boards if b.spec.alias}
    assert aliases == set(ALIASES)


def test_list_boards_command_with_only_ppc() -> None:
    env = {**os.environ, "MACHINECTL_PLUGINS": "ppc", "MACHINECTL_STRICT": "1"}
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
