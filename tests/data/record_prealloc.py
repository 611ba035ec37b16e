#!/usr/bin/env python3
"""Record what QEMU 7.2 does with thread contexts, -overcommit and -numa: ``prealloc_qemu72.json``.

Each case is a command line after the binary (``-display none -S -nodefaults -qmp stdio`` is
added). For an accepted command line the record keeps, for every ``thread-context`` object,
what ``qom-get`` reads of ``cpu-affinity`` and whether ``thread-id`` is a thread of the process;
for a refused one, the first line of the error without the program name. ``host-cpus`` is the
CPU affinity of the recording process: the records hold on hosts with the same CPUs.

    python3 tests/data/record_prealloc.py     # needs qemu-system-x86_64 7.2

Not used by the tests themselves.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

BINARY = "qemu-system-x86_64"
OUT = Path(__file__).with_name("prealloc_qemu72.json")

RAM = "memory-backend-ram,id=m,size=64M"
NONE = ["-M", "none"]
TWO = [
    "-M", "pc", "-m", "128M",
    "-object", "memory-backend-ram,id=m0,size=64M",
    "-object", "memory-backend-ram,id=m1,size=64M",
    "-numa", "node,nodeid=0,memdev=m0", "-numa", "node,nodeid=1,memdev=m1",
]  # fmt: skip
THREE = ["-M", "pc", "-m", "192M"]
THREE += [arg for i in range(3) for arg in ("-object", f"memory-backend-ram,id=m{i},size=64M")]
THREE += [arg for i in range(3) for arg in ("-numa", f"node,nodeid={i},memdev=m{i}")]
HMAT = [
    "-M", "pc,hmat=on", "-m", "128M", "-smp", "2",
    "-object", "memory-backend-ram,id=m0,size=64M",
    "-object", "memory-backend-ram,id=m1,size=64M",
    "-numa", "node,nodeid=0,memdev=m0,cpus=0-1,initiator=0",
    "-numa", "node,nodeid=1,memdev=m1,initiator=0",
]  # fmt: skip
LAT = "hmat-lb,initiator=0,target={t},hierarchy=memory,data-type=access-latency,latency={v}"
BW = "hmat-lb,initiator=0,target={t},hierarchy=memory,data-type=access-bandwidth,bandwidth={v}"
CACHE = "hmat-cache,node-id={n},size={s},level={l},associativity=direct,policy=write-back,line=8"
LB0 = ["-numa", LAT.format(t=0, v=5), "-numa", BW.format(t=0, v="200M")]


def _tc(text: str) -> list[str]:
    return ["-object", f"thread-context,{text}"]


CASES: list[list[str]] = [
    # thread-context
    [*NONE, *_tc("id=tc")],
    [*NONE, *_tc("id=tc,cpu-affinity=0")],
    [*NONE, *_tc("id=tc,cpu-affinity=1")],
    [*NONE, *_tc("id=tc,cpu-affinity=0,cpu-affinity=1")],
    [*NONE, *_tc("id=tc,cpu-affinity=0-1")],
    [*NONE, *_tc("id=tc,node-affinity=0")],
    [*NONE, *_tc("id=tc,node-affinity=0-1")],
    [*NONE, *_tc("id=tc,node-affinity=5")],
    [*NONE, *_tc("id=tc,node-affinity=200")],
    [*NONE, *_tc("id=tc,cpu-affinity=7")],
    [*NONE, *_tc("id=tc,cpu-affinity=2000")],
    [*NONE, *_tc("id=tc,cpu-affinity=0,node-affinity=0")],
    [*NONE, *_tc("id=tc,node-affinity=0,cpu-affinity=0")],
    [*NONE, *_tc("id=tc,cpu-affinity=70000")],
    [*NONE, *_tc("id=tc,node-affinity=70000")],
    [*NONE, *_tc("id=tc,cpu-affinity=1-0")],
    [*NONE, *_tc("id=tc,cpu-affinity=x")],
    [*NONE, *_tc("id=tc,cpu-affinity=")],
    [*NONE, *_tc("id=tc,cpu-affinity=-1")],
    [*NONE, *_tc("id=tc,thread-id=5")],
    [*NONE, *_tc("id=tc,foo=5")],
    [*NONE, *_tc("id=tc,cpu-affinity=1"), *_tc("id=tc2,node-affinity=0")],
    # prealloc-context
    [*NONE, "-object", f"{RAM},prealloc-context=tc"],
    [*NONE, "-object", f"{RAM},prealloc-context="],
    [*NONE, "-object", f"{RAM},prealloc=on,prealloc-context=tc", *_tc("id=tc,cpu-affinity=1")],
    [*NONE, *_tc("id=tc,cpu-affinity=1"), "-object", f"{RAM},prealloc-context=/objects/tc"],
    [*NONE, *_tc("id=tc,cpu-affinity=1"), "-object", f"{RAM},prealloc-context=objects/tc"],
    [*NONE, *_tc("id=tc,cpu-affinity=1"), "-object", f"{RAM},prealloc-context=/objects/tcx"],
    [*NONE, *_tc("id=tc"), *_tc("id=tc2"), "-object", f"{RAM},prealloc-context=/objects"],
    [
        *NONE,
        "-object",
        "memory-backend-ram,id=m0,size=64M",
        "-object",
        f"{RAM},prealloc-context=m0",
    ],
    [*NONE, "-object", f"{RAM},prealloc-context=m"],
    [*NONE, "-object", f"{RAM},prealloc-context=tc,size=0", *_tc("id=tc,cpu-affinity=1")],
    [*NONE, "-object", "memory-backend-ram,id=m,size=0", *_tc("id=tc,cpu-affinity=7")],
    # -overcommit
    [*NONE, "-overcommit", "mem-lock=off"],
    [*NONE, "-overcommit", "mem-lock=x"],
    [*NONE, "-overcommit", "mem-lock=on-fault"],
    [*NONE, "-overcommit", "foo=on"],
    [*NONE, "-overcommit", "on"],
    [*NONE, "-overcommit", "cpu-pm=on,mem-lock=off"],
    [*NONE, "-overcommit", "cpu-pm=x"],
    [*NONE, "-overcommit", ""],
    # -numa dist
    [*TWO, "-numa", "dist,src=0,dst=1"],
    [*TWO, "-numa", "dist,src=0,val=20"],
    [*TWO, "-numa", "dist,dst=0,val=20"],
    [*TWO, "-numa", "dist,src=0,dst=1,val=256"],
    [*TWO, "-numa", "dist,src=0,dst=1,val=9"],
    [*TWO, "-numa", "dist,src=0,dst=0,val=11"],
    [*TWO, "-numa", "dist,src=0,dst=2,val=20"],
    [*TWO, "-numa", "dist,src=128,dst=1,val=20"],
    [*TWO, "-numa", "dist,src=1,dst=128,val=20"],
    [*TWO, "-numa", "dist,src=65536,dst=1,val=20"],
    [*TWO, "-numa", "dist,src=0,dst=1,val=20,foo=1"],
    [*TWO, "-numa", "dist,src=0,dst=0,val=10"],
    [*TWO, "-numa", "dist,src=0,dst=1,val=20"],
    [*TWO, "-numa", "dist,src=0,dst=1,val=20", "-numa", "dist,src=1,dst=0,val=30"],
    [*THREE, "-numa", "dist,src=0,dst=1,val=20", "-numa", "dist,src=1,dst=2,val=20"],
    [
        *THREE,
        "-numa",
        "dist,src=0,dst=1,val=20",
        "-numa",
        "dist,src=1,dst=0,val=30",
        "-numa",
        "dist,src=0,dst=2,val=20",
        "-numa",
        "dist,src=1,dst=2,val=20",
    ],
    [
        *THREE,
        "-numa",
        "dist,src=0,dst=1,val=20",
        "-numa",
        "dist,src=1,dst=0,val=30",
        "-numa",
        "dist,src=0,dst=2,val=20",
        "-numa",
        "dist,src=1,dst=2,val=20",
        "-numa",
        "dist,src=2,dst=0,val=25",
        "-numa",
        "dist,src=2,dst=1,val=20",
    ],
    ["-M", "pc", "-m", "256M", "-numa", "dist,src=0,dst=1,val=20"],
    [
        "-M",
        "pc",
        "-m",
        "100M",
        "-numa",
        "node",
        "-numa",
        "node",
        "-numa",
        "dist,src=0,dst=1,val=20",
    ],
    [*NONE, "-numa", "dist,src=0,dst=0,val=10"],
    # -numa cpu
    [*TWO, "-numa", "cpu,node-id=x"],
    [*TWO, "-numa", "cpu,socket-id=0"],
    [*TWO, "-numa", "cpu,node-id=2"],
    [*TWO, "-numa", "cpu,node-id=200"],
    [*TWO, "-numa", "cpu,node-id=0,foo=1"],
    # -numa hmat-lb
    ["-M", "pc", "-m", "128M", "-numa", "node", "-numa", LAT.format(t=0, v=5)],
    [*HMAT],
    [*HMAT, "-numa", LAT.format(t=0, v=5)],
    [*HMAT, "-numa", LAT.format(t=0, v=5).replace(",latency=5", "")],
    [*HMAT, "-numa", LAT.format(t=0, v=5) + ",bandwidth=1M"],
    [*HMAT, "-numa", BW.format(t=0, v=1000)],
    [*HMAT, "-numa", BW.format(t=0, v="1M").replace(",bandwidth=1M", "")],
    [*HMAT, "-numa", BW.format(t=0, v="1M") + ",latency=3"],
    [*HMAT, "-numa", LAT.format(t=0, v=5).replace("initiator=0", "initiator=1")],
    [*HMAT, "-numa", LAT.format(t=0, v=5).replace("initiator=0", "initiator=2")],
    [*HMAT, "-numa", LAT.format(t=0, v=5).replace("initiator=0", "initiator=3")],
    [*HMAT, "-numa", LAT.format(t=2, v=5)],
    [*HMAT, "-numa", LAT.format(t=3, v=5)],
    [*HMAT, "-numa", LAT.format(t=0, v=5), "-numa", LAT.format(t=0, v=6)],
    [*HMAT, "-numa", BW.format(t=0, v="1M"), "-numa", BW.format(t=0, v="2M")],
    [*HMAT, "-numa", LAT.format(t=0, v=5).replace("memory", "foo")],
    [*HMAT, "-numa", LAT.format(t=0, v=5).replace("access-latency", "foo")],
    [*HMAT, "-numa", LAT.format(t=0, v=5).replace("initiator=0,", "")],
    [*HMAT, "-numa", LAT.format(t=0, v=1), "-numa", LAT.format(t=1, v=100000)],
    [*HMAT, "-numa", LAT.format(t=0, v=100), "-numa", LAT.format(t=1, v=6553500)],
    [*HMAT, "-numa", LAT.format(t=0, v=100), "-numa", LAT.format(t=1, v=6553400)],
    [*HMAT, "-numa", LAT.format(t=0, v=6553400), "-numa", LAT.format(t=1, v=7)],
    [*HMAT, "-numa", LAT.format(t=0, v=0), "-numa", LAT.format(t=1, v=0)],
    [*HMAT, "-numa", LAT.format(t=0, v=3), "-numa", LAT.format(t=1, v=65537)],
    [*HMAT, "-numa", BW.format(t=0, v="1M"), "-numa", BW.format(t=1, v="1T")],
    [*HMAT, "-numa", BW.format(t=0, v="1M"), "-numa", BW.format(t=1, v="65534M")],
    [*HMAT, "-numa", BW.format(t=0, v="1M"), "-numa", BW.format(t=1, v="65535M")],
    [*HMAT, "-numa", BW.format(t=0, v="3M"), "-numa", BW.format(t=1, v="64G")],
    [*HMAT, "-numa", BW.format(t=0, v="0")],
    # -numa hmat-cache
    [*HMAT, *LB0, "-numa", CACHE.format(n=0, s="10K", l=1)],
    [*HMAT, "-numa", CACHE.format(n=0, s="10K", l=1)],
    [*HMAT, *LB0, "-numa", CACHE.format(n=2, s="10K", l=1)],
    [*HMAT, *LB0, "-numa", CACHE.format(n=0, s="10K", l=0)],
    [*HMAT, *LB0, "-numa", CACHE.format(n=0, s="10K", l=4)],
    [
        *HMAT,
        *LB0,
        "-numa",
        CACHE.format(n=0, s="10K", l=1),
        "-numa",
        CACHE.format(n=0, s="10K", l=1),
    ],
    [
        *HMAT,
        *LB0,
        "-numa",
        CACHE.format(n=0, s="10K", l=1),
        "-numa",
        CACHE.format(n=0, s="20K", l=2),
    ],
    [*HMAT, *LB0, "-numa", CACHE.format(n=0, s="20K", l=2)],
    [*HMAT, *LB0, "-numa", CACHE.format(n=0, s="10K", l=1).replace("direct", "x")],
    [*HMAT, *LB0, "-numa", CACHE.format(n=0, s="10K", l=1).replace("write-back", "x")],
    [*HMAT, *LB0, "-numa", CACHE.format(n=0, s="10K", l=1).replace(",line=8", "")],
    [*HMAT, *LB0, "-numa", CACHE.format(n=0, s="10K", l=1).replace("size=10K,", "")],
    [*HMAT, *LB0, "-numa", CACHE.format(n=1, s="10K", l=1)],
]


def _contexts(argv: list[str]) -> list[str]:
    return [
        re.search(r"id=([^,]+)", text)[1]  # type: ignore[index]
        for option, text in itertools.pairwise(argv)
        if option == "-object" and text.startswith("thread-context")
    ]


def probe(argv: list[str]) -> dict[str, Any]:
    ids = _contexts(argv)
    commands = [{"execute": "qmp_capabilities"}]
    for tc in ids:
        for prop in ("cpu-affinity", "thread-id"):
            path = f"/objects/{tc}"
            commands.append({"execute": "qom-get", "arguments": {"path": path, "property": prop}})
    commands.append({"execute": "quit"})
    stdin = "".join(json.dumps(command) + "\n" for command in commands)
    proc = subprocess.run(
        [BINARY, *argv, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    record: dict[str, Any] = {"argv": argv}
    if proc.returncode != 0 or not proc.stdout:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        errors = [
            line for line in lines if line.startswith(f"{BINARY}: ") and ": warning: " not in line
        ]
        record["error"] = errors[0].split(": ", 1)[1] if errors else ""
        return record
    replies = [json.loads(line) for line in proc.stdout.splitlines() if '"return"' in line]
    replies = replies[1:]  # qmp_capabilities
    contexts = {}
    for index, tc in enumerate(ids):
        affinity, thread = replies[2 * index]["return"], replies[2 * index + 1]["return"]
        contexts[tc] = {"cpu-affinity": affinity, "thread-id": thread > 0}
    record["ok"] = True
    record["thread-contexts"] = contexts
    return record


def main() -> None:
    records = [probe(argv) for argv in CASES]
    version = subprocess.run([BINARY, "--version"], capture_output=True, text=True, check=True)
    data = {
        "qemu": version.stdout.splitlines()[0],
        "host-cpus": sorted(os.sched_getaffinity(0)),
        "cases": records,
    }
    OUT.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
