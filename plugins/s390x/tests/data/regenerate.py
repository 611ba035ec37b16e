"""Rebuild the QEMU 7.2 oracle file of the s390x plugin's tests.

Run from the repository root (needs Debian's qemu-system-s390x 7.2)::

    python plugins/s390x/tests/data/regenerate.py

It writes ``qemu72.json`` next to itself: ``tools/qemu_oracle.py``'s records for every
``s390-ccw-virtio-*`` machine type (and the unversioned alias) with no ``-m``, with each
``-m`` value of :data:`SIZES`, and with each argument list of :data:`EXTRAS`. QEMU prints
the storage-increment notice of the 4.2 and older types on stdout, so each record also gets:

* ``stdout``: the non-QMP lines QEMU printed on stdout (the notice, if any);
* ``crashed``: true when QEMU died from a signal (it then printed no error at all);
  such a record cannot be compared with machinectl.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "tools"))

import qemu_oracle  # noqa: E402

BINARY = "qemu-system-s390x"
MACHINE_PATTERN = r"s390-ccw-virtio(-[0-9.]+)?"

SIZES = [
    None, "0", "8K", "512K", "1M", "1032K", "2M", "4M", "8M", "16M", "32M", "64M", "100M",
    "102408K", "128M", "256M", "512M", "768M", "1G",
    # storage increments of the 4.2 and older types: 1 MiB up to 1020 of them, then 2, 4, 8 MiB
    "1020M", "1044488K", "1021M", "1022M", "1536M", "2G", "2040M", "2041M", "2042M", "2049M",
    "3G", "3584M", "4080M", "4081M", "4084M", "4G", "4097M", "8160M", "8161M", "8G",
    # maxmem and slots: the fixup comes before the generic checks
    "1G,slots=2,maxmem=4G", "1021M,slots=1,maxmem=1021M", "1G,slots=2,maxmem=1G",
    "1032K,maxmem=2M", "1G,maxmem=1073741825",
]  # fmt: skip

#: Other arguments, each tried without -m.
EXTRAS = [["-numa", "node"]]


def main() -> int:
    names = qemu_oracle.machine_types(BINARY, MACHINE_PATTERN)
    jobs: list[qemu_oracle.Job] = [(BINARY, m, s, []) for m in names for s in SIZES]
    jobs += [(BINARY, m, None, extra) for m in names for extra in EXTRAS]
    records = qemu_oracle.probe_all(jobs, stdout=True, crashed=True)
    qemu_oracle.write_records(HERE / "qemu72.json", records)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
