"""Boards as data: declarations, RAM rules and the one mechanism that turns records into hooks.

Most of QEMU's boards differ only in numbers: default size, RAM id, accepted sizes, base
address. A plugin describes each machine type as a :class:`BoardFacts` record and hands the
records to a :class:`BoardTable`, which implements every board hook from them. Code is only
needed where a board's layout or rule is really its own: pass a ``layout`` function, or a
:class:`Check` rule with a function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from ._record import TYPE_CHECKING

if TYPE_CHECKING:
    import attrs
else:
    from . import _record as attrs

from .errors import MachineError
from .hooks import hookimpl
from .topology import CpuSlots
from .units import MiB, human, size_to_str

if TYPE_CHECKING:
    from typing import Any, Literal

    from .memdev import DeviceMemory
    from .memory import MemoryRegion
    from .state import MachineState

if TYPE_CHECKING:
    #: Types a board may declare for its own ``-machine`` properties (``on-off-auto``: QEMU's
    #: ``OnOffAuto``, one of ``on``, ``off`` and ``auto``).
    PropertyKind = Literal["size", "bool", "int", "str", "on-off-auto"]

#: ``-machine`` properties every NUMA-capable machine type has (QEMU adds them to each machine
#: that can place CPUs on nodes), on top of those the board declares.
NUMA_PROPERTIES: Mapping[str, PropertyKind] = {"hmat": "bool"}

#: QEMU's ``machine_class_init`` default RAM size.
QEMU_DEFAULT_RAM_SIZE = 128 * MiB

#: The target a board declares to belong to every QEMU target (the built-in ``none``).
EVERY_TARGET = "*"

_TARGET_RE = r"(\*|[a-z][a-z0-9_]*)"


def machine_version(text: str) -> tuple[int, ...]:
    """The numbers of a versioned machine type's suffix: ``"2.12-sxxm"`` gives ``(2, 12)``."""
    return tuple(int(part) for part in text.split("-", maxsplit=1)[0].split("."))


@attrs.frozen
class QemuCompat:
    """Facts a versioned machine type takes from QEMU's shared compatibility tables.

    They change at the same release for every architecture: a plugin derives them from the
    version instead of restating the boundaries.
    """

    #: ``-numa node,mem=`` is accepted (machine types up to 5.0).
    numa_mem_supported: bool
    #: File and memfd backends' RAM is named by QOM path (up to 3.1).
    canonical_ramblock_ids: bool
    #: ``-smp N`` means N sockets (up to 6.1).
    smp_prefers_sockets: bool

    @classmethod
    def for_version(cls, version: str | tuple[int, ...]) -> QemuCompat:
        """The facts of a machine-type version (``"2.12"``, ``"5.0-sxxm"`` or ``(2, 12)``)."""
        number = machine_version(version) if isinstance(version, str) else version
        return cls(
            numa_mem_supported=number <= (5, 0),
            canonical_ramblock_ids=number <= (3, 1),
            smp_prefers_sockets=number <= (6, 1),
        )


def _targets_tuple(items: Iterable[str]) -> tuple[str, ...]:
    if isinstance(items, str):
        return (items,)
    return tuple(items)


PROPERTY_KINDS: tuple[str, ...] = ("size", "bool", "int", "str", "on-off-auto")


def _property_dict(items: Mapping[str, PropertyKind]) -> dict[str, PropertyKind]:
    """The board's properties, refused when no ``-machine NAME=VALUE`` could set one: a
    name that is not a string, or is ``type`` (the machine type itself), or a kind the core
    does not check."""
    properties = dict(items)
    for name, kind in properties.items():
        if not isinstance(name, str) or not name or name == "type" or "=" in name:
            raise ValueError(f"BoardSpec.properties: {name!r} cannot be a -machine property")
        if kind not in PROPERTY_KINDS:
            raise ValueError(
                f"BoardSpec.properties: the kind of {name!r} is {kind!r}, not one of "
                + ", ".join(PROPERTY_KINDS)
            )
    return properties


def _any_dict(items: Mapping[str, Any]) -> dict[str, Any]:
    return dict(items)


