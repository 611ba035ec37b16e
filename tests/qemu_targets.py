"""The QEMU 7.2 binaries whose output the fidelity and NUMA records hold, and the target a
record's machine type is built for."""

from __future__ import annotations

from machinectl import MachineError, Registry

#: The binaries the expected texts come from, in the order a name is looked up in.
TARGETS = ("x86_64", "aarch64", "ppc64", "s390x")


def target_of(registry: Registry, machine: str) -> str | None:
    """The first of :data:`TARGETS` with the machine type (``virt`` is also m68k's), or None
    when none has it (the registry then says why)."""
    for target in TARGETS:
        try:
            registry.board(machine, target)
        except MachineError:
            continue
        return target
    return None
