"""The PC machine types' RAM: the split around the 32-bit PCI hole, device memory, phys-bits.

A PC board never maps its RAM region directly. It decides how much of it stays below 4 GiB
(the rest of the 32-bit space is the PCI hole), maps that part as the alias ``ram-below-4g``
at 0 and the remainder as ``ram-above-4g`` at 4 GiB (or at 1 TiB, past AMD's HyperTransport
hole, on 7.1 and newer machine types). With ``-m slots=,maxmem=`` it reserves a
``device-memory`` area after the RAM above 4 GiB, and since QEMU 7.1 it refuses a layout whose
top (the end of the 64-bit PCI hole) the CPU cannot address.

All arithmetic on addresses wraps at 64 bits, as QEMU's does: a huge ``maxmem`` can wrap the
device-memory area around, which is exactly what one of QEMU's checks looks for.
"""

from __future__ import annotations

import enum

import attrs
from machinectl.boards import BoardFacts, Check, RamRule
from machinectl.errors import MachineError
from machinectl.memdev import DeviceMemory
from machinectl.memory import MemoryRegion
from machinectl.state import MachineState
from machinectl.units import GiB, MiB, TiB

from .apic import APIC_RULE
from .firmware import BIOS_RULE, FOUR_GIB, Firmware
from .properties import NVDIMM, acpi_off

MASK64 = (1 << 64) - 1
ABOVE_4G_BASE = FOUR_GIB
#: Start of the HyperTransport range that AMD hosts reserve just below 1 TiB.
AMD_HT_START = 0xFD_0000_0000
AMD_ABOVE_1TB_START = TiB
#: The devices a PC puts on its PCI root bus without -nodefaults' extras: ``slot << 3 |
#: function`` -> (QEMU's type, multi-function).
PIIX4_PM = 1 << 3 | 3
I440FX_PCI_DEVICES = {
    0: ("i440FX", False),
    1 << 3: ("PIIX3", True),
    1 << 3 | 1: ("piix3-ide", False),
    PIIX4_PM: ("PIIX4_PM", False),
}
Q35_PCI_DEVICES = {
    0: ("mch", False),
    0x1F << 3: ("ICH9-LPC", True),
    0x1F << 3 | 2: ("ich9-ahci", False),
    0x1F << 3 | 3: ("ICH9-SMB", False),
}
#: The most memory slots the ACPI tables describe.
MAX_RAM_SLOTS = 256
PAGE_SIZE = 4096
MAX_RAM_BELOW_4G = "max-ram-below-4g"
DIMM_DRIVERS = ("pc-dimm", "nvdimm")
PCI_DRIVERS = ("virtio-mem-pci", "virtio-pmem-pci")

#: i440fx: RAM below 4 GiB by default, and the 1 GiB-aligned limit for large machines.
I440FX_BELOW_4G = 0xE0000000
I440FX_ALIGNED_BELOW_4G = 0xC0000000
#: Why a PC plugs no DIMM: no ACPI device (isapc, old types) or ``-machine acpi=off``.
NO_MEMORY_HOTPLUG = "memory hotplug is not enabled: missing acpi device or acpi disabled"
#: What QEMU warns when ``nvdimm=on`` adds a file that the legacy fw_cfg order does not know.
LEGACY_FW_CFG_WARNING = "Unknown firmware file in legacy mode: etc/acpi/nvdimm-mem"
#: q35 keeps room for the MMCONFIG window: 2.75 GiB below 4 GiB, or 2 GiB for large machines.
Q35_BELOW_4G = 0xB0000000
Q35_LARGE_BELOW_4G = 0x80000000


def _round_up(value: int, align: int) -> int:
    return ((value + align - 1) & ~(align - 1)) & MASK64


class Chipset(enum.Enum):
    """Which board code computes the split (isapc shares i440fx's)."""

    I440FX = "i440fx"
    Q35 = "q35"


@attrs.frozen
class X86Cpu:
    """The default CPU model's facts that bound the address space."""

    name: str
    amd: bool
    phys_bits: int


#: The default CPU of the 64-bit binary under TCG: AuthenticAMD, 40 physical address bits.
QEMU64 = X86Cpu("qemu64", amd=True, phys_bits=40)
#: isapc's default CPU: no 64-bit mode, 32 physical address bits.
I486 = X86Cpu("486", amd=False, phys_bits=32)


@attrs.frozen
class Split:
    """Main RAM divided around the PCI hole."""

    below_4g: int
    above_4g: int


