"""machinectl: board definitions as plugins, guest RAM from real host memory backends.

The library API is the command line's pipeline::

    with machinectl.Machine.from_argv(["-M", "none", "-m", "1G"]) as machine:
        machine.ram.view[0:4] = b"\\x01\\x02\\x03\\x04"

Board plugins implement the hooks in :mod:`machinectl.hooks` with :data:`hookimpl`, usually
by handing :class:`BoardFacts` records to a :class:`BoardTable`.
"""

from __future__ import annotations

# Not typing.TYPE_CHECKING: importing typing costs more than this module's own work.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .boards import (
        EVERY_TARGET,
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
    from .machine import GuestRam, GuestRamRange, Machine
    from .memdev import DeviceMemory, MemoryDevice, RamChange
    from .memory import FlatRange, MemoryRegion
    from .plugins import Registry, create_registry, default_registry, reset_default_registry
    from .snapshot import Snapshot
    from .state import MachineState
    from .topology import CpuSlots, CpuTopology
    from .units import GiB, KiB, MiB, TiB

#: Every public name, imported from its module on first use: ``machinectl list-boards`` and a
#: board plugin that only declares records load no more of the core than they use.
_LAZY = {
    **dict.fromkeys(
        (
            "EVERY_TARGET",
            "AtLeast",
            "AtMost",
            "Board",
            "BoardFacts",
            "BoardSpec",
            "BoardTable",
            "Check",
            "FixedSize",
            "Layout",
            "MultipleOf",
            "OneOf",
            "QemuCompat",
            "RamRule",
            "Window",
            "WindowKind",
            "machine_version",
            "map_at_base",
        ),
        "boards",
    ),
    **dict.fromkeys(("MachineError", "PluginError", "UsageError"), "errors"),
    "hookimpl": "hooks",
    **dict.fromkeys(("Machine", "GuestRam", "GuestRamRange"), "machine"),
    **dict.fromkeys(("DeviceMemory", "MemoryDevice", "RamChange"), "memdev"),
    "MemoryRegion": "memory",
    "FlatRange": "memory",
    "MachineState": "state",
    **dict.fromkeys(("CpuSlots", "CpuTopology"), "topology"),
    **dict.fromkeys(
        ("Registry", "create_registry", "default_registry", "reset_default_registry"), "plugins"
    ),
    **dict.fromkeys(("GiB", "KiB", "MiB", "TiB"), "units"),
    "Snapshot": "snapshot",
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
    "EVERY_TARGET",
    "AtLeast",
    "AtMost",
    "Board",
    "BoardFacts",
    "BoardSpec",
    "BoardTable",
    "Check",
    "CpuSlots",
    "CpuTopology",
    "DeviceMemory",
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
    "MemoryDevice",
    "MemoryRegion",
    "MiB",
    "MultipleOf",
    "OneOf",
    "PluginError",
    "QemuCompat",
    "RamChange",
    "RamRule",
    "Registry",
    "Snapshot",
    "TiB",
    "UsageError",
    "Window",
    "WindowKind",
    "create_registry",
    "default_registry",
    "hookimpl",
    "machine_version",
    "map_at_base",
    "reset_default_registry",
]
