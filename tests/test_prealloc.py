"""Preallocation: QEMU 7.2's thread count and split, and real population of real memory."""

from __future__ import annotations

import errno
import itertools
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import given
from hypothesis import strategies as st
from machinectl import prealloc, syscalls
from machinectl.mapping import HostMapping

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
PAGE = syscalls.PAGE_SIZE


def resident(addr: int, size: int) -> int:
    """Bytes of the range resident in memory (mincore)."""
    return sum(byte & 1 for byte in syscalls.mincore(addr, size)) * PAGE


def smaps_rss(addr: int) -> tuple[int, int]:
    """(Rss, size) of the VMA holding ``addr``, from /proc/self/smaps.

    The VMA may be larger than the mapping at ``addr``, when a neighbour merged into it.
    """
    with open("/proc/self/smaps", encoding="ascii") as lines:
        length = 0
        for line in lines:
            first = line.split()[0]
            if "-" in first and not first.endswith(":"):
                start, end = (int(part, 16) for part in first.split("-"))
                length = end - start if start <= addr < end else 0
            elif length and first == "Rss:":
                return int(line.split()[1]) * KiB, length
    raise AssertionError(f"no VMA at {addr:#x}")


def touch_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "touch_pages"]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int, int]]:
    """Every madvise made, as (thread name, address, length, advice); the calls still happen."""
    seen: list[tuple[str, int, int, int]] = []
    real = syscalls.madvise

    def madvise(addr: int, size: int, advice: int) -> None:
        seen.append((threading.current_thread().name, addr, size, advice))
        real(addr, size, advice)

    monkeypatch.setattr(syscalls, "madvise", madvise)
    return seen


# -- thread count and split (semantics §7) --------------------------------------------------

