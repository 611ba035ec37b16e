"""Snapshots of guest RAM, restored in place in time proportional to what was written.

:meth:`Machine.snapshot` copies every byte of guest RAM the machine owns (each allocated
backend: main RAM, NUMA node backends and every other ``memory-backend-*`` object) into a
:class:`Snapshot`; :meth:`Machine.restore` makes the RAM byte-identical to it again. Restoring
writes through the same host mappings: host addresses never change, so an emulator's
zero-copy mappings (``mem_map_ptr``) stay valid.

How a restore finds what changed, per backend, detected at run time (:attr:`Snapshot.methods`):

``uffd-wp``
   The backend's range is registered with a userfaultfd for write-protection in asynchronous
   mode (``UFFD_FEATURE_WP_ASYNC``, Linux 6.7): the kernel clears a page's protection on its
   first write, without a fault reaching this process, and ``PAGEMAP_SCAN`` on
   ``/proc/self/pagemap`` returns exactly the written ranges. A restore copies those ranges
   back from the snapshot and protects them again. The kernel walks the page tables of the
   range (about 1 to 2 ns a 4 KiB entry, one entry per 2 MiB transparent huge page still
   intact); everything done in this process is proportional to the ranges written.

   Shared memory (``share=on``) is mapped a second time, without the userfaultfd: one walk
   (``PM_SCAN_WP_MATCHING``) lists the written ranges and protects them again, and the copy
   goes through the second mapping, which writes the same pages without lifting the
   protection of the first. Private memory has no second mapping (a write to it through
   any path lifts the protection): a walk finds the ranges, and protecting them again after
   the copy takes a second walk, or one protection call per range when that is cheaper.
   That second step is skipped while the guest writes no more pages than the last restore
   copied back (up to 16 restores in a row): the pages left unprotected hold the snapshot's
   bytes and are copied again at the next restore, so a loop that writes the same pages
   each round pays one walk and one copy of its pages per restore.
``copy``
   Everything else: each 2 MiB chunk is compared with the snapshot and copied where it
   differs. Used when userfaultfd or ``PAGEMAP_SCAN`` is missing or refused, for a range
   another userfaultfd already holds, or on request (``method="copy"``).

A write is seen when it goes through this process's page tables: the program, an emulator's
mapping of the same addresses, system calls that copy into the memory (``read`` into a
view). Writes that do not are not seen: another process writing to a ``share=on`` backend
through its own mapping, ``write``/``fallocate`` on the backend's file or memfd, pages of a
file or memfd discarded through the mapping (``MADV_DONTNEED``, ``MADV_REMOVE``: they keep
their protection), devices writing to pinned pages. For those, use ``method="copy"``. A
discarded page of private anonymous memory is seen (the kernel counts a page it no longer
maps there as written). Read-only backends
(``readonly=on``) cannot be written through the mapping and are left out of snapshots.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import struct
import tempfile
import threading
import time
import weakref
import zlib
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import attrs
else:
    from . import _record as attrs

from . import syscalls
from .errors import MachineError
from .mapping import HostMapping

if TYPE_CHECKING:
    from .hostmem import HostMemoryBackend
    from .machine import Machine

__all__ = ["METHODS", "Layout", "Snapshot"]

#: The means of finding written pages, fastest first.
METHODS = ("uffd-wp", "copy")
#: Unit of comparison and of the zero map: one transparent huge page.
CHUNK = 2 * 1024 * 1024
#: Restores in a row that may leave the pages they copied unprotected (private memory).
DEFERRED_RESTORES = 16
#: Unit of the snapshot file: pages of this size that are all zero are not stored.
FILE_PAGE = 4096

MAGIC = b"MCTLSNP\x01"
END = b"MCTLEND\x01"
#: magic, header length, header CRC-32.
_PROLOGUE = struct.Struct("<8sII")
#: first page, page count, CRC-32 of the pages.
_RUN = struct.Struct("<QII")
_LAST_RUN = 0xFFFF_FFFF_FFFF_FFFF
MAX_HEADER = 1 << 20
MAX_BACKENDS = 4096
#: The largest page size a header may name (16 GiB: arm64's largest huge page).
MAX_PAGE = 1 << 34
#: The most memory a header may name in all: a 47-bit user address space.
MAX_TOTAL = 1 << 47
#: Pages per run in a file: a run never crosses a chunk.
RUN_PAGES = CHUNK // FILE_PAGE
_ZERO_CHUNK = bytes(CHUNK)


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def _size_text(size: int) -> str:
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} bytes"


class BadHeader(Exception):
    """A snapshot file header that does not describe a layout."""


# -- layout -----------------------------------------------------------------------------------


@attrs.frozen
class BackendLayout:
    """One backend in a snapshot: what must match in the machine it is restored into."""

    id: str
    size: int
    page_size: int
    #: The QOM type (informative: a backend of another type with the same size fits).
    qom_type: str = ""

    def text(self) -> str:
        """``'ram' (16 MiB)``, with the page size when it is not 4 KiB: for messages."""
        page = f", {_size_text(self.page_size)} pages" if self.page_size != FILE_PAGE else ""
        return f"'{self.id}' ({_size_text(self.size)}{page})"


@attrs.frozen
class Layout:
    """The guest RAM a snapshot belongs to: the board and each backend's id, size, page size."""

    board: str
    family: str
    backends: tuple[BackendLayout, ...]

    @classmethod
    def of(cls, machine: Machine) -> Layout:
        """The layout of a built, allocated machine (read-only backends are not part of it)."""
        return cls(
            machine.board.name,
            machine.board.spec.family,
            tuple(
                BackendLayout(b.id, b.size, b.mapping.page_size, b.qom_type)
                for b in _backends(machine)
            ),
        )

    def check(self, other: Layout) -> None:
        """Raise :class:`MachineError` naming the first difference between ``self`` (the
        snapshot's) and ``other`` (the machine's)."""
        where = f"machine '{other.board}'"
        if self.board != other.board:
            raise MachineError(
                f"snapshot of machine '{self.board}' cannot be restored into {where}"
            )
        mine = {b.id: b for b in self.backends}
        theirs = {b.id: b for b in other.backends}
        for backend in self.backends:
            there = theirs.get(backend.id)
            if there is None:
                raise MachineError(
                    f"snapshot holds backend {backend.text()}, which {where} does not have"
                )
            if (there.size, there.page_size) != (backend.size, backend.page_size):
                raise MachineError(
                    f"snapshot holds backend {backend.text()}, {where} has {there.text()}"
                )
        for backend in other.backends:
            if backend.id not in mine:
                raise MachineError(
                    f"{where} has backend {backend.text()}, which the snapshot does not hold"
                )

    def to_json(self) -> dict[str, Any]:
        """The layout as the file header stores it."""
        return {
            "board": self.board,
            "family": self.family,
            "page-size": FILE_PAGE,
            "backends": [
                {"id": b.id, "size": b.size, "page-size": b.page_size, "type": b.qom_type}
                for b in self.backends
            ],
        }

    @classmethod
    def from_json(cls, data: object) -> Layout:
        """The layout a file header describes; anything malformed raises :class:`BadHeader`."""
        if not isinstance(data, dict) or data.get("page-size") != FILE_PAGE:
            raise BadHeader("not a snapshot header")
        board, family, backends = data.get("board"), data.get("family"), data.get("backends")
        if not isinstance(board, str) or not isinstance(family, str):
            raise BadHeader("no board in the header")
        if not isinstance(backends, list) or len(backends) > MAX_BACKENDS:
            raise BadHeader("no backend list in the header")
        items = []
        for entry in backends:
            if not isinstance(entry, dict):
                raise BadHeader("malformed backend entry")
            ident, size = entry.get("id"), entry.get("size")
            page_size, qom_type = entry.get("page-size"), entry.get("type", "")
            if not isinstance(ident, str) or not isinstance(qom_type, str):
                raise BadHeader("malformed backend entry")
            for number in (size, page_size):
                if type(number) is not int or not 0 < number < 1 << 62:
                    raise BadHeader("malformed backend size")
            assert isinstance(size, int) and isinstance(page_size, int)
            if page_size & (page_size - 1) or not FILE_PAGE <= page_size <= MAX_PAGE:
                raise BadHeader("malformed backend page size")
            items.append(BackendLayout(ident, size, page_size, qom_type))
        if len({b.id for b in items}) != len(items):
            raise BadHeader("a backend id appears twice")
        if sum(_round_up(b.size, b.page_size) for b in items) > MAX_TOTAL:
            raise BadHeader("the backends are larger than any address space")
        return cls(board, family, tuple(items))


