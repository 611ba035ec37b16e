"""machinectl board plugin for QEMU 5.0's lm32 machine types.

QEMU dropped the lm32 target in 6.1; these records keep its 5.0 behaviour. Each board has
exactly one RAM size and refuses any other with QEMU's message.
"""

from __future__ import annotations

from machinectl.boards import BoardFacts, BoardSpec, BoardTable, FixedSize
from machinectl.units import MiB


def _fixed(name: str, description: str, size: int, ram_id: str, base: int) -> BoardFacts:
    return BoardFacts(
        spec=BoardSpec(name=name, description=description, family="lm32"),
        default_ram_size=size,
        default_ram_id=ram_id,
        ram_base=base,
        rules=(FixedSize(size=size, message="Invalid RAM size, should be {value_str}"),),
        notes=(
            "the board's SDRAM has one size: -m may only repeat it (after rounding up to "
            "8 KiB), anything else is refused",
        ),
    )


LM32_EVR = _fixed(
    "lm32-evr", "LatticeMico32 EVR32 eval system", 64 * MiB, "lm32_evr.sdram", 0x0800_0000
)
LM32_UCLINUX = _fixed(
    "lm32-uclinux",
    "lm32 platform for uClinux and u-boot by Theobroma Systems",
    64 * MiB,
    "lm32_uclinux.sdram",
    0x0800_0000,
)
MILKYMIST = _fixed("milkymist", "Milkymist One", 128 * MiB, "milkymist.sdram", 0x4000_0000)

RECORDS = (LM32_EVR, LM32_UCLINUX, MILKYMIST)

plugin = BoardTable(RECORDS)
