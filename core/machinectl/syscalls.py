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
import weakref
from collections.abc import Sequence

from ._record import TYPE_CHECKING

if TYPE_CHECKING:
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
    "PAGE_IS_PFNZERO",
    "PAGE_IS_PRESENT",
    "PAGE_IS_SWAPPED",
    "PAGE_IS_WRITTEN",
    "PAGE_SIZE",
    "PM_SCAN_CHECK_WPASYNC",
    "PM_SCAN_WP_MATCHING",
    "PROT_NONE",
    "PROT_READ",
    "PROT_WRITE",
    "UFFD_FEATURE_WP_ASYNC",
    "UFFD_FEATURE_WP_HUGETLBFS_SHMEM",
    "PageScanner",
    "add_seals",
    "data_ranges",
    "default_hugepage_size",
    "fallocate",
    "fd_page_size",
    "get_mempolicy_at",
    "get_seals",
    "is_hugetlbfs",
    "madvise",
    "mbind",
    "memcmp",
    "memfd_create",
    "memmove",
    "memset",
    "mincore",
    "mlockall",
    "mmap_anonymous",
    "mmap_fd",
    "mremap_alias",
    "munlockall",
    "munmap",
    "uffd_api",
    "uffd_register_wp",
    "uffd_unregister",
    "uffd_writeprotect",
    "userfaultfd",
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
MREMAP_MAYMOVE: Final = 1

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
# userfaultfd(2) system call numbers.
_USERFAULTFD_NUMBERS: Final = {"x86_64": 323, "aarch64": 282}

# userfaultfd(2): flags, API handshake, features, registration modes and ioctls.
UFFD_USER_MODE_ONLY: Final = 1
UFFD_API: Final = 0xAA
UFFD_FEATURE_WP_HUGETLBFS_SHMEM: Final = 1 << 12
UFFD_FEATURE_WP_ASYNC: Final = 1 << 15
UFFDIO_REGISTER_MODE_WP: Final = 1 << 1
UFFDIO_WRITEPROTECT_MODE_WP: Final = 1 << 0
UFFDIO_API: Final = 0xC018AA3F
UFFDIO_REGISTER: Final = 0xC020AA00
UFFDIO_UNREGISTER: Final = 0x8010AA01
UFFDIO_WRITEPROTECT: Final = 0xC018AA06

# PAGEMAP_SCAN, the ioctl on /proc/PID/pagemap (Linux 6.7): flags and page categories.
PAGEMAP_SCAN: Final = 0xC0606610
PM_SCAN_WP_MATCHING: Final = 1 << 0
PM_SCAN_CHECK_WPASYNC: Final = 1 << 1
PAGE_IS_WRITTEN: Final = 1 << 1
PAGE_IS_PRESENT: Final = 1 << 3
PAGE_IS_SWAPPED: Final = 1 << 4
PAGE_IS_PFNZERO: Final = 1 << 5

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


class _UffdioApi(ctypes.Structure):
    _fields_ = [
        ("api", ctypes.c_uint64),
        ("features", ctypes.c_uint64),
        ("ioctls", ctypes.c_uint64),
    ]


class _UffdioRegister(ctypes.Structure):
    _fields_ = [
        ("start", ctypes.c_uint64),
        ("len", ctypes.c_uint64),
        ("mode", ctypes.c_uint64),
        ("ioctls", ctypes.c_uint64),
    ]


class _UffdioRange(ctypes.Structure):
    _fields_ = [("start", ctypes.c_uint64), ("len", ctypes.c_uint64)]


class _UffdioWriteprotect(ctypes.Structure):
    _fields_ = [("start", ctypes.c_uint64), ("len", ctypes.c_uint64), ("mode", ctypes.c_uint64)]


class _PmScanArg(ctypes.Structure):
    """``struct pm_scan_arg`` (include/uapi/linux/fs.h)."""

    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            "size",
            "flags",
            "start",
            "end",
            "walk_end",
            "vec",
            "vec_len",
            "max_pages",
            "category_inverted",
            "category_mask",
            "category_anyof_mask",
            "return_mask",
        )
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
_mremap = _libc.mremap  # variadic (the new address): only the four fixed arguments are passed
_mremap.restype = ctypes.c_void_p
_mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int]
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
_ioctl = _libc.ioctl
_ioctl.restype = ctypes.c_int
_ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
_memcmp = _libc.memcmp
_memcmp.restype = ctypes.c_int
_memcmp.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
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
    if not sync_flags and length % align == 0 and align <= HUGEPAGE_ALIGN:
        # Linux places a mapping whose length is a multiple of 2 MiB at a 2 MiB boundary
        # when it can (6.7 and later): one call then does it.
        addr = _map(0, length, prot, flags, fd)
        if addr % align == 0:
            return addr
        _munmap(addr, length)
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


