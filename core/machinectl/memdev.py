"""Memory devices: DIMMs, NVDIMMs, virtio-mem and virtio-pmem on host memory backends.

A memory device takes a ``-object memory-backend-*`` (its ``memdev``) and puts that backend's
host memory into the guest, inside the board's *device memory* area: the window of
``maxmem - RAM`` (plus per-slot room on some boards) that ``-m slots=,maxmem=`` reserves.

Boards declare their area and rules with the ``memory_devices`` hook (:class:`DeviceMemory`).
Placement follows QEMU 7.2's ``memory_device_pre_plug``: an ``addr``/``memaddr`` hint is
checked, otherwise the device goes to the lowest address, in the area, aligned to the backend's
alignment, that no plugged device overlaps (first fit, in address order). DIMMs also take a
slot, the lowest free one unless ``slot=`` asks.

Checks and their messages are QEMU 7.2's, in its order: the board's hotplug handler first
(slots, alignment, space, address), then the device's own realize (busy memdev, NUMA node,
virtio-mem sizes).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from ._record import TYPE_CHECKING

if TYPE_CHECKING:
    import attrs
else:
    from . import _record as attrs

from .errors import MachineError
from .memory import MemoryRegion
from .options import keyval_size, keyval_uint, parse_bool, parse_enum

if TYPE_CHECKING:
    from typing import Any

    from .hostmem import HostMemoryBackend
    from .state import MachineState

from .units import MiB

U64 = 1 << 64
#: Alignment of anonymous RAM blocks (QEMU_VMALLOC_ALIGN on x86-64 and aarch64 hosts).
ANON_ALIGN = 2 * MiB
#: The transparent huge page size virtio-mem's default block size follows.
THP_SIZE = 2 * MiB
HOST_PAGE = os.sysconf("SC_PAGE_SIZE")
#: The smallest label area an NVDIMM may have.
MIN_LABEL_SIZE = 128 << 10
UUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
#: The smallest virtio-mem block.
MIN_BLOCK_SIZE = 1 * MiB

PC_DIMM = "pc-dimm"
NVDIMM = "nvdimm"
SPAPR_NVDIMM = "spapr-nvdimm"
VIRTIO_MEM = "virtio-mem-pci"
VIRTIO_PMEM = "virtio-pmem-pci"
DIMMS = frozenset({PC_DIMM, NVDIMM, SPAPR_NVDIMM})
NVDIMMS = frozenset({NVDIMM, SPAPR_NVDIMM})

#: The memory devices each QEMU 7.2 binary offers (``-device help``); for a target not listed
#: the board's own declaration decides.
TARGET_DEVICES: Mapping[str, frozenset[str]] = {
    "x86_64": frozenset({PC_DIMM, NVDIMM, VIRTIO_MEM, VIRTIO_PMEM}),
    "i386": frozenset({PC_DIMM, NVDIMM, VIRTIO_MEM, VIRTIO_PMEM}),
    "aarch64": frozenset({PC_DIMM, NVDIMM, VIRTIO_MEM}),
    "arm": frozenset({PC_DIMM, NVDIMM, VIRTIO_MEM}),
    "ppc64": frozenset({PC_DIMM, NVDIMM, SPAPR_NVDIMM}),
    "ppc": frozenset(),
    "loongarch64": frozenset({PC_DIMM, NVDIMM}),
}

#: Each driver's properties (name -> kind), as ``-device DRIVER,help`` lists them.
_COMMON = {"memdev": "str", "node": "u32", "size": "readonly"}
DRIVER_PROPERTIES: Mapping[str, Mapping[str, str]] = {
    PC_DIMM: {"addr": "u64", "slot": "i32", **_COMMON},
    NVDIMM: {
        "addr": "u64",
        "slot": "i32",
        "label-size": "size",
        "unarmed": "bool",
        "uuid": "uuid",
        **_COMMON,
    },
    SPAPR_NVDIMM: {
        "addr": "u64",
        "slot": "i32",
        "label-size": "size",
        "pmem-override": "bool",
        "unarmed": "bool",
        "uuid": "uuid",
        **_COMMON,
    },
    VIRTIO_MEM: {
        "memaddr": "u64",
        "requested-size": "size",
        "block-size": "size",
        "prealloc": "bool",
        "unplugged-inaccessible": "onoffauto",
        "size": "readonly",
        "bus": "bus",
        "addr": "devfn",
        **_COMMON,
    },
    VIRTIO_PMEM: {
        "memaddr": "u64",
        "memdev": "str",
        "size": "readonly",
        "bus": "bus",
        "addr": "devfn",
    },
}
#: A PCI slot and function as QEMU's ``addr`` property of PCI devices takes it (``06.0``).
#: The PCI memory devices (they take a slot of a PCI bus).
PCI_DRIVERS = frozenset({"virtio-mem-pci", "virtio-pmem-pci"})
_U32 = 0xFFFFFFFF
_U64 = (1 << 64) - 1


def _scan_hex(text: str, pos: int) -> tuple[int, int] | None:
    """C's ``sscanf("%x")`` into an ``unsigned int`` at ``pos``: the value and where the
    reading stopped; None when nothing was converted. Blanks and a sign may lead, ``0x``
    may prefix; past 2**64 the value is ULONG_MAX, and it is cut to 32 bits."""
    while pos < len(text) and text[pos] in " \t\n\v\f\r":
        pos += 1
    negative = False
    if pos < len(text) and text[pos] in "+-":
        negative, pos = text[pos] == "-", pos + 1
    start = pos
    if text[pos : pos + 2] in ("0x", "0X"):
        pos += 2
    digits = pos
    while pos < len(text) and text[pos] in "0123456789abcdefABCDEF":
        pos += 1
    if pos == digits:
        if digits == start:
            return None
        return 0, digits  # "0x" alone: the 0, and the x taken with it
    value = int(text[digits:pos], 16)
    value = _U64 if value > _U64 else value
    if negative:
        value = -value & _U64
    return value & _U32, pos


def parse_devfn(text: str) -> int | None:
    """A PCI ``addr`` (``SLOT[.FUNCTION]``, hexadecimal) as QEMU reads it: ``slot << 3 |
    function``, or None when QEMU refuses the value."""
    slot = _scan_hex(text, 0)
    if slot is None:
        return None
    value, pos = slot
    function = 0
    if text[pos : pos + 1] == ".":
        second = _scan_hex(text, pos + 1)
        if second is not None:
            function, pos = second
    if pos != len(text) or function & ~7 or value & ~0x1F:
        return None
    return value << 3 | function


def _frozen(drivers: Iterable[str]) -> frozenset[str]:
    return frozenset(drivers)


@attrs.frozen
class DeviceMemory:
    """A board's memory-device support, as its ``memory_devices`` hook declares it.

    ``base`` and ``size`` give the device-memory area (``size`` 0: ``maxmem`` leaves none).
    ``drivers`` are the memory devices the board's hotplug handler takes; ``refusals`` maps a
    driver to the text the handler refuses it with (for example arm ``virt`` without the
    ACPI GED). ``legacy_align`` replaces the backend alignment of DIMMs on old PC machine
    types; ``size_step`` (with ``size_step_error``) is a size every DIMM must be a multiple of
    (pseries' 256 MiB LMBs). ``nvdimm`` says whether NVDIMMs are enabled (``-machine
    nvdimm=on`` on PCs, always on pseries); ``nvdimm_label_error`` is the text for an NVDIMM
    without ``label-size`` where the platform requires one (PAPR).
    """

    #: Guest-physical base of the device-memory area.
    base: int = 0
    #: Size of the area in bytes (0: ``maxmem`` leaves none).
    size: int = 0
    #: The memory-device drivers the board's hotplug handler takes.
    drivers: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen)
    #: Driver -> the text the board refuses it with.
    refusals: Mapping[str, str] = attrs.field(factory=dict)
    #: The alignment of DIMMs on old PC machine types, instead of the backend's page size.
    legacy_align: int | None = None
    #: A size every DIMM must be a multiple of (pseries' 256 MiB LMBs); 0: none.
    size_step: int = 0
    #: The text for a DIMM whose size is not a multiple of :attr:`size_step`.
    size_step_error: str = ""
    #: Whether NVDIMMs are enabled (``-machine nvdimm=on`` on PCs, always on pseries).
    nvdimm: bool = False
    #: The text for an NVDIMM where they are not enabled.
    nvdimm_disabled_error: str = "nvdimm is not enabled: missing 'nvdimm' in '-M'"
    #: The text for an NVDIMM without ``label-size`` where one is required (PAPR).
    nvdimm_label_error: str | None = None
    #: With ``nvdimm_label_error``: the text for persistent memory (the backend less its
    #: label) that is not a multiple of ``size_step``; such NVDIMMs also need a ``uuid``.
    nvdimm_size_error: str = ""
    #: Drivers the board takes on its command line but not as a hot-plug, with the text
    #: (q35's PCIe root bus: ``Bus 'pcie.0' does not support hotplugging``).
    hotplug_refusals: Mapping[str, str] = attrs.field(factory=dict)
    #: The board's PCI root bus (``pci.0``, ``pcie.0``), where PCI memory devices go unless
    #: given another ``bus``; None: slots are not checked.
    pci_bus: str | None = None
    #: The devices the board puts on that bus itself (with ``-nodefaults``): ``slot << 3 |
    #: function`` -> (QEMU's type name, whether it is multi-function). Other devices take the
    #: free slots, as in QEMU.
    pci_devices: Mapping[int, tuple[str, bool]] = attrs.field(factory=dict)

    @property
    def enabled(self) -> bool:
        """Whether the board has a device-memory area at all."""
        return self.size > 0


@attrs.frozen
class DeviceOption:
    """One ``-device DRIVER,...`` (or ``device_add``) as written."""

    driver: str
    props: tuple[tuple[str, str], ...]
    text: str

    @property
    def location(self) -> str:
        return f"-device {self.text}"

    @property
    def id(self) -> str | None:
        return next((v for k, v in reversed(self.props) if k == "id"), None)


@attrs.define(eq=False)
class MemoryDevice:
    """A memory device of a machine: where it sits and which backend holds its memory."""

    #: The device's driver (``pc-dimm``, ``nvdimm``, ``virtio-mem-pci`` ...).
    driver: str
    #: The device's id (None when it was given none).
    id: str | None
    #: The host memory backend that holds the device's memory.
    backend: HostMemoryBackend
    #: Guest-physical address (0 when the board has no hotplug handler: never mapped).
    addr: int
    #: Size of the guest region (an NVDIMM's excludes its label area).
    size: int
    #: The guest NUMA node.
    node: int = 0
    #: DIMM slot; -1 when the board has no handler; None for virtio devices.
    slot: int | None = None
    #: Whether the device was added at run time (``device_add``).
    hotplugged: bool = False
    #: Whether the device is mapped in the guest address space.
    placed: bool = True
    #: An NVDIMM's label area in bytes (at the end of its backend).
    label_size: int = 0
    #: An NVDIMM's ``uuid`` (lower case; all zeros when not given).
    uuid: str = "00000000-0000-0000-0000-000000000000"
    #: An NVDIMM's ``unarmed`` (its memory may not be written persistently).
    unarmed: bool = False
    #: virtio-mem: the size of a block the guest plugs or unplugs.
    block_size: int = 0
    #: virtio-mem: the size the host asks the guest to plug.
    requested_size: int = 0
    #: virtio-mem: which blocks the guest plugged.
    blocks: bytearray = attrs.field(factory=bytearray)
    #: The device's region in the guest address space (None until mapped).
    region: MemoryRegion | None = None
    #: A PCI device's slot and function on the board's root bus (``slot << 3 | function``;
    #: None for DIMMs and for a device on another bus).
    devfn: int | None = None

    @property
    def is_dimm(self) -> bool:
        """Whether the device is a DIMM (``pc-dimm`` or ``nvdimm``)."""
        return self.driver in DIMMS

    @property
    def plugged_size(self) -> int:
        """What counts in ``plugged-memory``: a virtio-mem device's plugged blocks."""
        if self.driver == VIRTIO_MEM:
            return sum(self.blocks) * self.block_size
        return self.size

    def query(self) -> dict[str, Any]:
        """The device as ``query-memory-devices`` reports it."""
        memdev = f"/objects/{self.backend.id}"
        data: dict[str, Any]
        if self.is_dimm:
            kind = "dimm" if self.driver == PC_DIMM else "nvdimm"
            data = {
                "memdev": memdev,
                "hotplugged": self.hotplugged,
                "addr": self.addr,
                "hotpluggable": True,
                "size": self.size,
                "slot": self.slot,
                "node": self.node,
            }
        elif self.driver == VIRTIO_MEM:
            kind = "virtio-mem"
            data = {
                "memdev": memdev,
                "memaddr": self.addr,
                "block-size": self.block_size,
                "size": self.plugged_size,
                "node": self.node,
                "max-size": self.size,
                "requested-size": self.requested_size,
            }
        else:
            kind = "virtio-pmem"
            data = {"memdev": memdev, "memaddr": self.addr, "size": self.size}
        if self.id is not None:
            data["id"] = self.id
        return {"type": kind, "data": data}

    def info_text(self) -> str:
        """The device as ``info memory-devices`` prints it (QEMU's order and number bases)."""
        item = self.query()
        kind, data = item["type"], item["data"]
        keys: tuple[str, ...]
        if kind in ("dimm", "nvdimm"):
            keys = ("addr", "slot", "node", "size", "memdev", "hotplugged", "hotpluggable")
        elif kind == "virtio-mem":
            keys = ("memaddr", "node", "requested-size", "size", "max-size", "block-size", "memdev")
        else:
            keys = ("memaddr", "size", "memdev")
        lines = [f'Memory device [{kind}]: "{data.get("id", "")}"']
        for key in keys:
            value = data[key]
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif key in ("addr", "memaddr"):
                text = f"{value:#x}"
            else:
                text = str(value)
            lines.append(f"  {key}: {text}")
        return "\n".join(lines) + "\n"


