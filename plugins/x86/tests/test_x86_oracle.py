"""The x86 machine types against QEMU 7.2 itself (and QEMU 5.0's facts for pc-1.x).

The ``data/qemu72_*.json`` files are what ``qemu-system-x86_64`` 7.2 did with each command
line (``data/regenerate.py`` rebuilds them); ``data/reference_x86.json`` holds the x86
records of the shared board reference, the only source for the machine types QEMU 7.2 no
longer has. machinectl must accept what QEMU accepts, with the same RAM sizes, backends and
RAM placement (every RAM and ROM line of the flat view), and refuse what QEMU refuses, with
QEMU's first error line. The firmware windows are compared with their types: ROM on the
PCI machines, writable RAM on isapc and microvm, sized by ``-bios`` where it is given
(``data/qemu72_firmware.json``). QEMU's warning about deprecated machine types is left out: it
is the core's business, not the board's; and QEMU prints its refusal of a BIOS file with a
program name of its own (``qemu: could not load PC BIOS ...``), which is left out too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from machinectl import Machine, MachineError
from machinectl.oracle import (
    DEVICE_NOISE,
    LOADER_OPTIONS,
    OracleConformance,
    Record,
    load_records,
    record_id,
)
from machinectl.plugins import Registry
from machinectl.testing import BoardConformance
from machinectl_x86 import plugin
from machinectl_x86.pc import PcModel

DATA = Path(__file__).parent / "data"
SIZES = load_records(DATA / "qemu72_sizes.json")
MAXMEM = load_records(DATA / "qemu72_maxmem.json")
REFERENCE: dict[str, dict[str, Any]] = {
    r["machine"]: r for r in json.loads((DATA / "reference_x86.json").read_text())
}
#: Machine types that only QEMU 5.0 has.
QEMU50_ONLY = sorted(m for m, r in REFERENCE.items() if r["present_in"] == ["5.0"])
#: QEMU 7.2's oldest i440fx type, whose compatibility switches pc-1.x share.
PROXY = "pc-i440fx-1.4"
PROXY_RECORDS = [r for r in SIZES + MAXMEM if r["machine"] == PROXY]
#: How QEMU prints its refusal of a ``-bios`` file.
BIOS_REFUSAL = "qemu: could not load PC BIOS "
#: The split points, one 8 KiB step either side.
BOUNDARIES = [
    ("pc-i440fx-7.2", "3670008K", "3584M"),
    ("pc-i440fx-2.0", "3670008K", "3584M"),
    ("pc-i440fx-1.7", "3670008K", "3584M"),
    ("isapc", "3670008K", "3584M"),
    ("pc-q35-7.2", "2883576K", "2816M"),
    ("pc-q35-2.4", "2883576K", "2816M"),
    ("microvm", "3G", "3145736K"),
]


def as_machine(record: Record, machine: str) -> Record:
    """The record as if QEMU had been run with another machine type of the same switches."""
    renamed = {**record, "machine": machine}
    if not record["ok"]:
        renamed["error"] = record["error"].replace(record["machine"], machine)
        renamed["stderr"] = [line.replace(record["machine"], machine) for line in record["stderr"]]
    return renamed


class TestAgainstQemu(OracleConformance):
    distribution = "machinectl-x86"
    oracle_files = ("data/qemu72_*.json",)
    whole_ram_map = True
    #: ``-bios`` sizes the firmware windows.
    dropped_options = LOADER_OPTIONS - {"-bios"}
    ignored_warnings = re.compile(
        rf"{DEVICE_NOISE.pattern}|warning: Machine type '.*' is deprecated"
    )
    unrecorded = frozenset(QEMU50_ONLY)

    def check_refusal(self, error: MachineError, record: Record) -> None:
        super().check_refusal(error, without_own_program_name(record))

    def test_only_pc_and_q35_are_aliases(self, oracle_registry: Registry) -> None:
        assert {b.spec.alias for b in oracle_registry.boards} == {None, "pc", "q35"}

    # -- QEMU 5.0's pc-1.0 … pc-1.3 -----------------------------------------------------------

    def test_pc_1x_shares_the_switches_of_the_proxy(self) -> None:
        proxy_flags = REFERENCE[PROXY]["machine_flags"]
        for name in QEMU50_ONLY:
            flags = REFERENCE[name]["machine_flags"]
            assert flags == {k: proxy_flags[k] for k in flags}, name
        assert not any("phys-bits" in r.get("error", "") for r in PROXY_RECORDS)

    @pytest.mark.parametrize("machine_type", QEMU50_ONLY)
    @pytest.mark.parametrize("proxy_record", PROXY_RECORDS, ids=record_id)
    def test_pc_1x_behaves_as_qemu_50_says(
        self, oracle_registry: Registry, machine_type: str, proxy_record: Record
    ) -> None:
        self.compare(oracle_registry, as_machine(proxy_record, machine_type))

    @pytest.mark.parametrize("machine_type", QEMU50_ONLY)
    def test_pc_1x_reference_facts(self, oracle_registry: Registry, machine_type: str) -> None:
        reference = REFERENCE[machine_type]
        board = oracle_registry.board(machine_type)
        assert oracle_registry.default_ram_size(board) == reference["default_ram_size"]
        assert oracle_registry.default_ram_id(board) == reference["default_ram_id"]
        assert board.spec.deprecated
        refusal = next(r for r in reference["rules"] if r["kind"] == "maxmem_unsupported")
        with pytest.raises(MachineError) as excinfo:
            Machine.from_argv(
                ["-M", machine_type, "-m", "1G,maxmem=2G"],
                registry=oracle_registry,
                allocate=False,
            )
        assert str(excinfo.value) == refusal["message"].format(machine=machine_type)

    # -- the split points ----------------------------------------------------------------------

    @pytest.mark.parametrize(("machine_type", "below", "at"), BOUNDARIES)
    def test_split_boundary(
        self, oracle_registry: Registry, machine_type: str, below: str, at: str
    ) -> None:
        records = {r["size"]: r for r in SIZES if r["machine"] == machine_type}
        before, after = records[below], records[at]
        assert _above_4g(before) == []
        # Old i440fx types split at exactly 3.5 GiB of RAM and so keep nothing above 4 GiB.
        facts = plugin.facts(machine_type)
        assert facts is not None
        model = facts.extra["model"]
        keeps_all_below = isinstance(model, PcModel) and not model.gigabyte_align
        assert (_above_4g(after) == []) == keeps_all_below
        self.compare(oracle_registry, before)
        self.compare(oracle_registry, after)


def without_own_program_name(record: Record) -> Record:
    """The record with QEMU's ``qemu: `` left out of the one error it prints that way."""
    error = record["error"]
    if not error.startswith(BIOS_REFUSAL):
        return record
    bare = error.removeprefix("qemu: ")
    return {
        **record,
        "error": bare,
        "stderr": [bare if e == error else e for e in record["stderr"]],
    }


