"""machinectl board plugin for QEMU's alpha machine type (``qemu-system-alpha``)."""

from __future__ import annotations

from machinectl.boards import QEMU_DEFAULT_RAM_SIZE, BoardFacts, BoardSpec, BoardTable

CLIPPER = BoardFacts(
    spec=BoardSpec(name="clipper", description="Alpha DP264/CLIPPER", family="alpha"),
    default_ram_size=QEMU_DEFAULT_RAM_SIZE,
    default_ram_id="ram",
    ram_base=0,
    notes=(
        "the Typhoon chipset maps main RAM directly at 0 of the system address space: "
        "no aliases, no split, no size check (the chipset reserves an 8 TiB hole for it)",
        "the RAM size is handed to the PALcode and the initrd goes at the top of RAM",
    ),
)

RECORDS = (CLIPPER,)

plugin = BoardTable(RECORDS)
