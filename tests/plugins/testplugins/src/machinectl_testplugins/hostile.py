"""Plugins that misbehave in every way a plugin can, for the isolation tests.

They are published under the entry-point group ``machinectl.tests.hostile``, next to the
well-behaved ``testboards``. Each one declares boards of its own and breaks only for them
(except ``h-rogue``, which breaks for every board and is only loaded when a test asks for it
through ``MACHINECTL_PLUGINS``), so that the tests can check that the other boards keep working.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence

from machinectl import BoardSpec, MachineError, MiB, hookimpl
from machinectl.boards import Board
from machinectl.state import MachineState

#: The hooks a board plugin implements, besides register_boards.
HOOKS = (
    "default_ram_size",
    "default_ram_id",
    "fixup_ram_size",
    "validate_ram",
    "init_board",
    "describe_board",
)


def _board_name(prefix: str, hook: str) -> str:
    return f"{prefix}-{hook.replace('_', '-')}"


class _PerHook:
    """Boards ``PREFIX-<hook>``: each one breaks in its own hook, by ``self.misbehave``."""

    prefix = ""

    def misbehave(self, hook: str) -> object:
        raise NotImplementedError

    def _mine(self, board: Board) -> bool:
        return board.name.startswith(self.prefix + "-")

    def _answer(self, board: Board, hook: str, normal: object) -> object:
        if board.name == _board_name(self.prefix, hook):
            return self.misbehave(hook)
        return normal if self._mine(board) else None

    @hookimpl
    def register_boards(self) -> Sequence[BoardSpec]:
        return [BoardSpec(name=_board_name(self.prefix, h), family="hostile") for h in HOOKS]

    @hookimpl
    def default_ram_size(self, board: Board) -> object:
        return self._answer(board, "default_ram_size", 64 * MiB)

    @hookimpl
    def default_ram_id(self, board: Board) -> object:
        return self._answer(board, "default_ram_id", "ram")

    @hookimpl
    def fixup_ram_size(self, machine: MachineState, size: int) -> object:
        return self._answer(machine.board, "fixup_ram_size", None)

    @hookimpl
    def validate_ram(self, machine: MachineState) -> object:
        return self._answer(machine.board, "validate_ram", None)

    @hookimpl
    def init_board(self, machine: MachineState) -> object:
        if self._mine(machine.board) and machine.board.name != _board_name(
            self.prefix, "init_board"
        ):
            machine.map_ram(0)
            return True
        return self._answer(machine.board, "init_board", None)

    @hookimpl
    def describe_board(self, board: Board) -> object:
        return self._answer(board, "describe_board", ["a hostile board"])


class Raising(_PerHook):
    """``raise-<hook>``: the hook raises an exception (a plugin bug, not a refusal)."""

    prefix = "raise"

    def misbehave(self, hook: str) -> object:
        raise RuntimeError(f"{hook} is broken")


class WrongType(_PerHook):
    """``wrong-<hook>``: the hook returns something of the wrong type."""

    prefix = "wrong"
    WRONG: dict[str, object] = {  # noqa: RUF012 - read-only table
        "default_ram_size": "64M",
        "default_ram_id": 5,
        "fixup_ram_size": -1,
        "validate_ram": MachineError("returned instead of raised"),
        "init_board": "done",
        "describe_board": 42,
    }

    def misbehave(self, hook: str) -> object:
        return self.WRONG[hook]


class Exiting(_PerHook):
    """``exit-<hook>``: the hook calls ``sys.exit()``."""

    prefix = "exit"

    def misbehave(self, hook: str) -> object:
        sys.exit(7)


class RegisterRaises:
    @hookimpl
    def register_boards(self) -> Sequence[BoardSpec]:
        raise RuntimeError("cannot list my boards")


class RegisterMidway:
    """register_boards yields one board, then fails: nothing of it may stay."""

    @hookimpl
    def register_boards(self) -> Iterator[BoardSpec]:
        yield BoardSpec(name="midway-first", family="hostile")
        raise RuntimeError("failed after the first board")


class RegisterWrong:
    @hookimpl
    def register_boards(self) -> object:
        return ["not-a-boardspec"]


class DeclaresTwice:
    @hookimpl
    def register_boards(self) -> Sequence[BoardSpec]:
        return [BoardSpec(name="twice", family="hostile"), BoardSpec(name="twice")]


class ClaimsNone:
    """Declares the core's own ``none`` machine: skipped, the built-in one stays."""

    @hookimpl
    def register_boards(self) -> Sequence[BoardSpec]:
        return [BoardSpec(name="none", family="hostile")]

    @hookimpl(tryfirst=True)
    def default_ram_size(self, board: Board) -> int:
        return 1


class HalfValid:
    """One valid hook and one pluggy refuses: the valid one must not stay registered.

    pluggy registers a plugin hook by hook (in name order); ``default_ram_size`` comes first
    and would answer 1 byte for every board if it stayed.
    """

    @hookimpl(tryfirst=True)
    def default_ram_size(self, board: Board) -> int:
        return 1

    @hookimpl
    def validate_ram(self, machine: MachineState, not_an_argument: int) -> None:
        pass


class Late:
    """Declares a board after it was loaded, by changing the list it returned."""

    def __init__(self) -> None:
        self.specs = [BoardSpec(name="late-first", family="hostile")]

    @hookimpl
    def register_boards(self) -> Sequence[BoardSpec]:
        return self.specs

    @hookimpl
    def default_ram_size(self, board: Board) -> int | None:
        if not any(spec.name == "late-second" for spec in self.specs):
            self.specs.append(BoardSpec(name="late-second", family="hostile"))
        return 32 * MiB if board.name.startswith("late-") else None


class Rogue:
    """Breaks for every board, whoever declared it; only loaded when a test asks for it."""

    @hookimpl
    def validate_ram(self, machine: MachineState) -> None:
        raise KeyError("rogue")


class Unconstructible:
    """An entry point naming a class whose constructor fails."""

    def __init__(self) -> None:
        raise RuntimeError("cannot construct the plugin")


raising = Raising()
wrong_type = WrongType()
exiting = Exiting()
register_raises = RegisterRaises()
register_midway = RegisterMidway()
register_wrong = RegisterWrong()
declares_twice = DeclaresTwice()
claims_none = ClaimsNone()
half_valid = HalfValid()
rogue = Rogue()