def _backends(machine: Machine) -> list[HostMemoryBackend]:
    """The backends a snapshot covers: every allocated backend the machine can write."""
    if machine.closed or not machine.allocated:
        raise MachineError(
            f"machine '{machine.board.name}' has no allocated guest RAM to snapshot or restore"
        )
    return [b for b in machine.backends if b.allocated and not b.mapping.readonly]


def _length(mapping: HostMapping) -> int:
    return _round_up(mapping.size, mapping.page_size)


# -- tracking ---------------------------------------------------------------------------------


@attrs.define(eq=False)
class _Region:
    """One backend's memory as the tracker sees it."""

    id: str
    addr: int
    length: int
    method: str
    #: Private anonymous memory: its holes are mapped to the zero page before protecting.
    anonymous: bool = False
    #: Why the method is ``copy`` (empty when it was asked for, or is ``uffd-wp``).
    reason: str = ""
    #: Shared memory: a second mapping of the same pages, not registered with the
    #: userfaultfd. Writes through it leave the protection of the tracked mapping as it is,
    #: so a restore finds and re-protects the written pages in one page-table walk and then
    #: copies through it.
    alias: HostMapping | None = None
    #: Bytes the last restore copied back (private memory; see
    #: :meth:`Snapshot._restore_written`), and how many restores in a row left the pages
    #: they copied unprotected.
    last_copied: int = 0
    deferred: int = 0


