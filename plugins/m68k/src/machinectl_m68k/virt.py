"""The m68k ``virt`` machine types (QEMU 6.0 to 7.2): RAM at 0, up to 3399672 KiB."""

from __future__ import annotations

from typing import TYPE_CHECKING

from machinectl.boards import QEMU_DEFAULT_RAM_SIZE, BoardFacts, BoardSpec, Check
from machinectl.errors import MachineError
from machinectl.units import KiB

if TYPE_CHECKING:
    from machinectl.state import MachineState

#: The most RAM below the virt board's devices (QEMU's check, in KiB).
MAX_RAM_KIB = 3399672
VERSIONS = ("6.0", "6.1", "6.2", "7.0", "7.1", "7.2")
NEWEST = VERSIONS[-1]


def _at_most(machine: MachineState) -> MachineError | None:
    if machine.ram_size <= MAX_RAM_KIB * KiB:
        return None
    return MachineError(
        f"Too much memory for this machine: {machine.ram_size // KiB} KiB, "
        f"maximum {MAX_RAM_KIB} KiB"
    )


def _virt(version: str) -> BoardFacts:
    return BoardFacts(
        spec=BoardSpec(
            name=f"virt-{version}",
            description=f"QEMU {version} M68K Virtual Machine",
            alias="virt" if version == NEWEST else None,
            family="m68k",
            targets=("m68k",),
        ),
        default_ram_size=QEMU_DEFAULT_RAM_SIZE,
        default_ram_id="m68k_virt.ram",
        rules=(Check(f"RAM at most {MAX_RAM_KIB} KiB", test=_at_most),),
        notes=(
            "RAM at 0, up to 3399672 KiB (the size in the message is in whole KiB, rounded "
            "down); every version has the same RAM facts",
        ),
    )


RECORDS: tuple[BoardFacts, ...] = tuple(_virt(version) for version in reversed(VERSIONS))
