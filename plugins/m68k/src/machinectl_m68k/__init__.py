"""machinectl board plugin for QEMU's m68k machine types (``qemu-system-m68k``).

The ColdFire evaluation boards and the NeXT Cube check no RAM size: RAM that grows into their
peripheral windows is hidden there, and each record lists those windows
(:class:`machinectl.boards.Window`). The Quadra 800 refuses more than 1 GiB.
"""

from __future__ import annotations

from machinectl.boards import (
    QEMU_DEFAULT_RAM_SIZE,
    AtMost,
    BoardFacts,
    BoardSpec,
    BoardTable,
    Window,
    with_cpus,
    with_windows,
)
from machinectl.units import GiB, MiB

from .qemu_cpus import CPUS

#: ``qemu-system-m68k`` and its default machine type.
TARGETS = ("m68k",)
DEFAULT = "mcf5208evb"


def _spec(name: str, description: str) -> BoardSpec:
    default_for = TARGETS if name == DEFAULT else ()
    return BoardSpec(
        name=name, description=description, family="m68k", targets=TARGETS, default_for=default_for
    )


AN5206 = BoardFacts(
    spec=_spec("an5206", "Arnewsh 5206"),
    default_ram_size=QEMU_DEFAULT_RAM_SIZE,
    default_ram_id="an5206.ram",
    ram_base=0,
    windows=(
        Window("mbar", 0x1000_0000, 0x1000),
        Window("an5206.sram", 0x2000_0000, 0x200, "ram"),
    ),
    notes=(
        "DRAM starts at 0; no size check",
        "above 256 MiB the 4 KiB MBAR registers at 0x10000000 hide RAM, above 512 MiB the "
        "512-byte SRAM at 0x20000000 does too (the SoC's own memory)",
    ),
)

MCF5208EVB = BoardFacts(
    spec=_spec("mcf5208evb", "MCF5208EVB"),
    default_ram_size=QEMU_DEFAULT_RAM_SIZE,
    default_ram_id="mcf5208.ram",
    ram_base=0x4000_0000,
    windows=(
        Window("mcf5208.rom", 0, 0x20_0000, "rom"),
        Window("mcf5208.sram", 0x8000_0000, 0x4000, "ram"),
        Window("mcf", 0xFC04_8000, 0x100),
        Window("uart", 0xFC06_0000, 0x40),
        Window("uart", 0xFC06_4000, 0x40),
        Window("uart", 0xFC06_8000, 0x40),
        Window("m5208-timer", 0xFC08_0000, 0x4000),
        Window("m5208-timer", 0xFC08_4000, 0x4000),
        Window("m5208-sys", 0xFC0A_8000, 0x4000),
    ),
    notes=(
        "DRAM starts at 0x40000000; no size check, RAM may run past 4 GiB",
        "above 1 GiB the 16 KiB SRAM at 0x80000000 hides RAM, and above 3 GiB so do the "
        "peripheral registers at 0xfc048000-0xfc0abfff (interrupt controller, UARTs, timers, "
        "system control), each an i/o window the size QEMU's flat view shows",
        "the 2 MiB boot ROM ('mcf5208.rom') at 0 lies below RAM",
    ),
)

NEXT_CUBE = BoardFacts(
    spec=_spec("next-cube", "NeXT Cube"),
    default_ram_size=64 * MiB,
    default_ram_id="next.ram",
    ram_base=0x0400_0000,
    windows=(
        Window("next.rom", 0x0100_0000, 0x2_0000, "rom"),
        Window("next.bmapmem", 0x020C_0000, 0x40, "ram"),
        Window("next-video", 0x0B00_0000, 0x1C_B100, "ram"),
        Window("next.bmapmem", 0x820C_0000, 0x40, "ram"),
    ),
    notes=(
        "RAM starts at 0x04000000, 64 MiB unless -m says otherwise; no size check",
        "above 112 MiB the framebuffer at 0x0b000000 hides RAM, and above 2 GiB so does the "
        "mirror of the 64-byte bitmap memory at 0x820c0000; the 128 KiB ROM at 0x01000000 "
        "and the bitmap memory at 0x020c0000 lie below RAM (the board's own memory, with "
        "QEMU's types)",
    ),
)

Q800 = BoardFacts(
    spec=_spec("q800", "Macintosh Quadra 800"),
    default_ram_size=QEMU_DEFAULT_RAM_SIZE,
    default_ram_id="m68k_mac.ram",
    ram_base=0,
    rules=(
        AtMost(
            limit=1 * GiB,
            message="Too much memory for this machine: {size_mib} MiB, maximum 1024 MiB",
        ),
    ),
    notes=(
        "RAM starts at 0 and may not exceed 1 GiB (the Mac ROM follows at 0x40800000); the size "
        "in the message is in whole MiB, rounded down",
    ),
)

from . import virt  # noqa: E402
from .windows_qemu72 import OWN_MEMORY  # noqa: E402

RECORDS = with_windows((AN5206, MCF5208EVB, NEXT_CUBE, Q800, *virt.RECORDS), OWN_MEMORY)

_VIRT = "the virtio machine types: their RAM facts are not recorded yet"
#: Machine types ``qemu-system-m68k -M help`` lists that this plugin does not ship, with why.
NOT_SHIPPED: dict[str, str] = {}
#: Machine types shipped from QEMU 5.0 that QEMU 7.2 no longer lists: none.
QEMU_5_0_ONLY: frozenset[str] = frozenset()


plugin = BoardTable(with_cpus(RECORDS, CPUS))