@attrs.define(eq=False)
class Tracker:
    """The write tracking of one machine's guest RAM: its userfaultfd, its pagemap scanner
    and the snapshot the RAM equals except for the pages written since.

    The machine owns it (:meth:`Machine.close` closes it) because it belongs to the mappings.
    """

    regions: dict[str, _Region]
    #: The method asked for (None: the fastest this kernel has).
    requested: str | None = None
    uffd: int = -1
    scanner: syscalls.PageScanner | None = None
    #: The snapshot the RAM equalled when the written pages were last cleared.
    _baseline: weakref.ref[Snapshot] | None = None
    #: Seconds one protection call costs, as measured (a first guess until then).
    _call_cost: float = 3e-6
    _closer: weakref.finalize[Any, Any] | None = None

    @classmethod
    def open(cls, machine: Machine, method: str | None) -> Tracker:
        """Track every backend of ``machine`` with the fastest method this kernel allows."""
        backends = _backends(machine)
        regions = {
            b.id: _Region(
                b.id,
                b.mapping.addr,
                _length(b.mapping),
                "copy",
                anonymous=b.memory_fd is None and not b.share,
            )
            for b in backends
        }
        fds = {b.id: (b.memory_fd, b.share) for b in backends}
        tracker = cls(regions, method)
        if method == "copy":
            return tracker
        try:
            tracker._open_uffd()
        except OSError as exc:
            tracker.close()
            reason = f"userfaultfd write-protection unavailable: {os.strerror(exc.errno or 0)}"
            for region in regions.values():
                region.reason = reason
            return tracker
        assert tracker.uffd >= 0
        for region in regions.values():
            try:
                syscalls.uffd_register_wp(tracker.uffd, region.addr, region.length)
            except OSError as exc:
                region.reason = f"cannot write-protect its mapping: {os.strerror(exc.errno or 0)}"
                continue
            region.method = "uffd-wp"
            fd, shared = fds[region.id]
            if shared:
                region.alias = _alias(region, fd)
        return tracker

    def _open_uffd(self) -> None:
        self.scanner = syscalls.PageScanner()
        self.uffd = syscalls.userfaultfd()
        # Closed with the tracker, or when a machine dropped without close() is collected.
        self._closer = weakref.finalize(self, os.close, self.uffd)
        self._closer.atexit = False
        features = syscalls.UFFD_FEATURE_WP_ASYNC | syscalls.UFFD_FEATURE_WP_HUGETLBFS_SHMEM
        syscalls.uffd_api(self.uffd, features)
        # A scan of nothing tells whether this kernel has PAGEMAP_SCAN (Linux 6.7).
        self.scanner.scan(0, 0, categories=syscalls.PAGE_IS_WRITTEN)
        probe = HostMapping.anonymous(syscalls.PAGE_SIZE, align=syscalls.PAGE_SIZE)
        with probe:
            self.scanner.scan(
                probe.addr,
                probe.addr + syscalls.PAGE_SIZE,
                categories=syscalls.PAGE_IS_WRITTEN,
            )

    @property
    def methods(self) -> dict[str, str]:
        """Backend id -> ``"uffd-wp"`` or ``"copy"``."""
        return {r.id: r.method for r in self.regions.values()}

    @property
    def reasons(self) -> dict[str, str]:
        """Backend id -> why it is not tracked, for backends that fell back to ``copy``."""
        return {r.id: r.reason for r in self.regions.values() if r.reason}

    def baseline(self) -> Snapshot | None:
        """The snapshot the RAM equals except for the pages written since, if any."""
        return self._baseline() if self._baseline is not None else None

    def set_baseline(self, snapshot: Snapshot) -> None:
        """Clear every written mark: from now on the RAM equals ``snapshot`` but for what is
        written."""
        for region in self.tracked():
            if region.anonymous:
                # Page tables over never-touched memory cost the kernel a walk of 512
                # entries per 2 MiB at each scan; the (huge) zero page costs one.
                with contextlib.suppress(OSError):
                    syscalls.madvise(region.addr, region.length, syscalls.MADV_POPULATE_READ)
            self._protect(region, region.addr, region.addr + region.length)
            region.last_copied = region.deferred = 0
        self._baseline = weakref.ref(snapshot)

    def forget(self) -> None:
        """The RAM no longer equals the baseline (a restore or capture failed midway)."""
        self._baseline = None

    def tracked(self) -> Iterator[_Region]:
        """The regions tracked with ``uffd-wp``."""
        return (r for r in self.regions.values() if r.method == "uffd-wp")

    def unprotect(self) -> None:
        """Drop the protection everywhere: a full restore writes every page without faults."""
        for region in self.tracked():
            syscalls.uffd_writeprotect(self.uffd, region.addr, region.length, protect=False)

    def written(self, region: _Region) -> list[tuple[int, int]]:
        """``(start, end)`` addresses of the pages of ``region`` written since the baseline."""
        assert self.scanner is not None
        return self.scanner.scan(
            region.addr,
            region.addr + region.length,
            categories=syscalls.PAGE_IS_WRITTEN,
            flags=syscalls.PM_SCAN_CHECK_WPASYNC,
        )

    def written_and_protected(self, region: _Region) -> list[tuple[int, int]]:
        """Like :meth:`written`, and protect those pages again in the same walk: for a region
        with an alias, whose pages are then restored through it."""
        assert self.scanner is not None
        return self.scanner.scan(
            region.addr,
            region.addr + region.length,
            categories=syscalls.PAGE_IS_WRITTEN,
            flags=syscalls.PM_SCAN_WP_MATCHING | syscalls.PM_SCAN_CHECK_WPASYNC,
        )

    def reprotect(
        self, region: _Region, ranges: Sequence[tuple[int, int]], walk: float = 0.0
    ) -> None:
        """Protect ``ranges`` (from :meth:`written`) again once they hold the baseline.

        Either one call per range, or one page-table walk over their span, whichever is
        expected to be faster: ``walk`` is the time :meth:`written` took to walk the whole
        region, and the cost of a call is measured as calls are made.
        """
        if not ranges:
            return
        span = ranges[-1][1] - ranges[0][0]
        if len(ranges) * self._call_cost <= walk * span / region.length:
            started = time.perf_counter()
            for start, end in ranges:
                self._protect(region, start, end)
            cost = (time.perf_counter() - started) / len(ranges)
            self._call_cost += (cost - self._call_cost) / 4
        else:
            self._protect(region, ranges[0][0], ranges[-1][1])

    def _protect(self, region: _Region, start: int, end: int) -> None:
        assert self.scanner is not None
        if end - start <= 16 * syscalls.PAGE_SIZE:
            syscalls.uffd_writeprotect(self.uffd, start, end - start)
            return
        # One walk that protects only what is written (pages already protected are skipped).
        self.scanner.scan(
            start,
            end,
            categories=syscalls.PAGE_IS_WRITTEN,
            flags=syscalls.PM_SCAN_WP_MATCHING | syscalls.PM_SCAN_CHECK_WPASYNC,
            report=False,
        )

    def close(self) -> None:
        """Stop tracking: close the userfaultfd (which unregisters every range) and the
        pagemap descriptor. Idempotent."""
        self._baseline = None
        if self.scanner is not None:
            self.scanner.close()
            self.scanner = None
        if self.uffd >= 0:
            self.uffd = -1
            if self._closer is not None:
                self._closer()
        for region in self.regions.values():
            region.method = "copy"
            if region.alias is not None:
                region.alias.close()
                region.alias = None


