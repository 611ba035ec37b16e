#!/usr/bin/env python3
"""Record what QEMU 7.2 does with host memory backends: ``hostmem_qemu72.json``.

Each case is a command line after ``-M none``. Placeholders stand for places the test
prepares again: ``{dir}`` an empty directory (with the ``files`` of the case, name -> size,
filled with the byte 0x5a), ``{small}`` a 4 MiB tmpfs, ``{huge}`` a hugetlbfs of 2 MiB pages
with HUGE_PAGES free pages. For each case the record keeps QEMU's ``query-memdev`` (sorted
by id) or its error (without the program name), its other stderr lines, and the files left in
``{dir}`` with their sizes.

    sudo python3 tests/data/record_hostmem.py     # needs qemu-system-x86_64 7.2 and root

Not used by the tests themselves.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BINARY = "qemu-system-x86_64"
OUT = Path(__file__).with_name("hostmem_qemu72.json")
HUGE_PAGES = 4
QMP = "".join(
    json.dumps({"execute": command}) + "\n"
    for command in ("qmp_capabilities", "query-memdev", "quit")
)

RAM = "memory-backend-ram,id=m,size=4M"
MEMFD = "memory-backend-memfd,id=m,size=4M"
FILE = "memory-backend-file,id=m,size=4M"
CASES: list[dict[str, Any]] = [
    # memory-backend-ram
    {"argv": ["-object", RAM]},
    {"argv": ["-object", f"{RAM},share=on,merge=off,dump=off"]},
    {"argv": ["-object", f"{RAM},prealloc=on,prealloc-threads=2"]},
    {"argv": ["-object", f"{RAM},reserve=off"]},
    {"argv": ["-object", f"{RAM},host-nodes=0,policy=bind"]},
    {"argv": ["-object", f"{RAM},host-nodes=0,policy=interleave,prealloc=on"]},
    {"argv": ["-object", f"{RAM},host-nodes=0-1,policy=preferred"]},
    {"argv": ["-object", f"{RAM},host-nodes=1,policy=bind"]},
    {"argv": ["-object", f"{RAM},x-use-canonical-path-for-ramblock-id=on"]},
    # memory-backend-memfd
    {"argv": ["-object", MEMFD]},
    {"argv": ["-object", f"{MEMFD},share=off"]},
    {"argv": ["-object", f"{MEMFD},seal=off,merge=off,dump=off"]},
    {"argv": ["-object", f"{MEMFD},prealloc=on"]},
    {"argv": ["-object", f"{MEMFD},reserve=off,share=off"]},
    {"argv": ["-object", f"{MEMFD},host-nodes=0,policy=bind,prealloc=on"]},
    {"argv": ["-object", f"{MEMFD},host-nodes=0-1,policy=preferred"]},
    {"argv": ["-object", f"{MEMFD},host-nodes=1,policy=bind"]},
    {"argv": ["-object", f"{MEMFD},hugetlbsize=2M"]},
    {"argv": ["-object", f"{MEMFD},hugetlbsize=3M"]},
    {"argv": ["-object", f"{MEMFD},hugetlb=on,hugetlbsize=3M"]},
    {"argv": ["-object", f"{MEMFD},hugetlbsize=0"]},
    {"argv": ["-object", f"{MEMFD},hugetlb=on,hugetlbsize=4M"]},
    {"argv": ["-object", f"{MEMFD},hugetlb=on,hugetlbsize=1G"]},
    {"argv": ["-object", "memory-backend-memfd,id=m,size=1M,hugetlb=on"]},
    {"argv": ["-object", "memory-backend-memfd,id=m,size=100"]},
    {"argv": ["-object", f"{MEMFD},prealloc=on,reserve=off"]},
    # memory-backend-file
    {"argv": ["-object", f"{FILE},mem-path={{dir}}"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},share=on,merge=off,dump=off"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},prealloc=on"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},reserve=off,share=on"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},host-nodes=0,policy=bind,prealloc=on"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},host-nodes=0,policy=interleave,share=on"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},host-nodes=1,policy=bind"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},align=2M"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},align=1G"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},align=3000"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},align=12k"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},discard-data=on,share=on"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},pmem=on"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},readonly=on"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}}/new"]},
    {"argv": ["-object", "memory-backend-file,id=m,size=100,mem-path={dir}/new"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}}/new,readonly=on"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}}/f,share=on"], "files": {"f": 4 << 20}},
    {"argv": ["-object", f"{FILE},mem-path={{dir}}/f"], "files": {"f": 8 << 20}},
    {"argv": ["-object", f"{FILE},mem-path={{dir}}/f,readonly=on"], "files": {"f": 4 << 20}},
    {"argv": ["-object", f"{FILE},mem-path={{dir}}/f"], "files": {"f": 1 << 20}},
    {"argv": ["-object", f"{FILE},mem-path={{dir}}/f,share=on"], "files": {"f": 100}},
    {
        "argv": ["-object", "memory-backend-file,id=m,size=100,mem-path={dir}/f"],
        "files": {"f": 100},
    },
    {"argv": ["-object", f"{FILE},mem-path={{dir}}/f,readonly=on"], "files": {"f": 0}},
    {
        "argv": ["-object", f"{FILE},mem-path={{dir}}/f,readonly=on,prealloc=on"],
        "files": {"f": 4 << 20},
    },
    {
        "argv": ["-object", f"{FILE},mem-path={{dir}}/f,share=on,discard-data=on"],
        "files": {"f": 8 << 20},
    },
    {"argv": ["-object", f"{FILE},mem-path={{dir}}/no/such/dir"]},
    {"argv": ["-object", f"{FILE},mem-path=/dev/null"]},
    {"argv": ["-object", "memory-backend-file,id=m,size=1T,mem-path={dir}/huge"]},
    {"argv": ["-object", f"{FILE},mem-path={{dir}},prealloc=on,reserve=off"]},
    {"argv": ["-object", "memory-backend-file,id=m,size=4M"]},
    # several backends, -mem-prealloc as sugar, -mem-path
    {
        "argv": [
            "-mem-prealloc",
            "-object",
            "memory-backend-memfd,id=a,size=4M",
            "-object",
            "memory-backend-file,id=b,size=4M,mem-path={dir},prealloc=off",
            "-object",
            "memory-backend-ram,id=c,size=4M,host-nodes=0,policy=bind",
        ]
    },
    {"argv": ["-m", "8M"]},
    {"argv": ["-M", "none,mem-merge=off,dump-guest-core=off", "-m", "8M"]},
    {"argv": ["-m", "8M", "-mem-path", "{dir}"]},
    {"argv": ["-m", "8M", "-mem-path", "{dir}", "-mem-prealloc"]},
    {"argv": ["-m", "8M", "-mem-path", "{dir}/main"]},
    {"argv": ["-m", "8M", "-mem-path", "{dir}/no/such/dir"]},
    {"argv": ["-m", "8M", "-mem-path", "{dir}/f"], "files": {"f": 4 << 20}},
    {"argv": ["-mem-path", "{dir}/main"]},
    {
        "argv": [
            "-m",
            "4M",
            "-mem-path",
            "{dir}",
            "-object",
            MEMFD,
            "-machine",
            "memory-backend=m",
        ]
    },
    # a full file system
    {"argv": ["-object", "memory-backend-file,id=m,size=16M,mem-path={small},prealloc=on"]},
    {
        "argv": [
            "-object",
            "memory-backend-file,id=m,size=16M,mem-path={small},prealloc=on,share=on",
        ]
    },
    {"argv": ["-m", "16M", "-mem-path", "{small}", "-mem-prealloc"]},
    # hugetlbfs, with HUGE_PAGES free pages of 2 MiB
    {"argv": ["-object", f"{FILE},mem-path={{huge}}"]},
    {"argv": ["-object", f"{FILE},mem-path={{huge}},share=on,prealloc=on"]},
    {"argv": ["-object", "memory-backend-file,id=m,size=1M,mem-path={huge}"]},
    {"argv": ["-object", "memory-backend-file,id=m,size=100,mem-path={huge}"]},
    {"argv": ["-object", f"{FILE},mem-path={{huge}},align=4k"]},
    {"argv": ["-object", f"{FILE},mem-path={{huge}},align=4M"]},
    {"argv": ["-object", "memory-backend-file,id=m,size=16M,mem-path={huge},share=on"]},
    {
        "argv": [
            "-object",
            "memory-backend-file,id=m,size=3M,mem-path={huge},host-nodes=0,policy=bind",
        ]
    },
    {"argv": ["-object", f"{MEMFD},hugetlb=on,prealloc=on"]},
    {"argv": ["-object", f"{MEMFD},hugetlb=on,hugetlbsize=2M,share=off"]},
    {"argv": ["-object", "memory-backend-memfd,id=m,size=16M,hugetlb=on"]},
]


def _mount(kind: str, where: Path, options: str) -> None:
    subprocess.run(["mount", "-t", kind, "-o", options, kind, str(where)], check=True)


@contextmanager
def environment() -> Iterator[dict[str, Path]]:
    """The places of the placeholders (``dir`` is made again for every case)."""
    nr_hugepages = Path("/proc/sys/vm/nr_hugepages")
    previous = int(nr_hugepages.read_text())
    with tempfile.TemporaryDirectory() as top:
        small, huge = Path(top, "small"), Path(top, "huge")
        small.mkdir()
        huge.mkdir()
        nr_hugepages.write_text(str(previous + HUGE_PAGES))
        free = _meminfo("HugePages_Free")
        if free != HUGE_PAGES:
            nr_hugepages.write_text(str(previous))
            raise SystemExit(f"{free} huge pages are free instead of {HUGE_PAGES}: try again")
        _mount("tmpfs", small, "size=4m")
        _mount("hugetlbfs", huge, "pagesize=2M")
        try:
            yield {"top": Path(top), "small": small, "huge": huge}
        finally:
            subprocess.run(["umount", str(small)], check=True)
            subprocess.run(["umount", str(huge)], check=True)
            nr_hugepages.write_text(str(previous))


def _meminfo(key: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise SystemExit(f"no {key} in /proc/meminfo")


def record(case: dict[str, Any], places: dict[str, Path], index: int) -> dict[str, Any]:
    directory = places["top"] / f"dir{index}"
    directory.mkdir()
    for name, size in case.get("files", {}).items():
        (directory / name).write_bytes(b"\x5a" * size)
    subst = {"dir": str(directory), "small": str(places["small"]), "huge": str(places["huge"])}
    argv = [arg.format(**subst) for arg in case["argv"]]
    proc = subprocess.run(
        [BINARY, "-M", "none", *argv, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"],
        input=QMP,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    replies = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    returns = [reply["return"] for reply in replies if "return" in reply]
    out: dict[str, Any] = {"argv": case["argv"], "files": case.get("files", {})}
    stderr = [_generic(line, subst) for line in proc.stderr.splitlines()]
    prefix = f"{BINARY}: "
    if len(returns) >= 2:
        out["memdev"] = sorted(returns[1], key=lambda d: d["id"])
    elif proc.returncode < 0:
        out["error"] = f"killed by signal {-proc.returncode}"
    else:
        errors = [line for line in stderr if line.startswith(prefix) and "warning:" not in line]
        out["error"] = errors[-1].removeprefix(prefix)
        stderr.remove(errors[-1])
    out["stderr"] = stderr
    out["after"] = {p.name: p.stat().st_size for p in sorted(directory.iterdir())}
    for item in (places["small"], places["huge"]):
        for leftover in item.iterdir():
            leftover.unlink()
    return out


def _generic(line: str, subst: dict[str, str]) -> str:
    """A stderr line with the places put back as placeholders."""
    for key, value in subst.items():
        line = line.replace(value, "{" + key + "}")
    return line


def main() -> int:
    with environment() as places:
        records = [record(case, places, i) for i, case in enumerate(CASES)]
    version = subprocess.run([BINARY, "--version"], capture_output=True, text=True, check=True)
    data = {"qemu": version.stdout.splitlines()[0], "huge-pages": HUGE_PAGES, "cases": records}
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    sys.stdout.write(f"{len(records)} cases written to {OUT}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