@attrs.frozen
class BoardSpec:
    """What a plugin declares through ``register_boards``: a machine type's identity.

    The RAM facts (default size, RAM id, rules, layout) are answered by the board hooks.
    """

    #: The machine type's name (``-M NAME``), unique per target.
    name: str = attrs.field(validator=attrs.validators.matches_re(r"[A-Za-z0-9][A-Za-z0-9._,+-]*"))
    #: One line for ``-M help`` and ``list-boards``.
    description: str = ""
    #: A second name that selects this machine type (``pc`` for ``pc-i440fx-7.2``).
    alias: str | None = None
    #: Architecture family shown by ``list-boards`` (``arm``, ``x86`` ...).
    family: str = ""
    #: The QEMU targets (binary suffixes: ``aarch64``, ``arm``, ``riscv64``, ``x86_64`` ...)
    #: whose ``-M help`` lists this machine type; :data:`EVERY_TARGET` (``"*"``) for all of
    #: them. Empty: the single target named by :attr:`family`. Machine-type names are unique
    #: per target, not globally: ``virt`` of ``aarch64`` and ``virt`` of ``riscv64`` are two
    #: boards.
    targets: tuple[str, ...] = attrs.field(
        default=(),
        converter=_targets_tuple,
        validator=attrs.validators.deep_iterable(attrs.validators.matches_re(_TARGET_RE)),
    )
    #: QEMU's machine-class family (``pc_piix``, ``pc_q35`` ...): ``-M help`` lists families
    #: first, by name, each newest first, then the machine types of no family by name.
    machine_family: str | None = None
    #: The targets whose default machine type this is (``(default)`` in ``-M help``).
    default_for: tuple[str, ...] = attrs.field(default=(), converter=_targets_tuple)
    #: Whether ``-numa node`` is accepted at all.
    numa: bool = False
    #: Whether the legacy ``-numa node,mem=`` is accepted (QEMU's ``numa-mem-supported``).
    numa_mem_supported: bool = False
    #: Whether QEMU prints the optional ``plugged-memory`` in ``query-memory-size-summary``.
    memory_devices: bool = False
    #: Board-specific ``-machine`` properties (name -> kind).
    properties: Mapping[str, PropertyKind] = attrs.field(factory=dict, converter=_property_dict)
    #: Machine types kept only for compatibility (QEMU's ``deprecated``).
    deprecated: bool = False
    #: Why, as QEMU says it (``Machine type '...' is deprecated: <reason>`` is warned on use).
    deprecation_reason: str | None = None
    #: RAM of user ``memory-backend-file`` and ``-memfd`` objects is named after the object's
    #: QOM path, ``/objects/ID``, instead of its id: QEMU's compatibility default of
    #: ``x-use-canonical-path-for-ramblock-id`` on machine types up to 3.1. An explicit
    #: ``x-use-canonical-path-for-ramblock-id=`` on the object wins; the automatic main-RAM
    #: backend is always named by its id.
    canonical_ramblock_ids: bool = False
    #: ``-smp N`` means N sockets of one core (QEMU's ``prefer_sockets``: machine types up to
    #: 6.1, and every machine type of QEMU 5.0) rather than N cores of one socket. Without
    #: ``cpus=``, QEMU puts each socket's CPUs on node ``socket % nodes``, so this decides where
    #: the CPUs of a NUMA guest go.
    smp_prefers_sockets: bool = False
    #: Without ``cpus=``, CPU ``i`` goes to node ``i % nodes`` whatever the topology (sbsa-ref)
    #: rather than by socket.
    numa_cpus_by_index: bool = False
    #: The most CPUs ``-smp`` may ask for, ``maxcpus`` included (QEMU's ``max_cpus``, shown
    #: as ``cpu-max`` by ``query-machines``). None: no limit of the board's own, only
    #: machinectl's bound of 4096.
    max_cpus: int | None = None
    #: The fewest CPUs ``-smp`` may ask for (QEMU's ``min_cpus``; 0: no minimum).
    min_cpus: int = 0
    #: The CPUs of a guest without ``-smp`` (QEMU's ``default_cpus``: 4 on sbsa-ref), each
    #: in a socket of its own.
    default_cpus: int = 1
    #: ``-smp dies=`` above 1 is accepted (QEMU's ``smp_props.dies_supported``: pc, q35).
    smp_dies_supported: bool = False
    #: ``-smp clusters=`` above 1 is accepted (``smp_props.clusters_supported``: arm virt).
    smp_clusters_supported: bool = False
    #: The board's possible CPUs and the ids each slot carries (QEMU's
    #: ``possible_cpu_arch_ids``), which ``-numa cpu`` and ``-numa node,cpus=`` place on
    #: nodes. None: the board maps no CPU slots, so ``-numa cpu`` is refused and ``cpus=``
    #: places CPU indexes directly.
    cpu_slots: CpuSlots | None = None
    #: Without ``-numa``, the guest gets one node that holds all RAM (QEMU's
    #: ``auto_enable_numa``: pseries) ...
    auto_numa: bool = False
    #: ... or only when ``-m slots=`` allows memory hotplug (``auto_enable_numa_with_memhp``)
    auto_numa_with_slots: bool = False
    #: ... or when ``-m maxmem=`` exceeds the RAM size (``auto_enable_numa_with_memdev``).
    auto_numa_with_maxmem: bool = False

    @property
    def resolved_targets(self) -> tuple[str, ...]:
        """:attr:`targets`, or the single target named by :attr:`family` when not given."""
        return self.targets or (self.family,)

    @property
    def machine_properties(self) -> dict[str, PropertyKind]:
        """The board's own ``-machine`` properties, with ``hmat`` on NUMA-capable boards."""
        generic = NUMA_PROPERTIES if self.numa else {}
        return {**generic, **self.properties}


