#!/usr/bin/env python3
"""Record QEMU 7.2's memory map of ``microchip-icicle-kit``: ``icicle_kit_qemu72.json``.

The board maps its DDR through two levels of aliases: ``ram_low`` and ``ram_high`` are aliases
of main RAM, ``ram_low.alias`` and ``ram_high.alias`` aliases of those. For each ``-m`` value
the record keeps QEMU's ``info mtree`` and ``info mtree -f`` as it printed them.

    python3 tests/data/record_icicle.py     # needs qemu-system-riscv64 7.2

Not used by the tests themselves.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

BINARY = "qemu-system-riscv64"
OUT = Path(__file__).with_name("icicle_kit_qemu72.json")
SIZES = [None, "2G", "3G"]
QMP = "".join(
    json.dumps(command) + "\n"
    for command in (
        {"execute": "qmp_capabilities"},
        {"execute": "human-monitor-command", "arguments": {"command-line": "info mtree"}},
        {"execute": "human-monitor-command", "arguments": {"command-line": "info mtree -f"}},
        {"execute": "quit"},
    )
)


def record(size: str | None) -> dict[str, object]:
    argv = ["-M", "microchip-icicle-kit", *(["-m", size] if size else [])]
    # -bios none: the board otherwise needs its firmware file (hss.bin) to start.
    qemu = [BINARY, *argv, "-bios", "none", "-display", "none", "-S", "-nodefaults"]
    proc = subprocess.run(
        [*qemu, "-qmp", "stdio"], input=QMP, capture_output=True, text=True, timeout=60, check=True
    )
    replies = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    # The monitor ends its lines with CRLF; the records keep plain newlines.
    texts = [r["return"].replace("\r\n", "\n") for r in replies if isinstance(r.get("return"), str)]
    return {"size": size, "mtree": texts[0], "mtree-flat": texts[1]}


def main() -> None:
    OUT.write_text(json.dumps([record(size) for size in SIZES], indent=1) + "\n")


if __name__ == "__main__":
    main()
