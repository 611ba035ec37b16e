"""The own memory of sparc boards, recorded from QEMU 7.2 (``tools/qemu_windows.py --memory``).

Each tuple holds the board's memory QEMU maps in the system address space besides main RAM
(the PROM, the ID register, the AFX register), with QEMU's names, sizes and types.
Regenerate a tuple with the command in its comment.
"""

from __future__ import annotations

from machinectl.boards import Window

#: qemu-system-sparc -M leon3_generic: 1 region besides main RAM.
LEON3_GENERIC_MEMORY: tuple[Window, ...] = (Window("Leon3.bios", 0x0, 0x800000, "rom"),)

#: qemu-system-sparc -M SS-5: 3 regions besides main RAM.
SS_5_MEMORY: tuple[Window, ...] = (
    Window("sun4m.afx", 0x6E000000, 0x4, "ram"),
    Window("sun4m.prom", 0x70000000, 0x100000, "rom"),
    Window("sun4m.idreg", 0x78000000, 0x4, "rom"),
)

#: qemu-system-sparc -M SS-10: 2 regions besides main RAM.
SS_10_MEMORY: tuple[Window, ...] = (
    Window("sun4m.idreg", 0xEF0000000, 0x4, "rom"),
    Window("sun4m.prom", 0xFF0000000, 0x100000, "rom"),
)

#: qemu-system-sparc -M SS-600MP: 1 region besides main RAM.
SS_600MP_MEMORY: tuple[Window, ...] = (Window("sun4m.prom", 0xFF0000000, 0x100000, "rom"),)

#: qemu-system-sparc -M SS-20: 2 regions besides main RAM.
SS_20_MEMORY: tuple[Window, ...] = (
    Window("sun4m.idreg", 0xEF0000000, 0x4, "rom"),
    Window("sun4m.prom", 0xFF0000000, 0x100000, "rom"),
)

#: qemu-system-sparc -M Voyager: 2 regions besides main RAM.
VOYAGER_MEMORY: tuple[Window, ...] = (
    Window("sun4m.prom", 0x70000000, 0x100000, "rom"),
    Window("sun4m.idreg", 0x78000000, 0x4, "rom"),
)

#: qemu-system-sparc -M LX: 2 regions besides main RAM.
LX_MEMORY: tuple[Window, ...] = (
    Window("sun4m.prom", 0x70000000, 0x100000, "rom"),
    Window("sun4m.idreg", 0x78000000, 0x4, "rom"),
)

#: qemu-system-sparc -M SS-4: 2 regions besides main RAM.
SS_4_MEMORY: tuple[Window, ...] = (
    Window("sun4m.prom", 0x70000000, 0x100000, "rom"),
    Window("sun4m.idreg", 0x78000000, 0x4, "rom"),
)

#: qemu-system-sparc -M SPARCClassic: 2 regions besides main RAM.
SPARCCLASSIC_MEMORY: tuple[Window, ...] = (
    Window("sun4m.prom", 0x70000000, 0x100000, "rom"),
    Window("sun4m.idreg", 0x78000000, 0x4, "rom"),
)

#: qemu-system-sparc -M SPARCbook: 2 regions besides main RAM.
SPARCBOOK_MEMORY: tuple[Window, ...] = (
    Window("sun4m.prom", 0x70000000, 0x100000, "rom"),
    Window("sun4m.idreg", 0x78000000, 0x4, "rom"),
)


#: The board's own memory (firmware, on-chip and video RAM), by machine type.
OWN_MEMORY: dict[str, tuple[Window, ...]] = {
    "leon3_generic": LEON3_GENERIC_MEMORY,
    "SS-5": SS_5_MEMORY,
    "SS-10": SS_10_MEMORY,
    "SS-600MP": SS_600MP_MEMORY,
    "SS-20": SS_20_MEMORY,
    "Voyager": VOYAGER_MEMORY,
    "LX": LX_MEMORY,
    "SS-4": SS_4_MEMORY,
    "SPARCClassic": SPARCCLASSIC_MEMORY,
    "SPARCbook": SPARCBOOK_MEMORY,
}
