"""Memory regions: priorities, aliases, windows that hide RAM, and QEMU's mtree formats."""

from __future__ import annotations

import pytest
from machinectl import MachineError, MemoryRegion
from machinectl.memory import flatten, mtree_flat_text, mtree_text

MiB = 1 << 20


def ram(name: str, size: int) -> MemoryRegion:
    # A RAM-like leaf without host memory: regions only need a name and a size.
    return MemoryRegion.rom(name, size)


def test_pc_like_split_with_aliases() -> None:
    system = MemoryRegion.container("system", 1 << 64)
    main = MemoryRegion.container("pc.ram", 5 << 30)
    main.add_subregion(0, ram("pc.ram-bytes", 5 << 30))
    below = MemoryRegion.alias("ram-below-4g", main, 0, 3 << 30)
    above = MemoryRegion.alias("ram-above-4g", main, 3 << 30, 2 << 30)
    system.add_subregion(0, below)
    system.add_subregion(4 << 30, above)
    flat = [(r.start, r.end, r.region, r.offset) for r in flatten(system)]
    assert flat == [
        (0, 3 << 30, "pc.ram-bytes", 0),
        (4 << 30, 6 << 30, "pc.ram-bytes", 3 << 30),
    ]


def test_higher_priority_window_hides_ram() -> None:
    system = MemoryRegion.container("system", 1 << 32)
    system.add_subregion(0, ram("ram", 64 * MiB))
    system.add_subregion(16 * MiB, MemoryRegion.io("window", MiB), priority=1)
    text = mtree_flat_text(system)
    assert "0000000000000000-0000000000ffffff (prio 0, rom): ram\n" in text
    assert "0000000001000000-00000000010fffff (prio 1, i/o): window\n" in text
    assert "0000000001100000-0000000003ffffff (prio 0, rom): ram @0000000001100000\n" in text


def test_lower_priority_filler_stays_behind() -> None:
    container = MemoryRegion.container("ram-container", 512 * MiB)
    container.add_subregion(0, ram("ram", 256 * MiB))
    container.add_subregion(0, MemoryRegion.io("ram-empty", 512 * MiB), priority=-1000)
    flat = [(r.start, r.end, r.region, r.priority) for r in flatten(container)]
    assert flat == [(0, 256 * MiB, "ram", 0), (256 * MiB, 512 * MiB, "ram-empty", -1000)]


def test_equal_priority_newer_wins() -> None:
    system = MemoryRegion.container("system", 1 << 32)
    system.add_subregion(0, ram("old", MiB))
    system.add_subregion(0, ram("new", MiB))
    assert [r.region for r in flatten(system)] == ["new"]


def test_region_mapped_once_and_must_fit() -> None:
    system = MemoryRegion.container("system", 1 << 32)
    r = ram("ram", MiB)
    system.add_subregion(0, r)
    with pytest.raises(MachineError, match="already mapped"):
        system.add_subregion(2 * MiB, r)
    with pytest.raises(MachineError, match="does not fit"):
        system.add_subregion((1 << 32) - 1, ram("late", MiB))
    with pytest.raises(MachineError, match="does not fit the region"):
        MemoryRegion.alias("too-far", r, MiB, MiB)


def test_alias_past_the_end_shows_only_what_exists() -> None:
    system = MemoryRegion.container("system", 1 << 32)
    target = ram("ram", MiB)
    system.add_subregion(16 * MiB, MemoryRegion.alias("long", target, MiB // 2, 4 * MiB))
    flat = [(r.start, r.end, r.region, r.offset) for r in flatten(system)]
    assert flat == [(16 * MiB, 16 * MiB + MiB // 2, "ram", MiB // 2)]


def test_mtree_text_shows_aliases_and_their_target() -> None:
    system = MemoryRegion.container("system", 1 << 64)
    target = ram("pc.ram", 64 * MiB)
    system.add_subregion(0, MemoryRegion.alias("ram-below-4g", target, 0, 64 * MiB))
    text = mtree_text(system)
    assert (
        "    0000000000000000-0000000003ffffff (prio 0, rom): alias ram-below-4g @pc.ram "
        "0000000000000000-0000000003ffffff" in text
    )
    assert (
        "memory-region: pc.ram\n  0000000000000000-0000000003ffffff (prio 0, rom): pc.ram" in text
    )