def mremap_alias(addr: int, size: int) -> int:
    """A second mapping of the ``size`` bytes of a shared mapping at ``addr`` (mremap(2) with
    an old size of 0): the same pages at another address, with page tables of its own.

    EINVAL for a private mapping. Returns the new address; unmap it with :func:`munmap`.
    """
    result = _mremap(addr, 0, size, MREMAP_MAYMOVE)
    if result is None or result == _MAP_FAILED:
        raise _error()
    return int(result)


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
    return os.memfd_create(memfd_name(name), flags)


#: The longest name memfd_create(2) takes, in bytes (NAME_MAX less the ``memfd:`` prefix).
MEMFD_NAME_MAX = 249


def memfd_name(name: str) -> str:
    """``name`` cut to what memfd_create accepts (whole UTF-8 characters, NUL-free)."""
    data = name.replace("\0", "").encode("utf-8", "surrogateescape")[:MEMFD_NAME_MAX]
    return data.decode("utf-8", "ignore")


def add_seals(fd: int, seals: int) -> None:
    """Add ``F_SEAL_*`` seals to a memory file created with sealing allowed."""
    fcntl.fcntl(fd, F_ADD_SEALS, seals)


def get_seals(fd: int) -> int:
    """The ``F_SEAL_*`` seals in force on ``fd``."""
    return fcntl.fcntl(fd, F_GET_SEALS)


def _numa_syscall(index: int, *args: ctypes.c_long | ctypes.c_ulong | ctypes.c_void_p) -> None:
    numbers = _SYSCALL_NUMBERS.get(os.uname().machine)
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


# -- dirty-page tracking ---------------------------------------------------------------------


def memmove(dest: int, src: int, size: int) -> None:
    """Copy ``size`` bytes from address ``src`` to address ``dest`` (memmove(3))."""
    ctypes.memmove(dest, src, size)


def view_at(addr: int, size: int) -> memoryview:
    """A writable unsigned-byte view of ``size`` bytes at ``addr``, owning nothing: the caller
    keeps the memory mapped while the view is used. Slice assignment between two such views
    copies with one memmove and costs less per call than :func:`memmove`."""
    return memoryview((ctypes.c_char * size).from_address(addr)).cast("B")


def memset(dest: int, value: int, size: int) -> None:
    """Fill ``size`` bytes at address ``dest`` with the byte ``value`` (memset(3))."""
    ctypes.memset(dest, value, size)


def memcmp(a: int, b: int | bytes, size: int) -> int:
    """Compare ``size`` bytes at address ``a`` with an address or a bytes object (memcmp(3))."""
    return int(_memcmp(a, b, size))


def _uffd_ioctl(fd: int, request: int, arg: ctypes.Structure) -> None:
    while _ioctl(fd, request, ctypes.addressof(arg)) != 0:
        if ctypes.get_errno() != errno.EINTR:
            raise _error()


def userfaultfd() -> int:
    """A new userfaultfd (close-on-exec, non-blocking) for this process's memory.

    Only faults raised by user-space accesses are delivered (UFFD_USER_MODE_ONLY), which is
    what an unprivileged process may ask for; write-protection in asynchronous mode never
    delivers a fault anyway. ENOSYS where the kernel or the architecture has no userfaultfd.
    """
    number = _USERFAULTFD_NUMBERS.get(os.uname().machine)
    if number is None:
        raise _error(errno.ENOSYS)
    flags = os.O_CLOEXEC | os.O_NONBLOCK | UFFD_USER_MODE_ONLY
    fd = int(_syscall(ctypes.c_long(number), ctypes.c_int(flags)))
    if fd < 0:
        raise _error()
    return fd


def uffd_api(fd: int, features: int) -> int:
    """The UFFDIO_API handshake, enabling ``features``; returns the features the kernel has.

    EINVAL when the kernel lacks one of ``features``.
    """
    arg = _UffdioApi(UFFD_API, features, 0)
    _uffd_ioctl(fd, UFFDIO_API, arg)
    return int(arg.features)


