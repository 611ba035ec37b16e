"""The core's built-in plugin: the ``none`` machine and the fallbacks every board gets.

It is registered through the same hooks as any third-party plugin (and published through the
core distribution's own ``machinectl`` entry point). The fallbacks are ``trylast``: any plugin
overrides them by answering first.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._record import TYPE_CHECKING
from .boards import EVERY_TARGET, QEMU_DEFAULT_RAM_SIZE, Board, BoardFacts, BoardSpec, BoardTable
from .hooks import hookimpl

if TYPE_CHECKING:
    from .state import MachineState

NONE = BoardFacts(
    spec=BoardSpec(
        name="none",
        description="empty machine",
        family="none",
        targets=(EVERY_TARGET,),
        max_cpus=1,  # QEMU's machine_none_class_init
    ),
    default_ram_size=0,
    default_ram_id="ram",
    ram_base=0,
    notes=("without -m there is no RAM at all; with -m, RAM 'ram' is mapped at 0",),
)

_table = BoardTable([NONE])


@hookimpl
def register_boards() -> Sequence[BoardSpec]:
    return _table.register_boards()


@hookimpl
def default_ram_size(board: Board) -> int | None:
    return _table.default_ram_size(board)


@hookimpl
def default_ram_id(board: Board) -> str | None:
    return _table.default_ram_id(board)


@hookimpl
def init_board(machine: MachineState) -> bool | None:
    return _table.init_board(machine)


@hookimpl
def describe_board(board: Board) -> Sequence[str] | None:
    return _table.describe_board(board)


@hookimpl(trylast=True, specname="default_ram_size")
def fallback_default_ram_size(board: Board) -> int:
    """QEMU's generic default (``machine_class_init``): 128 MiB."""
    return QEMU_DEFAULT_RAM_SIZE


@hookimpl(trylast=True, specname="init_board")
def fallback_init_board(machine: MachineState) -> bool:
    """Boards that place nothing themselves get main RAM at address 0."""
    machine.map_ram(0)
    return True
