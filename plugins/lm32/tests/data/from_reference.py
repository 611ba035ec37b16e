#!/usr/bin/env python3
"""Write reference50.json: QEMU 5.0's lm32 boards in the record format of tools/qemu_oracle.py.

No QEMU binary with lm32 is available (the target was removed in 6.1), so the records follow
the reference file's source facts: default size and RAM id, the base address, and the one
rule each board has (RAM must equal the default, after -m is rounded up to 8 KiB).

    python3 plugins/lm32/tests/data/from_reference.py /work/shared/reference/boards/other.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

SIZES = [
    None,
    "0",
    "1M",
    "2M",
    "4M",
    "8M",
    "16M",
    "32M",
    "64M",
    "100M",
    "128M",
    "256M",
    "512M",
    "768M",
    "1G",
    "1536M",
    "2G",
    "3G",
    "3584M",
    "4G",
    "8G",
]
UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def edges(size: int) -> list[str]:
    """One 8 KiB step below and above, and a size that rounds up to exactly ``size``."""
    kib = size >> 10
    return [f"{kib - 8}K", f"{kib + 8}K", f"{kib - 7}K"]


def ram_size(text: str | None, default: int) -> int:
    if text is None:
        return default
    match = re.fullmatch(r"(\d+)([KMG])", text + "M" if text.isdigit() else text)
    if match is None:
        raise ValueError(f"unexpected size {text!r}")
    size = int(match[1]) * UNITS[match[2]]
    return default if size == 0 else (size + 8191) // 8192 * 8192


def record(board: dict[str, Any], text: str | None) -> dict[str, Any]:
    default = board["default_ram_size"]
    (rule,) = board["rules"]
    size = ram_size(text, default)
    out: dict[str, Any] = {"machine": board["machine"], "size": text, "extra": []}
    if size != rule["value"]:
        return out | {"ok": False, "error": rule["message"], "stderr": [rule["message"]]}
    base = int(board["ram_base"], 16)
    ram_id = board["default_ram_id"]
    return out | {
        "ok": True,
        "warnings": [],
        "memory-size-summary": {"base-memory": size},
        "memdev": [{"id": ram_id, "size": size}],
        "ram-map": [f"{base:016x}-{base + size - 1:016x} (prio 0, ram): {ram_id}"],
        "machine-info": {
            "name": board["machine"],
            "default-ram-id": ram_id,
            "numa-mem-supported": False,
        },
    }


def main() -> None:
    boards = [
        b for b in json.loads(Path(sys.argv[1]).read_text()) if b["family"].startswith("lm32")
    ]
    records = [
        record(board, text) for board in boards for text in SIZES + edges(board["default_ram_size"])
    ]
    out = Path(__file__).with_name("reference50.json")
    out.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
