"""x86 APIC ids: without KVM's in-kernel x2APIC support they must all stay below 255.

A CPU's APIC id packs its socket, die, core and thread into bit fields just wide enough for
each level's count, so a topology of odd counts leaves gaps and can need ids of 255 and up
with fewer than 255 CPUs.
"""

from __future__ import annotations

from machinectl.boards import Check
from machinectl.errors import MachineError
from machinectl.state import MachineState
from machinectl.topology import CpuTopology

#: The limit of APIC ids without x2APIC, and QEMU's refusal (under TCG always).
APIC_ID_LIMIT = 255
X2APIC_NEEDED = "current -smp configuration requires kernel irqchip and X2APIC API support."


def _width(count: int) -> int:
    """Bits for ids 0 .. count - 1."""
    return (count - 1).bit_length()


def apic_id(topology: CpuTopology, index: int) -> int:
    """The APIC id of CPU ``index``."""
    level = topology.level(index)
    core_shift = _width(topology.threads)
    die_shift = core_shift + _width(topology.cores)
    socket_shift = die_shift + _width(topology.dies)
    return (
        level["socket-id"] << socket_shift
        | level["die-id"] << die_shift
        | level["core-id"] << core_shift
        | level["thread-id"]
    )


def _check_apic_ids(machine: MachineState) -> MachineError | None:
    topology = machine.topology
    if topology is not None and apic_id(topology, topology.max_cpus - 1) >= APIC_ID_LIMIT:
        return MachineError(X2APIC_NEEDED)
    return None


APIC_RULE = Check(
    f"APIC ids below {APIC_ID_LIMIT}: the highest, of CPU maxcpus - 1, packs its socket, die, "
    "core and thread into bit fields as wide as each level's count needs",
    test=_check_apic_ids,
)