def _above_4g(record: Record) -> list[str]:
    return [line for line in record["ram-map"] if int(line.split("-")[0], 16) >= 1 << 32]


# -- the reference's compatibility switches ---------------------------------------------------

SWITCHES = (
    "gigabyte_align",
    "has_reserved_memory",
    "enforce_aligned_dimm",
    "broken_reserved_end",
    "enforce_amd_1tb_hole",
)


@pytest.mark.parametrize("name", sorted(m for m in REFERENCE if m != "microvm"))
def test_switches_match_the_reference(name: str) -> None:
    reference = REFERENCE[name]["machine_flags"]
    facts = plugin.facts(name)
    assert facts is not None
    model = facts.extra["model"]
    assert isinstance(model, PcModel)
    for key in SWITCHES:
        if key in reference:
            assert getattr(model, key) == reference[key], key
    if "pci_enabled" in reference:
        assert model.firmware.behind_pci == reference["pci_enabled"]
    if "numa_mem_supported_7_2" in reference:
        assert facts.spec.numa_mem_supported == reference["numa_mem_supported_7_2"]
    if "deprecated_in_7_2" in reference:
        assert facts.spec.deprecated == reference["deprecated_in_7_2"]


class TestConformance(BoardConformance):
    distribution = "machinectl-x86"
