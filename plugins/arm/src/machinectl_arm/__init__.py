"""machinectl board plugin for the arm family: QEMU's arm boards with host-memory-backed RAM.

Every machine type is a :class:`machinectl.BoardFacts` record; :data:`plugin` serves them all
through the board hooks. Records for machine types QEMU 7.2 still has follow QEMU 7.2; the few
that only QEMU 5.0 had (``swift-bmc``, ``raspi2``, ``raspi3``) follow QEMU 5.0.
"""

from __future__ import annotations

import attrs
from machinectl.boards import BoardFacts, BoardTable

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


def _with_own_memory(facts: BoardFacts) -> BoardFacts:
    """The record with the board's own memory as QEMU 7.2 maps it (recorded windows), except
    the regions the record already places."""
    placed = {window.name for window in facts.windows}
    own = tuple(w for w in OWN_MEMORY.get(facts.name, ()) if w.name not in placed)
    return attrs.evolve(facts, windows=(*facts.windows, *own)) if own else facts


RECORDS = tuple(map(_with_own_memory, RECORDS))

plugin = BoardTable(RECORDS)

__all__ = ["RECORDS", "plugin"]
