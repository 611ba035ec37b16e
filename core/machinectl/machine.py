"""The machine pipeline: from QEMU options to a board with real guest RAM.

:meth:`Machine.build` is the whole story, top to bottom, in the order QEMU 5.0's refactor
fixed, except that every check runs before any host memory is allocated (a wrong ``-m`` never
costs a 64 GiB preallocation first):

parse options → select the board → size main RAM (``-m``) → create backend objects, not yet
allocated → resolve ``-machine memory-backend`` → NUMA options → size checks → the default
backend → the automatic NUMA node → NUMA completion → board validation → the memory-lock
budget → start thread contexts → lock memory → allocate → ``MachineState.ram`` →
``init_board``.

Backends with ``prealloc=on`` are preallocated all at once by one pool of threads
(:mod:`machinectl.prealloc_pool`); ``MACHINECTL_PREALLOC=qemu-7.2`` preallocates them one
after the other as QEMU 7.2 does, and pins threads only to a ``prealloc-context``.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType

from ._record import TYPE_CHECKING

if TYPE_CHECKING:
    import attrs
else:
    from . import _record as attrs

from . import signals
from .boards import EVERY_TARGET, Board
from .cmdline import split_run_args
from .errors import MachineError, UsageError, did_you_mean
from .hostmem import (
    BACKEND_TYPES,
    BackendDefaults,
    HostMemoryBackend,
    create_default_backend,
    resolve_backend,
)
from .index import check_target
from .memdev import (
    TARGET_DEVICES,
    VIRTIO_MEM,
    DeviceMemory,
    DeviceOption,
    Listener,
    MemoryDevice,
    Placer,
    RamChange,
    device_region,
    map_devices,
)
from .memory import FlatRange, MemoryRegion, flatten, mtree_dict, mtree_flat_text, mtree_text
from .options import (
    EPC_BACKEND,
    MAX_SMP_CPUS,
    THREAD_CONTEXT,
    CommandLine,
    ObjectOption,
    check_id,
    keyval_size,
    keyval_uint,
    opts_number,
    opts_size,
    parse_bool,
)
from .plugins import ENV_TARGET, Registry, default_registry
from .state import MachineState
from .topology import default_topology, parse_smp

if TYPE_CHECKING:
    from typing import Any

    from . import threadctx
    from .snapshot import Snapshot, Tracker

#: Chooses how backends are preallocated: ``parallel`` (the default) or ``qemu-7.2``.
ENV_PREALLOC = "MACHINECTL_PREALLOC"
PREALLOC_MODES = ("parallel", "qemu-7.2")
RAM_ALIGN = 8192
#: ``-machine nvdimm-persistence=cpu|mem-ctrl``, which every machine with ``nvdimm`` has.
NVDIMM_PERSISTENCE = "nvdimm-persistence"
U64 = 1 << 64
GENERIC_PROPERTIES = {
    "type": "str",
    "memory-backend": "str",
    "mem-merge": "bool",
    "dump-guest-core": "bool",
    "memory.size": "size",
    "memory.slots": "int",
    "memory.max-size": "size",
}

Progress = Callable[[str, int, int], None]


@attrs.frozen
class RamSize:
    """Main RAM as ``-m`` (or its absence) asks for it."""

    size: int
    maxram_size: int
    slots: int
    #: QEMU 7.2's ``have_custom_ram_size``: a nonzero size was given.
    custom: bool


@attrs.frozen
class GuestRamRange:
    """A range of guest-physical addresses backed by host memory."""

    #: Where the range starts in the guest-physical address space.
    guest_address: int
    #: Its size in bytes.
    size: int
    #: The host address of its first byte (in this process).
    host_address: int
    #: The id of the backend that holds it.
    memdev: str


@attrs.define(eq=False)
class GuestRam:
    """Main RAM as the program that embeds machinectl sees it."""

    #: The name of main RAM (the board's default RAM id, or the ``memory-backend``'s).
    id: str
    #: Its size in bytes.
    size: int
    #: The backend that holds it, or the backend of each NUMA node, in address order.
    backends: tuple[HostMemoryBackend, ...]

    def __repr__(self) -> str:
        backends = ", ".join(repr(backend.id) for backend in self.backends)
        return f"GuestRam(id={self.id!r}, size={self.size}, backends=[{backends}])"

    @property
    def view(self) -> memoryview:
        """All of main RAM as one writable byte view (a single backend only)."""
        if len(self.backends) != 1:
            raise MachineError(
                f"main RAM '{self.id}' is made of {len(self.backends)} NUMA backends; "
                "use the view of each backend"
            )
        return self.backends[0].view()

    @property
    def host_address(self) -> int:
        """The host address of main RAM's first byte (a single backend only)."""
        if len(self.backends) != 1:
            raise MachineError(f"main RAM '{self.id}' has no single host address")
        return self.backends[0].host_address


