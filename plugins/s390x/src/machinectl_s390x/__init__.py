"""machinectl board plugin: QEMU's s390x machine types (``s390-ccw-virtio-*``).

All versions map the RAM backend ``s390.ram`` whole at address 0 and, in the Debian 7.2
binary, refuse a RAM size that is not a whole number of MiB. The 4.2 and older types keep
QEMU's older SCLP storage-increment rule: with at most 1020 increments of 1 MiB times a power of
two, the ``-m`` size is rounded down to the increment, with a notice on standard output.

The rounding happens before the maxmem checks and before the RAM backend exists (the
``fixup_ram_size`` hook), so the backend, the checks and the layout all see the rounded size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from machinectl.boards import (
    BoardFacts,
    BoardSpec,
    BoardTable,
    Check,
    MultipleOf,
    QemuCompat,
    machine_version,
)
from machinectl.errors import MachineError
from machinectl.units import MiB

if TYPE_CHECKING:
    from machinectl.state import MachineState

RAM_ID = "s390.ram"
FAMILY = "s390x"
#: QEMU 7.2's CPU limit of every s390-ccw-virtio type (``cpu-max``).
MAX_CPUS = 248
DEFAULT_RAM_SIZE = 128 * MiB
#: The most storage increments SCLP describes on the 4.2 and older machine types.
MAX_STORAGE_INCREMENTS = 1020
VERSIONS = (
    "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "3.0", "3.1", "4.0",
    "4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1", "6.2", "7.0", "7.1", "7.2",
)  # fmt: skip
ALIAS = "s390-ccw-virtio"


def storage_increment(size: int) -> int:
    """The SCLP increment for ``size``: 1 MiB doubled until at most 1020 increments cover it."""
    shift = 20
    while (size >> shift) > MAX_STORAGE_INCREMENTS:
        shift += 1
    return 1 << shift


def fixup_ram_size(size: int) -> tuple[int, str | None]:
    """QEMU's ``fixup_ram_size`` of the 4.2 and older types: the new size and its notice."""
    increment = storage_increment(size)
    fixed = size // increment * increment
    if fixed == size:
        return size, None
    notice = (
        f"Ram size {size // MiB}MB was fixed up to {fixed // MiB}MB to match machine "
        "restrictions. Consider updating the guest definition."
    )
    return fixed, notice


def _fixup(machine: MachineState, size: int) -> int:
    fixed, notice = fixup_ram_size(size)
    if notice is None:
        return size
    # QEMU prints the notice on standard output, not as a warning.
    machine.notice(notice)
    if fixed == 0:
        # QEMU goes on without any RAM and crashes; refuse instead.
        raise MachineError(
            f"the storage-increment fixup leaves no RAM of {size} bytes; "
            f"{machine.board.name} needs at least 1 MiB"
        )
    return fixed


WHOLE_MIB = MultipleOf("ram size must be multiples of 1 MiB", step=MiB)


def _check_threads(machine: MachineState) -> MachineError | None:
    topology = machine.topology
    if topology is not None and topology.threads > 1:
        return MachineError("S390 does not support more than 1 threads.")
    return None


ONE_THREAD = Check("one thread per core (-smp threads=1)", test=_check_threads)


def machine_type(text: str) -> BoardFacts:
    """``s390-ccw-virtio-<text>`` as QEMU 7.2 defines it."""
    fixup = machine_version(text) <= (4, 2)
    notes = ["RAM 's390.ram' is mapped whole at 0; maxmem and slots are accepted and unused"]
    if fixup:
        notes.append(
            "-m is rounded down to the SCLP storage increment, with a notice: up to 1020 MiB "
            "in 1 MiB steps, up to 2040 MiB in 2 MiB steps, up to 4080 MiB in 4 MiB steps, "
            "and so on (at most 1020 increments)"
        )
    else:
        notes.append("no storage-increment rounding: SCLP uses 1 MiB increments, any number")
    return BoardFacts(
        spec=BoardSpec(
            name=f"s390-ccw-virtio-{text}",
            description=f"Virtual s390x machine (version {text})",
            alias=ALIAS if text == VERSIONS[-1] else None,
            family=FAMILY,
            targets=(FAMILY,),
            default_for=(FAMILY,) if text == VERSIONS[-1] else (),
            canonical_ramblock_ids=QemuCompat.for_version(text).canonical_ramblock_ids,
            smp_prefers_sockets=QemuCompat.for_version(text).smp_prefers_sockets,
            max_cpus=MAX_CPUS,
        ),
        default_ram_size=DEFAULT_RAM_SIZE,
        default_ram_id=RAM_ID,
        # Only the newest machine type refuses threads (older ones keep accepting them).
        rules=(WHOLE_MIB, ONE_THREAD) if machine_version(text) >= (7, 2) else (WHOLE_MIB,),
        fixup=_fixup if fixup else None,
        notes=notes,
    )


RECORDS = [machine_type(v) for v in VERSIONS]
plugin = BoardTable(RECORDS)

#: Machine types ``qemu-system-s390x -M help`` lists that this plugin does not ship: none.
NOT_SHIPPED: dict[str, str] = {}
#: Machine types shipped from QEMU 5.0 that QEMU 7.2 no longer lists: none.
QEMU_5_0_ONLY: frozenset[str] = frozenset()

__all__ = [
    "NOT_SHIPPED",
    "QEMU_5_0_ONLY",
    "RECORDS",
    "fixup_ram_size",
    "plugin",
    "storage_increment",
]
