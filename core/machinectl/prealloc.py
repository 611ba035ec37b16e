"""Preallocation of guest RAM: every page of a range faulted in before the guest runs.

The thread count and the split of the pages between threads follow QEMU 7.2's
``qemu_prealloc_mem``. Pages are populated with ``MADV_POPULATE_WRITE``; a kernel without it
(EINVAL on the first page) gets the fallback of touching every page.

Unlike QEMU, each range is worked through in chunks of :data:`CHUNK_SIZE` bytes. Between chunks
progress is counted and a stop request is honoured, so an exception in the calling thread
(KeyboardInterrupt, or whatever a SIGTERM handler raises) stops the workers within one chunk.
No worker thread outlives :func:`preallocate`.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import threading
from collections.abc import Callable

from machinectl import syscalls

__all__ = [
    "CHUNK_SIZE",
    "MAX_THREADS",
    "ThreadCreationError",
    "preallocate",
    "split",
    "thread_count",
]

MAX_THREADS = 16
"""Upper bound on preallocation threads (MAX_MEM_PREALLOC_THREAD_COUNT)."""

BYTES_PER_THREAD = 64 * 1024 * 1024
"""Each thread beyond the first needs this much memory to populate."""

CHUNK_SIZE = 64 * 1024 * 1024
"""Bytes populated per system call (rounded down to whole pages, at least one)."""

PROGRESS_INTERVAL = 0.05
"""Seconds between two looks at the workers from the calling thread."""

Progress = Callable[[int, int], None]

_ASYNCHRONOUS_SIGNALS = signal.valid_signals() - {
    signal.SIGKILL,
    signal.SIGSTOP,
    signal.SIGSEGV,
    signal.SIGBUS,
    signal.SIGFPE,
    signal.SIGILL,
    signal.SIGTRAP,
    signal.SIGSYS,
}


class ThreadCreationError(OSError):
    """A preallocation thread could not be started (a thread, process or address-space limit).

    QEMU 7.2 has no fallback either: its ``qemu_thread_create`` ends the process with
    ``qemu_thread_create: Resource temporarily unavailable``. Here the threads already
    started are stopped and joined, and the error is raised.
    """


def thread_count(max_threads: int, numpages: int, hpagesize: int, online_cpus: int) -> int:
    """The number of threads preallocating ``numpages`` pages of ``hpagesize`` bytes.

    At most MAX_THREADS, ``online_cpus`` (1 when unknown, 0 or less), ``max_threads`` and
    ``numpages``, and one thread per 64 MiB (at least one).
    """
    count = min(online_cpus, MAX_THREADS, max_threads) if online_cpus > 0 else 1
    count = min(count, numpages)
    return min(count, max(1, hpagesize * numpages // BYTES_PER_THREAD))


def split(numpages: int, n: int) -> list[tuple[int, int]]:
    """Split ``numpages`` pages into ``n`` contiguous ascending (first page, page count) ranges.

    Every range gets ``numpages // n`` pages; the first ``numpages % n`` get one more.
    """
    if n < 1:
        raise ValueError(f"cannot split pages between {n} threads")
    per_thread, leftover = divmod(numpages, n)
    ranges = []
    first = 0
    for index in range(n):
        count = per_thread + (index < leftover)
        ranges.append((first, count))
        first += count
    return ranges


def _online_cpus() -> int:
    try:
        return os.sysconf("SC_NPROCESSORS_ONLN")
    except (OSError, ValueError):
        return 0


def _populate_supported(addr: int, page_size: int, advice: int) -> bool:
    """Whether ``advice`` (MADV_POPULATE_*) works, tried on the first page.

    EINVAL means a kernel older than 5.14, unless MADV_POPULATE_READ works where
    MADV_POPULATE_WRITE does not: then the memory is not writable, and touching it for
    writing would crash the process, so the EINVAL is raised.
    """
    try:
        syscalls.madvise(addr, page_size, advice)
    except OSError as error:
        if error.errno != errno.EINVAL:
            raise
        if advice == syscalls.MADV_POPULATE_WRITE:
            try:
                syscalls.madvise(addr, page_size, syscalls.MADV_POPULATE_READ)
            except OSError:
                return False
            raise
        return False
    return True


def _touch(addr: int, length: int, page_size: int, *, write: bool) -> None:
    """Read the first byte of every page of a range and, with ``write``, store it back."""
    region = (ctypes.c_ubyte * length).from_address(addr)
    with memoryview(region) as whole, whole.cast("B") as data, data[::page_size] as firsts:
        first_bytes = firsts.tobytes()
        if write:
            firsts[:] = first_bytes


class _Worker:
    """Populates one range, chunk by chunk, until done, stopped, or failed."""

    def __init__(self, addr: int, length: int, chunk: int, fill: Callable[[int, int], None]):
        self.addr = addr
        self.length = length
        self.chunk = chunk
        self.fill = fill
        self.done = 0
        self.error: BaseException | None = None

    def step(self) -> None:
        """Populate the next chunk."""
        count = min(self.chunk, self.length - self.done)
        self.fill(self.addr + self.done, count)
        self.done += count

    def run(self, stop: threading.Event) -> None:
        while self.done < self.length and not stop.is_set():
            self.step()


def _run_threads(
    workers: list[_Worker],
    total: int,
    progress: Progress | None,
    cpus: frozenset[int] | None = None,
) -> int:
    """Run each worker in its own thread and wait for all of them in the calling thread.

    With ``cpus``, each thread runs on those CPUs only. Returns the last byte count handed
    to ``progress``.
    """
    start = threading.Event()
    stop = threading.Event()
    finished = threading.Semaphore(0)

    def body(worker: _Worker) -> None:
        try:
            if cpus is not None:
                os.sched_setaffinity(0, cpus)  # 0: the calling thread
            # Wait until every thread exists: creating a thread stack needs the mmap lock
            # for writing, which a running populate call holds for reading.
            start.wait()
            worker.run(stop)
        except BaseException as error:  # handed to the calling thread below
            worker.error = error
            stop.set()
        finally:
            finished.release()

    threads: list[threading.Thread] = []
    reported = 0  # preallocate() announced the start
    try:
        # Signals stay blocked while the threads are created, so that no exception from a
        # handler can leave a started thread out of the list; the threads inherit the mask
        # and leave every signal to the calling thread, whose wait it then interrupts.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _ASYNCHRONOUS_SIGNALS)
        try:
            for worker in workers:
                thread = threading.Thread(target=body, args=(worker,), name="touch_pages")
                try:
                    thread.start()
                except RuntimeError:  # pthread_create failed: EAGAIN is all it returns here
                    raise ThreadCreationError(errno.EAGAIN, os.strerror(errno.EAGAIN)) from None
                threads.append(thread)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        start.set()
        pending = len(threads)
        while pending:
            if finished.acquire(timeout=PROGRESS_INTERVAL):
                pending -= 1
            done = sum(worker.done for worker in workers)
            if progress is not None and done != reported:
                progress(done, total)
                reported = done
    finally:
        stop.set()
        start.set()
        _join_all(threads)
    for worker in workers:
        if worker.error is not None:
            raise worker.error
    return reported


def _join_all(threads: list[threading.Thread]) -> None:
    """Join every thread, even when interrupted meanwhile; then raise the first interrupt."""
    interrupt: BaseException | None = None
    for thread in threads:
        while True:
            try:
                thread.join()
                break
            except BaseException as error:
                interrupt = interrupt or error
    if interrupt is not None:
        raise interrupt


def preallocate(
    addr: int,
    size: int,
    page_size: int,
    max_threads: int,
    *,
    fd: int | None = None,
    progress: Progress | None = None,
    readonly: bool = False,
    force_touch: bool = False,
    online_cpus: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    cpus: frozenset[int] | None = None,
) -> None:
    """Fault in every page of ``size`` bytes at ``addr`` before the guest runs.

    ``page_size`` is the page size of the memory (:func:`syscalls.fd_page_size` for fd-backed
    memory); the range is rounded up to whole pages. Up to ``max_threads`` threads share the
    work (:func:`thread_count`, with ``online_cpus`` defaulting to the host's). When that
    comes to one thread, no thread is created: the calling thread does the work itself.

    ``progress(done, total)`` is called in the calling thread, first with ``done == 0``, then
    as bytes get populated, last with ``done == total``; never twice with the same count.
    Read-only memory (``readonly``) is populated for reading only.

    Without MADV_POPULATE_WRITE, or with ``force_touch``, every page is touched instead
    (holding the GIL, so threads do not add speed). The file behind ``fd``, taken to be
    mapped from offset 0, is then fallocated first, so that a full file system or an
    exhausted hugetlb pool fails with ENOSPC rather than SIGBUS.

    With ``cpus`` (a thread context's CPUs) the work is done in threads that run on those
    CPUs only, even when one thread does it.

    Raises OSError with the errno of the failure, for example EFAULT when a tmpfs fills up.
    """
    if max_threads < 1:
        raise ValueError(f"preallocation needs at least one thread, not {max_threads}")
    if size <= 0:
        return
    numpages = -(-size // page_size)
    total = numpages * page_size
    if progress is not None:
        progress(0, total)
    advice = syscalls.MADV_POPULATE_READ if readonly else syscalls.MADV_POPULATE_WRITE

    fill: Callable[[int, int], None]
    if not force_touch and _populate_supported(addr, page_size, advice):

        def fill(start: int, length: int) -> None:
            syscalls.madvise(start, length, advice)

    else:
        if fd is not None and not readonly:
            syscalls.fallocate(fd, 0, total)

        def fill(start: int, length: int) -> None:
            _touch(start, length, page_size, write=not readonly)

    online = _online_cpus() if online_cpus is None else online_cpus
    count = thread_count(max_threads, numpages, page_size, online)
    chunk = max(1, chunk_size // page_size) * page_size
    workers = [
        _Worker(addr + first * page_size, pages * page_size, chunk, fill)
        for first, pages in split(numpages, count)
    ]
    if count == 1 and cpus is None:
        worker = workers[0]
        while worker.done < total:
            worker.step()
            if progress is not None:
                progress(worker.done, total)
        return
    if _run_threads(workers, total, progress, cpus) != total and progress is not None:
        progress(total, total)
