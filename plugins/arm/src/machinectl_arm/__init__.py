"""machinectl board plugin for the arm family: QEMU's arm boards with host-memory-backed RAM.

Every machine type is a :class:`machinectl.BoardFacts` record; :data:`plugin` serves them all
through the board hooks. Records for machine types QEMU 7.2 still has follow QEMU 7.2; the few
that only QEMU 5.0 had (``swift-bmc``, ``raspi2``, ``raspi3``) follow QEMU 5.0.
"""

from __future__ import annotations

from machinectl.boards import BoardFacts, BoardTable, with_cpus, with_windows

from . import aspeed, fixed, imx, misc, raspi, soc_boards, virt, xilinx
from .qemu_cpus import CPUS
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


plugin = BoardTable(with_cpus(RECORDS, CPUS))


def _not_recorded(what: str) -> str:
    return f"{what}: its RAM facts are not recorded yet"


#: Machine types the arm binaries list that this plugin does not ship, with why.
NOT_SHIPPED: dict[str, str] = {}
#: Machine types shipped from QEMU 5.0 that QEMU 7.2 no longer lists.
QEMU_5_0_ONLY: frozenset[str] = frozenset({"raspi2", "raspi3", "swift-bmc"})

__all__ = ["NOT_SHIPPED", "QEMU_5_0_ONLY", "RECORDS", "plugin"]
