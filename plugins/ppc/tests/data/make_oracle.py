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

import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "tools"))

import qemu_oracle  # noqa: E402

PPC = "qemu-system-ppc"
PPC64 = "qemu-system-ppc64"

SIZES = [None, *qemu_oracle.COMMON_SIZES]

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
    # ... and every pseries-X.Y the binary lists.
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


#: Machine types also run without the arguments of ``EXTRA``, at these sizes: the map at reset
#: (ref405ep maps no SDRAM until firmware enables it).
RESET_MAP: dict[str, list[str | None]] = {"ref405ep": [None, "0", "64M", "128M", "256M", "512M"]}

#: The tiny ELF in the records' arguments.
ELF = "<tiny-ppc.elf>"
#: Extra arguments that get past checks unrelated to RAM; ``ELF`` is a 4-byte PPC ELF.
EXTRA: dict[str, list[str]] = {
    # e500 refuses to start without a loadable firmware payload (u-boot.e500 is not shipped).
    "ppce500": ["-bios", ELF],
    "mpc8544ds": ["-bios", ELF],
    # The 405 SDRAM controller maps RAM at reset only when booting a kernel directly; without
    # -kernel the banks stay unmapped until firmware programs the controller.
    "ref405ep": ["-kernel", ELF],
    # These versions ask for hardware transactional memory, which TCG refuses.
    **{f"pseries-{v}": ["-machine", "cap-htm=off"] for v in ("2.8", "2.9", "2.10", "2.11")},
}


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


def main() -> int:
    pseries = qemu_oracle.machine_types(PPC64, r"pseries-.*")
    machines = {**MACHINES, **{name: (PPC64, PSERIES) for name in pseries}}
    with qemu_oracle.zero_files() as scratch:
        elf = scratch / "tiny-ppc.elf"
        elf.write_bytes(tiny_ppc_elf())
        jobs: list[qemu_oracle.Job] = []
        for machine, (binary, edges) in machines.items():
            extra = [str(elf) if a == ELF else a for a in EXTRA.get(machine, [])]
            runs = [(machine, size, extra) for size in qemu_oracle.unique([*SIZES, *edges])]
            if machine != "pseries":
                # Whether the machine type takes -numa at all.
                runs.append((machine, None, [*extra, "-numa", "node"]))
            jobs += [(binary, m, size, x) for m, size, x in runs]
            if binary == PPC:
                jobs += [(PPC64, m, size, x) for m, size, x in runs]
        for machine, sizes in RESET_MAP.items():
            binary = machines[machine][0]
            jobs += [(b, machine, size, []) for b in {binary, PPC64} for size in sizes]
        for machine, nodes in NUMA:
            jobs.append((PPC64, machine, f"{sum(nodes)}M", numa_args(machine, nodes)))
        records = qemu_oracle.probe_all(jobs, tree=True, binary_name=True, shown={str(elf): ELF})
    for record, (machine, nodes) in zip(records[-len(NUMA) :], NUMA, strict=True):
        assert record["machine"] == machine
        record["numa-nodes"] = [mib * qemu_oracle.MiB for mib in nodes]
    return qemu_oracle.write_agreed(
        HERE / "qemu72.json", records, lambda r: r["binary"] == machines[r["machine"]][0]
    )


if __name__ == "__main__":
    raise SystemExit(main())
