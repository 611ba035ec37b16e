"""Guest NUMA: ``-numa node`` with ``memdev`` or the legacy ``mem``.

Three steps, in QEMU's order:

* :func:`configure` reads the ``-numa`` options one by one once every backend object exists.
  Its errors name the option, as QEMU's do (``-numa node,memdev=x: memdev=x is ambiguous``).
* :func:`automatic_node` gives a guest without ``-numa`` the one node some boards always want
  (or want when memory can be hotplugged), as QEMU does.
* :func:`complete` runs once the size of main RAM is final (``-m``, ``memory-backend`` and its
  size check): node ids must be dense, the nodes' memory must add up to the RAM size, a
  backend serves one node only, and the CPUs that no ``cpus=`` placed get a node.

With ``memdev=`` main RAM is a container named after the board's default RAM id that holds
each node's backend in node order (the machine pipeline builds it from :class:`NumaState`).
With the legacy ``mem=`` main RAM stays the one default backend of the full size and the node
sizes only describe the topology. Nodes without memory do not share RAM out any more (QEMU
5.2 dropped that): the total must match.

``-numa dist`` gives distances between nodes declared before it, with QEMU's checks; once the
nodes are complete, the table must name every pair at least once (both directions of every
pair when one pair is asymmetric) and is completed as QEMU completes it: a missing distance
is the one of the opposite direction, a node's own distance is 10. ``-numa hmat-lb`` and
``-numa hmat-cache`` (with ``-machine hmat=on``) are checked and recorded with QEMU 7.2's
rules and messages: latencies and bandwidths must fit the table's 16-bit entries over a
common base, a cache level needs the node's latency and bandwidth and the level above it.

CPUs go to nodes by the board's possible-CPU slots (:attr:`BoardSpec.cpu_slots`, laid out for
the ``-smp`` topology by :mod:`machinectl.topology`). ``-numa cpu,node-id=N`` places every
slot whose ids match the ones given (``socket-id=1``: the whole socket); ``cpus=`` places the
slot of each CPU index below ``maxcpus``. A slot goes to one node only. Once the nodes are
complete, the slots no option placed go where the board puts them (socket ``s`` on node
``s % nodes``) when no option placed any, else to node 0 with QEMU's warning. With HMAT a node
with CPUs is its own initiator. A board without slots refuses ``-numa cpu`` and places
``cpus=`` by CPU index. ``initiator=`` needs a board that declares the ``hmat`` machine
property and has it on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import attrs
else:
    from . import _record as attrs

from .errors import MachineError
from .options import (
    SizeSyntaxError,
    parse_enum,
    parse_size,
    visitor_int,
    visitor_size,
    visitor_uint,
    visitor_uint_list,
)

if TYPE_CHECKING:
    from .boards import BoardSpec
    from .hostmem import HostMemoryBackend
    from .options import NumaOption
    from .state import MachineState
    from .topology import CpuSlot

#: QEMU's MAX_NODES: node ids and initiators are below it.
MAX_NODES = 128
_U64 = 1 << 64
#: ``-numa TYPE``: the values QEMU's schema accepts.
TYPES = ("node", "dist", "cpu", "hmat-lb", "hmat-cache")
#: ``-numa node`` members in QEMU's schema order, which is the order their errors come in.
NODE_KEYS = ("nodeid", "cpus", "mem", "memdev", "initiator")
#: ``-numa cpu`` on a board without CPU slots.
CPU_MAPPING_UNSUPPORTED = "mapping of CPUs to NUMA node is not supported"
#: The ids ``-numa cpu`` may give, in the order QEMU checks that the board has them.
_CHECKED_IDS = ("thread-id", "core-id", "cluster-id", "socket-id", "die-id")
#: QEMU's NUMA_DISTANCE_MIN: a node's distance to itself, and the least distance.
LOCAL_DISTANCE = 10
#: QEMU's HMAT_LB_LEVELS: memory, then three cache levels.
HMAT_LB_LEVELS = 4
HIERARCHIES = ("memory", "first-level", "second-level", "third-level")
DATA_TYPES = (
    "access-latency",
    "read-latency",
    "write-latency",
    "access-bandwidth",
    "read-bandwidth",
    "write-bandwidth",
)
ASSOCIATIVITIES = ("none", "direct", "complex")
WRITE_POLICIES = ("none", "write-back", "write-through")
_U16_MAX = (1 << 16) - 1
#: The members of each ``-numa TYPE`` other than node, in schema order: name, kind, required.
#: A kind is a bit width (unsigned), ``-64`` (signed), ``size``, or a tuple of enum values.
_Member = tuple[str, "int | str | tuple[str, ...]", bool]
SCHEMAS: dict[str, tuple[_Member, ...]] = {
    "dist": (("src", 16, True), ("dst", 16, True), ("val", 8, True)),
    "cpu": (
        ("node-id", -64, False),
        ("socket-id", -64, False),
        ("die-id", -64, False),
        ("cluster-id", -64, False),
        ("core-id", -64, False),
        ("thread-id", -64, False),
    ),
    "hmat-lb": (
        ("initiator", 16, True),
        ("target", 16, True),
        ("hierarchy", HIERARCHIES, True),
        ("data-type", DATA_TYPES, True),
        ("latency", 64, False),
        ("bandwidth", "size", False),
    ),
    "hmat-cache": (
        ("node-id", 32, True),
        ("size", "size", True),
        ("level", 8, True),
        ("associativity", ASSOCIATIVITIES, True),
        ("policy", WRITE_POLICIES, True),
        ("line", 16, True),
    ),
}
MEM_DEPRECATED = "Parameter -numa node,mem is deprecated, use -numa node,memdev instead"
HMAT_DISABLED = (
    "ACPI Heterogeneous Memory Attribute Table (HMAT) is disabled, enable it with "
    "-machine hmat=on before using any of hmat specific options"
)
PARTIAL_MAPPING = (
    "All CPU(s) up to maxcpus should be described in NUMA config, ability to start up "
    "with partial NUMA mappings is obsoleted and will be removed in future"
)

Warn = Callable[[str], None]


@attrs.frozen
class NodeOptions:
    """One ``-numa node`` as written, its values parsed but not yet checked against others."""

    nodeid: int | None = None
    cpus: tuple[int, ...] = ()
    #: ``mem=`` in bytes (a bare number means MiB).
    mem: int | None = None
    memdev: str | None = None
    initiator: int | None = None

    @classmethod
    def from_props(cls, props: Sequence[tuple[str, str]], warn: Warn | None = None) -> NodeOptions:
        """Parse the members in schema order; a repeated key: last wins, ``cpus`` accumulate."""
        texts: dict[str, list[str]] = {}
        for key, value in props:
            texts.setdefault(key, []).append(value)
        nodeid = visitor_uint("nodeid", texts["nodeid"][-1], 16) if "nodeid" in texts else None
        cpus = tuple(visitor_uint_list("cpus", texts["cpus"], 16)) if "cpus" in texts else ()
        mem = _legacy_mem(texts["mem"][-1], warn) if "mem" in texts else None
        memdev = texts["memdev"][-1] if "memdev" in texts else None
        initiator = None
        if "initiator" in texts:
            initiator = visitor_uint("initiator", texts["initiator"][-1], 16)
        for key, _ in props:
            if key != "type" and key not in NODE_KEYS:
                raise MachineError(f"Invalid parameter '{key}'")
        return cls(nodeid, cpus, mem, memdev, initiator)


def _legacy_mem(text: str, warn: Warn | None) -> int:
    """``mem=``: a size in bytes to be valid, then read again with MiB as the default unit."""
    size = visitor_size("mem", text, warn)
    try:
        return parse_size(text, default_suffix="M", warn=warn)
    except SizeSyntaxError:
        # Too large in MiB: QEMU keeps the byte count it read first.
        return size


@attrs.define
class NumaNode:
    """A guest NUMA node."""

    nodeid: int
    #: Memory of the node in bytes (its backend's size, or ``mem=``).
    size: int = 0
    #: ``memdev=``: the backend that holds this node's part of main RAM.
    backend: HostMemoryBackend | None = None
    #: The node's CPUs, ascending (final once :func:`complete` ran).
    cpus: tuple[int, ...] = ()
    #: ``initiator=`` (HMAT): the node whose CPUs access this node's memory best.
    initiator: int | None = None


@attrs.define
class HmatLB:
    """One HMAT locality table: entries over a common base (QEMU's HMAT_LB_Info)."""

    hierarchy: str
    data_type: str
    base: int = 0
    #: Latency: the largest compressed entry; bandwidth: the OR of every value.
    range_bitmap: int = 0
    #: (initiator, target, value) in the order given.
    entries: list[tuple[int, int, int]] = attrs.field(factory=list)

    @property
    def latency(self) -> bool:
        return DATA_TYPES.index(self.data_type) < 3


@attrs.define
class NumaState:
    """The guest's NUMA nodes, in node-id order once :func:`complete` ran."""

    nodes: list[NumaNode] = attrs.field(factory=list)
    #: CPU index -> node id, as ``cpus=`` asked (boards without CPU slots).
    cpu_nodes: dict[int, int] = attrs.field(factory=dict)
    #: The board's possible CPUs (None: it has no slots, ``cpus=`` places CPU indexes).
    slots: list[CpuSlot] | None = None
    #: Slot index -> node id, as ``-numa cpu`` and ``cpus=`` placed them (then every slot,
    #: once :func:`complete` ran).
    slot_nodes: dict[int, int] = attrs.field(factory=dict)
    #: ``-numa dist``: (src, dst) -> distance, as given.
    distances: dict[tuple[int, int], int] = attrs.field(factory=dict)
    #: The complete distance table, row ``src`` column ``dst`` (once :func:`complete` ran).
    distance_table: list[list[int]] = attrs.field(factory=list)
    #: ``-numa hmat-lb``: (hierarchy, data type) -> its table.
    hmat_lb: dict[tuple[str, str], HmatLB] = attrs.field(factory=dict)
    #: ``-numa hmat-cache``: (node, level) -> the cache's options.
    hmat_cache: dict[tuple[int, int], dict[str, Any]] = attrs.field(factory=dict)
    #: Nodes with latency (bit 0) and bandwidth (bit 1) information (QEMU's
    #: ``lb_info_provided``).
    lb_info: dict[int, int] = attrs.field(factory=dict)
    #: The board's ``hmat`` machine property.
    hmat: bool = False
    #: Some node so far had ``mem=`` / ``memdev=`` (the two must not mix).
    have_mem: bool = False
    have_memdev: bool = False

    @property
    def uses_memdev(self) -> bool:
        """Some node has ``memdev=`` (QEMU's ``!numa_uses_legacy_mem()``)."""
        return any(node.backend is not None for node in self.nodes)

    @property
    def total_memory(self) -> int:
        """The nodes' memory added up as QEMU's 64-bit sum does."""
        return sum(node.size for node in self.nodes) % _U64

    def node(self, nodeid: int) -> NumaNode | None:
        return next((node for node in self.nodes if node.nodeid == nodeid), None)


# -- step 1: the options ---------------------------------------------------------------------


def configure(
    options: Sequence[NumaOption],
    state: MachineState,
    backends: Sequence[HostMemoryBackend],
) -> NumaState | None:
    """Read the ``-numa`` options in order; None when there are none."""
    if not options:
        return None
    numa = NumaState(hmat=state.properties.get("hmat") is True, slots=_slots(state))
    for option in options:

        def warn(text: str, location: str = option.location) -> None:
            state.warn(f"{location}: warning: {text}")

        try:
            _add(numa, option, state, backends, warn)
        except MachineError as exc:
            raise exc.at(option.location) from None
    return numa


def _slots(state: MachineState) -> list[CpuSlot] | None:
    layout = state.board.spec.cpu_slots
    if layout is None or state.topology is None:
        return None
    from .topology import possible_cpus

    return possible_cpus(layout, state.topology)


def _max_cpus(state: MachineState) -> int:
    return state.topology.max_cpus if state.topology is not None else state.smp_cpus


def _add(
    numa: NumaState,
    option: NumaOption,
    state: MachineState,
    backends: Sequence[HostMemoryBackend],
    warn: Warn,
) -> None:
    kind = _option_type(option.props)
    node = NodeOptions.from_props(option.props, warn) if kind == "node" else None
    values = _parse_members(option.props, SCHEMAS[kind], warn) if kind != "node" else {}
    if not state.board.spec.numa:
        raise MachineError("NUMA is not supported by this machine-type")
    if node is not None:
        _add_node(numa, node, state, backends, warn)
    elif kind == "dist":
        _add_distance(numa, values["src"], values["dst"], values["val"])
    elif kind == "cpu":
        _add_cpu(numa, values)
    elif not numa.hmat:
        raise MachineError(HMAT_DISABLED)
    elif kind == "hmat-lb":
        _add_hmat_lb(numa, values)
    else:
        _add_hmat_cache(numa, values)


def _parse_members(
    props: Sequence[tuple[str, str]], schema: Sequence[_Member], warn: Warn
) -> dict[str, Any]:
    """A ``-numa TYPE`` other than node, as the options visitor reads it: members in schema
    order (the last of a repeated key wins), then unknown keys."""
    texts = {key: value for key, value in props}
    values: dict[str, Any] = {}
    for name, kind, required in schema:
        if name not in texts:
            if required:
                raise MachineError(f"Parameter '{name}' is missing")
            continue
        text = texts[name]
        if isinstance(kind, tuple):
            values[name] = parse_enum(name, text, kind)
        elif kind == "size":
            values[name] = visitor_size(name, text, warn)
        elif isinstance(kind, int) and kind < 0:
            values[name] = visitor_int(name, text)
        else:
            values[name] = visitor_uint(name, text, int(kind))
    names = {name for name, _, _ in schema}
    for key, _ in props:
        if key != "type" and key not in names:
            raise MachineError(f"Invalid parameter '{key}'")
    return values


def _add_distance(numa: NumaState, src: int, dst: int, val: int) -> None:
    if src >= MAX_NODES or dst >= MAX_NODES:
        name = "src" if src >= MAX_NODES else "dst"
        raise MachineError(f"Parameter '{name}' expects an integer between 0 and {MAX_NODES - 1}")
    if numa.node(src) is None or numa.node(dst) is None:
        raise MachineError(
            "Source/Destination NUMA node is missing. "
            "Please use '-numa node' option to declare it first."
        )
    if val < LOCAL_DISTANCE:
        raise MachineError(
            f"NUMA distance ({val}) is invalid, it shouldn't be less than {LOCAL_DISTANCE}."
        )
    if src == dst and val != LOCAL_DISTANCE:
        raise MachineError(f"Local distance of node {src} should be {LOCAL_DISTANCE}.")
    numa.distances[src, dst] = val


def _add_cpu(numa: NumaState, values: dict[str, Any]) -> None:
    nodeid = values.get("node-id")
    if nodeid is None:
        raise MachineError("Missing mandatory node-id property")
    node = numa.node(nodeid) if 0 <= nodeid < MAX_NODES else None
    if node is None:
        raise MachineError(
            f"Invalid node-id={nodeid}, NUMA node must be defined with -numa node,nodeid=ID "
            "before it's used with -numa cpu,node-id=ID"
        )
    ids = {name: values[name] for name in _CHECKED_IDS if name in values}
    _assign(numa, ids, nodeid, node.initiator)
    if numa.hmat:
        node.initiator = nodeid


def _assign(numa: NumaState, ids: Mapping[str, int], nodeid: int, initiator: int | None) -> None:
    """Put every slot whose ids match ``ids`` on node ``nodeid`` (QEMU's
    ``machine_set_cpu_numa_node``); ``initiator`` is the node's, as declared so far."""
    if numa.slots is None:
        raise MachineError(CPU_MAPPING_UNSUPPORTED)
    found = False
    for slot in numa.slots:
        for name in _CHECKED_IDS:
            if name in ids and name not in slot.ids:
                raise MachineError(f"{name} is not supported")
        if any(slot.ids[name] != value for name, value in ids.items()):
            continue
        found = True
        _put(numa, slot, nodeid, initiator)
    if not found:
        raise MachineError("no match found")


def _put(numa: NumaState, slot: CpuSlot, nodeid: int, initiator: int | None) -> None:
    """Put one slot on node ``nodeid``."""
    owner = numa.slot_nodes.get(slot.index)
    if owner is not None and owner != nodeid:
        raise MachineError(f"CPU is already assigned to node-id: {owner}")
    numa.slot_nodes[slot.index] = nodeid
    if numa.hmat and initiator is not None and initiator != nodeid:
        raise MachineError(
            f"The initiator of CPU NUMA node {nodeid} should be itself (got {initiator})"
        )


def _has_cpu(numa: NumaState, nodeid: int) -> bool:
    """A node with CPUs so far: an initiator proximity domain."""
    return nodeid in numa.cpu_nodes.values() or nodeid in numa.slot_nodes.values()


def _add_hmat_lb(numa: NumaState, values: dict[str, Any]) -> None:
    initiator, target = values["initiator"], values["target"]
    count = len(numa.nodes)
    # As in QEMU, an id equal to the node count passes this first check.
    if initiator > count:
        raise MachineError(f"Invalid initiator={initiator}, it should be less than {count}")
    if target > count:
        raise MachineError(f"Invalid target={target}, it should be less than {count}")
    if not _has_cpu(numa, initiator):
        raise MachineError(f"Invalid initiator={initiator}, it isn't an initiator proximity domain")
    if numa.node(target) is None:
        raise MachineError(f"The target={target} should point to an existing node")
    key = (values["hierarchy"], values["data-type"])
    table = numa.hmat_lb.get(key) or HmatLB(*key)
    between = f"between initiator={initiator} and target={target}"
    if table.latency:
        value = _check_latency(table, values, between)
    else:
        value = _check_bandwidth(table, values, between)
    numa.hmat_lb[key] = table
    if value:
        numa.lb_info[target] = numa.lb_info.get(target, 0) | (1 if table.latency else 2)
    table.entries.append((initiator, target, value))


def _duplicate(table: HmatLB, values: dict[str, Any], what: str) -> None:
    initiator, target = values["initiator"], values["target"]
    if any((i, t) == (initiator, target) for i, t, _ in table.entries):
        raise MachineError(
            f"Duplicate configuration of the {what} for initiator={initiator} and target={target}"
        )


def _check_latency(table: HmatLB, values: dict[str, Any], between: str) -> int:
    if "latency" not in values:
        raise MachineError("Missing 'latency' option")
    if "bandwidth" in values:
        raise MachineError("Invalid option 'bandwidth' since the data type is latency")
    _duplicate(table, values, "latency")
    latency: int = values["latency"]
    table.base = table.base or (1 << 64) - 1
    if latency:
        # The entries are 16-bit multiples of a power of ten that divides every value.
        unit, rest = 1, latency
        while rest % 10 == 0:
            rest //= 10
            unit *= 10
        largest = max(table.range_bitmap, latency // table.base)
        if largest >= _U16_MAX:
            raise MachineError(
                f"Latency {latency} {between} should not differ from previously entered "
                f"min or max values on more than {_U16_MAX - 1}"
            )
        table.base, table.range_bitmap = min(table.base, unit), largest
    return latency


def _check_bandwidth(table: HmatLB, values: dict[str, Any], between: str) -> int:
    if "bandwidth" not in values:
        raise MachineError("Missing 'bandwidth' option")
    if "latency" in values:
        raise MachineError("Invalid option 'latency' since the data type is bandwidth")
    bandwidth: int = values["bandwidth"]
    if bandwidth % (1 << 20):
        raise MachineError(f"Bandwidth {bandwidth} {between} should be 1MB aligned")
    _duplicate(table, values, "bandwidth")
    table.base = table.base or 1
    if bandwidth:
        bits = table.range_bitmap | bandwidth
        first = (bits & -bits).bit_length() - 1
        if bits.bit_length() - first > 16 or bandwidth >> first >= _U16_MAX:
            raise MachineError(
                f"Bandwidth {bandwidth} {between} should not differ from previously entered "
                f"values on more than {_U16_MAX - 1}"
            )
        table.base, table.range_bitmap = 1 << first, bits
    return bandwidth


def _add_hmat_cache(numa: NumaState, values: dict[str, Any]) -> None:
    nodeid, level = values["node-id"], values["level"]
    count = len(numa.nodes)
    if nodeid >= count:
        raise MachineError(f"Invalid node-id={nodeid}, it should be less than {count}")
    if numa.lb_info.get(nodeid, 0) != 3:
        raise MachineError(
            f"The latency and bandwidth information of node-id={nodeid} should be provided "
            "before memory side cache attributes"
        )
    if not 1 <= level < HMAT_LB_LEVELS:
        raise MachineError(
            f"Invalid level={level}, it should be larger than 0 and less than or equal to "
            f"{HMAT_LB_LEVELS - 1}"
        )
    if (nodeid, level) in numa.hmat_cache:
        raise MachineError(
            f"Duplicate configuration of the side cache for node-id={nodeid} and level={level}"
        )
    if level > 1 and (nodeid, level - 1) not in numa.hmat_cache:
        raise MachineError(f"Cache level={level - 1} shall be defined first")
    numa.hmat_cache[nodeid, level] = dict(values)


def _option_type(props: Sequence[tuple[str, str]]) -> str:
    kind = next((value for key, value in reversed(props) if key == "type"), None)
    if kind is None:
        raise MachineError("Parameter 'type' is missing")
    if kind not in TYPES:
        raise MachineError(f"Parameter 'type' does not accept value '{kind}'")
    return kind


def _add_node(
    numa: NumaState,
    options: NodeOptions,
    state: MachineState,
    backends: Sequence[HostMemoryBackend],
    warn: Warn,
) -> None:
    nodeid = options.nodeid if options.nodeid is not None else len(numa.nodes)
    if nodeid >= MAX_NODES:
        raise MachineError(f"Max number of NUMA nodes reached: {nodeid}")
    if numa.node(nodeid) is not None:
        raise MachineError(f"Duplicate NUMA nodeid: {nodeid}")
    initiator = options.initiator
    if initiator is not None:
        if not numa.hmat:
            raise MachineError(HMAT_DISABLED)
        if initiator >= MAX_NODES:
            raise MachineError(
                f"The initiator id {initiator} expects an integer between 0 and {MAX_NODES - 1}"
            )
    max_cpus = _max_cpus(state)
    for cpu in options.cpus:
        if cpu >= max_cpus:
            raise MachineError(f"CPU index ({cpu}) should be smaller than maxcpus ({max_cpus})")
        if numa.slots is not None:
            _put(numa, numa.slots[cpu // len(numa.slots[0].cpus)], nodeid, initiator)
            if numa.hmat:
                initiator = nodeid
            continue
        owner = numa.cpu_nodes.setdefault(cpu, nodeid)
        if owner != nodeid:
            raise MachineError(f"CPU is already assigned to node-id: {owner}")
        if initiator is not None and initiator != nodeid:
            raise MachineError(
                f"The initiator of CPU NUMA node {nodeid} should be itself (got {initiator})"
            )
    numa.have_mem = numa.have_mem or options.mem is not None
    numa.have_memdev = numa.have_memdev or options.memdev is not None
    if (options.mem is not None and numa.have_memdev) or (
        options.memdev is not None and numa.have_mem
    ):
        raise MachineError(
            "numa configuration should use either mem= or memdev=,mixing both is not allowed"
        )
    size = 0
    backend = None
    if options.mem is not None:
        if not state.board.spec.numa_mem_supported:
            raise MachineError(
                "Parameter -numa node,mem is not supported by this machine type",
                hint="Use -numa node,memdev instead",
            )
        size = options.mem
        warn(MEM_DEPRECATED)
    if options.memdev is not None:
        from .hostmem import resolve_backend

        backend = resolve_backend(options.memdev, backends)
        if backend is None:
            raise MachineError(f"memdev={options.memdev} is ambiguous")
        size = backend.size
    numa.nodes.append(NumaNode(nodeid, size, backend, initiator=initiator))


# -- step 2: completion ------------------------------------------------------------------------


def automatic_node(numa: NumaState | None, state: MachineState) -> NumaState | None:
    """QEMU's implicit single node, for a guest given no ``-numa`` where the board wants one.

    It holds all of main RAM (not through a backend of its own: main RAM stays the default
    backend) and every CPU. Boards ask for it always (:attr:`BoardSpec.auto_numa`), or when
    ``-m slots=`` (``auto_numa_with_slots``) or ``maxmem=`` (``auto_numa_with_maxmem``)
    leave room for hotplugged memory.
    """
    spec = state.board.spec
    if numa is not None or not spec.numa:
        return numa
    wanted = (
        spec.auto_numa
        or (spec.auto_numa_with_slots and state.ram_slots > 0)
        or (spec.auto_numa_with_maxmem and state.maxram_size > state.ram_size)
    )
    if not wanted:
        return None
    return NumaState(
        nodes=[NumaNode(0, state.ram_size)],
        hmat=state.properties.get("hmat") is True,
        slots=_slots(state),
    )


def complete(
    numa: NumaState | None,
    state: MachineState,
    memdev: HostMemoryBackend | None,
    ram_id: str | None,
) -> None:
    """Check the nodes against the final RAM size and place every CPU.

    :param memdev: the ``-machine memory-backend`` backend, if any.
    :param ram_id: the board's default RAM id (None: no main-RAM container, no backend use).
    """
    if numa is None:
        return
    numa.nodes.sort(key=lambda node: node.nodeid)
    present = {node.nodeid for node in numa.nodes}
    # The highest missing id first.
    for nodeid in reversed(range(max(present, default=-1) + 1)):
        if nodeid not in present:
            raise MachineError(f"numa: Node ID missing: {nodeid}")
    total = numa.total_memory
    if total != state.ram_size:
        raise MachineError(
            f"total memory for NUMA nodes ({total:#x}) should equal RAM size ({state.ram_size:#x})"
        )
    if numa.uses_memdev and ram_id is not None:
        if memdev is not None:
            raise MachineError(
                "'-machine memory-backend' and '-numa memdev' properties are mutually exclusive"
            )
        used: set[int] = set()
        for node in numa.nodes:
            if node.backend is None:
                continue
            if id(node.backend) in used or node.backend.mapped:
                raise MachineError(
                    f"memory backend {node.backend.id} can't be used multiple times."
                )
            used.add(id(node.backend))
    if numa.distances:
        numa.distance_table = distance_table(numa)
    _place_cpus(numa, state)
    if numa.hmat:
        _check_initiators(numa)


def distance_table(numa: NumaState) -> list[list[int]]:
    """QEMU's check and completion of the distances given with ``-numa dist``."""
    count = len(numa.nodes)
    given = numa.distances
    asymmetric = False
    for src in range(count):
        for dst in range(src, count):
            there, back = given.get((src, dst)), given.get((dst, src))
            if src != dst and there is None and back is None:
                raise MachineError(
                    f"The distance between node {src} and {dst} is missing, at least one "
                    "distance value between each nodes should be provided."
                )
            if there is not None and back is not None and there != back:
                asymmetric = True
    if asymmetric:
        for src in range(count):
            for dst in range(count):
                if src != dst and (src, dst) not in given:
                    raise MachineError(
                        "At least one asymmetrical pair of distances is given, please provide "
                        "distances for both directions of all node pairs."
                    )
    return [
        [
            LOCAL_DISTANCE if src == dst else given.get((src, dst), given.get((dst, src), 0))
            for dst in range(count)
        ]
        for src in range(count)
    ]


def default_cpu_node(spec: BoardSpec, cpu: int, nodes: int) -> int:
    """The node of CPU ``cpu`` on a board without CPU slots when no ``cpus=`` places any CPU.

    QEMU's boards put socket ``s`` on node ``s % nodes``; without slots the socket is taken
    from ``-smp N`` alone: N sockets of one CPU on the machine types that prefer sockets, and
    N cores of one socket (so node 0 for all) on the others. A few boards go by CPU index
    instead of socket.
    """
    if spec.numa_cpus_by_index or spec.smp_prefers_sockets:
        return cpu % nodes
    return 0


def _place_slots(numa: NumaState, slots: Sequence[CpuSlot], state: MachineState) -> None:
    """Slots no option placed: the board's default when none was placed, else node 0."""
    count = len(numa.nodes)
    by_index = state.board.spec.numa_cpus_by_index
    default = not numa.slot_nodes
    missing = []
    for slot in slots:
        if slot.index in numa.slot_nodes:
            continue
        nodeid = (slot.index if by_index else slot.socket) % count
        if not default:
            missing.append(f"CPU {slot.index} [{slot.describe()}]")
            nodeid = 0
        node = numa.node(nodeid)
        _put(numa, slot, nodeid, node.initiator if node is not None else None)
        if numa.hmat and node is not None:
            node.initiator = nodeid
    if missing:
        state.warn("CPU(s) not present in any NUMA nodes: " + ", ".join(missing))
        state.warn(PARTIAL_MAPPING)
    present = state.topology.cpus if state.topology is not None else state.smp_cpus
    for node in numa.nodes:
        node.cpus = tuple(
            cpu
            for slot in slots
            if numa.slot_nodes[slot.index] == node.nodeid
            for cpu in slot.cpus
            if cpu < present
        )


def _place_cpus(numa: NumaState, state: MachineState) -> None:
    """CPUs without ``cpus=``: the board's default when no node names any, else node 0."""
    if numa.slots is not None:
        _place_slots(numa, numa.slots, state)
        return
    count = len(numa.nodes)
    if not numa.cpu_nodes:
        spec = state.board.spec
        mapping = {cpu: default_cpu_node(spec, cpu, count) for cpu in range(state.smp_cpus)}
    else:
        missing = [cpu for cpu in range(state.smp_cpus) if cpu not in numa.cpu_nodes]
        if missing:
            state.warn(
                "CPU(s) not present in any NUMA nodes: "
                + ", ".join(f"CPU {cpu}" for cpu in missing)
            )
            state.warn(PARTIAL_MAPPING)
        mapping = {cpu: numa.cpu_nodes.get(cpu, 0) for cpu in range(state.smp_cpus)}
    for node in numa.nodes:
        node.cpus = tuple(cpu for cpu, nodeid in mapping.items() if nodeid == node.nodeid)


def _check_initiators(numa: NumaState) -> None:
    for node in numa.nodes:
        initiator = node.initiator
        if initiator is None:
            continue
        if node.cpus and initiator != node.nodeid:
            raise MachineError(
                f"The initiator of CPU NUMA node {node.nodeid} should be itself (got {initiator})"
            )
        target = numa.node(initiator)
        if target is None:
            raise MachineError(
                f"NUMA node {initiator} is missing, use '-numa node' option to declare it first"
            )
        if not target.cpus and not _has_cpu(numa, initiator):
            raise MachineError(f"The initiator of NUMA node {node.nodeid} is invalid")


# -- output ------------------------------------------------------------------------------------


def query(numa: NumaState | None) -> list[dict[str, Any]]:
    """The nodes as plain data (``Machine.query()["numa"]``)."""
    if numa is None:
        return []
    nodes: list[dict[str, Any]] = [
        {
            "node-id": node.nodeid,
            "size": node.size,
            "memdev": node.backend.id if node.backend else None,
            "cpus": list(node.cpus),
        }
        for node in numa.nodes
    ]
    for index, row in enumerate(numa.distance_table):
        nodes[index]["distances"] = list(row)
    return nodes


def info_text(
    numa: NumaState | None, plugged: Mapping[int, int] | None = None, *, distances: bool = False
) -> str:
    """The nodes in the format of QEMU's ``info numa`` (sizes in whole MiB, rounded down).

    ``plugged`` is the memory of memory devices per node: it counts in both lines. With
    ``distances``, the distance table follows (it is not in QEMU's text).
    """
    nodes = numa.nodes if numa is not None else []
    plugged = plugged or {}
    lines = [f"{len(nodes)} nodes"]
    for node in nodes:
        extra = plugged.get(node.nodeid, 0)
        lines.append(f"node {node.nodeid} cpus:" + "".join(f" {cpu}" for cpu in node.cpus))
        lines.append(f"node {node.nodeid} size: {(node.size + extra) >> 20} MB")
        lines.append(f"node {node.nodeid} plugged: {extra >> 20} MB")
    if distances and numa is not None and numa.distance_table:
        # Not in QEMU's info numa: the table as numactl --hardware shows it.
        lines.append("node distances:")
        lines.append("node " + "".join(f"{n.nodeid:>4}" for n in nodes))
        for node, row in zip(nodes, numa.distance_table, strict=True):
            lines.append(f"{node.nodeid:>3}: " + "".join(f"{value:>4}" for value in row))
    return "\n".join(lines) + "\n"
