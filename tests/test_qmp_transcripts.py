"""machinectl's QMP answers against QEMU 7.2's, message by message.

``tests/data/qmp_qemu72.json`` holds sessions recorded with QEMU 7.2 by
``tools/qmp_recorder.py``: the command line, every message sent and every line QEMU wrote
back. Each session is replayed here against ``machinectl run`` with the same command line,
on a real Unix socket, and the lines must be equal, except for what legitimately differs:

* the version triple's ``micro`` and the ``package`` (QEMU's build, machinectl's name);
* event timestamps;
* ``info mtree``: machinectl's map holds memory, not devices, and one address space, so
  the lines of RAM regions are compared: each distinct line, in order of first appearance
  (QEMU repeats them for every address space that shows the system memory).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data" / "qmp_qemu72.json"
SESSIONS: list[dict[str, Any]] = json.loads(DATA.read_text())
#: machinectl's target for each QEMU binary the sessions were recorded with.
TARGETS = {"aarch64": "aarch64", "x86_64": "x86_64"}
_RAM_LINE = re.compile(r"\(prio -?\d+, ram\)")


def normalized(line: Any) -> Any:
    """A line of a transcript with what legitimately differs taken out."""
    if not isinstance(line, dict):
        return line
    line = dict(line)
    if "QMP" in line:
        version = line["QMP"]["version"]
        line["QMP"] = {**line["QMP"], "version": _version(version)}
    if "timestamp" in line:
        line["timestamp"] = None
    value = line.get("return")
    if isinstance(value, dict) and "package" in value:
        line["return"] = _version(value)
    if isinstance(value, str) and ("FlatView" in value or "address-space:" in value):
        ram = [text for text in value.split("\r\n") if _RAM_LINE.search(text)]
        line["return"] = list(dict.fromkeys(ram))
    return line


def _version(version: dict[str, Any]) -> dict[str, Any]:
    qemu = version["qemu"]
    return {"qemu": {"major": qemu["major"], "minor": qemu["minor"]}, "package": None}


class Peer:
    def __init__(self, path: str):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.buffer = b""

    def line(self) -> Any:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        assert line.endswith(b"\r"), "QMP lines end with CR LF"
        return json.loads(line)

    def exchange(self, message: Any) -> list[Any]:
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        lines = []
        while True:
            lines.append(self.line())
            if isinstance(lines[-1], dict) and ("return" in lines[-1] or "error" in lines[-1]):
                return lines


def _substitute(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_substitute(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, old, new) for k, v in value.items()}
    return value


def wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    for _ in range(500):
        if path.exists():
            return
        if proc.poll() is not None:
            raise AssertionError(proc.communicate()[1])
        time.sleep(0.01)
    raise AssertionError(f"{path} never appeared")


@pytest.mark.parametrize("session", SESSIONS, ids=[s["name"] for s in SESSIONS])
def test_session_matches_qemu(session: dict[str, Any], tmp_path: Path) -> None:
    sock = tmp_path / "qmp.sock"
    argv = [sys.executable, "-m", "machinectl.cli", "run", "--target", TARGETS[session["target"]]]
    argv += [*session["argv"], "-qmp", f"unix:{sock},server=on,wait=off"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(sock, proc)
        peer = Peer(str(sock))
        ours = [{"send": None, "recv": [peer.line()]}]
        for exchange in session["exchanges"][1:]:
            sent = _substitute(exchange["send"], "{dir}", str(tmp_path))
            recv = [_substitute(r, str(tmp_path), "{dir}") for r in peer.exchange(sent)]
            ours.append({"send": exchange["send"], "recv": recv})
        peer.sock.close()
        assert proc.wait(timeout=30) == 0, proc.communicate()[1]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    for theirs, mine in zip(session["exchanges"], ours, strict=True):
        expected = [normalized(line) for line in theirs["recv"]]
        assert [normalized(line) for line in mine["recv"]] == expected, theirs["send"]
    assert not sock.exists(), "the socket is removed when the machine quits"
