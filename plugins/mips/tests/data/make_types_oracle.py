"""Regenerate ``qemu72_types.json``: QEMU 7.2 on the mips machine types of ``MACHINES``.

    python3 plugins/mips/tests/data/make_types_oracle.py

Runs Debian's ``qemu-system-mips64el`` through ``tools/qemu_oracle.py`` (``record_machine_types``):
each machine type without ``-m``, at the common sizes and at its own limits, and once with
``-machine memory-backend=``. loongson3-virt only starts with firmware: it gets 4 KiB of zeros.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "tools"))

import qemu_oracle  # noqa: E402

#: machine type -> more -m values
MACHINES: dict[str, list[str]] = {"loongson3-virt": ["240M", "256M", "257M", "3584M", "8G", "16G"]}
BOOT: dict[str, list[str]] = {"loongson3-virt": ["-bios", "zero.bin"]}
FILES: dict[str, int] = {"zero.bin": 4096}

if __name__ == "__main__":
    raise SystemExit(
        qemu_oracle.record_machine_types(
            HERE / "qemu72_types.json", "qemu-system-mips64el", MACHINES, boot=BOOT, files=FILES
        )
    )
