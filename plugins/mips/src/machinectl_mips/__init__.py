"""machinectl board plugin: QEMU's mips machine types.

malta, boston, mipssim, fuloong2e, magnum, pica61, loongson3-virt and the r4k board ``mips``.
Facts are QEMU 7.2's; ``mips``, which 7.2 no longer has, keeps QEMU 5.0's.
"""

from machinectl import BoardTable

from . import loongson3
from .boards import RECORDS as _BOARDS

RECORDS = [*_BOARDS, *loongson3.RECORDS]
plugin = BoardTable(RECORDS)

__all__ = ["RECORDS", "plugin"]
