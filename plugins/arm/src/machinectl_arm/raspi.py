"""Raspberry Pi boards: RAM at 0, the VideoCore's share at its top, the peripherals over it."""

from __future__ import annotations

import attrs
from machinectl import boards
from machinectl.boards import BoardFacts
from machinectl.units import GiB, MiB, human

from . import windows_qemu72 as recorded
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

#: name, description, SoC, RAM size, the peripherals as QEMU 7.2 maps them (None: a QEMU 5.0
#: name only).
MACHINES: tuple[tuple[str, str, Soc, int, tuple[boards.Window, ...] | None], ...] = (
    ("raspi0", "Raspberry Pi Zero (revision 1.2)", BCM2835, 512 * MiB, recorded.RASPI0),
    ("raspi1ap", "Raspberry Pi A+ (revision 1.1)", BCM2835, 512 * MiB, recorded.RASPI1AP),
    ("raspi2b", "Raspberry Pi 2B (revision 1.1)", BCM2836, 1 * GiB, recorded.RASPI2B),
    ("raspi3ap", "Raspberry Pi 3A+ (revision 1.0)", BCM2837, 512 * MiB, recorded.RASPI3AP),
    ("raspi3b", "Raspberry Pi 3B (revision 1.2)", BCM2837, 1 * GiB, recorded.RASPI3B),
    ("raspi2", "Raspberry Pi 2B", BCM2836, 1 * GiB, None),
    ("raspi3", "Raspberry Pi 3B", BCM2837, 1 * GiB, None),
)


def _record(
    name: str, description: str, soc: Soc, size: int, peripherals: tuple[boards.Window, ...] | None
) -> BoardFacts:
    old_name = peripherals is None
    notes = [
        f"{soc.name} SoC; RAM at 0; the VideoCore's share is the top {human(VIDEOCORE_SHARE)} "
        f"of RAM (from {size - VIDEOCORE_SHARE:#x}), so the kernel is told "
        f"{human(size - VIDEOCORE_SHARE)}; the map shows the two shares as the aliases "
        "'ram-arm' and 'ram-videocore' of the one RAM region",
    ]
    if peripherals is None:
        peripherals = (
            Window(
                "bcm2835-peripherals",
                soc.peripherals_base,
                PERIPHERALS_SIZE,
                priority=1,
                simplified=True,
            ),
        )
        notes.append(
            f"a QEMU 5.0 machine type (renamed before QEMU 7.2, which no longer accepts this "
            f"name); facts as in QEMU 5.0, whose reference records give RAM as one range: the "
            f"peripheral window ({human(PERIPHERALS_SIZE)} at {soc.peripherals_base:#x}, "
            "priority 1) is one opaque region here and hides RAM whole"
        )
    else:
        notes.append(
            f"the peripherals ({human(PERIPHERALS_SIZE)} at {soc.peripherals_base:#x}, a "
            "container of priority 1) lie over RAM where RAM reaches them, each device at the "
            "place QEMU 7.2 maps it: RAM shows in the gaps between them"
        )
    return arm_board(
        name,
        description,
        default_ram_size=size,
        default_ram_id="ram",
        rules=[exact_size(size)],
        layout=ram_with_videocore,
        notes=notes,
        windows=peripherals,
        extra={"videocore": VIDEOCORE_SHARE},
        deprecated=old_name,
    )


RECORDS: tuple[BoardFacts, ...] = tuple(_record(*row) for row in MACHINES)
