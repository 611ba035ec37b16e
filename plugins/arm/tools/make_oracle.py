#!/usr/bin/env python3
"""Record what QEMU 7.2 does with RAM on every arm machine type, for the plugin's tests.

    uv run --no-sync python plugins/arm/tools/make_oracle.py \
        --out plugins/arm/tests/data/qemu72.json

For each machine type the plugin declares and QEMU still has, ``qemu-system-arm`` (or
``qemu-system-aarch64`` for the 64-bit-only boards) is run through ``tools/qemu_oracle.py``
without ``-m`` and with a fixed list of sizes plus the edges of every rule of the board's
record (the limit, one 8 KiB step below and above). Sizes above what the host can allocate
are given through a sparse ``memory-backend-file`` (``share=on``) instead. A NUMA probe
(``-numa node``) records whether the machine type takes ``-numa`` at all; where it does,
legacy ``mem=`` nodes and ``memdev=`` nodes are tried too. A tree probe records, at the
default size, QEMU's ``info mtree`` lines for every region the plugin's layout places (and,
for the Raspberry Pi boards, the framebuffer's ``vcram-base`` and ``vcram-size``).

Each record is the tool's record plus ``binary``, ``probe`` (``size``, ``numa``, ``tree``) and
``machinectl-extra``: the arguments machinectl needs to build the same machine (QEMU-only
arguments such as ``-kernel`` are left out). ``{tmpdir}`` in arguments stands for a scratch
directory. Needs Debian's qemu-system-arm/aarch64 7.2.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import machinectl_arm
from machinectl import Machine, create_registry
from machinectl.boards import AtLeast, AtMost, BoardFacts, FixedSize, OneOf
from machinectl.units import GiB, KiB, MiB

ROOT = Path(__file__).resolve().parents[3]
STEP = 8 * KiB
#: Sizes every machine type is tried with (None: no -m).
STANDARD = (
    None, "1M", "2M", "4M", "8M", "16M", "32M", "64M", "100M", "128M", "256M", "512M",
    "768M", "1G", "1536M", "2G", "3G", "3584M", "4G", "8G",
)  # fmt: skip
#: Above this, RAM comes from a sparse file so that the host need not have it.
ANONYMOUS_LIMIT = 8 * GiB
AARCH64_ONLY = {"sbsa-ref", "xlnx-zcu102", "xlnx-versal-virt", "raspi3ap", "raspi3b"}
#: More sizes worth a probe: the edge of the ZCU102's warning about small RAM, and RAM that
#: ends at the first device window or one step into it.
EXTRA_SIZES = {
    "xlnx-zcu102": ("131064K",),
    "highbank": ("4193312K", "4193320K", "4194296K"),
    "midway": ("4193312K", "4193320K", "4194296K"),
    "integratorcp": ("262152K", "3145736K", "2097160K"),
}
#: QEMU-only arguments that get a board past checks that have nothing to do with RAM.
BOOT_EXTRA = {
    "sx1": ["-kernel", "{tmpdir}/empty"],
    "sx1-v1": ["-kernel", "{tmpdir}/empty"],
    "cheetah": ["-kernel", "{tmpdir}/empty"],
    "canon-a1100": ["-bios", "{tmpdir}/empty"],
}
HIGHMEM_OFF = ("-machine", "highmem=off")
#: virt: the edges of the address space (40 bits, 32 with highmem=off), -m with maxmem/slots.
VIRT_PROBES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("1023G", ()),
    ("1072693256K", ()),
    ("3G", HIGHMEM_OFF),
    ("3145736K", HIGHMEM_OFF),
    ("4G", HIGHMEM_OFF),
    ("2G,maxmem=3G", HIGHMEM_OFF),
    ("2G,maxmem=3145736K", HIGHMEM_OFF),
    ("1G,slots=256,maxmem=8G", ()),
    ("1G,slots=257,maxmem=8G", ()),
    ("1G,slots=2,maxmem=1021G", ()),
    ("1G,slots=2,maxmem=1023G", ()),
    ("1G,slots=200,maxmem=900G", ()),
    ("1G,maxmem=17179869183G", ()),
)
#: Boards with NUMA: legacy ``mem=`` nodes, and ``memdev=`` nodes that make RAM a container.
NUMA_PROBES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("128M", ("-numa", "node,mem=64M", "-numa", "node,mem=64M")),
    (
        "128M",
        (
            "-object",
            "memory-backend-ram,id=n0,size=64M",
            "-object",
            "memory-backend-ram,id=n1,size=64M",
            "-numa",
            "node,memdev=n0",
            "-numa",
            "node,memdev=n1",
        ),
    ),
    ("128M", ("-numa", "node,mem=64M")),
)
#: Noise QEMU prints while starting some boards' audio or network devices.
NOISE = ("ALSA lib ", "alsa: ", "audio: ", "warning: nic ", "warning: missing SecureDigital")


def _load_tool() -> Any:
    spec = importlib.util.spec_from_file_location("qemu_oracle", ROOT / "tools" / "qemu_oracle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def size_text(size: int) -> str:
    """A ``-m`` value with an explicit unit, exact for any multiple of 1 KiB."""
    for unit, scale in (("G", GiB), ("M", MiB)):
        if size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size // KiB}K"


def edges(facts: BoardFacts) -> list[int]:
    """Sizes at and around each limit of the record's rules."""
    sizes: list[int] = []
    for rule in facts.rules:
        if isinstance(rule, FixedSize):
            sizes += [rule.size - STEP, rule.size, rule.size + STEP]
        elif isinstance(rule, OneOf):
            for size in rule.sizes:
                sizes += [size - STEP, size, size + STEP]
        elif isinstance(rule, AtMost | AtLeast):
            sizes += [rule.limit - STEP, rule.limit, rule.limit + STEP]
    return [s for s in sizes if s > 0]


