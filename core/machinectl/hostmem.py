"""Host memory backends: ``memory-backend-ram``, ``-file`` and ``-memfd``.

A backend is created from its properties (validated at once, with QEMU's messages) and
allocated later, in :meth:`HostMemoryBackend.allocate`, in QEMU's order: map the memory,
madvise (mergeable, dump, huge pages), bind to host NUMA nodes, then preallocate, so that
pages land where the policy says. Every resource has one owner: :meth:`close` releases the
mapping, the descriptor and any temporary file, also after a failure halfway.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import attrs

from . import prealloc, syscalls
from .errors import MachineError
from .mapping import HostMapping
from .options import (
    ObjectOption,
    parse_bool,
    parse_enum,
    visitor_size,
    visitor_uint,
    visitor_uint_list,
)

MAX_NODES = 128
POLICIES = ("default", "preferred", "bind", "interleave")
_MPOL = {
    "default": syscalls.MPOL_DEFAULT,
    "preferred": syscalls.MPOL_PREFERRED,
    "bind": syscalls.MPOL_BIND,
    "interleave": syscalls.MPOL_INTERLEAVE,
}

Progress = Callable[[int, int], None]


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


def _oserror_text(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else str(exc)


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
        "share": "bool",
        "reserve": "bool",
        "size": "size",
        "x-use-canonical-path-for-ramblock-id": "bool",
    }
    required: ClassVar[tuple[str, ...]] = ("size",)

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
    #: Set once the machine uses the backend as RAM (QEMU's ``is_mapped``).
    mapped: bool = attrs.field(default=False, init=False)
    mapping: HostMapping | None = attrs.field(default=None, init=False)

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def from_option(
        cls,
        option: ObjectOption,
        defaults: BackendDefaults | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> HostMemoryBackend:
        """Build a backend from ``-object``; parse errors name the option, as QEMU does."""
        backend_type = BACKEND_TYPES.get(option.qom_type)
        if backend_type is None:
            raise MachineError(
                f"Parameter 'qom-type' does not accept value '{option.qom_type}'"
            ).at(option.location)
        try:
            values = backend_type._parse_props(option.props, warn)
        except MachineError as exc:
            raise exc.at(option.location) from None
        return backend_type._create(option.id, values, defaults or BackendDefaults())

    @classmethod
    def _parse_props(
        cls, props: Sequence[tuple[str, str]], warn: Callable[[str], None] | None
    ) -> dict[str, Any]:
        texts: dict[str, list[str]] = {}
        for key, value in props:
            if key not in cls.properties:
                raise MachineError(f"Invalid parameter '{key}'")
            texts.setdefault(key, []).append(value)
        values: dict[str, Any] = {}
        for key, kind in cls.properties.items():
            if key not in texts:
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
        for key in cls.required:
            if key not in values:
                raise MachineError(f"Parameter '{key}' is missing")
        return values

    @classmethod
    def _create(
        cls, backend_id: str, values: dict[str, Any], defaults: BackendDefaults
    ) -> HostMemoryBackend:
        """Apply defaults, sugar, then the user's values (user wins), with setter checks."""
        values = dict(values)
        size = values.pop("size")
        if size == 0:
            raise MachineError(f"property 'size' of {cls.qom_type} doesn't take value '0'")
        threads = values.pop("prealloc-threads", defaults.threads)
        if threads == 0:
            raise MachineError(
                f"property 'prealloc-threads' of {cls.qom_type} doesn't take value '0'"
            )
        nodes = values.pop("host-nodes", [])
        for node in nodes:
            if node >= MAX_NODES:
                raise MachineError(f"Invalid host-nodes value: {node}")
        kwargs = {key.replace("-", "_"): value for key, value in values.items()}
        kwargs.setdefault("prealloc", defaults.prealloc)
        kwargs.setdefault("merge", defaults.merge)
        kwargs.setdefault("dump", defaults.dump)
        if kwargs.get("prealloc") and kwargs.get("reserve") is False:
            raise MachineError("'prealloc=on' and 'reserve=off' are incompatible")
        backend = cls(
            id=backend_id,
            size=size,
            prealloc_threads=threads,
            host_nodes=tuple(sorted(set(nodes))),
            **kwargs,
        )
        backend._check()
        return backend

    def _check(self) -> None:
        """Type-specific checks that need no host resources."""

    def check_numa_policy(self) -> None:
        """QEMU's host-nodes/policy consistency rules (checked before anything is mapped)."""
        if self.host_nodes and self.policy == "default":
            raise MachineError(
                "host-nodes must be empty for policy default, or you should explicitly "
                "specify a policy other than default"
            )
        if not self.host_nodes and self.policy != "default":
            raise MachineError(f"host-nodes must be set for policy {self.policy}")

    # -- allocation ----------------------------------------------------------------------------

    @property
    def allocated(self) -> bool:
        return self.mapping is not None

    def allocate(self, progress: Progress | None = None) -> None:
        """Map host memory, advise, bind, preallocate; on any failure release everything."""
        if self.mapping is not None:
            return
        try:
            self.mapping = self._map()
            self._advise()
            self._bind()
            if self.prealloc:
                self._preallocate(progress)
        except BaseException:
            self.close()
            raise

    def _map(self) -> HostMapping:
        raise NotImplementedError

    def _page_size(self) -> int:
        return syscalls.PAGE_SIZE

    def _fd(self) -> int | None:
        return None

    def _advise(self) -> None:
        assert self.mapping is not None
        addr, size = self.mapping.addr, self.mapping.size
        # Best effort, as in QEMU: a kernel without KSM or THP simply ignores the advice.
        advice = [syscalls.MADV_HUGEPAGE, syscalls.MADV_DONTFORK]
        if self.merge:
            advice.append(syscalls.MADV_MERGEABLE)
        if not self.dump:
            advice.append(syscalls.MADV_DONTDUMP)
        for item in advice:
            with contextlib.suppress(OSError):
                syscalls.madvise(addr, size, item)

    def _bind(self) -> None:
        assert self.mapping is not None
        if not self.host_nodes:
            return
        try:
            syscalls.mbind(
                self.mapping.addr,
                self.mapping.size,
                _MPOL[self.policy],
                self.host_nodes,
                syscalls.MPOL_MF_STRICT | syscalls.MPOL_MF_MOVE,
            )
        except OSError as exc:
            raise MachineError(
                f"cannot bind memory to host NUMA nodes: {_oserror_text(exc)}"
            ) from None

    def _preallocate(self, progress: Progress | None) -> None:
        assert self.mapping is not None
        try:
            prealloc.preallocate(
                self.mapping.addr,
                self.mapping.size,
                self._page_size(),
                self.prealloc_threads,
                fd=self._fd(),
                progress=progress,
            )
        except OSError as exc:
            raise MachineError(f"preallocating memory failed: {_oserror_text(exc)}") from None

    def view(self) -> memoryview:
        """Guest RAM as a writable (or, for readonly backends, read-only) byte view."""
        if self.mapping is None:
            raise MachineError(f"memory backend '{self.id}' is not allocated")
        return self.mapping.view()

    @property
    def host_address(self) -> int:
        if self.mapping is None:
            raise MachineError(f"memory backend '{self.id}' is not allocated")
        return self.mapping.addr

    def close(self) -> None:
        """Release the mapping and anything else the backend owns. Idempotent."""
        mapping, self.mapping = self.mapping, None
        if mapping is not None:
            mapping.close()

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

    def sharing_hint(self) -> str | None:
        """How another process can map this memory, or None when it is private."""
        return None


