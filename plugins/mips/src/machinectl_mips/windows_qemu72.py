"""The own memory of mips boards, recorded from QEMU 7.2 (``tools/qemu_windows.py --memory``).

Each tuple holds the board's memory QEMU maps in the system address space besides main RAM
(firmware ROM, flash, on-chip and video RAM), with QEMU's names, sizes and types.
Regenerate a tuple with the command in its comment.
"""

from __future__ import annotations

from machinectl.boards import Window

#: qemu-system-mips64el -M boston: 1 region besides main RAM.
BOSTON_MEMORY: tuple[Window, ...] = (
    Window("boston.flash", 0x18000000, 0x8000000, "rom"),
    # The CPS's global configuration registers, mapped over the flash: the flat view shows
    # the flash around them.
    Window("mips-gcr", 0x1FBF8000, 0x8000, "io"),
)

#: qemu-system-mips64el -M fuloong2e: 1 region besides main RAM.
FULOONG2E_MEMORY: tuple[Window, ...] = (Window("fuloong2e.bios", 0x1FC00000, 0x80000, "rom"),)

#: qemu-system-mips64el -M magnum: 5 regions besides main RAM.
MAGNUM_MEMORY: tuple[Window, ...] = (
    Window("mips_jazz.bios", 0x1FC00000, 0x7E000, "rom"),
    Window("g364fb.vram", 0x40000000, 0x800000, "ram"),
    Window("g364fb.rom", 0x60000000, 0x80000, "rom"),
    Window("dp8393x-jazz.prom", 0x8000B000, 0x1000, "rom"),
    Window("mips_jazz.bios", 0xFFF00000, 0x7E000, "rom"),
)

#: qemu-system-mips64el -M malta: 2 regions besides main RAM.
MALTA_MEMORY: tuple[Window, ...] = (
    Window("mips_malta.bios", 0x1E000000, 0x400000, "romd"),
    Window("bios.1fc", 0x1FC00000, 0x400000, "rom"),
)

#: qemu-system-mips64el -M pica61: 4 regions besides main RAM.
PICA61_MEMORY: tuple[Window, ...] = (
    Window("mips_jazz.bios", 0x1FC00000, 0x7E000, "rom"),
    Window("dp8393x-jazz.prom", 0x8000B000, 0x1000, "rom"),
    Window("vga.vram", 0xE0000000, 0x800000, "ram"),
    Window("mips_jazz.bios", 0xFFF00000, 0x7E000, "rom"),
)


#: The board's own memory (firmware, on-chip and video RAM), by machine type.
OWN_MEMORY: dict[str, tuple[Window, ...]] = {
    "boston": BOSTON_MEMORY,
    "fuloong2e": FULOONG2E_MEMORY,
    "magnum": MAGNUM_MEMORY,
    "malta": MALTA_MEMORY,
    "pica61": PICA61_MEMORY,
}
