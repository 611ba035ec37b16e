"""-smp topologies and -numa cpu, against QEMU 7.2's outcomes.

The command lines in QEMU_ERRORS and QEMU_RUNS were run on Debian's QEMU 7.2 binaries
(qemu-system-x86_64, -aarch64, -ppc64 and -s390x, ``-display none -S -nodefaults -qmp
stdio``); the texts are what they printed on standard error (without the
``qemu-system-TARGET: `` prefix) or what HMP ``info numa`` returned, less the warnings that
concern no memory or NUMA (pseries' TCG capability warnings, the AMD hyperthreading warning of
x86's default CPU with ``threads=2``). When the binaries are installed,
test_random_lines_match_qemu runs generated command lines through both.
"""

from __future__ import annotations

import json
import math
import random
import shlex
import shutil
import subprocess
import time
from typing import NamedTuple

import pytest
from machinectl import (
    BoardSpec,
    CpuSlots,
    CpuTopology,
    Machine,
    MachineError,
    Registry,
    create_registry,
)
from machinectl.topology import parse_smp, possible_cpus

#: The NUMA node 0 memory of each command line: all of RAM (pseries needs 512 MiB).
RAM = "-m 128M -object memory-backend-ram,id=m0,size=128M"
RAM_512 = "-m 512M -object memory-backend-ram,id=m0,size=512M"
N0 = "-numa node,nodeid=0,memdev=m0"
N01 = f"{N0} -numa node,nodeid=1"
N012 = f"{N01} -numa node,nodeid=2"
X2APIC = "current -smp configuration requires kernel irqchip and X2APIC API support."
PARTIAL = (
    "warning: All CPU(s) up to maxcpus should be described in NUMA config, ability to start "
    "up with partial NUMA mappings is obsoleted and will be removed in future"
)


class Refused(NamedTuple):
    target: str
    argv: str
    message: str


class Runs(NamedTuple):
    target: str
    argv: str
    info_numa: str
    warnings: tuple[str, ...] = ()


def _info(*nodes: tuple[str, int]) -> str:
    lines = [f"{len(nodes)} nodes"]
    for index, (cpus, size) in enumerate(nodes):
        lines.append(f"node {index} cpus:" + "".join(f" {cpu}" for cpu in cpus.split()))
        lines.append(f"node {index} size: {size} MB")
        lines.append(f"node {index} plugged: 0 MB")
    return "\n".join(lines) + "\n"


def _missing(*slots: str) -> str:
    return "warning: CPU(s) not present in any NUMA nodes: " + ", ".join(slots)


X, A, P, S = "x86_64", "aarch64", "ppc64", "s390x"

