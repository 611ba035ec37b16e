"""The versioned ``virt`` machine types and ``sbsa-ref``: RAM high up in a large address space."""

from __future__ import annotations

import os
from collections.abc import Callable

from machinectl.boards import BoardFacts, Check, QemuCompat, Window, machine_version
from machinectl.errors import MachineError
from machinectl.memdev import DeviceMemory
from machinectl.state import MachineState
from machinectl.topology import CpuSlots
from machinectl.units import GiB, MiB, TiB

from .common import arm_board
from .rules import at_most

#: Every virt version QEMU 7.2 has; the newest carries the alias ``virt``.
VERSIONS = (
    "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "3.0", "3.1",
    "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1", "6.2", "7.0", "7.1", "7.2",
)  # fmt: skip
#: The first versions that add a NUMA node by themselves when ``-m slots=`` or ``maxmem=``
#: allows hotplugged memory.
FIRST_AUTO_NUMA_WITH_SLOTS = (4, 2)
FIRST_AUTO_NUMA_WITH_MAXMEM = (5, 1)

VIRT_RAM_BASE = 1 * GiB
#: Physical address bits of the default CPU (cortex-a15, with LPAE) and with ``highmem=off``.
DEFAULT_PA_BITS = 40
LOW_PA_BITS = 32
MAX_RAM_SLOTS = 256
U64 = 1 << 64


def _round_up_u64(value: int, align: int) -> int:
    return ((value + align - 1) & ~(align - 1)) % U64


#: Physical address bits of QEMU 7.2's AArch64 CPU models (their ID_AA64MMFR0.PARange);
#: the 32-bit models with LPAE (cortex-a15, cortex-a7) have 40.
AARCH64_PA_BITS = {
    "cortex-a35": 40,
    "cortex-a53": 40,
    "cortex-a57": 44,
    "cortex-a72": 44,
    "cortex-a76": 40,
    "a64fx": 40,
    "neoverse-n1": 48,
    "max": 52,
}


def _pa_bits(machine: MachineState) -> int:
    """The CPU's physical address bits: qemu-system-arm's ``max`` is a 32-bit CPU without
    LPAE (32 bits); every other model virt takes has LPAE or AArch64."""
    cpu = machine.cpu_type
    if machine.target == "arm":
        return LOW_PA_BITS if cpu == "max" else DEFAULT_PA_BITS
    return AARCH64_PA_BITS.get(cpu or "", DEFAULT_PA_BITS)


def memory_map_error(machine: MachineState) -> MachineError | None:
    """Whether RAM and hotplug memory fit the guest's physical address space, as virt lays them.

    Hotplug memory starts at the first 1 GiB boundary after RAM and spans ``maxmem - RAM``
    plus 1 GiB per slot, rounded up to 1 GiB; its end must not pass ``2**pa_bits``. The
    arithmetic wraps at 2**64 as QEMU's does.
    """
    if machine.ram_slots > MAX_RAM_SLOTS:
        return MachineError(f"unsupported number of memory slots: {machine.ram_slots}")
    pa_bits = _pa_bits(machine) if machine.properties.get("highmem", True) else LOW_PA_BITS
    hotplug_base = _round_up_u64(VIRT_RAM_BASE + machine.ram_size, GiB)
    hotplug_size = (machine.maxram_size - machine.ram_size + machine.ram_slots * GiB) % U64
    top = (hotplug_base + _round_up_u64(hotplug_size, GiB)) % U64
    if top > 1 << pa_bits:
        return MachineError(
            f"Addressing limited to {pa_bits} bits, but memory exceeds it by "
            f"{top - (1 << pa_bits)} bytes"
        )
    if top < hotplug_base:
        return MachineError("maxmem/slots too huge")
    return None


MEMORY_MAP_RULE = Check(
    "RAM and hotplug memory must end within the CPU's physical address space "
    f"({DEFAULT_PA_BITS} bits for the default CPU, 44 to 52 for some AArch64 models, "
    f"{LOW_PA_BITS} with highmem=off); at most {MAX_RAM_SLOTS} slots",
    test=memory_map_error,
)