# (max_threads, numpages, hpagesize, online_cpus) -> threads, by QEMU 7.2's formula:
# MIN(MIN(cpus, 16), max), then MIN(numpages), then MIN(MAX(1, bytes / 64 MiB)).
THREAD_COUNTS = [
    ((16, GiB // PAGE, PAGE, 2), 2),  # 1 GiB, two CPUs
    ((1, GiB // PAGE, PAGE, 2), 1),  # prealloc-threads=1
    ((4, 64 * MiB // PAGE, PAGE, 8), 1),  # 64 MiB: one thread
    ((4, 128 * MiB // PAGE, PAGE, 8), 2),  # 128 MiB: two threads
    ((4, 100 * MiB // PAGE, PAGE, 8), 1),  # 100 MiB rounds down to one 64 MiB share
    ((32, 64 * GiB // PAGE, PAGE, 64), 16),  # never more than 16
    ((16, 3, GiB, 32), 3),  # 1 GiB pages: no more threads than pages
    ((16, 200, 2 * MiB, 32), 6),  # 400 MiB of 2 MiB pages
    ((8, GiB // PAGE, PAGE, 0), 1),  # CPU count unknown: one thread
    ((8, GiB // PAGE, PAGE, -1), 1),
    ((8, 1, PAGE, 4), 1),
    ((8, 0, PAGE, 4), 0),
]


@pytest.mark.parametrize(("args", "expected"), THREAD_COUNTS)
def test_thread_count(args: tuple[int, int, int, int], expected: int) -> None:
    assert prealloc.thread_count(*args) == expected


@given(
    max_threads=st.integers(1, 64),
    numpages=st.integers(1, 1 << 24),
    hpagesize=st.sampled_from([PAGE, 64 * KiB, 2 * MiB, GiB]),
    cpus=st.integers(-1, 256),
)
def test_thread_count_bounds(max_threads: int, numpages: int, hpagesize: int, cpus: int) -> None:
    count = prealloc.thread_count(max_threads, numpages, hpagesize, cpus)
    assert 1 <= count <= min(max_threads, numpages, prealloc.MAX_THREADS, max(cpus, 1))
    assert count == 1 or hpagesize * numpages >= count * 64 * MiB


SPLITS = [
    ((10, 3), [(0, 4), (4, 3), (7, 3)]),
    ((11, 3), [(0, 4), (4, 4), (8, 3)]),
    ((12, 3), [(0, 4), (4, 4), (8, 4)]),
    ((3, 3), [(0, 1), (1, 1), (2, 1)]),
    ((262144, 1), [(0, 262144)]),
    ((262145, 2), [(0, 131073), (131073, 131072)]),
]


@pytest.mark.parametrize(("args", "expected"), SPLITS)
def test_split(args: tuple[int, int], expected: list[tuple[int, int]]) -> None:
    assert prealloc.split(*args) == expected


@given(numpages=st.integers(0, 1 << 30), n=st.integers(1, 16))
def test_split_properties(numpages: int, n: int) -> None:
    ranges = prealloc.split(numpages, n)
    assert len(ranges) == n
    assert sum(count for _, count in ranges) == numpages
    assert ranges[0][0] == 0
    for (first, count), (following, _) in itertools.pairwise(ranges):
        assert first + count == following
    counts = [count for _, count in ranges]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] - counts[-1] <= 1
    assert sum(1 for count in counts if count > numpages // n) == numpages % n


def test_split_needs_a_thread() -> None:
    with pytest.raises(ValueError, match="0 threads"):
        prealloc.split(10, 0)
    with pytest.raises(ValueError, match="at least one thread"):
        prealloc.preallocate(0, PAGE, PAGE, 0)


# -- population -----------------------------------------------------------------------------


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("force_touch", [False, True])
def test_preallocation_populates_every_page(
    threads: int, force_touch: bool, calls: list[tuple[str, int, int, int]]
) -> None:
    size = 128 * MiB
    with HostMapping.anonymous(size) as mapping:
        assert resident(mapping.addr, size) == 0
        rss, length = smaps_rss(mapping.addr)
        assert rss <= length - size
        prealloc.preallocate(
            mapping.addr, size, PAGE, threads, online_cpus=2, force_touch=force_touch
        )
        assert resident(mapping.addr, size) == size
        rss, length = smaps_rss(mapping.addr)
        assert size <= rss <= length
    names = {name for name, *_ in calls}
    if force_touch:
        assert calls == []
    else:
        # The probe on the first page, then the ranges: no extra thread for one thread.
        assert calls[0] == ("MainThread", mapping.addr, PAGE, syscalls.MADV_POPULATE_WRITE)
        assert names == ({"MainThread"} if threads == 1 else {"MainThread", "touch_pages"})
    assert touch_threads() == []


def test_threads_take_contiguous_ranges_in_chunks(calls: list[tuple[str, int, int, int]]) -> None:
    size = 128 * MiB + 3 * PAGE
    with HostMapping.anonymous(size) as mapping:
        prealloc.preallocate(mapping.addr, size, PAGE, 16, online_cpus=2, chunk_size=16 * MiB + 100)
        addr = mapping.addr
    halves = [(addr, 64 * MiB + 2 * PAGE), (addr + 64 * MiB + 2 * PAGE, 64 * MiB + PAGE)]
    worker_calls = sorted(call[1:3] for call in calls[1:])
    assert all(name == "touch_pages" for name, *_ in calls[1:])
    assert all(advice == syscalls.MADV_POPULATE_WRITE for *_, advice in calls)
    for start, length in halves:
        chunks = [(a, n) for a, n in worker_calls if start <= a < start + length]
        assert [n for _, n in chunks] == [16 * MiB] * 4 + [length - 64 * MiB]
        assert chunks[0][0] == start
        assert all(a + n == b for (a, n), (b, _) in itertools.pairwise(chunks))


def test_madvise_releases_the_gil() -> None:
    # While another thread populates, this one keeps running Python code.
    with HostMapping.anonymous(256 * MiB) as mapping:
        worker = threading.Thread(
            target=syscalls.madvise,
            args=(mapping.addr, mapping.size, syscalls.MADV_POPULATE_WRITE),
        )
        worker.start()
        spins = 0
        started = time.perf_counter()
        while worker.is_alive():
            spins += 1
        elapsed = time.perf_counter() - started
        worker.join()
        assert resident(mapping.addr, mapping.size) == mapping.size
    if elapsed > 0.02:  # long enough to tell
        assert spins > 10_000


def test_progress_counts_up_to_the_total_once() -> None:
    size = 256 * MiB + PAGE
    for threads in (1, 2):
        seen: list[tuple[int, int]] = []

        def progress(done: int, total: int, seen: list[tuple[int, int]] = seen) -> None:
            seen.append((done, total))

        with HostMapping.anonymous(size) as mapping:
            prealloc.preallocate(
                mapping.addr,
                size,
                PAGE,
                threads,
                online_cpus=2,
                chunk_size=16 * MiB,
                progress=progress,
            )
        assert seen[0] == (0, size) and seen[-1] == (size, size)
        # Strictly increasing: the first call (and any other) arrives once.
        assert [done for done, _ in seen] == sorted({done for done, _ in seen})
        assert {total for _, total in seen} == {size}
        if threads == 1:
            assert len(seen) == 18


def test_fallback_preserves_file_contents(tmp_path: Path) -> None:
    pattern = bytes(range(256)) * (4 * MiB // 256)
    path = tmp_path / "ram"
    path.write_bytes(pattern)
    fd = os.open(path, os.O_RDWR)
    try:
        for shared in (True, False):
            with HostMapping.from_fd(fd, len(pattern), shared=shared) as mapping:
                prealloc.preallocate(mapping.addr, mapping.size, PAGE, 1, fd=fd, force_touch=True)
                assert resident(mapping.addr, mapping.size) == mapping.size
                view = mapping.view()
                assert view == pattern
                view.release()
    finally:
        os.close(fd)
    assert path.read_bytes() == pattern


def test_readonly_memory(tmp_path: Path) -> None:
    path = tmp_path / "ram"
    path.write_bytes(b"r" * 4 * MiB)
    fd = os.open(path, os.O_RDONLY)
    try:
        mapping = HostMapping.from_fd(fd, 4 * MiB, shared=False, readonly=True)
    finally:
        os.close(fd)
    with mapping:
        # Writing would kill the process (QEMU 7.2 does die of SIGSEGV here): refused.
        with pytest.raises(OSError, match="Invalid argument"):
            prealloc.preallocate(mapping.addr, mapping.size, PAGE, 1)
        prealloc.preallocate(mapping.addr, mapping.size, PAGE, 1, readonly=True)
        assert resident(mapping.addr, mapping.size) == mapping.size
        prealloc.preallocate(mapping.addr, mapping.size, PAGE, 2, readonly=True, force_touch=True)


def test_a_failing_worker_stops_the_others() -> None:
    size = 256 * MiB
    with HostMapping.anonymous(size) as mapping:
        hole = mapping.addr + 160 * MiB
        syscalls.munmap(hole, 2 * MiB)  # inside the second thread's half
        with pytest.raises(OSError, match="Cannot allocate memory") as caught:
            prealloc.preallocate(mapping.addr, size, PAGE, 2, online_cpus=2, chunk_size=8 * MiB)
        assert caught.value.errno == errno.ENOMEM
        assert touch_threads() == []
        assert resident(mapping.addr + 128 * MiB, 32 * MiB) == 32 * MiB
        assert resident(mapping.addr + 162 * MiB, 94 * MiB) == 0


# -- interruption ---------------------------------------------------------------------------


class Terminated(BaseException):
    """What the test's SIGTERM handler raises."""


def interrupt_later(signum: int, delay: float, *, to_process: bool) -> threading.Timer:
    """Send ``signum`` after ``delay`` seconds to the process or to the main thread."""
    if to_process:
        timer = threading.Timer(delay, os.kill, (os.getpid(), signum))
    else:
        main = threading.main_thread().ident
        assert main is not None
        timer = threading.Timer(delay, signal.pthread_kill, (main, signum))
    timer.start()
    return timer


@pytest.fixture
def raise_on_sigterm() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.usefixtures("raise_on_sigterm")
@pytest.mark.parametrize("to_process", [False, True])
@pytest.mark.parametrize(
    ("signum", "exception"), [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, Terminated)]
)
def test_a_signal_stops_the_workers(
    signum: int, exception: type[BaseException], to_process: bool
) -> None:
    size = GiB
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    with HostMapping.anonymous(size, noreserve=True) as mapping:
        # One page per call keeps the workers busy for far longer than the delay.
        timer = interrupt_later(signum, 0.05, to_process=to_process)
        try:
            with pytest.raises(exception):
                prealloc.preallocate(mapping.addr, size, PAGE, 2, online_cpus=2, chunk_size=PAGE)
        finally:
            timer.cancel()
            timer.join()
        assert touch_threads() == []
        assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == mask  # restored
        done = resident(mapping.addr, size)
        assert 0 < done < size
        time.sleep(0.05)
        assert resident(mapping.addr, size) == done  # nothing runs on


@pytest.mark.parametrize("threads", [1, 2])
def test_an_exception_in_progress_stops_the_workers(threads: int) -> None:
    size = 512 * MiB

    def progress(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with HostMapping.anonymous(size, noreserve=True) as mapping:
        with pytest.raises(KeyboardInterrupt):
            prealloc.preallocate(
                mapping.addr,
                size,
                PAGE,
                threads,
                online_cpus=2,
                chunk_size=4 * MiB,
                progress=progress,
            )
        assert touch_threads() == []
        assert resident(mapping.addr, size) < size


# -- a full file system ---------------------------------------------------------------------


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, unmounted afterwards (which fails if anything still maps it)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a 4 MiB tmpfs needs root")
    mountpoint = tmp_path / "tmpfs"
    mountpoint.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mountpoint)]
    result = subprocess.run(mount, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {result.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize(("force_touch", "code"), [(False, errno.EFAULT), (True, errno.ENOSPC)])
def test_full_tmpfs_is_an_error_and_leaves_nothing_mapped(
    small_tmpfs: Path, shared: bool, force_touch: bool, code: int
) -> None:
    # 16 MiB of guest RAM in a file on a 4 MiB tmpfs (semantics §7, checked on QEMU 7.2).
    path = small_tmpfs / "ram"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.ftruncate(fd, 16 * MiB)
        with (
            pytest.raises(OSError) as caught,
            HostMapping.from_fd(fd, 16 * MiB, shared=shared) as mapping,
        ):
            addr = mapping.addr
            prealloc.preallocate(addr, mapping.size, PAGE, 2, fd=fd, force_touch=force_touch)
    finally:
        os.close(fd)
    assert caught.value.errno == code
    assert caught.value.strerror == os.strerror(code)  # EFAULT: "Bad address", as in QEMU
    assert touch_threads() == []
    with pytest.raises(OSError) as unmapped:
        syscalls.mincore(addr, 16 * MiB)
    assert unmapped.value.errno == errno.ENOMEM
    with open("/proc/self/maps", encoding="ascii") as maps:
        assert str(path) not in maps.read()


@pytest.mark.parametrize(("force_touch", "code"), [(False, errno.EFAULT), (True, errno.ENOSPC)])
def test_exhausted_hugetlb_pool_is_an_error(force_touch: bool, code: int) -> None:
    default = syscalls.default_hugepage_size()
    if default is None:
        pytest.skip("the kernel has no hugetlb support (no Hugepagesize in /proc/meminfo)")
    pool = Path(f"/sys/kernel/mm/hugepages/hugepages-{default // KiB}kB")
    if (pool / "free_hugepages").read_text().strip() != "0":
        pytest.skip("the huge page pool is not empty, and the test must not take its pages")
    if Path("/proc/sys/vm/nr_overcommit_hugepages").read_text().strip() != "0":
        pytest.skip("surplus huge pages are allowed (vm.nr_overcommit_hugepages)")
    fd = syscalls.memfd_create("ram", hugetlb=True)
    try:
        os.ftruncate(fd, 2 * default)
        # Without a reservation the mapping succeeds; the pages are missing at first touch.
        with (
            pytest.raises(OSError) as caught,
            HostMapping.from_fd(fd, 2 * default, shared=True, noreserve=True) as mapping,
        ):
            assert mapping.page_size == default
            prealloc.preallocate(
                mapping.addr, mapping.size, default, 2, fd=fd, force_touch=force_touch
            )
    finally:
        os.close(fd)
    assert caught.value.errno == code
