"""machinectl board plugin: QEMU's ppc machine types.

e500 (ppce500, mpc8544ds), Power Macintosh (mac99, g3beige), PowerNV (powernv8/9/10), the
405/440 boards with their SDRAM controller (ref405ep, taihu, bamboo, sam460ex), virtex-ml507,
40p, pegasos2 and every pseries version. Facts are QEMU 7.2's; taihu, which 7.2 no longer has, keeps
QEMU 5.0's.
"""

from machinectl import BoardTable
from machinectl.boards import with_cpus, with_windows

from . import chrp_prep
from .boards import RECORDS as BOARD_RECORDS
from .qemu_cpus import CPUS
from .spapr import RECORDS as SPAPR_RECORDS
from .windows_qemu72 import OWN_MEMORY

RECORDS = with_windows((*BOARD_RECORDS, *SPAPR_RECORDS, *chrp_prep.RECORDS), OWN_MEMORY)


plugin = BoardTable(with_cpus(RECORDS, CPUS))

_NOT_RECORDED = "its RAM facts are not recorded yet"
#: Machine types the ppc binaries list that this plugin does not ship, with why.
NOT_SHIPPED: dict[str, str] = {}
#: Machine types shipped from QEMU 5.0 that QEMU 7.2 no longer lists.
QEMU_5_0_ONLY: frozenset[str] = frozenset({"taihu"})

__all__ = ["NOT_SHIPPED", "QEMU_5_0_ONLY", "RECORDS", "plugin"]
