"""Regenerate ``qemu50.json``: the QEMU 5.0 facts for ppc machine types that 7.2 no longer has.

    cd /work/main && python3 plugins/ppc/tests/data/make_qemu50.py

QEMU 7.2 has no ``taihu``, so its truth is the catalogue of 5.0 facts, each reproduced on a
5.0.0 binary built from source (``/work/shared/reference/boards/ppc-mips.json``). This script
turns those facts into records shaped like ``qemu72.json`` for the same sizes: the outcome of
each ``-m`` (the machine's one rule: exactly 128 MiB), the RAM id, and where RAM shows once the
405 SDRAM controller has mapped its banks (two 64 MiB aliases, as in the reference's mtree).
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
    "131064K",
    "131080K",
]
UNITS = {"K": 1 << 10, "M": MiB, "G": 1 << 30}


def parse(size: str) -> int:
    value = int(size[:-1]) * UNITS[size[-1]]
    return -(-value // 8192) * 8192


def taihu_map(ram_id: str, size: int) -> tuple[list[str], list[str]]:
    bank = size // 2
    tree = [
        f"{i * bank:016x}-{(i + 1) * bank - 1:016x} (prio 0, ram): alias {ram_id}-{i} "
        f"@{ram_id} {i * bank:016x}-{(i + 1) * bank - 1:016x}"
        for i in range(2)
    ]
    return [f"{0:016x}-{size - 1:016x} (prio 0, ram): {ram_id}"], tree


def records() -> list[dict[str, Any]]:
    facts = {r["machine"]: r for r in json.loads(REFERENCE.read_text())}["taihu"]
    (rule,) = facts["rules"]
    assert rule["kind"] == "exact"
    out = []
    for size in SIZES:
        ram_size = facts["default_ram_size"] if size is None else parse(size)
        record: dict[str, Any] = {
            "machine": "taihu",
            "size": size,
            "extra": ["-kernel", "<elf>"],
            "binary": "qemu-system-ppc 5.0.0 (reference facts)",
        }
        if ram_size != rule["value"]:
            record |= {"ok": False, "error": rule["message"], "stderr": [rule["message"]]}
        else:
            ram_map, tree = taihu_map(facts["default_ram_id"], ram_size)
            record |= {
                "ok": True,
                "memory-size-summary": {"base-memory": ram_size, "plugged-memory": 0},
                "memdev": [{"id": facts["default_ram_id"], "size": ram_size}],
                "machine-info": {
                    "name": "taihu",
                    "numa-mem-supported": False,
                    "deprecated": False,
                    "default-ram-id": facts["default_ram_id"],
                },
                "ram-map": ram_map,
                "ram-tree": tree,
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
