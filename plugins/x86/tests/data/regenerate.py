"""Rebuild the QEMU 7.2 oracle files of the x86 plugin's tests.

Run from the repository root (needs Debian's qemu-system-x86_64 7.2)::

    python plugins/x86/tests/data/regenerate.py

It writes five files next to itself, all with ``tools/qemu_oracle.py``'s record format:

* ``qemu72_sizes.json``: every machine type (and the ``pc``/``q35`` aliases) with no ``-m``
  and with each size of :data:`SIZES`;
* ``qemu72_maxmem.json``: the same machines with the ``-m size,slots=,maxmem=`` cases;
* ``qemu72_large.json``: RAM sizes beyond the host, given through a ``reserve=off`` backend
  (the phys-bits limit and the AMD HyperTransport relocation);
* ``qemu72_properties.json``: ``-machine max-ram-below-4g=`` on a few machine types;
* ``qemu72_numa.json``: every machine type with the ``-numa`` options of :data:`NUMA`.

Each record says whether QEMU died from a signal (``crashed``: an assertion, not an error
message); such a record cannot be compared.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "tools"))

import qemu_oracle  # noqa: E402

BINARY = "qemu-system-x86_64"
MACHINE_PATTERN = r"pc|q35|pc-i440fx-.*|pc-q35-.*|pc-1\..*|isapc|microvm"

SIZES = [
    None, "0", "512K", "1M", "2M", "4M", "8M", "16M", "32M", "64M", "100M", "102408K", "128M",
    "256M", "512M", "768M", "1G", "1536M", "2G",
    # q35's split at 2816 MiB, one 8 KiB step either side
    "2883576K", "2816M", "2883592K",
    # microvm's split at 3 GiB
    "3145720K", "3G", "3145736K",
    # i440fx's 3.5 GiB threshold
    "3670008K", "3584M", "3670024K",
    "4194296K", "4G", "4194312K", "6G", "8G",
]  # fmt: skip

MAXMEM = [
    "1G,maxmem=4G",
    "1G,slots=2,maxmem=4G",
    "1G,slots=4,maxmem=8G",
    "4G,slots=2,maxmem=8G",
    "128M,slots=1,maxmem=1G",
    "3584M,slots=1,maxmem=6G",
    "2816M,slots=1,maxmem=6G",
    "1G,slots=256,maxmem=8G",
    "1G,slots=257,maxmem=8G",
    "1G,slots=2,maxmem=8589934600",
    "1G,maxmem=1073745920",
    "1G,maxmem=1073741825",
    "1G,slots=257,maxmem=8589934600",
    "1G,slots=0,maxmem=1G",
    "1G,slots=1,maxmem=1000G",
    "1G,slots=2,maxmem=2000G",
    "1G,slots=300,maxmem=2000G",
    # device memory that wraps around the 64-bit address space
    "1G,maxmem=18446744073709547520",
    "1G,slots=2,maxmem=18446744073709547520",
    # refused by the generic -m checks before any board rule
    "1G,slots=2,maxmem=1G",
    "2G,maxmem=1G",
    "1G,slots=2",
]

LARGE = ["1000G", "1020G", "1100G"]

#: ``-machine max-ram-below-4g=`` values, tried on :data:`PROPERTY_MACHINES` with each of
#: :data:`PROPERTY_SIZES`.
PROPERTY_VALUES = ["0", "512K", "1G", "1536M", "2G", "2560M", "3G", "4G", "5G"]
PROPERTY_MACHINES = ["pc-i440fx-7.2", "pc-i440fx-1.7", "pc-q35-7.2", "isapc", "microvm"]
PROPERTY_SIZES = ["1G", "2G", "3584M", "3968M", "4194296K", "4G", "8G"]

#: ``-numa`` options, tried with the default RAM size.
NUMA = [["-numa", "node"], ["-numa", "node,mem=128M"]]


def sweep(jobs: Sequence[tuple[str, str | None, list[str]]]) -> list[qemu_oracle.Record]:
    return qemu_oracle.probe_all([(BINARY, *job) for job in jobs], crashed=True)


def main() -> int:
    names = qemu_oracle.machine_types(BINARY, MACHINE_PATTERN)
    qemu_oracle.write_records(
        HERE / "qemu72_sizes.json", sweep([(m, s, []) for m in names for s in SIZES])
    )
    qemu_oracle.write_records(
        HERE / "qemu72_maxmem.json", sweep([(m, s, []) for m in names for s in MAXMEM])
    )
    large = []
    for size in LARGE:
        extra = [
            "-object", f"memory-backend-ram,id=big,size={size},reserve=off",
            "-machine", "memory-backend=big",
        ]  # fmt: skip
        large += [(m, size, extra) for m in names]
    qemu_oracle.write_records(HERE / "qemu72_large.json", sweep(large))
    props = [
        (m, s, ["-machine", f"max-ram-below-4g={v}"])
        for m in PROPERTY_MACHINES
        for v in PROPERTY_VALUES
        for s in PROPERTY_SIZES
    ]
    qemu_oracle.write_records(HERE / "qemu72_properties.json", sweep(props))
    qemu_oracle.write_records(
        HERE / "qemu72_numa.json", sweep([(m, None, extra) for m in names for extra in NUMA])
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
