"""``-object thread-context``: where preallocation threads may run (QEMU 7.2).

A thread context is a real thread, started when the object is created, whose CPU affinity is
set from ``cpu-affinity`` (host CPU numbers) or ``node-affinity`` (host NUMA nodes, turned
into their CPUs from ``/sys/devices/system/node/nodeN/cpulist``). Its ``thread-id`` is that
thread's id, and its ``cpu-affinity`` reads the thread's affinity back, as ``qom-get`` does.
A backend's ``prealloc-context`` names the context; its preallocation threads then run on
the context's CPUs.

QEMU's rules and messages: the two affinities exclude each other (``Mixing CPU and node
affinity not supported``); nodes without CPUs, or that do not exist, add nothing, and nodes
that select no CPU at all are refused (``The nodes select no CPUs``); an affinity the kernel
refuses (no online CPU in it) fails as ``Setting CPU affinity failed: Invalid argument``.
``thread-id`` is read-only (``Invalid parameter 'thread-id'``).

At run time (QMP's ``object-add``, ``qom-set``, ``qom-get``, :meth:`Machine.add_thread_context
<machinectl.Machine.add_thread_context>`) the values are typed lists, checked as QEMU's property
setters check them: an empty list is ``CPU list is empty`` (``Node list is empty``), and setting
both affinities is refused only while the object is created; afterwards each set applies to the
running thread. ``node-affinity`` cannot be read back (``is not readable``).

:func:`node_cpus` also gives backends bound to host nodes their CPUs when no context is named
(see :func:`preallocation_cpus`).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import attrs
else:
    from . import _record as attrs

from .errors import MachineError
from .options import THREAD_CONTEXT, ObjectOption, visitor_uint_list

if TYPE_CHECKING:
    from .hostmem import HostMemoryBackend

QOM_TYPE = THREAD_CONTEXT
#: The properties the command line may set (``thread-id`` is read-only).
PROPERTIES = ("cpu-affinity", "node-affinity")
NODE_ROOT = "/sys/devices/system/node"
#: ``qom-list /objects/ID`` of a context: QEMU 7.2's properties, in the order it lists them.
QOM_PROPERTIES = (
    ("type", "string"),
    ("thread-id", "int"),
    ("node-affinity", "int"),
    ("cpu-affinity", "int"),
)


def parse_cpulist(text: str) -> set[int]:
    """The kernel's list format (``0-3,8,10-11``) as a set of numbers."""
    cpus: set[int] = set()
    for item in text.strip().split(","):
        if not item:
            continue
        low, _, high = item.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def node_cpus(nodes: Iterable[int], root: str = NODE_ROOT) -> set[int]:
    """The CPUs of host NUMA nodes; a node that does not exist adds none (as in QEMU)."""
    cpus: set[int] = set()
    for node in nodes:
        try:
            with open(f"{root}/node{node}/cpulist", encoding="ascii") as stream:
                cpus |= parse_cpulist(stream.read())
        except (OSError, ValueError):
            continue
    return cpus


def format_cpulist(cpus: Iterable[int]) -> str:
    """A set of numbers in the kernel's list format."""
    groups: list[list[int]] = []
    for cpu in sorted(set(cpus)):
        if groups and groups[-1][1] == cpu - 1:
            groups[-1][1] = cpu
        else:
            groups.append([cpu, cpu])
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in groups)


