"""Aliases of aliases: QEMU's ``microchip-icicle-kit`` maps its DDR through two levels of them.

``tests/data/icicle_kit_qemu72.json`` holds what ``qemu-system-riscv64`` 7.2 printed for the
board (``tests/data/record_icicle.py`` records it). The board below builds the same layout the
way QEMU's ``hw/riscv/microchip_pfsoc.c`` does, with some of its on-chip memories as windows,
and every view of the machine must agree with QEMU's: the flat view, ``info mtree``,
``query()`` and the RAM ranges an embedding emulator maps.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from machinectl import (
    BoardFacts,
    BoardSpec,
    BoardTable,
    Check,
    GiB,
    Machine,
    MachineError,
    MachineState,
    MemoryRegion,
    MiB,
    Registry,
    Window,
    create_registry,
)
from machinectl.memory import Kind, flatten, mtree_text
from machinectl.oracle import lines_of

DATA = Path(__file__).resolve().parent / "data"
RECORDS: list[dict[str, Any]] = json.loads((DATA / "icicle_kit_qemu72.json").read_text())

RAM_ID = "microchip.icicle.kit.ram"
DRAM_LO, DRAM_LO_ALIAS = 0x8000_0000, 0xC000_0000
DRAM_HI, DRAM_HI_ALIAS = 0x10_0000_0000, 0x14_0000_0000
LOW_SIZE = 1 * GiB


def icicle_layout(machine: MachineState, facts: BoardFacts) -> None:
    """DDR as QEMU 7.2 maps it: low and high aliases of main RAM, and an alias of each."""
    ram = machine.ram
    assert ram is not None
    low = MemoryRegion.alias(f"{RAM_ID}_low", ram, 0, LOW_SIZE)
    high = MemoryRegion.alias(f"{RAM_ID}_high", ram, LOW_SIZE, machine.ram_size - LOW_SIZE)
    machine.map_ram(DRAM_LO, low)
    machine.map_ram(DRAM_HI, high)
    machine.map_ram(DRAM_LO_ALIAS, MemoryRegion.alias(f"{RAM_ID}_low.alias", low, 0, low.size))
    machine.map_ram(DRAM_HI_ALIAS, MemoryRegion.alias(f"{RAM_ID}_high.alias", high, 0, high.size))


def _bigger_than_default(machine: MachineState) -> MachineError | None:
    if machine.ram_size > 1536 * MiB:
        return None
    return MachineError("Invalid RAM size, should be bigger than 1.5 GiB")


#: On-chip memories and devices of the SoC, as QEMU 7.2 places and types them.
WINDOWS = (
    Window("microchip.pfsoc.rsvd0_mem", 0x0, 0x100, kind="ram"),
    Window("microchip.pfsoc.e51_dtim_mem", 0x100_0000, 0x2000, kind="ram"),
    Window("microchip.pfsoc.l2lim", 0x800_0000, 0x200_0000, kind="ram"),
    Window("riscv.sifive.plic", 0xC00_0000, 0x400_0000),
    Window("microchip.pfsoc.envm.data", 0x2022_0000, 0x2_0000, kind="rom"),
    Window("microchip.pfsoc.qspi_xip", 0x2100_0000, 0x100_0000, kind="rom"),
    Window("microchip.pfsoc.fabricfic3", 0x4000_0000, 0x2000_0000, priority=-1000),
)

ICICLE = BoardFacts(
    spec=BoardSpec(
        name="microchip-icicle-kit",
        description="Microchip PolarFire SoC Icicle Kit",
        family="riscv",
        targets=("riscv64",),
    ),
    default_ram_size=1537 * MiB,
    default_ram_id=RAM_ID,
    rules=[Check("RAM bigger than 1.5 GiB", test=_bigger_than_default)],
    layout=icicle_layout,
    windows=WINDOWS,
)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry(
        load_entrypoints=False, plugins=[("icicle", BoardTable([ICICLE]))], strict=True
    )


def build(registry: Registry, record: dict[str, Any], *, allocate: bool = False) -> Machine:
    argv = ["-M", "microchip-icicle-kit", *(["-m", record["size"]] if record["size"] else [])]
    return Machine.from_argv(argv, registry=registry, allocate=allocate)


def record_id(record: dict[str, Any]) -> str:
    return f"-m {record['size'] or 'default'}"


def flat_lines(text: str) -> list[str]:
    """The range lines of the first flat view of ``info mtree -f`` (the system memory)."""
    view = text.split("FlatView #1", 1)[0]
    return [line.strip() for line in view.splitlines() if re.match(r"  [0-9a-f]{16}-", line)]


def sections(text: str) -> dict[str, list[str]]:
    """The ``memory-region:`` sections of ``info mtree``: name -> its lines."""
    found: dict[str, list[str]] = {}
    for block in text.split("\n\n"):
        head, _, body = block.strip("\n").partition("\n")
        if head.startswith("memory-region: "):
            found[head.removeprefix("memory-region: ")] = body.splitlines()
    return found


def system_lines(text: str) -> list[str]:
    """The lines of the ``address-space: memory`` section of ``info mtree``."""
    block = text[text.index("address-space: memory\n") :].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines()[1:]]


COMPARED = [RAM_ID, *(w.name for w in WINDOWS)]


@pytest.mark.parametrize("record", RECORDS, ids=record_id)
def test_flat_view_matches_qemu(registry: Registry, record: dict[str, Any]) -> None:
    """Main RAM through both alias levels, named and offset as QEMU prints it, and the
    windows with QEMU's types."""
    with build(registry, record) as machine:
        ours = lines_of(flat_lines(machine.mtree_text(flat=True)), COMPARED)
    qemu = lines_of(flat_lines(record["mtree-flat"]), COMPARED)
    assert len(qemu) == 4 + len(WINDOWS)
    assert ours == qemu


