"""The firmware windows that hide part of an x86 machine's RAM below 1 MiB.

Every x86 board maps its BIOS image (``pc.bios``) so that it ends at 4 GiB and shows its last
128 KiB (at most) again just below 1 MiB as ``isa-bios``; PC boards also have a 128 KiB
option-ROM area ``pc.rom`` at 0xc0000. On PCI machines these ROMs live in the ``pci`` address
space (a container under all of system memory, priority -1), and the host bridge makes them
visible below 1 MiB through its SMRAM window (0xa0000-0xbffff) and its thirteen PAM windows
(0xc0000-0xfffff), which at reset all point into ``pci``. The SMRAM window shows nothing
there (no VGA device), so RAM stays visible up to 0xbffff; the PAM windows show the ROMs.
ISA-only machines and microvm put the ROMs straight into system memory instead.
"""

from __future__ import annotations

import attrs
from machinectl.memory import MemoryRegion
from machinectl.units import GiB, KiB, MiB

FOUR_GIB = 4 * GiB

#: The legacy VGA / SMRAM window of the host bridge.
SMRAM_WINDOW = (0xA0000, 128 * KiB)
#: The PAM windows: twelve of 16 KiB from 0xc0000, then one of 64 KiB from 0xf0000.
PAM_WINDOWS = (*((0xC0000 + i * 16 * KiB, 16 * KiB) for i in range(12)), (0xF0000, 64 * KiB))
OPTION_ROM_BASE = 0xC0000
OPTION_ROM_SIZE = 128 * KiB
ISA_BIOS_MAX = 128 * KiB


@attrs.frozen
class Firmware:
    """The ROM windows one machine type maps."""

    #: Size of the BIOS image the machine type loads by default (SeaBIOS or qboot).
    bios_size: int
    #: Whether the 128 KiB option-ROM area ``pc.rom`` exists.
    option_rom: bool = True
    #: Whether the ROMs sit in the PCI space behind the host bridge's PAM windows.
    behind_pci: bool = True

    @property
    def isa_bios_size(self) -> int:
        return min(self.bios_size, ISA_BIOS_MAX)

    def words(self) -> str:
        parts = [f"BIOS 'pc.bios' ({self.bios_size // KiB} KiB) ends at 4 GiB"]
        parts.append(
            f"its last {self.isa_bios_size // KiB} KiB show again below 1 MiB ('isa-bios')"
        )
        if self.option_rom:
            parts.append("the option-ROM area 'pc.rom' covers 0xc0000-0xdffff")
        where = (
            "through the host bridge's PAM windows (the SMRAM window at 0xa0000 shows RAM, "
            "as there is no VGA device)"
            if self.behind_pci
            else "directly in system memory"
        )
        return "firmware: " + ", ".join(parts) + f"; below 1 MiB they hide RAM {where}"

    def map(self, system: MemoryRegion) -> None:
        """Add the firmware windows to ``system`` (after main RAM, as QEMU does)."""
        bios = MemoryRegion.rom("pc.bios", self.bios_size)
        isa_bios = MemoryRegion.alias(
            "isa-bios", bios, self.bios_size - self.isa_bios_size, self.isa_bios_size
        )
        holder = MemoryRegion.container("pci", 1 << 64) if self.behind_pci else system
        if self.option_rom:
            holder.add_subregion(
                OPTION_ROM_BASE, MemoryRegion.rom("pc.rom", OPTION_ROM_SIZE), priority=1
            )
        holder.add_subregion(MiB - self.isa_bios_size, isa_bios, priority=1)
        holder.add_subregion(FOUR_GIB - self.bios_size, bios)
        if not self.behind_pci:
            return
        system.add_subregion(0, holder, priority=-1)
        start, size = SMRAM_WINDOW
        system.add_subregion(
            start, MemoryRegion.alias("smram-region", holder, start, size), priority=1
        )
        for start, size in PAM_WINDOWS:
            system.add_subregion(
                start, MemoryRegion.alias("pam-pci", holder, start, size), priority=1
            )
