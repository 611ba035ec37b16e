"""The one constructor every arm record goes through."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from machinectl.boards import (
    BoardFacts,
    BoardSpec,
    Layout,
    PropertyKind,
    RamRule,
    Window,
    map_at_base,
)

if TYPE_CHECKING:
    from machinectl.memdev import DeviceMemory
    from machinectl.state import MachineState
    from machinectl.topology import CpuSlots

FAMILY = "arm"
#: Both arm binaries list most machine types ...
ARM_AND_AARCH64 = ("arm", "aarch64")
#: ... those with a 64-bit CPU only ``qemu-system-aarch64`` (raspi3 is QEMU 5.0's).
AARCH64_ONLY = frozenset(
    {"raspi3", "raspi3ap", "raspi3b", "sbsa-ref", "xlnx-versal-virt", "xlnx-zcu102"}
)


def arm_targets(name: str) -> tuple[str, ...]:
    """The targets whose ``-M help`` lists the arm machine type ``name``."""
    return ("aarch64",) if name in AARCH64_ONLY else ARM_AND_AARCH64


def arm_board(
    name: str,
    description: str,
    *,
    default_ram_size: int,
    default_ram_id: str | None,
    ram_base: int = 0,
    rules: Iterable[RamRule] = (),
    layout: Layout = map_at_base,
    windows: Iterable[Window] = (),
    notes: Iterable[str] = (),
    extra: Mapping[str, Any] | None = None,
    alias: str | None = None,
    numa: bool = False,
    numa_mem_supported: bool = False,
    properties: Mapping[str, PropertyKind] | None = None,
    deprecated: bool = False,
    canonical_ramblock_ids: bool = False,
    smp_prefers_sockets: bool = False,
    numa_cpus_by_index: bool = False,
    max_cpus: int | None = None,
    default_cpus: int = 1,
    smp_clusters_supported: bool = False,
    cpu_slots: CpuSlots | None = None,
    auto_numa_with_slots: bool = False,
    auto_numa_with_maxmem: bool = False,
    device_memory: Callable[[MachineState], DeviceMemory | None] | None = None,
) -> BoardFacts:
    """A record for one arm machine type.

    Every arm binary of QEMU is built with memory-device support, so every arm board reports
    ``plugged-memory`` in ``query-memory-size-summary``. The keyword arguments are the
    :class:`machinectl.BoardSpec` facts of the same names.
    """
    spec = BoardSpec(
        name=name,
        description=description,
        alias=alias,
        family=FAMILY,
        targets=arm_targets(name),
        numa=numa,
        numa_mem_supported=numa_mem_supported,
        memory_devices=True,
        properties=dict(properties or {}),
        deprecated=deprecated,
        canonical_ramblock_ids=canonical_ramblock_ids,
        smp_prefers_sockets=smp_prefers_sockets,
        numa_cpus_by_index=numa_cpus_by_index,
        max_cpus=max_cpus,
        default_cpus=default_cpus,
        smp_clusters_supported=smp_clusters_supported,
        cpu_slots=cpu_slots,
        auto_numa_with_slots=auto_numa_with_slots,
        auto_numa_with_maxmem=auto_numa_with_maxmem,
    )
    return BoardFacts(
        spec=spec,
        default_ram_size=default_ram_size,
        default_ram_id=default_ram_id,
        ram_base=ram_base,
        rules=tuple(rules),
        layout=layout,
        windows=tuple(windows),
        notes=tuple(notes),
        extra=dict(extra or {}),
        device_memory=device_memory,
    )