def uffd_register_wp(fd: int, addr: int, size: int) -> None:
    """Register ``size`` bytes at ``addr`` with the userfaultfd for write-protection."""
    _uffd_ioctl(fd, UFFDIO_REGISTER, _UffdioRegister(addr, size, UFFDIO_REGISTER_MODE_WP, 0))


def uffd_unregister(fd: int, addr: int, size: int) -> None:
    """Undo :func:`uffd_register_wp` for a range (the write-protection bits go with it)."""
    _uffd_ioctl(fd, UFFDIO_UNREGISTER, _UffdioRange(addr, size))


def uffd_writeprotect(fd: int, addr: int, size: int, protect: bool = True) -> None:
    """Write-protect (or, with ``protect=False``, unprotect) a registered range."""
    mode = UFFDIO_WRITEPROTECT_MODE_WP if protect else 0
    _uffd_ioctl(fd, UFFDIO_WRITEPROTECT, _UffdioWriteprotect(addr, size, mode))


class PageScanner:
    """PAGEMAP_SCAN on this process's ``/proc/self/pagemap``, with a reusable result buffer.

    Opening fails with the usual OSError; the first :meth:`scan` fails with ENOTTY (or
    EINVAL) on a kernel older than 6.7.
    """

    def __init__(self, capacity: int = 4096):
        self.fd = os.open("/proc/self/pagemap", os.O_RDONLY | os.O_CLOEXEC)
        self._closer = weakref.finalize(self, os.close, self.fd)
        self._closer.atexit = False
        self._capacity = capacity
        self._vec = (ctypes.c_uint64 * (3 * capacity))()
        self._arg = _PmScanArg()

    def scan(
        self,
        start: int,
        end: int,
        *,
        categories: int = 0,
        anyof: int = 0,
        inverted: int = 0,
        flags: int = 0,
        report: bool = True,
    ) -> list[tuple[int, int]]:
        """``(start, end)`` address ranges in ``[start, end)`` of pages in every category of
        ``categories`` and, when ``anyof`` is not 0, in one of ``anyof`` at least. The
        categories in ``inverted`` are tested for their absence instead.

        With ``flags`` holding PM_SCAN_WP_MATCHING the matching pages are write-protected in
        the same walk; without ``report`` nothing is returned (only the protection happens).
        """
        arg = self._arg
        ranges: list[tuple[int, int]] = []
        vec = ctypes.addressof(self._vec) if report else 0
        while start < end:
            ctypes.memset(ctypes.addressof(arg), 0, ctypes.sizeof(arg))
            arg.size = ctypes.sizeof(arg)
            arg.flags, arg.start, arg.end = flags, start, end
            arg.vec, arg.vec_len = vec, self._capacity if report else 0
            arg.category_mask, arg.category_anyof_mask = categories, anyof
            arg.category_inverted = inverted
            arg.return_mask = categories | anyof
            count = _ioctl(self.fd, PAGEMAP_SCAN, ctypes.addressof(arg))
            if count < 0:
                if ctypes.get_errno() == errno.EINTR:
                    continue
                raise _error()
            values = self._vec[: 3 * count]
            ranges += zip(values[0::3], values[1::3], strict=True)
            if arg.walk_end <= start:
                raise _error(errno.EIO)  # the kernel made no progress
            start = arg.walk_end
        return ranges

    def close(self) -> None:
        """Close the pagemap descriptor. Idempotent."""
        if self.fd >= 0:
            self.fd = -1
            self._closer()


def data_ranges(fd: int, size: int) -> list[tuple[int, int]]:
    """``(start, end)`` offsets below ``size`` of the data of ``fd`` (SEEK_DATA/SEEK_HOLE).

    Holes read as zeros. A file system without the two whences reports everything as data.
    """
    ranges = []
    offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # no data from here to the end of the file
                break
            raise
        if start >= size:
            break
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        ranges.append((start, end))
        offset = end
    return ranges


def mlockall(flags: int) -> None:
    """mlockall(2): lock the process's pages (``MCL_*`` flags)."""
    _check(_mlockall(flags))


def munlockall() -> None:
    """munlockall(2): unlock every page of the process."""
    _check(_munlockall())
