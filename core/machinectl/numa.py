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

Only ``-numa node`` is modelled. ``cpu``, ``dist``, ``hmat-lb`` and ``hmat-cache`` are
recognised and refused with a message: they describe CPU topology and ACPI tables, not
guest RAM. ``cpus=`` is checked and shown, nothing more. ``initiator=`` needs a board that
declares the ``hmat`` machine property and has it on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .errors import MachineError
from .options import SizeSyntaxError, parse_size, visitor_size, visitor_uint, visitor_uint_list

if TYPE_CHECKING:
    from .boards import BoardSpec
    from .hostmem import HostMemoryBackend
    from .options import NumaOption
    from .state import MachineState

#: QEMU's MAX_NODES: node ids and initiators are below it.
MAX_NODES = 128
_U64 = 1 << 64
#: ``-numa TYPE``: the values QEMU's schema accepts.
TYPES = ("node", "dist", "cpu", "hmat-lb", "hmat-cache")
#: ``-numa node`` members in QEMU's schema order, which is the order their errors come in.
NODE_KEYS = ("nodeid", "cpus", "mem", "memdev", "initiator")
_REFUSED = {
    "cpu": "'-numa cpu' is not supported: machinectl models no CPU topology; "
    "place CPUs with -numa node,cpus= instead",
    "dist": "'-numa dist' is not supported: machinectl builds no NUMA distance table",
    "hmat-lb": "'-numa hmat-lb' is not supported: machinectl builds no ACPI HMAT",
    "hmat-cache": "'-numa hmat-cache' is not supported: machinectl builds no ACPI HMAT",
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
class NumaState:
    """The guest's NUMA nodes, in node-id order once :func:`complete` ran."""

    nodes: list[NumaNode] = attrs.field(factory=list)
    #: CPU index -> node id, as ``cpus=`` asked.
    cpu_nodes: dict[int, int] = attrs.field(factory=dict)
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
    numa = NumaState(hmat=state.properties.get("hmat") is True)
    for option in options:

        def warn(text: str, location: str = option.location) -> None:
            state.warn(f"{location}: warning: {text}")

        try:
            _add(numa, option, state, backends, warn)
        except MachineError as exc:
            raise exc.at(option.location) from None
    return numa


def _add(
    numa: NumaState,
    option: NumaOption,
    state: MachineState,
    backends: Sequence[HostMemoryBackend],
    warn: Warn,
) -> None:
    kind = _option_type(option.props)
    node = NodeOptions.from_props(option.props, warn) if kind == "node" else None
    if not state.board.spec.numa:
        raise MachineError("NUMA is not supported by this machine-type")
    if node is None:
        raise MachineError(_REFUSED[kind])
    _add_node(numa, node, state, backends, warn)


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
    for cpu in options.cpus:
        if cpu >= state.smp_cpus:
            raise MachineError(
                f"CPU index ({cpu}) should be smaller than maxcpus ({state.smp_cpus})"
            )
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
        backend = resolve_memdev(options.memdev, backends)
        if backend is None:
            raise MachineError(f"memdev={options.memdev} is ambiguous")
        size = backend.size
    numa.nodes.append(NumaNode(nodeid, size, backend, initiator=initiator))


def resolve_memdev(path: str, backends: Sequence[HostMemoryBackend]) -> HostMemoryBackend | None:
    """A backend by QOM path: ``/objects/ID`` or a partial path (``ID``, ``objects/ID``).

    A partial path names the one backend whose path ends with it; none or several give None
    (an empty path matches every backend).
    """
    parts = [part for part in path.split("/") if part]
    if path.startswith("/"):
        if len(parts) != 2 or parts[0] != "objects":
            return None
        return next((b for b in backends if b.id == parts[1]), None)
    matches = [b for b in backends if not parts or ["objects", b.id][-len(parts) :] == parts]
    return matches[0] if len(matches) == 1 else None


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
    return NumaState(nodes=[NumaNode(0, state.ram_size)], hmat=state.properties.get("hmat") is True)


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
    _place_cpus(numa, state)
    if numa.hmat:
        _check_initiators(numa)


def default_cpu_node(spec: BoardSpec, cpu: int, nodes: int) -> int:
    """The node of CPU ``cpu`` when no ``cpus=`` places any CPU (QEMU's board default).

    QEMU's boards put socket ``s`` on node ``s % nodes``. ``-smp N`` means N sockets of one
    CPU on the machine types that prefer sockets, and N cores of one socket (so node 0 for
    all) on the others; a few boards go by CPU index instead of socket.
    """
    if spec.numa_cpus_by_index or spec.smp_prefers_sockets:
        return cpu % nodes
    return 0


def _place_cpus(numa: NumaState, state: MachineState) -> None:
    """CPUs without ``cpus=``: the board's default when no node names any, else node 0."""
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
        if not target.cpus:
            raise MachineError(f"The initiator of NUMA node {node.nodeid} is invalid")


# -- output ------------------------------------------------------------------------------------


def query(numa: NumaState | None) -> list[dict[str, Any]]:
    """The nodes as plain data (``Machine.query()["numa"]``)."""
    if numa is None:
        return []
    return [
        {
            "node-id": node.nodeid,
            "size": node.size,
            "memdev": node.backend.id if node.backend else None,
            "cpus": list(node.cpus),
        }
        for node in numa.nodes
    ]


def info_text(numa: NumaState | None, plugged: Mapping[int, int] | None = None) -> str:
    """The nodes in the format of QEMU's ``info numa`` (sizes in whole MiB, rounded down).

    ``plugged`` is the memory of memory devices per node: it counts in both lines.
    """
    nodes = numa.nodes if numa is not None else []
    plugged = plugged or {}
    lines = [f"{len(nodes)} nodes"]
    for node in nodes:
        extra = plugged.get(node.nodeid, 0)
        lines.append(f"node {node.nodeid} cpus:" + "".join(f" {cpu}" for cpu in node.cpus))
        lines.append(f"node {node.nodeid} size: {(node.size + extra) >> 20} MB")
        lines.append(f"node {node.nodeid} plugged: {extra >> 20} MB")
    return "\n".join(lines) + "\n"
