"""Regenerate ``qemu72.json``: what QEMU 7.2 does with every ppc machine type and ``-m`` size.

    cd /work/main && python3 plugins/ppc/tests/data/make_oracle.py

Runs Debian's ``qemu-system-ppc`` (32-bit boards) and ``qemu-system-ppc64`` (powernv, pseries)
through ``tools/qemu_oracle.py`` for each machine type over the common sizes and the edges of
the machine's own rules. Each machine type is also started
with ``-numa node`` to record whether it takes NUMA options at all, and a few pseries
versions with NUMA nodes of given sizes (``numa-nodes``). For every accepted size it
also records ``ram-tree``: the lines of
``info mtree`` (system address space) that place main RAM, its aliases and the hotplug area.
The 32-bit boards are also run on ``qemu-system-ppc64``; the script stops if the two binaries
disagree on anything recorded. ``qemu50.json`` (taihu, from the QEMU 5.0 reference facts) is
written by ``make_qemu50.py``.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT / "tools"))

import qemu_oracle  # noqa: E402

MiB = 1 << 20
PPC = "qemu-system-ppc"
PPC64 = "qemu-system-ppc64"

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

E500 = ["65528K", "65544K", "96M", "192M", "3136M", "3145736K"]
PSERIES = [
    "127M",
    "131064K",
    "131080K",
    "200M",
    "262136K",
    "262152K",
    "300M",
    "384M",
    "1G,maxmem=4G",
    "1280M,maxmem=3G",
    "1G,maxmem=4100M",
    "1G,slots=32,maxmem=4G",
    "1G,slots=33,maxmem=4G",
    "300M,maxmem=1G",
    "300M,slots=33,maxmem=1G",
    "100M,slots=33,maxmem=4100M",
    "512M,maxmem=512M",
    "1536M,maxmem=8G",
]
SDRAM = [
    "6M",
    "12M",
    "120M",
    "124M",
    "248M",
    "300M",
    "384M",
    "1032M",
    "1048568K",
    "1048584K",
    "4100K",
    "8K",
]

#: machine type -> (binary, extra sizes)
MACHINES: dict[str, tuple[str, list[str]]] = {
    "ppce500": (PPC, E500),
    "mpc8544ds": (PPC, E500),
    "mac99": (PPC, ["2097160K", "2097144K"]),
    "g3beige": (PPC, ["2047M", "2096136K", "2096120K", "2049M"]),
    "powernv8": (PPC64, ["1048568K", "1048584K", "1792M"]),
    "powernv9": (PPC64, ["1048568K", "1048584K", "1792M"]),
    "powernv10": (PPC64, ["1048568K", "1048584K", "1792M"]),
    "ref405ep": (PPC, [*SDRAM, "520M", "524296K"]),
    "bamboo": (PPC, SDRAM),
    "sam460ex": (PPC, ["65528K", "65544K", "96M", "2097160K", "2097144K", "48M"]),
    "virtex-ml507": (PPC, ["2072M", "2121736K", "4032M"]),
    "pseries": (PPC64, ["256M"]),
    # ... and every pseries-X.Y the binary lists (see machine_types()).
}

#: pseries with NUMA nodes: machine type and node sizes in MiB (0: a node without memory).
#: Up to pseries-5.0 the nodes use the legacy ``mem=``, later ones memory backends.
NUMA = [
    ("pseries-7.2", [768, 256]),
    ("pseries-7.2", [640, 384]),
    ("pseries-7.2", [64, 960]),
    ("pseries-7.2", [0, 1024]),
    ("pseries-7.2", [200, 824]),
    ("pseries-5.0", [300, 724]),
    ("pseries-5.0", [512, 512]),
    ("pseries-2.1", [100, 924]),
    ("pseries-2.1", [300, 724]),
]
LEGACY_NUMA = ("pseries-5.0", "pseries-2.1")


def numa_args(machine: str, nodes: list[int]) -> list[str]:
    args: list[str] = []
    for i, mib in enumerate(nodes):
        if machine in LEGACY_NUMA:
            args += ["-numa", f"node,mem={mib}M"]
        elif mib:
            args += ["-object", f"memory-backend-ram,id=m{i},size={mib}M"]
            args += ["-numa", f"node,memdev=m{i}"]
        else:
            args += ["-numa", "node"]
    return args


#: Extra arguments that get past checks unrelated to RAM; ``{elf}`` is a 4-byte PPC ELF.
EXTRA: dict[str, list[str]] = {
    # e500 refuses to start without a loadable firmware payload (u-boot.e500 is not shipped).
    "ppce500": ["-bios", "{elf}"],
    "mpc8544ds": ["-bios", "{elf}"],
    # The 405 SDRAM controller maps RAM at reset only when booting a kernel directly; without
    # -kernel the banks stay unmapped until firmware programs the controller.
    "ref405ep": ["-kernel", "{elf}"],
    # These versions ask for hardware transactional memory, which TCG refuses.
    **{f"pseries-{v}": ["-machine", "cap-htm=off"] for v in ("2.8", "2.9", "2.10", "2.11")},
}


def pseries_versions() -> list[str]:
    """Every versioned pseries machine type ``qemu-system-ppc64 -M help`` lists."""
    listing = subprocess.run(
        [PPC64, "-M", "help"], capture_output=True, text=True, check=True
    ).stdout
    return [line.split()[0] for line in listing.splitlines() if line.startswith("pseries-")]


def tiny_ppc_elf() -> bytes:
    """A big-endian ELF32 PowerPC executable with one 4-byte segment at 0 (``b .``)."""
    code = b"\x48\x00\x00\x00"
    ehsize, phsize = 52, 32
    ident = b"\x7fELF" + bytes([1, 2, 1, 0]) + bytes(8)
    header = ident + struct.pack(
        ">HHIIIIIHHHHHH", 2, 20, 1, 0, ehsize, 0, 0, ehsize, phsize, 1, 0, 0, 0
    )
    segment = struct.pack(">IIIIIIII", 1, ehsize + phsize, 0, 0, 4, 4, 5, 4)
    return header + segment + code


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
    """Lines of ``info mtree`` (system address space) that place main RAM or device memory."""
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
        elf = Path(tmp) / "tiny-ppc.elf"
        elf.write_bytes(tiny_ppc_elf())
        jobs = []
        machines = {**MACHINES, **{name: (PPC64, PSERIES) for name in pseries_versions()}}
        for machine, (binary, edges) in machines.items():
            extra = [a.replace("{elf}", str(elf)) for a in EXTRA.get(machine, [])]
            sizes = COMMON + [s for s in edges if s not in COMMON]
            runs = [(machine, binary, size, extra) for size in sizes]
            if machine != "pseries":
                # Whether the machine type takes -numa at all.
                runs.append((machine, binary, None, [*extra, "-numa", "node"]))
            jobs += runs
            if binary == PPC:
                jobs += [(m, PPC64, size, x) for m, _, size, x in runs]
        for machine, nodes in NUMA:
            jobs.append((machine, PPC64, f"{sum(nodes)}M", numa_args(machine, nodes)))
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            records = list(pool.map(lambda job: run(*job), jobs))
        for record, (machine, nodes) in zip(records[-len(NUMA) :], NUMA, strict=True):
            assert record["machine"] == machine
            record["numa-nodes"] = [mib * MiB for mib in nodes]
        for record in records:
            record["extra"] = [a.replace(str(elf), "<tiny-ppc.elf>") for a in record["extra"]]
    primary = [r for r in records if r["binary"] == machines[r["machine"]][0]]
    cross = {_key(r): r for r in records if r["binary"] != machines[r["machine"]][0]}
    mismatches = 0
    for record in primary:
        other = cross.get(_key(record))
        if other is not None and comparable(other) != comparable(record):
            mismatches += 1
            print(
                f"{record['machine']} -m {record['size']}: {PPC} and {PPC64} differ",
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
