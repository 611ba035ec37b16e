"""The lm32 boards against QEMU 5.0 (tests/data/reference50.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from machinectl import Machine, MachineError, create_registry
from machinectl.plugins import Registry
from machinectl.testing import BoardConformance

BOARDS = {"lm32-evr", "lm32-uclinux", "milkymist"}
DATA = Path(__file__).parent / "data"
RECORDS = [r for p in sorted(DATA.glob("reference50.json")) for r in json.loads(p.read_text())]
RUNS = [r for r in RECORDS if "ok" in r]
#: QEMU options that only got QEMU past its firmware and kernel checks.
LOADER_OPTIONS = {"-kernel", "-bios", "-L"}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry(only=["lm32"], strict=True)


def argv(record: dict[str, Any]) -> list[str]:
    args = ["-M", record["machine"]]
    if record["size"] is not None:
        args += ["-m", record["size"]]
    extra = iter(record.get("extra", []))
    for option in extra:
        value = next(extra)
        if option not in LOADER_OPTIONS:
            args += [option, value]
    return args


def flat_lines(machine: Machine, region: str) -> list[str]:
    lines = machine.mtree_text(flat=True).splitlines()
    return [
        line.strip() for line in lines if line.endswith(f"): {region}") or f"): {region} @" in line
    ]


def test_declares_exactly_its_boards(registry: Registry) -> None:
    assert set(registry.boards) == BOARDS | {"none"}


def test_oracle_covers_every_board() -> None:
    assert {r["machine"] for r in RUNS} == BOARDS


@pytest.mark.parametrize("record", RUNS, ids=lambda r: f"{r['machine']}-m{r['size']}")
def test_matches_qemu(registry: Registry, record: dict[str, Any]) -> None:
    if not record["ok"]:
        with pytest.raises(MachineError) as refused:
            Machine.from_argv(argv(record), registry=registry, allocate=False)
        assert str(refused.value) == record["error"]
        return
    machine = Machine.from_argv(argv(record), registry=registry, allocate=False)
    query = machine.query()
    assert query["memory-size-summary"] == record["memory-size-summary"]
    assert query["machine"]["default-ram-id"] == record["machine-info"]["default-ram-id"]
    spec, info = registry.board(record["machine"]).spec, record["machine-info"]
    assert spec.numa_mem_supported == info["numa-mem-supported"]
    assert (spec.deprecated, spec.alias) == (info.get("deprecated", False), info.get("alias"))
    (memdev,) = record["memdev"]
    assert [(d["id"], d["size"]) for d in query["memdev"]] == [(memdev["id"], memdev["size"])]
    expected = [line for line in record["ram-map"] if f"): {memdev['id']}" in line]
    assert flat_lines(machine, memdev["id"]) == expected


class TestConformance(BoardConformance):
    distribution = "machinectl-lm32"
