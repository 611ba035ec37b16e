"""Boards whose RAM has one possible size: anything else is refused with the size it must be."""

from __future__ import annotations

from machinectl.boards import BoardFacts
from machinectl.units import GiB, MiB, human

from .common import arm_board
from .layouts import Gate, ram_behind_gate
from .rules import exact_size

OMAP1 = "OMAP310: RAM at the EMIFF base 0x10000000; the board also needs -kernel or a flash image"
MPS2 = "the 16 MiB PSRAM is main RAM; the FPGA's other RAMs are separate regions"

#: name, description, size, RAM id, RAM base, note.
MACHINES: tuple[tuple[str, str, int, str, int, str], ...] = (
    (
        "collie",
        "Sharp SL-5500 (Collie) PDA (SA-1110)",
        512 * MiB,
        "strongarm.sdram",
        0xC000_0000,
        "RAM at the SA-1110's SDRAM bank 0 (0xc0000000)",
    ),
    (
        "canon-a1100",
        "Canon PowerShot A1100 IS (ARM946)",
        64 * MiB,
        "ram",
        0x0,
        "RAM at 0; the board also needs its ROM image (-bios)",
    ),
    (
        "musicpal",
        "Marvell 88w8618 / MusicPal (ARM926EJ-S)",
        32 * MiB,
        "musicpal.ram",
        0x0,
        "RAM at 0; the SoC's SRAM at 0xc0000000 is separate",
    ),
    (
        "n800",
        "Nokia N800 tablet aka. RX-34 (OMAP2420)",
        128 * MiB,
        "omap2.dram",
        0x8000_0000,
        "OMAP2420: RAM at 0x80000000, the SoC's SDRAM",
    ),
    (
        "n810",
        "Nokia N810 tablet aka. RX-44 (OMAP2420)",
        128 * MiB,
        "omap2.dram",
        0x8000_0000,
        "OMAP2420: RAM at 0x80000000, the SoC's SDRAM",
    ),
    ("sx1", "Siemens SX1 (OMAP310) V2", 32 * MiB, "omap1.dram", 0x1000_0000, OMAP1),
    ("sx1-v1", "Siemens SX1 (OMAP310) V1", 32 * MiB, "omap1.dram", 0x1000_0000, OMAP1),
    (
        "cheetah",
        "Palm Tungsten|E aka. Cheetah PDA (OMAP310)",
        32 * MiB,
        "omap1.dram",
        0x1000_0000,
        OMAP1,
    ),
    (
        "mps2-an385",
        "ARM MPS2 with AN385 FPGA image for Cortex-M3",
        16 * MiB,
        "mps.ram",
        0x2100_0000,
        MPS2,
    ),
    (
        "mps2-an386",
        "ARM MPS2 with AN386 FPGA image for Cortex-M4",
        16 * MiB,
        "mps.ram",
        0x2100_0000,
        MPS2,
    ),
    (
        "mps2-an500",
        "ARM MPS2 with AN500 FPGA image for Cortex-M7",
        16 * MiB,
        "mps.ram",
        0x6000_0000,
        MPS2,
    ),
    (
        "mps2-an511",
        "ARM MPS2 with AN511 DesignStart FPGA image for Cortex-M3",
        16 * MiB,
        "mps.ram",
        0x2100_0000,
        MPS2,
    ),
    (
        "mps2-an505",
        "ARM MPS2 with AN505 FPGA image for Cortex-M33",
        16 * MiB,
        "mps.ram",
        0x8000_0000,
        MPS2,
    ),
    (
        "mps2-an521",
        "ARM MPS2 with AN521 FPGA image for dual Cortex-M33",
        16 * MiB,
        "mps.ram",
        0x8000_0000,
        MPS2,
    ),
)

#: The MPS3 boards' DDR sits behind a memory protection controller.
MPS3_DDR_BASE = 0x6000_0000
MPS3_DDR_SIZE = 2 * GiB
MPS3_GATE = Gate("tz-mpc-upstream", MPS3_DDR_SIZE)
MPS3_NOTES = (
    f"the {human(MPS3_DDR_SIZE)} DDR is main RAM, reached at {MPS3_DDR_BASE:#x} through a "
    "memory protection controller whose window 'tz-mpc-upstream' holds it here; QEMU "
    "translates accesses through that window, so its flat view shows the window as I/O "
    "rather than RAM (the controller's access checks are not modelled)",
)
MPS3_MACHINES = (
    ("mps3-an524", "ARM MPS3 with AN524 FPGA image for dual Cortex-M33"),
    ("mps3-an547", "ARM MPS3 with AN547 FPGA image for Cortex-M55"),
)


def _record(
    name: str, description: str, size: int, ram_id: str, base: int, note: str
) -> BoardFacts:
    return arm_board(
        name,
        description,
        default_ram_size=size,
        default_ram_id=ram_id,
        ram_base=base,
        rules=[exact_size(size)],
        notes=(note,),
    )


def _mps3(name: str, description: str) -> BoardFacts:
    return arm_board(
        name,
        description,
        default_ram_size=MPS3_DDR_SIZE,
        default_ram_id="DDR",
        ram_base=MPS3_DDR_BASE,
        rules=[exact_size(MPS3_DDR_SIZE)],
        layout=ram_behind_gate,
        notes=MPS3_NOTES,
        extra={"gate": MPS3_GATE},
    )


RECORDS: tuple[BoardFacts, ...] = (
    *(_record(*row) for row in MACHINES),
    *(_mps3(*row) for row in MPS3_MACHINES),
)
