"""Ownership of mapped host memory.

A :class:`HostMapping` is the one owner of a range of host address space. The range is handed
to Python code as memoryviews that cannot outlive it: every view keeps a private ctypes array
over the range alive, and the range is unmapped by a finalizer on that array. ``close()`` drops
the mapping's own reference, so the unmapping happens at once when no view is left, and when
the last view is released otherwise. A view never points at unmapped memory.

Unmapping at ``close()`` runs with the terminating signals held back (:mod:`.signals`): a
signal never interrupts it half-way, and is delivered after it rather than lost inside the
finalizer.
"""

from __future__ import annotations

import ctypes
import weakref
from types import TracebackType

from ._record import TYPE_CHECKING

if TYPE_CHECKING:
    import attrs
else:
    from . import _record as attrs

from machinectl import signals, syscalls

__all__ = ["HostMapping"]


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


@attrs.define(eq=False)
class HostMapping:
    """A mapped range of ``size`` bytes at ``addr``; read-only when ``readonly``.

    Constructing one takes ownership of a range already mapped (``size`` rounded up to
    ``page_size`` bytes is unmapped at the end). Use :meth:`anonymous` or :meth:`from_fd` to
    map and own in one step.
    """

    addr: int
    size: int = attrs.field(validator=attrs.validators.gt(0))
    readonly: bool = False
    page_size: int = syscalls.PAGE_SIZE
    _region: ctypes.Array[ctypes.c_ubyte] | None = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        region = (ctypes.c_ubyte * self.size).from_address(self.addr)
        unmap = weakref.finalize(
            region, syscalls.munmap, self.addr, _round_up(self.size, self.page_size)
        )
        # At interpreter exit the process unmaps everything anyway; unmapping earlier could
        # only pull memory from under a view that late cleanup code still reads.
        unmap.atexit = False
        self._region = region

    @classmethod
    def anonymous(
        cls,
        size: int,
        *,
        shared: bool = False,
        noreserve: bool = False,
        align: int = syscalls.HUGEPAGE_ALIGN,
    ) -> HostMapping:
        """Map ``size`` bytes of anonymous memory (see :func:`syscalls.mmap_anonymous`)."""
        addr = syscalls.mmap_anonymous(size, shared=shared, noreserve=noreserve, align=align)
        return cls._own(addr, size, readonly=False, page_size=syscalls.PAGE_SIZE)

    @classmethod
    def from_fd(
        cls,
        fd: int,
        size: int,
        *,
        shared: bool,
        readonly: bool = False,
        noreserve: bool = False,
        align: int | None = None,
        sync: bool = False,
    ) -> HostMapping:
        """Map ``size`` bytes of ``fd`` (see :func:`syscalls.mmap_fd`).

        ``align`` defaults to the fd's page size. The fd stays with the caller; it may be
        closed once this returns.
        """
        page_size = syscalls.fd_page_size(fd)
        addr = syscalls.mmap_fd(
            fd,
            size,
            shared=shared,
            readonly=readonly,
            noreserve=noreserve,
            align=page_size if align is None else align,
            sync=sync,
        )
        return cls._own(addr, size, readonly=readonly, page_size=page_size)

    @classmethod
    def _own(cls, addr: int, size: int, *, readonly: bool, page_size: int) -> HostMapping:
        try:
            return cls(addr, size, readonly=readonly, page_size=page_size)
        except BaseException:
            syscalls.munmap(addr, _round_up(size, page_size))
            raise

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (the range may live on in views)."""
        return self._region is None

    def view(self) -> memoryview:
        """A 1-D unsigned-byte view of the ``size`` bytes, read-only for read-only mappings.

        The view keeps the range mapped until it is released, even past :meth:`close`.
        """
        if self._region is None:
            raise ValueError("the host mapping is closed")
        view = memoryview(self._region).cast("B")
        return view.toreadonly() if self.readonly else view

    def close(self) -> None:
        """Give up ownership: unmap now, or when the last view is released. Idempotent.

        A signal that arrives meanwhile is delivered once the range is unmapped.
        """
        with signals.held():
            self._region = None

    def __enter__(self) -> HostMapping:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
