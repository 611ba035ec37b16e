"""Preallocating several backends, with and without thread contexts, as whole processes.

Each configuration is a set of ``-object`` options (backends with ``prealloc=on``, and thread
contexts) after ``-M none``. It is run three ways, each a whole process from start to exit:

* ``machinectl``: ``machinectl run -M none ...`` (backends preallocated at once, by one pool);
* ``machinectl 7.2``: the same with ``MACHINECTL_PREALLOC=qemu-7.2`` (one after the other);
* ``QEMU 7.2``: ``qemu-system-x86_64 -M none ... -display none -S -nodefaults -qmp stdio``,
  told to quit over QMP as soon as it is up.

The time of the same command with 4 MiB backends is subtracted (process start-up), so the
figures are the cost of mapping, preallocating and freeing the memory. Each measurement is
repeated (``--repeat``) in shuffled order, after populating and freeing as much memory in the
benchmark's own process (see :func:`warm`), and the median is shown, with the throughput in
GiB/s and the speed-up of machinectl over QEMU 7.2 (above 1: machinectl is faster); a
second table shows the best run of each, since a virtual machine's memory is noisy.

Usage: ``python benchmarks/prealloc_parallel.py [--total 2G] [--repeat 3]``. Keep ``--total``
well within the host's free memory.
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
from pathlib import Path

MiB = 1 << 20
GiB = 1 << 30
QEMU = "qemu-system-x86_64"
NODES = "/sys/devices/system/node"
QMP_QUIT = b'{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n'


def configurations(total: int, cpus: list[int]) -> dict[str, list[str]]:
    """Name -> ``-object`` options; ``{size}`` stands for each backend's size."""
    first, last = cpus[0], cpus[-1]

    def backend(name: str, extra: str = "") -> list[str]:
        return ["-object", f"memory-backend-ram,id={name},size={{size}},prealloc=on{extra}"]

    def context(name: str, affinity: str) -> list[str]:
        return ["-object", f"thread-context,id={name},{affinity}"]

    return {
        "1 backend, 2 threads": backend("m0", ",prealloc-threads=2"),
        "1 backend, 2 threads, node context": [
            *context("tc", "node-affinity=0"),
            *backend("m0", ",prealloc-threads=2,prealloc-context=tc"),
        ],
        "2 backends, 1 thread each": [
            *backend("m0", ",prealloc-threads=1"),
            *backend("m1", ",prealloc-threads=1"),
        ],
        "2 backends, 2 threads each": [
            *backend("m0", ",prealloc-threads=2"),
            *backend("m1", ",prealloc-threads=2"),
        ],
        "2 backends, a CPU context each": [
            *context("a", f"cpu-affinity={first}"),
            *context("b", f"cpu-affinity={last}"),
            *backend("m0", ",prealloc-threads=2,prealloc-context=a"),
            *backend("m1", ",prealloc-threads=2,prealloc-context=b"),
        ],
        "4 backends, 1 thread each": [
            arg for i in range(4) for arg in backend(f"m{i}", ",prealloc-threads=1")
        ],
    }


def backends(options: list[str]) -> int:
    return sum(1 for arg in options if arg.startswith("memory-backend"))


def command(way: str, options: list[str], size: int) -> tuple[list[str], dict[str, str]]:
    argv = [arg.replace("{size}", str(size)) for arg in options]
    env = dict(os.environ)
    if way == "QEMU 7.2":
        return [QEMU, "-M", "none", *argv, "-display", "none", "-S", "-nodefaults",
                "-qmp", "stdio"], env  # fmt: skip
    machinectl = str(Path(sys.executable).with_name("machinectl"))
    if way == "machinectl 7.2":
        env["MACHINECTL_PREALLOC"] = "qemu-7.2"
    return [machinectl, "run", "-M", "none", *argv], env


def warm(size: int) -> None:
    """Populate and free ``size`` bytes, so that the host backs that much memory again (a
    virtual machine's host may have taken freed memory back)."""
    from machinectl import syscalls

    addr = syscalls.mmap_anonymous(size, shared=False, noreserve=False)
    try:
        syscalls.madvise(addr, size, syscalls.MADV_POPULATE_WRITE)
    finally:
        syscalls.munmap(addr, size)


def run_once(way: str, options: list[str], size: int) -> float:
    warm(size * backends(options))
    argv, env = command(way, options, size)
    started = time.perf_counter()
    proc = subprocess.run(
        argv,
        input=QMP_QUIT if way == "QEMU 7.2" else b"",
        capture_output=True,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.decode().strip()}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", default="2G", help="guest RAM per configuration (2G)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only", action="append", default=[], help="configurations whose name contains this"
    )
    args = parser.parse_args(argv)
    total = int(args.total[:-1]) * {"M": MiB, "G": GiB}[args.total[-1].upper()]
    ways = ["machinectl", "machinectl 7.2"] + (["QEMU 7.2"] if shutil.which(QEMU) else [])
    configs = configurations(total, sorted(os.sched_getaffinity(0)))
    if args.only:
        configs = {k: v for k, v in configs.items() if any(part in k for part in args.only)}
    jobs = [
        (name, way, size)
        for name, options in configs.items()
        for way in ways
        for size in (total // backends(options), 4 * MiB)
    ] * args.repeat
    random.shuffle(jobs)
    times: dict[tuple[str, str, int], list[float]] = {}
    for name, way, size in jobs:
        times.setdefault((name, way, size), []).append(run_once(way, configs[name], size))

    nodes = [name for name in os.listdir(NODES) if name[4:].isdigit()]
    print(f"host: {platform.node()}, {os.cpu_count()} CPUs, {len(nodes)} NUMA node(s)")
    print(
        f"guest RAM per configuration: {total / GiB:g} GiB; {args.repeat} runs each, "
        "less the same command with 4 MiB backends\n"
    )
    for title, stat in (("median", statistics.median), ("best", min)):
        print(f"{title}:")
        table(configs, ways, times, total, stat)
    return 0


def table(
    configs: dict[str, list[str]],
    ways: list[str],
    times: dict[tuple[str, str, int], list[float]],
    total: int,
    stat: Callable[[list[float]], float],
) -> None:
    header = f"{'configuration':36}" + "".join(f"{way:>22}" for way in ways)
    print(header + ("   speed-up" if "QEMU 7.2" in ways else ""))
    for name, options in configs.items():
        size = total // backends(options)
        cells = []
        net: dict[str, float] = {}
        for way in ways:
            full = stat(times[name, way, size])
            base = stat(times[name, way, 4 * MiB])
            net[way] = max(full - base, 1e-6)
            cells.append(f"{net[way]:6.3f} s {total / GiB / net[way]:5.2f} GiB/s")
        line = f"{name:36}" + "".join(f"{cell:>22}" for cell in cells)
        if "QEMU 7.2" in net:
            line += f"   {net['QEMU 7.2'] / net['machinectl']:5.2f}x"
        print(line)
    print()


if __name__ == "__main__":
    sys.exit(main())
