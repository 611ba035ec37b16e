"""The x86 machine types against QEMU 7.2 itself (and QEMU 5.0's facts for pc-1.x).

The ``data/qemu72_*.json`` files are what ``qemu-system-x86_64`` 7.2 did with each command
line (``data/regenerate.py`` rebuilds them); ``data/reference_x86.json`` holds the x86
records of the shared board reference, the only source for the machine types QEMU 7.2 no
longer has. machinectl must accept what QEMU accepts, with the same RAM sizes, backends and
RAM placement, and refuse what QEMU refuses, with QEMU's first error line.

Two differences are normalised: QEMU loads isapc's and microvm's firmware into RAM-type
regions, which machinectl models as ROM windows (they are not main RAM); and QEMU's warning
about deprecated machine types is the core's business, not the board's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from machinectl import Machine, MachineError, create_registry
from machinectl.plugins import Registry
from machinectl.testing import BoardConformance
from machinectl_x86 import plugin
from machinectl_x86.pc import PcModel

DATA = Path(__file__).parent / "data"
RAM_LINE = re.compile(r"(?P<range>\S+) \(prio (?P<prio>-?\d+), (?P<kind>[a-z/]+)\): (?P<rest>.*)")


def _load(name: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads((DATA / name).read_text())
    return records


SIZES = _load("qemu72_sizes.json")
MAXMEM = _load("qemu72_maxmem.json")
LARGE = _load("qemu72_large.json")
PROPERTIES = _load("qemu72_properties.json")
NUMA = _load("qemu72_numa.json")
REFERENCE = {r["machine"]: r for r in _load("reference_x86.json")}
#: One record per machine type (and alias): QEMU without -m.
DEFAULTS = [r for r in SIZES if r["size"] is None]
#: Machine types that only QEMU 5.0 has.
QEMU50_ONLY = sorted(m for m, r in REFERENCE.items() if r["present_in"] == ["5.0"])


def _id(record: dict[str, Any]) -> str:
    return " ".join([record["machine"], record["size"] or "-", *record["extra"]])


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry(only=["x86"], strict=True)


def _argv(record: dict[str, Any], machine: str | None = None) -> list[str]:
    argv = ["-M", machine or record["machine"]]
    if record["size"] is not None:
        argv += ["-m", record["size"]]
    return [*argv, *record["extra"]]


def _qemu_ram_map(record: dict[str, Any]) -> list[str]:
    """QEMU's RAM/ROM lines, with firmware in RAM-type regions shown as ROM."""
    main = {d["id"] for d in record["memdev"]}
    lines = []
    for text in record["ram-map"]:
        match = RAM_LINE.fullmatch(text)
        assert match is not None, text
        is_main_ram = match["rest"].split(" @")[0] in main
        lines.append(text if is_main_ram else text.replace(", ram)", ", rom)"))
    return lines


def _ram_map(machine: Machine) -> Iterator[str]:
    for line in machine.mtree_text(flat=True).splitlines():
        if ", ram)" in line or ", rom)" in line:
            yield line.strip()


def _as_printed(warning: str) -> str:
    """A warning as the command line prints it (one tied to an option names it first)."""
    return warning if ": warning: " in warning else f"warning: {warning}"


DEPRECATION = re.compile(r"warning: Machine type '.*' is deprecated")


def _board_warnings(warnings: list[str]) -> list[str]:
    return [w for w in warnings if not DEPRECATION.match(w)]


def check_against(
    registry: Registry, record: dict[str, Any], machine_type: str | None = None
) -> None:
    """Build the record's command line and compare everything QEMU reported."""
    if record["crashed"]:
        pytest.skip(f"QEMU 7.2 dies on this command line: {record['error']}")
    argv = _argv(record, machine_type)
    if not record["ok"]:
        expected = record["error"]
        if machine_type is not None:
            expected = expected.replace(record["machine"], machine_type)
        with pytest.raises(MachineError) as excinfo:
            Machine.from_argv(argv, registry=registry, allocate=False)
        assert str(excinfo.value) == expected
        return
    with Machine.from_argv(argv, registry=registry, allocate=False) as machine:
        query = machine.query()
        assert query["memory-size-summary"] == record["memory-size-summary"]
        assert sorted((d["id"], d["size"]) for d in query["memdev"]) == [
            (d["id"], d["size"]) for d in record["memdev"]
        ]
        assert list(_ram_map(machine)) == _qemu_ram_map(record)
        printed = [_as_printed(w) for w in machine.warnings]
        assert _board_warnings(printed) == _board_warnings(record["warnings"])


@pytest.mark.parametrize("record", SIZES, ids=_id)
def test_sizes(registry: Registry, record: dict[str, Any]) -> None:
    check_against(registry, record)


@pytest.mark.parametrize("record", MAXMEM, ids=_id)
def test_maxmem_and_slots(registry: Registry, record: dict[str, Any]) -> None:
    check_against(registry, record)


@pytest.mark.parametrize("record", LARGE, ids=_id)
def test_phys_bits_and_the_amd_hole(registry: Registry, record: dict[str, Any]) -> None:
    check_against(registry, record)


@pytest.mark.parametrize("record", PROPERTIES, ids=_id)
def test_max_ram_below_4g(registry: Registry, record: dict[str, Any]) -> None:
    check_against(registry, record)


@pytest.mark.parametrize("record", NUMA, ids=_id)
def test_numa_options(registry: Registry, record: dict[str, Any]) -> None:
    check_against(registry, record)


