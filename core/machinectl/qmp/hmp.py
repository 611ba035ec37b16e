"""The HMP ``info`` commands ``human-monitor-command`` runs, with QEMU 7.2's texts.

The texts use ``\\n``; the QMP command turns them into the monitor's ``\\r\\n``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..machine import Machine

Info = Callable[["Machine", set[str]], str]


def _mtree(machine: Machine, flags: set[str]) -> str:
    # -d, -o and -D change nothing here: machinectl's map has no dispatch tree, owners or
    # disabled regions.
    return machine.mtree_text(flat="f" in flags)


def _numa(machine: Machine, flags: set[str]) -> str:
    return machine.numa_text()


def _memdev(machine: Machine, flags: set[str]) -> str:
    from .commands import ordered_backends

    return "".join(b.info_text() for b in ordered_backends(machine)) + "\n"


def _memory_size_summary(machine: Machine, flags: set[str]) -> str:
    from .commands import memory_size_summary

    summary = memory_size_summary(machine)
    text = f"base memory: {summary['base-memory']}\n"
    if "plugged-memory" in summary:
        text += f"plugged memory: {summary['plugged-memory']}\n"
    return text


def _memory_devices(machine: Machine, flags: set[str]) -> str:
    return machine.memory_devices_text()


#: ``info`` subcommands: function, the options they take, and QEMU's help line.
INFO: dict[str, tuple[Info, str, str]] = {
    "memdev": (_memdev, "", "info memdev  -- show memory backends"),
    "memory-devices": (_memory_devices, "", "info memory-devices  -- show memory devices"),
    "memory_size_summary": (
        _memory_size_summary,
        "",
        "info memory_size_summary  -- show the amount of initially allocated and present "
        "hotpluggable (if enabled) memory in bytes.",
    ),
    "mtree": (
        _mtree,
        "fdoD",
        "info mtree [-f][-d][-o][-D] -- show memory tree (-f: dump flat view for address "
        "spaces;-d: dump dispatch tree, valid with -f only);-o: dump region owners/parents;"
        "-D: dump disabled regions",
    ),
    "numa": (_numa, "", "info numa  -- show NUMA information"),
}


def run(machine: Machine, line: str) -> str:
    """One HMP command line: its output (errors are output too, as in QEMU's monitor)."""
    words = line.split()
    if not words:
        return ""
    if words[0] not in ("info", "i"):
        return f"unknown command: '{words[0]}'\n"
    if len(words) == 1:
        return "".join(help_line + "\n" for _, _, help_line in INFO.values())
    name, rest = words[1], words[2:]
    entry = INFO.get(name)
    if entry is None:
        return f"unknown command: 'info {name}'\n"
    function, options, _ = entry
    flags: set[str] = set()
    for word in rest:
        if options and word.startswith("-") and len(word) == 2 and word[1] in options:
            flags.add(word[1])
        elif options and word.startswith("-"):
            return (
                f'{name}: unsupported option {word}\nTry "help info {name}" for more information\n'
            )
        else:
            return (
                f"{name}: extraneous characters at the end of line\n"
                f'Try "help info {name}" for more information\n'
            )
    return function(machine, flags)
