#!/usr/bin/env python3
"""Record QMP sessions with a real QEMU binary: the transcripts ``tests/test_qmp.py`` replays.

Each session starts ``qemu-system-TARGET ARGS... -display none -S -nodefaults -qmp
unix:SOCKET,server=on,wait=off``, connects to the socket, keeps the greeting, sends each
message of the session as one line and keeps every line QEMU writes back until the reply
(events included), then quits. Host paths the session names (``{dir}``, a scratch folder) are
written as the placeholder in the transcript.

    python3 tools/qmp_recorder.py                        # every session into tests/data/
    python3 tools/qmp_recorder.py --only NAME...         # these (and new) sessions only
    python3 tools/qmp_recorder.py --machines             # query-machines of each binary

The second form records what the ``qmp`` package ships: the facts of ``query-machines`` per
binary (``core/machinectl/qmp/qemu72_machines.json``). Needs QEMU 7.2 (Debian's
qemu-system-*); not used by the tests themselves. A socket path is always inside a fresh
scratch folder: QEMU removes whatever file is at the path it is told to listen on.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TRANSCRIPTS = ROOT / "tests" / "data" / "qmp_qemu72.json"
MACHINES = ROOT / "core" / "machinectl" / "qmp" / "qemu72_machines.json"
#: QEMU binaries whose machine types machinectl's targets answer for (see ``qmp.target``).
BINARIES = (
    "aarch64", "alpha", "arm", "cris", "hppa", "i386", "m68k", "mips", "mips64", "mips64el",
    "mipsel", "ppc", "ppc64", "riscv32", "riscv64", "s390x", "sparc", "sparc64", "x86_64",
)  # fmt: skip

Session = dict[str, Any]


def _cmd(execute: str, **arguments: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"execute": execute}
    if arguments:
        message["arguments"] = arguments
    return message


def _hmp(line: str) -> dict[str, Any]:
    return _cmd("human-monitor-command", **{"command-line": line})


GiB, MiB = 1 << 30, 1 << 20


#: (object, property, value) set at run time, allowed or refused as QEMU decides.
QOM_SETS: list[tuple[str, str, Any]] = [
    ("m0", "size", 2 * MiB), ("m0", "size", "x"), ("m0", "share", True),
    ("m0", "merge", False), ("m0", "dump", False), ("m0", "merge", "x"),
    ("m0", "prealloc", True), ("m0", "prealloc", False),
    ("m0", "prealloc-threads", 2), ("m0", "prealloc-threads", 0),
    ("m0", "policy", "bind"), ("m0", "policy", "bogus"), ("m0", "host-nodes", [0]),
    ("m0", "reserve", False), ("m0", "x-use-canonical-path-for-ramblock-id", True),
    ("m0", "prealloc-context", "nope"), ("m0", "prealloc-context", "tc"),
    ("m0", "prealloc-context", "mf"), ("m0", "type", "x"), ("m0", "nope", 1),
    ("f0", "mem-path", "/tmp/y"), ("f0", "readonly", True), ("f0", "discard-data", True),
    ("f0", "align", 4096), ("f0", "pmem", True),
    ("mf", "hugetlb", True), ("mf", "seal", False), ("mf", "hugetlbsize", 2 * MiB),
    ("mf", "share", False),
]  # fmt: skip


def _tc(object_id: str, **properties: Any) -> dict[str, Any]:
    return _cmd("object-add", **{"qom-type": "thread-context", "id": object_id, **properties})


def _ram(object_id: str, **properties: Any) -> dict[str, Any]:
    return _cmd(
        "object-add",
        **{"qom-type": "memory-backend-ram", "id": object_id, "size": MiB, **properties},
    )


#: The sessions: a name, the target, the command line, and the messages sent after the greeting.
SESSIONS: list[Session] = [
    {
        "name": "virt-1G",
        "target": "aarch64",
        "argv": ["-M", "virt", "-m", "1G"],
        "send": [
            _cmd("query-version"),
            {"execute": "qmp_capabilities", "id": "negotiate"},
            {"execute": "qmp_capabilities", "id": 2},
            {"execute": "query-version", "id": {"any": ["json", 1, None, True]}},
            _cmd("query-target"),
            _cmd("query-status"),
            _cmd("query-memdev"),
            _cmd("query-memory-size-summary"),
            _cmd("query-memory-devices"),
            {"execute": "no-such-command", "id": 5},
            _cmd("query-status", bogus=1),
            _cmd("qom-list", path="/objects"),
            _cmd("qom-list", path="/objects/mach-virt.ram"),
            _cmd("qom-get", path="/objects/mach-virt.ram", property="size"),
            _cmd("qom-get", path="/objects/mach-virt.ram", property="policy"),
            _cmd("qom-get", path="/objects/mach-virt.ram", property="host-nodes"),
            _cmd("qom-get", path="/objects/mach-virt.ram", property="prealloc-threads"),
            _cmd("qom-get", path="/objects/mach-virt.ram", property="type"),
            _cmd("qom-get", path="/objects/mach-virt.ram", property="nope"),
            _cmd("qom-get", path="/objects/nope", property="size"),
            _cmd("qom-list-types", implements="memory-backend"),
            _cmd("qom-list-types", implements="memory-backend", abstract=True),
            _cmd("object-add", **{"qom-type": "memory-backend-memfd", "id": "m1", "size": GiB}),
            _cmd("object-add", **{"qom-type": "memory-backend-memfd", "id": "m1", "size": GiB}),
            _cmd("object-add", **{"qom-type": "memory-backend-ram", "id": "r", "size": "1M"}),
            _cmd(
                "object-add", **{"qom-type": "memory-backend-ram", "id": "r", "size": MiB, "x": 1}
            ),
            _cmd("object-add", **{"qom-type": "memory-backend-ram", "id": "r", "size": 0}),
            _cmd("object-add", **{"qom-type": "memory-backend-ram", "id": "r", "share": "on"}),
            _cmd("object-add", **{"qom-type": "memory-backend-ram", "id": "1r", "size": MiB}),
            _cmd("object-add", **{"qom-type": "memory-backend-ram", "size": MiB}),
            _cmd("object-add", **{"qom-type": "memory-backend-nope", "id": "r", "size": MiB}),
            _cmd("object-add", **{"qom-type": "memory-backend-file", "id": "f", "size": MiB}),
            _cmd(
                "object-add",
                **{"qom-type": "memory-backend-ram", "id": "r", "size": MiB, "policy": "fast"},
            ),
            _cmd(
                "object-add",
                **{
                    "qom-type": "memory-backend-ram",
                    "id": "r2",
                    "size": 2 * MiB,
                    "prealloc": True,
                    "prealloc-threads": 2,
                    "merge": False,
                },
            ),
            _cmd(
                "object-add",
                **{
                    "qom-type": "memory-backend-file",
                    "id": "f1",
                    "size": MiB,
                    "mem-path": "{dir}/f1",
                    "share": True,
                },
            ),
            _cmd("query-memdev"),
            _cmd("qom-list", path="/objects"),
            _cmd("qom-list", path="/objects/f1"),
            _cmd("qom-list", path="/objects/m1"),
            _cmd("qom-get", path="/objects/f1", property="mem-path"),
            _cmd("qom-get", path="/objects/f1", property="align"),
            _cmd("qom-get", path="/objects/f1", property="discard-data"),
            _cmd("qom-get", path="/objects/f1", property="readonly"),
            _cmd("qom-get", path="/objects/f1", property="pmem"),
            _cmd("qom-get", path="/objects/f1", property="prealloc-context"),
            _cmd("qom-get", path="/objects/f1", property="f1[0]"),
            _cmd("qom-get", path="/objects/m1", property="seal"),
            _cmd("qom-get", path="/objects/m1", property="hugetlb"),
            _cmd("qom-get", path="/objects/m1", property="hugetlbsize"),
            _cmd("qom-get", path="/objects/m1", property="share"),
            _cmd("qom-get", path="/objects/r2", property="prealloc-threads"),
            _cmd("qom-get", path="/objects/r2", property="x-use-canonical-path-for-ramblock-id"),
            _hmp("info memdev"),
            _cmd("object-del", id="m1"),
            _cmd("object-del", id="m1"),
            _cmd("object-del", id="mach-virt.ram"),
            _cmd("object-del", id="f1"),
            _cmd("object-del", id="r2"),
            _cmd("object-del"),
            _cmd("query-memdev"),
            _hmp("info mtree"),
            _hmp("info mtree -f"),
            _hmp("info numa"),
            _hmp("info memdev"),
            _hmp("info memory_size_summary"),
            _hmp("info memory-devices"),
            _hmp("info mtree -x"),
            _hmp("info memdev extra"),
            _hmp("info nothing"),
            _hmp("nothing"),
            _hmp(""),
            _cmd("human-monitor-command"),
            {"execute": "query-status", "control": {}},
            {"execute": 5},
            {"exec-oob": "query-status"},
            [1, 2],
            "text",
            _cmd("quit", x=1),
            _cmd("quit"),
        ],
    },
    {
        "name": "virt-numa",
        "target": "aarch64",
        "argv": [
            "-M",
            "virt",
            "-m",
            "256M",
            "-smp",
            "2",
            "-object",
            "memory-backend-ram,id=n0,size=128M",
            "-object",
            "memory-backend-memfd,id=n1,size=128M,prealloc=on",
            "-numa",
            "node,nodeid=0,cpus=0,memdev=n0",
            "-numa",
            "node,nodeid=1,cpus=1,memdev=n1",
        ],
        "send": [
            _cmd("qmp_capabilities"),
            _cmd("query-memdev"),
            _cmd("query-memory-size-summary"),
            _cmd("qom-list", path="/objects"),
            _cmd("qom-get", path="/objects/n1", property="prealloc"),
            _cmd("qom-get", path="/objects/n1", property="prealloc-threads"),
            _cmd("object-del", id="n0"),
            _hmp("info numa"),
            _hmp("info mtree -f"),
            _hmp("info memdev"),
            _cmd("quit"),
        ],
    },
    {
        "name": "pc-memory-backend",
        "target": "x86_64",
        "argv": [
            "-M",
            "pc-i440fx-7.2,memory-backend=mem",
            "-m",
            "512M",
            "-object",
            "memory-backend-ram,id=mem,size=512M,host-nodes=0,policy=bind",
        ],
        "send": [
            _cmd("qmp_capabilities"),
            _cmd("query-target"),
            _cmd("query-memdev"),
            _cmd("query-memory-size-summary"),
            _cmd("query-memory-devices"),
            _cmd("qom-list", path="/objects/mem"),
            _cmd("qom-get", path="/objects/mem", property="host-nodes"),
            _cmd("qom-get", path="/objects/mem", property="policy"),
            _cmd("object-del", id="mem"),
            _hmp("info memory_size_summary"),
            _hmp("info mtree -f"),
            _hmp("info numa"),
            _cmd("quit"),
        ],
    },
    {
        "name": "none",
        "target": "x86_64",
        "argv": ["-M", "none"],
        "send": [
            _cmd("qmp_capabilities"),
            _cmd("query-target"),
            _cmd("query-memdev"),
            _cmd("query-memory-size-summary"),
            _hmp("info mtree -f"),
            _hmp("info numa"),
            _cmd("quit"),
        ],
    },
    {
        "name": "thread-contexts",
        "target": "x86_64",
        "argv": [
            "-M",
            "none",
            "-object",
            "thread-context,id=tc0,cpu-affinity=0",
            "-object",
            "memory-backend-ram,id=m0,size=1M",
        ],
        "send": [
            _cmd("qmp_capabilities"),
            _cmd("qom-list", path="/objects"),
            _cmd("qom-list", path="/objects/tc0"),
            _cmd("qom-get", path="/objects/tc0", property="cpu-affinity"),
            _cmd("qom-get", path="/objects/tc0", property="node-affinity"),
            _cmd("qom-get", path="/objects/tc0", property="type"),
            _cmd("qom-get", path="/objects/tc0", property="nope"),
            _cmd("qom-get", path="/objects", property="tc0"),
            _cmd("qom-list-types", implements="thread-context"),
            _tc("tc0"),
            _tc("tc0", **{"cpu-affinity": []}),
            _tc("tc0", **{"node-affinity": [4095]}),
            _tc("tc0", **{"cpu-affinity": [4095]}),
            _tc("t1", **{"cpu-affinity": [0], "node-affinity": [0]}),
            _tc("t1", **{"node-affinity": [0], "cpu-affinity": []}),
            _tc("t1", **{"node-affinity": []}),
            _tc("t1", **{"cpu-affinity": [4095]}),
            _tc("t1", **{"thread-id": 3}),
            _tc("t1", **{"cpu-affinity": "0"}),
            _tc("t1", **{"cpu-affinity": [0, 70000]}),
            _tc("1t", **{"cpu-affinity": []}),
            _tc("m0"),
            _cmd("object-add", **{"qom-type": "thread-context"}),
            _cmd("object-add", **{"qom-type": "memory-backend-ram", "id": "tc0", "size": MiB}),
            _tc("t2", **{"cpu-affinity": [0]}),
            _cmd("qom-get", path="t2", property="cpu-affinity"),
            _cmd("qom-list", path="/objects"),
            _ram("m1", **{"prealloc": True, "prealloc-context": "nope"}),
            _ram("m1", **{"prealloc-context": "m1"}),
            _ram("m1", **{"prealloc-context": "m0"}),
            _ram("m1", **{"prealloc-context": "/objects"}),
            _ram("m1", **{"prealloc-context": "t2"}),
            _ram("m2", **{"prealloc-context": "/objects/tc0", "prealloc": True}),
            _cmd("qom-get", path="/objects/m1", property="prealloc-context"),
            _cmd("qom-get", path="/objects/m0", property="prealloc-context"),
            _cmd("object-del", id="tc0"),
            _cmd("qom-get", path="/objects/m2", property="prealloc-context"),
            _cmd("qom-list", path="/objects"),
            _tc("m2"),
            _cmd("qom-set", path="/objects/t2", property="cpu-affinity", value=[0]),
            _cmd("qom-set", path="/objects/t2", property="node-affinity", value=[0]),
            _cmd("qom-set", path="/objects/t2", property="cpu-affinity", value=[4095]),
            _cmd("qom-set", path="/objects/t2", property="cpu-affinity", value=[]),
            _cmd("qom-set", path="/objects/t2", property="node-affinity", value=[]),
            _cmd("qom-set", path="/objects/t2", property="node-affinity", value=[4095]),
            _cmd("qom-set", path="/objects/t2", property="thread-id", value=3),
            _cmd("qom-set", path="/objects/t2", property="nope", value=3),
            _cmd("qom-set", path="/objects/t2", property="cpu-affinity", value="1"),
            _cmd("qom-set", path="/objects/t2", property="cpu-affinity", value=[-1]),
            _cmd("qom-set", path="/objects/t2", property="cpu-affinity", value=[0]),
            _cmd("qom-get", path="/objects/t2", property="cpu-affinity"),
            _cmd("object-del", id="t2"),
            _cmd("object-del", id="t2"),
            _cmd("object-del", id="m1"),
            _cmd("qom-list", path="/objects"),
            _cmd("query-memdev"),
            _cmd("quit"),
        ],
    },
    {
        "name": "backend-qom-set",
        "target": "x86_64",
        "argv": [
            *("-M", "none", "-object", "memory-backend-ram,id=m0,size=1M"),
            *("-object", "memory-backend-memfd,id=mf,size=1M"),
            *("-object", "thread-context,id=tc,cpu-affinity=0"),
        ],
        "send": [
            _cmd("qmp_capabilities"),
            _cmd(
                "object-add",
                **{
                    "qom-type": "memory-backend-file",
                    "id": "f0",
                    "size": MiB,
                    "mem-path": "{dir}/f0",
                },
            ),
            *(
                _cmd("qom-set", path=f"/objects/{path}", property=name, value=value)
                for path, name, value in QOM_SETS
            ),
            *(
                _cmd("qom-get", path="/objects/m0", property=name)
                for name in (
                    "merge",
                    "dump",
                    "policy",
                    "prealloc",
                    "prealloc-threads",
                    "host-nodes",
                    "prealloc-context",
                )
            ),
            _cmd("query-memdev"),
            _cmd("quit"),
        ],
    },
]


class Peer:
    """A QMP connection read line by line."""

    def __init__(self, path: str):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.buffer = b""

    def line(self) -> Any:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("QEMU closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def exchange(self, message: Any) -> list[Any]:
        """Send one message; every line up to and including its reply."""
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if isinstance(line, dict) and ("return" in line or "error" in line):
                return lines

    def close(self) -> None:
        self.sock.close()


def _substitute(value: Any, placeholder: str, text: str) -> Any:
    if isinstance(value, str):
        return value.replace(placeholder, text)
    if isinstance(value, list):
        return [_substitute(v, placeholder, text) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, placeholder, text) for k, v in value.items()}
    return value


def _timeless(line: Any) -> Any:
    if isinstance(line, dict) and "timestamp" in line:
        return {**line, "timestamp": {"seconds": 0, "microseconds": 0}}
    return line


def record(session: Session) -> Session:
    """Run one session against its QEMU binary; the transcript with ``{dir}`` put back."""
    binary = f"qemu-system-{session['target']}"
    with tempfile.TemporaryDirectory(prefix="qmp-record-") as scratch:
        sock = f"{scratch}/qmp.sock"
        argv = [binary, *session["argv"], "-display", "none", "-S", "-nodefaults"]
        argv += ["-qmp", f"unix:{sock},server=on,wait=off"]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(300):
                if Path(sock).exists():
                    break
                time.sleep(0.02)
            peer = Peer(sock)
            exchanges: list[dict[str, Any]] = [{"send": None, "recv": [peer.line()]}]
            for message in session["send"]:
                sent = _substitute(message, "{dir}", scratch)
                recv = peer.exchange(sent)
                exchanges.append(
                    {"send": message, "recv": [_substitute(r, scratch, "{dir}") for r in recv]}
                )
            peer.close()
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for exchange in exchanges:
        exchange["recv"] = [_timeless(line) for line in exchange["recv"]]
    return {**session, "binary": binary, "exchanges": exchanges}


def query_machines(target: str) -> list[dict[str, Any]]:
    """``query-machines`` of ``qemu-system-TARGET``, sorted by name."""
    binary = f"qemu-system-{target}"
    script = "".join(
        json.dumps({"execute": c}) + "\n" for c in ("qmp_capabilities", "query-machines", "quit")
    )
    proc = subprocess.run(
        [binary, "-M", "none", "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for line in proc.stdout.splitlines():
        reply = json.loads(line)
        machines = reply.get("return")
        if isinstance(machines, list):
            return sorted(machines, key=lambda m: m["name"])
    raise RuntimeError(f"{binary}: no query-machines reply")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--machines", action="store_true", help="record query-machines")
    parser.add_argument(
        "--only", nargs="+", default=[], metavar="NAME", help="record these sessions (and new ones)"
    )
    args = parser.parse_args(argv)
    if args.machines:
        data = {target: query_machines(target) for target in BINARIES}
        MACHINES.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        print(f"{MACHINES}: {sum(len(v) for v in data.values())} machine types")
        return 0
    if args.only:
        recorded = {s["name"]: s for s in json.loads(TRANSCRIPTS.read_text())}
        for session in SESSIONS:
            if session["name"] in args.only or session["name"] not in recorded:
                recorded[session["name"]] = record(session)
        sessions = [recorded[s["name"]] for s in SESSIONS]
    else:
        sessions = [record(session) for session in SESSIONS]
    TRANSCRIPTS.write_text(json.dumps(sessions, indent=1) + "\n")
    print(f"{TRANSCRIPTS}: {len(sessions)} sessions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
