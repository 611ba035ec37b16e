"""machinectl board plugin for QEMU's alpha machine type (``qemu-system-alpha``)."""

from __future__ import annotations

from machinectl.boards import QEMU_DEFAULT_RAM_SIZE, BoardFacts, BoardSpec, BoardTable, with_cpus

from .qemu_cpus import CPUS

CLIPPER = BoardFacts(
    spec=BoardSpec(
        name="clipper",
        description="Alpha DP264/CLIPPER",
        family="alpha",
        targets=("alpha",),
        default_for=("alpha",),
    ),
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

#: Machine types ``qemu-system-alpha -M help`` lists that this plugin does not ship: none.
NOT_SHIPPED: dict[str, str] = {}
#: Machine types shipped from QEMU 5.0 that QEMU 7.2 no longer lists: none.
QEMU_5_0_ONLY: frozenset[str] = frozenset()


plugin = BoardTable(with_cpus(RECORDS, CPUS))