#: Without firmware and a 64-bit CPU the board has no ACPI GED, which plugs DIMMs.
NO_GED = "memory hotplug is not enabled: missing acpi-ged device"
#: The first virt version with the GED.
FIRST_GED = (4, 2)
#: The CPU models of qemu-system-aarch64 7.2 with AArch64 (the default cortex-a15 has not).
AARCH64_CPUS = frozenset(
    {"cortex-a35", "cortex-a53", "cortex-a57", "cortex-a72", "cortex-a76",
     "a64fx", "neoverse-n1", "max", "host"}
)  # fmt: skip
FIRMWARE_DIRS = ("/usr/share/qemu",)


def has_ged(machine: MachineState, version: tuple[int, ...]) -> bool:
    """QEMU's condition for the ACPI GED: virt 4.2+, a 64-bit CPU, firmware, ACPI not off.

    ``qemu-system-arm`` has no 64-bit CPU (its ``max`` is 32-bit), so only aarch64 qualifies.
    """
    return (
        version >= FIRST_GED
        and machine.target != "arm"
        and machine.cpu_type in AARCH64_CPUS
        and machine.firmware is not None
        and machine.properties.get("acpi", "auto") != "off"
    )


def _check_firmware(machine: MachineState) -> MachineError | None:
    name = machine.firmware
    if name is None:
        return None
    candidates = [name] + [f"{d}/{name}" for d in FIRMWARE_DIRS if "/" not in name]
    if not any(os.path.isfile(c) for c in candidates):
        return MachineError(f"Could not find ROM image '{name}'", location="")
    return None


FIRMWARE_RULE = Check("-bios must name a firmware file that exists", test=_check_firmware)

#: The CPUs the default interrupt controller (GICv2, without KVM) serves.
GIC_V2_CPUS = 8


def _check_gic_cpus(machine: MachineState) -> MachineError | None:
    topology = machine.topology
    if topology is not None and topology.max_cpus > GIC_V2_CPUS:
        return MachineError(
            f"Number of SMP CPUs requested ({topology.max_cpus}) exceeds max CPUs supported "
            f"by machine 'mach-virt' ({GIC_V2_CPUS})"
        )
    return None


GIC_RULE = Check(f"at most {GIC_V2_CPUS} CPUs, maxcpus included (GICv2)", test=_check_gic_cpus)


def virt_device_memory(version: tuple[int, ...]) -> Callable[[MachineState], DeviceMemory]:
    """The hotplug area: from the 1 GiB boundary after RAM, maxmem - RAM + 1 GiB per slot.

    DIMMs need the ACPI GED, which virt creates only with firmware and a 64-bit CPU
    (:func:`has_ged`); without it only virtio-mem-pci plugs.
    """

    def declare(machine: MachineState) -> DeviceMemory:
        base = _round_up_u64(VIRT_RAM_BASE + machine.ram_size, GiB)
        size = (machine.maxram_size - machine.ram_size + machine.ram_slots * GiB) % U64
        ged = has_ged(machine, version)
        return DeviceMemory(
            base=base,
            size=size,
            drivers=("pc-dimm", "nvdimm", "virtio-mem-pci") if ged else ("virtio-mem-pci",),
            refusals={} if ged else dict.fromkeys(("pc-dimm", "nvdimm"), NO_GED),
            nvdimm=bool(machine.properties.get("nvdimm", False)),
            nvdimm_disabled_error="nvdimm is not enabled: add 'nvdimm=on' to '-M'",
            hotplug_refusals={"virtio-mem-pci": "Bus 'pcie.0' does not support hotplugging"},
            pci_bus="pcie.0",
            pci_devices={0: ("gpex-root", False)},  # the host bridge's function
        )

    return declare