QEMU_ERRORS: list[Refused] = [
    Refused(
        X,
        "-M pc -smp 4,dies=2,sockets=3",
        (
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (3) * "
            "dies (2) * cores (0) * threads (1) != maxcpus (4)"
        ),
    ),
    Refused(X, "-M microvm -smp 4,dies=2", "dies not supported by this machine's CPU topology"),
    Refused(X, "-M pc -smp 4,clusters=2", "clusters not supported by this machine's CPU topology"),
    Refused(
        X,
        "-M q35 -smp 8,sockets=2,cores=3",
        (
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (2) * "
            "dies (1) * cores (3) * threads (1) != maxcpus (8)"
        ),
    ),
    Refused(
        X,
        "-M pc -smp 4,maxcpus=2",
        (
            "Invalid CPU topology: maxcpus must be equal to or greater than smp: sockets (1) * "
            "dies (1) * cores (2) * threads (1) == maxcpus (2) < smp_cpus (4)"
        ),
    ),
    Refused(
        X,
        "-M pc -smp 4,dies=2,maxcpus=2",
        (
            "Invalid CPU topology: maxcpus must be equal to or greater than smp: sockets (1) * "
            "dies (2) * cores (1) * threads (1) == maxcpus (2) < smp_cpus (4)"
        ),
    ),
    Refused(
        X,
        "-M pc -smp 300",
        "Invalid SMP CPUs 300. The max CPUs supported by machine 'pc-i440fx-7.2' is 255",
    ),
    Refused(
        X,
        "-M pc -smp 2,maxcpus=300",
        "Invalid SMP CPUs 300. The max CPUs supported by machine 'pc-i440fx-7.2' is 255",
    ),
    Refused(
        X,
        "-M pc-q35-2.7 -smp 256",
        "Invalid SMP CPUs 256. The max CPUs supported by machine 'pc-q35-2.7' is 255",
    ),
    Refused(
        X,
        "-M q35 -smp 289",
        "Invalid SMP CPUs 289. The max CPUs supported by machine 'pc-q35-7.2' is 288",
    ),
    Refused(
        X, "-M isapc -smp 2", "Invalid SMP CPUs 2. The max CPUs supported by machine 'isapc' is 1"
    ),
    Refused(
        X,
        "-M isapc -smp 1,dies=2",
        (
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (1) * "
            "dies (2) * cores (0) * threads (1) != maxcpus (1)"
        ),
    ),
    Refused(
        X,
        "-M pc -smp cpus=-1",
        "Invalid SMP CPUs -1. The max CPUs supported by machine 'pc-i440fx-7.2' is 255",
    ),
    Refused(
        X,
        "-M pc-i440fx-6.1 -smp 6,cores=4",
        (
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (1) * "
            "dies (1) * cores (4) * threads (1) != maxcpus (6)"
        ),
    ),
    Refused(
        X,
        "-M pc -smp 6,sockets=4",
        (
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (4) * "
            "dies (1) * cores (1) * threads (1) != maxcpus (6)"
        ),
    ),
    Refused(
        X,
        "-M pc -smp 5,threads=2",
        (
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (1) * "
            "dies (1) * cores (2) * threads (2) != maxcpus (5)"
        ),
    ),
    Refused(
        X,
        "-M pc -smp sockets=2,cores=2,maxcpus=5",
        (
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (2) * "
            "dies (1) * cores (2) * threads (1) != maxcpus (5)"
        ),
    ),
    Refused(
        A,
        "-M virt -smp 4,clusters=2,sockets=3",
        (
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (3) * "
            "clusters (2) * cores (0) * threads (1) != maxcpus (4)"
        ),
    ),
    Refused(A, "-M virt-6.1 -smp 4,dies=2", "dies not supported by this machine's CPU topology"),
    Refused(
        A, "-M sbsa-ref -smp 4,clusters=2", "clusters not supported by this machine's CPU topology"
    ),
    Refused(
        A,
        "-M sbsa-ref -smp 600",
        "Invalid SMP CPUs 600. The max CPUs supported by machine 'sbsa-ref' is 512",
    ),
    Refused(
        A,
        "-M virt-2.12 -smp 300",
        "Invalid SMP CPUs 300. The max CPUs supported by machine 'virt-2.12' is 255",
    ),
    Refused(
        A,
        f"-M virt -smp 16 {RAM} {N0}",
        ("Number of SMP CPUs requested (16) exceeds max CPUs supported by machine 'mach-virt' (8)"),
    ),
    Refused(
        A,
        f"-M virt -smp 4,maxcpus=9 {RAM} {N0}",
        ("Number of SMP CPUs requested (9) exceeds max CPUs supported by machine 'mach-virt' (8)"),
    ),
    Refused(
        P,
        "-M pseries -smp 4,threads=3",
        (
            "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (1) * "
            "cores (1) * threads (3) != maxcpus (4)"
        ),
    ),
    Refused(
        P,
        "-M pseries -smp 4097",
        "Invalid SMP CPUs 4097. The max CPUs supported by machine 'pseries-7.2' is 4096",
    ),
    Refused(
        P,
        f"-M pseries -smp 4,threads=2 {RAM_512} {N0}",
        "TCG cannot support more than 1 thread/core on a pseries machine",
    ),
    Refused(
        S,
        "-M s390-ccw-virtio -smp 249",
        "Invalid SMP CPUs 249. The max CPUs supported by machine 's390-ccw-virtio-7.2' is 248",
    ),
    Refused(
        S, "-M s390-ccw-virtio -smp 2,dies=2", "dies not supported by this machine's CPU topology"
    ),
    Refused(
        S,
        "-M s390-ccw-virtio -smp 2 -numa node -numa cpu,node-id=0",
        "-numa node: NUMA is not supported by this machine-type",
    ),
    Refused(
        X,
        f"-M pc -smp 4 {RAM} {N0} -numa cpu,node-id=0,cluster-id=0",
        "-numa cpu,node-id=0,cluster-id=0: cluster-id is not supported",
    ),
    Refused(
        X,
        f"-M pc -smp 4 {RAM} {N0} -numa cpu,node-id=0,die-id=0",
        "-numa cpu,node-id=0,die-id=0: die-id is not supported",
    ),
    Refused(
        X,
        (f"-M pc -smp 4,dies=2 {RAM} {N01} -numa cpu,node-id=1,die-id=1,socket-id=0,cluster-id=0"),
        "-numa cpu,node-id=1,die-id=1,socket-id=0,cluster-id=0: cluster-id is not supported",
    ),
    Refused(
        X,
        f"-M pc -smp 4 {RAM} {N0} -numa cpu,node-id=0,socket-id=1",
        "-numa cpu,node-id=0,socket-id=1: no match found",
    ),
    Refused(
        X,
        f"-M pc -smp 4 {RAM} {N0} -numa cpu,node-id=0,core-id=4",
        "-numa cpu,node-id=0,core-id=4: no match found",
    ),
    Refused(
        X,
        f"-M pc -smp 4 {RAM} {N0} -numa cpu,node-id=0,core-id=-1",
        "-numa cpu,node-id=0,core-id=-1: no match found",
    ),
    Refused(
        X,
        f"-M pc -smp 4 {RAM} {N0} -numa cpu,node-id=1,core-id=1",
        (
            "-numa cpu,node-id=1,core-id=1: Invalid node-id=1, NUMA node must be defined with "
            "-numa node,nodeid=ID before it's used with -numa cpu,node-id=ID"
        ),
    ),
    Refused(
        X,
        f"-M pc -smp 4 {RAM} {N0} -numa cpu,socket-id=0",
        "-numa cpu,socket-id=0: Missing mandatory node-id property",
    ),
    Refused(
        X,
        (f"-M pc -smp 4 {RAM} {N01} -numa cpu,node-id=0,core-id=1 -numa cpu,node-id=1,socket-id=0"),
        "-numa cpu,node-id=1,socket-id=0: CPU is already assigned to node-id: 0",
    ),
    Refused(
        X,
        f"-M pc -smp 4 {RAM} {N01},cpus=2 -numa cpu,node-id=0,core-id=2",
        "-numa cpu,node-id=0,core-id=2: CPU is already assigned to node-id: 1",
    ),
    Refused(
        X,
        f"-M pc -smp 4 {RAM} -numa cpu,node-id=0,core-id=2 {N0}",
        (
            "-numa cpu,node-id=0,core-id=2: Invalid node-id=0, NUMA node must be defined with "
            "-numa node,nodeid=ID before it's used with -numa cpu,node-id=ID"
        ),
    ),
    Refused(
        X,
        f"-M pc -smp 2,maxcpus=4 {RAM} {N01},cpus=4",
        "-numa node,nodeid=1,cpus=4: CPU index (4) should be smaller than maxcpus (4)",
    ),
    Refused(
        X,
        (
            f"-M pc -smp 2,maxcpus=4 {RAM} {N01} -numa cpu,node-id=1,core-id=0 -numa "
            "node,nodeid=2,cpus=0-3"
        ),
        "-numa node,nodeid=2,cpus=0-3: CPU is already assigned to node-id: 1",
    ),
    Refused(
        X,
        f"-M pc -smp 4 {RAM} {N0} -numa cpu,node-id=0,core-id=x",
        "-numa cpu,node-id=0,core-id=x: Parameter 'core-id' expects an int64 value",
    ),
    Refused(
        X,
        f"-M pc -smp 4 {RAM} {N0} -numa cpu,node-id=0,core=1",
        "-numa cpu,node-id=0,core=1: Invalid parameter 'core'",
    ),
    Refused(
        X,
        f"-M pc -smp 4 {RAM} {N0} -numa cpu,node-id=200",
        (
            "-numa cpu,node-id=200: Invalid node-id=200, NUMA node must be defined with -numa "
            "node,nodeid=ID before it's used with -numa cpu,node-id=ID"
        ),
    ),
    Refused(
        A,
        f"-M virt -smp 4 {RAM} {N0} -numa cpu,node-id=0,die-id=0",
        "-numa cpu,node-id=0,die-id=0: die-id is not supported",
    ),
    Refused(
        A,
        f"-M virt -smp 4,clusters=2 {RAM} {N01} -numa cpu,node-id=1,cluster-id=2",
        "-numa cpu,node-id=1,cluster-id=2: no match found",
    ),
    Refused(
        A,
        f"-M sbsa-ref -smp 4 {RAM} {N0} -numa cpu,node-id=0,socket-id=0",
        "-numa cpu,node-id=0,socket-id=0: socket-id is not supported",
    ),
    Refused(
        A,
        f"-M sbsa-ref -smp 4 {RAM} {N0} -numa cpu,node-id=0,core-id=0",
        "-numa cpu,node-id=0,core-id=0: core-id is not supported",
    ),
    Refused(
        P,
        f"-M pseries -smp 4 {RAM_512} {N0} -numa cpu,node-id=0,thread-id=0",
        "-numa cpu,node-id=0,thread-id=0: thread-id is not supported",
    ),
    Refused(
        P,
        f"-M pseries -smp 4 {RAM_512} {N0} -numa cpu,node-id=0,socket-id=0",
        "-numa cpu,node-id=0,socket-id=0: socket-id is not supported",
    ),
    Refused(
        P,
        f"-M pseries -smp 4 {RAM_512} {N0} -numa cpu,node-id=0,core-id=4",
        "-numa cpu,node-id=0,core-id=4: no match found",
    ),
    Refused(
        X,
        (
            f"-M pc,hmat=on -smp 2 {RAM} {N0},initiator=1 -numa node,nodeid=1 -numa "
            "cpu,node-id=0,core-id=0"
        ),
        (
            "-numa cpu,node-id=0,core-id=0: The initiator of CPU NUMA node 0 should be itself "
            "(got 1)"
        ),
    ),
    Refused(
        X,
        (
            f"-M pc,hmat=on -smp 2 {RAM} {N01},initiator=0 -numa cpu,node-id=1,core-id=0 -numa "
            "cpu,node-id=0,core-id=1"
        ),
        (
            "-numa cpu,node-id=1,core-id=0: The initiator of CPU NUMA node 1 should be itself "
            "(got 0)"
        ),
    ),
    Refused(
        X,
        (
            f"-M pc,hmat=on -smp 2 {RAM} {N0},initiator=0 -numa node,nodeid=1,initiator=0 "
            "-numa cpu,node-id=0,core-id=0 -numa cpu,node-id=1,core-id=1"
        ),
        (
            "-numa cpu,node-id=1,core-id=1: The initiator of CPU NUMA node 1 should be itself "
            "(got 0)"
        ),
    ),
    Refused(
        X,
        (
            f"-M pc,hmat=on -smp 2,maxcpus=4 {RAM} {N0},initiator=1 -numa "
            "node,nodeid=1,initiator=1 -numa cpu,node-id=1,core-id=3 -numa "
            "cpu,node-id=0,core-id=0"
        ),
        (
            "-numa cpu,node-id=0,core-id=0: The initiator of CPU NUMA node 0 should be itself "
            "(got 1)"
        ),
    ),
    Refused(
        X,
        (
            f"-M pc,hmat=on -smp 2,maxcpus=4 {RAM} {N0},initiator=1 -numa "
            "node,nodeid=1,initiator=1 -numa cpu,node-id=1,core-id=3 -numa "
            "cpu,node-id=1,core-id=0-2"
        ),
        "-numa cpu,node-id=1,core-id=0-2: Parameter 'core-id' expects an int64 value",
    ),
    Refused(
        X,
        (
            f"-M pc -smp 8,sockets=2,cores=2,threads=2 {RAM} {N012} -numa "
            "cpu,node-id=1,core-id=1 -numa cpu,node-id=2,thread-id=0"
        ),
        "-numa cpu,node-id=2,thread-id=0: CPU is already assigned to node-id: 1",
    ),
    Refused(
        X,
        (
            f"-M pc,hmat=on -smp 2,maxcpus=4 {RAM} {N0},initiator=1 -numa node,nodeid=1 -numa "
            "cpu,node-id=1,core-id=3 -numa cpu,node-id=1,core-id=2 -numa "
            "cpu,node-id=0,core-id=0-1"
        ),
        "-numa cpu,node-id=0,core-id=0-1: Parameter 'core-id' expects an int64 value",
    ),
    Refused(
        A,
        (
            f"-M virt -smp 8,sockets=2,clusters=2 {RAM} {N012} -numa "
            "cpu,node-id=2,socket-id=1,cluster-id=0 -numa cpu,node-id=1,core-id=1"
        ),
        "-numa cpu,node-id=1,core-id=1: CPU is already assigned to node-id: 2",
    ),
    # x86 without x2APIC: every APIC id below 255 (odd counts leave gaps in the ids).
    Refused(X, "-M pc -smp 240,sockets=16,cores=5,threads=3", X2APIC),
    Refused(X, f"-M pc -smp 2,maxcpus=240,sockets=16,cores=5,threads=3 {RAM} {N0}", X2APIC),
    Refused(X, "-M q35 -smp 256", X2APIC),
    Refused(X, "-M microvm -smp 256", X2APIC),
    Refused(X, "-M q35 -smp 4,dies=3,sockets=16,cores=5,maxcpus=240", X2APIC),
    # s390x: threads only up to s390-ccw-virtio-7.1.
    Refused(S, "-M s390-ccw-virtio -smp 2,threads=2", "S390 does not support more than 1 threads."),
]
QEMU_RUNS: list[Runs] = [
    Runs(
        X,
        (
            f"-M pc,hmat=on -smp 2,maxcpus=4 {RAM} {N0},initiator=1 -numa node,nodeid=1 -numa "
            "cpu,node-id=1,core-id=3 -numa cpu,node-id=1,core-id=2 -numa "
            "cpu,node-id=1,core-id=1 -numa cpu,node-id=1,core-id=0"
        ),
        _info(("", 128), ("0 1", 0)),
    ),
    Runs(
        X,
        (
            f"-M pc,hmat=on -smp 2,maxcpus=4 {RAM} {N01} -numa cpu,node-id=1,core-id=3 -numa "
            "hmat-lb,initiator=1,target=0,hierarchy=memory,data-type=access-latency,latency=10"
        ),
        _info(("0 1", 128), ("", 0)),
        (
            _missing(
                "CPU 0 [socket-id: 0, core-id: 0, thread-id: 0]",
                "CPU 1 [socket-id: 0, core-id: 1, thread-id: 0]",
                "CPU 2 [socket-id: 0, core-id: 2, thread-id: 0]",
            ),
            PARTIAL,
        ),
    ),
    Runs(
        X,
        f"-M pc -smp 4,sockets=2,cores=2 {RAM} {N01} -numa cpu,node-id=1,socket-id=1",
        _info(("0 1", 128), ("2 3", 0)),
        (
            _missing(
                "CPU 0 [socket-id: 0, core-id: 0, thread-id: 0]",
                "CPU 1 [socket-id: 0, core-id: 1, thread-id: 0]",
            ),
            PARTIAL,
        ),
    ),
    Runs(
        X,
        (
            f"-M pc -smp 4,sockets=2,cores=2 {RAM} {N01} -numa cpu,node-id=1,socket-id=1 -numa "
            "cpu,node-id=0,socket-id=0"
        ),
        _info(("0 1", 128), ("2 3", 0)),
    ),
    Runs(
        X,
        (
            f"-M q35 -smp 4,dies=2,maxcpus=8,sockets=2 {RAM} {N01} -numa "
            "cpu,node-id=1,die-id=1 -numa cpu,node-id=0,die-id=0"
        ),
        _info(("0 1", 128), ("2 3", 0)),
    ),
    Runs(
        X,
        f"-M q35 -smp 4,dies=2,maxcpus=8,sockets=2 {RAM} {N01} -numa cpu,node-id=1,die-id=1",
        _info(("0 1", 128), ("2 3", 0)),
        (
            _missing(
                "CPU 0 [socket-id: 0, die-id: 0, core-id: 0, thread-id: 0]",
                "CPU 1 [socket-id: 0, die-id: 0, core-id: 1, thread-id: 0]",
                "CPU 4 [socket-id: 1, die-id: 0, core-id: 0, thread-id: 0]",
                "CPU 5 [socket-id: 1, die-id: 0, core-id: 1, thread-id: 0]",
            ),
            PARTIAL,
        ),
    ),
    Runs(
        X,
        (
            f"-M pc -smp 2,maxcpus=4 {RAM} {N01} -numa cpu,node-id=1,core-id=0 -numa "
            "cpu,node-id=0,core-id=1 -numa node,nodeid=2,cpus=2-3"
        ),
        _info(("1", 128), ("0", 0), ("", 0)),
    ),
    Runs(
        X,
        f"-M pc -smp 4 {RAM} {N01} -numa cpu,node-id=1,core-id=1 -numa cpu,node-id=1,core-id=1",
        _info(("0 2 3", 128), ("1", 0)),
        (
            _missing(
                "CPU 0 [socket-id: 0, core-id: 0, thread-id: 0]",
                "CPU 2 [socket-id: 0, core-id: 2, thread-id: 0]",
                "CPU 3 [socket-id: 0, core-id: 3, thread-id: 0]",
            ),
            PARTIAL,
        ),
    ),
    Runs(X, f"-M pc-i440fx-6.1 -smp 6 {RAM} {N012}", _info(("0 3", 128), ("1 4", 0), ("2 5", 0))),
    Runs(X, f"-M pc -smp 6,sockets=3 {RAM} {N01}", _info(("0 1 4 5", 128), ("2 3", 0))),
    Runs(
        X,
        f"-M pc -smp 6,sockets=3,maxcpus=12 {RAM} {N012} -numa cpu,node-id=2,socket-id=2",
        _info(("0 1 2 3 4 5", 128), ("", 0), ("", 0)),
        (
            _missing(
                "CPU 0 [socket-id: 0, core-id: 0, thread-id: 0]",
                "CPU 1 [socket-id: 0, core-id: 1, thread-id: 0]",
                "CPU 2 [socket-id: 0, core-id: 2, thread-id: 0]",
                "CPU 3 [socket-id: 0, core-id: 3, thread-id: 0]",
                "CPU 4 [socket-id: 1, core-id: 0, thread-id: 0]",
                "CPU 5 [socket-id: 1, core-id: 1, thread-id: 0]",
                "CPU 6 [socket-id: 1, core-id: 2, thread-id: 0]",
                "CPU 7 [socket-id: 1, core-id: 3, thread-id: 0]",
            ),
            PARTIAL,
        ),
    ),
    Runs(
        X,
        f"-M pc -smp 0 {RAM} {N01}",
        _info(("0", 128), ("", 0)),
        (
            (
                "warning: Deprecated CPU topology (considered invalid): "
                "CPU topology parameters must be greater than zero"
            ),
        ),
    ),
    Runs(
        X,
        f"-M pc-i440fx-6.1 -smp sockets=2,cores=2,threads=2 {RAM} {N01}",
        _info(("0 1 2 3", 128), ("4 5 6 7", 0)),
    ),
    Runs(
        X,
        f"-M microvm -smp 3 {RAM} {N01} -numa cpu,node-id=1,core-id=2",
        _info(("0 1", 128), ("2", 0)),
        (
            _missing(
                "CPU 0 [socket-id: 0, core-id: 0, thread-id: 0]",
                "CPU 1 [socket-id: 0, core-id: 1, thread-id: 0]",
            ),
            PARTIAL,
        ),
    ),
    Runs(X, f"-M isapc {RAM} {N01} -numa cpu,node-id=1,core-id=0", _info(("", 128), ("0", 0))),
    Runs(
        X,
        (
            f"-M pc,hmat=on -smp 2 {RAM} {N01},initiator=0 -numa cpu,node-id=0,core-id=0 -numa "
            "cpu,node-id=0,core-id=1"
        ),
        _info(("0 1", 128), ("", 0)),
    ),
    Runs(
        A,
        f"-M virt -smp 4,clusters=2,threads=2 {RAM} {N01} -numa cpu,node-id=1,cluster-id=1",
        _info(("0 1", 128), ("2 3", 0)),
        (
            _missing(
                "CPU 0 [socket-id: 0, cluster-id: 0, core-id: 0, thread-id: 0]",
                "CPU 1 [socket-id: 0, cluster-id: 0, core-id: 0, thread-id: 1]",
            ),
            PARTIAL,
        ),
    ),
    Runs(A, f"-M virt -smp 6 {RAM} {N01}", _info(("0 1 2 3 4 5", 128), ("", 0))),
    Runs(A, f"-M virt -smp 6,sockets=3 {RAM} {N01}", _info(("0 1 4 5", 128), ("2 3", 0))),
    Runs(A, f"-M virt-6.1 -smp 6 {RAM} {N01}", _info(("0 2 4", 128), ("1 3 5", 0))),
    Runs(
        A,
        f"-M virt-2.12 -smp 4 {RAM} {N01} -numa cpu,node-id=1,thread-id=0,core-id=0",
        _info(("", 128), ("0 1 2 3", 0)),
    ),
    Runs(
        A,
        f"-M sbsa-ref -smp 4,threads=2 {RAM} {N01} -numa cpu,node-id=1,thread-id=3",
        _info(("0 1 2", 128), ("3", 0)),
        (
            _missing("CPU 0 [thread-id: 0]", "CPU 1 [thread-id: 1]", "CPU 2 [thread-id: 2]"),
            PARTIAL,
        ),
    ),
    Runs(
        A, f"-M sbsa-ref -smp 5,sockets=5 {RAM} {N012}", _info(("0 3", 128), ("1 4", 0), ("2", 0))
    ),
    Runs(
        P,
        f"-M pseries -smp 4 {RAM_512} {N01} -numa cpu,node-id=1,core-id=2",
        _info(("0 1 3", 512), ("2", 0)),
        (
            _missing("CPU 0 [core-id: 0]", "CPU 1 [core-id: 1]", "CPU 3 [core-id: 3]"),
            PARTIAL,
        ),
    ),
    Runs(
        P,
        f"-M pseries -smp 4,maxcpus=8,sockets=2 {RAM_512} {N01} -numa cpu,node-id=1,core-id=6",
        _info(("0 1 2 3", 512), ("", 0)),
        (
            _missing(
                "CPU 0 [core-id: 0]",
                "CPU 1 [core-id: 1]",
                "CPU 2 [core-id: 2]",
                "CPU 3 [core-id: 3]",
                "CPU 4 [core-id: 4]",
                "CPU 5 [core-id: 5]",
                "CPU 7 [core-id: 7]",
            ),
            PARTIAL,
        ),
    ),
    Runs(P, f"-M pseries -smp 4,sockets=2 {RAM_512} {N01}", _info(("0 1", 512), ("2 3", 0))),
    Runs(P, f"-M pseries-6.1 -smp 4 {RAM_512} {N012}", _info(("0 3", 512), ("1", 0), ("2", 0))),
    Runs(P, f"-M pseries -smp 3 {RAM_512}", _info(("0 1 2", 512))),
    Runs(X, "-M pc -smp 128,sockets=2,cores=64", _info()),
    Runs(X, "-M pc -smp 192,sockets=3,cores=64", _info()),
    Runs(S, "-M s390-ccw-virtio-7.1 -smp 2,threads=2", _info()),
]


