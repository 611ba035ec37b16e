"""Regenerate ``qemu72.json``: what QEMU 7.2 does with every mips machine type and ``-m`` size.

    cd /work/main && python3 plugins/mips/tests/data/make_oracle.py

Runs Debian's ``qemu-system-mips64el`` (it has every mips board of 7.2) through
``tools/qemu_oracle.py`` for each machine type over the common sizes and the edges of the
machine's own rules. Each machine type is also started
with ``-numa node`` to record whether it takes NUMA options at all. For every accepted size it
also records ``ram-tree``: the lines of
``info mtree`` (system address space) that place main RAM and its aliases. malta and mipssim
are also run on ``qemu-system-mips``, ``-mipsel`` and ``-mips64``, magnum and pica61 on
``qemu-system-mips64``; the script stops if any binary disagrees with ``qemu-system-mips64el``
on what is recorded. ``fulong2e`` (the name fuloong2e had until QEMU 6.0) is probed too, to
record that 7.2 refuses it. The QEMU 5.0-only ``mips`` machine is in ``qemu50.json``
(``make_qemu50.py``).
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT / "tools"))

import qemu_oracle  # noqa: E402

PRIMARY = "qemu-system-mips64el"

COMMON = [
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
]

#: machine type -> (extra sizes, other binaries that have it)
MACHINES: dict[str, tuple[list[str], list[str]]] = {
    "boston": (["1048568K", "1048584K", "2097144K", "2097160K", "3G"], []),
    "fuloong2e": (["262136K", "262152K"], []),
    "magnum": (["262136K", "262152K"], ["qemu-system-mips64"]),
    "pica61": (["262136K", "262152K"], ["qemu-system-mips64"]),
    "malta": (
        ["262136K", "262152K", "524280K", "524296K", "2097144K", "2097160K", "513M"],
        ["qemu-system-mips", "qemu-system-mipsel", "qemu-system-mips64"],
    ),
    "mipssim": (
        ["508M", "520200K", "520184K", "509M", "512M", "520M"],
        ["qemu-system-mips", "qemu-system-mipsel", "qemu-system-mips64"],
    ),
    "fulong2e": ([], []),
}

#: Extra arguments that get past checks unrelated to RAM; ``{bios}`` is a 4 KiB zero file.
EXTRA: dict[str, list[str]] = {
    # boston refuses to start without -kernel or -bios.
    "boston": ["-bios", "{bios}"],
}

TREE_SCRIPT = "\n".join(
    json.dumps(cmd)
    for cmd in (
        {"execute": "qmp_capabilities"},
        {"execute": "human-monitor-command", "arguments": {"command-line": "info mtree"}},
        {"execute": "quit"},
    )
)


def ram_tree(
    binary: str, machine: str, size: str | None, extra: list[str], ram_id: str
) -> list[str]:
    """Lines of ``info mtree`` (system address space) that place main RAM or its aliases."""
    argv = [
        binary,
        "-M",
        machine,
        *(["-m", size] if size else []),
        *extra,
        "-display",
        "none",
        "-S",
        "-nodefaults",
        "-qmp",
        "stdio",
    ]
    proc = subprocess.run(
        argv, input=TREE_SCRIPT + "\n", capture_output=True, text=True, timeout=60, check=False
    )
    text = ""
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(msg.get("return"), str):
            text = msg["return"].replace("\r\n", "\n")
    section = text.split("address-space: memory\n", 1)[1].split("\n\n", 1)[0]
    wanted = re.compile(rf"(: {re.escape(ram_id)}$| @{re.escape(ram_id)} |: device-memory$)")
    return [line.strip() for line in section.splitlines() if wanted.search(line.strip())]


def run(machine: str, binary: str, size: str | None, extra: list[str]) -> dict[str, Any]:
    record = qemu_oracle.probe(binary, machine, size, extra)
    if record["ok"]:
        ram_id = record["memdev"][0]["id"]
        record["ram-tree"] = ram_tree(binary, machine, size, extra, ram_id)
    record["binary"] = binary
    return record


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    keep = ("ok", "error", "memory-size-summary", "ram-map", "ram-tree")
    out = {k: record.get(k) for k in keep}
    if not record["ok"]:
        out["stderr"] = record["stderr"]
    info = record.get("machine-info", {})
    out["default-ram-id"] = info.get("default-ram-id")
    return out


def _key(record: dict[str, Any]) -> tuple[str, str | None, tuple[str, ...]]:
    return record["machine"], record["size"], tuple(record["extra"])


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        bios = Path(tmp) / "zero.bin"
        bios.write_bytes(bytes(4096))
        jobs = []
        for machine, (edges, others) in MACHINES.items():
            extra = [a.replace("{bios}", str(bios)) for a in EXTRA.get(machine, [])]
            sizes = COMMON + [s for s in edges if s not in COMMON]
            if machine == "fulong2e":
                sizes = [None]
            runs = [(machine, size, extra) for size in sizes]
            if machine != "fulong2e":
                # Whether the machine type takes -numa at all.
                runs.append((machine, None, [*extra, "-numa", "node"]))
            for binary in (PRIMARY, *others):
                jobs += [(m, binary, size, x) for m, size, x in runs]
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            records = list(pool.map(lambda job: run(*job), jobs))
        for record in records:
            record["extra"] = [a.replace(str(bios), "<zero-4k.bin>") for a in record["extra"]]
    primary = [r for r in records if r["binary"] == PRIMARY]
    reference = {_key(r): r for r in primary}
    mismatches = 0
    for record in records:
        if record["binary"] == PRIMARY:
            continue
        if comparable(record) != comparable(reference[_key(record)]):
            mismatches += 1
            print(
                f"{record['machine']} -m {record['size']}: {record['binary']} differs",
                file=sys.stderr,
            )
    if mismatches:
        return 1
    out = HERE / "qemu72.json"
    out.write_text(json.dumps(primary, indent=1, sort_keys=True) + "\n")
    print(f"{len(primary)} records -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