def file_backed(size: str) -> list[str]:
    return [
        "-object",
        f"memory-backend-file,id=bigmem,size={size},mem-path={{tmpdir}},share=on",
        "-machine",
        "memory-backend=bigmem",
    ]


def jobs_for(facts: BoardFacts) -> list[dict[str, Any]]:
    name = facts.name
    binary = "qemu-system-aarch64" if name in AARCH64_ONLY else "qemu-system-arm"
    boot = BOOT_EXTRA.get(name, [])
    jobs = []
    sizes: list[str | None] = list(STANDARD)
    for text in [*map(size_text, edges(facts)), *EXTRA_SIZES.get(name, ())]:
        if text not in sizes:
            sizes.append(text)
    probes: list[tuple[str | None, tuple[str, ...]]] = [(text, ()) for text in sizes]
    if name.startswith("virt-"):
        probes += VIRT_PROBES
    if facts.spec.numa:
        probes += NUMA_PROBES
    for size, more in probes:
        extra = list(more)
        if size is not None and _bytes(size) > ANONYMOUS_LIMIT:
            extra += file_backed(size)
        jobs.append(_job(binary, name, size, boot, extra, "size"))
    jobs.append(_job(binary, name, None, boot, ["-numa", "node"], "numa"))
    jobs.append(_job(binary, name, None, boot, [], "tree"))
    return jobs


def _bytes(text: str) -> int:
    """The size a plain ``-m`` value asks for (0 for values with maxmem or slots)."""
    if "," in text:
        return 0
    scale = {"K": KiB, "M": MiB, "G": GiB}[text[-1]]
    return int(text[:-1]) * scale


def _job(
    binary: str, name: str, size: str | None, boot: list[str], extra: list[str], probe: str
) -> dict[str, Any]:
    return {
        "binary": binary,
        "machine": name,
        "size": size,
        "qemu-extra": boot + extra,
        "machinectl-extra": extra,
        "probe": probe,
    }


