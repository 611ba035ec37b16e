#!/usr/bin/env python3
"""Record the empty-slot lines of QEMU 7.2's sun4m flat view (qemu72-empty-slot.json).

tools/qemu_oracle.py keeps only the RAM and ROM lines of ``info mtree -f``; the empty slot that
fills absent RAM on the sun4m models without ECC is an I/O region, so it is recorded here.

    python3 plugins/sparc/tests/data/empty_slot.py
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

MODELS = [
    "SS-5",
    "Voyager",
    "LX",
    "SS-4",
    "SPARCClassic",
    "SPARCbook",
    "SS-10",
    "SS-600MP",
    "SS-20",
]
SIZES = ["1M", "64M", "100M", "128M", "262136K", "256M"]
QMP = "\n".join(
    json.dumps(command)
    for command in (
        {"execute": "qmp_capabilities"},
        {"execute": "human-monitor-command", "arguments": {"command-line": "info mtree -f"}},
        {"execute": "quit"},
    )
)


def empty_slots(machine: str, size: str) -> list[str]:
    argv = [
        "qemu-system-sparc",
        "-M",
        machine,
        "-m",
        size,
        "-display",
        "none",
        "-S",
        "-nodefaults",
        "-qmp",
        "stdio",
    ]
    out = subprocess.run(argv, input=QMP + "\n", capture_output=True, text=True, check=True)
    text = next(
        reply["return"]
        for reply in map(json.loads, out.stdout.splitlines())
        if isinstance(reply.get("return"), str) and reply["return"]
    )
    section = next(s for s in text.split("\n\n") if 'AS "memory", root: system' in s)
    return [line.strip() for line in section.splitlines() if line.endswith("): empty-slot")]


def main() -> None:
    records = [
        {"machine": machine, "size": size, "empty-slot": empty_slots(machine, size)}
        for machine in MODELS
        for size in SIZES
    ]
    out = Path(__file__).with_name("qemu72-empty-slot.json")
    out.write_text(json.dumps(records, indent=1) + "\n")


if __name__ == "__main__":
    main()
