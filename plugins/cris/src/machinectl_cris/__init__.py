"""machinectl board plugin for QEMU's cris machine type (``qemu-system-cris``)."""

from __future__ import annotations

from machinectl.boards import (
    QEMU_DEFAULT_RAM_SIZE,
    BoardFacts,
    BoardSpec,
    BoardTable,
    Window,
    with_cpus,
)

from .qemu_cpus import CPUS

AXIS_DEV88 = BoardFacts(
    spec=BoardSpec(
        name="axis-dev88",
        description="AXIS devboard 88",
        family="cris",
        targets=("cris",),
        default_for=("cris",),
    ),
    default_ram_size=QEMU_DEFAULT_RAM_SIZE,
    default_ram_id="axisdev88.ram",
    ram_base=0x4000_0000,
    # The SoC's on-chip RAM: memory of its own, beside main RAM.
    windows=(Window("axisdev88.chipram", 0x3800_0000, 128 * 1024, "ram"),),
    notes=(
        "main RAM sits at 0x40000000 and may grow past 4 GiB: the board checks no size",
        "the 128 KiB on-chip RAM at 0x38000000 (axisdev88.chipram) is a separate region, "
        "not main RAM",
        "QEMU also insists on -kernel for this board; machinectl loads no kernel",
    ),
)

RECORDS = (AXIS_DEV88,)

#: Machine types ``qemu-system-cris -M help`` lists that this plugin does not ship: none.
NOT_SHIPPED: dict[str, str] = {}
#: Machine types shipped from QEMU 5.0 that QEMU 7.2 no longer lists: none.
QEMU_5_0_ONLY: frozenset[str] = frozenset()


plugin = BoardTable(with_cpus(RECORDS, CPUS))
