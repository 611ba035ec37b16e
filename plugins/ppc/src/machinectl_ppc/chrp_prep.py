"""The IBM 40p (PReP) and the Pegasos II (CHRP).

The 40p has no default RAM id in QEMU 7.2: its memory controller allocates the SIMMs itself
from ``-m`` (or from the size of the backend ``-machine memory-backend=`` names, which stays
unmapped). The Pegasos II takes main RAM from a backend as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from machinectl import AtMost, BoardFacts, BoardSpec, Check, MachineError, MemoryRegion, MiB
from machinectl.boards import QEMU_DEFAULT_RAM_SIZE, Window
from machinectl.memory import Kind

if TYPE_CHECKING:
    from machinectl import MachineState

#: The 40p's SIMM sockets, filled in pairs: two 32 MiB SIMMs per 64 MiB, else two of 8 MiB.
SIMM_SOCKETS = 6
#: QEMU hands the size to the memory controller as a 32-bit property.
SIZE_MASK = 0xFFFF_FFFF


def simm_sizes(ram_size: int) -> list[int]:
    """The size of each socket's SIMM (0: empty) for ``ram_size`` bytes, as the 40p's memory
    controller fills them."""
    left = (ram_size & SIZE_MASK) // MiB
    sizes = [0] * SIMM_SOCKETS
    for socket in range(0, SIMM_SOCKETS, 2):
        if left >= 64:
            sizes[socket] = sizes[socket + 1] = 32 * MiB
            left -= 64
        elif left >= 16:
            sizes[socket] = sizes[socket + 1] = 8 * MiB
            left -= 16
    return sizes


def _simms_fill(machine: MachineState) -> MachineError | None:
    total = sum(simm_sizes(machine.ram_size))
    if total == machine.ram_size & SIZE_MASK:
        return None
    return MachineError(
        "RAM size incompatible with this board. Try again with something else, like "
        f"{total // MiB} MB"
    )


def simms(machine: MachineState, facts: BoardFacts) -> None:
    """Each SIMM (``simm.N``, priority N) after the one before it, from 0."""
    base = 0
    for socket, size in enumerate(simm_sizes(machine.ram_size)):
        if size:
            simm = MemoryRegion.window(f"simm.{socket}", size, Kind.RAM)
            machine.system_memory.add_subregion(base, simm, socket)
            base += size


IBM_40P = BoardFacts(
    spec=BoardSpec(
        name="40p",
        description="IBM RS/6000 7020 (40p)",
        family="ppc",
        targets=("ppc", "ppc64"),
        memory_devices=True,
    ),
    default_ram_size=QEMU_DEFAULT_RAM_SIZE,
    default_ram_id=None,
    rules=(
        Check(
            "RAM must fill the six SIMM sockets in pairs of 32 or 8 MiB SIMMs",
            test=_simms_fill,
        ),
    ),
    layout=simms,
    windows=(Window("bios", 0xFFF0_0000, 1 * MiB, "rom"),),
    notes=(
        "the memory controller allocates the SIMMs itself ('simm.0' to 'simm.5', each at "
        "priority N, one after the other from 0): per pair of sockets two 32 MiB SIMMs while "
        "64 MiB are left, else two of 8 MiB while 16 MiB are left; a size they do not make "
        "up exactly is refused with the size they do make up",
        "the size reaches the controller as 32 bits: -m 4G makes up 0 and maps no SIMM",
        "the 1 MiB BIOS ROM at 0xfff00000",
    ),
)

PEGASOS2 = BoardFacts(
    spec=BoardSpec(
        name="pegasos2",
        description="Genesi/bPlan Pegasos II",
        family="ppc",
        targets=("ppc", "ppc64"),
        memory_devices=True,
    ),
    default_ram_size=512 * MiB,
    default_ram_id="pegasos2.ram",
    rules=(AtMost("RAM size more than 2 GiB is not supported", limit=2048 * MiB),),
    windows=(Window("pegasos2.rom", 0xFFF0_0000, 512 * 1024, "rom"),),
    notes=(
        "main RAM at 0, at most 2 GiB; the 512 KiB ROM at 0xfff00000",
        "QEMU 7.2 aborts on a size its SPD EEPROM cannot describe (below 4 MiB, or not a "
        "power of two in MiB after the first bank): machinectl accepts those sizes",
    ),
)

RECORDS: tuple[BoardFacts, ...] = (IBM_40P, PEGASOS2)
