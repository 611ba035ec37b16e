"""Every system call machinectl makes, each wrapped once.

The standard library is used where it has the call (``os.memfd_create``, ``fcntl``); the rest
goes through ``ctypes`` with the C library loaded with ``use_errno=True``. A failed call raises
``OSError(errno, os.strerror(errno))``; callers turn that into QEMU's message. Arguments that no
kernel would accept (a zero size, an alignment that is not a power of two, a node number of 128
or more) raise ``ValueError`` before any call is made.

Addresses are plain ``int``. Constants are given by value for Linux on x86-64 and aarch64; only
the system call numbers differ between the two.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import mmap
import os
import platform
from collections.abc import Sequence
from typing import Final

__all__ = [
    "F_ADD_SEALS",
    "F_GET_SEALS",
    "F_SEAL_GROW",
    "F_SEAL_SEAL",
    "F_SEAL_SHRINK",
    "F_SEAL_WRITE",
    "HUGEPAGE_ALIGN",
    "HUGETLBFS_MAGIC",
    "MADV_DODUMP",
    "MADV_DONTDUMP",
    "MADV_DONTFORK",
    "MADV_HUGEPAGE",
    "MADV_MERGEABLE",
    "MADV_NOHUGEPAGE",
    "MADV_POPULATE_READ",
    "MADV_POPULATE_WRITE",
    "MADV_REMOVE",
    "MADV_UNMERGEABLE",
    "MAP_ANONYMOUS",
    "MAP_FIXED",
    "MAP_NORESERVE",
    "MAP_PRIVATE",
    "MAP_SHARED",
    "MAP_SHARED_VALIDATE",
    "MAP_SYNC",
    "MAX_NODES",
    "MCL_CURRENT",
    "MCL_FUTURE",
    "MCL_ONFAULT",
    "MFD_ALLOW_SEALING",
    "MFD_CLOEXEC",
    "MFD_HUGETLB",
    "MFD_HUGE_SHIFT",
    "MPOL_BIND",
    "MPOL_DEFAULT",
    "MPOL_F_ADDR",
    "MPOL_INTERLEAVE",
    "MPOL_MF_MOVE",
    "MPOL_MF_STRICT",
    "MPOL_PREFERRED",
    "PAGE_SIZE",
    "PROT_NONE",
    "PROT_READ",
    "PROT_WRITE",
    "add_seals",
    "default_hugepage_size",
    "fallocate",
    "fd_page_size",
    "get_mempolicy_at",
    "get_seals",
    "is_hugetlbfs",
    "madvise",
    "mbind",
    "memfd_create",
    "mincore",
    "mlockall",
    "mmap_anonymous",
    "mmap_fd",
    "munlockall",
    "munmap",
]

PAGE_SIZE: Final[int] = mmap.PAGESIZE
"""The host's base page size."""

HUGEPAGE_ALIGN: Final[int] = 2 * 1024 * 1024
"""Alignment of anonymous guest RAM (QEMU_VMALLOC_ALIGN), so transparent huge pages fit."""

# mmap(2) protections and flags (asm-generic; identical on x86-64 and aarch64).
PROT_NONE: Final = 0x0
PROT_READ: Final = 0x1
PROT_WRITE: Final = 0x2
MAP_SHARED: Final = 0x01
MAP_PRIVATE: Final = 0x02
MAP_SHARED_VALIDATE: Final = 0x03
MAP_FIXED: Final = 0x10
MAP_ANONYMOUS: Final = 0x20
MAP_NORESERVE: Final = 0x4000
MAP_SYNC: Final = 0x80000

# mlockall(2) flags (identical on x86-64 and aarch64).
MCL_CURRENT: Final = 1
MCL_FUTURE: Final = 2
MCL_ONFAULT: Final = 4

# madvise(2) advice.
MADV_REMOVE: Final = 9
MADV_DONTFORK: Final = 10
MADV_MERGEABLE: Final = 12
MADV_UNMERGEABLE: Final = 13
MADV_HUGEPAGE: Final = 14
MADV_NOHUGEPAGE: Final = 15
MADV_DONTDUMP: Final = 16
MADV_DODUMP: Final = 17
MADV_POPULATE_READ: Final = 22
MADV_POPULATE_WRITE: Final = 23

# memfd_create(2) flags and file seals (fcntl(2)).
MFD_CLOEXEC: Final = 0x0001
MFD_ALLOW_SEALING: Final = 0x0002
MFD_HUGETLB: Final = 0x0004
MFD_HUGE_SHIFT: Final = 26
F_ADD_SEALS: Final = 1033
F_GET_SEALS: Final = 1034
F_SEAL_SEAL: Final = 0x0001
F_SEAL_SHRINK: Final = 0x0002
F_SEAL_GROW: Final = 0x0004
F_SEAL_WRITE: Final = 0x0008

