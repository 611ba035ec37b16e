"""ARM's own boards and the rest: RAM at a base, some with mirrors and device windows over it."""

from __future__ import annotations

from machinectl.boards import BoardFacts, Window
from machinectl.units import GiB, MiB

from . import windows_qemu72 as recorded
from .common import arm_board
from .layouts import (
    LowAlias,
    Mirror,
    ram_with_low_alias,
    ram_with_mirrors,
)
from .rules import at_most, one_of

CALXEDA_NOTES = (
    "RAM at 0 with no size limit: from 0xffe08000 it runs under the SoC's devices (the SATA "
    "controller to the on-chip 'highbank.sysram'), which win, and it goes on above 4 GiB",
    "each device at the place QEMU 7.2 maps it: RAM shows in the gaps between them",
)

VEXPRESS_A9_LOW = LowAlias(
    name="vexpress.lowmem",
    size=64 * MiB,
    flash="vexpress.flash0",
    flash_base=0x4000_0000,
    flash_size=64 * MiB,
    flash_alias="vexpress.flashalias",
)


def _calxeda(name: str, description: str, devices: tuple[Window, ...]) -> BoardFacts:
    return arm_board(
        name,
        description,
        default_ram_size=128 * MiB,
        default_ram_id="highbank.dram",
        windows=devices,
        notes=CALXEDA_NOTES,
    )


def _versatile(name: str, description: str) -> BoardFacts:
    return arm_board(
        name,
        description,
        default_ram_size=128 * MiB,
        default_ram_id="versatile.ram",
        rules=[at_most(256 * MiB, "versatilepb: memory size must not exceed 256MB")],
        windows=(Window("versatile.flash", 0x3400_0000, 64 * MiB, "romd"),),
        notes=("RAM at 0, below the devices at 0x10000000; flash at 0x34000000",),
    )


RECORDS: tuple[BoardFacts, ...] = (
    _calxeda("highbank", "Calxeda Highbank (ECX-1000)", recorded.HIGHBANK),
    _calxeda("midway", "Calxeda Midway (ECX-2000)", recorded.MIDWAY),
    arm_board(
        "integratorcp",
        "ARM Integrator/CP (ARM926EJ-S)",
        default_ram_size=128 * MiB,
        default_ram_id="integrator.ram",
        layout=ram_with_mirrors,
        notes=(
            "RAM at 0 and all of it again at 0x80000000 (the alias 'ram.alias'), with no size "
            "limit: large RAM runs under the devices, which win, and the alias wins over RAM",
            "the devices from 0x10000000 to 0x1d000fff and from 0xc0000000 to 0xcb7fffff, each "
            "at the place QEMU 7.2 maps it: RAM shows in the gaps between them",
        ),
        windows=recorded.INTEGRATORCP,
        extra={"mirrors": (Mirror("ram.alias", 0x8000_0000),)},
    ),
    _versatile("versatilepb", "ARM Versatile/PB (ARM926EJ-S)"),
    _versatile("versatileab", "ARM Versatile/AB (ARM926EJ-S)"),
    arm_board(
        "vexpress-a9",
        "ARM Versatile Express for Cortex-A9",
        default_ram_size=128 * MiB,
        default_ram_id="vexpress.highmem",
        ram_base=0x6000_0000,
        rules=[at_most(1 * GiB, "vexpress-a9: cannot model more than 1GB RAM")],
        layout=ram_with_low_alias,
        notes=(
            "RAM at 0x60000000 (legacy memory map); its first 64 MiB are aliased at 0 as "
            "'vexpress.lowmem', but the alias of flash 0 ('vexpress.flashalias', mapped later "
            "at the same priority) covers it, so the guest sees flash at 0",
        ),
        extra={"low_alias": VEXPRESS_A9_LOW},
    ),
    arm_board(
        "vexpress-a15",
        "ARM Versatile Express for Cortex-A15",
        default_ram_size=128 * MiB,
        default_ram_id="vexpress.highmem",
        ram_base=0x8000_0000,
        rules=[at_most(30 * GiB, "vexpress-a15: cannot model more than 30GB RAM")],
        notes=("RAM at 0x80000000 (A-series memory map), with no alias at 0",),
    ),
    arm_board(
        "cubieboard",
        "cubietech cubieboard (Cortex-A8)",
        default_ram_size=1 * GiB,
        default_ram_id="cubieboard.ram",
        ram_base=0x4000_0000,
        rules=[
            one_of((512 * MiB, 1 * GiB), "This machine can only be used with 512MiB or 1GiB RAM")
        ],
        notes=("RAM at the Allwinner A10's SDRAM base 0x40000000",),
    ),
)