#: QEMU 7.2's CPU limits (``cpu-max``): virt from 3.0 and sbsa-ref 512, older virt 255.
VIRT_MAX_CPUS = 512
GIC_V2_MAX_CPUS = 255
#: virt's CPU slots: one per thread, placed in the socket/cluster/core/thread hierarchy.
VIRT_CPU_SLOTS = CpuSlots(("socket-id", "cluster-id", "core-id", "thread-id"))
#: sbsa-ref's CPU slots: one per CPU, its thread-id the CPU index.
SBSA_REF_CPU_SLOTS = CpuSlots(("thread-id",), flat=True)


#: virt's two 64 MiB pflash devices at 0 (QEMU 7.2 maps both in the system address space).
VIRT_FLASH = (
    Window("virt.flash0", 0x0, 64 * MiB, "romd"),
    Window("virt.flash1", 0x400_0000, 64 * MiB, "romd"),
)


def _virt(version: str, newest: bool) -> BoardFacts:
    number = machine_version(version)
    compat = QemuCompat.for_version(number)
    legacy_numa = compat.numa_mem_supported
    numa_words = (
        "-numa node,mem= (legacy) is accepted"
        if legacy_numa
        else "-numa node,mem= is refused: use -numa node,memdev="
    )
    return arm_board(
        f"virt-{version}",
        f"QEMU {version} ARM Virtual Machine",
        default_ram_size=128 * MiB,
        default_ram_id="mach-virt.ram",
        ram_base=VIRT_RAM_BASE,
        rules=[MEMORY_MAP_RULE, FIRMWARE_RULE, GIC_RULE],
        notes=(
            "RAM at 1 GiB; flash and devices below it; with maxmem or slots, hotplug memory "
            "follows from the next 1 GiB boundary after RAM, and the high I/O regions after that",
            "virtio-mem-pci devices go to the hotplug memory; pc-dimm and nvdimm too with "
            "firmware (-bios) and a 64-bit CPU (-cpu), which give the board its ACPI GED",
            f"NUMA supported; {numa_words}",
        ),
        alias="virt" if newest else None,
        numa=True,
        numa_mem_supported=legacy_numa,
        properties={"highmem": "bool", "acpi": "on-off-auto", "nvdimm": "bool"},
        canonical_ramblock_ids=compat.canonical_ramblock_ids,
        smp_prefers_sockets=compat.smp_prefers_sockets,
        max_cpus=VIRT_MAX_CPUS if number >= (3, 0) else GIC_V2_MAX_CPUS,
        smp_clusters_supported=True,
        cpu_slots=VIRT_CPU_SLOTS,
        auto_numa_with_slots=number >= FIRST_AUTO_NUMA_WITH_SLOTS,
        auto_numa_with_maxmem=number >= FIRST_AUTO_NUMA_WITH_MAXMEM,
        device_memory=virt_device_memory(number),
        windows=VIRT_FLASH,
    )


SBSA_REF_RAM_BASE = 1 * TiB
SBSA_REF_MAX_RAM = 8 * TiB

SBSA_REF = arm_board(
    "sbsa-ref",
    "QEMU 'SBSA Reference' ARM Virtual Machine",
    default_ram_size=1 * GiB,
    default_ram_id="sbsa-ref.ram",
    ram_base=SBSA_REF_RAM_BASE,
    rules=[at_most(SBSA_REF_MAX_RAM, "sbsa-ref: cannot model more than 8192GB RAM")],
    notes=(
        "RAM at 1 TiB, in a window of 8 TiB; flash, secure RAM and PCIe windows below it",
        "NUMA supported; -numa node,mem= is refused: use -numa node,memdev=",
    ),
    numa=True,
    numa_cpus_by_index=True,
    max_cpus=VIRT_MAX_CPUS,
    default_cpus=4,
    cpu_slots=SBSA_REF_CPU_SLOTS,
    # Flash 0 is the secure world's; flash 1 is the one the system address space has.
    windows=(Window("sbsa.flash1", 0x1000_0000, 256 * MiB, "romd"),),
)

RECORDS: tuple[BoardFacts, ...] = (
    *(_virt(v, newest=(v == VERSIONS[-1])) for v in VERSIONS),
    SBSA_REF,
)
