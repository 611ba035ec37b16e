"""pSeries (sPAPR) machine types: one record per versioned type, built from a small table.

Every version has 512 MiB by default, main RAM ``ppc_spapr.ram`` at 0, and needs a Real Mode
Area of at least 128 MiB for SLOF. What changes between versions:

* ``lmb``: from pseries-2.5 memory is handed to the guest in 256 MiB blocks (dynamic
  reconfiguration), so RAM, maxmem and each NUMA node must be multiples of 256 MiB;
* ``legacy_numa_mem``: up to pseries-5.0 ``-numa node,mem=`` is accepted;
* ``rma_limit``: up to pseries-4.2 the RMA is capped at 16 GiB (migration compatibility);
* ``nvdimm``: from pseries-5.0 NVDIMMs (``nvdimm``, ``spapr-nvdimm``) can be plugged, and the
  machine has QEMU's ``nvdimm`` property (on by default).

With ``maxmem`` above the RAM size, the hotplug area (``device-memory``) starts at the next
1 GiB boundary above RAM.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs
from machinectl import (
    BoardFacts,
    BoardSpec,
    Check,
    DeviceMemory,
    GiB,
    MachineError,
    MiB,
    MultipleOf,
    RamRule,
    TiB,
)
from machinectl.boards import PropertyKind, QemuCompat, machine_version
from machinectl.topology import CpuSlots

if TYPE_CHECKING:
    from machinectl import MachineState

RAM_ID = "ppc_spapr.ram"
DEFAULT_RAM_SIZE = 512 * MiB
MIN_RMA = 128 * MiB
#: Memory is described to the guest in blocks of this size (dynamic reconfiguration).
LMB_SIZE = 256 * MiB
DIMM_DRIVERS = ("pc-dimm", "nvdimm", "spapr-nvdimm")
DEVICE_MEMORY_ALIGN = 1 * GiB
#: Hotpluggable memory slots under TCG.
MAX_RAM_SLOTS = 32
DESCRIPTION = "pSeries Logical Partition (PAPR compliant)"
#: ``-machine nvdimm=off`` refuses NVDIMMs (they are enabled by default).
NVDIMM = "nvdimm"
#: The machine properties of the types that support NVDIMMs.
NVDIMM_PROPERTIES: dict[str, PropertyKind] = {NVDIMM: "bool"}


@attrs.frozen
class Version:
    """What one pseries machine type changes."""

    name: str
    lmb: bool = True
    legacy_numa_mem: bool = False
    rma_limit: int | None = None
    #: File and memfd backends' RAM is named by QOM path (up to pseries-3.1).
    canonical_ramblock_ids: bool = False
    #: ``-smp N`` means N sockets (up to pseries-6.1).
    smp_prefers_sockets: bool = False
    #: NVDIMMs are supported, with the ``nvdimm`` machine properties (pseries-5.0 and newer).
    nvdimm: bool = True


NO_LMB = ("2.1", "2.2", "2.3", "2.4")
RMA_LIMITED = (
    *NO_LMB,
    *("2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "2.12-sxxm"),
    *("3.0", "3.1", "4.0", "4.1", "4.2"),
)
ALL_VERSIONS = (*RMA_LIMITED, "5.0", "5.1", "5.2", "6.0", "6.1", "6.2", "7.0", "7.1", "7.2")

VERSIONS = [
    Version(
        name,
        lmb=name not in NO_LMB,
        legacy_numa_mem=compat.numa_mem_supported,
        rma_limit=16 * GiB if name in RMA_LIMITED else None,
        canonical_ramblock_ids=compat.canonical_ramblock_ids,
        smp_prefers_sockets=compat.smp_prefers_sockets,
        nvdimm=machine_version(name) >= (5, 0),
    )
    for name, compat in ((n, QemuCompat.for_version(n)) for n in ALL_VERSIONS)
]
#: The newest version carries the unversioned name.
NEWEST = VERSIONS[-1].name


def _pow2floor(value: int) -> int:
    return 1 << (value.bit_length() - 1)


def rma_size(machine: MachineState, rma_limit: int | None) -> int:
    """The Real Mode Area: RAM, capped by the first NUMA node that has memory, 1 TiB, limit."""
    node0 = machine.ram_size
    nodes = machine.numa.nodes if machine.numa is not None else []
    first = next((node.size for node in nodes if node.size), None)
    if first is not None:
        node0 = min(_pow2floor(first), machine.ram_size)
    rma = min(machine.ram_size, node0, 1 * TiB)
    if rma_limit is not None:
        rma = min(rma, rma_limit)
    return rma


def _check_rma(rma_limit: int | None) -> Check:
    def test(machine: MachineState) -> MachineError | None:
        if rma_size(machine, rma_limit) >= MIN_RMA:
            return None
        # QEMU's format string prints the 128 MiB as hex followed by a stray "ld".
        return MachineError(
            f"pSeries SLOF firmware requires >= {MIN_RMA // MiB:x}ldMiB guest RMA "
            "(Real Mode Area memory)"
        )

    words = "the RMA (RAM up to the first NUMA node's power of two, at most 1 TiB"
    words += f", at most {rma_limit // GiB} GiB" if rma_limit else ""
    return Check(words + ") must be at least 128 MiB for SLOF", test=test)


def _check_maxmem_aligned(machine: MachineState) -> MachineError | None:
    if machine.maxram_size % LMB_SIZE == 0:
        return None
    # QEMU tests maxmem but prints the RAM size.
    return MachineError(
        f"Maximum memory size 0x{machine.ram_size:x} is not aligned to {LMB_SIZE // MiB} MiB"
    )


def _check_nodes_aligned(machine: MachineState) -> MachineError | None:
    for i, node in enumerate(machine.numa.nodes if machine.numa is not None else []):
        if node.size % LMB_SIZE:
            return MachineError(
                f"Node {i} memory size 0x{node.size:x} is not aligned to {LMB_SIZE // MiB} MiB"
            )
    return None


def _check_slots(machine: MachineState) -> MachineError | None:
    if machine.maxram_size > machine.ram_size and machine.ram_slots > MAX_RAM_SLOTS:
        return MachineError(
            f"Specified number of memory slots {machine.ram_slots} exceeds max supported "
            f"{MAX_RAM_SLOTS}"
        )
    return None


#: QEMU 7.2's CPU limit of every pseries type (``cpu-max``).
MAX_CPUS = 4096
#: One CPU slot per core; its core-id is the index of the core's first thread.
CPU_SLOTS = CpuSlots(("core-id",), per_core=True, flat=True)
TCG_THREADS = "TCG cannot support more than 1 thread/core on a pseries machine"


def _check_threads(machine: MachineState) -> MachineError | None:
    """Without KVM (machinectl emulates QEMU under TCG) a core has one thread."""
    topology = machine.topology
    if topology is not None and topology.threads > 1:
        return MachineError(TCG_THREADS)
    return None


def map_spapr(machine: MachineState, facts: BoardFacts) -> None:
    """RAM at 0 (the core maps the hotplug area this board declares)."""
    machine.map_ram(0)


def _device_memory(version: Version) -> Callable[[MachineState], DeviceMemory]:
    if version.nvdimm:
        nvdimm_disabled = f"nvdimm device found but '{NVDIMM}=off' was set"
    else:
        nvdimm_disabled = "NVDIMM hotplug not supported for this machine"

    def declare(machine: MachineState) -> DeviceMemory:
        size = max(machine.maxram_size - machine.ram_size, 0)
        base = -(-machine.ram_size // DEVICE_MEMORY_ALIGN) * DEVICE_MEMORY_ALIGN
        if not version.lmb:
            # The area exists (and shows in the memory tree), but nothing may be plugged.
            refusal = "Memory hotplug not supported for this machine"
            return DeviceMemory(base=base, size=size, refusals=dict.fromkeys(DIMM_DRIVERS, refusal))
        return DeviceMemory(
            base=base,
            size=size,
            drivers=DIMM_DRIVERS,
            size_step=LMB_SIZE,
            size_step_error=f"Hotplugged memory size must be a multiple of {LMB_SIZE // MiB} MB",
            nvdimm=version.nvdimm and bool(machine.properties.get(NVDIMM, True)),
            nvdimm_disabled_error=nvdimm_disabled,
            nvdimm_label_error="PAPR requires NVDIMM devices to have label-size set",
            nvdimm_size_error=(
                "PAPR requires NVDIMM memory size (excluding label) to be a multiple of 256MB"
            ),
        )

    return declare


def record(version: Version) -> BoardFacts:
    rules: list[RamRule] = [
        _check_rma(version.rma_limit),
        Check("one thread per core (-smp threads=1)", test=_check_threads),
    ]
    if version.lmb:
        rules += [
            MultipleOf("Memory size 0x{size:x} is not aligned to 256 MiB", step=LMB_SIZE),
            Check("maxmem a multiple of 256 MiB", test=_check_maxmem_aligned),
            Check("each NUMA node a multiple of 256 MiB", test=_check_nodes_aligned),
        ]
    rules.append(Check(f"at most {MAX_RAM_SLOTS} memory slots", test=_check_slots))
    notes = [
        "main RAM at 0; with maxmem above the RAM size, the hotplug area 'device-memory' "
        "(maxmem - RAM) starts at the next 1 GiB boundary above RAM",
    ]
    if version.lmb and version.nvdimm:
        notes.append(
            "pc-dimm, nvdimm and spapr-nvdimm devices go there, each a multiple of 256 MiB "
            "(NVDIMMs: label-size and uuid required; -machine nvdimm=off refuses them)"
        )
    elif version.lmb:
        notes.append(
            "pc-dimm devices go there, each a multiple of 256 MiB (NVDIMMs are not "
            "supported by this version)"
        )
    if not version.lmb:
        notes.append("no 256 MiB alignment (memory hotplug is not supported by this version)")
    notes.append(
        "-numa node,mem= (legacy) is accepted"
        if version.legacy_numa_mem
        else "NUMA memory only through -numa node,memdev="
    )
    name = f"pseries-{version.name}"
    return BoardFacts(
        spec=BoardSpec(
            name=name,
            description=DESCRIPTION,
            alias="pseries" if version.name == NEWEST else None,
            family="ppc",
            targets=("ppc64",),
            default_for=("ppc64",) if version.name == NEWEST else (),
            numa=True,
            numa_mem_supported=version.legacy_numa_mem,
            memory_devices=True,
            canonical_ramblock_ids=version.canonical_ramblock_ids,
            smp_prefers_sockets=version.smp_prefers_sockets,
            # Every version gives a guest without -numa one node of all RAM.
            auto_numa=True,
            properties=NVDIMM_PROPERTIES if version.nvdimm else {},
            max_cpus=MAX_CPUS,
            cpu_slots=CPU_SLOTS,
        ),
        default_ram_size=DEFAULT_RAM_SIZE,
        default_ram_id=RAM_ID,
        rules=rules,
        layout=map_spapr,
        notes=notes,
        device_memory=_device_memory(version),
    )


RECORDS = [record(version) for version in VERSIONS]
