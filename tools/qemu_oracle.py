#!/usr/bin/env python3
"""Ask a real QEMU binary what a command line does to RAM, and record the answers as JSON.

The board plugins' tests compare machinectl against these records. Each probe starts
``qemu-system-X -M NAME [-m SIZE] [EXTRA...] -display none -S -nodefaults -qmp stdio``, asks
for ``query-memory-size-summary``, ``query-memdev`` and ``info mtree -f`` and quits; when
QEMU refuses the command line, the first line of its error (without the program name) is kept.

    python tools/qemu_oracle.py --binary qemu-system-arm --machine raspi3b --machine virt \
        --size 1M --size 1G --size 2G --out plugins/arm/tests/data/qemu72.json

Needs QEMU (Debian's qemu-system-* 7.2); not used by the tests themselves.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

QMP_SCRIPT = "\n".join(
    json.dumps(cmd)
    for cmd in (
        {"execute": "qmp_capabilities"},
        {"execute": "query-memory-size-summary"},
        {"execute": "query-memdev"},
        {"execute": "human-monitor-command", "arguments": {"command-line": "info mtree -f"}},
        {"execute": "query-machines"},
        {"execute": "quit"},
    )
)


def probe(
    binary: str, machine: str, size: str | None, extra: list[str], timeout: float = 60
) -> dict[str, Any]:
    """Run one command line; return its outcome as plain data."""
    argv = [binary, "-M", machine]
    if size is not None:
        argv += ["-m", size]
    argv += [*extra, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"]
    proc = subprocess.run(
        argv, input=QMP_SCRIPT + "\n", capture_output=True, text=True, timeout=timeout, check=False
    )
    record: dict[str, Any] = {"machine": machine, "size": size, "extra": extra}
    replies = []
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "return" in msg:
            replies.append(msg["return"])
    errors = [_strip_program(line, binary) for line in proc.stderr.splitlines() if line.strip()]
    if len(replies) < 5:
        record["ok"] = False
        record["error"] = next(
            (e for e in errors if "warning:" not in e), errors[0] if errors else ""
        )
        record["stderr"] = errors
        return record
    _, summary, memdev, mtree, machines = replies[:5]
    record["ok"] = True
    record["warnings"] = errors
    record["memory-size-summary"] = summary
    record["memdev"] = sorted(memdev, key=lambda d: d.get("id", ""))
    record["ram-map"] = ram_map(mtree)
    info = next((m for m in machines if m["name"] == machine or m.get("alias") == machine), None)
    if info is not None:
        record["machine-info"] = info
    return record


def ram_map(mtree_flat: str) -> list[str]:
    """The RAM lines of the flat view of the system address space (AS "memory").

    Each is ``START-END (prio P, ram): NAME[ @OFFSET]``: where guest RAM is visible, and which
    part of which region shows there. Device windows are left out.
    """
    for section in mtree_flat.replace("\r\n", "\n").split("\n\n"):
        lines = section.strip().splitlines()
        if any(line.strip() == 'AS "memory", root: system' for line in lines):
            return [line.strip() for line in lines if ", ram)" in line or ", rom)" in line]
    return []


def _strip_program(line: str, binary: str) -> str:
    prefix = Path(binary).name + ": "
    return line[len(prefix) :] if line.startswith(prefix) else line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--machine", action="append", required=True)
    parser.add_argument("--size", action="append", default=[], help="-m value; 'none' omits -m")
    parser.add_argument("--extra", default="", help="more QEMU arguments, space-separated")
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    sizes: list[str | None] = [None if s == "none" else s for s in (args.size or ["none"])]
    extra = args.extra.split()
    jobs = [(m, s) for m in args.machine for s in sizes]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        records = list(pool.map(lambda job: probe(args.binary, job[0], job[1], extra), jobs))
    text = json.dumps(records, indent=1, sort_keys=True) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
