"""Regenerate ``qemu72_types.json``: QEMU 7.2 on the m68k machine types of ``MACHINES``.

    python3 plugins/m68k/tests/data/make_types_oracle.py

Runs Debian's ``qemu-system-m68k`` through ``tools/qemu_oracle.py`` (``record_machine_types``):
each machine type without ``-m``, at the common sizes and at its own limits, and once with
``-machine memory-backend=``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "tools"))

import qemu_oracle  # noqa: E402

#: machine type -> more -m values
MACHINES: dict[str, list[str]] = {
    m: ["3145720K", "3145736K", "3584M", "3G"]
    for m in ("virt-6.0", "virt-6.1", "virt-6.2", "virt-7.0", "virt-7.1", "virt-7.2")
}
BOOT: dict[str, list[str]] = {}
FILES: dict[str, int] = {}

if __name__ == "__main__":
    raise SystemExit(
        qemu_oracle.record_machine_types(
            HERE / "qemu72_types.json", "qemu-system-m68k", MACHINES, boot=BOOT, files=FILES
        )
    )