def _alias(region: _Region, fd: int | None) -> HostMapping | None:
    """A second mapping of a shared region's memory (None where the kernel refuses one:
    the restore then walks the page tables twice, which is slower but as exact)."""
    try:
        if fd is not None:  # hugetlbfs cannot be duplicated with mremap: map the file again
            return HostMapping.from_fd(fd, region.length, shared=True)
        addr = syscalls.mremap_alias(region.addr, region.length)
        return HostMapping._own(addr, region.length, readonly=False, page_size=syscalls.PAGE_SIZE)
    except (OSError, ValueError):
        return None


def tracker_for(machine: Machine, method: str | None) -> Tracker:
    """The machine's tracker: the one it has, unless it covers other backends or uses
    another method than ``method`` asks for. ``method="uffd-wp"`` that this kernel cannot
    honour raises :class:`MachineError`."""
    if method is not None and method not in METHODS:
        raise MachineError(f"snapshot method '{method}' is not one of {', '.join(METHODS)}")
    tracker: Tracker | None = machine._tracker
    wanted = [b.id for b in _backends(machine)]
    if tracker is not None:
        if list(tracker.regions) == wanted and tracker.requested == method:
            return tracker
        tracker.close()
        machine._tracker = None
    tracker = Tracker.open(machine, method)
    if method == "uffd-wp" and tracker.reasons:
        ident, reason = next(iter(tracker.reasons.items()))
        tracker.close()
        raise MachineError(f"cannot track writes to backend '{ident}': {reason}")
    machine._tracker = tracker
    return tracker


