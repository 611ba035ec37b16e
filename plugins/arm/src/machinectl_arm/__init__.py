"""machinectl board plugin for the arm family: QEMU's arm boards with host-memory-backed RAM.

Every machine type is a :class:`machinectl.BoardFacts` record; :data:`plugin` serves them all
through the board hooks. Records for machine types QEMU 7.2 still has follow QEMU 7.2; the few
that only QEMU 5.0 had (``swift-bmc``, ``raspi2``, ``raspi3``) follow QEMU 5.0.
"""

from __future__ import annotations

from machinectl.boards import BoardFacts, BoardTable, with_windows

from . import aspeed, fixed, imx, misc, raspi, soc_boards, virt, xilinx
from .windows_qemu72 import OWN_MEMORY

RECORDS: tuple[BoardFacts, ...] = (
    *aspeed.RECORDS,
    *fixed.RECORDS,
    *imx.RECORDS,
    *misc.RECORDS,
    *raspi.RECORDS,
    *xilinx.RECORDS,
    *virt.RECORDS,
    *soc_boards.RECORDS,
)


RECORDS = with_windows(RECORDS, OWN_MEMORY)

plugin = BoardTable(RECORDS)


def _not_recorded(what: str) -> str:
    return f"{what}: its RAM facts are not recorded yet"


#: Machine types the arm binaries list that this plugin does not ship, with why.
NOT_SHIPPED: dict[str, str] = {
    "akita": _not_recorded("an Intel PXA2xx handheld or board"),
    "borzoi": _not_recorded("an Intel PXA2xx handheld or board"),
    "connex": _not_recorded("an Intel PXA2xx handheld or board"),
    "emcraft-sf2": _not_recorded("a Cortex-M microcontroller board"),
    "fby35": _not_recorded("the two-SoC Meta fby35"),
    "kudo-bmc": _not_recorded("a Nuvoton NPCM7xx BMC"),
    "lm3s6965evb": _not_recorded("a Cortex-M microcontroller board"),
    "lm3s811evb": _not_recorded("a Cortex-M microcontroller board"),
    "mainstone": _not_recorded("an Intel PXA2xx handheld or board"),
    "microbit": _not_recorded("a Cortex-M microcontroller board"),
    "mori-bmc": _not_recorded("a Nuvoton NPCM7xx BMC"),
    "musca-a": _not_recorded("a Cortex-M microcontroller board"),
    "musca-b1": _not_recorded("a Cortex-M microcontroller board"),
    "netduino2": _not_recorded("a Cortex-M microcontroller board"),
    "netduinoplus2": _not_recorded("a Cortex-M microcontroller board"),
    "npcm750-evb": _not_recorded("a Nuvoton NPCM7xx BMC"),
    "nuri": _not_recorded("a Samsung Exynos4210 board"),
    "orangepi-pc": _not_recorded("the Allwinner H3 Orange Pi PC"),
    "quanta-gbs-bmc": _not_recorded("a Nuvoton NPCM7xx BMC"),
    "quanta-gsj": _not_recorded("a Nuvoton NPCM7xx BMC"),
    "realview-eb": _not_recorded("an ARM RealView baseboard"),
    "realview-eb-mpcore": _not_recorded("an ARM RealView baseboard"),
    "realview-pb-a8": _not_recorded("an ARM RealView baseboard"),
    "realview-pbx-a9": _not_recorded("an ARM RealView baseboard"),
    "smdkc210": _not_recorded("a Samsung Exynos4210 board"),
    "spitz": _not_recorded("an Intel PXA2xx handheld or board"),
    "stm32vldiscovery": _not_recorded("a Cortex-M microcontroller board"),
    "terrier": _not_recorded("an Intel PXA2xx handheld or board"),
    "tosa": _not_recorded("an Intel PXA2xx handheld or board"),
    "verdex": _not_recorded("an Intel PXA2xx handheld or board"),
    "z2": _not_recorded("an Intel PXA2xx handheld or board"),
}
#: Machine types shipped from QEMU 5.0 that QEMU 7.2 no longer lists.
QEMU_5_0_ONLY: frozenset[str] = frozenset({"raspi2", "raspi3", "swift-bmc"})

__all__ = ["NOT_SHIPPED", "QEMU_5_0_ONLY", "RECORDS", "plugin"]
