"""Regenerate ``qemu72.json``: what QEMU 7.2 does with every mips machine type and ``-m`` size.

    cd /work/main && python3 plugins/mips/tests/data/make_oracle.py

Runs Debian's ``qemu-system-mips64el`` (it has every mips board of 7.2) through
``tools/qemu_oracle.py`` for each machine type over the common sizes and the edges of the
machine's own rules. Each machine type is also started with ``-numa node`` to record whether
it takes NUMA options at all. For every accepted size it also records ``ram-tree``: the lines
of ``info mtree`` (system address space) that place main RAM and its aliases. malta and mipssim
are also run on ``qemu-system-mips``, ``-mipsel`` and ``-mips64``, magnum and pica61 on
``qemu-system-mips64``; the script stops if any binary disagrees with ``qemu-system-mips64el``
on what is recorded. ``fulong2e`` (the name fuloong2e had until QEMU 6.0) is probed too, to
record that 7.2 refuses it. The QEMU 5.0-only ``mips`` machine is in ``qemu50.json``
(``make_qemu50.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "tools"))

import qemu_oracle  # noqa: E402

PRIMARY = "qemu-system-mips64el"
SIZES = [None, *qemu_oracle.COMMON_SIZES]
E256 = qemu_oracle.edges("256M")

#: machine type -> (extra sizes, other binaries that have it)
MACHINES: dict[str, tuple[list[str], list[str]]] = {
    "boston": ([*qemu_oracle.edges("1G"), *qemu_oracle.edges("2G"), "3G"], []),
    "fuloong2e": (E256, []),
    "magnum": (E256, ["qemu-system-mips64"]),
    "pica61": (E256, ["qemu-system-mips64"]),
    "malta": (
        [*E256, *qemu_oracle.edges("512M"), *qemu_oracle.edges("2G"), "513M"],
        ["qemu-system-mips", "qemu-system-mipsel", "qemu-system-mips64"],
    ),
    "mipssim": (
        ["508M", "520200K", "520184K", "509M", "512M", "520M"],
        ["qemu-system-mips", "qemu-system-mipsel", "qemu-system-mips64"],
    ),
}
#: The name fuloong2e had until QEMU 6.0, run once to record that 7.2 refuses it.
OLD_NAMES = ["fulong2e"]
#: The zero file in the records' arguments.
ZERO = "<zero-4k.bin>"
#: Extra arguments that get past checks unrelated to RAM: boston refuses to start without
#: -kernel or -bios.
EXTRA: dict[str, list[str]] = {"boston": ["-bios", ZERO]}


def main() -> int:
    with qemu_oracle.zero_files("zero.bin") as scratch:
        zero = str(scratch / "zero.bin")
        jobs: list[qemu_oracle.Job] = []
        for machine, (edges, others) in MACHINES.items():
            extra = [zero if a == ZERO else a for a in EXTRA.get(machine, [])]
            runs = [(machine, size, extra) for size in qemu_oracle.unique([*SIZES, *edges])]
            # Whether the machine type takes -numa at all.
            runs.append((machine, None, [*extra, "-numa", "node"]))
            for binary in (PRIMARY, *others):
                jobs += [(binary, m, size, x) for m, size, x in runs]
        jobs += [(PRIMARY, name, None, []) for name in OLD_NAMES]
        records = qemu_oracle.probe_all(jobs, tree=True, binary_name=True, shown={zero: ZERO})
    return qemu_oracle.write_agreed(HERE / "qemu72.json", records, lambda r: r["binary"] == PRIMARY)


if __name__ == "__main__":
    raise SystemExit(main())
