"""Host memory backends: ``memory-backend-ram``, ``-file`` and ``-memfd``.

A backend is created from its properties, validated at once with QEMU's messages, and
allocated later by :meth:`HostMemoryBackend.allocate` in QEMU's order: map the memory, advise
the kernel (huge pages, no fork, mergeable, dump), bind it to host NUMA nodes, then
preallocate, so that every page is placed where the policy says.

Everything an allocation acquires (the mapping, a descriptor, the discarding of a file's
data) belongs to one exit stack, released by :meth:`HostMemoryBackend.close`. A file the
backend created is removed again when the allocation fails, or when the machine it belongs to
cannot be built (``close(abandon=True)``); otherwise it stays, as in QEMU.

Where QEMU 7.2 would crash, hang or destroy data, machinectl differs:

* read-only memory with ``prealloc=on`` is populated for reading (QEMU dies of SIGSEGV);
* a read-only file shorter than ``size``, even an empty one, is refused with QEMU's size
  message (QEMU maps it and dies of SIGBUS at the first access);
* an empty file that cannot be grown to ``size`` is refused (QEMU warns and goes on);
* a ``mem-path`` that vanishes each time it is created (a dangling symlink) fails with EEXIST
  after a few attempts (QEMU retries forever);
* ``discard-data`` leaves alone an existing file that is larger than what the backend maps,
  with a warning (QEMU punches a hole in the part it mapped);
* the NUMA policy covers the whole mapping, whole huge pages included (QEMU binds ``size``
  bytes, which fails on hugetlbfs when ``size`` is not a multiple of the huge page size);
* a file created for the command is removed when the command fails, whatever failed (QEMU
  removes it only when mapping it failed);
* a memfd is named after its backend id (QEMU names every one ``memory-backend-memfd``), so
  that ``/proc/PID/fd`` shows which backend a descriptor belongs to (the first 249 bytes of a
  longer id: the kernel's limit);
* a file that existed before and was mapped for a machine that cannot be built is left as it
  was: an empty file grown to ``size`` is emptied again, its times are put back, and
  ``discard-data`` only ever runs when a built machine is closed;
* in a world-writable directory a ``mem-path`` name is not resolved through a symbolic link,
  an existing file must be the user's own with no other hard link, and no file is created
  where another user owns the directory (:class:`_Place`);
* without preallocation, a file system with less room than the memory may need is warned
  about (writing past it is SIGBUS, in QEMU too).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
import weakref
from collections.abc import Callable, Sequence

from ._record import TYPE_CHECKING

if TYPE_CHECKING:
    import attrs
else:
    from . import _record as attrs

from . import signals, syscalls
from .errors import MachineError, did_you_mean
from .mapping import HostMapping
from .options import (
    ObjectOption,
    parse_bool,
    parse_enum,
    visitor_size,
    visitor_uint,
    visitor_uint_list,
)
from .qdict import qdict_order

if TYPE_CHECKING:
    from typing import Any, ClassVar

    from . import prealloc_pool

#: HostMemPolicy values and their ``MPOL_*`` modes.
POLICIES = {
    "default": syscalls.MPOL_DEFAULT,
    "preferred": syscalls.MPOL_PREFERRED,
    "bind": syscalls.MPOL_BIND,
    "interleave": syscalls.MPOL_INTERLEAVE,
}
#: Seals of a ``seal=on`` memfd: its size can never change.
MEMFD_SEALS = syscalls.F_SEAL_GROW | syscalls.F_SEAL_SHRINK | syscalls.F_SEAL_SEAL
#: Attempts at opening a ``mem-path`` that others create and remove meanwhile.
OPEN_ATTEMPTS = 16

Progress = Callable[[int, int], None]
Stack = contextlib.ExitStack


@attrs.frozen
class BackendDefaults:
    """What a backend starts with before the user's properties: machine-wide settings."""

    #: ``-mem-prealloc`` (sugar: prealloc=on on every backend; the user's prealloc=off wins).
    prealloc: bool = False
    #: ``prealloc-threads`` default: the machine's CPU count (QEMU 7.1+).
    threads: int = 1
    #: ``-machine mem-merge`` and ``dump-guest-core``.
    merge: bool = True
    dump: bool = True
    #: The machine type's compatibility default of ``x-use-canonical-path-for-ramblock-id``
    #: (:attr:`machinectl.BoardSpec.canonical_ramblock_ids`), for the backend types it
    #: applies to.
    canonical_ramblock_ids: bool = False


@attrs.frozen
class _Memory:
    """What an allocation produced."""

    mapping: HostMapping
    #: The descriptor behind the mapping (owned by the backend's exit stack).
    fd: int | None = None
    #: A path another process can open to map the same memory.
    path: str | None = None
    #: ``discard-data``: drop the file's data when the memory is released normally.
    discard: bool = False


