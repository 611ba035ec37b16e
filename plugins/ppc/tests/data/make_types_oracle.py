"""Regenerate ``qemu72_types.json``: QEMU 7.2 on the ppc machine types of ``MACHINES``.

    python3 plugins/ppc/tests/data/make_types_oracle.py

Runs Debian's ``qemu-system-ppc64`` through ``tools/qemu_oracle.py`` (``record_machine_types``):
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
    "40p": ["32M", "96M", "100M", "2047M", "2G"],
    "pegasos2": ["2047M", "2097160K", "3584M"],
}
BOOT: dict[str, list[str]] = {}
FILES: dict[str, int] = {}

if __name__ == "__main__":
    raise SystemExit(
        qemu_oracle.record_machine_types(
            HERE / "qemu72_types.json", "qemu-system-ppc64", MACHINES, boot=BOOT, files=FILES
        )
    )
