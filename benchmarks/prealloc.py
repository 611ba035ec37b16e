"""Preallocation speed: machinectl against one plain madvise call and against QEMU.

For each size and thread count it measures, in GiB/s:

* ours: :func:`machinectl.prealloc.preallocate` over anonymous memory advised with
  MADV_HUGEPAGE, as QEMU advises guest RAM; "+map" adds mapping and unmapping the memory;
* madvise: one MADV_POPULATE_WRITE call over the whole range, with MADV_HUGEPAGE (THP) and
  without it (4K), in the same process;
* QEMU: ``qemu-system-x86_64 -M none`` with a ``memory-backend-ram`` of the size,
  ``prealloc=on,prealloc-threads=N``, quit over QMP as soon as it is up; the time to exit,
  less the time of the same command with a 4 MiB backend. That covers mapping,
  preallocating and freeing the memory, so it is compared with "ours +map".

Each measurement is repeated (``--repeat``) in shuffled order and the median is reported,
since a virtual machine's memory is noisy. Before each one the same amount of memory is
populated and freed, so that the host still backs it (``--cold`` waits instead until the
guest has handed free memory back to the host; see :func:`prepare`). Ratios are throughput
ratios: above 1, ours is faster. A last table shows what splitting the range into chunks costs.

Usage: ``python benchmarks/prealloc.py [--sizes 1,2,4] [--threads 1,2] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

try:
    from machinectl import prealloc, syscalls
    from machinectl.mapping import HostMapping
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
    from machinectl import prealloc, syscalls
    from machinectl.mapping import HostMapping

GiB = 1 << 30
MiB = 1 << 20
QEMU = "qemu-system-x86_64"
QMP_QUIT = b'{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n'
COLD_WAIT = 5.0

Timings = dict[tuple[str, int, int], list[float]]


def ours(size: int, threads: int) -> tuple[float, float]:
    """Seconds for preallocate alone, and for map + advise + preallocate + unmap."""
    started = time.perf_counter()
    with HostMapping.anonymous(size) as mapping:
        syscalls.madvise(mapping.addr, size, syscalls.MADV_HUGEPAGE)
        before = time.perf_counter()
        prealloc.preallocate(mapping.addr, size, mapping.page_size, threads)
        populated = time.perf_counter() - before
    return populated, time.perf_counter() - started


def plain_madvise(size: int, huge: bool) -> float:
    """Seconds for one MADV_POPULATE_WRITE call over the whole range."""
    with HostMapping.anonymous(size) as mapping:
        if huge:
            syscalls.madvise(mapping.addr, size, syscalls.MADV_HUGEPAGE)
        before = time.perf_counter()
        syscalls.madvise(mapping.addr, size, syscalls.MADV_POPULATE_WRITE)
        return time.perf_counter() - before


def qemu(size: int, threads: int) -> float:
    """Seconds from starting QEMU with a preallocated backend of ``size`` to its exit."""
    command = [
        QEMU,
        "-M",
        "none",
        "-object",
        f"memory-backend-ram,id=m,size={size},prealloc=on,prealloc-threads={threads}",
        "-machine",
        "memory-backend=m",
        "-display",
        "none",
        "-nodefaults",
        "-S",
        "-qmp",
        "stdio",
    ]
    started = time.perf_counter()
    result = subprocess.run(
        command, input=QMP_QUIT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{QEMU} failed: {result.stderr.decode(errors='replace').strip()}")
    return elapsed


def qemu_version() -> str | None:
    if shutil.which(QEMU) is None:
        return None
    output = subprocess.run([QEMU, "--version"], capture_output=True, text=True, check=True)
    return output.stdout.splitlines()[0]


def measure(
    sizes: list[int], thread_counts: list[int], repeat: int, *, with_qemu: bool, cold: bool
) -> Timings:
    timings: Timings = {}

    def run_ours(size: int, threads: int) -> None:
        populated, whole = ours(size, threads)
        timings.setdefault(("ours", size, threads), []).append(populated)
        timings.setdefault(("ours+map", size, threads), []).append(whole)

    def run_madvise(size: int, huge: bool) -> None:
        key = ("madvise-thp" if huge else "madvise-4k", size, 0)
        timings.setdefault(key, []).append(plain_madvise(size, huge))

    def run_qemu(size: int, threads: int, key: tuple[str, int, int]) -> None:
        timings.setdefault(key, []).append(qemu(size, threads))

    tasks: list[tuple[int, Callable[[], None]]] = []
    for size in sizes:
        tasks += [
            (size, partial(run_madvise, size, True)),
            (size, partial(run_madvise, size, False)),
        ]
        for threads in thread_counts:
            tasks.append((size, partial(run_ours, size, threads)))
            if with_qemu:
                tasks.append((size, partial(run_qemu, size, threads, ("qemu", size, threads))))
                base = partial(run_qemu, 4 * MiB, threads, ("qemu-base", 0, threads))
                tasks.append((size, base))
    shuffle = random.Random(20200225)
    for round_number in range(repeat):
        shuffle.shuffle(tasks)
        for size, task in tasks:
            prepare(size, cold)
            task()
        print(f"  round {round_number + 1}/{repeat} done", file=sys.stderr)
    return timings


def prepare(size: int, cold: bool) -> None:
    """Put the guest's free memory in the same state before every measurement.

    In a virtual machine that reports free pages to the host (virtio-balloon free page
    reporting, after about 2 s), memory freed a while ago must be faulted in by the host
    again, which is several times slower. Warm: populate and free ``size`` bytes just
    before, so the measurement reuses pages the host still backs. Cold: wait until the
    free memory has been reported.
    """
    if cold:
        time.sleep(COLD_WAIT)
        return
    with HostMapping.anonymous(size) as mapping:
        syscalls.madvise(mapping.addr, size, syscalls.MADV_HUGEPAGE)
        prealloc.preallocate(mapping.addr, size, mapping.page_size, prealloc.MAX_THREADS)


def measure_chunks(size: int, chunks: list[int], repeat: int) -> dict[int, float]:
    """Best seconds to go over ``size`` bytes already populated, chunk by chunk.

    With the pages in place a call only walks the page tables, which costs the same in
    total for any chunk size, so what differs is the cost of the calls themselves.
    """
    best: dict[int, float] = {}
    with HostMapping.anonymous(size) as mapping:
        syscalls.madvise(mapping.addr, size, syscalls.MADV_HUGEPAGE)
        syscalls.madvise(mapping.addr, size, syscalls.MADV_POPULATE_WRITE)
        for _ in range(repeat):
            for chunk in chunks:
                started = time.perf_counter()
                for offset in range(0, size, chunk):
                    count = min(chunk, size - offset)
                    syscalls.madvise(mapping.addr + offset, count, syscalls.MADV_POPULATE_WRITE)
                elapsed = time.perf_counter() - started
                best[chunk] = min(best.get(chunk, elapsed), elapsed)
    return best


def rate(size: int, seconds: float) -> float:
    return size / GiB / seconds


def report(
    timings: Timings,
    sizes: list[int],
    thread_counts: list[int],
    summary: Callable[[list[float]], float] = statistics.median,
) -> None:
    """One table of GiB/s, each cell the ``summary`` (median, or best: min) of its times."""

    def seconds(key: tuple[str, int, int]) -> float | None:
        values = timings.get(key)
        return summary(values) if values else None

    header = "size  thr   ours  +map | madvise THP   4K |  QEMU | ours/madvise(THP)  ours+map/QEMU"
    print(header)
    print("-" * len(header))
    for size in sizes:
        thp = seconds(("madvise-thp", size, 0))
        small = seconds(("madvise-4k", size, 0))
        assert thp is not None and small is not None
        for threads in thread_counts:
            mine = seconds(("ours", size, threads))
            whole = seconds(("ours+map", size, threads))
            assert mine is not None and whole is not None
            total = seconds(("qemu", size, threads))
            base = seconds(("qemu-base", 0, threads))
            if total is not None and base is not None and total > base:
                theirs = rate(size, total - base)
                qemu_text = f"{theirs:5.2f}"
                ratio_qemu = f"{rate(size, whole) / theirs:13.2f}"
            else:
                qemu_text, ratio_qemu = "  n/a", "          n/a"
            print(
                f"{size // GiB:2d}G  {threads:3d}  {rate(size, mine):5.2f} {rate(size, whole):5.2f}"
                f" |       {rate(size, thp):5.2f} {rate(size, small):4.2f} | {qemu_text} |"
                f" {thp / mine:17.2f} {ratio_qemu}"
            )
    bases = {
        threads: summary(timings[("qemu-base", 0, threads)])
        for threads in thread_counts
        if ("qemu-base", 0, threads) in timings
    }
    if bases:
        text = ", ".join(f"{n} thread(s) {seconds * 1000:.0f} ms" for n, seconds in bases.items())
        print(f"QEMU startup with a 4 MiB backend (subtracted): {text}")


def report_chunks(size: int, best: dict[int, float], populate: float) -> None:
    print(f"\nCost of chunks: {size // GiB} GiB already populated, best of the rounds")
    print("     chunk  calls  time (us)  per call (us)  extra vs one call")
    whole = best[size]
    for chunk in sorted(best):
        calls = -(-size // chunk)
        extra = best[chunk] - whole
        label = "one call" if chunk >= size else f"{chunk // MiB} MiB"
        print(
            f"  {label:>8}  {calls:5d}  {best[chunk] * 1e6:9.0f}  {best[chunk] / calls * 1e6:13.1f}"
            f"  {extra * 1e6:7.0f} us = {extra / populate:.3%} of populating it"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1,2,4", help="GiB, comma-separated")
    parser.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-qemu", action="store_true", help="leave QEMU out")
    parser.add_argument("--no-chunks", action="store_true", help="leave the chunk table out")
    parser.add_argument(
        "--cold", action="store_true", help=f"wait {COLD_WAIT:g} s before each measurement"
    )
    args = parser.parse_args(argv)
    sizes = [int(part) * GiB for part in args.sizes.split(",")]
    thread_counts = [int(part) for part in args.threads.split(",")]
    version = None if args.no_qemu else qemu_version()

    with open("/sys/kernel/mm/transparent_hugepage/enabled", encoding="ascii") as thp:
        thp_mode = thp.read().strip()
    print(
        f"Linux {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"THP {thp_mode}, Python {platform.python_version()}, "
        f"{version or 'QEMU not measured'}, median of {args.repeat}, "
        f"{'cold' if args.cold else 'warm'} memory"
    )
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    timings = measure(
        sizes, thread_counts, args.repeat, with_qemu=version is not None, cold=args.cold
    )
    print("\nMedians, GiB/s (ratios of throughput: above 1, ours is faster)")
    report(timings, sizes, thread_counts)
    print(f"\nBest of {args.repeat}, GiB/s")
    report(timings, sizes, thread_counts, min)
    if not args.no_chunks:
        size = 2 * GiB
        chunks = [2 * MiB, 16 * MiB, 64 * MiB, 128 * MiB, 256 * MiB, size]
        populate = min(timings.get(("madvise-thp", size, 0)) or [plain_madvise(size, True)])
        report_chunks(size, measure_chunks(size, chunks, 3 * args.repeat), populate)
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
