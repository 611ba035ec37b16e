"""The firmware windows that hide part of an x86 machine's RAM below 1 MiB.

Every x86 board maps its BIOS image (``pc.bios``) so that it ends at 4 GiB and shows its last
128 KiB (at most) again just below 1 MiB as ``isa-bios``; PC boards also have a 128 KiB
option-ROM area ``pc.rom`` at 0xc0000. On PCI machines these ROMs live in the ``pci`` address
space (a container under all of system memory, priority -1), and the host bridge makes them
visible below 1 MiB through its SMRAM window (0xa0000-0xbffff) and its thirteen PAM windows
(0xc0000-0xfffff), which at reset all point into ``pci``. The SMRAM window shows nothing
there (no VGA device), so RAM stays visible up to 0xbffff; the PAM windows show the ROMs.
ISA-only machines and microvm put the images straight into system memory instead, and there
QEMU leaves them writable: ``pc.bios``, ``isa-bios`` and ``pc.rom`` are RAM, not ROM (only a
PCI machine makes its firmware read-only).

``-bios FILE`` replaces the default image: the windows then take the file's size, which must
be a positive multiple of 64 KiB. QEMU looks for the file as named, then in its firmware
folders.
"""

from __future__ import annotations

import os

import attrs
from machinectl.boards import Check
from machinectl.errors import MachineError
from machinectl.memory import Kind, MemoryRegion
from machinectl.state import MachineState
from machinectl.units import GiB, KiB, MiB

FOUR_GIB = 4 * GiB

#: The legacy VGA / SMRAM window of the host bridge.
SMRAM_WINDOW = (0xA0000, 128 * KiB)
#: The PAM windows: twelve of 16 KiB from 0xc0000, then one of 64 KiB from 0xf0000.
PAM_WINDOWS = (*((0xC0000 + i * 16 * KiB, 16 * KiB) for i in range(12)), (0xF0000, 64 * KiB))
OPTION_ROM_BASE = 0xC0000
OPTION_ROM_SIZE = 128 * KiB
ISA_BIOS_MAX = 128 * KiB
#: A BIOS image is a whole number of these.
BIOS_GRANULE = 64 * KiB
#: QEMU 7.2's firmware folders (``-L help`` of the Debian binaries).
FIRMWARE_DIRS = ("/usr/share/qemu", "/usr/share/seabios", "/usr/lib/ipxe/qemu")


def bios_file_size(name: str) -> int | None:
    """The size of the ``-bios`` file QEMU would load, or None when it finds none."""
    for path in (name, *(os.path.join(d, name) for d in FIRMWARE_DIRS)):
        if os.path.isfile(path) and os.access(path, os.R_OK):
            return os.path.getsize(path)
    return None


def _check_bios(machine: MachineState) -> MachineError | None:
    name = machine.firmware
    if name is None:
        return None
    size = bios_file_size(name)
    if size is None or size <= 0 or size % BIOS_GRANULE:
        # QEMU prints it as "qemu: could not load PC BIOS ...", with a program name of its own.
        return MachineError(f"could not load PC BIOS '{name}'", location="")
    return None


#: The last of an x86 board's rules: QEMU loads the firmware after its RAM checks.
BIOS_RULE = Check(
    f"-bios must name a readable file whose size is a positive multiple of "
    f"{BIOS_GRANULE // KiB} KiB",
    test=_check_bios,
)


@attrs.frozen
class Firmware:
    """The ROM windows one machine type maps."""

    #: Size of the BIOS image the machine type loads by default (SeaBIOS or qboot).
    bios_size: int
    #: Whether the 128 KiB option-ROM area ``pc.rom`` exists.
    option_rom: bool = True
    #: Whether the ROMs sit in the PCI space behind the host bridge's PAM windows (and are
    #: read-only); False: they are writable RAM straight in system memory.
    behind_pci: bool = True

    @property
    def isa_bios_size(self) -> int:
        return min(self.bios_size, ISA_BIOS_MAX)

    @property
    def kind(self) -> Kind:
        """What the images are: ROM on PCI machines, writable RAM on the others."""
        return Kind.ROM if self.behind_pci else Kind.RAM

    def for_machine(self, machine: MachineState) -> Firmware:
        """The windows with the ``-bios`` file's size, if one is given (see :data:`BIOS_RULE`)."""
        size = bios_file_size(machine.firmware) if machine.firmware is not None else None
        return attrs.evolve(self, bios_size=size) if size else self

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
            else "directly in system memory, as writable RAM (a machine without PCI does not "
            "make its firmware read-only)"
        )
        return (
            "firmware: "
            + ", ".join(parts)
            + f"; below 1 MiB they hide RAM {where}; -bios FILE gives 'pc.bios' the file's size"
        )

    def map(self, system: MemoryRegion) -> None:
        """Add the firmware windows to ``system`` (after main RAM, as QEMU does)."""
        bios = MemoryRegion.window("pc.bios", self.bios_size, self.kind)
        isa_bios = MemoryRegion.alias(
            "isa-bios", bios, self.bios_size - self.isa_bios_size, self.isa_bios_size
        )
        holder = MemoryRegion.container("pci", 1 << 64) if self.behind_pci else system
        if self.option_rom:
            holder.add_subregion(
                OPTION_ROM_BASE,
                MemoryRegion.window("pc.rom", OPTION_ROM_SIZE, self.kind),
                priority=1,
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