# -- images -----------------------------------------------------------------------------------


@attrs.define(eq=False)
class _Image:
    """A copy of one backend's memory, in private anonymous memory of the same length.

    Chunks that were all zero are not written (they cost no memory); ``nonzero`` says which
    chunks were written.
    """

    layout: BackendLayout
    mapping: HostMapping
    length: int
    nonzero: bytearray

    @classmethod
    def empty(cls, layout: BackendLayout, length: int) -> _Image:
        """An image of ``length`` bytes, all zeros, reserved but not populated."""
        try:
            mapping = HostMapping.anonymous(length, noreserve=True, align=CHUNK)
        except OSError as exc:
            raise MachineError(
                f"cannot allocate {_size_text(length)} for a snapshot of backend "
                f"'{layout.id}': {os.strerror(exc.errno or 0)}"
            ) from None
        # Huge pages where the kernel gives them: fewer TLB misses when pages are copied back.
        with contextlib.suppress(OSError):
            syscalls.madvise(mapping.addr, length, syscalls.MADV_HUGEPAGE)
        return cls(layout, mapping, length, bytearray(-(-length // CHUNK)))

    def chunks(self) -> Iterator[tuple[int, int]]:
        """``(offset, size)`` of each chunk."""
        for index in range(len(self.nonzero)):
            start = index * CHUNK
            yield start, min(CHUNK, self.length - start)

    def capture(self, addr: int, candidates: Sequence[tuple[int, int]]) -> None:
        """Copy the memory at ``addr`` in; only chunks that meet a candidate range may hold
        anything but zeros."""
        wanted = self._marks(candidates)
        base = self.mapping.addr
        for index, (start, size) in enumerate(self.chunks()):
            if not wanted[index] or syscalls.memcmp(addr + start, _ZERO_CHUNK, size) == 0:
                continue
            syscalls.memmove(base + start, addr + start, size)
            self.nonzero[index] = 1

    def copy_to(self, addr: int, candidates: Sequence[tuple[int, int]] | None = None) -> None:
        """Make the memory at ``addr`` equal to the image, writing only chunks that differ.

        ``candidates`` (see :func:`_candidates`) are the offsets where the memory may hold
        anything but zeros; a chunk outside them that is zero in the image is left unread.
        """
        base = self.mapping.addr
        maybe = self._marks(candidates) if candidates is not None else None
        for index, (start, size) in enumerate(self.chunks()):
            if self.nonzero[index]:
                if syscalls.memcmp(addr + start, base + start, size):
                    syscalls.memmove(addr + start, base + start, size)
            elif maybe is not None and not maybe[index]:
                continue
            elif syscalls.memcmp(addr + start, _ZERO_CHUNK, size):
                syscalls.memset(addr + start, 0, size)

    def _marks(self, candidates: Sequence[tuple[int, int]]) -> bytearray:
        """One byte per chunk: 1 where a candidate range meets it."""
        marks = bytearray(len(self.nonzero))
        for start, end in candidates:
            for index in range(start // CHUNK, -(-end // CHUNK)):
                marks[index] = 1
        return marks

    def copy_ranges(
        self, addr: int, ranges: Sequence[tuple[int, int]], via: int | None = None
    ) -> None:
        """Copy the image's bytes back over the address ranges ``ranges`` of the memory at
        ``addr``, writing through the mapping of the same memory at ``via`` if given."""
        if not ranges:
            return
        source = syscalls.view_at(self.mapping.addr, self.length)
        target = syscalls.view_at(addr if via is None else via, self.length)
        with source, target:
            for start, end in ranges:
                target[start - addr : end - addr] = source[start - addr : end - addr]

    def write(self, out: IO[bytes]) -> None:
        """Write the image's non-zero pages to a snapshot file."""
        _write(self, out)

    def read(self, source: IO[bytes], name: str) -> None:
        """Fill the image from a snapshot file."""
        _read(self, source, name)

    def close(self) -> None:
        """Release the image's memory."""
        self.mapping.close()


def _candidates(
    backend: HostMemoryBackend, scanner: syscalls.PageScanner | None
) -> list[tuple[int, int]]:
    """Offsets of the parts of a backend that may hold anything but zeros.

    Anonymous memory holds zeros wherever this process has no page (present or swapped) or
    maps the zero page;
    a memfd or file shared with the mapping holds zeros in its holes. Elsewhere, or without
    PAGEMAP_SCAN, everything is a candidate.
    """
    mapping = backend.mapping
    length = _length(mapping)
    whole = [(0, length)]
    fd = backend.memory_fd
    try:
        if fd is not None and backend.share:
            return [(s, e) for s, e in syscalls.data_ranges(fd, length)]
        if scanner is None or backend.share:
            return whole
        anyof = syscalls.PAGE_IS_PRESENT | syscalls.PAGE_IS_SWAPPED
        zero = syscalls.PAGE_IS_PFNZERO  # mapped to the zero page: zeros
        pages = scanner.scan(
            mapping.addr, mapping.addr + length, categories=zero, inverted=zero, anyof=anyof
        )
        ranges = [(s - mapping.addr, e - mapping.addr) for s, e in pages]
        if fd is not None:  # a private mapping of a file: the file's data shows through
            ranges += syscalls.data_ranges(fd, length)
        return ranges
    except OSError:
        return whole


# -- the snapshot ---------------------------------------------------------------------------


@attrs.define(eq=False)
class Snapshot:
    """A copy of a machine's guest RAM: take one with :meth:`Machine.snapshot`, put it back
    with :meth:`Machine.restore`, keep it with :meth:`save` and :meth:`load`.

    It holds one image per backend, in private anonymous memory (zero chunks cost nothing).
    Release it with :meth:`close` or use it as a context manager; an unreferenced snapshot
    is released when it is collected.
    """

    #: The guest RAM the snapshot belongs to (board, backends' ids, sizes, page sizes).
    layout: Layout
    _images: dict[str, _Image]
    #: How each backend's written pages were found when this snapshot was last taken or
    #: restored: ``"uffd-wp"`` or ``"copy"`` (see :mod:`machinectl.snapshot`).
    methods: dict[str, str] = attrs.field(factory=dict)
    #: Why a backend is restored by ``copy`` when it was not asked for.
    reasons: dict[str, str] = attrs.field(factory=dict)
    #: Set by :meth:`close`: the memory is released and the snapshot cannot be used.
    closed: bool = False
    #: Held while the images are read or written: :meth:`close` from another thread waits.
    _lock: threading.RLock = attrs.field(factory=threading.RLock, init=False, repr=False)

    @property
    def method(self) -> str:
        """The means in use: ``"uffd-wp"``, ``"copy"``, both (``"uffd-wp+copy"``), or ``""``
        for a loaded snapshot not restored yet."""
        return "+".join(m for m in METHODS if m in self.methods.values())

    @property
    def size(self) -> int:
        """Bytes of guest RAM the snapshot covers."""
        return sum(b.size for b in self.layout.backends)

    # -- taking and restoring -----------------------------------------------------------------

    @classmethod
    def take(cls, machine: Machine, *, method: str | None = None) -> Snapshot:
        """Copy ``machine``'s guest RAM (what :meth:`Machine.snapshot` does)."""
        tracker = tracker_for(machine, method)
        layout = Layout.of(machine)
        backends = {b.id: b for b in _backends(machine)}
        images: dict[str, _Image] = {}
        try:
            for item in layout.backends:
                backend = backends[item.id]
                image = _Image.empty(item, _length(backend.mapping))
                images[item.id] = image
                image.capture(backend.mapping.addr, _candidates(backend, tracker.scanner))
        except BaseException:
            for image in images.values():
                image.close()
            raise
        snapshot = cls(layout, images, tracker.methods, tracker.reasons)
        tracker.forget()
        tracker.set_baseline(snapshot)
        return snapshot

    def restore_into(self, machine: Machine) -> None:
        """Make ``machine``'s guest RAM equal to this snapshot (:meth:`Machine.restore`)."""
        with self._lock:
            self._restore_into(machine)

    def _restore_into(self, machine: Machine) -> None:
        self._check_open()
        current = machine._tracker
        tracker = tracker_for(machine, current.requested if current is not None else None)
        self.layout.check(Layout.of(machine))
        if tracker.baseline() is self:
            self._restore_written(tracker, machine)
        else:
            self._restore_all(tracker, machine)
        self.methods, self.reasons = tracker.methods, tracker.reasons

    def _restore_written(self, tracker: Tracker, machine: Machine) -> None:
        for region in tracker.regions.values():
            image = self._images[region.id]
            if region.method != "uffd-wp":
                backend = next(b for b in _backends(machine) if b.id == region.id)
                image.copy_to(region.addr, _candidates(backend, tracker.scanner))
                continue
            if region.alias is not None:
                # One walk finds the written pages and protects them again; the copy goes
                # through the alias, which does not lift the protection.
                try:
                    ranges = tracker.written_and_protected(region)
                    image.copy_ranges(region.addr, ranges, via=region.alias.addr)
                except BaseException:
                    tracker.forget()
                    raise
                continue
            started = time.perf_counter()
            ranges = tracker.written(region)
            walk = time.perf_counter() - started
            if not ranges:
                region.last_copied = region.deferred = 0
                continue
            try:
                image.copy_ranges(region.addr, ranges)
            except BaseException:
                tracker.forget()
                raise
            # The copy wrote the pages, which lifted their protection again. Protecting them
            # anew costs a second walk (or a call per range); a page left unprotected costs
            # a copy at each restore until it is protected, and is harmless (it holds the
            # snapshot's bytes). So the protection is renewed only when pages were written
            # beyond as many as the last restore copied (the written set moved), or
            # after DEFERRED_RESTORES restores without it (the set may have shrunk): a loop
            # that writes the same pages each round pays one walk per restore.
            written = sum(end - start for start, end in ranges)
            if written > region.last_copied or region.deferred >= DEFERRED_RESTORES:
                try:
                    tracker.reprotect(region, ranges, walk)
                except BaseException:
                    tracker.forget()
                    raise
                region.deferred = 0
            else:
                region.deferred += 1
            region.last_copied = written

    def _restore_all(self, tracker: Tracker, machine: Machine) -> None:
        tracker.forget()
        tracker.unprotect()
        backends = {b.id: b for b in _backends(machine)}
        for region in tracker.regions.values():
            # Chunks the kernel says hold zeros are not read: reading a hole of a memfd or
            # shared file would fill it with memory.
            candidates = _candidates(backends[region.id], tracker.scanner)
            self._images[region.id].copy_to(region.addr, candidates)
        tracker.set_baseline(self)

    # -- files ----------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> int:
        """Write the snapshot to ``path``, atomically; returns the file's size in bytes.

        Only pages that are not all zeros are stored, each run with its CRC-32, after a
        header naming the layout. The file is written next to ``path`` under a temporary
        name and renamed over it once complete and flushed to disk: ``path`` holds either
        the old file or the whole new one. It is created with mode 0600 (guest RAM may hold
        secrets).
        """
        with self._lock:
            self._check_open()
            return self._save(path)

    def _save(self, path: str | os.PathLike[str]) -> int:
        target = _path_text(path)
        try:
            # A link is followed: the file it names is replaced, and the link stays.
            real = os.path.realpath(target)
            existing = os.stat(real) if os.path.lexists(real) else None
        except (OSError, ValueError) as exc:
            raise MachineError(f"cannot save snapshot to {target}: {_reason(exc)}") from None
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            # Renaming over a device, a FIFO or a directory would replace it with a file.
            raise MachineError(f"cannot save snapshot to {target}: not a regular file")
        directory = os.path.dirname(real)
        header = json.dumps(self.layout.to_json(), sort_keys=True).encode()
        try:
            fd, temporary = tempfile.mkstemp(
                prefix=f".{os.path.basename(real)}.", suffix=".tmp", dir=directory
            )
        except OSError as exc:
            raise MachineError(
                f"cannot save snapshot to {target}: {os.strerror(exc.errno or 0)}"
            ) from None
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(_PROLOGUE.pack(MAGIC, len(header), zlib.crc32(header)))
                out.write(header)
                for item in self.layout.backends:
                    self._images[item.id].write(out)
                out.write(END)
                out.flush()
                os.fsync(out.fileno())
                size = out.tell()
            os.replace(temporary, real)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            if isinstance(exc, OSError):
                raise MachineError(
                    f"cannot save snapshot to {target}: {os.strerror(exc.errno or 0)}"
                ) from None
            raise
        with contextlib.suppress(OSError):
            dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return size

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Snapshot:
        """Read a snapshot written by :meth:`save`.

        A file that is not one, is truncated or corrupt raises :class:`MachineError`; memory
        is reserved only for the sizes in a header whose checksum is right, and filled only
        with pages the file really holds.
        """
        name = _path_text(path)
        try:
            source = _open_regular(name)
        except (OSError, ValueError) as exc:
            raise MachineError(f"cannot read snapshot {name}: {_reason(exc)}") from None
        images: dict[str, _Image] = {}
        try:
            with source:
                layout = _read_header(source, name)
                for item in layout.backends:
                    image = _Image.empty(item, _round_up(item.size, item.page_size))
                    images[item.id] = image
                    image.read(source, name)
                if source.read(len(END) + 1) != END:
                    raise _corrupt(name, "it does not end where its contents end")
        except BaseException as exc:
            for image in images.values():
                image.close()
            if isinstance(exc, OSError):
                raise MachineError(
                    f"cannot read snapshot {name}: {os.strerror(exc.errno or 0)}"
                ) from None
            raise
        return cls(layout, images)

    # -- lifetime -------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed:
            raise MachineError("the snapshot is closed")

    def close(self) -> None:
        """Release the snapshot's memory. Idempotent; waits for a restore or save in
        another thread to end."""
        with self._lock:
            self.closed = True
            for image in self._images.values():
                image.close()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# -- file format ------------------------------------------------------------------------------


def _path_text(path: object) -> str:
    """A path given as str, bytes or path-like, as text (undecodable bytes kept)."""
    try:
        name = os.fspath(path)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(
            f"a snapshot path must be str, bytes or os.PathLike, not {type(path).__name__}"
        ) from None
    return os.fsdecode(name)


def _reason(exc: OSError | ValueError) -> str:
    if isinstance(exc, OSError):
        return os.strerror(exc.errno or 0)
    return "embedded null byte"  # the one ValueError a path gives (worded by each Python)


def _open_regular(name: str) -> IO[bytes]:
    """Open ``name`` for reading if it is a regular file (a FIFO or device never blocks)."""
    fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if not stat.S_ISREG(mode):
            raise MachineError(f"cannot read snapshot {name}: not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _corrupt(name: str, why: str) -> MachineError:
    return MachineError(f"{name} is not a valid machinectl snapshot: {why}")


def _read_exact(source: IO[bytes], size: int, name: str) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise _corrupt(name, "it is truncated")
    return data


def _read_into(source: IO[bytes], target: memoryview) -> int:
    """Fill ``target`` from ``source``; the byte count read (short only at end of file)."""
    done = 0
    while done < len(target):
        count = source.readinto(target[done:])  # type: ignore[attr-defined]
        if not count:
            break
        done += count
    return done


def _read_header(source: IO[bytes], name: str) -> Layout:
    magic, length, checksum = _PROLOGUE.unpack(_read_exact(source, _PROLOGUE.size, name))
    if magic != MAGIC:
        raise _corrupt(name, "it does not start with the snapshot signature")
    if length > MAX_HEADER:
        raise _corrupt(name, "its header is too large")
    header = _read_exact(source, length, name)
    if zlib.crc32(header) != checksum:
        raise _corrupt(name, "its header checksum does not match")
    try:
        return Layout.from_json(json.loads(header))
    except (BadHeader, ValueError, RecursionError) as exc:
        raise _corrupt(name, f"bad header ({exc})") from None


def _write(image: _Image, out: IO[bytes]) -> None:
    """Runs of non-zero pages of ``image``, each with its first page, count and CRC-32."""
    base = image.mapping.addr
    view = image.mapping.view()
    try:
        limit = _round_up(image.layout.size, FILE_PAGE)
        for index, (start, size) in enumerate(image.chunks()):
            if not image.nonzero[index]:
                continue
            end = min(start + size, limit)
            run: int | None = None
            for offset in range(start, end + FILE_PAGE, FILE_PAGE):
                zero = offset >= end or syscalls.memcmp(base + offset, _ZERO_CHUNK, FILE_PAGE) == 0
                if not zero and run is None:
                    run = offset
                elif zero and run is not None:
                    data = view[run:offset]
                    out.write(_RUN.pack(run // FILE_PAGE, len(data) // FILE_PAGE, zlib.crc32(data)))
                    out.write(data)
                    run = None
        out.write(_RUN.pack(_LAST_RUN, 0, 0))
    finally:
        view.release()


def _read(image: _Image, source: IO[bytes], name: str) -> None:
    """Read runs written by :func:`_write` into ``image``, checking each against the layout."""
    pages = -(-image.layout.size // FILE_PAGE)
    view = image.mapping.view()
    try:
        following = 0
        while True:
            first, count, checksum = _RUN.unpack(_read_exact(source, _RUN.size, name))
            if first == _LAST_RUN and count == 0 and checksum == 0:
                return
            if count == 0 or count > RUN_PAGES or first < following or first + count > pages:
                raise _corrupt(name, f"a page run is outside backend '{image.layout.id}'")
            start, end = first * FILE_PAGE, (first + count) * FILE_PAGE
            target = view[start:end]
            if _read_into(source, target) != end - start:
                raise _corrupt(name, "it is truncated")
            if zlib.crc32(target) != checksum:
                raise _corrupt(name, f"a page run of backend '{image.layout.id}' is corrupt")
            for index in range(start // CHUNK, -(-end // CHUNK)):
                image.nonzero[index] = 1
            following = first + count
    finally:
        view.release()
