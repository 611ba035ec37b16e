"""machinectl board plugin for QEMU 5.0's lm32 machine types.

QEMU dropped the lm32 target in 6.1; these records keep its 5.0 behaviour. Each board has
exactly one RAM size and refuses any other with QEMU's message.
"""

from __future__ import annotations

from machinectl.boards import BoardFacts, BoardSpec, BoardTable, FixedSize
from machinectl.units import MiB

#: QEMU 5.0's ``qemu-system-lm32`` and its default machine type.
TARGETS = ("lm32",)
DEFAULT = "lm32-evr"


def _fixed(
    name: str, description: str, size: int, ram_id: str, base: int, *notes: str
) -> BoardFacts:
    return BoardFacts(
        spec=BoardSpec(
            name=name,
            description=description,
            family="lm32",
            targets=TARGETS,
            default_for=TARGETS if name == DEFAULT else (),
        ),
        default_ram_size=size,
        default_ram_id=ram_id,
        ram_base=base,
        rules=(FixedSize(size=size, message="Invalid RAM size, should be {value_str}"),),
        notes=(
            "the board's SDRAM has one size: -m may only repeat it (after rounding up to "
            "8 KiB), anything else is refused",
            *notes,
        ),
    )


LM32_EVR = _fixed(
    "lm32-evr",
    "LatticeMico32 EVR32 eval system",
    64 * MiB,
    "lm32_evr.sdram",
    0x0800_0000,
    "the 32 MiB flash sits below RAM at 0x04000000",
)
LM32_UCLINUX = _fixed(
    "lm32-uclinux",
    "lm32 platform for uClinux and u-boot by Theobroma Systems",
    64 * MiB,
    "lm32_uclinux.sdram",
    0x0800_0000,
    "the hardware-setup block and the kernel command line are written into the top 8 KiB "
    "of RAM (0x0bffe000 and 0x0bfff000): they are contents, not regions over RAM",
)
MILKYMIST = _fixed(
    "milkymist",
    "Milkymist One",
    128 * MiB,
    "milkymist.sdram",
    0x4000_0000,
    "the CPU ignores address bit 31, so it also reaches RAM at 0xc0000000; that mirror is "
    "the CPU's and no region of the address space (not modelled)",
)

RECORDS = (LM32_EVR, LM32_UCLINUX, MILKYMIST)

#: Machine types ``qemu-system-lm32 -M help`` (QEMU 5.0) lists that this plugin does not ship.
NOT_SHIPPED: dict[str, str] = {}
#: Machine types shipped from QEMU 5.0 that QEMU 7.2 no longer lists: all (no lm32 target).
QEMU_5_0_ONLY: frozenset[str] = frozenset(record.spec.name for record in RECORDS)

plugin = BoardTable(RECORDS)