@pytest.mark.parametrize("record", DEFAULTS, ids=_id)
def test_machine_type_facts(registry: Registry, record: dict[str, Any]) -> None:
    info = record["machine-info"]
    board = registry.board(record["machine"])
    assert board.name == info["name"]
    assert board.spec.alias == info.get("alias")
    assert registry.default_ram_size(board) == record["memory-size-summary"]["base-memory"]
    assert registry.default_ram_id(board) == info["default-ram-id"]
    assert board.spec.numa_mem_supported == info["numa-mem-supported"]
    assert board.spec.deprecated == info["deprecated"]
    assert board.spec.memory_devices == ("plugged-memory" in record["memory-size-summary"])


def test_the_plugin_alone_declares_exactly_the_x86_machine_types() -> None:
    registry = create_registry(only=["x86"], strict=True)
    qemu72 = {r["machine-info"]["name"] for r in DEFAULTS}
    assert set(registry.boards) == {"none"} | qemu72 | set(QEMU50_ONLY)
    assert {b.spec.alias for b in registry.boards.values()} == {None, "pc", "q35"}
    assert not registry.failures


# -- QEMU 5.0's pc-1.0 … pc-1.3 ---------------------------------------------------------------

#: QEMU 7.2's oldest i440fx type, whose compatibility switches pc-1.x share.
PROXY = "pc-i440fx-1.4"
PROXY_RECORDS = [r for r in SIZES + MAXMEM if r["machine"] == PROXY]


def test_pc_1x_shares_the_switches_of_the_proxy() -> None:
    proxy_flags = REFERENCE[PROXY]["machine_flags"]
    for name in QEMU50_ONLY:
        flags = REFERENCE[name]["machine_flags"]
        assert flags == {k: proxy_flags[k] for k in flags}, name
    assert not any("phys-bits" in r.get("error", "") for r in PROXY_RECORDS)


@pytest.mark.parametrize("machine_type", QEMU50_ONLY)
@pytest.mark.parametrize("record", PROXY_RECORDS, ids=_id)
def test_pc_1x_behaves_as_qemu_50_says(
    registry: Registry, machine_type: str, record: dict[str, Any]
) -> None:
    check_against(registry, record, machine_type)


@pytest.mark.parametrize("machine_type", QEMU50_ONLY)
def test_pc_1x_reference_facts(registry: Registry, machine_type: str) -> None:
    reference = REFERENCE[machine_type]
    board = registry.board(machine_type)
    assert registry.default_ram_size(board) == reference["default_ram_size"]
    assert registry.default_ram_id(board) == reference["default_ram_id"]
    assert board.spec.deprecated
    refusal = next(r for r in reference["rules"] if r["kind"] == "maxmem_unsupported")
    with pytest.raises(MachineError) as excinfo:
        Machine.from_argv(
            ["-M", machine_type, "-m", "1G,maxmem=2G"], registry=registry, allocate=False
        )
    assert str(excinfo.value) == refusal["message"].format(machine=machine_type)


# -- the reference's compatibility switches ---------------------------------------------------

SWITCHES = {
    "gigabyte_align": "gigabyte_align",
    "has_reserved_memory": "has_reserved_memory",
    "enforce_aligned_dimm": "enforce_aligned_dimm",
    "broken_reserved_end": "broken_reserved_end",
    "enforce_amd_1tb_hole": "enforce_amd_1tb_hole",
}


@pytest.mark.parametrize("name", sorted(m for m in REFERENCE if m != "microvm"))
def test_switches_match_the_reference(registry: Registry, name: str) -> None:
    reference = REFERENCE[name]["machine_flags"]
    facts = plugin.facts(name)
    assert facts is not None
    model = facts.extra["model"]
    assert isinstance(model, PcModel)
    for key, attribute in SWITCHES.items():
        if key in reference:
            assert getattr(model, attribute) == reference[key], key
    if "pci_enabled" in reference:
        assert model.firmware.behind_pci == reference["pci_enabled"]
    if "numa_mem_supported_7_2" in reference:
        assert facts.spec.numa_mem_supported == reference["numa_mem_supported_7_2"]
    if "deprecated_in_7_2" in reference:
        assert facts.spec.deprecated == reference["deprecated_in_7_2"]


# -- the split points, one 8 KiB step either side ---------------------------------------------

BOUNDARIES = [
    ("pc-i440fx-7.2", "3670008K", "3584M"),
    ("pc-i440fx-2.0", "3670008K", "3584M"),
    ("pc-i440fx-1.7", "3670008K", "3584M"),
    ("isapc", "3670008K", "3584M"),
    ("pc-q35-7.2", "2883576K", "2816M"),
    ("pc-q35-2.4", "2883576K", "2816M"),
    ("microvm", "3G", "3145736K"),
]


def _above_4g(record: dict[str, Any]) -> list[str]:
    return [line for line in record["ram-map"] if int(line.split("-")[0], 16) >= 1 << 32]


@pytest.mark.parametrize(("machine_type", "below", "at"), BOUNDARIES)
def test_split_boundary(registry: Registry, machine_type: str, below: str, at: str) -> None:
    records = {r["size"]: r for r in SIZES if r["machine"] == machine_type}
    before, after = records[below], records[at]
    assert _above_4g(before) == []
    # Old i440fx types split at exactly 3.5 GiB of RAM and so keep nothing above 4 GiB there.
    facts = plugin.facts(machine_type)
    assert facts is not None
    model = facts.extra["model"]
    keeps_all_below = isinstance(model, PcModel) and not model.gigabyte_align
    assert (_above_4g(after) == []) == keeps_all_below
    check_against(registry, before)
    check_against(registry, after)


class TestConformance(BoardConformance):
    distribution = "machinectl-x86"