def region_alignment(backend: HostMemoryBackend) -> int:
    """QEMU's ``memory_region_get_alignment`` of a backend's RAM, known before it is mapped."""
    page = backend_page_size(backend)
    qom_type = backend.qom_type
    if qom_type == "memory-backend-ram":
        return max(ANON_ALIGN, page)
    align = int(getattr(backend, "align", 0) or 0)
    return max(page, align)


def backend_page_size(backend: HostMemoryBackend) -> int:
    """The host page size behind a backend (a huge page size for hugetlb memory)."""
    if getattr(backend, "hugetlb", False):
        size = int(getattr(backend, "hugetlbsize", 0) or 0)
        return size or _default_huge_page()
    path = getattr(backend, "mem_path", "")
    if path:
        probe = path if os.path.exists(path) else os.path.dirname(path) or "."
        try:
            return max(HOST_PAGE, os.statvfs(probe).f_bsize)
        except OSError:
            return HOST_PAGE
    return HOST_PAGE


def _default_huge_page() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("Hugepagesize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return THP_SIZE


# -- parsing ---------------------------------------------------------------------------------


def _typed(key: str, kind: str, text: str) -> Any:
    """A property value as ``-device`` parses it (QEMU's keyval visitor and its words)."""
    if kind == "size":
        return keyval_size(key, text)
    if kind == "bool":
        return parse_bool(key, text)
    if kind in ("u64", "u32"):
        value = keyval_uint(key, text)
        if kind == "u32" and value >= 1 << 32:
            raise MachineError(f"Parameter '{key}' expects uint32_t")
        return value
    if kind == "onoffauto":
        return parse_enum(key, text, ("on", "off", "auto"))
    if kind == "i32":
        try:
            value = int(text, 0)
        except ValueError:
            raise MachineError(f"Parameter '{key}' expects integer") from None
        if not -(1 << 31) <= value < (1 << 31):
            raise MachineError(f"Parameter '{key}' expects int32_t")
        return value
    return text


def device_properties(option: DeviceOption) -> dict[str, Any]:
    """The typed properties of a memory device option (``id`` and ``driver`` excluded)."""
    kinds = DRIVER_PROPERTIES[option.driver]
    values: dict[str, Any] = {}
    for key, text in option.props:
        if key in ("id", "driver"):
            continue
        kind = kinds.get(key)
        if kind is None and key == "bus":
            # A DIMM sits on no bus; naming one is QEMU's error.
            if text in ("pci.0", "pcie.0"):
                raise MachineError(f"Device '{option.driver}' can't go on PCI bus")
            raise MachineError(f"Bus '{text}' not found")
        if kind is None:
            raise MachineError(f"Property '{option.driver}.{key}' not found")
        if kind == "bus":
            values[key] = text  # the PCI topology is not modelled: any bus is taken
            continue
        if kind == "devfn":
            devfn = parse_devfn(text)
            if devfn is None:
                raise MachineError(f"Property '{option.driver}.{key}' doesn't take value '{text}'")
            values[key] = devfn
            continue
        if kind == "readonly":
            raise MachineError(f"Property '{option.driver}.{key}' is not writable")
        if kind == "uuid":
            if not UUID.fullmatch(text):
                raise MachineError(f"Property '{option.driver}.{key}' has invalid value")
            values[key] = text
            continue
        values[key] = _typed(key, kind, text)
        if key == "label-size" and values[key] < MIN_LABEL_SIZE:
            raise MachineError(
                f"Property '{option.driver}.label-size' ({values[key]:#x}) is required at least "
                f"{MIN_LABEL_SIZE:#x}"
            )
        if key == "block-size":
            _check_block_size(values[key])
    return values


def _check_block_size(size: int) -> None:
    """virtio-mem's ``block-size`` setter."""
    if size < MIN_BLOCK_SIZE:
        raise MachineError(f"'block-size' property has to be at least {MIN_BLOCK_SIZE:#x}")
    if size & (size - 1):
        raise MachineError("'block-size' property has to be a power of two")


# -- placement -------------------------------------------------------------------------------


@attrs.define
class Placer:
    """QEMU's pre-plug and realize steps for memory devices, against one machine."""

    state: MachineState
    area: DeviceMemory | None
    target: str | None
    backends: Sequence[HostMemoryBackend]
    devices: list[MemoryDevice] = attrs.field(factory=list)
    #: Backends already in use (main RAM, NUMA nodes, other devices).
    busy: set[str] = attrs.field(factory=set)
    #: The machine's other objects of ``/objects`` (thread contexts), which no ``memdev``
    #: may name.
    contexts: Sequence[Any] = attrs.field(factory=list)

    def offered(self) -> frozenset[str]:
        """The drivers the QEMU binary of the machine's target has.

        A target machinectl knows no list for takes what the board declares; without a
        declaration it has none (QEMU 7.2's s390x, riscv, mips ... binaries). A machine of no
        particular target (``none``) may take any.
        """
        if self.target is not None and self.target in TARGET_DEVICES:
            return TARGET_DEVICES[self.target]
        if self.area is not None:
            return self.area.drivers | frozenset(self.area.refusals)
        if self.target is None:
            return frozenset().union(*TARGET_DEVICES.values())
        return frozenset()

    def check_driver(self, driver: str) -> None:
        if driver not in DRIVER_PROPERTIES or driver not in self.offered():
            raise MachineError(f"'{driver}' is not a valid device model name")

    def plug(self, option: DeviceOption, *, hotplugged: bool = False) -> MemoryDevice:
        """Check and place one device; raises :class:`MachineError` with QEMU's text."""
        self.check_driver(option.driver)
        if hotplugged and self.area is None and option.driver in DIMMS:
            # A DIMM sits on no bus: without the machine's hotplug handler it cannot come.
            raise MachineError(f"Device '{option.driver}' can not be hotplugged on this machine")
        # QEMU finds the bus, and refuses one without hotplug, before it sets any property.
        if hotplugged and self.area is not None and option.driver in self.area.hotplug_refusals:
            refusal = self.area.hotplug_refusals[option.driver]
            # The refusal is the root bus's; a device placed on another bus (a root port
            # of the user's) is hot-plugged there.
            bus = next((v for k, v in reversed(option.props) if k == "bus"), None)
            if bus is None or f"'{bus}'" in refusal:
                raise MachineError(refusal)
        device_id = option.id
        if device_id is not None and any(d.id == device_id for d in self.devices):
            # The command line's options refuse the id; at run time, the device tree does.
            if hotplugged:
                raise MachineError(f"Duplicate device ID '{device_id}'")
            raise MachineError(f"Duplicate ID '{device_id}' for device")
        props = device_properties(option)
        handled = self.area is not None and (
            option.driver in self.area.drivers or option.driver in self.area.refusals
        )
        memdev = props.get("memdev")
        # An empty path unsets the link, as in QEMU.
        backend = self._backend(memdev) if memdev else None
        if handled:
            assert self.area is not None
            device = self._pre_plug(option.driver, device_id, props, backend, self.area)
        else:
            if option.driver not in DIMMS:
                raise MachineError(f"No 'PCI' bus found for device '{option.driver}'")
            if backend is None:
                raise MachineError("'memdev' property must be set")
            size = self._nvdimm_size(option.driver, props, backend)
            device = MemoryDevice(
                option.driver, device_id, backend, 0, size, props.get("node", 0), slot=-1
            )
            device.placed = False
            device.label_size = props.get("label-size", 0)
        if option.driver in NVDIMMS:
            device.uuid = str(props.get("uuid", device.uuid)).lower()
            device.unarmed = bool(props.get("unarmed", False))
        if handled and option.driver in PCI_DRIVERS:
            assert self.area is not None
            device.devfn = self._pci_devfn(option.driver, props, self.area, hotplugged)
        self._realize(device, props)
        device.hotplugged = hotplugged
        self.busy.add(device.backend.id)
        self.devices.append(device)
        return device

    def unplug(self, device: MemoryDevice) -> None:
        self.devices.remove(device)
        self.busy.discard(device.backend.id)

    def _pci_devfn(
        self, driver: str, props: Mapping[str, Any], area: DeviceMemory, hotplugged: bool
    ) -> int | None:
        """The slot and function of a PCI device on the root bus, checked as QEMU's PCI core
        registers a device: ``addr``, or the first slot whose function 0 is free."""
        bus = props.get("bus")
        if area.pci_bus is None or (bus is not None and bus != area.pci_bus):
            return None  # the slots of another bus are not modelled
        used = dict(area.pci_devices)
        for other in self.devices:
            if other.devfn is not None:
                used[other.devfn] = (f"{other.driver},id={other.id or '(null)'}", False)
        devfn: int | None = props.get("addr")
        if devfn is None:
            devfn = next((d for d in range(0, 256, 8) if d not in used), None)
            if devfn is None:
                raise MachineError(
                    f"PCI: no slot/function available for {driver}, all in use or reserved"
                )
        elif devfn in used:
            raise MachineError(
                f"PCI: slot {devfn >> 3} function {devfn & 7} not available for {driver}, "
                f"in use by {used[devfn][0]}" + ("" if "," in used[devfn][0] else ",id=(null)")
            )
        slot = devfn >> 3
        first = used.get(slot << 3)
        if hotplugged and devfn & 7 and first is not None:
            raise MachineError(
                f"PCI: slot {slot} function 0 already occupied by {first[0].split(',')[0]}, "
                f"new func {driver} cannot be exposed to guest."
            )
        if devfn & 7:
            if first is not None and not first[1]:
                raise MachineError(
                    f"PCI: single function device can't be populated in function "
                    f"{slot:x}.{devfn & 7:x}"
                )
        else:
            for function in range(1, 8):
                if slot << 3 | function in used:
                    raise MachineError(
                        f"PCI: {slot:x}.0 indicates single function, but {slot:x}.{function:x} "
                        "is already populated."
                    )
        return devfn

    def _backend(self, memdev: str) -> HostMemoryBackend:
        from .hostmem import resolve_backend

        backend = resolve_backend(memdev, self.backends)
        if backend is None:
            if resolve_backend(memdev, self.contexts) is not None:
                raise MachineError("Invalid parameter type for 'memdev', expected: memory-backend")
            raise MachineError(f"Device '{memdev}' not found")
        return backend

    def _nodes(self) -> int:
        numa = self.state.numa
        return len(numa.nodes) if numa is not None else 0

    def _pre_plug(
        self,
        driver: str,
        device_id: str | None,
        props: Mapping[str, Any],
        backend: HostMemoryBackend | None,
        area: DeviceMemory,
    ) -> MemoryDevice:
        refusal = area.refusals.get(driver)
        if refusal is not None:
            raise MachineError(refusal)
        is_dimm = driver in DIMMS
        if driver in NVDIMMS and not area.nvdimm:
            raise MachineError(area.nvdimm_disabled_error)
        if is_dimm and area.size_step:
            if backend is None:
                raise MachineError("'memdev' property must be set")
            if driver in NVDIMMS and area.nvdimm_label_error is not None:
                self._papr_nvdimm(driver, props, backend, area)
            elif backend.size % area.size_step:
                raise MachineError(area.size_step_error)
        slot = None
        if is_dimm:
            slot = self._slot(props.get("slot", -1))
        if backend is None:
            raise MachineError("'memdev' property must be set")
        size = self._nvdimm_size(driver, props, backend)
        align = region_alignment(backend)
        block_size = 0
        if driver == VIRTIO_MEM:
            block_size = props.get("block-size") or max(backend_page_size(backend), THP_SIZE)
            align = max(align, block_size)
        if is_dimm and area.legacy_align is not None:
            align = area.legacy_align
        hint = props.get("addr" if is_dimm else "memaddr") or None
        addr = self._free_addr(area, hint, align, size)
        device = MemoryDevice(driver, device_id, backend, addr, size, props.get("node", 0))
        device.slot = slot
        device.block_size = block_size
        device.label_size = props.get("label-size", 0)
        return device

    def _papr_nvdimm(
        self,
        driver: str,
        props: Mapping[str, Any],
        backend: HostMemoryBackend,
        area: DeviceMemory,
    ) -> None:
        """PAPR's NVDIMM rules: a label, whole LMBs of persistent memory, a uuid (after the
        NVDIMM's own check that its memory holds the label)."""
        self._nvdimm_size(driver, props, backend)
        if "label-size" not in props:
            raise MachineError(str(area.nvdimm_label_error))
        if self._nvdimm_size(driver, props, backend) % area.size_step:
            raise MachineError(area.nvdimm_size_error)
        if "uuid" not in props:
            raise MachineError("NVDIMM device requires the uuid to be set")
        if driver == SPAPR_NVDIMM and backend.qom_type == "memory-backend-ram":
            # QEMU's wording; a memfd backend is taken.
            raise MachineError(
                f"spapr-nvdimm device requires the memdev {backend.id} to be of "
                "memory-backend-file type"
            )

    def _nvdimm_size(
        self, driver: str, props: Mapping[str, Any], backend: HostMemoryBackend
    ) -> int:
        if driver not in NVDIMMS:
            return backend.size
        label = props.get("label-size", 0)  # at least MIN_LABEL_SIZE: device_properties
        align = region_alignment(backend)
        label = int(label)
        pmem = ((backend.size - label) % U64) // align * align
        if backend.size <= label or not pmem:
            raise MachineError(
                f"the size of memdev {backend.id} ({backend.size:#x}) is too small to contain "
                f"nvdimm label ({label:#x}) and aligned PMEM ({align:#x})"
            )
        if getattr(backend, "readonly", False) and not props.get("unarmed", False):
            raise MachineError(
                f"'unarmed' property must be 'on' since memdev {backend.id} is read-only"
            )
        return pmem

    def _slot(self, wanted: int) -> int:
        slots = self.state.ram_slots
        if wanted != -1 and (wanted >= slots or wanted < 0):
            # Checked before the slots exist at all; the top of the range wraps as in C.
            top = (slots - 1) % (1 << 64)
            raise MachineError(f"invalid slot number {wanted}, valid range is [0-{top}]")
        if not slots:
            raise MachineError("no slots where allocated, please specify the 'slots' option")
        used = {d.slot for d in self.devices if d.slot is not None}
        if wanted != -1:
            if wanted in used:
                raise MachineError(f"slot {wanted} is busy")
            return wanted
        for slot in range(slots):
            if slot not in used:
                return slot
        raise MachineError("no free slots available")

    def _free_addr(self, area: DeviceMemory, hint: int | None, align: int, size: int) -> int:
        if not area.enabled:
            raise MachineError(
                "memory devices (e.g. for memory hotplug) are not enabled, please specify the "
                "maxmem option"
            )
        lo, end = area.base, area.base + area.size
        if lo % align:
            self.state.warn(
                f"the alignment ({align:#x}) exceeds the expected maximum alignment, memory "
                "will get fragmented and not all 'maxmem' might be usable for memory devices."
            )
        used = sum(d.size for d in self.devices if d.placed)
        room = self.state.maxram_size - self.state.ram_size
        if used + size > room:
            raise MachineError(
                f"not enough space, currently {used:#x} in use of total space for memory "
                f"devices {room:#x}"
            )
        if hint is not None and hint % align:
            raise MachineError(f"address must be aligned to {align:#x} bytes")
        if size % align:
            raise MachineError(f"backend memory size must be multiple of {align:#x}")
        if hint is not None:
            if hint + size > U64 or hint < lo or hint + size > end:
                raise MachineError(
                    f"can't add memory device [{hint:#x}:{size:#x}], usable range for memory "
                    f"devices [{lo:#x}:{area.size:#x}]"
                )
            start = hint
        else:
            start = -(-lo // align) * align
            if start + size > U64:
                raise MachineError("can't add memory device, device too big")
        placed = sorted((d for d in self.devices if d.placed), key=_address)
        for other in placed:
            if other.addr < start + size and start < other.addr + other.size:
                if hint is not None:
                    raise MachineError(
                        "address range conflicts with memory device "
                        f"id='{other.id if other.id is not None else '(unnamed)'}'"
                    )
                start = -(-(other.addr + other.size) // align) * align
            elif other.addr >= start + size:
                break
        if start < lo or start + size > end:
            raise MachineError(
                "could not find position in guest address space for memory device - memory "
                "fragmented due to alignments"
            )
        return start

    def _realize(self, device: MemoryDevice, props: Mapping[str, Any]) -> None:
        backend = device.backend
        nodes = self._nodes()
        if device.is_dimm:
            if (nodes and device.node >= nodes) or (not nodes and device.node > 0):
                raise MachineError(
                    f"'DIMM property node has value {device.node}' which exceeds the number of "
                    f"numa nodes: {nodes or 1}"
                )
            if backend.id in self.busy:
                raise MachineError(f"can't use already busy memdev: {backend.id}")
            return
        if device.driver == VIRTIO_PMEM:
            if backend.id in self.busy:
                raise MachineError(f"can't use already busy memdev: {backend.id}")
            return
        if backend.id in self.busy:
            raise MachineError(f"'memdev' property specifies a busy memdev: {backend.id}")
        if getattr(backend, "readonly", False):  # QEMU refuses memory it cannot write
            raise MachineError("'memdev' property specifies an unsupported memdev")
        if (nodes and device.node >= nodes) or (not nodes and device.node):
            raise MachineError(
                f"'node' property has value '{device.node}', which exceedsthe number of numa "
                f"nodes: {nodes or 1}"
            )
        page = backend_page_size(backend)
        default_block = max(page, THP_SIZE)
        if device.block_size < page:
            raise MachineError(
                f"'block-size' property has to be at least the page size ({page:#x})"
            )
        if device.block_size < default_block:
            self.state.warn(
                "'block-size' property is smaller than the default block size "
                f"({default_block // MiB} MiB)"
            )
        requested = props.get("requested-size", 0)
        if requested % device.block_size:
            raise MachineError(
                "'requested-size' property has to be multiples of 'block-size' "
                f"({device.block_size:#x})"
            )
        device.requested_size = requested
        device.blocks = bytearray(device.size // device.block_size)


def _address(device: MemoryDevice) -> int:
    return device.addr


def map_devices(state: MachineState, area: DeviceMemory | None) -> MemoryRegion | None:
    """Map the device-memory container (empty) where the board declared it."""
    if area is None or not area.enabled:
        return None
    # An area past the end of the address space (QEMU's arithmetic wraps at 2**64, and its
    # map then says it overflows) is cut at the end.
    size = min(area.size, state.system_memory.size - area.base)
    container = MemoryRegion.container("device-memory", size)
    state.system_memory.add_subregion(area.base, container)
    return container


def device_region(device: MemoryDevice) -> MemoryRegion:
    """The guest region of a device: its backend's RAM, or the PMEM part of an NVDIMM."""
    ram = MemoryRegion.ram(device.backend.region_name, device.backend)
    if device.driver in NVDIMMS:
        alias = MemoryRegion.alias("nvdimm-memory", ram, 0, device.size)
        alias.nonvolatile = True
        return alias
    return ram


def iter_summary(devices: Sequence[MemoryDevice]) -> Iterator[str]:
    """One line per device for the text summary."""
    for device in sorted(devices, key=lambda d: d.addr):
        where = f"at {device.addr:#x}" if device.placed else "not plugged (no hotplug handler)"
        slot = f", slot {device.slot}" if device.slot is not None and device.slot >= 0 else ""
        yield (
            f"{device.driver} '{device.id or ''}' memdev {device.backend.id}, "
            f"{device.size:#x} bytes {where}{slot}, node {device.node}"
        )


@attrs.frozen
class RamChange:
    """A change of the guest's RAM map, as :meth:`Machine.subscribe` reports it.

    ``action`` is ``"add"`` when a device's memory appears in the guest map (a DIMM or a
    virtio device plugged: the whole range shows in :meth:`Machine.ram_ranges`), ``"remove"``
    when it leaves it (the host address stays valid until the callback returns), ``"plug"``
    and ``"unplug"`` when a virtio-mem driver takes or gives back blocks inside a device that
    is already mapped (the range is the blocks).
    """

    #: ``add``, ``remove``, ``plug`` or ``unplug``.
    action: str
    #: Where the range starts in the guest address space.
    guest_address: int
    #: Its size in bytes.
    size: int
    #: The host address of its first byte.
    host_address: int
    #: The id of the backend that holds it.
    memdev: str
    #: The id of the device (None when it has none).
    device: str | None


Listener = Callable[[RamChange], None]
