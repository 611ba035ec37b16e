"""Device windows of ppc boards, recorded from QEMU 7.2 (``tools/qemu_windows.py``).

Each tuple holds the regions QEMU maps in the system address space besides main RAM, nested
as in ``info mtree``. Regenerate a tuple with the command in its comment.
"""

from __future__ import annotations

from machinectl.boards import Window

#: qemu-system-ppc -M ref405ep: 7 regions besides main RAM.
REF405EP: tuple[Window, ...] = (
    Window("gpt", 0xEF600000, 0xD4),
    Window("ppc4xx-i2c", 0xEF600500, 0x12),
    Window("opba", 0xEF600600, 0x2),
    Window("gpio", 0xEF600700, 0x38),
    Window("m48t59.nvram", 0xF0000000, 0x2000),
    Window("fpga", 0xF0300000, 0x100),
    Window("ref405ep.sram", 0xFFF00000, 0x80000, "ram"),
)
#: qemu-system-ppc -M sam460ex: 2 regions besides main RAM.
SAM460EX_MEMORY: tuple[Window, ...] = (
    Window("ppc440.l2cache_ram", 0x400000000, 0x40000, "ram"),
    Window("sam460ex.flash", 0x4FFF00000, 0x100000, "romd"),
)

#: qemu-system-ppc -M g3beige: 1 region besides main RAM.
G3BEIGE_MEMORY: tuple[Window, ...] = (Window("ppc_heathrow.bios", 0xFFC00000, 0x400000, "rom"),)

#: qemu-system-ppc -M mac99: 1 region besides main RAM, and the NVRAM registers QEMU maps
#: over the firmware (its flat view shows the firmware in two pieces around them).
MAC99_MEMORY: tuple[Window, ...] = (
    Window("ppc_core99.bios", 0xFFF00000, 0x100000, "rom"),
    Window("macio-nvram", 0xFFF04000, 0x4000),
)

#: qemu-system-ppc -M virtex-ml507: 1 region besides main RAM.
VIRTEX_ML507_MEMORY: tuple[Window, ...] = (Window("virtex.flash", 0xFC000000, 0x1000000, "romd"),)


#: The board's own memory (firmware, on-chip and video RAM), by machine type.
OWN_MEMORY: dict[str, tuple[Window, ...]] = {
    "g3beige": G3BEIGE_MEMORY,
    "mac99": MAC99_MEMORY,
    "virtex-ml507": VIRTEX_ML507_MEMORY,
}
