"""``loongson3-virt``: main RAM at 0x80000000, its first 256 MiB shown again at 0."""

from __future__ import annotations

from typing import TYPE_CHECKING

from machinectl import AtLeast, BoardFacts, BoardSpec, MemoryRegion, MiB
from machinectl.boards import Window

if TYPE_CHECKING:
    from machinectl import MachineState

LOW_MEMORY = 256 * MiB
HIGH_MEMORY_BASE = 0x8000_0000
BIOS = Window("loongson3.bios", 0x1FC0_0000, 2 * MiB, "rom")


def low_and_high(machine: MachineState, facts: BoardFacts) -> None:
    """The first 256 MiB of RAM at 0 (``loongson3.lowmem``), all of it at 0x80000000."""
    ram = machine.ram
    if ram is None:
        return
    low = MemoryRegion.alias("loongson3.lowmem", ram, 0, min(ram.size, LOW_MEMORY))
    machine.system_memory.add_subregion(0, low)
    machine.map_ram(facts.ram_base)


LOONGSON3_VIRT = BoardFacts(
    spec=BoardSpec(
        name="loongson3-virt",
        description="Loongson-3 Virtualization Platform",
        family="mips",
        targets=("mips64el",),
    ),
    default_ram_size=1600 * MiB,
    default_ram_id="loongson3.highram",
    ram_base=HIGH_MEMORY_BASE,
    rules=(AtLeast("Loongson-3 machine needs at least 512MB memory", limit=512 * MiB),),
    layout=low_and_high,
    windows=(BIOS,),
    notes=(
        "main RAM at 0x80000000, at least 512 MiB; its first 256 MiB are shown again at 0 "
        "through the alias 'loongson3.lowmem'",
        "the 2 MiB BIOS ROM ('loongson3.bios') at 0x1fc00000; QEMU starts the board only with "
        "-bios or -kernel",
    ),
)

RECORDS: tuple[BoardFacts, ...] = (LOONGSON3_VIRT,)
