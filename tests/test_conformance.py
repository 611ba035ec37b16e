"""The conformance kit against the test plugin distribution and the built-in ``none``."""

from __future__ import annotations

import pytest
from machinectl import (
    Board,
    BoardFacts,
    BoardSpec,
    BoardTable,
    GuestRamRange,
    Layout,
    Machine,
    MachineState,
    MemoryRegion,
    MiB,
    Registry,
    Window,
    create_registry,
    map_at_base,
)
from machinectl.testing import BoardConformance


class TestBuiltinConformance(BoardConformance):
    distribution = "machinectl"


# -- the kit's checks fail on faulty boards ----------------------------------------------------

KIT = BoardConformance()


def faulty(layout: Layout | None = None, *windows: Window) -> tuple[Board, Registry]:
    """A board of 64 MiB at 0 with the given layout and windows, and its registry."""
    facts = BoardFacts(
        spec=BoardSpec(name="faulty", family="test"),
        default_ram_size=64 * MiB,
        default_ram_id="faulty.ram",
        layout=layout or map_at_base,
        windows=windows,
    )
    registry = create_registry(
        load_entrypoints=False, plugins=[("faulty", BoardTable([facts]))], strict=True
    )
    return registry.board("faulty"), registry


def alias_chain(offset: int, size: int) -> Layout:
    """RAM shown through two aliases at 0x1000_0000: the second shows ``offset`` of the first."""

    def layout(machine: MachineState, facts: BoardFacts) -> None:
        assert machine.ram is not None
        first = MemoryRegion.alias("first", machine.ram, 0, machine.ram.size)
        machine.map_ram(0x1000_0000, MemoryRegion.alias("second", first, offset, size))

    return layout


def test_a_chain_inside_main_ram_passes() -> None:
    board, registry = faulty(alias_chain(32 * MiB, 32 * MiB))
    KIT.test_aliases_land_inside_main_ram(board, registry)
    KIT.test_ram_ranges_match_the_flat_view(board, registry)


def test_an_alias_chain_past_main_ram_fails() -> None:
    board, registry = faulty(alias_chain(32 * MiB, 64 * MiB))
    with pytest.raises(AssertionError, match="alias 'second' shows"):
        KIT.test_aliases_land_inside_main_ram(board, registry)

    class Allowed(BoardConformance):
        aliases_past_ram = frozenset({"second"})

    Allowed().test_aliases_land_inside_main_ram(board, registry)


def test_a_window_under_ram_fails() -> None:
    # RAM at priority 0, the window at -1: RAM hides it.
    board, registry = faulty(None, Window("dev", 0x10_0000, 0x1000, priority=-1))
    with pytest.raises(AssertionError, match=r"window 'dev' .* lies under RAM 'faulty\.ram'"):
        KIT.test_windows_hide_the_ram_they_overlap(board, registry)

    class Allowed(BoardConformance):
        hidden_windows = frozenset({"dev"})

    Allowed().test_windows_hide_the_ram_they_overlap(board, registry)
    # At RAM's priority the window, mapped after RAM, hides it: that is what windows are for.
    board, registry = faulty(None, Window("dev", 0x10_0000, 0x1000, kind="ram"))
    KIT.test_windows_hide_the_ram_they_overlap(board, registry)


def test_ram_ranges_that_miss_a_chain_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """An embedder's view without the RAM an alias of an alias shows is caught."""
    board, registry = faulty(alias_chain(0, 32 * MiB))
    whole = Machine.ram_ranges

    def without_the_chain(machine: Machine) -> list[GuestRamRange]:
        return [r for r in whole(machine) if r.guest_address != 0x1000_0000]

    monkeypatch.setattr(Machine, "ram_ranges", without_the_chain)
    with pytest.raises(AssertionError):
        KIT.test_ram_ranges_match_the_flat_view(board, registry)
