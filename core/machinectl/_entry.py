"""The ``machinectl`` program's entry point.

Until :mod:`machinectl.cli` is imported and its handlers are in place, an interrupt ends the
process as it ends a C program that has not set up its own (by the signal, without a Python
traceback). This module runs first, so it imports nothing but the signal functions.

When Python writes no bytecode, the command keeps its own (see :mod:`machinectl._bytecode`);
only this entry point installs that cache: importing the library leaves the import system as
it is.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The C functions of the signal module (the module itself imports enum).
_signal: Any = importlib.import_module("_signal")
if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)


def main() -> int:
    """Run the command line of the process (see :func:`machinectl.cli.main`)."""
    from . import _bytecode

    _bytecode.install()
    from .cli import main as run

    return run()