@attrs.define(eq=False)
class ThreadContext:
    """A ``thread-context`` object: its options, and its thread once :meth:`start` ran."""

    #: The object's QOM type, as backends have theirs.
    qom_type: ClassVar[str] = QOM_TYPE
    id: str
    cpu_affinity: tuple[int, ...] | None = None
    node_affinity: tuple[int, ...] | None = None
    _thread: threading.Thread | None = attrs.field(default=None, init=False)
    _stop: threading.Event = attrs.field(factory=threading.Event, init=False)
    _tid: int = attrs.field(default=-1, init=False)

    @classmethod
    def parse(cls, option: ObjectOption, keys: Sequence[str] | None = None) -> ThreadContext:
        """The option's values, parsed as QEMU's options visitor reads them: the members in
        the schema's order, then a key left over (``keys``: the option's keys in order, as
        in :meth:`HostMemoryBackend.parse_option`). Errors name the option."""
        texts: dict[str, list[str]] = {}
        for key, value in option.props:
            texts.setdefault(key, []).append(value)
        try:
            cpus = nodes = None
            if "cpu-affinity" in texts:
                cpus = tuple(visitor_uint_list("cpu-affinity", texts["cpu-affinity"], 16))
            if "node-affinity" in texts:
                nodes = tuple(visitor_uint_list("node-affinity", texts["node-affinity"], 16))
            if any(key not in PROPERTIES for key in texts):
                from .qmp.qom import first_leftover

                order = keys if keys is not None else ["qom-type", *texts, "id"]
                visited = {"qom-type", "id", *(k for k in PROPERTIES if k in texts)}
                raise MachineError(f"Invalid parameter '{first_leftover(order, visited)}'")
        except MachineError as exc:
            raise exc.at(option.location) from None
        return cls(option.id, cpus, nodes)

    @classmethod
    def from_values(cls, context_id: str, values: Mapping[str, Sequence[int]]) -> ThreadContext:
        """A context from typed values (``{"cpu-affinity": [0, 1]}``), checked in the order
        given as QEMU's setters check them while the object is created."""
        cpus: tuple[int, ...] | None = None
        nodes: tuple[int, ...] | None = None
        for key, value in values.items():
            if key not in PROPERTIES:
                raise MachineError(f"Parameter '{key}' is unexpected")
            if (cpus if key == "node-affinity" else nodes) is not None:
                raise MachineError("Mixing CPU and node affinity not supported")
            _affinity_cpus(key, value)
            if key == "cpu-affinity":
                cpus = tuple(value)
            else:
                nodes = tuple(value)
        return cls(context_id, cpus, nodes)

    def set_affinity(self, name: str, value: Sequence[int]) -> None:
        """``qom-set`` of ``cpu-affinity`` or ``node-affinity``: applied to the thread at once
        (the other affinity is then forgotten, as in QEMU)."""
        if name == "thread-id":
            raise MachineError("Property 'thread-context.thread-id' is not writable")
        if name not in PROPERTIES:
            raise MachineError(f"Property 'thread-context.{name}' not found")
        cpus = _affinity_cpus(name, value)
        if self._tid >= 0:
            self._apply(cpus)
        if name == "cpu-affinity":
            self.cpu_affinity, self.node_affinity = tuple(value), None
        else:
            self.cpu_affinity, self.node_affinity = None, tuple(value)

    def qom_value(self, name: str) -> Any:
        """``qom-get /objects/ID NAME``."""
        if name == "node-affinity":
            raise MachineError("Property 'thread-context.node-affinity' is not readable")
        if name == "type":
            return QOM_TYPE
        if name == "thread-id":
            return self.thread_id
        if name == "cpu-affinity":
            return sorted(self.cpus)
        raise MachineError(f"Property 'thread-context.{name}' not found")

    def wanted_cpus(self) -> set[int] | None:
        """The property setters' checks: the CPUs asked for (None: the inherited affinity)."""
        if self.cpu_affinity is not None and self.node_affinity is not None:
            raise MachineError("Mixing CPU and node affinity not supported")
        if self.node_affinity is not None:
            cpus = node_cpus(self.node_affinity)
            if not cpus:
                raise MachineError("The nodes select no CPUs")
            return cpus
        return set(self.cpu_affinity) if self.cpu_affinity is not None else None

    def start(self) -> None:
        """Create the context's thread and give it the affinity asked for."""
        cpus = self.wanted_cpus()
        started = threading.Event()
        self._stop = threading.Event()
        thread = threading.Thread(
            target=self._run, args=(started,), name=f"TC {self.id}", daemon=True
        )
        # The thread takes no signal: they stay with the thread that handles them.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        try:
            thread.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        self._thread = thread
        started.wait()
        if cpus is None:
            return
        try:
            self._apply(cpus)
        except MachineError:
            self.stop()
            raise

    def _apply(self, cpus: Iterable[int]) -> None:
        try:
            os.sched_setaffinity(self._tid, cpus)
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise MachineError(f"Setting CPU affinity failed: {reason}") from None

    def _run(self, started: threading.Event) -> None:
        self._tid = threading.get_native_id()
        started.set()
        self._stop.wait()

    def stop(self) -> None:
        """End the context's thread. Idempotent."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()
            self._tid = -1

    @property
    def thread_id(self) -> int:
        """The id of the context's thread (-1 when it is not running)."""
        return self._tid

    @property
    def cpus(self) -> frozenset[int]:
        """The context thread's CPU affinity, read from the thread."""
        if self._tid < 0:
            cpus = self.wanted_cpus()
            return frozenset(cpus if cpus is not None else os.sched_getaffinity(0))
        return frozenset(os.sched_getaffinity(self._tid))

    def query(self) -> dict[str, Any]:
        """The object's readable properties, as ``qom-get`` reads them."""
        return {"id": self.id, "thread-id": self.thread_id, "cpu-affinity": sorted(self.cpus)}


