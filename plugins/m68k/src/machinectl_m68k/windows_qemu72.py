"""The own memory of m68k boards, recorded from QEMU 7.2 (``tools/qemu_windows.py --memory``).

Each tuple holds the board's memory QEMU maps in the system address space besides main RAM
(the Mac ROM, the network card's PROM), with QEMU's names, sizes and types. Regenerate a tuple
with the command in its comment.
"""

from __future__ import annotations

from machinectl.boards import Window

#: qemu-system-m68k -M q800: the regions besides main RAM.
Q800_MEMORY: tuple[Window, ...] = (
    Window("m68k_mac.rom", 0x40800000, 0x100000, "rom"),
    # The network card's PROM, in the 256 KiB I/O block at 0x50000000 that QEMU repeats
    # through aliases up to 0x54000000: the flat view shows it once per copy.
    *(
        Window("dp8393x-q800.prom", 0x50008000 + copy * 0x40000, 0x1000, "rom")
        for copy in range(256)
    ),
    # The framebuffer's VRAM sits in the NuBus space, which QEMU maps through aliases the
    # recorder does not follow; taken from the same run's flat view.
    Window("macfb-vram", 0xF9000000, 0x400000, "ram"),
)


#: The board's own memory (firmware, on-chip and video RAM), by machine type.
OWN_MEMORY: dict[str, tuple[Window, ...]] = {
    "q800": Q800_MEMORY,
}
