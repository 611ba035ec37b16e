"""machinectl board plugin: QEMU's x86 machine types (pc, q35, isapc, microvm).

The entry point ``machinectl_x86:plugin`` serves every machine type of :mod:`.records`
through the board hooks.
"""

from machinectl.boards import BoardTable

from .records import records

plugin = BoardTable(records())

__all__ = ["plugin"]
