"""Every x86 machine type as a record, generated from what changes between versions.

The versioned PC types differ only in a handful of compatibility switches, each of which
flips once in QEMU's history; :func:`i440fx` and :func:`q35` turn a version number into
those switches. QEMU 7.2 provides pc-i440fx-1.4 … 7.2 and pc-q35-2.4 … 7.2 (with the
out-of-series pc-q35-4.0.1); pc-1.0 … pc-1.3 exist only in QEMU 5.0 and follow its rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from machinectl.boards import BoardFacts, BoardSpec, QemuCompat, machine_version
from machinectl.topology import CpuSlots
from machinectl.units import GiB, KiB, MiB

from .apic import APIC_RULE
from .firmware import BIOS_RULE, Firmware
from .microvm import MicrovmModel
from .pc import I486, MAX_RAM_BELOW_4G, Chipset, PcModel
from .properties import ACPI, NVDIMM

Version = tuple[int, ...]

FAMILY = "x86"
#: Both x86 binaries list every machine type; the newest pc-i440fx is the default of both.
TARGETS = ("i386", "x86_64")
#: QEMU's machine-class families, which order ``-M help`` (isapc belongs to none).
PIIX_FAMILY = "pc_piix"
Q35_FAMILY = "pc_q35"
MICROVM_FAMILY = "microvm_i386"
DEFAULT_RAM_SIZE = 128 * MiB
PC_RAM_ID = "pc.ram"
I440FX_DESCRIPTION = "Standard PC (i440FX + PIIX, 1996)"
Q35_DESCRIPTION = "Standard PC (Q35 + ICH9, 2009)"
#: Typed as a plain mapping: the core's dict converters do not accept narrower dict types.
#: QEMU 5.0, the only home of pc-1.x, had no ``acpi`` machine property yet.
QEMU50_PC_PROPERTIES: Mapping[str, Any] = {MAX_RAM_BELOW_4G: "size", NVDIMM: "bool"}
PC_PROPERTIES: Mapping[str, Any] = {**QEMU50_PC_PROPERTIES, ACPI: "on-off-auto"}
MICROVM_PROPERTIES: Mapping[str, Any] = {ACPI: "on-off-auto"}

#: Machine types of QEMU 7.2, oldest first.
I440FX_VERSIONS = (
    "1.4", "1.5", "1.6", "1.7", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8",
    "2.9", "2.10", "2.11", "2.12", "3.0", "3.1", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2",
    "6.0", "6.1", "6.2", "7.0", "7.1", "7.2",
)  # fmt: skip
Q35_VERSIONS = (
    "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "3.0", "3.1", "4.0",
    "4.0.1", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1", "6.2", "7.0", "7.1", "7.2",
)  # fmt: skip
#: The pre-1.4 names, removed after QEMU 5.0.
LEGACY_PC_VERSIONS = ("1.0", "1.1", "1.2", "1.3")

I440FX_HOLE64 = 2 * GiB
Q35_HOLE64 = 32 * GiB
SEABIOS_256K = Firmware(256 * KiB)
SEABIOS_128K = Firmware(128 * KiB)
#: QEMU's x86 CPU slots: one per thread, with its die only when there are several dies.
X86_CPU_SLOTS = CpuSlots(
    ("socket-id", "die-id", "core-id", "thread-id"), die_id_with_dies_only=True
)
#: QEMU 7.2's CPU limits (``cpu-max``): pc-i440fx and q35 up to 2.7 keep 255, later q35 288.
PC_MAX_CPUS = 255
Q35_MAX_CPUS = 288


def _v(text: str) -> Version:
    return machine_version(text)


#: QEMU 7.2's reason for the deprecated pc-i440fx-1.x machine types.
DEPRECATION_REASON = "old and unattended - use a newer version instead"


def _pc_spec(
    name: str,
    description: str,
    version: Version,
    *,
    machine_family: str,
    alias: str | None = None,
    deprecated: bool = False,
    default: bool = False,
    max_cpus: int = PC_MAX_CPUS,
    properties: Mapping[str, Any] = PC_PROPERTIES,
) -> BoardSpec:
    compat = QemuCompat.for_version(version)
    return BoardSpec(
        name=name,
        description=description,
        alias=alias,
        family=FAMILY,
        targets=TARGETS,
        machine_family=machine_family,
        default_for=TARGETS if default else (),
        numa=True,
        numa_mem_supported=compat.numa_mem_supported,
        memory_devices=True,
        properties=properties,
        deprecated=deprecated,
        deprecation_reason=DEPRECATION_REASON if deprecated else None,
        canonical_ramblock_ids=compat.canonical_ramblock_ids,
        smp_prefers_sockets=compat.smp_prefers_sockets,
        auto_numa_with_slots=version >= (2, 11),
        auto_numa_with_maxmem=version >= (5, 1),
        max_cpus=max_cpus,
        smp_dies_supported=True,
        cpu_slots=X86_CPU_SLOTS,
    )


def _pc_facts(spec: BoardSpec, model: PcModel, notes: tuple[str, ...] = ()) -> BoardFacts:
    return BoardFacts(
        spec=spec,
        default_ram_size=DEFAULT_RAM_SIZE,
        default_ram_id=PC_RAM_ID,
        rules=model.rules(),
        layout=model.layout,
        notes=(*notes, *model.notes()),
        extra=_extra(model),
        device_memory=model.device_memory,
    )


def _extra(model: object) -> Mapping[str, Any]:
    return {"model": model}


def i440fx(text: str, *, alias: str | None = None) -> BoardFacts:
    """``pc-i440fx-<text>`` as QEMU 7.2 defines it."""
    version = _v(text)
    model = PcModel(
        chipset=Chipset.I440FX,
        # 1.7 and older load the 128 KiB SeaBIOS image.
        firmware=SEABIOS_256K if version >= (2, 0) else SEABIOS_128K,
        pci_hole64_size=I440FX_HOLE64,
        gigabyte_align=version >= (2, 0),
        has_reserved_memory=version >= (2, 1),
        enforce_aligned_dimm=version >= (2, 2),
        broken_reserved_end=version <= (2, 4),
        enforce_amd_1tb_hole=version >= (7, 1),
        legacy_fw_cfg_order=version <= (2, 5),
    )
    spec = _pc_spec(
        f"pc-i440fx-{text}",
        I440FX_DESCRIPTION,
        version,
        machine_family=PIIX_FAMILY,
        alias=alias,
        deprecated=version <= (1, 7),
        default=text == I440FX_VERSIONS[-1],
    )
    return _pc_facts(spec, model)


def q35(text: str, *, alias: str | None = None) -> BoardFacts:
    """``pc-q35-<text>`` as QEMU 7.2 defines it."""
    version = _v(text)
    model = PcModel(
        chipset=Chipset.Q35,
        firmware=SEABIOS_256K,
        pci_hole64_size=Q35_HOLE64,
        broken_reserved_end=version <= (2, 4),
        enforce_amd_1tb_hole=version >= (7, 1),
        legacy_fw_cfg_order=version <= (2, 5),
    )
    spec = _pc_spec(
        f"pc-q35-{text}",
        Q35_DESCRIPTION,
        version,
        machine_family=Q35_FAMILY,
        alias=alias,
        max_cpus=Q35_MAX_CPUS if version >= (2, 8) else PC_MAX_CPUS,
    )
    return _pc_facts(spec, model)


def legacy_pc(text: str) -> BoardFacts:
    """``pc-<text>`` (1.0 … 1.3) as QEMU 5.0 defined it: before the phys-bits check."""
    model = PcModel(
        chipset=Chipset.I440FX,
        firmware=SEABIOS_128K,
        pci_hole64_size=I440FX_HOLE64,
        gigabyte_align=False,
        has_reserved_memory=False,
        enforce_aligned_dimm=False,
        broken_reserved_end=True,
        checks_phys_bits=False,
        legacy_fw_cfg_order=True,
    )
    spec = _pc_spec(
        f"pc-{text}",
        I440FX_DESCRIPTION,
        _v(text),
        machine_family=PIIX_FAMILY,
        deprecated=True,
        properties=QEMU50_PC_PROPERTIES,
    )
    return _pc_facts(spec, model, ("a QEMU 5.0 machine type (removed before QEMU 7.2)",))


def isapc() -> BoardFacts:
    model = PcModel(
        chipset=Chipset.I440FX,
        firmware=Firmware(128 * KiB, behind_pci=False),
        pci_hole64_size=0,
        gigabyte_align=False,
        has_reserved_memory=False,
        enforce_aligned_dimm=False,
        cpu=I486,
    )
    spec = BoardSpec(
        name="isapc",
        description="ISA-only PC",
        family=FAMILY,
        targets=TARGETS,
        numa=True,
        memory_devices=True,
        properties=PC_PROPERTIES,
        max_cpus=1,
        smp_dies_supported=True,
        cpu_slots=X86_CPU_SLOTS,
    )
    notes = ("its 486 CPU addresses only 32 bits, so the phys-bits check never refuses it",)
    return _pc_facts(spec, model, notes)


def microvm() -> BoardFacts:
    model = MicrovmModel()
    spec = BoardSpec(
        name="microvm",
        description="microvm (i386)",
        family=FAMILY,
        targets=TARGETS,
        machine_family=MICROVM_FAMILY,
        numa=True,
        memory_devices=True,
        properties=MICROVM_PROPERTIES,
        max_cpus=Q35_MAX_CPUS,
        cpu_slots=X86_CPU_SLOTS,
    )
    return BoardFacts(
        spec=spec,
        default_ram_size=DEFAULT_RAM_SIZE,
        default_ram_id="microvm.ram",
        rules=(APIC_RULE, BIOS_RULE),
        layout=model.layout,
        notes=model.notes(),
        extra=_extra(model),
    )


def records() -> list[BoardFacts]:
    newest_i440fx, newest_q35 = I440FX_VERSIONS[-1], Q35_VERSIONS[-1]
    return [
        *(i440fx(v, alias="pc" if v == newest_i440fx else None) for v in I440FX_VERSIONS),
        *(legacy_pc(v) for v in LEGACY_PC_VERSIONS),
        isapc(),
        *(q35(v, alias="q35" if v == newest_q35 else None) for v in Q35_VERSIONS),
        microvm(),
    ]