def region_names(name: str) -> set[str]:
    """The regions machinectl's layout places in system memory at the default size."""
    registry = create_registry(only=["machinectl-arm"], strict=True)
    with Machine.from_argv(["-M", name], registry=registry, allocate=False) as machine:
        return {region.name for _, region in machine.state.system_memory.walk()} - {"system"}


def _tree_name(line: str) -> str:
    name = line.split("): ", 1)[1]
    return name.split(" ")[1] if name.startswith("alias ") else name


def tree_probe(binary: str, name: str, argv: list[str]) -> dict[str, Any]:
    """QEMU's region tree (``info mtree``) for the regions machinectl places, and for the
    Raspberry Pi boards the framebuffer's VideoCore share (``vcram-base``, ``vcram-size``)."""
    commands: list[dict[str, Any]] = [
        {"execute": "qmp_capabilities"},
        {"execute": "human-monitor-command", "arguments": {"command-line": "info mtree"}},
    ]
    fb = "/machine/soc/peripherals/fb"
    if name.startswith("raspi"):
        commands += [
            {"execute": "qom-get", "arguments": {"path": fb, "property": p}}
            for p in ("vcram-base", "vcram-size")
        ]
    commands.append({"execute": "quit"})
    script = "".join(json.dumps(c) + "\n" for c in commands)
    proc = subprocess.run(
        [binary, "-M", name, *argv, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    replies = [m["return"] for m in map(json.loads, proc.stdout.splitlines()) if "return" in m]
    section = (
        replies[1].replace("\r\n", "\n").split("address-space: memory\n", 1)[1].split("\n\n", 1)[0]
    )
    names = region_names(name)
    tree: dict[str, list[str]] = {n: [] for n in sorted(names)}
    for line in section.splitlines():
        if "): " in line and _tree_name(line) in names:
            tree[_tree_name(line)].append(line.strip())
    record: dict[str, Any] = {"tree": tree}
    if name.startswith("raspi"):
        record["vcram-base"], record["vcram-size"] = replies[2], replies[3]
    return record


def run(tool: Any, job: dict[str, Any], tmpdir: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=tmpdir) as scratch:
        Path(scratch, "empty").touch()
        argv = [arg.replace("{tmpdir}", scratch) for arg in job["qemu-extra"]]
        if job["probe"] == "tree":
            record = {"machine": job["machine"], "size": None}
            record |= tree_probe(job["binary"], job["machine"], argv)
        else:
            record = tool.probe(job["binary"], job["machine"], job["size"], argv)
    record["extra"] = job["qemu-extra"]
    record["binary"] = job["binary"]
    record["probe"] = job["probe"]
    record["machinectl-extra"] = job["machinectl-extra"]
    for key in ("warnings", "stderr"):
        if key in record:
            record[key] = [line for line in record[key] if not line.startswith(NOISE)]
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--machine", action="append", help="only these machine types")
    parser.add_argument("--jobs", type=int, default=3)
    args = parser.parse_args(argv)
    tool = _load_tool()
    os.environ["QEMU_AUDIO_DRV"] = "none"
    listing = subprocess.run(
        ["qemu-system-aarch64", "-machine", "help"], capture_output=True, text=True, check=True
    )
    available = set(listing.stdout.split())
    jobs = [
        job
        for facts in machinectl_arm.RECORDS
        if facts.name in available and (not args.machine or facts.name in args.machine)
        for job in jobs_for(facts)
    ]
    with (
        tempfile.TemporaryDirectory() as tmpdir,
        concurrent.futures.ThreadPoolExecutor(args.jobs) as pool,
    ):
        records = list(pool.map(lambda job: run(tool, job, tmpdir), jobs))
    lines = ",\n".join(json.dumps(r, sort_keys=True) for r in records)
    args.out.write_text("[\n" + lines + "\n]\n")
    print(f"{len(records)} records from {len({r['machine'] for r in records})} machine types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