@attrs.define(eq=False)
class Machine:
    """A built machine: its board state, its backends and its guest RAM.

    Build one with :meth:`from_argv` (QEMU's options) or :meth:`create` (keyword arguments).
    Use it as a context manager, or call :meth:`close`, to release the host memory.
    """

    #: The machine as the board hooks saw it (board, sizes, NUMA, the memory tree).
    state: MachineState
    #: The registry the board was selected from.
    registry: Registry
    #: Every memory backend: ``-object`` ones, then the automatic main-RAM backend.
    backends: list[HostMemoryBackend]
    #: The backend (or NUMA backends) that hold main RAM.
    ram_backends: tuple[HostMemoryBackend, ...]
    #: Whether host memory was allocated (False for a dry run: ``allocate=False``).
    allocated: bool
    #: Warnings, as the command line prints them after ``machinectl: warning:``.
    warnings: list[str] = attrs.field(factory=list)
    #: Whether :meth:`close` was called.
    closed: bool = False
    #: Plain notices (see :meth:`MachineState.notice`), in the order they were given.
    notices: list[str] = attrs.field(factory=list)
    #: The QEMU target the machine was built for: the one asked for, else the board's first
    #: (None for a board of every target, such as ``none``, when no target was asked for).
    target: str | None = None
    #: Write tracking for snapshots (:mod:`machinectl.snapshot`), opened by the first one.
    _tracker: Tracker | None = attrs.field(default=None, init=False, repr=False)
    #: Held by a snapshot, a restore and close(): closing from another thread waits for them.
    _memory_lock: threading.RLock = attrs.field(factory=threading.RLock, init=False, repr=False)
    #: Places and checks memory devices (None until the machine is built).
    placer: Placer | None = None
    #: The board's device-memory declaration and the container the devices are mapped in.
    device_memory: DeviceMemory | None = None
    _device_container: MemoryRegion | None = None
    _listeners: list[Listener] = attrs.field(factory=list)
    #: QMP events not yet taken by :meth:`take_events` (``DEVICE_DELETED`` ...).
    events: list[dict[str, Any]] = attrs.field(factory=list)
    #: What backends added at run time start with (the machine's ``-mem-prealloc``, CPUs ...).
    backend_defaults: BackendDefaults = attrs.field(factory=BackendDefaults)
    #: ``("add" | "del", id)`` in the order ``/objects`` gained and lost children: QEMU lists
    #: them in the order of its hash table, which depends on that history.
    object_log: list[tuple[str, str]] = attrs.field(factory=list)
    #: The ``thread-context`` objects, in command-line order.
    contexts: list[threadctx.ThreadContext] = attrs.field(factory=list)
    #: ``-overcommit mem-lock``: ``off``, ``on`` or ``on-fault``.
    mem_lock: str = "off"
    _locked: bool = attrs.field(default=False, init=False)
    #: The context each backend's ``prealloc-context`` named when the backend was created.
    _context_links: dict[str, threadctx.ThreadContext] = attrs.field(
        factory=dict, init=False, repr=False
    )

    # -- constructors ----------------------------------------------------------------------

    @classmethod
    def from_argv(
        cls,
        argv: Sequence[str],
        *,
        target: str | None = None,
        registry: Registry | None = None,
        allocate: bool = True,
        progress: Progress | None = None,
    ) -> Machine:
        """Build a machine from QEMU's command-line options (``-M``, ``-m``, ``-object`` ...).

        ``target`` chooses among machine types of the same name (``aarch64`` or ``riscv64``
        for ``virt``), as choosing the QEMU binary does; see :meth:`Registry.board`.
        ``argv`` is a list of strings, as in ``sys.argv``; anything else is a ``TypeError``.
        As ``machinectl run`` does, QEMU options that are not about RAM (``-drive``,
        ``-nographic``, ``-netdev`` ...) are ignored, with a warning in :attr:`warnings`.
        """
        _check_argv(argv)
        _check_build_arguments("from_argv", registry, allocate, progress, target)
        split = split_run_args(argv)
        if split.own:  # the flags of ``machinectl run`` are no QEMU options
            raise UsageError(f"{split.own[0]}: invalid option")
        line = CommandLine.from_argv(split.ram)
        machine = cls.build(line, registry, allocate, progress, target=target)
        if split.ignored:
            machine.warnings.insert(0, f"ignored, not about RAM: {'; '.join(split.ignored)}")
        return machine

    @classmethod
    def create(
        cls,
        machine: str,
        ram: int | str | None = None,
        *,
        objects: Sequence[Mapping[str, object]] = (),
        memory_backend: str | None = None,
        properties: Mapping[str, object] | None = None,
        mem_path: str | None = None,
        mem_prealloc: bool = False,
        numa: Sequence[Mapping[str, object]] = (),
        devices: Sequence[Mapping[str, object]] = (),
        smp: int = 1,
        mem_lock: str = "off",
        target: str | None = None,
        registry: Registry | None = None,
        allocate: bool = True,
        progress: Progress | None = None,
    ) -> Machine:
        """Build a machine from keyword arguments: the same pipeline as :meth:`from_argv`.

        ``mem_lock`` is ``-overcommit mem-lock=`` (``off``, ``on`` or ``on-fault``).

        ``ram`` is a byte count or a QEMU size string (``"4G"``; a bare number means MiB, as
        with ``-m``). ``objects`` are backend property mappings such as
        ``{"qom-type": "memory-backend-memfd", "id": "m0", "size": "1G"}``. Property values
        are strings, integers or booleans (``on``/``off``).

        The arguments are turned into the command line they stand for (:func:`create_argv`)
        and parsed as :meth:`from_argv` parses it: the same inputs are refused with the same
        messages. An argument of the wrong type is a ``TypeError`` naming it.
        ``devices`` are memory devices such as
        ``{"driver": "pc-dimm", "id": "d1", "memdev": "m0"}`` (``-device``).
        """
        argv = create_argv(
            machine,
            ram,
            objects=objects,
            memory_backend=memory_backend,
            properties=properties,
            mem_path=mem_path,
            mem_prealloc=mem_prealloc,
            numa=numa,
            smp=smp,
        )
        argv = [*argv, *(arg for spec in devices for arg in ("-device", _device_text(spec)))]
        if mem_lock != "off":
            argv = [*argv, "-overcommit", f"mem-lock={_option_value('mem_lock', mem_lock)}"]
        _check_build_arguments("create", registry, allocate, progress, target)
        return cls.build(CommandLine.from_argv(argv), registry, allocate, progress, target=target)

    # -- the pipeline --------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        line: CommandLine,
        registry: Registry | None = None,
        allocate: bool = True,
        progress: Progress | None = None,
        *,
        target: str | None = None,
    ) -> Machine:
        """Run the pipeline on parsed options. Nothing is allocated unless every check passed.

        A :class:`MachineError` carries the warnings given before it (``warnings``).
        """
        given: list[list[str]] = []
        try:
            return cls._build(line, registry, allocate, progress, target, given)
        except MachineError as exc:
            exc.warnings = (*(text for texts in given for text in texts), *exc.warnings)
            raise

    @classmethod
    def _build(
        cls,
        line: CommandLine,
        registry: Registry | None,
        allocate: bool,
        progress: Progress | None,
        target: str | None,
        given: list[list[str]],
    ) -> Machine:
        registry = registry if registry is not None else default_registry()
        warnings = list(line.warnings)
        given.append(warnings)
        # QEMU creates thread contexts before it looks at the machine type.
        contexts = _create_thread_contexts(line)
        board = _select_board(line, registry, target)
        if board.spec.deprecated and board.spec.deprecation_reason:
            warnings.append(
                f"Machine type '{board.name}' is deprecated: {board.spec.deprecation_reason}"
            )
        # QEMU checks this conflict before it sets the machine's properties.
        _check_mem_path_conflict(line)
        properties = _machine_properties(line, board)
        state = MachineState(board=board, ram_size=0, maxram_size=0, smp_cpus=line.smp_cpus)
        given.append(state.warnings)
        state.topology = (
            parse_smp(line.smp_config, board.spec, MAX_SMP_CPUS)
            if line.smp_given
            else default_topology(board.spec)
        )
        state.cpu_type, state.firmware = line.cpu, line.bios
        state.target = _resolved_target(board, target)
        size = _ram_size(line, properties, registry, state)
        state.ram_size, state.maxram_size, state.ram_slots = (
            size.size,
            size.maxram_size,
            size.slots,
        )
        state.properties = {k: v for k, v in properties.items() if k not in GENERIC_PROPERTIES}
        backends = _create_backends(line, properties, board, contexts, state.topology.cpus)
        memdev = _resolve_memory_backend(properties, backends, state, size)
        # machinectl.numa is loaded only for a machine with NUMA nodes (most have none).
        if line.numa:
            from . import numa

            state.numa = numa.configure(line.numa, state, backends)
        _check_backend_size(memdev, state)
        ram_id = registry.default_ram_id(board)
        default = _create_default_backend(line, properties, backends, memdev, state, ram_id)
        if default is not None:
            # Created (and mapped) by QEMU before NUMA is completed and the board checks RAM.
            default.check_created()
            backends.append(default)
            memdev = default
        if state.numa is not None or board.spec.numa:
            from . import numa

            state.numa = numa.automatic_node(state.numa, state)
            numa.complete(state.numa, state, memdev, ram_id)
        registry.validate_ram(state)
        mode = _prealloc_mode()
        _check_mem_lock(line.mem_lock, backends, mode)
        machine = cls(state, registry, backends, (), allocated=False, warnings=warnings)
        machine.target = state.target
        machine.backend_defaults = _backend_defaults(line, properties, board, state.topology.cpus)
        # QEMU creates the contexts first, wherever they are on the command line.
        ids = [context.id for context in contexts] + [backend.id for backend in backends]
        machine.object_log = [("add", object_id) for object_id in ids]
        machine.contexts, machine.mem_lock = contexts, line.mem_lock
        for backend in backends:
            context = machine._link_context(backend)
            if context is not None:
                machine._context_links[backend.id] = context
        machine._place_devices(line.devices, memdev)
        try:
            for context in contexts:
                context.start()
            if allocate:
                _place_preallocation(backends, contexts, local=mode == "parallel")
                machine._locked = _lock_memory(line.mem_lock)
                if mode == "parallel":
                    machine._allocate_in_parallel(progress)
                else:
                    machine._allocate(progress)
            state.ram, machine.ram_backends = _main_ram(state, memdev, ram_id)
            registry.init_board(state)
            machine._map_devices()
        except BaseException:
            machine._release(abandon=True)
            raise
        machine.warnings.extend(state.warnings)
        machine.notices.extend(state.notices)
        return machine

    def _place_devices(
        self, options: Sequence[DeviceOption], memdev: HostMemoryBackend | None
    ) -> None:
        """Check and place every ``-device`` before anything is allocated."""
        state = self.state
        self.device_memory = self.registry.memory_devices(state)
        busy = {memdev.id} if memdev is not None else set()
        if state.numa is not None:
            busy.update(n.backend.id for n in state.numa.nodes if n.backend is not None)
        self.placer = Placer(state, self.device_memory, self.target, self.backends, busy=busy)
        self.placer.contexts = self.contexts
        for option in options:
            before = len(state.warnings)
            try:
                self.placer.plug(option)
            except MachineError as exc:
                raise exc.at(option.location) from None
            state.warnings[before:] = [
                f"{option.location}: warning: {text}" for text in state.warnings[before:]
            ]

    def _map_devices(self) -> None:
        assert self.placer is not None
        self._device_container = map_devices(self.state, self.device_memory)
        for device in self.placer.devices:
            self._map_device(device)

    def _map_device(self, device: MemoryDevice) -> None:
        device.backend.mapped = True
        if not device.placed or self._device_container is None:
            return
        assert self.device_memory is not None
        device.region = device_region(device)
        self._device_container.add_subregion(device.addr - self.device_memory.base, device.region)

    def _allocate(self, progress: Progress | None) -> None:
        for backend in self.backends:
            report = None
            if progress is not None:
                report = _bind_progress(progress, backend.id)
            backend.allocate(report)
            self.warnings.extend(backend.warnings)
        self.allocated = True

    def _allocate_in_parallel(self, progress: Progress | None) -> None:
        """Map every backend, then preallocate all of them at once, with one progress line
        whose name is the backends' ids joined by commas."""
        for backend in self.backends:
            backend.allocate(defer_prealloc=True)
            self.warnings.extend(backend.warnings)
        jobs = [job for b in self.backends if (job := b.preallocation_job()) is not None]
        if not jobs:
            self.allocated = True
            return
        from . import prealloc, prealloc_pool

        report = None
        if progress is not None and jobs:
            report = _bind_progress(progress, ",".join(job.name for job in jobs))
            report(0, sum(-(-job.size // job.page_size) * job.page_size for job in jobs))
        try:
            prealloc_pool.preallocate_all(jobs, report)
        except prealloc.ThreadCreationError as exc:
            raise MachineError(
                f"qemu_thread_create: {os.strerror(exc.errno or errno.EAGAIN)}",
                hint=f"backend '{jobs[0].name}' preallocates with up to "
                f"{max(b.prealloc_threads for b in self.backends)} threads; a limit on threads, "
                "processes or address space stopped one",
            ) from None
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise MachineError(
                f"qemu_prealloc_mem: preallocating memory failed: {reason}"
            ) from None
        self.allocated = True

    # -- results -----------------------------------------------------------------------------

    @property
    def board(self) -> Board:
        """The selected machine type."""
        return self.state.board

    @property
    def ram(self) -> GuestRam | None:
        """Main RAM (None when the machine has none)."""
        if self.state.ram is None:
            return None
        return GuestRam(self.state.ram.name, self.state.ram_size, self.ram_backends)

    def ram_ranges(self) -> list[GuestRamRange]:
        """Where guest RAM is visible, with the host address behind each range.

        This is what a CPU emulator maps (``mem_map_ptr(guest_address, size, host_address)``).
        """
        ranges = []
        for flat in flatten(self.state.system_memory):
            backend = flat.region_ref.backend
            if backend is None:
                continue
            ranges.append(
                GuestRamRange(
                    guest_address=flat.start,
                    size=flat.size,
                    host_address=backend.host_address + flat.offset,
                    memdev=backend.id,
                )
            )
        return ranges

    def region_at(self, address: int) -> FlatRange | None:
        """The piece of the flat view (``info mtree -f``) that holds ``address``.

        None where nothing is mapped. Aliases are resolved: the range names the region that
        really holds the bytes (main RAM, a window), with ``offset`` into it.
        """
        return next(
            (r for r in flatten(self.state.system_memory) if r.start <= address < r.end), None
        )

    def ram_offset(self, address: int) -> tuple[str, int]:
        """Which backend holds the guest RAM byte at ``address``: ``(memdev id, offset)``.

        The offset counts from the start of that backend's memory (``backend.view()``; for a
        machine of one backend, ``machine.ram.view``). An address outside guest RAM is a
        :class:`MachineError`.
        """
        flat = self.region_at(address)
        backend = None if flat is None else flat.region_ref.backend
        if flat is None or backend is None:
            raise MachineError(f"no guest RAM at address {address:#x}")
        return backend.id, flat.offset + address - flat.start

    def guest_address(self, memdev: str, offset: int) -> int:
        """The lowest guest address where byte ``offset`` of backend ``memdev`` is visible.

        The reverse of :meth:`ram_offset`. A byte that aliases show at several places is
        found at the lowest; a byte the guest cannot see (hidden by a window, or beyond what
        the board maps) is a :class:`MachineError`.
        """
        if not any(b.id == memdev for b in self.backends):
            raise MachineError(f"no memory backend '{memdev}'")
        for flat in flatten(self.state.system_memory):
            backend = flat.region_ref.backend
            shown = backend is not None and backend.id == memdev
            if shown and flat.offset <= offset < flat.offset + flat.size:
                return flat.start + offset - flat.offset
        raise MachineError(f"byte {offset:#x} of memory backend '{memdev}' is not visible")

    def guest_view(self, address: int, size: int) -> memoryview:
        """A byte view of guest RAM ``[address, address + size)``, without copying (writable
        unless the backend is read-only).

        The range must be RAM of one backend, contiguous in it: one that crosses a hole, a
        window or the end of a backend is a :class:`MachineError`. Release the view before
        the machine is closed to unmap the memory at once.
        """
        if size <= 0:
            raise MachineError(f"invalid size {size:#x} of a guest range")
        memdev, first = self.ram_offset(address)
        cursor = address
        while cursor < address + size:
            flat = self.region_at(cursor)
            backend = None if flat is None else flat.region_ref.backend
            if (
                flat is None
                or backend is None
                or backend.id != memdev
                or flat.offset + cursor - flat.start != first + cursor - address
            ):
                raise MachineError(
                    f"guest range {address:#x}+{size:#x} is not contiguous RAM of "
                    f"'{memdev}': it crosses {cursor:#x}"
                )
            cursor = flat.end
        backend = next(b for b in self.backends if b.id == memdev)
        whole = backend.view()
        try:
            return whole[first : first + size]
        finally:
            whole.release()

    def query(self) -> dict[str, Any]:
        """The machine as plain data: what ``machinectl run --json`` prints."""
        board = self.state.board
        summary: dict[str, int] = {"base-memory": self.state.ram_size}
        # QEMU binaries built with memory devices report them for every machine type.
        if board.spec.memory_devices or TARGET_DEVICES.get(self.target or ""):
            summary["plugged-memory"] = sum(d.plugged_size for d in self.memory_devices)
        return {
            "machine": {
                "type": board.name,
                "alias": board.spec.alias,
                "family": board.spec.family,
                "target": self.target,
                "targets": list(board.targets),
                "plugin": board.plugin,
                "distribution": board.distribution,
                "default-ram-id": self.registry.default_ram_id(board),
                "ram-size": self.state.ram_size,
                "maxram-size": self.state.maxram_size,
                "slots": self.state.ram_slots,
                "allocated": self.allocated,
            },
            "memdev": [backend.query() for backend in self.backends],
            "memory-size-summary": summary,
            "memory-devices": self.query_memory_devices(),
            "numa": self._numa_query(),
            "thread-contexts": [context.query() for context in self.contexts],
            "mem-lock": self.mem_lock,
            "mtree": mtree_dict(self.state.system_memory),
            "notices": list(self.notices),
        }

    # -- memory devices ------------------------------------------------------------------------

    @property
    def memory_devices(self) -> list[MemoryDevice]:
        """The memory devices, in address order (as ``query-memory-devices`` lists them)."""
        devices = self.placer.devices if self.placer is not None else []
        return sorted(devices, key=lambda d: d.addr)

    def query_memory_devices(self) -> list[dict[str, Any]]:
        """QMP's ``query-memory-devices``."""
        return [device.query() for device in self.memory_devices]

    def memory_devices_text(self) -> str:
        """HMP's ``info memory-devices``."""
        return "".join(device.info_text() for device in self.memory_devices)

    def memory_device(self, device_id: str) -> MemoryDevice:
        """The memory device with id ``device_id`` (QEMU's ``Device 'ID' not found``)."""
        for device in self.memory_devices:
            if device.id == device_id:
                return device
        raise MachineError(f"Device '{device_id}' not found")

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(change)`` with a :class:`RamChange` whenever the RAM map changes.

        Returns a function that ends the subscription.
        """
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def take_events(self) -> list[dict[str, Any]]:
        """The QMP events raised since the last call (``DEVICE_DELETED`` ...), oldest first."""
        events, self.events = self.events, []
        return events

    def object_add(self, spec: Mapping[str, object]) -> HostMemoryBackend:
        """Create and allocate a memory backend at run time, as ``-object`` would give it.

        ``spec`` holds ``qom-type``, ``id`` and the backend's properties, as values or as
        QEMU option strings (``{"qom-type": "memory-backend-memfd", "id": "m1", "size":
        "1G"}``). :meth:`add_backend` takes typed values instead (QMP's ``object-add``).
        """
        self._check_open()
        items = {k: _option_value(k, v) for k, v in spec.items()}
        qom_type = items.pop("qom-type", "")
        object_id = items.pop("id", "")
        self._check_new_id(object_id)
        if qom_type == THREAD_CONTEXT:
            raise MachineError(
                "object_add creates memory backends: create a thread-context with "
                "add_thread_context",
                location="",
            )
        text = ",".join([qom_type, f"id={object_id}", *(f"{k}={v}" for k, v in items.items())])
        option = ObjectOption(qom_type, object_id, tuple(items.items()), text)
        backend = HostMemoryBackend.from_option(option, self.backend_defaults, self.warnings.append)
        return self._complete_backend(backend, self._link_context(backend))

    def object_del(self, object_id: str) -> None:
        """Delete a backend no device or RAM uses, or a thread context (QMP's ``object-del``).

        A backend that named the context keeps its memory; its ``prealloc-context`` reads
        empty from then on, as in QEMU.
        """
        self._check_open()
        context = next((c for c in self.contexts if c.id == object_id), None)
        if context is None:
            self.remove_backend(object_id)
            return
        context.stop()
        self.contexts.remove(context)
        self.object_log.append(("del", object_id))
        for backend_id, linked in list(self._context_links.items()):
            if linked is context:
                del self._context_links[backend_id]

    def add_thread_context(
        self, context_id: str, values: Mapping[str, Sequence[int]] | None = None
    ) -> threadctx.ThreadContext:
        """Create a ``thread-context`` after the build (QMP's ``object-add``) and start its
        thread; backends added later may name it as their ``prealloc-context``.

        ``values`` are typed: ``{"cpu-affinity": [0, 1]}`` or ``{"node-affinity": [0]}``
        (host CPU and node numbers). QEMU's checks and messages; nothing is added when one
        fails.
        """
        from . import threadctx

        self._check_open()
        check_id(context_id)
        context = threadctx.ThreadContext.from_values(context_id, values or {})
        self._check_new_id(context_id)
        # As in QEMU, the object is a child of /objects while it completes (an affinity the
        # kernel refuses removes it again, which reorders QEMU's table).
        self.object_log.append(("add", context_id))
        try:
            context.start()
        except BaseException:
            self.object_log.append(("del", context_id))
            raise
        self.contexts.append(context)
        return context

    def set_prealloc_context(self, backend: HostMemoryBackend, path: str) -> None:
        """Point ``backend``'s ``prealloc-context`` at another context (``qom-set``; "" for
        none). A preallocation from then on (``prealloc`` set on) runs on its CPUs."""
        from . import threadctx

        others = [b.id for b in self.backends if b is not backend]
        context = threadctx.resolve(path, self.contexts, others)
        self._context_links.pop(backend.id, None)
        if context is not None:
            self._context_links[backend.id] = context
        local = _prealloc_mode() == "parallel"
        backend.prealloc_cpus = threadctx.preallocation_cpus(backend, context, local=local)

    def prealloc_context_of(self, backend: HostMemoryBackend) -> threadctx.ThreadContext | None:
        """The thread context ``backend``'s ``prealloc-context`` names, while it exists."""
        return self._context_links.get(backend.id)

    def _check_new_id(self, object_id: str) -> None:
        """QEMU's error for an id another object of ``/objects`` has."""
        ids = [backend.id for backend in self.backends] + [c.id for c in self.contexts]
        if object_id in ids:
            raise MachineError(
                f"attempt to add duplicate property '{object_id}' to object (type 'container')"
            )

    def _link_context(self, backend: HostMemoryBackend) -> threadctx.ThreadContext | None:
        """The context ``prealloc-context`` names among the objects that exist now (QEMU's
        errors for a missing or wrong object); a backend added at run time also gets the
        CPUs of its preallocation threads (the build places its own backends together)."""
        context = None
        if backend.prealloc_context:
            from . import threadctx

            others = [b.id for b in self.backends if b is not backend]
            context = threadctx.resolve(backend.prealloc_context, self.contexts, others)
        if self.allocated and backend.prealloc:
            from . import threadctx

            local = _prealloc_mode() == "parallel"
            backend.prealloc_cpus = threadctx.preallocation_cpus(backend, context, local=local)
        return context

    def device_add(self, spec: Mapping[str, object]) -> MemoryDevice:
        """Hot-plug a memory device (QMP's ``device_add``): ``{"driver": ..., "id": ...}``.

        The device is checked and placed as on the command line; its memory is in the guest
        map when this returns, and subscribers have been told.
        """
        self._check_open()
        assert self.placer is not None
        option = _device_option(spec)
        device = self.placer.plug(option, hotplugged=True)
        try:
            self._map_device(device)
        except BaseException:
            self.placer.unplug(device)
            device.backend.mapped = False
            raise
        self._notify_device("add", device)
        return device

    def device_del(self, device_id: str) -> None:
        """Unplug a DIMM (QMP's ``device_del``), acknowledging for the guest at once.

        QEMU asks the guest to eject a DIMM through ACPI and finishes only when it does;
        machinectl has no guest, so it ejects at once: the memory leaves the guest map,
        subscribers are told, and a ``DEVICE_DELETED`` event is queued. virtio devices and
        NVDIMMs cannot be unplugged (QEMU 7.2's rules).
        """
        self._check_open()
        assert self.placer is not None
        device = self.memory_device(device_id)
        area = self.placer.area
        if device.devfn is not None and area is not None:
            # A device on a root bus without hotplug: the bus refuses first, as in QEMU.
            refusal = area.hotplug_refusals.get(device.driver)
            if refusal is not None:
                raise MachineError(refusal)
        if not device.is_dimm:
            raise MachineError("virtio based memory devices cannot be unplugged.")
        if device.driver in ("nvdimm", "spapr-nvdimm"):
            raise MachineError("nvdimm device hot unplug is not supported yet.")
        self._notify_device("remove", device)
        if device.region is not None and self._device_container is not None:
            self._device_container.remove_subregion(device.region)
        device.region = None
        self.placer.unplug(device)
        device.backend.mapped = False
        self.events.append(
            {
                "event": "DEVICE_DELETED",
                "data": {"device": device_id, "path": f"/machine/peripheral/{device_id}"},
            }
        )

    def set_requested_size(self, device_id: str, size: int) -> None:
        """Change a virtio-mem device's ``requested-size`` (``qom-set``)."""
        self._check_open()
        device = self.memory_device(device_id)
        if device.driver != VIRTIO_MEM:
            raise MachineError(f"Property '{device.driver}.requested-size' not found")
        if size % device.block_size:
            raise MachineError(
                f"'requested-size' has to be multiples of 'block-size' ({device.block_size:#x})"
            )
        if size > device.size:
            raise MachineError(
                f"'requested-size' cannot exceed the memory backend size({device.size:#x})"
            )
        device.requested_size = size

    def virtio_mem_plug(self, device_id: str, offset: int, size: int, plug: bool = True) -> None:
        """The guest's side of virtio-mem: plug (or unplug) ``size`` bytes at ``offset``.

        As the device does for a driver's request: the range must be block-aligned and inside
        the device, plugging may not exceed ``requested-size`` and unplugging may not go
        below it. The device's ``size`` follows, a ``MEMORY_DEVICE_SIZE_CHANGE`` event is
        queued and subscribers hear ``plug``/``unplug``.
        """
        self._check_open()
        device = self._virtio_mem(device_id)
        block = device.block_size
        if offset % block or size % block or size <= 0 or offset + size > device.size:
            raise MachineError(
                f"invalid virtio-mem range [{offset:#x}:{size:#x}] for device '{device_id}' "
                f"(block size {block:#x}, size {device.size:#x})"
            )
        first, count = offset // block, size // block
        wanted = 1 if plug else 0
        if any(b == wanted for b in device.blocks[first : first + count]):
            state = "plugged" if plug else "unplugged"
            raise MachineError(f"virtio-mem range [{offset:#x}:{size:#x}] is already {state}")
        after = device.plugged_size + (size if plug else -size)
        if plug and after > device.requested_size:
            raise MachineError(
                f"plugging {size:#x} bytes would exceed 'requested-size' "
                f"({device.requested_size:#x})"
            )
        device.blocks[first : first + count] = bytes([wanted]) * count
        self._notify_range("plug" if plug else "unplug", device, offset, size)
        self.events.append(
            {
                "event": "MEMORY_DEVICE_SIZE_CHANGE",
                "data": {"id": device_id, "size": device.plugged_size},
            }
        )

    def virtio_mem_follow(self, device_id: str) -> int:
        """Act as the Linux driver: plug or unplug blocks until ``size == requested-size``.

        Plugs the lowest unplugged blocks first and unplugs the highest plugged ones first,
        one contiguous range at a time. Returns the new ``size``.
        """
        device = self._virtio_mem(device_id)
        block = device.block_size
        while device.plugged_size != device.requested_size:
            plug = device.plugged_size < device.requested_size
            need = abs(device.requested_size - device.plugged_size) // block
            indexes = range(len(device.blocks))
            order = indexes if plug else reversed(indexes)
            start = next(i for i in order if device.blocks[i] == (0 if plug else 1))
            end = start
            step = 1 if plug else -1
            while (
                abs(end - start) < need
                and 0 <= end < len(device.blocks)
                and device.blocks[end] == (0 if plug else 1)
            ):
                end += step
            lo, hi = (start, end) if plug else (end + 1, start + 1)
            self.virtio_mem_plug(device_id, lo * block, (hi - lo) * block, plug)
        return device.plugged_size

    def _virtio_mem(self, device_id: str) -> MemoryDevice:
        device = self.memory_device(device_id)
        if device.driver != VIRTIO_MEM:
            raise MachineError(f"device '{device_id}' is not a virtio-mem device")
        return device

    def _notify_device(self, action: str, device: MemoryDevice) -> None:
        if device.region is not None:
            self._notify_range(action, device, 0, device.size)

    def _notify_range(self, action: str, device: MemoryDevice, offset: int, size: int) -> None:
        change = RamChange(
            action=action,
            guest_address=device.addr + offset,
            size=size,
            host_address=device.backend.host_address + offset if self.allocated else 0,
            memdev=device.backend.id,
            device=device.id,
        )
        for listener in list(self._listeners):
            listener(change)

    def _check_open(self) -> None:
        if self.closed:
            raise MachineError("the machine is closed")

    def mtree_text(self, flat: bool = False) -> str:
        """The memory map in the format of QEMU's ``info mtree`` (``-f`` with flat)."""
        root = self.state.system_memory
        return mtree_flat_text(root) if flat else mtree_text(root)

    def _numa_query(self) -> list[dict[str, Any]]:
        if self.state.numa is None:
            return []
        from . import numa

        return numa.query(self.state.numa)

    def numa_text(self, *, distances: bool = False) -> str:
        """The guest NUMA nodes in the format of QEMU's ``info numa``; with ``distances``,
        followed by the distance table as ``numactl --hardware`` shows it (``run`` does)."""
        if self.state.numa is None:
            return "0 nodes\n"  # what numa.info_text says, without loading it
        plugged: dict[int, int] = {}
        for device in self.memory_devices:
            # QEMU 7.2 counts a virtio-pmem device in node 0, whatever its memdev's node.
            node = 0 if device.driver == "virtio-pmem-pci" else device.node
            plugged[node] = plugged.get(node, 0) + device.plugged_size
        from . import numa

        return numa.info_text(self.state.numa, plugged, distances=distances)

    def qmp(self, command: str, **arguments: Any) -> Any:
        """Run a QMP command in-process: ``machine.qmp("query-memdev")``.

        Returns the command's ``return`` value; a refusal raises
        :class:`machinectl.qmp.QmpError` with QEMU's error class and text.
        """
        from .qmp.commands import execute

        return execute(self, command, arguments)

    # -- backends at run time ------------------------------------------------------------------

    def add_backend(
        self, qom_type: str, backend_id: str, values: Mapping[str, Any]
    ) -> HostMemoryBackend:
        """Create, and allocate when the machine is, a backend after the build (``object-add``).

        ``values`` are typed property values by QEMU name (``{"size": 1 << 30, "share":
        True}``). Nothing is added when a check or the allocation fails.
        """
        backend_type = BACKEND_TYPES.get(qom_type)
        if backend_type is None:
            raise MachineError(f"Parameter 'qom-type' does not accept value '{qom_type}'")
        for key in values:
            if key not in backend_type.properties:
                raise MachineError(f"Parameter '{key}' is unexpected")
        for key in backend_type.required:
            if key not in values:
                raise MachineError(f"Parameter '{key}' is missing")
        check_id(backend_id)

        def link(path: str) -> object:
            from . import threadctx

            return threadctx.resolve(path, self.contexts, [b.id for b in self.backends])

        backend = backend_type._create(backend_id, dict(values), self.backend_defaults, link)
        context = self._link_context(backend)
        self._check_new_id(backend_id)
        return self._complete_backend(backend, context)

    def _complete_backend(
        self, backend: HostMemoryBackend, context: threadctx.ThreadContext | None = None
    ) -> HostMemoryBackend:
        """Check and allocate a backend created at run time, then add it to the machine.

        As in QEMU, the object is a child of /objects while it completes, and is removed
        again when completing fails; nothing stays behind then.
        """
        self.object_log.append(("add", backend.id))
        try:
            if self.allocated:
                backend.allocate()  # which checks the policy once the memory is mapped
            else:
                backend.check_numa_policy()
        except BaseException:
            backend.close(abandon=True)
            self.object_log.append(("del", backend.id))
            raise
        self.warnings.extend(backend.warnings)
        self.backends.append(backend)
        if context is not None:
            self._context_links[backend.id] = context
        return backend

    def remove_backend(self, backend_id: str) -> None:
        """Release and forget a backend no RAM uses (``object-del``)."""
        backend = next((b for b in self.backends if b.id == backend_id), None)
        if backend is None:
            raise MachineError(f"object '{backend_id}' not found")
        if backend.mapped:
            raise MachineError(f"object '{backend_id}' is in use, can not be deleted")
        self.backends.remove(backend)
        self.object_log.append(("del", backend_id))
        self._context_links.pop(backend_id, None)
        backend.close()

    def sharing_hints(self) -> Iterator[tuple[str, str]]:
        """``(backend id, path)`` for every backend another process can map."""
        for backend in self.backends:
            hint = backend.sharing_hint()
            if hint is not None:
                yield backend.id, hint

    # -- snapshots -----------------------------------------------------------------------------

    def snapshot(self, *, method: str | None = None) -> Snapshot:
        """Copy every byte of guest RAM the machine owns into a :class:`Snapshot`.

        From then on writes are tracked, so that :meth:`restore` costs what was written since.
        ``method`` forces the means: ``"uffd-wp"`` (an error where the kernel cannot) or
        ``"copy"`` (compare and copy everything; needed when another process writes to a
        ``share=on`` backend). See :attr:`Snapshot.methods` for the means in use.
        """
        from .snapshot import Snapshot

        with self._memory_lock:
            return Snapshot.take(self, method=method)

    def restore(self, snapshot: Snapshot) -> None:
        """Make guest RAM byte-identical to ``snapshot``, in place (host addresses stay).

        Restoring the snapshot taken or restored last costs the pages written since; any
        other snapshot (an older one, one loaded from a file) is compared and copied whole
        once, and then becomes the one that costs only what is written. A snapshot of
        another layout raises :class:`MachineError`.
        """
        from .snapshot import Snapshot

        if not isinstance(snapshot, Snapshot):
            raise TypeError(
                f"Machine.restore(): 'snapshot' must be a Snapshot, not {_type_name(snapshot)}"
            )
        with self._memory_lock:
            snapshot.restore_into(self)

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Release every backend's host memory and descriptors. Idempotent.

        A signal that arrives meanwhile waits until everything is released: a SIGINT then
        reaches the caller as ``KeyboardInterrupt`` from ``close()``. A snapshot or restore
        running in another thread is waited for.
        """
        with self._memory_lock:
            self._release(abandon=False)

    def _release(self, abandon: bool) -> None:
        """Close every backend; with ``abandon``, also remove the files they created."""
        if self._tracker is not None:
            self._tracker.close()
            self._tracker = None
        for context in self.contexts:
            context.stop()
        if self._locked:
            from . import memlock

            self._locked = False
            memlock.unlock()
        errors = []
        with signals.held():
            self.closed = True
            self.allocated = False
            for backend in reversed(self.backends):
                try:
                    backend.close(abandon=abandon)
                except OSError as exc:  # pragma: no cover - munmap/close of our own resources
                    errors.append(exc)
        if errors:
            raise MachineError(f"releasing guest memory failed: {errors[0]}")

    def __enter__(self) -> Machine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# -- the library's arguments -------------------------------------------------------------------


def _type_name(value: object) -> str:
    return type(value).__name__


def _check_argv(argv: object) -> None:
    """``argv`` must be a sequence of strings (a plain string is the classic mistake)."""
    if isinstance(argv, str):
        raise TypeError(
            "Machine.from_argv(): 'argv' must be a list of str, not a str; split a command "
            "line into its arguments with shlex.split()"
        )
    if isinstance(argv, (bytes, bytearray)) or not isinstance(argv, Sequence):
        raise TypeError(
            f"Machine.from_argv(): 'argv' must be a list of str, not {_type_name(argv)}"
        )
    for index, arg in enumerate(argv):
        if not isinstance(arg, str):
            raise TypeError(
                f"Machine.from_argv(): argv[{index}] must be str, not {_type_name(arg)}"
            )


def _check_build_arguments(
    method: str, registry: object, allocate: object, progress: object, target: object = None
) -> None:
    if target is not None and not isinstance(target, str):
        raise TypeError(
            f"Machine.{method}(): 'target' must be a str or None, not {_type_name(target)}"
        )
    if registry is not None and not isinstance(registry, Registry):
        raise TypeError(
            f"Machine.{method}(): 'registry' must be a Registry or None, not {_type_name(registry)}"
        )
    if not isinstance(allocate, bool):
        raise TypeError(f"Machine.{method}(): 'allocate' must be bool, not {_type_name(allocate)}")
    if progress is not None and not callable(progress):
        raise TypeError(
            f"Machine.{method}(): 'progress' must be callable or None, not {_type_name(progress)}"
        )


def _create_error(name: str, expected: str, value: object) -> TypeError:
    return TypeError(f"Machine.create(): {name} must be {expected}, not {_type_name(value)}")


def _decimal(value: int) -> str:
    """``str(value)`` for any int, also one past the interpreter's limit on digits (a value
    that large is out of range, and refused as such)."""
    chunk = 10**1000
    if -chunk < value < chunk:
        return str(value)
    sign, value = ("-", -value) if value < 0 else ("", value)
    parts: list[int] = []
    while value:
        value, rest = divmod(value, chunk)
        parts.append(rest)
    return sign + str(parts[-1]) + "".join(f"{part:01000d}" for part in reversed(parts[:-1]))


def _option_value(name: str, value: object) -> str:
    """A property value as QEMU's option syntax writes it (commas doubled)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return _decimal(value)
    if isinstance(value, str):
        return value.replace(",", ",,")
    raise _create_error(name, "str, int or bool", value)


def _option_key(name: str, key: object) -> str:
    if not isinstance(key, str):
        raise _create_error(f"a key of {name}", "str", key)
    if "," in key or "=" in key:
        raise MachineError(f"Invalid parameter '{key}'")
    return key


def _mappings(name: str, value: object) -> list[Mapping[object, object]]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise _create_error(f"'{name}'", "a list of mappings", value)
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise _create_error(f"{name}[{index}]", "a mapping of property names to values", item)
    return list(value)


def _items(name: str, spec: Mapping[Any, object]) -> list[str]:
    return [
        f"{_option_key(name, key)}={_option_value(f'{name}[{key!r}]', value)}"
        for key, value in spec.items()
    ]


def create_argv(
    machine: str,
    ram: int | str | None = None,
    *,
    objects: Sequence[Mapping[str, object]] = (),
    memory_backend: str | None = None,
    properties: Mapping[str, object] | None = None,
    mem_path: str | None = None,
    mem_prealloc: bool = False,
    numa: Sequence[Mapping[str, object]] = (),
    smp: int = 1,
) -> list[str]:
    """The QEMU command line that :meth:`Machine.create`'s arguments stand for.

    Raises ``TypeError`` naming the argument whose type is wrong.
    """
    if not isinstance(machine, str):
        raise _create_error("'machine'", "str", machine)
    machine_items = [f"type={machine.replace(',', ',,')}"]
    if properties is not None:
        if not isinstance(properties, Mapping):
            raise _create_error("'properties'", "a mapping or None", properties)
        machine_items += _items("properties", properties)
    if memory_backend is not None:
        if not isinstance(memory_backend, str):
            raise _create_error("'memory_backend'", "str or None", memory_backend)
        machine_items.append(f"memory-backend={memory_backend.replace(',', ',,')}")
    argv = ["-machine", ",".join(machine_items)]
    if ram is not None:
        if isinstance(ram, bool) or not isinstance(ram, (int, str)):
            raise _create_error("'ram'", "int, str or None", ram)
        text = f"{_decimal(ram)}b" if isinstance(ram, int) else ram.replace(",", ",,")
        argv += ["-m", f"size={text}"]
    if isinstance(smp, bool) or not isinstance(smp, int):
        raise _create_error("'smp'", "int", smp)
    if smp != 1:
        argv += ["-smp", f"cpus={_decimal(smp)}"]
    if mem_path is not None:
        if not isinstance(mem_path, str):
            raise _create_error("'mem_path'", "str or None", mem_path)
        argv += ["-mem-path", mem_path]
    if not isinstance(mem_prealloc, bool):
        raise _create_error("'mem_prealloc'", "bool", mem_prealloc)
    if mem_prealloc:
        argv.append("-mem-prealloc")
    for index, spec in enumerate(_mappings("objects", objects)):
        items = dict(spec)
        head = []
        if "qom-type" in items:
            head.append(_option_value(f"objects[{index}]['qom-type']", items.pop("qom-type")))
            if "=" in head[0]:
                head[0] = f"qom-type={head[0]}"
        if "id" in items:
            object_id = _option_value(f"objects[{index}]['id']", items.pop("id"))
            head.append(f"id={object_id}")
        argv += ["-object", ",".join(head + _items(f"objects[{index}]", items))]
    for index, spec in enumerate(_mappings("numa", numa)):
        argv += ["-numa", ",".join(_items(f"numa[{index}]", spec))]
    return argv


# -- the steps -----------------------------------------------------------------------------------


def _device_text(spec: object) -> str:
    """A device given as a mapping, as ``-device`` writes it (``driver=...,id=...``)."""
    if not isinstance(spec, Mapping):
        raise TypeError(f"Machine.create(): devices items must be mappings, not {_type_name(spec)}")
    items = [f"{key}={_option_value(f'devices[{key!r}]', value)}" for key, value in spec.items()]
    return ",".join(items)


def _device_option(spec: Mapping[str, object]) -> DeviceOption:
    """A device given as a mapping (``device_add`` arguments), as ``-device`` would give it."""
    from .options import parse_device

    items = {k: _option_value(k, v) for k, v in spec.items()}
    driver = items.pop("driver", None)
    if driver is None:
        raise MachineError("Parameter 'driver' is missing")
    text = ",".join([f"driver={driver}", *(f"{k}={v}" for k, v in items.items())])
    return parse_device(text)


def _resolved_target(board: Board, target: str | None) -> str | None:
    if target is None:
        target = os.environ.get(ENV_TARGET) or None
    if target is not None:
        return target
    return next((t for t in board.targets if t not in (EVERY_TARGET, "")), None)


def _select_board(line: CommandLine, registry: Registry, target: str | None) -> Board:
    name = line.machine.get("type")
    if name is not None:
        return registry.board(name, target)
    # No -M: the target's default machine type, as the QEMU binary of that target has one.
    wanted = target if target is not None else os.environ.get(ENV_TARGET) or None
    if wanted is not None:
        check_target(wanted, registry.targets())
        defaults = [b for b in registry.boards_for(wanted) if wanted in b.spec.default_for]
        if len(defaults) == 1:
            return defaults[0]
    raise MachineError(
        "No machine specified, and there is no default",
        hint="Use -machine help to list supported machines",
    )


def _machine_properties(line: CommandLine, board: Board) -> dict[str, Any]:
    """``-machine`` properties, typed: the generic ones and those the board declares."""
    kinds: dict[str, str] = {**GENERIC_PROPERTIES, **board.spec.machine_properties}
    if kinds.get("nvdimm") == "bool":
        # QEMU gives a machine both properties together, where it supports NVDIMMs.
        kinds.setdefault(NVDIMM_PERSISTENCE, "str")
    values: dict[str, Any] = {}
    overridden = _overridden_by_m(line)
    for key, text in line.machine.items():
        if key in overridden:
            continue  # -m replaces it before the machine's properties are read
        kind = kinds.get(key)
        if kind is None:
            suggestion = did_you_mean(key, set(kinds) - {"type"})
            message = f"Property '{board.qom_type}.{key}' not found"
            raise MachineError(message, suggestion=suggestion)
        if key == NVDIMM_PERSISTENCE and text not in ("cpu", "mem-ctrl"):
            raise MachineError("unsupported option", location=f"-machine {key}={text}")
        if kind == "bool":
            values[key] = parse_bool(key, text)
        elif kind == "size":
            values[key] = keyval_size(key, text)
        elif kind == "int":
            values[key] = keyval_uint(key, text)
        elif kind == "on-off-auto" and text not in ("on", "off", "auto"):
            raise MachineError(f"Parameter '{key}' does not accept value '{text}'")
        else:
            values[key] = text
    return values


def _overridden_by_m(line: CommandLine) -> set[str]:
    """The ``-machine memory.*`` keys that ``-m`` replaces (QEMU merges ``-m`` into the
    machine's options over them; a size of 0 is not passed on)."""
    keys = set()
    text = line.memory.get("size")
    if text is not None and opts_size("size", text) != 0:
        keys.add("memory.size")
    if "maxmem" in line.memory:
        keys.add("memory.max-size")
    if "slots" in line.memory:
        keys.add("memory.slots")
    return keys


def _ram_size(
    line: CommandLine, props: Mapping[str, Any], registry: Registry, state: MachineState
) -> RamSize:
    """QEMU 7.2's ``-m`` handling: MiB default unit, 8 KiB rounding, maxmem and slots."""
    size: int | None = props.get("memory.size")
    text = line.memory.get("size")
    if text is not None and opts_size("size", text) != 0:
        # A bare number is MiB: QEMU appends "M" and parses the result again.
        legacy = text + "M" if text[-1:].isdigit() else text
        size = keyval_size("memory.size", legacy, state.warn)
    max_size: int | None = props.get("memory.max-size")
    if "maxmem" in line.memory:
        max_size = opts_size("maxmem", line.memory["maxmem"])
    slots: int | None = props.get("memory.slots")
    if "slots" in line.memory:
        # Checked as a QemuOpts number already; negative numbers wrap, as strtoull does.
        slots = opts_number("slots", line.memory["slots"])
    custom = size is not None
    if size is None:
        size = registry.default_ram_size(state.board)
    size = (size + RAM_ALIGN - 1) // RAM_ALIGN * RAM_ALIGN % U64
    size = registry.fixup_ram_size(state, size)
    if max_size is not None:
        if max_size < size:
            raise MachineError(
                f"invalid value of maxmem: maximum memory size ({max_size:#x}) must be at "
                f"least the initial memory size ({size:#x})"
            )
        if slots and max_size == size:
            raise MachineError(
                "invalid value of maxmem: memory slots were specified but maximum memory size "
                f"({max_size:#x}) is equal to the initial memory size ({size:#x})"
            )
    elif slots is not None:
        raise MachineError("slots specified but no max-size")
    return RamSize(size, max_size if max_size is not None else size, slots or 0, custom)


def _check_mem_path_conflict(line: CommandLine) -> None:
    if line.mem_path is not None and "memory-backend" in line.machine:
        raise MachineError("'-mem-path' can't be used together with'-machine memory-backend'")


def check_thread_contexts(line: CommandLine) -> None:
    """Refuse the command line's thread contexts as creating them would (nothing is kept)."""
    _create_thread_contexts(line)


def _create_thread_contexts(line: CommandLine) -> list[threadctx.ThreadContext]:
    """Every ``-object thread-context``, checked.

    As in QEMU, they are created before any backend, wherever they are on the command line:
    each thread is started and given its affinity here, so that a refused affinity is
    reported first, then stopped again; the machine starts them for good once every check
    passed.
    """
    if not any(option.qom_type == THREAD_CONTEXT for option in line.objects):
        return []
    from . import threadctx

    contexts = [
        threadctx.ThreadContext.parse(option)
        for option in line.objects
        if option.qom_type == THREAD_CONTEXT
    ]
    for context in contexts:
        context.start()
        context.stop()
    return contexts


def _create_backends(
    line: CommandLine,
    props: Mapping[str, Any],
    board: Board,
    contexts: Sequence[threadctx.ThreadContext] = (),
    cpus: int | None = None,
) -> list[HostMemoryBackend]:
    """Every ``-object memory-backend-*``, checked but not allocated, each one fully (its
    setters, its backing store, its policy) before the next as QEMU creates them, with its
    ``prealloc-context`` resolved among the objects that exist when it is created. (The
    option's values were read with the command line, which gave their warnings.)"""
    defaults = _backend_defaults(line, props, board, cpus)
    backends: list[HostMemoryBackend] = []

    def link(path: str) -> object:
        from . import threadctx

        return threadctx.resolve(path, contexts, [b.id for b in backends])

    for option in line.objects:
        if option.qom_type == THREAD_CONTEXT:
            continue
        if option.qom_type == EPC_BACKEND:
            raise MachineError(f"invalid object type: {EPC_BACKEND}")
        values = line.object_values.get(option.id)
        backend = HostMemoryBackend.from_option(option, defaults, None, link, values)
        backend.check_created()
        backends.append(backend)
    return backends


def _prealloc_mode() -> str:
    mode = os.environ.get(ENV_PREALLOC) or "parallel"
    if mode not in PREALLOC_MODES:
        raise MachineError(
            f"{ENV_PREALLOC}={mode}: expected one of " + ", ".join(PREALLOC_MODES), location=""
        )
    return mode


def _place_preallocation(
    backends: Sequence[HostMemoryBackend],
    contexts: Sequence[threadctx.ThreadContext],
    *,
    local: bool,
) -> None:
    """Give each backend the CPUs its preallocation threads run on."""
    if not any(backend.prealloc for backend in backends):
        return
    from . import threadctx

    for backend in backends:
        context = None
        if backend.prealloc_context:
            context = threadctx.resolve(backend.prealloc_context, contexts, ())
        backend.prealloc_cpus = threadctx.preallocation_cpus(backend, context, local=local)


def _check_mem_lock(mode: str, backends: Sequence[HostMemoryBackend], prealloc: str) -> None:
    """The memory-lock budget, before anything is allocated."""
    if mode == "off":
        return
    from . import memlock
    from . import prealloc as prealloc_mod

    ram = sum(-(-b.size // 4096) * 4096 for b in backends)
    cpus = os.cpu_count() or 1
    # Threads that will exist at once, each with a locked stack: the pool's, or the most any
    # one backend starts.
    each = [min(b.prealloc_threads, cpus, prealloc_mod.MAX_THREADS) for b in backends if b.prealloc]
    threads = min(cpus, sum(each)) if prealloc == "parallel" else max(each, default=0)
    memlock.check_limit(mode, ram, threads)


def _lock_memory(mode: str) -> bool:
    """``-overcommit mem-lock``: whether anything was locked."""
    if mode == "off":
        return False
    from . import memlock

    return memlock.lock(mode)


def _backend_defaults(
    line: CommandLine,
    props: Mapping[str, Any],
    board: Board | None = None,
    cpus: int | None = None,
) -> BackendDefaults:
    """What a new backend starts from: ``-mem-prealloc``, the machine's merge and dump
    properties, and as many preallocation threads as the machine has CPUs (``cpus``: the
    board's default count without ``-smp``), as QEMU gives every backend it creates."""
    return BackendDefaults(
        prealloc=line.mem_prealloc,
        threads=cpus if cpus is not None else line.smp_cpus,
        merge=props.get("mem-merge", True),
        dump=props.get("dump-guest-core", True),
        canonical_ramblock_ids=board is not None and board.spec.canonical_ramblock_ids,
    )


def _resolve_memory_backend(
    props: Mapping[str, Any],
    backends: Sequence[HostMemoryBackend],
    state: MachineState,
    size: RamSize,
) -> HostMemoryBackend | None:
    """``-machine memory-backend=ID``, looked up after every object exists."""
    name = props.get("memory-backend")
    if name is None:
        return None
    backend = resolve_backend(name, backends)
    if backend is None:
        raise MachineError(f"Memory backend '{name}' not found")
    if not size.custom:
        # Without -m the backend decides the RAM size, exactly (not rounded to 8 KiB). As in
        # QEMU 7.2, maxmem stays the board's default size, even below the RAM size: boards
        # whose arithmetic wraps (virt) then refuse a large backend.
        state.ram_size = backend.size
    return backend


def _check_backend_size(memdev: HostMemoryBackend | None, state: MachineState) -> None:
    if memdev is not None and memdev.size != state.ram_size:
        raise MachineError("Machine memory size does not match the size of the memory backend")


def _create_default_backend(
    line: CommandLine,
    props: Mapping[str, Any],
    backends: Sequence[HostMemoryBackend],
    memdev: HostMemoryBackend | None,
    state: MachineState,
    ram_id: str | None,
) -> HostMemoryBackend | None:
    """QEMU's ``create_default_memdev``, under QEMU's four conditions."""
    if memdev is not None or ram_id is None or state.ram_size == 0:
        return None
    if state.numa is not None and state.numa.uses_memdev:
        return None
    if any(b.id == ram_id for b in backends):
        raise MachineError(
            f"object name '{ram_id}' is reserved for the default RAM backend, it can't be "
            "used for any other purposes. Change the object's 'id' to something else"
        )
    return create_default_backend(
        ram_id,
        state.ram_size,
        line.mem_path,
        _backend_defaults(line, props, cpus=state.topology.cpus if state.topology else None),
    )


def _main_ram(
    state: MachineState, memdev: HostMemoryBackend | None, ram_id: str | None
) -> tuple[MemoryRegion | None, tuple[HostMemoryBackend, ...]]:
    """Consume the main-RAM backend(s) and build ``MachineState.ram``."""
    if state.numa is not None and state.numa.uses_memdev and ram_id is not None:
        container = MemoryRegion.container(ram_id, state.ram_size)
        used = []
        offset = 0
        for node in state.numa.nodes:
            if node.backend is None:
                continue
            container.add_subregion(
                offset, MemoryRegion.ram(node.backend.region_name, _consume(node.backend))
            )
            used.append(node.backend)
            offset += node.size
        return container, tuple(used)
    # Without a default RAM id the nodes' backends stay unused, as in QEMU.
    if memdev is None:
        return None, ()
    return MemoryRegion.ram(memdev.region_name, _consume(memdev)), (memdev,)


def _consume(backend: HostMemoryBackend) -> HostMemoryBackend:
    if backend.mapped:
        raise MachineError(f"memory backend {backend.id} can't be used multiple times.")
    backend.mapped = True
    return backend


def _bind_progress(progress: Progress, backend_id: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        progress(backend_id, done, total)

    return report
