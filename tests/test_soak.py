"""Soak: building and closing machines in a loop keeps descriptors, RSS and address space flat.

10,000 cycles of 64 MiB of lazily allocated RAM (each cycle writes one byte, so one page is
really faulted in), and 100 cycles of 1 GiB preallocated on two threads. The counts and sizes
are read from ``/proc/self`` before and after; a leaked mapping would show in the address
space (VmSize), a leaked page in VmRSS, a leaked descriptor in ``/proc/self/fd``. Each loop
stops at a time limit so that a slow host keeps the suite bounded; it must still have run a
good share of its cycles.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from machinectl import Machine, MiB, Registry, create_registry


def status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/self/status")


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry(load_entrypoints=False)


def soak(
    registry: Registry, argv: list[str], cycles: int, limit: float, ram: int
) -> dict[str, float]:
    """Run the cycles; a single leaked RAM mapping (``ram`` bytes) would fail the test."""
    for _ in range(min(cycles, 20)):  # warm up: caches, the allocator's arenas
        with Machine.from_argv(argv, registry=registry):
            pass
    before = {"fds": fd_count(), "rss": status("VmRSS"), "vm": status("VmSize")}
    peak = 0
    start = time.monotonic()
    done = 0
    while done < cycles and time.monotonic() - start < limit:
        with Machine.from_argv(argv, registry=registry) as machine:
            assert machine.ram is not None
            machine.ram.view[done % machine.ram.size] = 1
            if done % 50 == 0:
                peak = max(peak, status("VmRSS"))
        done += 1
    elapsed = time.monotonic() - start
    after = {"fds": fd_count(), "rss": status("VmRSS"), "vm": status("VmSize")}
    figures = {
        "cycles": done,
        "cycles/s": done / elapsed,
        "fds before": before["fds"],
        "fds after": after["fds"],
        "rss before MiB": before["rss"] / MiB,
        "rss after MiB": after["rss"] / MiB,
        "rss peak MiB": peak / MiB,
        "vm growth MiB": (after["vm"] - before["vm"]) / MiB,
    }
    print(f"\nsoak {' '.join(argv)}: " + ", ".join(f"{k} {v:.0f}" for k, v in figures.items()))
    assert after["fds"] == before["fds"], figures
    assert after["rss"] - before["rss"] < 16 * MiB, figures
    # Below one machine's RAM: a new thread may still get a malloc arena (64 MiB reserved).
    assert after["vm"] - before["vm"] < ram, figures
    return figures


@pytest.mark.slow
def test_ten_thousand_lazy_machines(registry: Registry) -> None:
    figures = soak(registry, ["-M", "none", "-m", "64M"], cycles=10_000, limit=30, ram=64 * MiB)
    assert figures["cycles"] >= 2_000, figures


@pytest.mark.slow
def test_a_hundred_preallocated_gibibytes(registry: Registry) -> None:
    ram = "memory-backend-ram,id=ram,size=1G,prealloc=on,prealloc-threads=2"
    argv = ["-M", "none", "-m", "1G", "-object", ram, "-machine", "memory-backend=ram"]
    figures = soak(registry, argv, cycles=100, limit=30, ram=1024 * MiB)
    assert figures["cycles"] >= 20, figures
    # Each machine really had its gibibyte resident, and gave it back.
    assert figures["rss peak MiB"] >= figures["rss before MiB"] + 1000, figures
