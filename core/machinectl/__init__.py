"""machinectl: board definitions as plugins, guest RAM from real host memory backends.

The library API is the command line's pipeline::

    with machinectl.Machine.from_argv(["-M", "none", "-m", "1G"]) as machine:
        machine.ram.view[0:4] = b"\\x01\\x02\\x03\\x04"

Board plugins implement the hooks in :mod:`machinectl.hooks` with :data:`hookimpl`, usually
by handing :class:`BoardFacts` records to a :class:`BoardTable`.
"""

from typing import TYPE_CHECKING, Any

from .boards import (
    AtLeast,
    AtMost,
    Board,
    BoardFacts,
    BoardSpec,
    BoardTable,
    Check,
    FixedSize,
    Layout,
    MultipleOf,
    OneOf,
    QemuCompat,
    RamRule,
    Window,
    WindowKind,
    machine_version,
    map_at_base,
)
from .errors import MachineError, PluginError, UsageError
from .hooks import hookimpl
from .units import GiB, KiB, MiB, TiB

if TYPE_CHECKING:
    from .machine import GuestRam, GuestRamRange, Machine
    from .memory import FlatRange, MemoryRegion
    from .plugins import Registry, create_registry
    from .state import MachineState

#: Names imported from their module on first use: a board plugin that only declares records,
#: or ``machinectl list-boards``, never loads the machine pipeline or the memory model.
_LAZY = {
    "Machine": "machine",
    "GuestRam": "machine",
    "GuestRamRange": "machine",
    "MemoryRegion": "memory",
    "FlatRange": "memory",
    "MachineState": "state",
    "Registry": "plugins",
    "create_registry": "plugins",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'machinectl' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AtLeast",
    "AtMost",
    "Board",
    "BoardFacts",
    "BoardSpec",
    "BoardTable",
    "Check",
    "FixedSize",
    "FlatRange",
    "GiB",
    "GuestRam",
    "GuestRamRange",
    "KiB",
    "Layout",
    "Machine",
    "MachineError",
    "MachineState",
    "MemoryRegion",
    "MiB",
    "MultipleOf",
    "OneOf",
    "PluginError",
    "QemuCompat",
    "RamRule",
    "Registry",
    "TiB",
    "UsageError",
    "Window",
    "WindowKind",
    "create_registry",
    "hookimpl",
    "machine_version",
    "map_at_base",
]
