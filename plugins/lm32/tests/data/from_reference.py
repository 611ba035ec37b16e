#!/usr/bin/env python3
"""Write reference50.json: QEMU 5.0's lm32 boards in the record format of tools/qemu_oracle.py.

No QEMU binary with lm32 is available (the target was removed in 6.1), so the records follow
the reference file's source facts: default size and RAM id, the base address, and the one
rule each board has (RAM must equal the default, after -m is rounded up to 8 KiB).

    python3 plugins/lm32/tests/data/from_reference.py /work/shared/reference/boards/other.json
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "tools"))

import qemu_oracle  # noqa: E402


def main() -> None:
    entries = qemu_oracle.reference_entries(Path(sys.argv[1])).values()
    records = []
    for entry in (e for e in entries if e["family"].startswith("lm32")):
        default = entry["default_ram_size"]
        # One 8 KiB step either side, and a size that rounds up to exactly the default.
        around = [*qemu_oracle.edges(default), f"{(default - 7 * qemu_oracle.KiB) >> 10}K"]
        sizes = [None, "0", *qemu_oracle.COMMON_SIZES, *around]
        records += [qemu_oracle.reference_record(entry, size) for size in sizes]
    qemu_oracle.write_records(HERE / "reference50.json", records)


if __name__ == "__main__":
    main()
