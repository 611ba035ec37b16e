"""machinectl board plugin: QEMU's mips machine types.

malta, boston, mipssim, fuloong2e, magnum, pica61, loongson3-virt and the r4k board ``mips``.
Facts are QEMU 7.2's; ``mips``, which 7.2 no longer has, keeps QEMU 5.0's.
"""

from machinectl import BoardTable
from machinectl.boards import with_cpus, with_windows

from . import loongson3
from .boards import RECORDS as _BOARDS
from .qemu_cpus import CPUS
from .windows_qemu72 import OWN_MEMORY

RECORDS = list(with_windows([*_BOARDS, *loongson3.RECORDS], OWN_MEMORY))

plugin = BoardTable(with_cpus(RECORDS, CPUS))

#: Machine types the mips binaries list that this plugin does not ship, with why.
NOT_SHIPPED: dict[str, str] = {}
#: Machine types shipped from QEMU 5.0 that QEMU 7.2 no longer lists.
QEMU_5_0_ONLY: frozenset[str] = frozenset({"mips"})

__all__ = ["NOT_SHIPPED", "QEMU_5_0_ONLY", "RECORDS", "plugin"]