@attrs.frozen(eq=False)
class Board:
    """A registered board: the spec and the plugin that provided it.

    Boards compare and hash by identity: each registry makes its own.
    """

    #: What the plugin declared.
    spec: BoardSpec
    #: The name the plugin is registered under (its entry-point name).
    plugin: str
    #: The distribution that installed the plugin (None: registered by a program).
    distribution: str | None = None
    #: That distribution's version.
    version: str | None = None

    @property
    def name(self) -> str:
        """The machine type's name (``-M NAME``)."""
        return self.spec.name

    @property
    def targets(self) -> tuple[str, ...]:
        """The QEMU targets this board belongs to (``("*",)``: every target)."""
        return self.spec.resolved_targets

    def belongs_to(self, target: str) -> bool:
        """Whether ``qemu-system-TARGET`` has this machine type."""
        return target in self.targets or EVERY_TARGET in self.targets

    def answers_to(self, name: str) -> bool:
        """Whether ``-M name`` selects this board (its name or its alias)."""
        return name == self.spec.name or (self.spec.alias is not None and name == self.spec.alias)

    @property
    def qom_type(self) -> str:
        """QEMU's class name for the machine type, used in property error messages."""
        return f"{self.spec.name}-machine"


# -- RAM rules ---------------------------------------------------------------------------------


def _format(template: str, machine: MachineState, value: int | None) -> str:
    return template.format(**_fields(machine.ram_size, value))


def _fields(size: int, value: int | None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "size": size,
        "size_str": size_to_str(size),
        "size_mib": size // MiB,
        "size_hex": f"{size:#x}",
    }
    if value is not None:
        fields |= {
            "value": value,
            "value_str": size_to_str(value),
            "value_mib": value // MiB,
            "value_hex": f"{value:#x}",
        }
    return fields


@attrs.frozen
class RamRule:
    """A check of ``MachineState.ram_size``; ``message`` is a ``str.format`` template.

    Template fields: ``size``, ``size_str`` (QEMU's ``size_to_str``), ``size_mib``,
    ``size_hex`` (the size asked for), and for a rule with a number of its own
    (:class:`FixedSize`, :class:`AtMost`, :class:`AtLeast`, :class:`MultipleOf`) the same
    with ``value``: ``value``, ``value_str``, ``value_mib``, ``value_hex``. :class:`OneOf`
    has no ``value`` fields. A template that names another field is a ``ValueError`` when
    the rule is made, so a plugin with one fails to load instead of failing later.
    """

    #: The error message when the rule refuses (a template, see above).
    message: str
    #: Lines shown after the message (QEMU's hint lines), a template too.
    hint: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        fields = _fields(0, self.value())
        for template in (self.message, self.hint):
            if template is None:
                continue
            try:
                template.format(**fields)
            except (KeyError, IndexError, ValueError, AttributeError) as exc:
                raise ValueError(
                    f"{type(self).__name__} template {template!r}: {type(exc).__name__}: {exc} "
                    f"(its fields: {', '.join(fields)})"
                ) from None

    def accepts(self, machine: MachineState) -> bool:
        """Whether ``machine.ram_size`` passes the rule."""
        raise NotImplementedError

    def words(self) -> str:
        """The rule in words, as ``machinectl describe`` shows it."""
        raise NotImplementedError

    def value(self) -> int | None:
        """The rule's own number (the ``value`` template fields), or None."""
        return None

    def check(self, machine: MachineState) -> MachineError | None:
        """The error to raise for ``machine`` (its message and hint filled in), or None."""
        if self.accepts(machine):
            return None
        hint = _format(self.hint, machine, self.value()) if self.hint else None
        return MachineError(_format(self.message, machine, self.value()), hint=hint)


