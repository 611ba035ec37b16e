"""Regenerate ``qemu50.json``: the QEMU 5.0 facts for mips machine types that 7.2 no longer has.

    cd /work/main && python3 plugins/mips/tests/data/make_qemu50.py

QEMU 7.2 has no ``mips`` (the r4k board, removed in 5.2), so its truth is the catalogue of 5.0
facts, each reproduced on a 5.0.0 binary built from source
(``/work/shared/reference/boards/ppc-mips.json``). This script turns those facts into records
shaped like ``qemu72.json`` for the same sizes: the outcome of each ``-m`` (the machine's one
rule: at most 256 MiB, QEMU's message with the size in MiB), the RAM id, and RAM at 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REFERENCE = Path("/work/shared/reference/boards/ppc-mips.json")
MiB = 1 << 20
SIZES = [
    None,
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
    "262136K",
    "262152K",
]
UNITS = {"K": 1 << 10, "M": MiB, "G": 1 << 30}


def parse(size: str) -> int:
    value = int(size[:-1]) * UNITS[size[-1]]
    return -(-value // 8192) * 8192


def records() -> list[dict[str, Any]]:
    facts = {r["machine"]: r for r in json.loads(REFERENCE.read_text())}["mips"]
    (rule,) = facts["rules"]
    assert rule["kind"] == "max"
    ram_id = facts["default_ram_id"]
    out = []
    for size in SIZES:
        ram_size = facts["default_ram_size"] if size is None else parse(size)
        record: dict[str, Any] = {
            "machine": "mips",
            "size": size,
            "extra": [],
            "binary": "qemu-system-mips64el 5.0.0 (reference facts)",
        }
        if ram_size > rule["value"]:
            message = rule["message"].format(ram_size_div_MiB=ram_size // MiB)
            record |= {"ok": False, "error": message, "stderr": [message]}
        else:
            record |= {
                "ok": True,
                "memory-size-summary": {"base-memory": ram_size, "plugged-memory": 0},
                "memdev": [{"id": ram_id, "size": ram_size}],
                "machine-info": {
                    "name": "mips",
                    "numa-mem-supported": False,
                    "deprecated": True,
                    "default-ram-id": ram_id,
                },
                "ram-map": [f"{0:016x}-{ram_size - 1:016x} (prio 0, ram): {ram_id}"],
                "ram-tree": [f"{0:016x}-{ram_size - 1:016x} (prio 0, ram): {ram_id}"],
                "warnings": [],
            }
        out.append(record)
    return out


def main() -> int:
    out = HERE / "qemu50.json"
    data = records()
    out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"{len(data)} records -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
