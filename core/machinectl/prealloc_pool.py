"""Several backends preallocated at once, by one pool of threads under one budget.

QEMU 7.2 preallocates each backend when it is created, one after the other, each with its
own ``prealloc-threads`` threads. QEMU 9.0 starts every backend's threads and waits for all of
them at the end, however many that makes. machinectl goes one step further: one pool of
threads, as many as the host has CPUs and no more than the backends would use on their own,
works through all the backends at once in :data:`prealloc.CHUNK_SIZE` pieces.

* A backend never has more threads at work than QEMU 7.2 would give it
  (:func:`prealloc.thread_count`, counting the CPUs it may run on).
* A thread working on a backend runs on that backend's CPUs (its thread context's, or those
  of the host nodes it is bound to): its affinity is set before each piece when it changes.
* Work is shared out piece by piece, not in fixed ranges, so a thread that finishes early
  takes over work from a slower backend; the least-served backend goes first.

Progress is counted over all backends together, in the calling thread, after every piece.
Failures and
interrupts stop every thread within one piece; no thread outlives :func:`preallocate_all`.
"""

from __future__ import annotations

import errno
import os
import signal
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import attrs
else:
    from . import _record as attrs

from . import prealloc, syscalls

Progress = Callable[[int, int], None]


@attrs.define(eq=False)
class Job:
    """One backend's memory to populate."""

    name: str
    addr: int
    size: int
    page_size: int
    max_threads: int
    fd: int | None = None
    readonly: bool = False
    #: The CPUs its threads run on; None: wherever the process may run.
    cpus: frozenset[int] | None = None
    force_touch: bool = False
    total: int = attrs.field(default=0, init=False)
    limit: int = attrs.field(default=1, init=False)
    offset: int = attrs.field(default=0, init=False)
    done: int = attrs.field(default=0, init=False)
    active: int = attrs.field(default=0, init=False)
    fill: Callable[[int, int], None] | None = attrs.field(default=None, init=False)

    def prepare(self, online_cpus: int) -> None:
        """Choose how to populate, and how many threads the job may have at once."""
        numpages = -(-self.size // self.page_size)
        self.total = numpages * self.page_size
        advice = syscalls.MADV_POPULATE_READ if self.readonly else syscalls.MADV_POPULATE_WRITE
        if not self.force_touch and prealloc._populate_supported(self.addr, self.page_size, advice):

            def fill(start: int, length: int) -> None:
                syscalls.madvise(start, length, advice)

        else:
            if self.fd is not None and not self.readonly:
                syscalls.fallocate(self.fd, 0, self.total)
            page_size, write = self.page_size, not self.readonly

            def fill(start: int, length: int) -> None:
                prealloc._touch(start, length, page_size, write=write)

        self.fill = fill
        cpus = len(self.cpus) if self.cpus else online_cpus
        self.limit = prealloc.thread_count(self.max_threads, numpages, self.page_size, cpus)


def budget(jobs: Sequence[Job], online_cpus: int) -> int:
    """The pool's thread count: the host's CPUs, at most what the jobs would use on their
    own (each at most MAX_THREADS), at least one."""
    wanted = sum(job.limit for job in jobs)
    return max(1, min(online_cpus if online_cpus > 0 else 1, wanted))


class _Pool:
    def __init__(self, jobs: Sequence[Job], chunk: int):
        self.jobs = jobs
        self.chunk = chunk
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.everywhere = frozenset(os.sched_getaffinity(0))
        #: Released after every piece and when a thread ends: the calling thread looks then.
        self.tick = threading.Semaphore(0)
        self.ended = 0

    def _take(self) -> tuple[Job, int, int] | None:
        """The next piece: from the job with the fewest threads for its remaining work."""
        with self.lock:
            open_jobs = [j for j in self.jobs if j.offset < j.total and j.active < j.limit]
            if not open_jobs or self.stop.is_set():
                return None
            job = min(open_jobs, key=lambda j: (j.active / j.limit, -(j.total - j.offset)))
            start = job.offset
            length = min(max(1, self.chunk // job.page_size) * job.page_size, job.total - start)
            job.offset += length
            job.active += 1
            return job, start, length

    def work(self) -> None:
        current: frozenset[int] | None = None
        while (piece := self._take()) is not None:
            job, start, length = piece
            try:
                cpus = job.cpus or self.everywhere
                if cpus != current:
                    os.sched_setaffinity(0, cpus)  # 0: this thread
                    current = cpus
                assert job.fill is not None
                job.fill(job.addr + start, length)
            finally:
                with self.lock:
                    job.active -= 1
                    job.done += length
                self.tick.release()


def preallocate_all(
    jobs: Sequence[Job],
    progress: Progress | None = None,
    *,
    online_cpus: int | None = None,
    chunk_size: int = prealloc.CHUNK_SIZE,
) -> None:
    """Populate every job's memory; ``progress(done, total)`` counts all jobs together.

    Raises the first failure (an OSError with the errno of the failing call); the job that
    failed is the one whose ``done`` is short of its ``total``.
    """
    cpus = prealloc._online_cpus() if online_cpus is None else online_cpus
    jobs = [job for job in jobs if job.size > 0]
    for job in jobs:
        job.prepare(cpus)
    total = sum(job.total for job in jobs)
    if not jobs:
        return
    pool = _Pool(jobs, chunk_size)
    count = budget(jobs, cpus)
    if count == 1 and all(job.cpus is None for job in jobs):
        # One thread that may run anywhere: the calling thread does the work, as in QEMU.
        done = 0
        while (piece := pool._take()) is not None:
            job, offset, length = piece
            assert job.fill is not None
            job.fill(job.addr + offset, length)
            job.active, job.done, done = job.active - 1, job.done + length, done + length
            if progress is not None:
                progress(done, total)
        return
    start = threading.Event()

    def body() -> None:
        try:
            start.wait()  # every thread exists before the first populate call
            pool.work()
        except BaseException as error:  # handed to the calling thread below
            pool.error = pool.error or error
            pool.stop.set()
        finally:
            with pool.lock:
                pool.ended += 1
            pool.tick.release()

    threads: list[threading.Thread] = []
    reported = -1
    try:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, prealloc._ASYNCHRONOUS_SIGNALS)
        try:
            for _ in range(count):
                thread = threading.Thread(target=body, name="touch_pages")
                try:
                    thread.start()
                except RuntimeError:  # pthread_create failed: EAGAIN is all it returns here
                    if not threads:
                        raise prealloc.ThreadCreationError(
                            errno.EAGAIN, os.strerror(errno.EAGAIN)
                        ) from None
                    break  # the host gives no more threads: fewer do the work
                threads.append(thread)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        start.set()
        running = True
        while running:
            pool.tick.acquire(timeout=prealloc.PROGRESS_INTERVAL)
            with pool.lock:
                running = pool.ended < len(threads)
                done = sum(job.done for job in jobs)
            if progress is not None and done != reported:
                progress(done, total)
                reported = done
    finally:
        pool.stop.set()
        start.set()
        prealloc._join_all(threads)
    if pool.error is not None:
        raise pool.error