@attrs.frozen
class FixedSize(RamRule):
    """RAM must be exactly ``size`` bytes."""

    #: The only size accepted, in bytes.
    size: int = attrs.field(kw_only=True, validator=attrs.validators.ge(0))

    def accepts(self, machine: MachineState) -> bool:
        return machine.ram_size == self.size

    def value(self) -> int:
        return self.size

    def words(self) -> str:
        return f"RAM must be exactly {human(self.size)}"


def _int_tuple(items: Iterable[int]) -> tuple[int, ...]:
    return tuple(items)


@attrs.frozen
class OneOf(RamRule):
    """RAM must be one of ``sizes``."""

    #: The sizes accepted, in bytes.
    sizes: tuple[int, ...] = attrs.field(
        kw_only=True, converter=_int_tuple, validator=attrs.validators.min_len(1)
    )

    def accepts(self, machine: MachineState) -> bool:
        return machine.ram_size in self.sizes

    def words(self) -> str:
        return "RAM must be one of " + ", ".join(human(s) for s in self.sizes)


@attrs.frozen
class AtMost(RamRule):
    """RAM must not exceed ``limit`` bytes."""

    #: The largest size accepted, in bytes.
    limit: int = attrs.field(kw_only=True)

    def accepts(self, machine: MachineState) -> bool:
        return machine.ram_size <= self.limit

    def value(self) -> int:
        return self.limit

    def words(self) -> str:
        return f"RAM at most {human(self.limit)}"


@attrs.frozen
class AtLeast(RamRule):
    """RAM must be at least ``limit`` bytes."""

    #: The smallest size accepted, in bytes.
    limit: int = attrs.field(kw_only=True)

    def accepts(self, machine: MachineState) -> bool:
        return machine.ram_size >= self.limit

    def value(self) -> int:
        return self.limit

    def words(self) -> str:
        return f"RAM at least {human(self.limit)}"


@attrs.frozen
class MultipleOf(RamRule):
    """RAM must be a multiple of ``step`` bytes."""

    #: The step, in bytes.
    step: int = attrs.field(kw_only=True, validator=attrs.validators.gt(0))

    def accepts(self, machine: MachineState) -> bool:
        return machine.ram_size % self.step == 0

    def value(self) -> int:
        return self.step

    def words(self) -> str:
        return f"RAM a multiple of {human(self.step)}"


@attrs.frozen
class Check(RamRule):
    """A board's own rule: ``test(machine)`` returns an error, or None to accept.

    ``message`` is then only the words ``describe`` shows.
    """

    #: The rule: returns the error to raise, or None to accept.
    test: Callable[[MachineState], MachineError | None] = attrs.field(kw_only=True)

    def __attrs_post_init__(self) -> None:
        pass  # the message is plain words, not a template

    def accepts(self, machine: MachineState) -> bool:
        return self.test(machine) is None

    def check(self, machine: MachineState) -> MachineError | None:
        return self.test(machine)

    def words(self) -> str:
        return self.message


class RuleResultError(TypeError):
    """A rule of a record returned something else than an error or None (a plugin bug, which
    the registry reports naming the rule and the plugin)."""

    def __init__(self, what: str, value: object):
        super().__init__(f"{what} returned {value!r}, expected a MachineError or None")
        self.what, self.value = what, value


# -- board records and the mechanism that serves them -----------------------------------------

#: A board's layout function: ``layout(machine, facts)`` maps main RAM (``machine.ram``), or
#: aliases of it, into ``machine.system_memory`` during ``init_board``; the board's windows
#: are mapped after it. :func:`map_at_base` is the common one.
Layout = Callable[["MachineState", "BoardFacts"], None]

if TYPE_CHECKING:
    #: The kinds of region a :class:`Window` can be: ``ram`` (on-chip SRAM, VRAM: memory that is
    #: not main RAM), ``rom`` (firmware), ``romd`` (flash read like ROM, written through its
    #: device), ``io`` (device registers, holes, fillers) and ``container`` (a block that only
    #: groups the regions inside it: what lies below shows through its gaps).
    WindowKind = Literal["ram", "rom", "romd", "io", "container"]

