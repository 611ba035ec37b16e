"""Arm machine types whose memory the SoC or the board allocates itself, and the Nuvoton BMCs.

Most of these have no default RAM id in QEMU 7.2: QEMU takes no RAM from a memory backend for
them. ``-m`` only sets the size QEMU reports, and ``-machine memory-backend=ID`` is accepted
(the backend's size becomes that size) but the backend is left unmapped. What the guest sees is
the board's own memory, recorded from QEMU 7.2 as ``ram``, ``rom`` and ``romd`` windows
(:mod:`machinectl_arm.windows_qemu72`): on-chip SRAM, SDRAM of a fixed size, video RAM,
firmware and flash. The RealView boards are the exception that sizes its own SDRAM from ``-m``
(:func:`realview_ram`). The Nuvoton NPCM7xx BMCs and the Orange Pi PC take main RAM from a
backend as usual.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs
from machinectl.boards import (
    BoardFacts,
    Check,
    FixedSize,
    Layout,
    RamRule,
    Window,
    map_at_base,
)
from machinectl.errors import MachineError
from machinectl.memory import Kind, MemoryRegion
from machinectl.units import GiB, MiB, size_to_str

from . import windows_qemu72 as recorded
from .common import arm_board
from .layouts import no_ram
from .rules import at_most

if TYPE_CHECKING:
    from machinectl.state import MachineState

#: Every arm machine type is listed by both arm binaries.
TARGETS = ("aarch64", "arm")


def _board(
    name: str,
    description: str,
    *,
    windows: Iterable[Window] = (),
    notes: Iterable[str] = (),
    default_ram_size: int = 128 * MiB,
    default_ram_id: str | None = None,
    ram_base: int = 0,
    rules: Iterable[RamRule] = (),
    layout: Layout | None = None,
) -> BoardFacts:
    facts = arm_board(
        name,
        description,
        default_ram_size=default_ram_size,
        default_ram_id=default_ram_id,
        ram_base=ram_base,
        rules=rules,
        layout=layout or (no_ram if default_ram_id is None else map_at_base),
        windows=windows,
        notes=notes,
    )
    return attrs.evolve(facts, spec=attrs.evolve(facts.spec, targets=TARGETS))


def _own_memory(name: str, description: str, windows: tuple[Window, ...], what: str) -> BoardFacts:
    return _board(name, description, windows=windows, notes=[what])


PXA = "the PXA SoC's internal SRAM and the board's SDRAM (a fixed size) are its own memory"
CORTEX_M = "the microcontroller's flash and SRAM are its own memory (fixed sizes)"
SSE = (
    "the CPUs reach their memory through the SoC's own address spaces: QEMU's system address "
    "space shows no RAM"
)
EXYNOS = "the Exynos4210's internal ROM and RAM, and its DRAM (1 GiB whatever -m says)"

# -- RealView: SDRAM the board sizes from -m -----------------------------------------------------

#: The most RAM at 0 (an alias of the SDRAM) and the SDRAM's most.
REALVIEW_LOW_ALIAS = 256 * MiB
REALVIEW_SDRAM = 512 * MiB
REALVIEW_HACK = Window("realview.hack", 0xE000_0000, 0x1000, "ram")


def realview_ram(platform_baseboard: bool) -> Layout:
    """The RealView boards' own SDRAM, sized from ``-m`` (or the backend given instead).

    ``realview.highmem`` holds up to 512 MiB; its first 256 MiB (at most) are aliased at 0 as
    ``realview.alias``. The Platform Baseboards map it whole at 0x70000000 too, and put what
    ``-m`` asks beyond 512 MiB in ``realview.lowmem`` at 0x20000000, under the SDRAM at
    0x70000000 (mapped after it).
    """

    def layout(machine: MachineState, facts: BoardFacts) -> None:
        size = machine.ram_size
        system = machine.system_memory
        if platform_baseboard and size > REALVIEW_SDRAM:
            low = MemoryRegion.window("realview.lowmem", size - REALVIEW_SDRAM, Kind.RAM)
            system.add_subregion(0x2000_0000, low)
        high = MemoryRegion.window("realview.highmem", min(size, REALVIEW_SDRAM), Kind.RAM)
        alias = MemoryRegion.alias("realview.alias", high, 0, min(high.size, REALVIEW_LOW_ALIAS))
        system.add_subregion(0, alias)
        if platform_baseboard:
            system.add_subregion(0x7000_0000, high)

    return layout


def _realview(name: str, description: str, platform_baseboard: bool) -> BoardFacts:
    where = (
        "all of it again at 0x70000000; what -m asks beyond 512 MiB is 'realview.lowmem' at "
        "0x20000000, under the SDRAM at 0x70000000"
        if platform_baseboard
        else "nothing else of it is mapped"
    )
    return _board(
        name,
        description,
        layout=realview_ram(platform_baseboard),
        windows=(REALVIEW_HACK,),
        notes=[
            "the board allocates its own SDRAM, 'realview.highmem', of the size -m (or the "
            "backend) gives, up to 512 MiB; its first 256 MiB at most show at 0; " + where,
        ],
    )


# -- Nuvoton NPCM7xx -------------------------------------------------------------------------------

NPCM_SIZES = tuple(size * MiB for size in (128, 256, 512, 1024, 2048))


def _npcm_dram(machine: MachineState) -> MachineError | None:
    if machine.ram_size in NPCM_SIZES:
        return None
    return MachineError(
        f"npcm7xx_gcr_realize: unsupported DRAM size {size_to_str(machine.ram_size)}",
        hint="DRAM size must be a power of two between 128 MiB and 2 GiB, inclusive.",
    )


NPCM_RULES = (
    at_most(2 * GiB, "npcm7xx_realize: NPCM7xx cannot address more than 2048 MiB of DRAM"),
    Check("DRAM a power of two from 128 MiB to 2 GiB", test=_npcm_dram),
)


def _npcm(name: str, description: str, size: int, windows: tuple[Window, ...]) -> BoardFacts:
    return _board(
        name,
        description,
        default_ram_size=size,
        default_ram_id="ram",
        rules=NPCM_RULES,
        windows=windows,
        notes=["main RAM at 0; the SoC's own RAM ('ram2', 'ram3') and boot ROM ('irom')"],
    )


RECORDS: tuple[BoardFacts, ...] = (
    _own_memory("akita", "Sharp SL-C1000 (Akita) PDA (PXA270)", recorded.AKITA_MEMORY, PXA),
    _own_memory("borzoi", "Sharp SL-C3100 (Borzoi) PDA (PXA270)", recorded.BORZOI_MEMORY, PXA),
    _own_memory("connex", "Gumstix Connex (PXA255)", recorded.CONNEX_MEMORY, PXA),
    _own_memory(
        "emcraft-sf2",
        "SmartFusion2 SOM kit from Emcraft (M2S010)",
        recorded.EMCRAFT_SF2_MEMORY,
        "the SoC's eNVM and eSRAM and the kit's 64 MiB of DDR ('ddr-ram') are its own memory",
    ),
    _own_memory("fby35", "Meta Platforms fby35", (), SSE),
    _own_memory(
        "lm3s6965evb",
        "Stellaris LM3S6965EVB (Cortex-M3)",
        recorded.LM3S6965EVB_MEMORY,
        CORTEX_M,
    ),
    _own_memory(
        "lm3s811evb", "Stellaris LM3S811EVB (Cortex-M3)", recorded.LM3S811EVB_MEMORY, CORTEX_M
    ),
    _own_memory("mainstone", "Mainstone II (PXA27x)", recorded.MAINSTONE_MEMORY, PXA),
    _own_memory("microbit", "BBC micro:bit (Cortex-M0)", (), SSE),
    _own_memory("musca-a", "ARM Musca-A board (dual Cortex-M33)", (), SSE),
    _own_memory("musca-b1", "ARM Musca-B1 board (dual Cortex-M33)", (), SSE),
    _own_memory("netduino2", "Netduino 2 Machine (Cortex-M3)", recorded.NETDUINO2_MEMORY, CORTEX_M),
    _own_memory(
        "netduinoplus2",
        "Netduino Plus 2 Machine (Cortex-M4)",
        recorded.NETDUINOPLUS2_MEMORY,
        CORTEX_M,
    ),
    _own_memory("nuri", "Samsung NURI board (Exynos4210)", recorded.NURI_MEMORY, EXYNOS),
    _own_memory(
        "smdkc210", "Samsung SMDKC210 board (Exynos4210)", recorded.SMDKC210_MEMORY, EXYNOS
    ),
    _own_memory("spitz", "Sharp SL-C3000 (Spitz) PDA (PXA270)", recorded.SPITZ_MEMORY, PXA),
    _own_memory(
        "stm32vldiscovery",
        "ST STM32VLDISCOVERY (Cortex-M3)",
        recorded.STM32VLDISCOVERY_MEMORY,
        CORTEX_M,
    ),
    _own_memory("terrier", "Sharp SL-C3200 (Terrier) PDA (PXA270)", recorded.TERRIER_MEMORY, PXA),
    _own_memory("tosa", "Sharp SL-6000 (Tosa) PDA (PXA255)", recorded.TOSA_MEMORY, PXA),
    _own_memory("verdex", "Gumstix Verdex (PXA270)", recorded.VERDEX_MEMORY, PXA),
    _own_memory("z2", "Zipit Z2 (PXA27x)", recorded.Z2_MEMORY, PXA),
    _realview("realview-eb", "ARM RealView Emulation Baseboard (ARM926EJ-S)", False),
    _realview("realview-eb-mpcore", "ARM RealView Emulation Baseboard (ARM11MPCore)", False),
    _realview("realview-pb-a8", "ARM RealView Platform Baseboard for Cortex-A8", True),
    _realview("realview-pbx-a9", "ARM RealView Platform Baseboard Explore for Cortex-A9", True),
    _npcm("kudo-bmc", "Kudo BMC (Cortex-A9)", 1 * GiB, recorded.KUDO_BMC_MEMORY),
    _npcm("mori-bmc", "Mori BMC (Cortex-A9)", 1 * GiB, recorded.MORI_BMC_MEMORY),
    _npcm(
        "npcm750-evb",
        "Nuvoton NPCM750 Evaluation Board (Cortex-A9)",
        512 * MiB,
        recorded.NPCM750_EVB_MEMORY,
    ),
    _npcm("quanta-gbs-bmc", "Quanta GBS (Cortex-A9)", 1 * GiB, recorded.QUANTA_GBS_BMC_MEMORY),
    _npcm("quanta-gsj", "Quanta GSJ (Cortex-A9)", 512 * MiB, recorded.QUANTA_GSJ_MEMORY),
    _board(
        "orangepi-pc",
        "Orange Pi PC (Cortex-A7)",
        default_ram_size=1 * GiB,
        default_ram_id="orangepi.ram",
        ram_base=0x4000_0000,
        rules=[FixedSize("This machine can only be used with 1GiB of RAM", size=1 * GiB)],
        windows=recorded.ORANGEPI_PC_MEMORY,
        notes=[
            "main RAM at the H3's SDRAM base 0x40000000; the DRAM controller's row mirror "
            "(priority 10) covers its first 4 KiB; the SoC's SRAM A1, A2 and C are its own",
        ],
    ),
)
