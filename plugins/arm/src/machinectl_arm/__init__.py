"""machinectl board plugin for the arm family (work in progress)."""

from machinectl.boards import BoardTable

plugin = BoardTable([])
