"""machinectl board plugin for QEMU's hppa machine type (``qemu-system-hppa``)."""

from __future__ import annotations

from machinectl.boards import AtMost, BoardFacts, BoardSpec, BoardTable, Window, with_cpus
from machinectl.units import GiB, MiB

from .qemu_cpus import CPUS

#: Main RAM yields to anything else mapped over it (the firmware at 0xf0000000, I/O).
RAM_PRIORITY = -1


HPPA = BoardFacts(
    spec=BoardSpec(
        name="hppa",
        description="HPPA B160L machine",
        family="hppa",
        targets=("hppa",),
        default_for=("hppa",),
    ),
    default_ram_size=512 * MiB,
    default_ram_id="ram",
    ram_base=0,
    rules=(AtMost(limit=3 * GiB, message="RAM size is currently restricted to 3GB"),),
    ram_priority=RAM_PRIORITY,
    # Recorded from QEMU 7.2 (tools/qemu_windows.py --memory).
    windows=(Window("firmware", 0xF000_0000, 0x80_0000, "ram"),),
    notes=(
        "main RAM is mapped at 0 with priority -1, so the firmware region at 0xf0000000 and "
        "the I/O windows above it would win any overlap; at most 3 GiB it never reaches them",
        "the 3 GiB limit exists because the 32-bit SeaBIOS-hppa firmware reads the size",
        "the firmware's 8 MiB of RAM ('firmware') at 0xf0000000 is the board's own memory",
    ),
)

RECORDS = (HPPA,)

#: Machine types ``qemu-system-hppa -M help`` lists that this plugin does not ship: none.
NOT_SHIPPED: dict[str, str] = {}
#: Machine types shipped from QEMU 5.0 that QEMU 7.2 no longer lists: none.
QEMU_5_0_ONLY: frozenset[str] = frozenset()


plugin = BoardTable(with_cpus(RECORDS, CPUS))
