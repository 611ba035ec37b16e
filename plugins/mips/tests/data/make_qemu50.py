"""Regenerate ``qemu50.json``: the QEMU 5.0 facts for mips machine types that 7.2 no longer has.

    cd /work/main && python3 plugins/mips/tests/data/make_qemu50.py

QEMU 7.2 has no ``mips`` (the r4k board, removed in 5.2), so its truth is the catalogue of 5.0
facts, each reproduced on a 5.0.0 binary built from source
(``/work/shared/reference/boards/ppc-mips.json``). This script turns those facts into records
shaped like ``qemu72.json`` for the same sizes: the outcome of each ``-m`` (the machine's one
rule: at most 256 MiB, QEMU's message with the size in MiB), the RAM id, and RAM at 0.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "tools"))

import qemu_oracle  # noqa: E402

REFERENCE = Path("/work/shared/reference/boards/ppc-mips.json")


def ram_at_0(ram_id: str, size: int) -> list[str]:
    return [qemu_oracle.flat_line(0, size, ram_id)]


#: A record of the reference's facts, with what the 5.0 binary reported besides them.
record = functools.partial(
    qemu_oracle.reference_record,
    binary="qemu-system-mips64el 5.0.0 (reference facts)",
    deprecated=True,
    plugged_memory=True,
    tree=ram_at_0,
)


def main() -> int:
    entry = qemu_oracle.reference_entries(REFERENCE)["mips"]
    sizes = [None, *qemu_oracle.COMMON_SIZES, *qemu_oracle.edges("256M")]
    qemu_oracle.write_records(HERE / "qemu50.json", [record(entry, s) for s in sizes])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
