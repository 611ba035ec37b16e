"""machinectl board plugin: QEMU's x86 machine types (pc, q35, isapc, microvm, x-remote).

The entry point ``machinectl_x86:plugin`` serves every machine type of :mod:`.records`
through the board hooks.
"""

from machinectl.boards import BoardTable

from . import x_remote
from .records import records

plugin = BoardTable([*records(), *x_remote.RECORDS])

__all__ = ["plugin"]