# -- running machinectl and QEMU ---------------------------------------------------------------


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry()


Outcome = tuple[str, str, tuple[str, ...]]


def machinectl_outcome(registry: Registry, target: str, argv: str) -> Outcome:
    """("error", message, ()) or ("runs", info numa, warnings), as QEMU would print them."""
    try:
        with Machine.from_argv(
            shlex.split(argv), registry=registry, allocate=False, target=target
        ) as machine:
            warnings = tuple(w if ": warning: " in w else f"warning: {w}" for w in machine.warnings)
            return "runs", machine.numa_text(), warnings
    except MachineError as exc:
        return "error", str(exc), ()


#: QEMU's warnings about CPU models and accelerators, which machinectl does not model.
IGNORED = (
    "TCG doesn't support requested feature",
    "This family of AMD CPU doesn't support hyperthreading",
    "Please configure -smp options properly",
)
QMP_INPUT = "\n".join(
    json.dumps(command)
    for command in (
        {"execute": "qmp_capabilities"},
        {"execute": "human-monitor-command", "arguments": {"command-line": "info numa"}},
        {"execute": "quit"},
    )
)


def qemu_outcome(target: str, argv: str) -> Outcome:
    binary = f"qemu-system-{target}"
    args = [binary, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio", *shlex.split(argv)]
    done = subprocess.run(
        args, input=QMP_INPUT, capture_output=True, text=True, timeout=60, check=False
    )
    prefix = f"{binary}: "
    lines = [
        line.removeprefix(prefix)
        for line in done.stderr.splitlines()
        if line and not any(text in line for text in IGNORED)
    ]
    info = None
    for line in done.stdout.splitlines():
        reply = json.loads(line)
        if isinstance(reply.get("return"), str):
            info = reply["return"].replace("\r\n", "\n")
    if info is None:
        errors = [line for line in lines if "warning: " not in line]
        return "error", errors[-1] if errors else done.stderr, ()
    return "runs", info, tuple(lines)


def have_qemu(*targets: str) -> bool:
    return all(shutil.which(f"qemu-system-{target}") for target in targets)


# -- recorded outcomes -------------------------------------------------------------------------


@pytest.mark.parametrize("record", QEMU_ERRORS, ids=[r.argv for r in QEMU_ERRORS])
def test_qemu_errors(record: Refused, registry: Registry) -> None:
    assert machinectl_outcome(registry, record.target, record.argv) == (
        "error",
        record.message,
        (),
    )


@pytest.mark.parametrize("record", QEMU_RUNS, ids=[r.argv for r in QEMU_RUNS])
def test_qemu_info_numa(record: Runs, registry: Registry) -> None:
    assert machinectl_outcome(registry, record.target, record.argv) == (
        "runs",
        record.info_numa,
        record.warnings,
    )


@pytest.mark.parametrize("record", QEMU_RUNS, ids=[r.argv for r in QEMU_RUNS])
def test_query_shows_the_cpus_of_info_numa(record: Runs, registry: Registry) -> None:
    argv = shlex.split(record.argv)
    with Machine.from_argv(argv, registry=registry, allocate=False, target=record.target) as m:
        nodes = m.query()["numa"]
    shown = [line.split(":")[1].split() for line in record.info_numa.splitlines()[1::3]]
    assert [[str(cpu) for cpu in node["cpus"]] for node in nodes] == shown


# -- the topology on its own -------------------------------------------------------------------


def test_a_topology_that_overflows_is_refused() -> None:
    spec = BoardSpec(name="wide", numa=True)
    with pytest.raises(MachineError, match="overflows"):
        parse_smp({"cpus": 4, "cores": 1 << 16, "threads": 1 << 16}, spec, 4096)


def test_a_board_without_limit_stops_at_machinectls() -> None:
    spec = BoardSpec(name="wide", numa=True)
    assert parse_smp({"cpus": 4096}, spec, 4096).max_cpus == 4096
    with pytest.raises(MachineError) as info:
        parse_smp({"cpus": 2, "maxcpus": 4097}, spec, 4096)
    assert str(info.value) == "Invalid SMP CPUs 4097. machinectl supports at most 4096"


def test_cpu_slot_ids_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown CPU slot ids"):
        CpuSlots(("socket-id", "book-id"))
    with pytest.raises(ValueError, match="order"):
        CpuSlots(("core-id", "socket-id"))


def test_slots_of_a_topology() -> None:
    topology = CpuTopology(cpus=4, sockets=2, dies=1, clusters=2, cores=1, threads=2, max_cpus=8)
    slots = possible_cpus(CpuSlots(("socket-id", "cluster-id", "core-id", "thread-id")), topology)
    assert [slot.describe() for slot in slots[5:7]] == [
        "socket-id: 1, cluster-id: 0, core-id: 0, thread-id: 1",
        "socket-id: 1, cluster-id: 1, core-id: 0, thread-id: 0",
    ]
    per_core = possible_cpus(CpuSlots(("core-id",), per_core=True, flat=True), topology)
    assert [(list(slot.cpus), slot.describe()) for slot in per_core[:2]] == [
        ([0, 1], "core-id: 0"),
        ([2, 3], "core-id: 2"),
    ]


# -- generated command lines, through QEMU and machinectl --------------------------------------

#: (target, machine type, RAM and node 0's backend) of the boards the generator picks from.
BOARDS = (
    (X, "pc", RAM),
    (X, "pc-i440fx-6.1", RAM),
    (X, "q35", RAM),
    (X, "microvm", RAM),
    (A, "virt", RAM),
    (A, "virt-6.1", RAM),
    (A, "sbsa-ref", RAM),
    (P, "pseries", RAM_512),
    (P, "pseries-6.1", RAM_512),
)
SMP_MEMBERS = ("cpus", "sockets", "dies", "clusters", "cores", "threads", "maxcpus")
CPU_IDS = ("socket-id", "die-id", "cluster-id", "core-id", "thread-id")
RANDOM_LINES = 100
RANDOM_SEED = 7202


def random_line(rng: random.Random) -> tuple[str, str]:
    """A command line with a random -smp topology, nodes and -numa cpu options."""
    target, machine, ram = rng.choice(BOARDS)
    hmat = target == X and rng.random() < 0.2
    args = [f"-M {machine},hmat=on" if hmat else f"-M {machine}"]
    if rng.random() < 0.3:
        # Any members, most of them at odds.
        values = {key: rng.choice((1, 1, 2, 2, 3, 4, 6, 8)) for key in SMP_MEMBERS}
        keep = 0.3
    else:
        # A topology that adds up, the board's own levels only, some members left out.
        values = {key: rng.randint(1, 2) for key in ("sockets", "cores", "threads")}
        values["dies"] = rng.randint(1, 2) if machine in ("pc", "q35") else 1
        values["clusters"] = rng.randint(1, 2) if machine.startswith("virt") else 1
        values["maxcpus"] = math.prod(values.values())
        values["cpus"] = rng.randint(1, values["maxcpus"])
        keep = 0.6
    members = [f"{key}={values[key]}" for key in SMP_MEMBERS if rng.random() < keep]
    if members:
        args.append("-smp " + ",".join(members))
    args.append(ram)
    nodes = rng.randint(1, 3)
    for nodeid in range(nodes):
        node = f"-numa node,nodeid={nodeid}" + (",memdev=m0" if nodeid == 0 else "")
        if rng.random() < 0.2:
            first = rng.randint(0, 5)
            node += f",cpus={first}" + (f"-{first + 1}" if rng.random() < 0.5 else "")
        if hmat and rng.random() < 0.4:
            node += f",initiator={rng.randrange(nodes)}"
        args.append(node)
    for _ in range(rng.randint(0, 3)):
        nodeid = rng.randrange(nodes + (rng.random() < 0.1))
        ids = "".join(f",{name}={rng.randint(0, 2)}" for name in CPU_IDS if rng.random() < 0.3)
        args.append(f"-numa cpu,node-id={nodeid}{ids}")
    return target, " ".join(args)


@pytest.mark.skipif(not have_qemu(X, A, P), reason="QEMU 7.2's binaries are not installed")
def test_random_lines_match_qemu(registry: Registry) -> None:
    rng = random.Random(RANDOM_SEED)
    lines = [random_line(rng) for _ in range(RANDOM_LINES)]
    deadline = time.monotonic() + 60
    differ = []
    for target, argv in lines:
        if time.monotonic() > deadline:
            break
        ours = machinectl_outcome(registry, target, argv)
        theirs = qemu_outcome(target, argv)
        if ours != theirs:
            differ.append(f"{target} {argv}\n  QEMU: {theirs}\n  machinectl: {ours}")
    assert not differ, "\n".join(differ)