@attrs.frozen
class MemoryPlan:
    """Where a PC board puts everything, before anything is mapped."""

    split: Split
    above_4g_start: int
    #: ``(base, size)`` of the area reserved for memory devices, or None.
    device_memory: tuple[int, int] | None
    #: The highest guest-physical address the layout uses (end of the 64-bit PCI hole).
    max_used_gpa: int


@attrs.frozen
class PcModel:
    """What changes from one PC machine type to the next, as far as RAM is concerned."""

    chipset: Chipset
    firmware: Firmware
    #: Default size of the 64-bit PCI hole (the host bridge's ``pci-hole64-size``).
    pci_hole64_size: int
    #: Large i440fx machines keep only 3 GiB below 4 GiB (2.0 and newer).
    gigabyte_align: bool = True
    #: Whether ``-m slots=,maxmem=`` is supported at all (QEMU's ``has_reserved_memory``).
    has_reserved_memory: bool = True
    #: Reserve 1 GiB of device memory per slot for alignment (2.2 and newer).
    enforce_aligned_dimm: bool = True
    #: The 64-bit PCI hole starts at the device-memory base, not its end (2.4 and older).
    broken_reserved_end: bool = False
    #: Move RAM above 4 GiB to 1 TiB when it would reach AMD's HyperTransport hole (7.1+).
    enforce_amd_1tb_hole: bool = False
    #: The phys-bits check exists (QEMU 7.1+; not in 5.0, the only home of pc-1.x).
    checks_phys_bits: bool = True
    #: fw_cfg files keep the fixed order of old QEMU, which ``nvdimm=on`` warns about (2.5 and
    #: older).
    legacy_fw_cfg_order: bool = False
    cpu: X86Cpu = QEMU64

    # -- computations ------------------------------------------------------------------------

    def split(self, ram_size: int, max_ram_below_4g: int) -> tuple[Split, list[str]]:
        """How much RAM stays below 4 GiB, and QEMU's warnings about that choice."""
        warnings = []
        if self.chipset is Chipset.Q35:
            lowmem = Q35_LARGE_BELOW_4G if ram_size >= Q35_BELOW_4G else Q35_BELOW_4G
            limit = max_ram_below_4g or FOUR_GIB
            if lowmem > limit:
                lowmem = limit
                if (ram_size - lowmem) & MASK64 > lowmem and lowmem % GiB:
                    warnings.append(
                        "There is possibly poor performance as the ram size  "
                        f"({ram_size:#x}) is more then twice the size of max-ram-below-4g "
                        f"({limit}) and max-ram-below-4g is not a multiple of 1G."
                    )
        else:
            limit = max_ram_below_4g or I440FX_BELOW_4G
            lowmem = limit
            if ram_size >= limit and self.gigabyte_align:
                lowmem = min(lowmem, I440FX_ALIGNED_BELOW_4G)
                if lowmem % GiB:
                    warnings.append(
                        f"Large machine and max_ram_below_4g ({limit}) not a multiple of 1G; "
                        "possible bad performance."
                    )
        if ram_size >= lowmem:
            return Split(lowmem, ram_size - lowmem), warnings
        return Split(ram_size, 0), warnings

    def plan(self, machine: MachineState) -> MemoryPlan:
        split, _ = self.split(machine.ram_size, _max_ram_below_4g(machine))
        plan = self._plan(machine, split, ABOVE_4G_BASE)
        if self.enforce_amd_1tb_hole and self.cpu.amd and plan.max_used_gpa >= AMD_HT_START:
            plan = self._plan(machine, split, AMD_ABOVE_1TB_START)
        return plan

    def _plan(self, machine: MachineState, split: Split, above_start: int) -> MemoryPlan:
        above_end = above_start + split.above_4g
        device_memory = None
        if self.has_reserved_memory and machine.ram_size < machine.maxram_size:
            size = (machine.maxram_size - machine.ram_size) & MASK64
            if self.enforce_aligned_dimm:
                size = (size + GiB * machine.ram_slots) & MASK64
            device_memory = (_round_up(above_end, GiB), size)
        if self.cpu.phys_bits <= 32:
            # No 64-bit PCI hole: everything the CPU can address counts as used.
            max_used = (1 << self.cpu.phys_bits) - 1
        else:
            hole64_start = above_end
            if device_memory is not None:
                base, size = device_memory
                hole64_start = base if self.broken_reserved_end else (base + size) & MASK64
            max_used = (_round_up(hole64_start, GiB) + self.pci_hole64_size - 1) & MASK64
        return MemoryPlan(split, above_start, device_memory, max_used)

    # -- rules, in the order QEMU checks them ------------------------------------------------

    def rules(self) -> tuple[RamRule, ...]:
        rules: list[RamRule] = [
            Check(
                f"-machine {MAX_RAM_BELOW_4G} above 4 GiB is refused; below 1 MiB it warns",
                test=self._check_max_ram_below_4g,
            ),
            Check(self._split_warning_words(), test=self._warn_split),
            APIC_RULE,
        ]
        if self.checks_phys_bits:
            rules.append(
                Check(
                    f"the top of the 64-bit PCI hole must be addressable with the "
                    f"{self.cpu.name} CPU's {self.cpu.phys_bits} phys-bits",
                    test=self._check_phys_bits,
                )
            )
        if not self.has_reserved_memory:
            rules.append(
                Check("-m slots= and maxmem= are not supported", test=self._check_no_hotplug)
            )
        else:
            rules.append(
                Check(
                    f"with maxmem: at most {MAX_RAM_SLOTS} slots, maxmem a multiple of "
                    f"{PAGE_SIZE} bytes, device memory within the 64-bit address space",
                    test=self._check_device_memory,
                )
            )
        rules.append(BIOS_RULE)
        if self.legacy_fw_cfg_order:
            rules.append(
                Check(
                    "-machine nvdimm=on warns about its ACPI file (the legacy fw_cfg order)",
                    test=_warn_legacy_fw_cfg,
                )
            )
        return tuple(rules)

    def _split_warning_words(self) -> str:
        if self.chipset is Chipset.Q35:
            return (
                "a max-ram-below-4g that lowers the split point, is not a multiple of 1 GiB and "
                "is less than half the RAM size warns"
            )
        if self.gigabyte_align:
            return "a max-ram-below-4g that is not a multiple of 1 GiB warns on large machines"
        return "the split is never realigned, so max-ram-below-4g never warns about alignment"

    def _check_max_ram_below_4g(self, machine: MachineState) -> MachineError | None:
        value = machine.properties.get(MAX_RAM_BELOW_4G)
        if value is None:
            return None
        if value > FOUR_GIB:
            return MachineError(
                f"Machine option '{MAX_RAM_BELOW_4G}={value}' expects size less than or equal to 4G"
            )
        if value < MiB:
            machine.warn(
                f"Only {value} bytes of RAM below the 4GiB boundary,"
                "BIOS may not work with less than 1MiB"
            )
        return None

    def _warn_split(self, machine: MachineState) -> MachineError | None:
        _, warnings = self.split(machine.ram_size, _max_ram_below_4g(machine))
        for text in warnings:
            machine.warn(text)
        return None

    def _check_phys_bits(self, machine: MachineState) -> MachineError | None:
        limit = (1 << self.cpu.phys_bits) - 1
        used = self.plan(machine).max_used_gpa
        if limit < used:
            return MachineError(
                f"Address space limit {limit:#x} < {used:#x} "
                f"phys-bits too low ({self.cpu.phys_bits})"
            )
        return None

    def _check_no_hotplug(self, machine: MachineState) -> MachineError | None:
        if machine.ram_slots or machine.maxram_size > machine.ram_size:
            return MachineError(
                f"\"-memory 'slots|maxmem'\" is not supported by: {machine.board.name}"
            )
        return None

    def _check_device_memory(self, machine: MachineState) -> MachineError | None:
        if machine.ram_size >= machine.maxram_size:
            return None
        if machine.ram_slots > MAX_RAM_SLOTS:
            return MachineError(f"unsupported amount of memory slots: {machine.ram_slots}")
        if machine.maxram_size % PAGE_SIZE:
            return MachineError(
                f"maximum memory size must by aligned to multiple of {PAGE_SIZE} bytes"
            )
        device_memory = self.plan(machine).device_memory
        if device_memory is not None and sum(device_memory) > MASK64:
            return MachineError(f"unsupported amount of maximum memory: {machine.maxram_size:x}")
        return None

    # -- layout ------------------------------------------------------------------------------

    def layout(self, machine: MachineState, facts: BoardFacts) -> None:
        plan = self.plan(machine)
        map_split(machine, plan.split, plan.above_4g_start)
        self.firmware.for_machine(machine).map(machine.system_memory)

    def device_memory(self, machine: MachineState) -> DeviceMemory:
        """The ``memory_devices`` declaration: the area after RAM and the PC's rules."""
        if not self.has_reserved_memory:
            return DeviceMemory(drivers=(), refusals=dict.fromkeys(DIMM_DRIVERS, NO_MEMORY_HOTPLUG))
        base, size = self.plan(machine).device_memory or (0, 0)
        # Without ACPI the guest could not be told about DIMMs; PCI memory devices still go.
        refusals = dict.fromkeys(DIMM_DRIVERS, NO_MEMORY_HOTPLUG) if acpi_off(machine) else {}
        hotplug_refusals = {}
        if self.chipset is Chipset.Q35:
            # Without a PCIe root port a PCI device cannot be hot-plugged.
            text = "Bus 'pcie.0' does not support hotplugging"
            hotplug_refusals = dict.fromkeys(PCI_DRIVERS, text)
            bus, devices = "pcie.0", dict(Q35_PCI_DEVICES)
        else:
            bus, devices = "pci.0", dict(I440FX_PCI_DEVICES)
            if acpi_off(machine):
                del devices[PIIX4_PM]  # the ACPI device is not created
        return DeviceMemory(
            base=base,
            size=size,
            drivers=(*DIMM_DRIVERS, *PCI_DRIVERS),
            refusals=refusals,
            legacy_align=None if self.enforce_aligned_dimm else PAGE_SIZE,
            nvdimm=bool(machine.properties.get(NVDIMM, False)),
            hotplug_refusals=hotplug_refusals,
            pci_bus=bus,
            pci_devices=devices,
        )

    # -- words -------------------------------------------------------------------------------

    def notes(self) -> tuple[str, ...]:
        if self.chipset is Chipset.Q35:
            split = (
                "below 2816 MiB all RAM sits below 4 GiB; from 2816 MiB the first 2 GiB stay "
                "below 4 GiB and the rest goes to 4 GiB; max-ram-below-4g (default 4 GiB) "
                "lowers the split point"
            )
        elif self.gigabyte_align:
            split = (
                "below 3.5 GiB (max-ram-below-4g) all RAM sits below 4 GiB; from 3.5 GiB the "
                "first 3 GiB (or max-ram-below-4g, if lower) stay below 4 GiB and the rest "
                "goes to 4 GiB"
            )
        else:
            split = (
                "RAM up to 3.5 GiB (max-ram-below-4g) sits below 4 GiB; from that size on "
                "the rest goes to 4 GiB (this machine type never realigns the split to 1 GiB)"
            )
        notes = [
            "main RAM is mapped as two aliases: 'ram-below-4g' at 0 and 'ram-above-4g' "
            "at 4 GiB; " + split,
            self.firmware.words(),
        ]
        if self.enforce_amd_1tb_hole:
            notes.append(
                "with the default (AMD) CPU, 'ram-above-4g' moves to 1 TiB when the layout "
                "would reach the HyperTransport hole at 0xfd00000000"
            )
        if self.has_reserved_memory:
            per_slot = " plus 1 GiB per slot" if self.enforce_aligned_dimm else ""
            notes.append(
                "with maxmem above the RAM size, a 'device-memory' area of maxmem - RAM"
                f"{per_slot} follows the RAM above 4 GiB (1 GiB aligned); pc-dimm, nvdimm "
                "(with -machine nvdimm=on), virtio-mem-pci and virtio-pmem-pci devices go "
                "there (DIMMs not with -machine acpi=off); without devices it is an empty "
                "container, in the tree and not in the flat view, as in QEMU"
            )
        if self.checks_phys_bits:
            notes.append(
                f"the layout's top is the end of the 64-bit PCI hole "
                f"({self.pci_hole64_size // GiB} GiB after the RAM"
                + ("" if self.broken_reserved_end else " and device memory")
                + ", 1 GiB aligned)"
            )
        notes.append("device windows (APIC, HPET, IOAPIC, PCI BARs) are not modelled")
        return tuple(notes)


def _warn_legacy_fw_cfg(machine: MachineState) -> MachineError | None:
    if machine.properties.get(NVDIMM, False):
        machine.warn(LEGACY_FW_CFG_WARNING)
    return None


def _max_ram_below_4g(machine: MachineState) -> int:
    value = machine.properties.get(MAX_RAM_BELOW_4G, 0)
    return int(value) if value <= FOUR_GIB else 0


def map_split(machine: MachineState, split: Split, above_start: int) -> None:
    """Map main RAM as ``ram-below-4g`` at 0 and ``ram-above-4g`` at ``above_start``."""
    ram = machine.ram
    if ram is None:
        return
    if split.below_4g:
        machine.map_ram(0, MemoryRegion.alias("ram-below-4g", ram, 0, split.below_4g))
    if split.above_4g:
        machine.map_ram(
            above_start,
            MemoryRegion.alias("ram-above-4g", ram, split.below_4g, split.above_4g),
        )
