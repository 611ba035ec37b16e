"""Memory hotplug in a loop: the time per cycle and what the process keeps afterwards.

One cycle is what a program that resizes a guest does: ``object_add`` a memfd backend,
``device_add`` a DIMM on it, write a byte of it, ``device_del``, ``object_del``. After
``--cycles`` cycles (10,000 by default) it prints the time per cycle and the change in open
descriptors, mappings (``/proc/self/maps``), address space (VmSize) and resident memory
(VmRSS). Anything but zero for the first three is a leak. A virtio-mem loop follows: the
driver's side plugging and unplugging blocks with ``virtio_mem_follow``.

Usage: ``python benchmarks/hotplug.py [--cycles N] [--size 64M]``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from machinectl import Machine


def status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise SystemExit(f"no {field} in /proc/self/status")


def snapshot() -> dict[str, int]:
    return {
        "fds": len(os.listdir("/proc/self/fd")),
        "maps": len(Path("/proc/self/maps").read_text().splitlines()),
        "VmSize": status("VmSize"),
        "VmRSS": status("VmRSS"),
    }


def dimm_cycles(machine: Machine, cycles: int, size: str) -> float:
    spec = {"qom-type": "memory-backend-memfd", "id": "m", "size": size}
    start = time.perf_counter()
    for _ in range(cycles):
        backend = machine.object_add(spec)
        machine.device_add({"driver": "pc-dimm", "id": "d", "memdev": "m"})
        view = backend.view()
        view[0] = 1
        view.release()
        machine.device_del("d")
        machine.object_del("m")
        machine.take_events()
    return (time.perf_counter() - start) / cycles


def virtio_mem_cycles(machine: Machine, cycles: int) -> float:
    start = time.perf_counter()
    for i in range(cycles):
        machine.set_requested_size("vm1", (i % 8 + 1) * 2 * 1024 * 1024)
        machine.virtio_mem_follow("vm1")
        machine.take_events()
    return (time.perf_counter() - start) / cycles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10_000)
    parser.add_argument("--size", default="64M")
    options = parser.parse_args()
    argv = [
        "-M", "pc", "-m", "128M,slots=2,maxmem=1G",
        "-object", "memory-backend-ram,id=vm,size=64M",
        "-device", "virtio-mem-pci,id=vm1,memdev=vm",
    ]  # fmt: skip
    with Machine.from_argv(argv, target="x86_64") as machine:
        dimm_cycles(machine, 10, options.size)  # warm up
        before = snapshot()
        per_cycle = dimm_cycles(machine, options.cycles, options.size)
        after = snapshot()
        print(f"DIMM of {options.size}: {options.cycles} cycles, {per_cycle * 1e6:.0f} us/cycle")
        for key in before:
            print(f"  {key:7} {before[key]:>12} -> {after[key]:>12} ({after[key] - before[key]:+})")
        per_step = virtio_mem_cycles(machine, options.cycles)
        print(f"virtio-mem: {options.cycles} resizes, {per_step * 1e6:.0f} us each")


if __name__ == "__main__":
    main()
