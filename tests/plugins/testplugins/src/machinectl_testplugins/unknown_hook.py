"""A plugin that implements a hook the core does not have."""

from machinectl import hookimpl


@hookimpl
def default_ram_sizes(board: object) -> int:
    return 1