def _ranges(nodes: Sequence[int]) -> str:
    parts: list[str] = []
    for node in sorted(nodes):
        if parts and "-" not in parts[-1] and int(parts[-1]) == node - 1:
            parts[-1] = f"{parts[-1]}-{node}"
        elif parts and "-" in parts[-1] and int(parts[-1].split("-")[1]) == node - 1:
            parts[-1] = f"{parts[-1].split('-')[0]}-{node}"
        else:
            parts.append(str(node))
    return ",".join(parts)


@attrs.define(eq=False)
class RamBackend(HostMemoryBackend):
    """``memory-backend-ram``: anonymous memory."""

    qom_type: ClassVar[str] = "memory-backend-ram"

    def _map(self) -> HostMapping:
        try:
            return HostMapping.anonymous(self.size, shared=self.share, noreserve=not self.reserve)
        except OSError as exc:
            raise MachineError(
                f"cannot set up guest memory '{self.id}': {_oserror_text(exc)}"
            ) from None


@attrs.define(eq=False)
class FileBackend(HostMemoryBackend):
    """``memory-backend-file``: memory backed by a file (or a file in a directory)."""

    qom_type: ClassVar[str] = "memory-backend-file"
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
    _fd_owned: int | None = attrs.field(default=None, init=False)
    #: The file we created (removed on close only when we created it in a directory).
    _created: str | None = attrs.field(default=None, init=False)
    _file_page_size: int = attrs.field(default=0, init=False)

    def _fd(self) -> int | None:
        return self._fd_owned

    def _page_size(self) -> int:
        return self._file_page_size or syscalls.PAGE_SIZE

    def _open(self) -> int:
        path = self.mem_path
        flags = os.O_CLOEXEC | (os.O_RDONLY if self.readonly else os.O_RDWR)
        try:
            if os.path.isdir(path):
                return self._open_temporary(path)
            try:
                fd = os.open(path, flags | os.O_NOFOLLOW if _in_sticky_dir(path) else flags)
            except FileNotFoundError:
                fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644)
                self._created = path
            return fd
        except OSError as exc:
            raise MachineError(
                f"can't open backing store {path} for guest RAM: {_oserror_text(exc)}"
            ) from None

    def _open_temporary(self, directory: str) -> int:
        name = self.id.replace("/", "_")
        fd = (
            os.open(
                directory,
                os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC,
                0o600,
            )
            if hasattr(os, "O_TMPFILE")
            else -1
        )
        return fd if fd >= 0 else self._mkstemp(directory, name)

    def _mkstemp(self, directory: str, name: str) -> int:
        import tempfile

        fd, path = tempfile.mkstemp(prefix=f"qemu_back_mem.{name}.", dir=directory)
        os.unlink(path)
        return fd

    def _map(self) -> HostMapping:
        fd = self._open()
        self._fd_owned = fd
        try:
            self._file_page_size = syscalls.fd_page_size(fd)
            if self.size < self._file_page_size:
                raise MachineError(
                    f"memory size {self.size:#x} must be equal to or larger than page size "
                    f"{self._file_page_size:#x}"
                )
            if self.align and self.align % self._file_page_size:
                raise MachineError(
                    f"alignment {self.align:#x} must be multiples of page size "
                    f"{self._file_page_size:#x}"
                )
            if self.align & (self.align - 1):
                raise MachineError(f"alignment {self.align:#x} must be a power of two")
            size = _round_up(self.size, self._file_page_size)
            current = os.fstat(fd).st_size
            if current and current < self.size:
                raise MachineError(
                    f"backing store size {current:#x} does not match 'size' option {self.size:#x}"
                )
            if current == 0 and not self.readonly:
                os.ftruncate(fd, size)
            try:
                return HostMapping.from_fd(
                    fd,
                    size,
                    shared=self.share,
                    readonly=self.readonly,
                    noreserve=not self.reserve,
                    align=max(self.align, syscalls.HUGEPAGE_ALIGN),
                    sync=self.pmem,
                )
            except OSError as exc:
                raise MachineError(
                    f"unable to map backing store for guest RAM: {_oserror_text(exc)}"
                ) from None
        except OSError as exc:
            raise MachineError(
                f"can't open backing store {self.mem_path} for guest RAM: {_oserror_text(exc)}"
            ) from None

    def close(self) -> None:
        mapping = self.mapping
        if mapping is not None and self.discard_data and self._created is not None:
            with contextlib.suppress(OSError):
                syscalls.madvise(mapping.addr, mapping.size, syscalls.MADV_REMOVE)
        super().close()
        fd, self._fd_owned = self._fd_owned, None
        if fd is not None:
            os.close(fd)

    def abandon_created_file(self) -> None:
        """Remove a file this backend created, after a failed allocation."""
        path, self._created = self._created, None
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)

    def allocate(self, progress: Progress | None = None) -> None:
        try:
            super().allocate(progress)
        except BaseException:
            self.abandon_created_file()
            raise

    def sharing_hint(self) -> str | None:
        if not self.share:
            return None
        if os.path.isdir(self.mem_path):
            return f"/proc/{os.getpid()}/fd/{self._fd_owned}"
        return os.path.abspath(self.mem_path)


