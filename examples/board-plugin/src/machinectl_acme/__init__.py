"""machinectl board plugin for the Acme Widget, a small fictional board.

The Widget has 16 MiB of RAM soldered on, at 0x80000000. Its CPU starts at address 0, so the
board also shows the first 64 KiB of RAM there: a window onto the same memory, not a copy.
"""

from __future__ import annotations

from machinectl import (
    BoardFacts,
    BoardSpec,
    BoardTable,
    FixedSize,
    KiB,
    MachineState,
    MemoryRegion,
    MiB,
)

#: Where the RAM chip sits in the guest-physical address space.
RAM_BASE = 0x8000_0000
#: The only RAM size the board has.
RAM_SIZE = 16 * MiB
#: How much of the start of RAM shows again at address 0, where the CPU starts.
BOOT_WINDOW = 64 * KiB


def widget_layout(machine: MachineState, facts: BoardFacts) -> None:
    """All of RAM at its base, and its first 64 KiB again at 0 through an alias."""
    machine.map_ram(facts.ram_base)
    if machine.ram is None:  # only when a plugin lets the board run without RAM
        return
    boot = MemoryRegion.alias("widget.boot", machine.ram, 0, BOOT_WINDOW)
    machine.map_ram(0, boot)


WIDGET = BoardFacts(
    spec=BoardSpec(
        name="widget-1.0",
        alias="widget",
        description="Acme Widget, revision 1.0",
        family="acme",
    ),
    default_ram_size=RAM_SIZE,
    default_ram_id="widget.ram",
    ram_base=RAM_BASE,
    rules=[FixedSize("Invalid RAM size, should be {value_str}", size=RAM_SIZE)],
    layout=widget_layout,
    notes=[f"the first {BOOT_WINDOW // KiB} KiB of RAM show again at 0, where the CPU starts"],
)

plugin = BoardTable([WIDGET])