WINDOW_KINDS: tuple[WindowKind, ...] = ("ram", "rom", "romd", "io", "container")


def _parts_tuple(items: Iterable[Window]) -> tuple[Window, ...]:
    return tuple(items)


@attrs.frozen
class Window:
    """A device or firmware region of a board's address map, placed over main RAM.

    The core maps a board's windows (:attr:`BoardFacts.windows`) after the board's layout has
    placed RAM, in their order: ``size`` bytes at guest-physical ``base``, an ``io`` region
    (device registers, a hole, a filler), a ``rom`` (firmware), a ``romd`` (flash) or a
    ``ram`` (on-chip SRAM or video RAM, memory of its own that is not main RAM), with
    ``priority``. The maps show each with QEMU's type (``i/o``, ``rom``, ``romd``, ``ram``).
    As in QEMU, the higher priority wins where regions overlap, and at equal priority the
    region mapped later, so a window hides the RAM below it. A window that RAM never reaches
    changes nothing the guest sees of RAM.

    A window can hold ``parts``: the regions inside it (QEMU's subregions, the devices of a
    peripheral block), each placed at its ``base`` relative to the window, with its priority
    among its siblings. A ``container`` window has no contents of its own, so RAM below it
    shows wherever no part covers it, as in QEMU's flat view; an ``io`` window with parts
    hides RAM in its gaps too.
    """

    #: The region's name, as the maps show it.
    name: str
    #: Its guest-physical address.
    base: int = attrs.field(validator=attrs.validators.ge(0))
    #: Its size in bytes.
    size: int = attrs.field(validator=attrs.validators.gt(0))
    #: ``io``, ``rom``, ``romd``, ``ram`` or ``container`` (see :data:`WindowKind`).
    kind: WindowKind = attrs.field(default="io", validator=attrs.validators.in_(WINDOW_KINDS))
    #: Where regions overlap, the higher priority shows.
    priority: int = 0
    #: The regions inside the window (the devices of a block), each placed relative to it;
    #: RAM below a ``container`` window shows wherever no part covers it.
    parts: tuple[Window, ...] = attrs.field(default=(), converter=_parts_tuple, kw_only=True)

    def region(self) -> MemoryRegion:
        """A new, unmapped region for this window, with its parts mapped inside it."""
        from .memory import Kind, MemoryRegion

        if self.kind == "container":
            region = MemoryRegion.container(self.name, self.size)
        else:
            kind = {"ram": Kind.RAM, "rom": Kind.ROM, "romd": Kind.ROMD, "io": Kind.IO}
            region = MemoryRegion.window(self.name, self.size, kind[self.kind])
        for part in self.parts:
            region.add_subregion(part.base, part.region(), part.priority)
        return region

    def words(self) -> str:
        """The window in one line, for ``describe``."""
        text = f"{self.kind} window '{self.name}' at {self.base:#x}, {human(self.size)}"
        if self.priority:
            text += f", priority {self.priority}"
        if self.parts:
            text += f", {len(self.parts)} regions inside"
        return text


def map_at_base(machine: MachineState, facts: BoardFacts) -> None:
    """The common layout: all of main RAM at the board's RAM base, with its RAM priority.

    A board without a default RAM id maps nothing: QEMU takes no RAM from a backend for it, and
    a backend named by ``-machine memory-backend=`` stays unmapped.
    """
    if facts.default_ram_id is None:
        return
    machine.map_ram(facts.ram_base, priority=facts.ram_priority)


def place_windows(machine: MachineState, windows: Iterable[Window]) -> None:
    """Map ``windows`` into the system address space, in order (after RAM)."""
    for window in windows:
        machine.system_memory.add_subregion(window.base, window.region(), window.priority)


def with_windows(
    records: Iterable[BoardFacts], windows: Mapping[str, Sequence[Window]]
) -> tuple[BoardFacts, ...]:
    """The records, each with the windows ``windows`` names for its machine type added after
    its own (a board's memory recorded from QEMU: on-chip SRAM, ROM, flash, video RAM), less
    those whose names the record's windows already have."""
    out = []
    for facts in records:
        placed = {window.name for window in facts.windows}
        more = tuple(w for w in windows.get(facts.name, ()) if w.name not in placed)
        out.append(attrs.evolve(facts, windows=(*facts.windows, *more)) if more else facts)
    return tuple(out)