def _affinity_cpus(name: str, value: Sequence[int]) -> set[int]:
    """The CPUs a typed ``cpu-affinity`` or ``node-affinity`` value selects."""
    if not value:
        raise MachineError("CPU list is empty" if name == "cpu-affinity" else "Node list is empty")
    if name == "cpu-affinity":
        return set(value)
    cpus = node_cpus(value)
    if not cpus:
        raise MachineError("The nodes select no CPUs")
    return cpus


def create_all(options: Sequence[ObjectOption]) -> list[ThreadContext]:
    """Start a context for every parsed option, in order; on failure none stays running."""
    contexts: list[ThreadContext] = []
    try:
        for option in options:
            context = ThreadContext.parse(option)
            context.start()
            contexts.append(context)
    except BaseException:
        stop_all(contexts)
        raise
    return contexts


def stop_all(contexts: Iterable[ThreadContext]) -> None:
    for context in contexts:
        context.stop()


def resolve(
    path: str, contexts: Sequence[ThreadContext], others: Sequence[str]
) -> ThreadContext | None:
    """``prealloc-context=PATH`` as QOM resolves a link: None for an empty path.

    ``others`` are the ids of the other objects (not contexts) that exist at that point.
    """
    if not path:
        return None
    named = [(context.id, context) for context in contexts]
    matches = [context for cid, context in named if _path_matches(path, cid)]
    if len(matches) > 1:
        raise MachineError(f"Path '{path}' does not uniquely identify an object")
    if matches:
        return matches[0]
    if any(_path_matches(path, oid) for oid in others) or _names_container(path):
        raise MachineError(
            "Invalid parameter type for 'prealloc-context', expected: thread-context"
        )
    error = MachineError(f"Device '{path}' not found")
    error.qmp_class = "DeviceNotFound"
    raise error


def _path_matches(path: str, object_id: str) -> bool:
    parts = [part for part in path.split("/") if part]
    full = ["objects", object_id]
    if path.startswith("/"):
        return parts == full
    return 0 < len(parts) <= 2 and full[-len(parts) :] == parts


def _names_container(path: str) -> bool:
    """A path naming one of the containers every machine has."""
    return path.strip("/") in ("objects", "machine") or path == "/"


def preallocation_cpus(
    backend: HostMemoryBackend, context: ThreadContext | None, *, local: bool
) -> frozenset[int] | None:
    """The CPUs a backend's preallocation threads run on; None: wherever the process may.

    A named context decides. Otherwise, with ``local``, a backend bound to host nodes
    (``policy=bind`` or ``preferred``) uses the CPUs of those nodes that the process may use.
    """
    if context is not None:
        return context.cpus
    if not local or backend.policy not in ("bind", "preferred") or not backend.host_nodes:
        return None
    cpus = node_cpus(backend.host_nodes) & os.sched_getaffinity(0)
    return frozenset(cpus) or None
