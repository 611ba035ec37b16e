"""The CPU topology of ``-smp`` and a board's possible CPUs, with QEMU 7.2's rules.

:func:`parse_smp` completes the members ``-smp`` leaves out as QEMU's
``machine_parse_smp_config`` does (sockets first on machine types that prefer them, cores
first on the others, threads last) and checks the result: dies and clusters only where the
board has them, the product of the hierarchy equal to ``maxcpus``, ``maxcpus`` at least the
CPU count, and the board's own bounds. The counts are unsigned 32-bit numbers, as in QEMU.

:func:`possible_cpus` lists the CPU slots a board offers for a topology (QEMU's
``possible_cpu_arch_ids``): ``-numa cpu`` and ``-numa node,cpus=`` place them on nodes.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._record import TYPE_CHECKING

if TYPE_CHECKING:
    import attrs
else:
    from . import _record as attrs

from .errors import MachineError

if TYPE_CHECKING:
    from .boards import BoardSpec

#: The ids of a CPU slot, outermost first (the order QEMU shows them in).
SLOT_IDS = ("socket-id", "die-id", "cluster-id", "core-id", "thread-id")
_U32 = 1 << 32


def _ids_tuple(items: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(items)


def _check_ids(instance: object, attribute: object, value: tuple[str, ...]) -> None:
    unknown = [name for name in value if name not in SLOT_IDS]
    if unknown:
        raise ValueError(f"unknown CPU slot ids {unknown}: use {', '.join(SLOT_IDS)}")
    if list(value) != [name for name in SLOT_IDS if name in value]:
        raise ValueError(f"CPU slot ids must come in the order {', '.join(SLOT_IDS)}")


@attrs.frozen
class CpuSlots:
    """How a board lays out its possible CPUs (QEMU's ``possible_cpu_arch_ids``).

    A slot holds one CPU (one thread), or with :attr:`per_core` the threads of one core; slot
    ``i`` holds the CPU indexes from ``i * size`` on. Each slot carries the ids in
    :attr:`ids`, which ``-numa cpu`` matches against.
    """

    #: The ids a slot carries, a subset of :data:`SLOT_IDS` in that order.
    ids: tuple[str, ...] = attrs.field(converter=_ids_tuple, validator=_check_ids)
    #: One slot per core, holding its threads (pseries), instead of one per thread.
    per_core: bool = False
    #: The slot's single id is its first CPU index (pseries ``core-id``, sbsa-ref
    #: ``thread-id``) rather than its place in the socket/die/cluster/core/thread hierarchy.
    flat: bool = False
    #: ``die-id`` is carried only when ``-smp`` has more than one die (x86).
    die_id_with_dies_only: bool = False

    def words(self) -> str:
        """The layout in one line, for ``describe``."""
        names = [
            f"{name} (with dies > 1)" if name == "die-id" and self.die_id_with_dies_only else name
            for name in self.ids
        ]
        text = "CPU slots for -numa cpu: one per " + ("core" if self.per_core else "thread")
        text += ", with " + ", ".join(names)
        if self.flat:
            text += " (the index of the slot's first CPU)"
        return text


@attrs.frozen
class CpuTopology:
    """``-smp`` completed: the counts of each level, the CPUs present and possible."""

    #: CPUs present at start.
    cpus: int = 1
    #: Sockets.
    sockets: int = 1
    #: Dies per socket.
    dies: int = 1
    #: Clusters per die.
    clusters: int = 1
    #: Cores per cluster.
    cores: int = 1
    #: Threads per core.
    threads: int = 1
    #: CPUs possible (present and hotpluggable), the product of the hierarchy.
    max_cpus: int = 1

    def level(self, cpu: int) -> dict[str, int]:
        """CPU ``cpu``'s place in the hierarchy, by id name."""
        threads, cores, clusters = self.threads, self.cores, self.clusters
        return {
            "socket-id": cpu // (self.dies * clusters * cores * threads),
            "die-id": cpu // (clusters * cores * threads) % self.dies,
            "cluster-id": cpu // (cores * threads) % clusters,
            "core-id": cpu // threads % cores,
            "thread-id": cpu % threads,
        }


@attrs.frozen
class CpuSlot:
    """One possible CPU slot: its index, the CPU indexes it holds and its ids."""

    #: The slot's place in the board's list (QEMU's warnings call it ``CPU <index>``).
    index: int
    #: The CPU indexes of the slot's threads.
    cpus: range
    #: id name -> value, in :data:`SLOT_IDS` order.
    ids: Mapping[str, int]
    #: The socket the slot belongs to (the boards' default node is ``socket % nodes``).
    socket: int

    def describe(self) -> str:
        """The ids as QEMU lists them (``socket-id: 0, core-id: 1, thread-id: 0``)."""
        return ", ".join(f"{name}: {value}" for name, value in self.ids.items())


def _hierarchy(spec: BoardSpec, topology: CpuTopology) -> str:
    text = f"sockets ({topology.sockets})"
    if spec.smp_dies_supported:
        text += f" * dies ({topology.dies})"
    if spec.smp_clusters_supported:
        text += f" * clusters ({topology.clusters})"
    return text + f" * cores ({topology.cores}) * threads ({topology.threads})"


def _quotient(total: int, divisor: int) -> int:
    if divisor % _U32 == 0:
        # QEMU divides by zero here and dies; machinectl refuses the line instead.
        raise MachineError("Invalid CPU topology: the product of the given members overflows")
    return total // (divisor % _U32)


def parse_smp(config: Mapping[str, int], spec: BoardSpec, max_smp_cpus: int) -> CpuTopology:
    """Complete and check the ``-smp`` members in ``config`` (name -> value as written).

    :param max_smp_cpus: the limit for boards that declare no :attr:`BoardSpec.max_cpus`.
    """
    counts = {key: value % _U32 for key, value in config.items()}
    cpus, maxcpus = counts.get("cpus", 0), counts.get("maxcpus", 0)
    sockets, cores, threads = (
        counts.get("sockets", 0),
        counts.get("cores", 0),
        counts.get("threads", 0),
    )
    dies, clusters = counts.get("dies", 0), counts.get("clusters", 0)
    if not spec.smp_dies_supported and dies > 1:
        raise MachineError("dies not supported by this machine's CPU topology")
    if not spec.smp_clusters_supported and clusters > 1:
        raise MachineError("clusters not supported by this machine's CPU topology")
    dies, clusters = dies or 1, clusters or 1
    if cpus == 0 and maxcpus == 0:
        sockets, cores, threads = sockets or 1, cores or 1, threads or 1
    else:
        maxcpus = maxcpus or cpus
        if spec.smp_prefers_sockets and sockets == 0:
            cores, threads = cores or 1, threads or 1
            sockets = _quotient(maxcpus, dies * clusters * cores * threads)
        elif spec.smp_prefers_sockets and cores == 0:
            threads = threads or 1
            cores = _quotient(maxcpus, sockets * dies * clusters * threads)
        elif not spec.smp_prefers_sockets and cores == 0:
            sockets, threads = sockets or 1, threads or 1
            cores = _quotient(maxcpus, sockets * dies * clusters * threads)
        elif not spec.smp_prefers_sockets and sockets == 0:
            threads = threads or 1
            sockets = _quotient(maxcpus, dies * clusters * cores * threads)
        if threads == 0:
            threads = _quotient(maxcpus, sockets * dies * clusters * cores)
    product = sockets * dies * clusters * cores * threads % _U32
    maxcpus = maxcpus or product
    cpus = cpus or maxcpus
    topology = CpuTopology(cpus, sockets, dies, clusters, cores, threads, maxcpus)
    if product != maxcpus:
        raise MachineError(
            "Invalid CPU topology: product of the hierarchy must match maxcpus: "
            f"{_hierarchy(spec, topology)} != maxcpus ({maxcpus})"
        )
    if maxcpus < cpus:
        raise MachineError(
            "Invalid CPU topology: maxcpus must be equal to or greater than smp: "
            f"{_hierarchy(spec, topology)} == maxcpus ({maxcpus}) < smp_cpus ({cpus})"
        )
    if cpus < spec.min_cpus:
        raise MachineError(
            f"Invalid SMP CPUs {_signed(cpus)}. The min CPUs supported by machine "
            f"'{spec.name}' is {spec.min_cpus}"
        )
    if spec.max_cpus is not None and maxcpus > spec.max_cpus:
        raise MachineError(
            f"Invalid SMP CPUs {_signed(maxcpus)}. The max CPUs supported by machine "
            f"'{spec.name}' is {spec.max_cpus}"
        )
    if spec.max_cpus is None and maxcpus > max_smp_cpus:
        raise MachineError(
            f"Invalid SMP CPUs {_signed(maxcpus)}. machinectl supports at most {max_smp_cpus}"
        )
    return topology


def default_topology(spec: BoardSpec) -> CpuTopology:
    """The topology of a guest without ``-smp``: the board's default CPUs, one level each."""
    return CpuTopology(cpus=spec.default_cpus, max_cpus=spec.default_cpus)


def _signed(count: int) -> int:
    """An unsigned count as QEMU's ``%d`` prints it."""
    return count - _U32 if count >= 1 << 31 else count


def possible_cpus(layout: CpuSlots, topology: CpuTopology) -> list[CpuSlot]:
    """The board's CPU slots for ``topology``, in slot order."""
    size = topology.threads if layout.per_core else 1
    slots = []
    for index in range(topology.max_cpus // size):
        first = index * size
        level = topology.level(first)
        ids: dict[str, int] = {}
        for name in layout.ids:
            if name == "die-id" and layout.die_id_with_dies_only and topology.dies <= 1:
                continue
            ids[name] = first if layout.flat else level[name]
        slots.append(CpuSlot(index, range(first, first + size), ids, level["socket-id"]))
    return slots