# NUMA memory policy (mbind(2), get_mempolicy(2)).
MPOL_DEFAULT: Final = 0
MPOL_PREFERRED: Final = 1
MPOL_BIND: Final = 2
MPOL_INTERLEAVE: Final = 3
MPOL_MF_STRICT: Final = 1 << 0
MPOL_MF_MOVE: Final = 1 << 1
MPOL_F_ADDR: Final = 1 << 1
MAX_NODES: Final = 128
"""Host node numbers must be below this (QEMU's MAX_NODES); nodemasks are sized for it."""

HUGETLBFS_MAGIC: Final = 0x958458F6

# (mbind, get_mempolicy) system call numbers.
_SYSCALL_NUMBERS: Final = {"x86_64": (237, 239), "aarch64": (235, 236)}

_ULONG_BITS: Final = ctypes.sizeof(ctypes.c_ulong) * 8
_NodeMask = ctypes.c_ulong * (MAX_NODES // _ULONG_BITS)
_MAP_FAILED: Final = ctypes.c_void_p(-1).value


class _StatFs(ctypes.Structure):
    """``struct statfs`` of 64-bit Linux (same layout on x86-64 and aarch64)."""

    _fields_ = [
        ("f_type", ctypes.c_long),
        ("f_bsize", ctypes.c_long),
        ("f_blocks", ctypes.c_ulong),
        ("f_bfree", ctypes.c_ulong),
        ("f_bavail", ctypes.c_ulong),
        ("f_files", ctypes.c_ulong),
        ("f_ffree", ctypes.c_ulong),
        ("f_fsid", ctypes.c_int * 2),
        ("f_namelen", ctypes.c_long),
        ("f_frsize", ctypes.c_long),
        ("f_flags", ctypes.c_long),
        ("f_spare", ctypes.c_long * 4),
    ]


_libc = ctypes.CDLL(None, use_errno=True)

_mmap = _libc.mmap
_mmap.restype = ctypes.c_void_p
_mmap.argtypes = [
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
]
_munmap = _libc.munmap
_munmap.restype = ctypes.c_int
_munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_madvise = _libc.madvise
_madvise.restype = ctypes.c_int
_madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_mincore = _libc.mincore
_mincore.restype = ctypes.c_int
_mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
_fallocate = _libc.fallocate
_fallocate.restype = ctypes.c_int
_fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
_fstatfs = _libc.fstatfs
_fstatfs.restype = ctypes.c_int
_fstatfs.argtypes = [ctypes.c_int, ctypes.POINTER(_StatFs)]
_mlockall = _libc.mlockall
_mlockall.restype = ctypes.c_int
_mlockall.argtypes = [ctypes.c_int]
_munlockall = _libc.munlockall
_munlockall.restype = ctypes.c_int
_munlockall.argtypes = []
_syscall = _libc.syscall  # variadic: every argument is passed as an explicit ctypes value
_syscall.restype = ctypes.c_long


def _error(code: int | None = None) -> OSError:
    """The OSError for ``code``, by default the errno the last ctypes call left."""
    if code is None:
        code = ctypes.get_errno()
    return OSError(code, os.strerror(code))


def _check(result: int) -> None:
    if result != 0:
        raise _error()


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _is_power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


def _map(addr: int, length: int, prot: int, flags: int, fd: int) -> int:
    result = _mmap(addr or None, length, prot, flags, fd, 0)
    if result is None or result == _MAP_FAILED:
        raise _error()
    return int(result)


def _map_aligned(
    length: int, align: int, prot: int, flags: int, fd: int, *, sync_flags: int = 0
) -> int:
    """Map ``length`` bytes (a page multiple) at an address that is a multiple of ``align``.

    A PROT_NONE reservation of ``length + align`` bytes is made first; the real mapping
    replaces part of it with MAP_FIXED at the first aligned address inside, and the rest of
    the reservation is unmapped. ``sync_flags`` are tried first and dropped if refused.
    """
    total = length + align
    reserved = _map(0, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1)
    start = _round_up(reserved, align)
    try:
        try:
            _map(start, length, prot, flags | sync_flags | MAP_FIXED, fd)
        except OSError:
            if not sync_flags:
                raise
            # MAP_SYNC needs DAX; anywhere else the mapping goes ahead without it.
            _map(start, length, prot, flags | MAP_FIXED, fd)
    except BaseException:
        _munmap(reserved, total)
        raise
    # Trim the reservation before and after the mapping; on failure release what is left.
    left = [(start, length)]
    left += [(reserved, start - reserved), (start + length, reserved + total - start - length)]
    try:
        while len(left) > 1:
            piece, size = left[-1]
            if size:
                munmap(piece, size)
            left.pop()
    except BaseException:
        for piece, size in left:
            _munmap(piece, size)
        raise
    return start


def _check_geometry(size: int, align: int) -> int:
    if size <= 0:
        raise ValueError(f"mapping size must be positive, not {size}")
    if not _is_power_of_two(align):
        raise ValueError(f"alignment {align:#x} is not a power of two")
    return max(align, PAGE_SIZE)


def mmap_anonymous(size: int, *, shared: bool, noreserve: bool, align: int = HUGEPAGE_ALIGN) -> int:
    """Map ``size`` bytes of anonymous read-write memory at a multiple of ``align``.

    MAP_SHARED or MAP_PRIVATE by ``shared``, MAP_NORESERVE when ``noreserve``. The mapping
    covers ``size`` rounded up to PAGE_SIZE. Returns the address.
    """
    align = _check_geometry(size, align)
    flags = MAP_ANONYMOUS | (MAP_SHARED if shared else MAP_PRIVATE)
    if noreserve:
        flags |= MAP_NORESERVE
    return _map_aligned(_round_up(size, PAGE_SIZE), align, PROT_READ | PROT_WRITE, flags, -1)


def mmap_fd(
    fd: int,
    size: int,
    *,
    shared: bool,
    readonly: bool,
    noreserve: bool,
    align: int,
    sync: bool = False,
) -> int:
    """Map ``size`` bytes of ``fd`` from offset 0 at a multiple of ``align``.

    PROT_READ only when ``readonly``. The mapping covers ``size`` rounded up to the fd's page
    size (the huge page size on hugetlbfs), and ``align`` is raised to that page size. With
    ``sync`` and ``shared``, MAP_SYNC|MAP_SHARED_VALIDATE is tried first and silently dropped
    when the file system refuses it. Returns the address.
    """
    align = _check_geometry(size, align)
    page_size = fd_page_size(fd)
    prot = PROT_READ if readonly else PROT_READ | PROT_WRITE
    flags = MAP_SHARED if shared else MAP_PRIVATE
    if noreserve:
        flags |= MAP_NORESERVE
    sync_flags = MAP_SYNC | MAP_SHARED_VALIDATE if sync and shared else 0
    length = _round_up(size, page_size)
    return _map_aligned(length, max(align, page_size), prot, flags, fd, sync_flags=sync_flags)


def map_sync_supported(fd: int, *, readonly: bool = False) -> bool:
    """Whether ``fd`` can be mapped with MAP_SYNC (a file on DAX storage).

    One page is mapped MAP_SHARED_VALIDATE|MAP_SYNC (read-only when ``readonly``) and
    unmapped again. False when the kernel refuses with EOPNOTSUPP; other errors are raised.
    """
    prot = PROT_READ if readonly else PROT_READ | PROT_WRITE
    length = fd_page_size(fd)
    try:
        addr = _map(0, length, prot, MAP_SHARED_VALIDATE | MAP_SYNC, fd)
    except OSError as error:
        if error.errno == errno.EOPNOTSUPP:
            return False
        raise
    munmap(addr, length)
    return True


def munmap(addr: int, size: int) -> None:
    """Unmap ``size`` bytes (rounded up to PAGE_SIZE) at ``addr``."""
    _check(_munmap(addr, size))


def madvise(addr: int, size: int, advice: int) -> None:
    """Give the kernel ``advice`` (a ``MADV_*`` value) about a range; releases the GIL."""
    _check(_madvise(addr, size, advice))


def mincore(addr: int, size: int) -> bytes:
    """One byte per base page of the range; bit 0 is set for pages resident in memory."""
    vector = ctypes.create_string_buffer(_round_up(size, PAGE_SIZE) // PAGE_SIZE)
    _check(_mincore(addr, size, vector))
    return vector.raw


def memfd_flags(*, hugetlb: bool = False, hugetlbsize: int = 0, allow_sealing: bool = True) -> int:
    """The flags :func:`memfd_create` passes to memfd_create(2) for the same arguments."""
    flags = MFD_CLOEXEC
    if allow_sealing:
        flags |= MFD_ALLOW_SEALING
    if hugetlb:
        flags |= MFD_HUGETLB
        if hugetlbsize:
            if not _is_power_of_two(hugetlbsize):
                raise ValueError(f"huge page size {hugetlbsize:#x} is not a power of two")
            flags |= (hugetlbsize.bit_length() - 1) << MFD_HUGE_SHIFT
    return flags


def memfd_create(
    name: str, *, hugetlb: bool = False, hugetlbsize: int = 0, allow_sealing: bool = True
) -> int:
    """Create an anonymous memory file (close-on-exec) and return its fd.

    With ``hugetlb`` the file lives on the internal hugetlbfs, in pages of ``hugetlbsize``
    bytes (a power of two), or of the default huge page size when it is 0.
    """
    flags = memfd_flags(hugetlb=hugetlb, hugetlbsize=hugetlbsize, allow_sealing=allow_sealing)
    return os.memfd_create(name, flags)


def add_seals(fd: int, seals: int) -> None:
    """Add ``F_SEAL_*`` seals to a memory file created with sealing allowed."""
    fcntl.fcntl(fd, F_ADD_SEALS, seals)


def get_seals(fd: int) -> int:
    """The ``F_SEAL_*`` seals in force on ``fd``."""
    return fcntl.fcntl(fd, F_GET_SEALS)


def _numa_syscall(index: int, *args: ctypes.c_long | ctypes.c_ulong | ctypes.c_void_p) -> None:
    numbers = _SYSCALL_NUMBERS.get(platform.machine())
    if numbers is None:
        raise _error(errno.ENOSYS)
    _check(_syscall(ctypes.c_long(numbers[index]), *args))


def mbind(addr: int, size: int, mode: int, nodes: Sequence[int], flags: int) -> None:
    """Set the NUMA policy ``mode`` (``MPOL_*``) for a range, on host ``nodes``.

    The nodemask holds MAX_NODES bits. ``maxnode`` is the highest node + 2: one more than the
    node count, for the kernel that drops the last bit. No nodes gives a NULL nodemask.
    """
    mask = _NodeMask()
    for node in nodes:
        if not 0 <= node < MAX_NODES:
            raise ValueError(f"host node {node} is not in 0..{MAX_NODES - 1}")
        mask[node // _ULONG_BITS] |= 1 << (node % _ULONG_BITS)
    maxnode = max(nodes) + 2 if nodes else 0
    _numa_syscall(
        0,
        ctypes.c_void_p(addr),
        ctypes.c_ulong(size),
        ctypes.c_ulong(mode),
        ctypes.c_void_p(ctypes.addressof(mask) if nodes else None),
        ctypes.c_ulong(maxnode),
        ctypes.c_ulong(flags),
    )


def get_mempolicy_at(addr: int) -> tuple[int, list[int]]:
    """The NUMA policy (mode, nodes) in force for the page at ``addr`` (MPOL_F_ADDR)."""
    mode = ctypes.c_int()
    mask = _NodeMask()
    _numa_syscall(
        1,
        ctypes.c_void_p(ctypes.addressof(mode)),
        ctypes.c_void_p(ctypes.addressof(mask)),
        ctypes.c_ulong(MAX_NODES + 1),
        ctypes.c_void_p(addr),
        ctypes.c_ulong(MPOL_F_ADDR),
    )
    bits = [mask[node // _ULONG_BITS] >> node % _ULONG_BITS & 1 for node in range(MAX_NODES)]
    return mode.value, [node for node, bit in enumerate(bits) if bit]


def _statfs(fd: int) -> _StatFs:
    result = _StatFs()
    while _fstatfs(fd, ctypes.byref(result)) != 0:
        if ctypes.get_errno() != errno.EINTR:
            raise _error()
    return result


def is_hugetlbfs(fd: int) -> bool:
    """Whether ``fd`` is a file on hugetlbfs (a hugetlb memfd included)."""
    return bool(_statfs(fd).f_type == HUGETLBFS_MAGIC)


def fd_page_size(fd: int) -> int:
    """The page size memory mapped from ``fd`` comes in: f_bsize on hugetlbfs, else PAGE_SIZE."""
    info = _statfs(fd)
    if info.f_type == HUGETLBFS_MAGIC:
        return int(info.f_bsize)
    return PAGE_SIZE


def fallocate(fd: int, offset: int, length: int) -> None:
    """Allocate file space for ``length`` bytes at ``offset`` (fallocate(2), mode 0).

    Fails with ENOSPC (or ENOMEM) up front where touching the pages later would raise SIGBUS,
    for example on a full tmpfs or an exhausted hugetlb pool.
    """
    while _fallocate(fd, 0, offset, length) != 0:
        if ctypes.get_errno() != errno.EINTR:
            raise _error()


def default_hugepage_size(meminfo: str = "/proc/meminfo") -> int | None:
    """The default huge page size (``Hugepagesize`` in /proc/meminfo), None without hugetlb."""
    try:
        with open(meminfo, encoding="ascii") as lines:
            for line in lines:
                key, _, value = line.partition(":")
                if key == "Hugepagesize":
                    number, unit = value.split()
                    if unit != "kB":
                        raise ValueError(f"unexpected unit in {meminfo}: {line!r}")
                    return int(number) * 1024
    except FileNotFoundError:
        return None
    return None


def mlockall(flags: int) -> None:
    """mlockall(2): lock the process's pages (``MCL_*`` flags)."""
    _check(_mlockall(flags))


def munlockall() -> None:
    """munlockall(2): unlock every page of the process."""
    _check(_munlockall())
