"""QMP under load: machinectl's server against QEMU 7.2's, driven the same way.

For each server (``machinectl run`` and ``qemu-system-x86_64``, both ``-M none -m 64M`` with
``-qmp unix:SOCKET,server=on,wait=off``) it measures:

* clients: ``--clients`` raw clients, each connecting, negotiating, asking ``query-status``
  and leaving, one after the other; for machinectl also all at once (a QEMU monitor serves
  one client at a time, the next waits until it leaves);
* round trip: the median time of ``query-memdev`` on one connection;
* add/del: the median time of ``object-add`` plus ``object-del`` of a ``--size`` MiB
  ``memory-backend-memfd`` (allocated for real by both), repeated ``--repeat`` times;
* the server's open descriptors before and after all that (machinectl must end where it
  started).

Usage: ``python benchmarks/qmp.py [--clients 200] [--repeat 50] [--size 256]``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


class Client:
    def __init__(self, path: str, negotiate: bool = True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.file = self.sock.makefile("rb")
        self.file.readline()
        if negotiate:
            self.ask({"execute": "qmp_capabilities"})

    def ask(self, message: Any) -> Any:
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        while True:
            reply = json.loads(self.file.readline())
            if "return" in reply or "error" in reply:
                return reply

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def start(argv: list[str], sock: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [*argv, "-M", "none", "-m", "64M", "-qmp", f"unix:{sock},server=on,wait=off"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(1000):
        # QEMU creates the file when it binds, before it listens: wait until it accepts.
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(sock))
            return proc
        except OSError:
            time.sleep(0.01)
        finally:
            probe.close()
    proc.kill()
    raise RuntimeError(f"{argv[0]}: no socket")


def measure(name: str, argv: list[str], args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        sock = Path(scratch) / "qmp.sock"
        proc = start(argv, sock)
        try:
            first = Client(str(sock))
            first.ask({"execute": "query-status"})
            fds = len(os.listdir(f"/proc/{proc.pid}/fd"))

            def one() -> None:
                client = Client(str(sock))
                client.ask({"execute": "query-status"})
                client.close()

            first.close()  # a QEMU monitor serves one client at a time
            began = time.perf_counter()
            for _ in range(args.clients):
                one()
            serial = time.perf_counter() - began
            concurrent = None
            if name == "machinectl":
                began = time.perf_counter()
                threads = [threading.Thread(target=one) for _ in range(args.clients)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                concurrent = round(time.perf_counter() - began, 3)
            first = Client(str(sock))
            trips = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                first.ask({"execute": "query-memdev"})
                trips.append(time.perf_counter() - began)
            cycles = []
            backend = {
                "qom-type": "memory-backend-memfd",
                "id": "b",
                "size": args.size << 20,
                "prealloc": True,
            }
            for _ in range(args.repeat):
                began = time.perf_counter()
                assert "return" in first.ask({"execute": "object-add", "arguments": backend})
                assert "return" in first.ask({"execute": "object-del", "arguments": {"id": "b"}})
                cycles.append(time.perf_counter() - began)
            time.sleep(0.2)
            fds_after = len(os.listdir(f"/proc/{proc.pid}/fd"))
            first.ask({"execute": "quit"})
            first.close()
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return {
        "server": name,
        "clients_one_by_one_s": round(serial, 3),
        "clients_at_once_s": concurrent,
        "roundtrip_ms": round(statistics.median(trips) * 1000, 3),
        "add_del_ms": round(statistics.median(cycles) * 1000, 2),
        "fds": f"{fds} -> {fds_after}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--size", type=int, default=256, help="MiB of each added backend")
    args = parser.parse_args()
    servers = [("machinectl", [sys.executable, "-m", "machinectl.cli", "run"])]
    if os.path.exists("/usr/bin/qemu-system-x86_64"):
        servers.append(("qemu 7.2", ["qemu-system-x86_64", "-display", "none", "-S"]))
    for name, argv in servers:
        print(json.dumps(measure(name, argv, args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