def _in_sticky_dir(path: str) -> bool:
    """A world-writable sticky directory (like /tmp): never follow a symlink there."""
    try:
        mode = os.stat(os.path.dirname(os.path.abspath(path))).st_mode
    except OSError:
        return False
    return bool(mode & stat.S_ISVTX) and bool(mode & stat.S_IWOTH)


def _round_up(value: int, step: int) -> int:
    return (value + step - 1) // step * step


@attrs.define(eq=False)
class MemfdBackend(HostMemoryBackend):
    """``memory-backend-memfd``: anonymous memory with a descriptor another process can map."""

    qom_type: ClassVar[str] = "memory-backend-memfd"
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
    _fd_owned: int | None = attrs.field(default=None, init=False)

    def _check(self) -> None:
        if self.hugetlb and self.hugetlbsize & (self.hugetlbsize - 1):
            raise MachineError("Hugepage size must be a power of 2")

    @classmethod
    def _create(
        cls, backend_id: str, values: dict[str, Any], defaults: BackendDefaults
    ) -> HostMemoryBackend:
        if values.get("hugetlbsize") == 0:
            raise MachineError("Property 'memory-backend-memfd.hugetlbsize' doesn't take value '0'")
        return super()._create(backend_id, values, defaults)

    def _fd(self) -> int | None:
        return self._fd_owned

    def _page_size(self) -> int:
        if self.hugetlb:
            return self.hugetlbsize or syscalls.default_hugepage_size() or syscalls.PAGE_SIZE
        return syscalls.PAGE_SIZE

    def _map(self) -> HostMapping:
        try:
            fd = syscalls.memfd_create(
                self.id,
                hugetlb=self.hugetlb,
                hugetlbsize=self.hugetlbsize if self.hugetlb else 0,
                allow_sealing=self.seal,
            )
        except OSError as exc:
            raise MachineError(f"failed to create memfd: {_oserror_text(exc)}") from None
        self._fd_owned = fd
        size = _round_up(self.size, self._page_size())
        try:
            os.ftruncate(fd, size)
            if self.seal:
                syscalls.add_seals(
                    fd, syscalls.F_SEAL_GROW | syscalls.F_SEAL_SHRINK | syscalls.F_SEAL_SEAL
                )
            return HostMapping.from_fd(
                fd,
                size,
                shared=self.share,
                readonly=False,
                noreserve=not self.reserve,
                align=syscalls.HUGEPAGE_ALIGN,
            )
        except OSError as exc:
            code = exc.errno or errno.EINVAL
            raise MachineError(
                f"unable to map backing store for guest RAM: {os.strerror(code)}"
            ) from None

    def close(self) -> None:
        super().close()
        fd, self._fd_owned = self._fd_owned, None
        if fd is not None:
            os.close(fd)

    def sharing_hint(self) -> str | None:
        if not self.share or self._fd_owned is None:
            return None
        return f"/proc/{os.getpid()}/fd/{self._fd_owned}"


#: Backend types by QOM type name; new types register here.
BACKEND_TYPES: dict[str, type[HostMemoryBackend]] = {
    cls.qom_type: cls for cls in (RamBackend, FileBackend, MemfdBackend)
}


def create_default_backend(
    backend_id: str, size: int, mem_path: str | None, defaults: BackendDefaults
) -> HostMemoryBackend:
    """The automatic main-RAM backend: ``-file`` with ``-mem-path``, else ``-ram``."""
    if mem_path is not None:
        return FileBackend._create(backend_id, {"size": size, "mem-path": mem_path}, defaults)
    return RamBackend._create(backend_id, {"size": size}, defaults)
