"""Regenerate ``qemu50.json``: the QEMU 5.0 facts for ppc machine types that 7.2 no longer has.

    cd /work/main && python3 plugins/ppc/tests/data/make_qemu50.py

QEMU 7.2 has no ``taihu``, so its truth is the catalogue of 5.0 facts, each reproduced on a
5.0.0 binary built from source (``/work/shared/reference/boards/ppc-mips.json``). This script
turns those facts into records shaped like ``qemu72.json`` for the same sizes: the outcome of
each ``-m`` (the machine's one rule: exactly 128 MiB), the RAM id, and where RAM shows once the
405 SDRAM controller has mapped its banks (two 64 MiB aliases, as in the reference's mtree).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "tools"))

import qemu_oracle  # noqa: E402

REFERENCE = Path("/work/shared/reference/boards/ppc-mips.json")


def banks(ram_id: str, size: int) -> list[str]:
    """The two SDRAM bank aliases of ``info mtree``, each half of RAM."""
    bank = size // 2
    return [
        f"{i * bank:016x}-{(i + 1) * bank - 1:016x} (prio 0, ram): alias {ram_id}-{i} "
        f"@{ram_id} {i * bank:016x}-{(i + 1) * bank - 1:016x}"
        for i in range(2)
    ]


#: A record of the reference's facts, with what the 5.0 binary reported besides them (it
#: booted with -kernel).
record = functools.partial(
    qemu_oracle.reference_record,
    extra=["-kernel", "<elf>"],
    binary="qemu-system-ppc 5.0.0 (reference facts)",
    deprecated=False,
    plugged_memory=True,
    tree=banks,
)


def main() -> int:
    entry = qemu_oracle.reference_entries(REFERENCE)["taihu"]
    sizes = [None, *qemu_oracle.COMMON_SIZES, *qemu_oracle.edges("128M")]
    qemu_oracle.write_records(HERE / "qemu50.json", [record(entry, s) for s in sizes])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
