"""Raspberry Pi boards: RAM at 0, the VideoCore's share at its top, the peripherals over it."""

from __future__ import annotations

import attrs
from machinectl.boards import BoardFacts
from machinectl.units import GiB, MiB, human

from .common import arm_board
from .layouts import Window, ram_with_videocore
from .rules import exact_size

#: The VideoCore's share of RAM (the SoC's default ``vcram-size``).
VIDEOCORE_SHARE = 64 * MiB
PERIPHERALS_SIZE = 16 * MiB


@attrs.frozen
class Soc:
    name: str
    peripherals_base: int


BCM2835 = Soc("BCM2835", 0x2000_0000)
BCM2836 = Soc("BCM2836", 0x3F00_0000)
BCM2837 = Soc("BCM2837", 0x3F00_0000)

#: name, description, SoC, RAM size, QEMU 5.0 name only.
MACHINES: tuple[tuple[str, str, Soc, int, bool], ...] = (
    ("raspi0", "Raspberry Pi Zero (revision 1.2)", BCM2835, 512 * MiB, False),
    ("raspi1ap", "Raspberry Pi A+ (revision 1.1)", BCM2835, 512 * MiB, False),
    ("raspi2b", "Raspberry Pi 2B (revision 1.1)", BCM2836, 1 * GiB, False),
    ("raspi3ap", "Raspberry Pi 3A+ (revision 1.0)", BCM2837, 512 * MiB, False),
    ("raspi3b", "Raspberry Pi 3B (revision 1.2)", BCM2837, 1 * GiB, False),
    ("raspi2", "Raspberry Pi 2B", BCM2836, 1 * GiB, True),
    ("raspi3", "Raspberry Pi 3B", BCM2837, 1 * GiB, True),
)


def _record(name: str, description: str, soc: Soc, size: int, old_name: bool) -> BoardFacts:
    peripherals = Window(
        "bcm2835-peripherals", soc.peripherals_base, PERIPHERALS_SIZE, priority=1, simplified=True
    )
    notes = [
        f"{soc.name} SoC; RAM at 0; the VideoCore's share is the top {human(VIDEOCORE_SHARE)} "
        f"of RAM (from {size - VIDEOCORE_SHARE:#x}), so the kernel is told "
        f"{human(size - VIDEOCORE_SHARE)}; the map shows the two shares as the aliases "
        "'ram-arm' and 'ram-videocore' of the one RAM region",
        f"the peripheral window ({human(PERIPHERALS_SIZE)} at {soc.peripherals_base:#x}, "
        "priority 1) lies over RAM where RAM reaches it; QEMU maps each device inside it on "
        "its own and shows RAM in the gaps between them, here the window hides RAM whole",
    ]
    if old_name:
        notes.append(
            "a QEMU 5.0 machine type (renamed before QEMU 7.2, which no longer accepts this "
            "name); facts as in QEMU 5.0"
        )
    return arm_board(
        name,
        description,
        default_ram_size=size,
        default_ram_id="ram",
        rules=[exact_size(size)],
        layout=ram_with_videocore,
        notes=notes,
        windows=(peripherals,),
        extra={"videocore": VIDEOCORE_SHARE},
        deprecated=old_name,
    )


RECORDS: tuple[BoardFacts, ...] = tuple(_record(*row) for row in MACHINES)
