"""The machine's guest-address helpers: region_at, ram_offset, guest_address, guest_view.

Alias chains and windows have their own tests (test_alias_chains.py, test_windows.py); here the
plain cases, NUMA machines of several backends, and the errors.
"""

from __future__ import annotations

import pytest
from machinectl import (
    BoardFacts,
    BoardSpec,
    BoardTable,
    Machine,
    MachineError,
    MachineState,
    MemoryRegion,
    MiB,
    Registry,
    Window,
    create_registry,
)

BASE = 0x4000_0000


def split_layout(machine: MachineState, facts: BoardFacts) -> None:
    """The first half of RAM at BASE, the second at 4 GiB, and a window over the first."""
    ram = machine.ram
    assert ram is not None
    half = ram.size // 2
    machine.map_ram(BASE, MemoryRegion.alias("low", ram, 0, half))
    machine.map_ram(1 << 32, MemoryRegion.alias("high", ram, half, ram.size - half))


@pytest.fixture(scope="module")
def registry() -> Registry:
    table = BoardTable(
        [
            BoardFacts(
                spec=BoardSpec(name="split", family="test", numa=True),
                default_ram_size=64 * MiB,
                default_ram_id="split.ram",
                layout=split_layout,
                windows=[Window("uart", BASE + 0x10_0000, 0x1000)],
            )
        ]
    )
    return create_registry(load_entrypoints=False, plugins=[("split", table)], strict=True)


def test_addresses_and_offsets_both_ways(registry: Registry) -> None:
    with Machine.create("split", registry=registry) as machine:
        assert machine.ram_offset(BASE) == ("split.ram", 0)
        assert machine.ram_offset(BASE + 0x20_0000) == ("split.ram", 0x20_0000)
        assert machine.ram_offset((1 << 32) + 5) == ("split.ram", 32 * MiB + 5)
        for offset in (0, 0x20_0000, 32 * MiB + 5, 64 * MiB - 1):
            address = machine.guest_address("split.ram", offset)
            assert machine.ram_offset(address) == ("split.ram", offset)
        # The RAM under the window is not visible anywhere.
        with pytest.raises(MachineError, match=r"byte 0x100000 of memory backend 'split\.ram'"):
            machine.guest_address("split.ram", 0x10_0000)
        with pytest.raises(MachineError, match="no memory backend 'nope'"):
            machine.guest_address("nope", 0)
        assert machine.region_at(BASE - 1) is None
        with pytest.raises(MachineError, match="no guest RAM at address 0x3fffffff"):
            machine.ram_offset(BASE - 1)


def test_a_view_is_the_guests_memory(registry: Registry) -> None:
    with Machine.create("split", registry=registry) as machine:
        assert machine.ram is not None
        with machine.guest_view((1 << 32) + 0x10, 6) as view:
            view[:] = b"guests"
        whole = machine.ram.view
        assert bytes(whole[32 * MiB + 0x10 : 32 * MiB + 0x16]) == b"guests"
        whole.release()
        for address, size in (
            (BASE + 0xF_FFFF, 2),  # into the window
            (BASE + 32 * MiB - 1, 2),  # past the low half into the hole
            (BASE - 4, 8),  # from the hole
        ):
            with pytest.raises(MachineError, match=r"not contiguous RAM|no guest RAM"):
                machine.guest_view(address, size).release()
        with pytest.raises(MachineError, match="invalid size"):
            machine.guest_view(BASE, 0)


def test_numa_nodes_are_separate_backends(registry: Registry) -> None:
    objects = [
        {"qom-type": "memory-backend-ram", "id": "n0", "size": "32M"},
        {"qom-type": "memory-backend-ram", "id": "n1", "size": "32M"},
    ]
    numa = [{"type": "node", "memdev": "n0"}, {"type": "node", "memdev": "n1"}]
    with Machine.create("split", "64M", objects=objects, numa=numa, registry=registry) as machine:
        assert machine.ram_offset(BASE + 0x20_0000) == ("n0", 0x20_0000)
        assert machine.ram_offset((1 << 32) + 0x30) == ("n1", 0x30)
        assert machine.guest_address("n1", 0x30) == (1 << 32) + 0x30
        with machine.guest_view((1 << 32) + 0x30, 2) as view:
            view[:] = b"n1"
        node = next(b for b in machine.backends if b.id == "n1").view()
        assert bytes(node[0x30:0x32]) == b"n1"
        node.release()
