"""Rebuild the QEMU 7.2 oracle files of the x86 plugin's tests.

Run from the repository root (needs Debian's qemu-system-x86_64 7.2)::

    python plugins/x86/tests/data/regenerate.py

It writes seven files next to itself (or only those named on the command line), all with
``tools/qemu_oracle.py``'s record format:

* ``qemu72_sizes.json``: every machine type (and the ``pc``/``q35`` aliases) with no ``-m``
  and with each size of :data:`SIZES`;
* ``qemu72_maxmem.json``: the same machines with the ``-m size,slots=,maxmem=`` cases;
* ``qemu72_large.json``: RAM sizes beyond the host, given through a ``reserve=off`` backend
  (the phys-bits limit and the AMD HyperTransport relocation);
* ``qemu72_properties.json``: ``-machine max-ram-below-4g=`` on a few machine types;
* ``qemu72_numa.json``: every machine type with the ``-numa`` options of :data:`NUMA`;
* ``qemu72_firmware.json``: ``-bios`` with each file of :data:`BIOS_FILES` on the machine types
  of :data:`BIOS_MACHINES` (the firmware files of Debian's QEMU and SeaBIOS packages);
* ``qemu72_options.json``: the ``acpi`` machine property on the machine types of
  :data:`OPTION_MACHINES`, alone and with ``acpi=off`` and a memory device, and ``nvdimm=on``
  on every machine type (old ones warn about their fw_cfg order).

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

#: ``-bios`` files: 128 KiB and 256 KiB SeaBIOS, 2 MiB OVMF, 64 KiB qboot (by full path), a
#: file whose size is not a multiple of 64 KiB, and one that does not exist.
BIOS_FILES = [
    "bios.bin",
    "bios-256k.bin",
    "OVMF.fd",
    "/usr/share/qemu/qboot.rom",
    "linuxboot.bin",
    "missing.bin",
]
BIOS_MACHINES = [
    "pc-i440fx-7.2", "pc-i440fx-2.0", "pc-i440fx-1.7", "pc-q35-7.2", "pc-q35-2.4", "isapc",
    "microvm",
]  # fmt: skip
#: ``-machine acpi=`` values, checked as QEMU sets them.
OPTION_VALUES = ["acpi=on", "acpi=off", "acpi=auto", "acpi=bogus"]
OPTION_MACHINES = ["pc-i440fx-7.2", "pc-i440fx-2.1", "pc-q35-7.2", "isapc", "microvm"]
#: Memory devices plugged with ``acpi=off`` (and NVDIMMs enabled).
OPTION_DEVICES = ["pc-dimm", "nvdimm", "virtio-mem-pci", "virtio-pmem-pci"]
#: A size refused before the firmware is looked at, on every one of them.
BIOS_SIZES: list[str | None] = [None, "1G", "1G,slots=300,maxmem=8G"]


#: One command line: machine type, ``-m`` value (None: no ``-m``), more arguments.
Job = tuple[str, str | None, list[str]]


def sweep(jobs: Sequence[Job]) -> list[qemu_oracle.Record]:
    return qemu_oracle.probe_all([(BINARY, *job) for job in jobs], crashed=True)


def jobs(names: Sequence[str]) -> dict[str, list[Job]]:
    """The command lines of each file, by file name."""
    large = []
    for size in LARGE:
        extra = [
            "-object", f"memory-backend-ram,id=big,size={size},reserve=off",
            "-machine", "memory-backend=big",
        ]  # fmt: skip
        large += [(m, size, extra) for m in names]
    props = [
        (m, s, ["-machine", f"max-ram-below-4g={v}"])
        for m in PROPERTY_MACHINES
        for v in PROPERTY_VALUES
        for s in PROPERTY_SIZES
    ]
    return {
        "qemu72_sizes.json": [(m, s, []) for m in names for s in SIZES],
        "qemu72_maxmem.json": [(m, s, []) for m in names for s in MAXMEM],
        "qemu72_large.json": large,
        "qemu72_properties.json": props,
        "qemu72_numa.json": [(m, None, extra) for m in names for extra in NUMA],
        "qemu72_firmware.json": [
            (m, s, ["-bios", f]) for m in BIOS_MACHINES for f in BIOS_FILES for s in BIOS_SIZES
        ],
        "qemu72_options.json": [
            *((m, None, ["-machine", v]) for m in OPTION_MACHINES for v in OPTION_VALUES),
            *(
                (m, "1G,slots=2,maxmem=4G", device_without_acpi(d))
                for m in OPTION_MACHINES
                for d in OPTION_DEVICES
            ),
            *((m, None, ["-machine", "nvdimm=on"]) for m in names),
        ],
    }


def device_without_acpi(driver: str) -> list[str]:
    """A 1 GiB memory device of ``driver`` with ``-machine acpi=off,nvdimm=on``."""
    return [
        "-machine", "acpi=off,nvdimm=on",
        "-object", "memory-backend-ram,id=m1,size=1G",
        "-device", f"{driver},id=d1,memdev=m1",
    ]  # fmt: skip


def main(argv: Sequence[str] = ()) -> int:
    files = jobs(qemu_oracle.machine_types(BINARY, MACHINE_PATTERN))
    for name in argv or files:
        qemu_oracle.write_records(HERE / name, sweep(files[name]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