def with_cpus(
    records: Iterable[BoardFacts], cpus: Mapping[str, tuple[int, int, int]]
) -> tuple[BoardFacts, ...]:
    """The records, each whose machine type ``cpus`` names given the CPU counts there:
    ``(min_cpus, max_cpus, default_cpus)`` (the :class:`BoardSpec` fields), as recorded from
    QEMU (``tools/record_qemu_cpus.py``)."""
    out = []
    for facts in records:
        counts = cpus.get(facts.name)
        if counts is None:
            out.append(facts)
            continue
        low, high, default = counts
        spec = attrs.evolve(facts.spec, min_cpus=low, max_cpus=high, default_cpus=default)
        out.append(attrs.evolve(facts, spec=spec))
    return tuple(out)


def _str_tuple(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(items)


def _rule_tuple(items: Iterable[RamRule]) -> tuple[RamRule, ...]:
    return tuple(items)


def _window_tuple(items: Iterable[Window]) -> tuple[Window, ...]:
    return tuple(items)


@attrs.frozen
class BoardFacts:
    """Everything the core needs to know about one machine type, as data."""

    #: The machine type's identity (name, alias, targets, NUMA support ...).
    spec: BoardSpec
    #: Main RAM without ``-m``, in bytes (QEMU's ``default_ram_size``).
    default_ram_size: int
    #: The id of the automatic main-RAM backend; None means the board ignores ``-m``.
    default_ram_id: str | None
    #: Where :func:`map_at_base` maps main RAM.
    ram_base: int = 0
    #: The board's checks of the RAM size, in order; the first that refuses is reported.
    rules: tuple[RamRule, ...] = attrs.field(default=(), converter=_rule_tuple)
    #: Places main RAM (and anything else that depends on its size) in the address space.
    layout: Layout = map_at_base
    #: Device and firmware windows the core maps after ``layout`` ran; see :class:`Window`.
    windows: tuple[Window, ...] = attrs.field(default=(), converter=_window_tuple)
    #: The priority :func:`map_at_base` maps RAM with: below 0, RAM yields to every other
    #: region it overlaps, whatever their order (hppa).
    ram_priority: int = 0
    #: QEMU's ``fixup_ram_size``: ``fixup(machine, size)`` returns the size to use.
    fixup: Callable[[MachineState, int], int] | None = None
    #: Extra lines for ``describe`` (layout in words, quirks).
    notes: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    #: Board-specific data the layout or rules need (SoC limits, split points ...).
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_any_dict)
    #: The ``memory_devices`` hook: ``device_memory(machine)`` returns the board's
    #: :class:`machinectl.DeviceMemory` (None: no memory hotplug handler).
    device_memory: Callable[[MachineState], DeviceMemory | None] | None = None

    @property
    def name(self) -> str:
        """The machine type's name (``spec.name``)."""
        return self.spec.name


def _cpu_words(spec: BoardSpec) -> list[str]:
    """The board's CPU facts in words, for ``describe`` (none for a board that declares none)."""
    if spec.max_cpus is None and spec.cpu_slots is None:
        return []
    levels = [
        name
        for name, has in (
            ("dies", spec.smp_dies_supported),
            ("clusters", spec.smp_clusters_supported),
        )
        if has
    ]
    text = f"at most {spec.max_cpus} CPUs, maxcpus included" if spec.max_cpus else "CPUs"
    if spec.default_cpus != 1:
        text += f"; {spec.default_cpus} without -smp"
    if levels:
        text += "; -smp " + " and ".join(levels) + " accepted"
    lines = [text]
    if spec.cpu_slots is not None:
        lines.append(spec.cpu_slots.words())
    return lines


def _share_a_target(a: BoardSpec, b: BoardSpec) -> bool:
    ta, tb = set(a.resolved_targets), set(b.resolved_targets)
    return bool(ta & tb) or EVERY_TARGET in ta | tb


