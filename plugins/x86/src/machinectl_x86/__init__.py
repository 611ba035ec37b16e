"""machinectl board plugin: QEMU's x86 machine types (pc, q35, isapc, microvm, x-remote).

The entry point ``machinectl_x86:plugin`` serves every machine type of :mod:`.records`
through the board hooks.
"""

from machinectl.boards import BoardTable

from . import x_remote
from .records import LEGACY_PC_VERSIONS, records

plugin = BoardTable([*records(), *x_remote.RECORDS])

#: Machine types the x86 binaries list that this plugin does not ship, with why.
NOT_SHIPPED: dict[str, str] = {}
#: Machine types shipped from QEMU 5.0 that QEMU 7.2 no longer lists.
QEMU_5_0_ONLY: frozenset[str] = frozenset(f"pc-{v}" for v in LEGACY_PC_VERSIONS)

__all__ = ["NOT_SHIPPED", "QEMU_5_0_ONLY", "plugin"]