def _strerror(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else str(exc)


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def _length(mapping: HostMapping) -> int:
    """Bytes the mapping covers: its size in whole pages of its page size."""
    return _round_up(mapping.size, mapping.page_size)


@attrs.define(eq=False)
class HostMemoryBackend:
    """Common properties of every memory backend (QEMU's ``memory-backend``)."""

    qom_type: ClassVar[str] = "memory-backend"
    #: Property name -> kind; the parse order is this order (QEMU's schema order).
    properties: ClassVar[dict[str, str]] = {
        "dump": "bool",
        "host-nodes": "nodes",
        "merge": "bool",
        "policy": "policy",
        "prealloc": "bool",
        "prealloc-threads": "u32",
        "prealloc-context": "link",
        "share": "bool",
        "reserve": "bool",
        "size": "size",
        "x-use-canonical-path-for-ramblock-id": "bool",
    }
    required: ClassVar[tuple[str, ...]] = ("size",)
    #: Whether old machine types name this type's RAM by QOM path by default (QEMU's
    #: ``hw_compat_3_1``: file and memfd backends only).
    canonical_path_compat: ClassVar[bool] = False

    id: str
    size: int
    merge: bool = True
    dump: bool = True
    prealloc: bool = False
    prealloc_threads: int = 1
    share: bool = False
    reserve: bool = True
    host_nodes: tuple[int, ...] = ()
    policy: str = "default"
    x_use_canonical_path_for_ramblock_id: bool = False
    #: ``prealloc-context``: the path of a thread context ("" or None: none).
    prealloc_context: str | None = None
    #: The CPUs the preallocation threads run on (None: any), set before allocation.
    prealloc_cpus: frozenset[int] | None = attrs.field(default=None, init=False)
    #: Set once the machine uses the backend as RAM (QEMU's ``is_mapped``).
    mapped: bool = attrs.field(default=False, init=False)
    #: What the allocation found worth telling the user (``machinectl: warning: ...``).
    warnings: list[str] = attrs.field(factory=list, init=False)
    _memory: _Memory | None = attrs.field(default=None, init=False, repr=False)
    #: The allocation is being undone because the machine cannot be built.
    _abandoned: bool = attrs.field(default=False, init=False, repr=False)
    _resources: Stack | None = attrs.field(default=None, init=False, repr=False)
    _creation: Stack | None = attrs.field(default=None, init=False, repr=False)

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def from_option(
        cls,
        option: ObjectOption,
        defaults: BackendDefaults | None = None,
        warn: Callable[[str], None] | None = None,
        link: Callable[[str], object] | None = None,
        values: dict[str, Any] | None = None,
    ) -> HostMemoryBackend:
        """Build a backend from ``-object``; parse errors name the option, as QEMU does.
        ``link`` resolves a ``prealloc-context`` when its setter's turn comes; ``values``
        are the option's values when they were read already (:attr:`CommandLine.object_values`)."""
        backend_type = BACKEND_TYPES.get(option.qom_type)
        if backend_type is None:
            raise MachineError(
                f"Parameter 'qom-type' does not accept value '{option.qom_type}'",
                suggestion=did_you_mean(option.qom_type, BACKEND_TYPES),
            ).at(option.location)
        if values is None:
            values = backend_type.parse_option(option, warn)
        return backend_type._create(option.id, values, defaults or BackendDefaults(), link)

    @classmethod
    def parse_option(
        cls,
        option: ObjectOption,
        warn: Callable[[str], None] | None = None,
        keys: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """The values of an ``-object`` of this type, as QEMU reads the option on the command
        line (before anything is created); errors name the option."""
        try:
            return cls._parse_props(option.props, warn, keys)
        except MachineError as exc:
            raise exc.at(option.location) from None

    @classmethod
    def _parse_props(
        cls,
        props: Sequence[tuple[str, str]],
        warn: Callable[[str], None] | None,
        keys: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """The option's values, checked as QEMU's options visitor checks ``-object``: each
        member of the schema in its order (a required one that is absent is missing at its
        place), then a key left over. ``keys`` is the order of the option's keys, with
        ``qom-type`` and ``id`` (the visitor's hash table, which decides which leftover is
        named); by default ``qom-type``, the properties, then ``id``."""
        texts: dict[str, list[str]] = {}
        for key, value in props:
            texts.setdefault(key, []).append(value)
        values: dict[str, Any] = {}
        for key, kind in cls.properties.items():
            if key not in texts:
                if key in cls.required:
                    raise MachineError(f"Parameter '{key}' is missing")
                continue
            last = texts[key][-1]
            if kind == "bool":
                values[key] = parse_bool(key, last)
            elif kind == "size":
                values[key] = visitor_size(key, last, warn)
            elif kind == "u32":
                values[key] = visitor_uint(key, last, 32)
            elif kind == "nodes":
                values[key] = visitor_uint_list(key, texts[key], 16)
            elif kind == "policy":
                values[key] = parse_enum(key, last, POLICIES)
            else:
                values[key] = last
        if any(key not in cls.properties for key in texts):
            from .qmp.qom import first_leftover

            order = keys if keys is not None else ["qom-type", *texts, "id"]
            key = first_leftover(order, {"qom-type", "id", *values}) or ""
            raise MachineError(
                f"Invalid parameter '{key}'", suggestion=did_you_mean(key, cls.properties)
            )
        return values

    @classmethod
    def _create(
        cls,
        backend_id: str,
        values: dict[str, Any],
        defaults: BackendDefaults,
        link: Callable[[str], object] | None = None,
    ) -> HostMemoryBackend:
        """Apply defaults, sugar, then the user's values (user wins), with setter checks.

        ``link`` resolves a ``prealloc-context`` (it raises when nothing answers to it).
        """
        cls._check_values(values, prealloc=defaults.prealloc, link=link)
        values = dict(values)
        size = values.pop("size")
        threads = values.pop("prealloc-threads", defaults.threads)
        nodes = values.pop("host-nodes", [])
        kwargs = {key.replace("-", "_"): value for key, value in values.items()}
        kwargs.setdefault("prealloc", defaults.prealloc)
        kwargs.setdefault("merge", defaults.merge)
        kwargs.setdefault("dump", defaults.dump)
        kwargs.setdefault(
            "x_use_canonical_path_for_ramblock_id",
            defaults.canonical_ramblock_ids and cls.canonical_path_compat,
        )
        return cls(
            id=backend_id,
            size=size,
            prealloc_threads=threads,
            host_nodes=tuple(sorted(set(nodes))),
            **kwargs,
        )

    @classmethod
    def _check_values(
        cls,
        values: dict[str, Any],
        *,
        prealloc: bool = False,
        link: Callable[[str], object] | None = None,
    ) -> None:
        """The property setters' checks, in the order QEMU sets the properties: the members
        of the schema, as its QDict holds them. ``prealloc`` is the value before them
        (``-mem-prealloc``)."""
        reserve = True
        for key, value in qdict_order(values).items():
            if key == "prealloc":
                if value and not reserve:
                    raise MachineError("'prealloc=on' and 'reserve=off' are incompatible")
                prealloc = value
            elif key == "reserve":
                if not value and prealloc:
                    raise MachineError("'prealloc=on' and 'reserve=off' are incompatible")
                reserve = value
            elif key == "prealloc-context":
                if value and link is not None:
                    link(value)
            else:
                cls._check_value(key, value)
        cls._check_combination(values)

    @classmethod
    def _check_combination(cls, values: dict[str, Any]) -> None:
        """What the type checks of its values once they are all set (before any memory)."""

    @classmethod
    def _check_value(cls, key: str, value: Any) -> None:
        """One setter's check: a value this backend type never accepts."""
        if key in ("size", "prealloc-threads") and value == 0:
            raise MachineError(f"property '{key}' of {cls.qom_type} doesn't take value '0'")
        if key == "host-nodes":
            for node in value:
                if node >= syscalls.MAX_NODES:
                    raise MachineError(f"Invalid host-nodes value: {node}")

    def check_created(self) -> None:
        """What QEMU finds wrong as it creates the backend, in its order, found without
        mapping or touching anything: the backing store (:meth:`check_store`), memory the
        host will not map (:meth:`check_host_refusal`), then the host-nodes and policy rules.
        Memory is mapped later, once every check of the machine passed."""
        self.check_store()
        self.check_host_refusal()
        self.check_numa_policy()

    def check_host_refusal(self) -> None:
        """Refuse, with the error mapping it would give, memory the kernel refuses to map
        whatever else happens: more than it ever commits (see :func:`commit_refused`).
        Anything less certain is left to the mapping itself."""

    def check_store(self) -> None:
        """The errors of opening the backing store that can be known without opening it
        for writing (none for anonymous memory)."""

    def _store_size(self) -> int:
        """The size a backing store must have: the backend's, in whole pages (wrapping at
        2**64 as QEMU's arithmetic does)."""
        return _round_up(self.size, syscalls.PAGE_SIZE) % (1 << 64)

    def _check_store_size(self, file_size: int) -> None:
        size = self._store_size()
        if file_size < size:
            raise MachineError(
                f"backing store size {file_size:#x} does not match 'size' option {size:#x}"
            )

    def check_numa_policy(self) -> None:
        """QEMU's host-nodes/policy consistency rules (checked before anything is mapped)."""
        if self.host_nodes and self.policy == "default":
            raise MachineError(
                "host-nodes must be empty for policy default, or you should explicitly "
                "specify a policy other than default"
            )
        if not self.host_nodes and self.policy != "default":
            raise MachineError(f"host-nodes must be set for policy {self.policy}")

    @property
    def region_name(self) -> str:
        """QEMU's name for the memory: the id, or the QOM path when the x- property says so."""
        return f"/objects/{self.id}" if self.x_use_canonical_path_for_ramblock_id else self.id

    # -- allocation ----------------------------------------------------------------------------

    @property
    def allocated(self) -> bool:
        return self._memory is not None

    def allocate(self, progress: Progress | None = None, *, defer_prealloc: bool = False) -> None:
        """Map host memory, advise, bind, preallocate; on any failure release everything.

        ``progress(done, total)`` follows the preallocation, in bytes. With
        ``defer_prealloc`` the memory is not populated here: :meth:`preallocation_job`
        describes the work, for a caller that preallocates several backends at once.
        """
        if self._memory is not None:
            return
        self._abandoned = False
        resources, creation = Stack(), Stack()
        try:
            memory = self._map(resources, creation)
            self._advise(memory.mapping)
            self.check_numa_policy()  # where QEMU checks it: the memory exists, not yet bound
            self._bind(memory.mapping)
            if self.prealloc and not defer_prealloc:
                self._preallocate(memory, progress)
        except BaseException:
            # The undoing runs whole, whatever signal arrives meanwhile (delivered after it).
            with signals.held():
                self._abandon()  # first: the undoing knows it is one
                try:
                    resources.close()
                finally:
                    creation.close()
            raise
        self._memory, self._resources, self._creation = memory, resources, creation

    def _map(self, resources: Stack, creation: Stack) -> _Memory:
        """Map the memory. What must be released goes on ``resources``; what must be undone
        when the machine cannot be built (a file created) goes on ``creation``."""
        raise NotImplementedError

    def _map_fd(
        self,
        fd: int,
        resources: Stack,
        *,
        growable: bool,
        readonly: bool = False,
        align: int = 0,
        sync: bool = False,
    ) -> HostMapping:
        """Map a backing store (a file or a memfd) with QEMU's checks and messages.

        An empty regular file is grown to the mapped size when ``growable``; any other
        regular file is used as it is and must hold at least ``size`` bytes (page-rounded).
        Other kinds of file (devices, directories) are left to mmap to accept or refuse.
        """
        size = self._store_size()
        info = os.fstat(fd)
        regular = stat.S_ISREG(info.st_mode)
        grow = regular and growable and info.st_size == 0
        if regular and not grow:
            self._check_store_size(info.st_size)
        page_size = syscalls.fd_page_size(fd)
        if align % page_size:
            raise MachineError(
                f"alignment {align:#x} must be multiples of page size {page_size:#x}"
            )
        if align & (align - 1):
            raise MachineError(f"alignment {align:#x} must be a power of two")
        if size < page_size:
            raise MachineError(
                f"memory size {size:#x} must be equal to or larger than page size {page_size:#x}"
            )
        try:
            if grow:
                _ftruncate(fd, _round_up(size, page_size))
            mapping = HostMapping.from_fd(
                fd,
                self.size,
                shared=self.share,
                readonly=readonly,
                noreserve=not self.reserve,
                align=max(align, syscalls.HUGEPAGE_ALIGN),
                sync=sync,
            )
        except OSError as exc:
            raise MachineError(
                f"unable to map backing store for guest RAM: {_strerror(exc)}"
            ) from None
        return resources.enter_context(mapping)

    def _advise(self, mapping: HostMapping) -> None:
        # Best effort, as in QEMU: a kernel without KSM or THP simply refuses the advice.
        advice = [syscalls.MADV_HUGEPAGE, syscalls.MADV_DONTFORK]
        if self.merge:
            advice.append(syscalls.MADV_MERGEABLE)
        if not self.dump:
            advice.append(syscalls.MADV_DONTDUMP)
        for item in advice:
            with contextlib.suppress(OSError):
                syscalls.madvise(mapping.addr, _length(mapping), item)

    def _bind(self, mapping: HostMapping) -> None:
        if not self.host_nodes:
            return
        try:
            syscalls.mbind(
                mapping.addr,
                _length(mapping),
                POLICIES[self.policy],
                self.host_nodes,
                syscalls.MPOL_MF_STRICT | syscalls.MPOL_MF_MOVE,
            )
        except OSError as exc:
            raise MachineError(f"cannot bind memory to host NUMA nodes: {_strerror(exc)}") from None

    def _preallocate(self, memory: _Memory, progress: Progress | None) -> None:
        from . import prealloc

        mapping = memory.mapping
        try:
            prealloc.preallocate(
                mapping.addr,
                mapping.size,
                mapping.page_size,
                self.prealloc_threads,
                fd=memory.fd,
                progress=progress,
                readonly=mapping.readonly,
                cpus=self.prealloc_cpus,
            )
        except prealloc.ThreadCreationError as exc:
            raise MachineError(
                f"qemu_thread_create: {_strerror(exc)}",
                hint=f"backend '{self.id}' preallocates with up to {self.prealloc_threads} "
                "threads; a limit on threads, processes or address space stopped one",
            ) from None
        except OSError as exc:
            raise MachineError(
                f"qemu_prealloc_mem: preallocating memory failed: {_strerror(exc)}"
            ) from None

    # -- properties at run time (qom-set) -------------------------------------------------------

    def frozen_message(self, name: str) -> str | None:
        """QEMU's refusal to change ``name`` once the memory exists (checked before the value
        is read), or None where the property may be set."""
        if self._memory is None:
            return None
        if name == "size":
            return f"cannot change property size of {self.qom_type} "
        if name in ("share", "reserve", "hugetlbsize"):
            return "cannot change property value"
        if name in ("mem-path", "align"):
            return f"cannot change property '{name}' of {self.qom_type}"
        if name in ("readonly", "pmem"):
            return f"cannot change property '{name}' of {self.qom_type}."
        return None

    def set_property(self, name: str, value: Any) -> None:
        """Set a property to a typed value as QEMU's setter does on a complete backend:
        ``merge`` and ``dump`` advise the memory again, ``prealloc=on`` preallocates it now
        (and ``off`` is then ignored), the others are kept for what reads them."""
        if self.frozen_message(name) is not None:
            raise MachineError(str(self.frozen_message(name)))
        memory = self._memory
        if name in ("merge", "dump") and memory is not None and value != getattr(self, name):
            on, off = (
                (syscalls.MADV_MERGEABLE, syscalls.MADV_UNMERGEABLE)
                if name == "merge"
                else (syscalls.MADV_DODUMP, syscalls.MADV_DONTDUMP)
            )
            with contextlib.suppress(OSError):  # best effort, as at allocation
                syscalls.madvise(memory.mapping.addr, _length(memory.mapping), on if value else off)
        if name == "prealloc" and memory is not None:
            if value and not self.prealloc:
                self._preallocate(memory, None)
                self.prealloc = True
            return
        if name == "prealloc-threads" and value == 0:
            raise MachineError(
                f"property 'prealloc-threads' of {self.qom_type} doesn't take value '0'"
            )
        if name == "host-nodes":
            self._check_value(name, value)  # the node limit, on every set
            value = tuple(value)
        if name in ("x-use-canonical-path-for-ramblock-id", "prealloc-context"):
            return  # taken; the memory's name and the threads were decided at creation
        setattr(self, name.replace("-", "_"), value)

    def preallocation_job(self) -> prealloc_pool.Job | None:
        """The preallocation an allocation with ``defer_prealloc`` left to do (None: none)."""
        if not self.prealloc or self._memory is None:
            return None
        from . import prealloc_pool

        mapping = self._memory.mapping
        return prealloc_pool.Job(
            self.id,
            mapping.addr,
            mapping.size,
            mapping.page_size,
            self.prealloc_threads,
            fd=self._memory.fd,
            readonly=mapping.readonly,
            cpus=self.prealloc_cpus,
        )

    # -- use -----------------------------------------------------------------------------------

    def view(self) -> memoryview:
        """Guest RAM as a writable (or, for readonly backends, read-only) byte view."""
        return self._allocated().mapping.view()

    @property
    def host_address(self) -> int:
        return self._allocated().mapping.addr

    @property
    def mapping(self) -> HostMapping:
        """The host mapping that holds the memory (MachineError when not allocated)."""
        return self._allocated().mapping

    @property
    def memory_fd(self) -> int | None:
        """The memfd or file behind the memory; None for anonymous memory."""
        return self._allocated().fd

    def sharing_hint(self) -> str | None:
        """A path another process can open and map to share this memory; None if private."""
        if not self.share or self._memory is None:
            return None
        return self._memory.path

    def _allocated(self) -> _Memory:
        if self._memory is None:
            raise MachineError(f"memory backend '{self.id}' is not allocated")
        return self._memory

    def close(self, *, abandon: bool = False) -> None:
        """Release the memory and its descriptor. Idempotent.

        With ``abandon`` (the machine could not be built), a file the backend created is
        removed too.
        """
        with signals.held():
            memory, resources, creation = self._memory, self._resources, self._creation
            self._memory = self._resources = self._creation = None
            if abandon:
                self._abandon()
            try:
                # discard-data only ends a run that happened: a machine that could not be
                # built leaves the file's data as it found it.
                if memory is not None and memory.discard and not abandon:
                    _discard(memory.mapping.addr, _length(memory.mapping))
                if resources is not None:
                    resources.close()
            finally:
                if abandon and creation is not None:
                    creation.close()

    def _abandon(self) -> None:
        self._abandoned = True

    # -- introspection ---------------------------------------------------------------------

    def query(self) -> dict[str, Any]:
        """This backend as QMP ``query-memdev`` reports it."""
        return {
            "id": self.id,
            "size": self.size,
            "merge": self.merge,
            "dump": self.dump,
            "prealloc": self.prealloc,
            "share": self.share,
            "reserve": self.reserve,
            "host-nodes": list(self.host_nodes),
            "policy": self.policy,
        }

    def info_text(self) -> str:
        """This backend as HMP ``info memdev`` prints it."""

        def b(value: bool) -> str:
            return "true" if value else "false"

        return (
            f"memory backend: {self.id}\n"
            f"  size:  {self.size}\n"
            f"  merge: {b(self.merge)}\n"
            f"  dump: {b(self.dump)}\n"
            f"  prealloc: {b(self.prealloc)}\n"
            f"  share: {b(self.share)}\n"
            f"  reserve: {b(self.reserve)}\n"
            f"  policy: {self.policy}\n"
            f"  host nodes: {_ranges(self.host_nodes)}\n"
        )


@functools.cache
def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def commit_refused(size: int) -> bool:
    """Whether the kernel refuses to map ``size`` bytes of new anonymous memory that is
    accounted (not ``MAP_NORESERVE``), by its overcommit policy: never in mode 1; in mode 0
    (the default), more than all RAM and swap together; in mode 2, more than is left below
    the commit limit. Unknown (no /proc): False, and the mapping decides. A quarter of the
    host's RAM or less is not looked into (no policy refuses that on its own; where memory
    is short, the mapping itself says so)."""
    if size <= _physical_memory() // 4:
        return False
    try:
        with open("/proc/sys/vm/overcommit_memory", encoding="ascii") as stream:
            mode = int(stream.read())
        if mode == 1:
            return False
        info: dict[str, int] = {}
        with open("/proc/meminfo", encoding="ascii") as stream:
            for line in stream:
                key, _, value = line.partition(":")
                fields = value.split()
                if fields and fields[-1] == "kB":
                    info[key] = int(fields[0]) * 1024
        pages = -(-size // syscalls.PAGE_SIZE)
        if mode == 0:
            limit = info["MemTotal"] + info["SwapTotal"]
        else:
            limit = max(info["CommitLimit"] - info["Committed_AS"], 0)
        return pages > limit // syscalls.PAGE_SIZE
    except (OSError, ValueError, KeyError):
        return False


def _ranges(nodes: Sequence[int]) -> str:
    """``0-1,3``: a node list in range syntax."""
    groups: list[list[int]] = []
    for node in sorted(nodes):
        if groups and groups[-1][1] == node - 1:
            groups[-1][1] = node
        else:
            groups.append([node, node])
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in groups)


@attrs.define(eq=False)
class RamBackend(HostMemoryBackend):
    """``memory-backend-ram``: anonymous memory."""

    qom_type: ClassVar[str] = "memory-backend-ram"

    def check_host_refusal(self) -> None:
        if self.reserve and commit_refused(self.size):
            raise MachineError(
                f"cannot set up guest memory '{self.region_name}': {os.strerror(errno.ENOMEM)}"
            )

    def _map(self, resources: Stack, creation: Stack) -> _Memory:
        try:
            mapping = HostMapping.anonymous(
                self.size, shared=self.share, noreserve=not self.reserve
            )
        except OSError as exc:
            raise MachineError(
                f"cannot set up guest memory '{self.region_name}': {_strerror(exc)}"
            ) from None
        return _Memory(resources.enter_context(mapping))


@attrs.define(eq=False)
class FileBackend(HostMemoryBackend):
    """``memory-backend-file``: memory backed by a file, or by a new file in a directory."""

    qom_type: ClassVar[str] = "memory-backend-file"
    canonical_path_compat: ClassVar[bool] = True
    properties: ClassVar[dict[str, str]] = {
        **HostMemoryBackend.properties,
        "align": "size",
        "discard-data": "bool",
        "mem-path": "str",
        "pmem": "bool",
        "readonly": "bool",
    }
    required: ClassVar[tuple[str, ...]] = ("size", "mem-path")

    mem_path: str = ""
    align: int = 0
    discard_data: bool = False
    pmem: bool = False
    readonly: bool = False

    def check_store(self) -> None:
        """A ``mem-path`` in a directory that does not exist, or an existing file shorter than
        the backend, refused as opening it would refuse it; nothing is created or opened for
        writing. Everything else is left to the real open, when the memory is mapped."""
        path = self.mem_path
        try:
            info = os.stat(path)
        except FileNotFoundError:
            try:
                os.lstat(path)  # a dangling symbolic link: left to the real open
            except FileNotFoundError:
                try:
                    os.stat(os.path.dirname(path) or ".")
                except FileNotFoundError as exc:
                    raise MachineError(
                        f"can't open backing store {path} for guest RAM: {_strerror(exc)}"
                    ) from None
                except (OSError, ValueError):
                    pass
            except (OSError, ValueError):
                pass
            return
        except (OSError, ValueError):
            return
        if not stat.S_ISREG(info.st_mode) or (info.st_size == 0 and not self.readonly):
            return  # a directory, a device, or an empty file (grown to the size)
        with _Place(path) as place:
            if place.hostile:
                return  # the checks of a world-writable directory come first
        if not os.access(path, os.R_OK if self.readonly else os.R_OK | os.W_OK):
            return
        self._check_store_size(info.st_size)

    def _map(self, resources: Stack, creation: Stack) -> _Memory:
        fd, path, growable = self._open(resources, creation)
        mapping = self._map_fd(
            fd,
            resources,
            growable=growable,
            readonly=self.readonly,
            align=self.align,
            sync=self.pmem,
        )
        if self.pmem and self.share:
            self._check_persistence(fd)
        if not self.prealloc and not self.readonly:
            self._check_room(fd, mapping)
        discard = self.discard_data and self.share and not self.readonly
        if discard:
            discard = self._discard_on_close(fd, mapping)
        return _Memory(mapping, fd, path, discard)

    def _open(self, resources: Stack, creation: Stack) -> tuple[int, str, bool]:
        """Open ``mem-path`` as QEMU does: the file, a new file, or a new file in a directory.

        Returns the descriptor, a path another process can open, and whether the file may
        be grown to the backend size. In a world-writable directory the name is treated as
        hostile ground (:class:`_Place`): no symbolic link is followed there, and a file that
        someone else could have planted or could replace is refused.
        """
        path = self.mem_path
        access = os.O_RDONLY if self.readonly else os.O_RDWR
        try:
            with _Place(path) as place:
                for _ in range(OPEN_ATTEMPTS):
                    try:
                        # Each descriptor is owned by ``resources`` (and each file created by
                        # ``creation``) from the instant it exists: no signal comes between.
                        with signals.held():
                            fd = _open_nonblocking(place, access)
                            _own_fd(resources, fd)
                    except IsADirectoryError:
                        with signals.held():
                            fd = self._open_temporary(path)
                            _own_fd(resources, fd)
                        return fd, f"/proc/{os.getpid()}/fd/{fd}", True
                    except FileNotFoundError:
                        pass
                    else:
                        info = os.fstat(fd)
                        place.check_existing(info)
                        if not self.readonly and stat.S_ISREG(info.st_mode):
                            resources.callback(self._restore_if_abandoned, fd, info)
                        return fd, os.path.abspath(path), not self.readonly
                    place.check_creation()
                    try:
                        with signals.held():
                            fd = place.open(
                                os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644
                            )
                            _own_fd(resources, fd)
                            creation.callback(_remove_created, path, os.fstat(fd))
                    except FileExistsError:
                        continue  # created by someone else since: open that one
                    return fd, os.path.abspath(path), True
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), path)
        except OSError as exc:
            raise MachineError(
                f"can't open backing store {path} for guest RAM: {_strerror(exc)}"
            ) from None
        except ValueError:  # a NUL byte: no file has such a name
            raise MachineError(
                f"can't open backing store {path} for guest RAM: {os.strerror(errno.EINVAL)}"
            ) from None

    def _restore_if_abandoned(self, fd: int, before: os.stat_result) -> None:
        """Undo what opening and mapping did to a file that was there before, when the machine
        cannot be built: an empty file grown to the backend size is emptied again, and its
        times are put back (a write fault, even from preallocation, updates the mtime)."""
        if not self._abandoned:
            return
        with contextlib.suppress(OSError):
            if before.st_size == 0 and os.fstat(fd).st_size != 0:
                os.ftruncate(fd, 0)
            os.utime(fd, ns=(before.st_atime_ns, before.st_mtime_ns))

    def _open_temporary(self, directory: str) -> int:
        """An unlinked file of mode 0600 in ``directory``: O_TMPFILE, else QEMU's mkstemp."""
        try:
            return os.open(directory, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            # EOPNOTSUPP: the file system has no O_TMPFILE; EISDIR: the kernel has none.
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR):
                raise
        name = self.region_name.replace("/", "_")
        import tempfile

        fd, path = tempfile.mkstemp(prefix=f"qemu_back_mem.{name}.", dir=directory)
        try:
            os.unlink(path)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _check_persistence(self, fd: int) -> None:
        """QEMU's warnings when ``pmem=on`` cannot be honoured (the file is not on DAX)."""
        try:
            if syscalls.map_sync_supported(fd, readonly=self.readonly):
                return
            name = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return
        self.warnings += [
            f"requesting persistence across crashes for backend file {name} failed. "
            "Proceeding without persistence, data might become corrupted in case of host crash.",
            "Using non DAX backing file with 'pmem=on' option is deprecated",
        ]

    def _check_room(self, fd: int, mapping: HostMapping) -> None:
        """Warn when the file system cannot hold the memory: writing guest RAM past what it
        can hold kills the process with SIGBUS (with ``prealloc=on`` it is an error instead).
        """
        try:
            if syscalls.is_hugetlbfs(fd):
                return  # the huge pages were reserved by mmap, or mmap failed
            info, fs = os.fstat(fd), os.fstatvfs(fd)
        except OSError:
            return
        if not stat.S_ISREG(info.st_mode):
            return
        needed = max(0, _length(mapping) - info.st_blocks * 512)
        free = fs.f_bavail * fs.f_frsize
        if needed > free:
            self.warnings.append(
                f"backend '{self.id}': the file system of {self.mem_path} has {free:#x} bytes "
                f"free, less than the {needed:#x} its memory may need; writing past that "
                "kills the process with SIGBUS (prealloc=on makes it an error at start)"
            )

    def _discard_on_close(self, fd: int, mapping: HostMapping) -> bool:
        """``discard-data``: whether to drop the file's data when the memory is released.

        Only when the mapping covers the whole file: a larger file holds data beyond the
        backend, which is kept, and so is the rest of it.
        """
        length = _length(mapping)
        file_size = os.fstat(fd).st_size
        if file_size > length:
            self.warnings.append(
                f"discard-data=on ignored for backend '{self.id}': {self.mem_path} "
                f"(size {file_size:#x}) is larger than the memory mapped from it "
                f"({length:#x}), its data is kept"
            )
            return False
        return True


class UnsafePath(OSError):
    """A ``mem-path`` in a world-writable directory that machinectl refuses to use."""


class _Place:
    """Where a ``mem-path`` name lives: its directory, opened once, and how far to trust it.

    A directory anyone can write to (``/tmp``, ``/dev/shm``, or one made so) is hostile
    ground. There the last component is looked up without following a symbolic link, an
    existing file must be ours and have no other hard link, and a new file is only created
    where no other user owns the directory (its owner could replace the file later, even
    with the sticky bit). Names elsewhere are opened as QEMU opens them.
    """

    def __init__(self, path: str):
        self.path = path
        head, self.name = os.path.split(path)
        self._dir_fd: int | None = None
        self.directory: os.stat_result | None = None
        if self.name in ("", ".", ".."):
            return  # the path names a directory: nothing is looked up by name there
        try:
            self._dir_fd = os.open(head or ".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            return  # opening the path itself reports the problem, as QEMU does
        info = os.fstat(self._dir_fd)
        if info.st_mode & stat.S_IWOTH:
            self.directory = info
        else:
            os.close(self._dir_fd)
            self._dir_fd = None

    def __enter__(self) -> _Place:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._dir_fd is not None:
            os.close(self._dir_fd)
            self._dir_fd = None

    @property
    def hostile(self) -> bool:
        return self.directory is not None

    def open(self, flags: int, mode: int = 0o777) -> int:
        if self._dir_fd is None:
            return os.open(self.path, flags, mode)
        try:
            return os.open(self.name, flags | os.O_NOFOLLOW, mode, dir_fd=self._dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise self._unsafe(
                    "not following a symbolic link in a world-writable directory"
                ) from None
            raise

    def check_existing(self, info: os.stat_result) -> None:
        if not self.hostile or not stat.S_ISREG(info.st_mode):
            return
        if info.st_uid != os.geteuid():
            raise self._unsafe("refusing a file of another user in a world-writable directory")
        if info.st_nlink > 1:
            raise self._unsafe(
                "refusing a file with other hard links in a world-writable directory"
            )

    def check_creation(self) -> None:
        if self.directory is not None and self.directory.st_uid not in (0, os.geteuid()):
            raise self._unsafe(
                "refusing to create a file in a world-writable directory of another user"
            )

    def _unsafe(self, reason: str) -> UnsafePath:
        return UnsafePath(reason)


def _open_nonblocking(place: _Place, access: int) -> int:
    """Open an existing ``mem-path`` without waiting on it: a FIFO with no writer (or no
    reader) and a terminal waiting for a carrier would block ``open()`` forever. What is
    opened is then left to the size checks and ``mmap`` to accept or refuse, as in QEMU (a
    FIFO, a terminal or a /proc file cannot be mapped: ``No such device``)."""
    fd = place.open(access | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _own_fd(resources: Stack, fd: int) -> None:
    """Close ``fd`` with ``resources``, or when they are garbage-collected: a machine that is
    dropped without :meth:`close` does not keep its memfd, and so its memory, for good."""
    close = weakref.finalize(resources, os.close, fd)
    close.atexit = False
    resources.callback(close)


def _ftruncate(fd: int, length: int) -> None:
    """ftruncate(2); a length no off_t holds fails as the kernel fails a negative one."""
    if length >= 1 << 63:
        raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
    os.ftruncate(fd, length)


def _remove_created(path: str, created: os.stat_result) -> None:
    """Remove the file created at ``path``, unless another file has replaced it since."""
    with contextlib.suppress(OSError):
        now = os.stat(path, follow_symlinks=False)
        if (now.st_dev, now.st_ino) == (created.st_dev, created.st_ino):
            os.unlink(path)


def _discard(addr: int, length: int) -> None:
    # As in QEMU, a file system that cannot punch holes keeps the data.
    with contextlib.suppress(OSError):
        syscalls.madvise(addr, length, syscalls.MADV_REMOVE)


@attrs.define(eq=False)
class MemfdBackend(HostMemoryBackend):
    """``memory-backend-memfd``: anonymous memory with a descriptor another process can map."""

    qom_type: ClassVar[str] = "memory-backend-memfd"
    canonical_path_compat: ClassVar[bool] = True
    properties: ClassVar[dict[str, str]] = {
        **HostMemoryBackend.properties,
        "hugetlb": "bool",
        "hugetlbsize": "size",
        "seal": "bool",
    }

    share: bool = True
    hugetlb: bool = False
    hugetlbsize: int = 0
    seal: bool = True

    @classmethod
    def _check_value(cls, key: str, value: Any) -> None:
        super()._check_value(key, value)
        if key == "hugetlbsize" and value == 0:
            raise MachineError("Property 'memory-backend-memfd.hugetlbsize' doesn't take value '0'")

    @classmethod
    def _check_combination(cls, values: dict[str, Any]) -> None:
        # Not a setter's: QEMU finds it when it creates the memfd, from the lowest bit set,
        # so that an odd size passes (its lowest bit is bit 0, and 1 << 0 is not compared).
        hugetlbsize = values.get("hugetlbsize")
        if hugetlbsize and hugetlbsize % 2 == 0 and hugetlbsize & (hugetlbsize - 1):
            raise MachineError("Hugepage size must be a power of 2")

    def _map(self, resources: Stack, creation: Stack) -> _Memory:
        options: dict[str, Any] = {
            "hugetlb": self.hugetlb,
            "hugetlbsize": self.hugetlbsize if self.hugetlb else 0,
            "allow_sealing": self.seal,
        }
        try:
            with signals.held():
                fd = syscalls.memfd_create(self.id, **options)
                _own_fd(resources, fd)
        except OSError as exc:
            raise MachineError(
                f"failed to create memfd with flags {syscalls.memfd_flags(**options):#x}: "
                f"{_strerror(exc)}"
            ) from None
        try:
            _ftruncate(fd, self.size)
        except OSError as exc:
            raise MachineError(f"failed to resize memfd to {self.size}: {_strerror(exc)}") from None
        if self.seal:
            try:
                syscalls.add_seals(fd, MEMFD_SEALS)
            except OSError as exc:
                raise MachineError(
                    f"failed to add seals {MEMFD_SEALS:#x}: {_strerror(exc)}"
                ) from None
        mapping = self._map_fd(fd, resources, growable=False)
        return _Memory(mapping, fd, f"/proc/{os.getpid()}/fd/{fd}")


#: Backend types by QOM type name; new types register here.
BACKEND_TYPES: dict[str, type[HostMemoryBackend]] = {
    cls.qom_type: cls for cls in (RamBackend, FileBackend, MemfdBackend)
}


def resolve_backend(path: str, backends: Sequence[HostMemoryBackend]) -> HostMemoryBackend | None:
    """The backend a QOM path names, as QEMU resolves a path to a memory backend (``-machine
    memory-backend=``, ``-numa node,memdev=``, a device's ``memdev``).

    Backends live in ``/objects``: an absolute path is ``/objects/ID``; a partial one
    (``ID``, ``objects/ID``) names the one backend whose path ends with it. None when it
    names none, or several (an empty path names every backend). Empty components
    (``/objects//m0/``) are skipped.
    """
    parts = [part for part in path.split("/") if part]
    if path.startswith("/"):
        if len(parts) != 2 or parts[0] != "objects":
            return None
        return next((b for b in backends if b.id == parts[1]), None)
    matches = [b for b in backends if not parts or ["objects", b.id][-len(parts) :] == parts]
    return matches[0] if len(matches) == 1 else None


def create_default_backend(
    backend_id: str, size: int, mem_path: str | None, defaults: BackendDefaults
) -> HostMemoryBackend:
    """The automatic main-RAM backend: ``-file`` with ``-mem-path``, else ``-ram``.

    Its RAM is always named by its id, whatever the machine type's compatibility default.
    """
    values: dict[str, Any] = {"size": size, "x-use-canonical-path-for-ramblock-id": False}
    if mem_path is not None:
        return FileBackend._create(backend_id, {**values, "mem-path": mem_path}, defaults)
    return RamBackend._create(backend_id, values, defaults)