class BoardTable:
    """A plugin object that serves a table of :class:`BoardFacts` through the board hooks.

    Register an instance with the plugin manager (a family plugin exposes one as its entry
    point). It answers only for boards it declared and defers (returns None) for the rest.
    """

    def __init__(self, records: Iterable[BoardFacts]):
        self._records: list[BoardFacts] = []
        # Names are unique per target: one table may declare virt for riscv32 and riscv64.
        self._by_name: dict[str, list[BoardFacts]] = {}
        for facts in records:
            same = self._by_name.setdefault(facts.name, [])
            if any(_share_a_target(facts.spec, other.spec) for other in same):
                raise MachineError(f"machine type '{facts.name}' is declared twice")
            same.append(facts)
            self._records.append(facts)

    def __iter__(self) -> Iterator[BoardFacts]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def facts(self, name: str, target: str | None = None) -> BoardFacts | None:
        """The record of machine type ``name``: the one of ``target`` when given, else the
        first declared under that name; None when the table has none."""
        for facts in self._by_name.get(name, ()):
            targets = facts.spec.resolved_targets
            if target is None or target in targets or EVERY_TARGET in targets:
                return facts
        return None

    def _own(self, board: Board) -> BoardFacts | None:
        for facts in self._by_name.get(board.name, ()):
            if facts.spec is board.spec or facts.spec == board.spec:
                return facts
        return None

    @hookimpl
    def register_boards(self) -> Sequence[BoardSpec]:
        """Every record's :class:`BoardSpec`."""
        return [facts.spec for facts in self._records]

    @hookimpl
    def default_ram_size(self, board: Board) -> int | None:
        """The record's ``default_ram_size`` for a board of this table."""
        facts = self._own(board)
        return None if facts is None else facts.default_ram_size

    @hookimpl
    def default_ram_id(self, board: Board) -> str | None:
        """The record's ``default_ram_id`` for a board of this table."""
        facts = self._own(board)
        return None if facts is None else facts.default_ram_id

    @hookimpl
    def fixup_ram_size(self, machine: MachineState, size: int) -> int | None:
        """The record's ``fixup``, when it has one."""
        facts = self._own(machine.board)
        if facts is None or facts.fixup is None:
            return None
        return facts.fixup(machine, size)

    @hookimpl
    def validate_ram(self, machine: MachineState) -> None:
        """The record's ``rules``, in order: the first that refuses raises."""
        facts = self._own(machine.board)
        if facts is None:
            return
        for rule in facts.rules:
            error = rule.check(machine)
            if error is None:
                continue
            if not isinstance(error, MachineError):
                what = "Check test" if isinstance(rule, Check) else f"{type(rule).__name__}.check"
                raise RuleResultError(what, error)
            raise error

    @hookimpl
    def init_board(self, machine: MachineState) -> bool | None:
        """The record's ``layout``, then its ``windows``."""
        facts = self._own(machine.board)
        if facts is None:
            return None
        facts.layout(machine, facts)
        place_windows(machine, facts.windows)
        return True

    @hookimpl
    def memory_devices(self, machine: MachineState) -> DeviceMemory | None:
        """The ``memory_devices`` hook: the record's ``device_memory`` for its own boards."""
        facts = self._own(machine.board)
        if facts is None or facts.device_memory is None:
            return None
        return facts.device_memory(machine)

    @hookimpl
    def describe_board(self, board: Board) -> Sequence[str] | None:
        """The record's rules, RAM base, windows and notes in words."""
        facts = self._own(board)
        if facts is None:
            return None
        lines = [rule.words() for rule in facts.rules]
        if not facts.rules:
            lines.append("any RAM size")
        if facts.default_ram_id is None:
            lines.append(
                "RAM not taken from a memory backend (QEMU has no default RAM id here): -m "
                "only sets the size reported as base memory; -machine memory-backend=ID is "
                "accepted, its size becomes that size, and the backend stays unmapped"
            )
        lines.append(f"RAM base {facts.ram_base:#x}")
        if facts.layout is not map_at_base:
            # The board maps RAM itself (split, aliased): the memory map shows where.
            lines.append("RAM placed by the board's own layout: the memory map shows where")
        lines.extend(w.words() for w in facts.windows)
        lines.extend(_cpu_words(facts.spec))
        lines.extend(facts.notes)
        return lines


#: The type aliases above, made when asked (they need :mod:`typing`, which a command does not
#: otherwise import).
_ALIASES = {
    "PropertyKind": PROPERTY_KINDS,
    "WindowKind": WINDOW_KINDS,
}


def __getattr__(name: str) -> object:
    values = _ALIASES.get(name)
    if values is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from typing import Literal

    alias = Literal[values]  # type: ignore[valid-type]
    globals()[name] = alias
    return alias
