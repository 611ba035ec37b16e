"""machinectl board plugin for the mips family (work in progress)."""

from machinectl.boards import BoardTable

plugin = BoardTable([])