@pytest.mark.parametrize("record", RECORDS, ids=record_id)
def test_info_mtree_matches_qemu(registry: Registry, record: dict[str, Any]) -> None:
    """The aliases in the system tree, and every alias target listed on its own (the
    second-level targets are mapped aliases themselves), in QEMU's order."""
    with build(registry, record) as machine:
        text = machine.mtree_text()
    ours, qemu = sections(text), sections(record["mtree"])
    assert list(ours) == [RAM_ID, f"{RAM_ID}_low", f"{RAM_ID}_high"]
    assert ours == qemu
    aliases = [line for line in system_lines(record["mtree"]) if ": alias " in line]
    assert len(aliases) == 4
    assert [line for line in system_lines(text) if ": alias " in line] == aliases


@pytest.mark.parametrize("record", RECORDS, ids=record_id)
def test_query_resolves_the_chains(registry: Registry, record: dict[str, Any]) -> None:
    with build(registry, record) as machine:
        mtree = machine.query()["mtree"]
        size = machine.state.ram_size
    ram = [r for r in mtree["flat"] if r["kind"] == "ram" and r["region"] == RAM_ID]
    high = size - LOW_SIZE
    assert [(r["start"], r["size"], r["offset"]) for r in ram] == [
        (DRAM_LO, LOW_SIZE, 0),
        (DRAM_LO_ALIAS, LOW_SIZE, 0),
        (DRAM_HI, high, LOW_SIZE),
        (DRAM_HI_ALIAS, high, LOW_SIZE),
    ]
    tree = {node["name"]: node for node in mtree["tree"]["subregions"]}
    assert tree[f"{RAM_ID}_low.alias"]["alias-of"] == f"{RAM_ID}_low"
    assert tree[f"{RAM_ID}_high.alias"]["alias-of"] == f"{RAM_ID}_high"


def test_ram_ranges_and_helpers_follow_the_chains(registry: Registry) -> None:
    """What an embedding emulator maps: all four places, two of them through two aliases,
    backed by the same host memory."""
    (default,) = [r for r in RECORDS if r["size"] is None]
    with build(registry, default, allocate=True) as machine:
        assert machine.ram is not None
        host = machine.ram.host_address
        high = machine.state.ram_size - LOW_SIZE
        assert [(r.guest_address, r.size, r.host_address - host) for r in machine.ram_ranges()] == [
            (DRAM_LO, LOW_SIZE, 0),
            (DRAM_LO_ALIAS, LOW_SIZE, 0),
            (DRAM_HI, high, LOW_SIZE),
            (DRAM_HI_ALIAS, high, LOW_SIZE),
        ]
        assert machine.ram_offset(DRAM_LO_ALIAS + 0x10) == (RAM_ID, 0x10)
        assert machine.ram_offset(DRAM_HI_ALIAS + 0x20) == (RAM_ID, LOW_SIZE + 0x20)
        assert machine.guest_address(RAM_ID, LOW_SIZE + 0x20) == DRAM_HI + 0x20
        with machine.guest_view(DRAM_HI_ALIAS + 0x1000, 4) as through_chain:
            through_chain[:] = b"icey"
        with machine.guest_view(DRAM_HI + 0x1000, 4) as direct:
            assert bytes(direct) == b"icey"
        # The low DDR and its alias are adjacent but show the same bytes twice: not one range.
        with pytest.raises(MachineError, match="not contiguous RAM"):
            machine.guest_view(DRAM_LO_ALIAS - 2, 4).release()
        l2lim = machine.region_at(0x800_1000)
        assert l2lim is not None and (l2lim.region, l2lim.kind) == ("microchip.pfsoc.l2lim", "ram")
        with pytest.raises(MachineError, match="no guest RAM at address 0x8001000"):
            machine.ram_offset(0x800_1000)


# -- chains built by hand --------------------------------------------------------------------


def ram_region(name: str, size: int) -> MemoryRegion:
    """A RAM-kind region without a backend: the flat view and the tree do not need one."""
    return MemoryRegion.window(name, size, Kind.RAM)


def three_levels() -> tuple[MemoryRegion, MemoryRegion]:
    system = MemoryRegion.container("system", 1 << 64)
    ram = ram_region("ram", 64 * MiB)
    first = MemoryRegion.alias("first", ram, 8 * MiB, 32 * MiB)  # ram[8M, 40M)
    second = MemoryRegion.alias("second", first, 4 * MiB, 16 * MiB)  # ram[12M, 28M)
    third = MemoryRegion.alias("third", second, 2 * MiB, 64 * MiB)  # ram[14M, 28M): clipped
    system.add_subregion(0x1000_0000, third)
    return system, ram


def test_a_chain_of_three_is_offset_and_clipped_at_every_level() -> None:
    system, _ = three_levels()
    assert [(r.start, r.end, r.region, r.offset) for r in flatten(system)] == [
        (0x1000_0000, 0x1000_0000 + 14 * MiB, "ram", 14 * MiB)
    ]


def test_unmapped_alias_targets_are_listed_in_the_order_met() -> None:
    system, _ = three_levels()
    text = mtree_text(system)
    assert list(sections(text)) == ["second", "first", "ram"]
    assert sections(text)["first"] == [
        "  0000000000000000-0000000001ffffff (prio 0, ram): alias first @ram "
        "0000000000800000-00000000027fffff"
    ]
    assert sections(text)["ram"] == ["  0000000000000000-0000000003ffffff (prio 0, ram): ram"]
