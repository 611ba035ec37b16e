"""The sun4u and sun4v machine types of ``qemu-system-sparc64``: RAM the board allocates itself.

QEMU 7.2 gives them no default RAM id: it takes no RAM from a memory backend. The board
allocates ``sun4u.ram`` itself, of the size ``-m`` gives (or the size of the backend named by
``-machine memory-backend=``, which stays unmapped), at 0; the 4 MiB PROM sits at
0x1fff0000000.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from machinectl.boards import QEMU_DEFAULT_RAM_SIZE, BoardFacts, BoardSpec, Window
from machinectl.memory import Kind, MemoryRegion

if TYPE_CHECKING:
    from machinectl.state import MachineState

PROM = Window("sun4u.prom", 0x1FF_F000_0000, 0x40_0000, "rom")


def own_ram(machine: MachineState, facts: BoardFacts) -> None:
    """``sun4u.ram`` at 0, of the size ``-m`` (or the backend) gives."""
    if machine.ram_size:
        ram = MemoryRegion.window("sun4u.ram", machine.ram_size, Kind.RAM)
        machine.system_memory.add_subregion(0, ram)


def _sun4u(name: str, description: str, default: bool) -> BoardFacts:
    return BoardFacts(
        spec=BoardSpec(
            name=name,
            description=description,
            family="sparc64",
            targets=("sparc64",),
            default_for=("sparc64",) if default else (),
        ),
        default_ram_size=QEMU_DEFAULT_RAM_SIZE,
        default_ram_id=None,
        layout=own_ram,
        windows=(PROM,),
        notes=(
            "the board allocates its RAM, 'sun4u.ram', itself, at 0, of the size -m (or the "
            "backend) gives; no size check",
            "the 4 MiB PROM ('sun4u.prom') at 0x1fff0000000",
        ),
    )


RECORDS: tuple[BoardFacts, ...] = (
    _sun4u("sun4u", "Sun4u platform", True),
    _sun4u("sun4v", "Sun4v platform", False),
)
