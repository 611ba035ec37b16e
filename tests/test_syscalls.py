"""The system call layer and HostMapping, on real memory of the running process."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import gc
import mmap
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from machinectl import syscalls
from machinectl.mapping import HostMapping

MiB = 1024 * 1024
GiB = 1024 * MiB


def maps_entry(addr: int) -> list[str]:
    """The fields of the /proc/self/maps line of the VMA holding ``addr``, or [].

    A private anonymous mapping may have merged with a neighbour into a larger VMA.
    """
    with open("/proc/self/maps", encoding="ascii") as lines:
        for line in lines:
            start, end = (int(part, 16) for part in line.split()[0].split("-"))
            if start <= addr < end:
                return line.split()
    return []


def inaccessible() -> set[str]:
    """The address ranges of the inaccessible private mappings (``---p``) in /proc/self/maps."""
    with open("/proc/self/maps", encoding="ascii") as lines:
        return {line.split()[0] for line in lines if line.split()[1] == "---p"}


def in_maps(addr: int, length: int) -> bool:
    """Whether /proc/self/maps shows one VMA covering the ``length`` bytes at ``addr``."""
    entry = maps_entry(addr)
    if not entry:
        return False
    start, end = (int(part, 16) for part in entry[0].split("-"))
    return start <= addr and addr + length <= end


def is_mapped(addr: int, size: int) -> bool:
    """Whether every page of the range is mapped (mincore fails with ENOMEM otherwise)."""
    try:
        syscalls.mincore(addr, size)
    except OSError as error:
        assert error.errno == errno.ENOMEM
        return False
    return True


def resident(addr: int, size: int) -> int:
    """Bytes of the range resident in memory."""
    return sum(byte & 1 for byte in syscalls.mincore(addr, size)) * syscalls.PAGE_SIZE


def vm_size() -> int:
    with open("/proc/self/status", encoding="ascii") as lines:
        for line in lines:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize in /proc/self/status")


@pytest.fixture
def memfd() -> Iterator[int]:
    fd = syscalls.memfd_create("test")
    try:
        yield fd
    finally:
        os.close(fd)


# -- constants ------------------------------------------------------------------------------


def test_constants_agree_with_the_standard_library() -> None:
    for name in ("MADV_REMOVE", "MADV_DONTFORK", "MADV_MERGEABLE", "MADV_UNMERGEABLE"):
        assert getattr(syscalls, name) == getattr(mmap, name)
    for name in ("MADV_HUGEPAGE", "MADV_NOHUGEPAGE", "MADV_DONTDUMP", "MADV_DODUMP"):
        assert getattr(syscalls, name) == getattr(mmap, name)
    for name in ("MAP_SHARED", "MAP_PRIVATE", "MAP_ANONYMOUS", "PROT_READ", "PROT_WRITE"):
        assert getattr(syscalls, name) == getattr(mmap, name)
    for name in ("F_ADD_SEALS", "F_GET_SEALS", "F_SEAL_SEAL", "F_SEAL_SHRINK", "F_SEAL_GROW"):
        assert getattr(syscalls, name) == getattr(fcntl, name)
    assert syscalls.F_SEAL_WRITE == fcntl.F_SEAL_WRITE
    for name in ("MFD_CLOEXEC", "MFD_ALLOW_SEALING", "MFD_HUGETLB", "MFD_HUGE_SHIFT"):
        assert getattr(syscalls, name) == getattr(os, name)
    assert os.sysconf("SC_PAGE_SIZE") == syscalls.PAGE_SIZE
    assert 2 * MiB == syscalls.HUGEPAGE_ALIGN


# -- anonymous mappings ---------------------------------------------------------------------


@pytest.mark.parametrize("align", [syscalls.PAGE_SIZE, 64 * 1024, 2 * MiB, GiB])
@pytest.mark.parametrize("shared", [False, True])
def test_anonymous_mapping_is_aligned_and_leaves_no_reservation(align: int, shared: bool) -> None:
    size = 3 * MiB + 100
    length = 3 * MiB + syscalls.PAGE_SIZE
    reservations = inaccessible()
    before = vm_size()
    addr = syscalls.mmap_anonymous(size, shared=shared, noreserve=False, align=align)
    try:
        assert addr % align == 0
        # Only the mapping itself was added, not the size + align reservation around it
        # (a few MiB of slack for the interpreter's own allocations). The kernel may place
        # the mapping next to an inaccessible range that was there before (a guard page).
        assert length <= vm_size() - before < length + 4 * MiB
        for neighbour in (maps_entry(addr - 1), maps_entry(addr + length)):
            assert neighbour[1:2] != ["---p"] or neighbour[0] in reservations
        assert in_maps(addr, length)
        assert maps_entry(addr)[1] == ("rw-s" if shared else "rw-p")
        assert resident(addr, size) == 0
        ctypes.memset(addr, 0xA5, size)
        assert ctypes.string_at(addr + size - 1, 1) == b"\xa5"
    finally:
        syscalls.munmap(addr, size)
    assert not is_mapped(addr, size)
    assert not in_maps(addr, length)


def test_default_alignment_is_for_huge_pages() -> None:
    addr = syscalls.mmap_anonymous(MiB, shared=False, noreserve=True)
    try:
        assert addr % syscalls.HUGEPAGE_ALIGN == 0
    finally:
        syscalls.munmap(addr, MiB)


@pytest.mark.parametrize(("size", "align"), [(0, 4096), (-1, 4096), (4096, 3), (4096, 0)])
def test_bad_geometry_is_refused_before_any_call(size: int, align: int) -> None:
    with pytest.raises(ValueError, match=r"positive|power of two"):
        syscalls.mmap_anonymous(size, shared=False, noreserve=False, align=align)


@pytest.mark.parametrize("shared", [False, True])
def test_shared_anonymous_memory_is_seen_across_fork(shared: bool) -> None:
    with HostMapping.anonymous(MiB, shared=shared) as mapping:
        view = mapping.view()
        view[0:5] = b"start"
        pid = os.fork()
        if pid == 0:  # child: write and leave without running any cleanup
            try:
                view[0:5] = b"child"
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert bytes(view[0:5]) == (b"child" if shared else b"start")
        view.release()


def test_madvise_errors_carry_errno_and_text() -> None:
    addr = syscalls.mmap_anonymous(2 * MiB, shared=False, noreserve=False)
    syscalls.munmap(addr, 2 * MiB)
    with pytest.raises(OSError, match="Cannot allocate memory") as caught:
        syscalls.madvise(addr, 2 * MiB, syscalls.MADV_POPULATE_WRITE)
    assert caught.value.errno == errno.ENOMEM
    assert caught.value.strerror == os.strerror(errno.ENOMEM)


def test_madvise_populate_write_makes_pages_resident() -> None:
    with HostMapping.anonymous(8 * MiB) as mapping:
        assert resident(mapping.addr, mapping.size) == 0
        syscalls.madvise(mapping.addr, 4 * MiB, syscalls.MADV_POPULATE_WRITE)
        assert resident(mapping.addr, 4 * MiB) == 4 * MiB
        assert resident(mapping.addr + 4 * MiB, 4 * MiB) == 0
        for advice in (syscalls.MADV_DONTDUMP, syscalls.MADV_DODUMP, syscalls.MADV_DONTFORK):
            syscalls.madvise(mapping.addr, mapping.size, advice)


# -- fd mappings ----------------------------------------------------------------------------


def test_fd_mapping_shared_writes_reach_the_file(memfd: int) -> None:
    os.ftruncate(memfd, 4 * MiB)
    addr = syscalls.mmap_fd(
        memfd, 4 * MiB, shared=True, readonly=False, noreserve=False, align=2 * MiB
    )
    try:
        assert addr % (2 * MiB) == 0
        ctypes.memmove(addr + 4096, b"guest", 5)
        assert os.pread(memfd, 5, 4096) == b"guest"
    finally:
        syscalls.munmap(addr, 4 * MiB)


def test_fd_mapping_private_writes_stay_private(memfd: int) -> None:
    os.pwrite(memfd, b"file", 0)
    os.ftruncate(memfd, MiB)
    with HostMapping.from_fd(memfd, MiB, shared=False) as mapping:
        view = mapping.view()
        assert bytes(view[0:4]) == b"file"
        view[0:4] = b"mine"
        assert os.pread(memfd, 4, 0) == b"file"
        view.release()


def test_fd_mapping_sync_falls_back_where_unsupported(memfd: int) -> None:
    os.ftruncate(memfd, MiB)
    with HostMapping.from_fd(memfd, MiB, shared=True, sync=True) as mapping:
        view = mapping.view()
        view[0] = 1
        assert os.pread(memfd, 1, 0) == b"\x01"
        view.release()


@pytest.mark.parametrize("shared", [False, True])
def test_readonly_mapping_refuses_writes_through_the_view(tmp_path: Path, shared: bool) -> None:
    path = tmp_path / "ram"
    path.write_bytes(b"ro" * 4096)
    fd = os.open(path, os.O_RDONLY)
    try:
        mapping = HostMapping.from_fd(fd, 8192, shared=shared, readonly=True)
    finally:
        os.close(fd)
    with mapping:
        assert maps_entry(mapping.addr)[1] == ("r--s" if shared else "r--p")
        view = mapping.view()
        assert view.readonly
        assert bytes(view[0:4]) == b"roro"
        with pytest.raises(TypeError):
            view[0] = 0
        with pytest.raises(TypeError):
            view[0:2] = b"rw"
        with pytest.raises(TypeError):
            ctypes.c_char.from_buffer(view)
        with pytest.raises(TypeError):
            memoryview(view).cast("B")[0] = 1
        view.release()


# -- memfd and seals ------------------------------------------------------------------------


def test_memfd_is_close_on_exec_and_sealable(memfd: int) -> None:
    assert not os.get_inheritable(memfd)
    assert syscalls.get_seals(memfd) == 0
    assert syscalls.fd_page_size(memfd) == syscalls.PAGE_SIZE
    assert not syscalls.is_hugetlbfs(memfd)


def test_seals_really_refuse_resizing(memfd: int) -> None:
    os.ftruncate(memfd, 2 * MiB)
    seals = syscalls.F_SEAL_GROW | syscalls.F_SEAL_SHRINK | syscalls.F_SEAL_SEAL
    syscalls.add_seals(memfd, seals)
    assert syscalls.get_seals(memfd) == seals
    for size in (4 * MiB, MiB, 0):
        with pytest.raises(PermissionError) as caught:
            os.ftruncate(memfd, size)
        assert caught.value.errno == errno.EPERM
    assert os.fstat(memfd).st_size == 2 * MiB
    with pytest.raises(PermissionError):
        syscalls.add_seals(memfd, syscalls.F_SEAL_WRITE)
    # The contents are still writable: only the size is sealed.
    os.pwrite(memfd, b"x", 0)


def test_memfd_without_sealing_is_sealed_against_seals() -> None:
    fd = syscalls.memfd_create("unsealable", allow_sealing=False)
    try:
        assert syscalls.get_seals(fd) == syscalls.F_SEAL_SEAL
        with pytest.raises(PermissionError):
            syscalls.add_seals(fd, syscalls.F_SEAL_GROW)
    finally:
        os.close(fd)


HUGEPAGES = Path("/sys/kernel/mm/hugepages")


def free_huge_pages(size: int) -> int:
    path = HUGEPAGES / f"hugepages-{size // 1024}kB" / "free_hugepages"
    return int(path.read_text()) if path.exists() else 0


def test_hugetlb_memfd_has_huge_pages() -> None:
    default = syscalls.default_hugepage_size()
    if default is None:
        pytest.skip("the kernel has no hugetlb support (no Hugepagesize in /proc/meminfo)")
    # Every huge page size the kernel has, encoded as log2 << MFD_HUGE_SHIFT (0: the default).
    sizes = [int(path.name[10:-2]) * 1024 for path in HUGEPAGES.glob("hugepages-*kB")]
    assert default in sizes
    for hugetlbsize, page_size in [(0, default), *zip(sizes, sizes, strict=True)]:
        fd = syscalls.memfd_create("huge", hugetlb=True, hugetlbsize=hugetlbsize)
        try:
            assert syscalls.is_hugetlbfs(fd)
            assert syscalls.fd_page_size(fd) == page_size
        finally:
            os.close(fd)
    with pytest.raises(ValueError, match="power of two"):
        syscalls.memfd_create("huge", hugetlb=True, hugetlbsize=3 * MiB)


def test_hugetlb_beyond_the_free_pages_fails_cleanly() -> None:
    default = syscalls.default_hugepage_size()
    if default is None:
        pytest.skip("the kernel has no hugetlb support (no Hugepagesize in /proc/meminfo)")
    if Path("/proc/sys/vm/nr_overcommit_hugepages").read_text().strip() != "0":
        pytest.skip("surplus huge pages are allowed (vm.nr_overcommit_hugepages)")
    # At least 1 GiB, and more than the pool holds.
    size = max(GiB, (free_huge_pages(default) + 1) * default)
    fd = syscalls.memfd_create("huge", hugetlb=True)
    try:
        os.ftruncate(fd, size)
        before = vm_size()
        with pytest.raises(OSError, match="Cannot allocate memory") as caught:
            syscalls.mmap_fd(fd, size, shared=True, readonly=False, noreserve=False, align=default)
        assert caught.value.errno == errno.ENOMEM
        assert vm_size() - before < MiB  # the reservation around it was released
        with pytest.raises(OSError) as caught:
            syscalls.fallocate(fd, 0, size)
        assert caught.value.errno == errno.ENOSPC
    finally:
        os.close(fd)


# -- NUMA policy ----------------------------------------------------------------------------


def node_exists(node: int) -> bool:
    return Path(f"/sys/devices/system/node/node{node}").exists()


@pytest.mark.parametrize(
    "mode", [syscalls.MPOL_BIND, syscalls.MPOL_PREFERRED, syscalls.MPOL_INTERLEAVE]
)
def test_mbind_policy_reads_back(mode: int) -> None:
    if not node_exists(0):
        pytest.skip("the host has no NUMA node 0 in /sys/devices/system/node")
    with HostMapping.anonymous(4 * MiB) as mapping:
        assert syscalls.get_mempolicy_at(mapping.addr) == (syscalls.MPOL_DEFAULT, [])
        flags = syscalls.MPOL_MF_STRICT | syscalls.MPOL_MF_MOVE
        syscalls.mbind(mapping.addr, mapping.size, mode, [0], flags)
        assert syscalls.get_mempolicy_at(mapping.addr) == (mode, [0])
        assert syscalls.get_mempolicy_at(mapping.addr + mapping.size - 1) == (mode, [0])
        syscalls.madvise(mapping.addr, mapping.size, syscalls.MADV_POPULATE_WRITE)
        syscalls.mbind(mapping.addr, mapping.size, syscalls.MPOL_DEFAULT, [], 0)
        assert syscalls.get_mempolicy_at(mapping.addr) == (syscalls.MPOL_DEFAULT, [])


def test_mbind_to_an_absent_node_is_invalid() -> None:
    if node_exists(5) or node_exists(127):
        pytest.skip("the host has a NUMA node 5 or 127")
    with HostMapping.anonymous(2 * MiB) as mapping:
        for nodes in ([5], [127]):
            with pytest.raises(OSError, match="Invalid argument") as caught:
                syscalls.mbind(mapping.addr, mapping.size, syscalls.MPOL_BIND, nodes, 0)
            assert caught.value.errno == errno.EINVAL
        assert syscalls.get_mempolicy_at(mapping.addr) == (syscalls.MPOL_DEFAULT, [])
        with pytest.raises(ValueError, match="127"):
            syscalls.mbind(mapping.addr, mapping.size, syscalls.MPOL_BIND, [128], 0)


def test_mbind_keeps_only_nodes_with_memory() -> None:
    if not node_exists(0) or node_exists(5):
        pytest.skip("needs NUMA node 0 and no node 5")
    # As with QEMU's host-nodes=0,host-nodes=5,policy=bind: accepted, bound to node 0.
    with HostMapping.anonymous(2 * MiB) as mapping:
        syscalls.mbind(mapping.addr, mapping.size, syscalls.MPOL_BIND, [0, 5], 0)
        assert syscalls.get_mempolicy_at(mapping.addr) == (syscalls.MPOL_BIND, [0])


# -- files ----------------------------------------------------------------------------------


def test_regular_files_have_base_pages_and_fallocate_reserves(tmp_path: Path) -> None:
    with open(tmp_path / "file", "wb") as file:
        fd = file.fileno()
        assert syscalls.fd_page_size(fd) == syscalls.PAGE_SIZE
        assert not syscalls.is_hugetlbfs(fd)
        syscalls.fallocate(fd, 0, 4 * MiB)
        info = os.fstat(fd)
        assert info.st_size == 4 * MiB
        assert info.st_blocks * 512 >= 4 * MiB


def test_calls_on_a_closed_fd_raise_ebadf(tmp_path: Path) -> None:
    fd = os.open(tmp_path / "file", os.O_RDWR | os.O_CREAT)
    os.close(fd)
    for call in (syscalls.fd_page_size, syscalls.is_hugetlbfs):
        with pytest.raises(OSError, match="Bad file descriptor"):
            call(fd)
    with pytest.raises(OSError, match="Bad file descriptor"):
        syscalls.fallocate(fd, 0, 4096)


def test_default_hugepage_size(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       1024 kB\nHugepagesize:    1048576 kB\n")
    assert syscalls.default_hugepage_size(str(meminfo)) == GiB
    meminfo.write_text("MemTotal:       1024 kB\n")
    assert syscalls.default_hugepage_size(str(meminfo)) is None
    assert syscalls.default_hugepage_size(str(tmp_path / "absent")) is None
    with open("/proc/meminfo", encoding="ascii") as real:
        kib = [line.split()[1] for line in real if line.startswith("Hugepagesize:")]
    assert syscalls.default_hugepage_size() == (int(kib[0]) * 1024 if kib else None)


# -- HostMapping ----------------------------------------------------------------------------


def test_view_is_exactly_size_unsigned_bytes() -> None:
    with HostMapping.anonymous(100) as mapping:
        view = mapping.view()
        assert (view.ndim, view.format, view.itemsize, len(view)) == (1, "B", 1, 100)
        assert not view.readonly
        view[99] = 255
        assert view[99] == 255
        view.release()


def test_close_without_views_unmaps_at_once() -> None:
    mapping = HostMapping.anonymous(6 * MiB + 4096)
    addr, size = mapping.addr, mapping.size
    assert is_mapped(addr, size) and in_maps(addr, 6 * MiB + 4096)
    mapping.close()
    assert mapping.closed
    assert not is_mapped(addr, size)
    assert not in_maps(addr, 6 * MiB + 4096)
    mapping.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        mapping.view()


def test_views_keep_the_range_mapped_past_close() -> None:
    mapping = HostMapping.anonymous(6 * MiB + 4096)
    addr, size = mapping.addr, mapping.size
    view = mapping.view()
    part = view[4096:8192]
    mapping.close()
    # Still mapped: reading and writing through the earlier views is safe.
    assert is_mapped(addr, size)
    view[0:4] = b"live"
    part[0] = 7
    assert bytes(view[0:4]) == b"live"
    assert view[4096] == 7
    del view
    assert is_mapped(addr, size)  # the slice still holds it
    part.release()
    assert not is_mapped(addr, size)
    assert not in_maps(addr, size)


def test_dropping_an_unclosed_mapping_unmaps_it() -> None:
    mapping = HostMapping.anonymous(6 * MiB + 4096)
    addr, size = mapping.addr, mapping.size
    del mapping
    gc.collect()
    assert not is_mapped(addr, size)


def test_mapping_released_on_error_inside_with() -> None:
    with pytest.raises(RuntimeError), HostMapping.anonymous(6 * MiB + 4096) as mapping:
        addr, size = mapping.addr, mapping.size
        raise RuntimeError
    assert mapping.closed
    assert not is_mapped(addr, size)


def test_hugetlb_mapping_is_unmapped_in_whole_huge_pages() -> None:
    default = syscalls.default_hugepage_size()
    if default is None or free_huge_pages(default) < 2:
        pytest.skip("needs 2 free default-size huge pages (HugePages_Free in /proc/meminfo)")
    fd = syscalls.memfd_create("huge", hugetlb=True)
    try:
        os.ftruncate(fd, 2 * default)
        mapping = HostMapping.from_fd(fd, default + 4096, shared=True)
    finally:
        os.close(fd)
    assert mapping.page_size == default
    mapping.close()
    assert not is_mapped(mapping.addr, mapping.size)
