#!/usr/bin/env python3
"""Start-up of every command, as whole processes, beside QEMU 7.2 and a bare interpreter.

Each command runs as a new process, interleaved with its QEMU equivalent and ``python -c
pass`` so that the noise of a shared machine hits them alike; the table gives medians and the
ratios measured in this one run. Every command is measured warm (board index and compiled code
kept in the cache directory), with a cold board index (the index removed before each run, the
compiled code kept), and with nothing cached (the whole cache directory removed). The library
loop (build a machine, write a
page, read its map, close it) runs with the default registry and with an explicit one.

    uv run python benchmarks/startup.py [--runs 21] [--skip-qemu] [--no-prealloc]

The QEMU equivalents: ``qemu-system-aarch64 -M help`` for ``list-boards``, ``-M help`` and
``describe``; a machine brought up with ``-S`` and quit over QMP for ``run`` (``-M none -m 64M``
on ``qemu-system-x86_64``, ``-M virt -m 1G`` on ``qemu-system-aarch64``, and the 2 GiB
two-thread preallocation). This machine sets ``PYTHONDONTWRITEBYTECODE=1``: Python writes no
bytecode, and the ``machinectl`` command keeps the compiled code of the modules it would
otherwise compile at every start in its cache directory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PREALLOC = [
    "-object",
    "memory-backend-ram,id=m,size=2G,prealloc=on,prealloc-threads=2",
    "-machine",
    "memory-backend=m",
    "-m",
    "2G",
]


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def qemu_up_and_quit(argv: list[str]) -> float:
    """A QEMU machine created (``-S``) and quit over QMP on standard input and output."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*argv, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None and proc.stdin is not None
    proc.stdout.readline()  # the greeting: the machine is built
    proc.communicate(b'{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n', timeout=60)
    return time.perf_counter() - start


def library_loop(seconds: float, explicit: bool) -> float:
    """Machines per second: ``-M none -m 64M`` built, a page written, the map read, closed."""
    from machinectl import Machine, create_registry

    registry = create_registry() if explicit else None
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        with Machine.from_argv(["-M", "none", "-m", "64M"], registry=registry) as machine:
            assert machine.ram is not None
            machine.ram.view[0:4096] = b"\xa5" * 4096
            machine.ram_ranges()
        count += 1
    return count / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--skip-qemu", action="store_true")
    parser.add_argument("--no-prealloc", action="store_true", help="leave out the 2 GiB case")
    args = parser.parse_args()
    exe = shutil.which("machinectl") or sys.exit("machinectl is not on PATH (use uv run)")
    cache = Path(tempfile.mkdtemp(prefix="machinectl-bench-"))
    warm = {**os.environ, "MACHINECTL_CACHE_DIR": str(cache / "warm")}
    cold_dir = cache / "cold"
    cold = {**os.environ, "MACHINECTL_CACHE_DIR": str(cold_dir)}
    empty_dir = cache / "empty"
    empty = {**os.environ, "MACHINECTL_CACHE_DIR": str(empty_dir)}

    def ours(*command: str) -> list[str]:
        return [exe, *command]

    have = {t: shutil.which(f"qemu-system-{t}") for t in ("aarch64", "x86_64")}
    use_qemu = not args.skip_qemu and all(have.values())
    cases: list[tuple[str, list[str], Callable[[], float] | None]] = [
        (
            "list-boards",
            ours("list-boards"),
            lambda: timed(["qemu-system-aarch64", "-M", "help"], {}),
        ),
        ("run -M help", ours("run", "-M", "help"), None),
        ("describe virt", ours("describe", "--target", "aarch64", "virt"), None),
        (
            "run -M none -m 64M",
            ours("run", "-M", "none", "-m", "64M"),
            lambda: qemu_up_and_quit(["qemu-system-x86_64", "-M", "none", "-m", "64M"]),
        ),
        (
            "run -M virt -m 1G",
            ours("run", "--target", "aarch64", "-M", "virt", "-m", "1G"),
            lambda: qemu_up_and_quit(["qemu-system-aarch64", "-M", "virt", "-m", "1G"]),
        ),
    ]
    if not args.no_prealloc:
        cases.append(
            (
                "2 GiB x 2 threads prealloc",
                ours("run", "-M", "none", *PREALLOC),
                lambda: qemu_up_and_quit(["qemu-system-x86_64", "-M", "none", *PREALLOC]),
            )
        )
    for _, argv, qemu in cases:
        timed(argv, warm)  # builds the warm index and compiled code
        timed(argv, cold)  # the compiled code of the cold-index runs
        if use_qemu and qemu is not None:
            qemu()  # and one of QEMU's, so that neither side runs first on a fresh system
    results: dict[str, dict[str, list[float]]] = {
        name: {"warm": [], "cold": [], "empty": [], "qemu": []} for name, _, _ in cases
    }
    pass_times: list[float] = []

    def cold_run(argv: list[str]) -> float:
        for index in cold_dir.glob("index-*"):
            index.unlink()
        return timed(argv, cold)

    def empty_run(argv: list[str]) -> float:
        shutil.rmtree(empty_dir, ignore_errors=True)
        return timed(argv, empty)

    for round_ in range(args.runs):
        pass_times.append(timed([sys.executable, "-c", "pass"], dict(os.environ)))
        for name, argv, qemu in cases:
            runs: list[tuple[str, Callable[[], float]]] = [
                ("warm", lambda argv=argv: timed(argv, warm)),  # type: ignore[misc]
                ("cold", lambda argv=argv: cold_run(argv)),  # type: ignore[misc]
                ("empty", lambda argv=argv: empty_run(argv)),  # type: ignore[misc]
            ]
            if use_qemu and qemu is not None:
                runs.append(("qemu", qemu))
            # Each takes its turn at running first: on a virtual machine, the first process
            # in a while to touch much memory may wait for the host to back it.
            shift = round_ % len(runs)
            for kind, run in runs[shift:] + runs[:shift]:
                results[name][kind].append(run())
    base = statistics.median(pass_times)
    print(f"python {sys.version.split()[0]} at {sys.executable}")
    print(f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')}")
    print(f"python -c pass: {base * 1000:.1f} ms (median of {args.runs})")
    header = f"{'command':28} {'warm ms':>8} {'cold ms':>8} {'empty ms':>8} {'QEMU ms':>8} "
    print(header + f"{'warm/QEMU':>9} {'cold/QEMU':>9} {'warm/py':>8}")
    for name, got in results.items():
        w, c = statistics.median(got["warm"]), statistics.median(got["cold"])
        e = statistics.median(got["empty"])
        q = statistics.median(got["qemu"]) if got["qemu"] else None
        qs = f"{q * 1000:8.1f}" if q else f"{'-':>8}"
        rw = f"{w / q:9.2f}" if q else f"{'-':>9}"
        rc = f"{c / q:9.2f}" if q else f"{'-':>9}"
        print(
            f"{name:28} {w * 1000:8.1f} {c * 1000:8.1f} {e * 1000:8.1f} {qs} {rw} {rc} "
            f"{w / base:8.1f}"
        )
    shutil.rmtree(cache, ignore_errors=True)
    os.environ["MACHINECTL_CACHE_DIR"] = "off"
    default = statistics.median(library_loop(1.0, explicit=False) for _ in range(5))
    explicit = statistics.median(library_loop(1.0, explicit=True) for _ in range(5))
    print(
        f"library loop (-M none -m 64M, write a page, map, close): default registry "
        f"{default:.0f}/s, explicit registry {explicit:.0f}/s, ratio {default / explicit:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
