"""Xilinx boards: Zynq-7000 with RAM at 0, ZynqMP and Versal with RAM split across apertures."""

from __future__ import annotations

from machinectl.boards import BoardFacts
from machinectl.state import MachineState
from machinectl.units import GiB, MiB, human

from .common import arm_board
from .layouts import Aperture, ram_across_apertures
from .rules import at_most

ZCU102_MAX_RAM = 34 * GiB
#: Below this size the ZCU102 board warns (and carries on).
ZCU102_SMALL_RAM = 128 * MiB

ZYNQMP_APERTURES = (
    Aperture("ddr-ram-low", 0x0, 2 * GiB),
    Aperture("ddr-ram-high", 0x8_0000_0000, 32 * GiB),
)
VERSAL_APERTURES = (
    Aperture("noc-ddr-range0", 0x0, 2 * GiB),
    Aperture("noc-ddr-range1", 0x8_0000_0000, 32 * GiB),
    Aperture("noc-ddr-range2", 0xC0_0000_0000, 256 * GiB),
    Aperture("noc-ddr-range3", 0x100_0000_0000, 734 * GiB),
)


def _apertures_words(apertures: tuple[Aperture, ...]) -> str:
    return ", ".join(f"'{a.name}' at {a.base:#x} ({human(a.size)})" for a in apertures)


def zcu102_layout(machine: MachineState, facts: BoardFacts) -> None:
    """The ZynqMP split, after the board's warning about small RAM."""
    if machine.ram_size < ZCU102_SMALL_RAM:
        machine.warn(f"RAM size {machine.ram_size:#x} is small for ZCU102")
    ram_across_apertures(machine, facts)


RECORDS: tuple[BoardFacts, ...] = (
    arm_board(
        "xilinx-zynq-a9",
        "Xilinx Zynq Platform Baseboard for Cortex-A9",
        default_ram_size=128 * MiB,
        default_ram_id="zynq.ext_ram",
        rules=[at_most(2 * GiB, "RAM size more than {value_str} is not supported")],
        notes=("DDR remapped to address 0; the on-chip memory at 0xfffc0000 is separate",),
    ),
    arm_board(
        "xlnx-zcu102",
        "Xilinx ZynqMP ZCU102 board with 4xA53s and 2xR5Fs based on the value of smp",
        default_ram_size=128 * MiB,
        default_ram_id="ddr-ram",
        rules=[
            at_most(ZCU102_MAX_RAM, "ERROR: RAM size {size_hex} above max supported of {value_hex}")
        ],
        layout=zcu102_layout,
        notes=(
            "the SoC splits RAM across its apertures, in order: "
            + _apertures_words(ZYNQMP_APERTURES),
            f"below {human(ZCU102_SMALL_RAM)} the board warns that RAM is small",
        ),
        extra={"apertures": ZYNQMP_APERTURES},
    ),
    arm_board(
        "xlnx-versal-virt",
        "Xilinx Versal Virtual development board",
        default_ram_size=128 * MiB,
        default_ram_id="ddr",
        layout=ram_across_apertures,
        notes=(
            "the SoC splits RAM across its apertures, in order: "
            + _apertures_words(VERSAL_APERTURES),
            "RAM beyond the last aperture (1 TiB in all) is not shown anywhere",
        ),
        extra={"apertures": VERSAL_APERTURES},
    ),
)
