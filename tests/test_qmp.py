"""QMP: the commands in-process, the server driven by QEMU's own client, hostile clients.

The server runs in another thread (its own event loop) or another process (``machinectl
run``); the clients are ``qemu.qmp.QMPClient`` (PyPI ``qemu-qmp``) or raw sockets where a
client must misbehave.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from machinectl import Machine, MachineError
from machinectl.options import CommandLine, MonitorOption
from machinectl.qmp.commands import COMMANDS, QmpError, recorded_machines
from machinectl.qmp.qjson import MessageParser
from machinectl.qmp.qom import ChildTable, qemu_order, str_hash
from machinectl.qmp.server import QmpServer, bind_monitor
from qemu.qmp import ExecuteError, QMPClient

CLI = [sys.executable, "-m", "machinectl.cli"]
GiB, MiB = 1 << 30, 1 << 20


def maps_of(pid: int | str = "self") -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


# -- in-process ----------------------------------------------------------------------------------


@pytest.fixture
def virt() -> Iterator[Machine]:
    with Machine.from_argv(["-M", "virt", "-m", "128M"], target="arm") as machine:
        yield machine


def test_every_command_runs_in_process(virt: Machine) -> None:
    assert virt.qmp("query-target") == {"arch": "aarch64"}
    assert virt.qmp("query-status") == {
        "status": "prelaunch",
        "singlestep": False,
        "running": False,
    }
    version = virt.qmp("query-version")
    assert version["qemu"]["major"] == 7 and version["qemu"]["minor"] == 2
    assert version["package"].startswith("machinectl ")
    names = {c["name"] for c in virt.qmp("query-commands")}
    assert names == set(COMMANDS)
    assert virt.qmp("query-memory-size-summary") == {"base-memory": 128 * MiB, "plugged-memory": 0}
    assert virt.qmp("query-memory-devices") == []
    assert [m["id"] for m in virt.qmp("query-memdev")] == ["mach-virt.ram"]
    assert virt.qmp("qom-get", path="/objects/mach-virt.ram", property="size") == 128 * MiB
    assert virt.qmp("qom-get", path="mach-virt.ram", property="policy") == "default"
    assert virt.qmp("qom-get", path="/objects", property="type") == "container"
    types = virt.qmp("qom-list-types", implements="memory-backend")
    assert [t["name"] for t in types] == [
        "memory-backend-file",
        "memory-backend-memfd",
        "memory-backend-ram",
    ]
    assert virt.qmp("human-monitor-command", **{"command-line": "info numa"}) == "0 nodes\r\n"
    assert "mach-virt.ram" in virt.qmp("human-monitor-command", **{"command-line": "info mtree"})
    machines = {m["name"]: m for m in virt.qmp("query-machines")}
    assert machines["virt-7.2"]["alias"] == "virt"
    assert machines["virt-7.2"]["default-ram-id"] == "mach-virt.ram"
    assert virt.qmp("quit") == {}


def test_errors_carry_qemu_classes(virt: Machine) -> None:
    with pytest.raises(QmpError) as info:
        virt.qmp("no-such-command")
    assert info.value.error_class == "CommandNotFound"
    assert str(info.value) == "The command no-such-command has not been found"
    with pytest.raises(QmpError, match=r"Device '/objects/gone' not found") as info:
        virt.qmp("qom-get", path="/objects/gone", property="size")
    assert info.value.error_class == "DeviceNotFound"
    with pytest.raises(QmpError, match=r"Parameter 'path' is missing"):
        virt.qmp("qom-list")
    with pytest.raises(QmpError, match="Invalid parameter type for 'path', expected: string"):
        virt.qmp("qom-list", path=5)
    # A QmpError is a MachineError: a program catches one root.
    assert issubclass(QmpError, MachineError)


def test_object_add_allocates_and_object_del_frees(virt: Machine) -> None:
    virt.qmp("object-add", **{"qom-type": "memory-backend-memfd", "id": "big", "size": GiB})
    backend = next(b for b in virt.backends if b.id == "big")
    start = f"{backend.host_address:x}-"
    assert any(line.startswith(start) and "memfd:big" in line for line in maps_of().splitlines())
    assert "big" in [m["id"] for m in virt.qmp("query-memdev")]
    assert virt.qmp("qom-get", path="/objects/big", property="big[0]") == "/objects/big/big[0]"
    virt.qmp("object-del", id="big")
    assert start not in maps_of()
    assert "big" not in [m["id"] for m in virt.qmp("query-memdev")]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"qom-type": "memory-backend-ram", "id": "x", "size": "1M"},
            "Parameter 'size' expects uint64",
        ),
        (
            {"qom-type": "memory-backend-ram", "id": "x", "size": 1, "bad": 1},
            "Parameter 'bad' is unexpected",
        ),
        (
            {"qom-type": "memory-backend-ram", "id": "x", "size": 1, "prealloc-threads": 1 << 32},
            "Parameter 'prealloc-threads' expects uint32_t",
        ),
        (
            {"qom-type": "memory-backend-ram", "id": "x", "size": 1, "host-nodes": 0},
            "Invalid parameter type for 'host-nodes', expected: array",
        ),
        (
            {"qom-type": "memory-backend-ram", "id": "x", "size": MiB, "host-nodes": [0]},
            "host-nodes must be empty for policy default, or you should explicitly specify a "
            "policy other than default",
        ),
        (
            {"qom-type": "memory-backend-file", "id": "x", "size": MiB, "mem-path": "/none/f"},
            "can't open backing store /none/f for guest RAM: No such file or directory",
        ),
        (
            {"qom-type": "memory-backend-ram", "id": "mach-virt.ram", "size": MiB},
            "attempt to add duplicate property 'mach-virt.ram' to object (type 'container')",
        ),
        (
            {"qom-type": "memory-backend-memfd", "id": "x", "size": MiB, "hugetlbsize": 12288},
            "Hugepage size must be a power of 2",
        ),
    ],
)
def test_object_add_refusals_leave_nothing(
    virt: Machine, arguments: dict[str, Any], message: str
) -> None:
    before = (maps_of(), fd_count(), [b.id for b in virt.backends])
    with pytest.raises(QmpError) as info:
        virt.qmp("object-add", **arguments)
    assert str(info.value) == message
    assert info.value.error_class == "GenericError"
    assert (maps_of(), fd_count(), [b.id for b in virt.backends]) == before


def test_object_del_refusals(virt: Machine) -> None:
    with pytest.raises(QmpError) as info:
        virt.qmp("object-del", id="mach-virt.ram")
    assert str(info.value) == "object 'mach-virt.ram' is in use, can not be deleted"
    with pytest.raises(QmpError) as info:
        virt.qmp("object-del", id="nope")
    assert str(info.value) == "object 'nope' not found"


def test_runtime_backends_follow_machine_defaults() -> None:
    argv = ["-M", "pc", "-smp", "3", "-mem-prealloc", "-machine", "mem-merge=off"]
    with Machine.from_argv(argv) as machine:
        machine.qmp("object-add", **{"qom-type": "memory-backend-ram", "id": "r", "size": MiB})
        entry = machine.qmp("query-memdev")[0]
        assert (entry["prealloc"], entry["merge"]) == (True, False)
        assert machine.qmp("qom-get", path="/objects/r", property="prealloc-threads") == 3


def test_dry_run_machine_adds_without_allocating() -> None:
    with Machine.from_argv(["-M", "none"], allocate=False) as machine:
        machine.qmp("object-add", **{"qom-type": "memory-backend-ram", "id": "r", "size": 64 * GiB})
        listed = machine.qmp("qom-list", path="/objects/r")
        assert "r[0]" not in [p["name"] for p in listed]


def test_hmp_texts(virt: Machine) -> None:
    def hmp(line: str) -> str:
        text: str = virt.qmp("human-monitor-command", **{"command-line": line})
        return text

    assert hmp("info memory_size_summary") == "base memory: 134217728\r\nplugged memory: 0\r\n"
    assert hmp("info memdev").startswith("memory backend: mach-virt.ram\r\n  size:  134217728\r\n")
    assert hmp("info mtree -f") == virt.mtree_text(flat=True).replace("\n", "\r\n")
    assert hmp("info memory-devices") == ""
    assert hmp("") == ""
    assert hmp("info zzz") == "unknown command: 'info zzz'\r\n"
    assert hmp("info numa 1").startswith("numa: extraneous characters at the end of line\r\n")
    assert "info mtree [-f][-d][-o][-D]" in hmp("info")


def test_query_machines_agree_with_qemu_for_every_known_machine_type() -> None:
    from machinectl.plugins import create_registry

    registry = create_registry()
    compared = 0
    for target, binary in (("aarch64", "aarch64"), ("x86_64", "x86_64"), ("ppc64", "ppc64")):
        with Machine.from_argv(["-M", "none"], target=target, registry=registry) as machine:
            ours = machine.qmp("query-machines")
        recorded = recorded_machines()[binary]
        assert {m["name"] for m in ours} == {b.name for b in registry.boards_for(target)}
        for entry in ours:
            if entry["name"] in recorded:
                assert entry == recorded[entry["name"]], entry["name"]
                compared += 1
    assert compared > 150


#: The commands that plug memory devices.
MEMORY_DEVICE = ("device_add", "device_del", "qom-set")

GLIB = "libglib-2.0.so.0"


def _glib_order(operations: list[tuple[str, str]]) -> list[str]:
    """The same operations on GLib's own GHashTable (g_str_hash), keys in its order."""
    import ctypes

    glib = ctypes.CDLL(GLIB)
    glib.g_hash_table_new.restype = ctypes.c_void_p
    glib.g_hash_table_new.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    glib.g_hash_table_insert.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    glib.g_hash_table_remove.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    glib.g_hash_table_get_keys.restype = ctypes.c_void_p
    glib.g_hash_table_get_keys.argtypes = [ctypes.c_void_p]
    glib.g_hash_table_destroy.argtypes = [ctypes.c_void_p]
    glib.g_list_free.argtypes = [ctypes.c_void_p]

    class GList(ctypes.Structure):
        pass

    GList._fields_ = [
        ("data", ctypes.c_char_p),
        ("next", ctypes.POINTER(GList)),
        ("prev", ctypes.POINTER(GList)),
    ]
    table = glib.g_hash_table_new(
        ctypes.cast(glib.g_str_hash, ctypes.c_void_p),
        ctypes.cast(glib.g_str_equal, ctypes.c_void_p),
    )
    keep = {}
    for action, key in operations:
        if action == "add":
            keep[key] = ctypes.c_char_p(key.encode())
            glib.g_hash_table_insert(table, keep[key], None)
        else:
            glib.g_hash_table_remove(table, key.encode())
    head = glib.g_hash_table_get_keys(table)
    keys = []
    node = ctypes.cast(head, ctypes.POINTER(GList))
    while node:
        keys.append(node.contents.data.decode())
        node = node.contents.next
    glib.g_list_free(head)
    glib.g_hash_table_destroy(table)
    # g_hash_table_get_keys prepends while iterating: its list is the reverse of the table.
    return keys


@pytest.mark.skipif(not Path("/usr/lib/x86_64-linux-gnu/" + GLIB).exists(), reason="no GLib")
def test_child_order_is_glibs() -> None:
    import random

    rng = random.Random(7)
    names = [f"mem{i}" for i in range(60)] + ["mach-virt.ram", "pc.ram", "ram", "n0", "n1"]
    for _ in range(30):
        operations: list[tuple[str, str]] = []
        present: set[str] = set()
        for _ in range(rng.randrange(1, 120)):
            if present and rng.random() < 0.4:
                key = rng.choice(sorted(present))
                present.discard(key)
                operations.append(("del", key))
            else:
                key = rng.choice(names)
                if key not in present:
                    present.add(key)
                    operations.append(("add", key))
        table = ChildTable()
        for action, key in operations:
            (table.insert if action == "add" else table.remove)(key)
        assert qemu_order(table) == _glib_order(operations)
    assert str_hash("a") == (5381 * 33 + ord("a")) & 0xFFFFFFFF


# -- the stream ----------------------------------------------------------------------------------


def _feed(data: bytes) -> list[object]:
    """What the parser makes of ``data``: values, and error texts as strings."""
    return [str(error) if error else value for value, error in MessageParser().feed(data)]


def test_messages_are_cut_by_nesting_not_by_line() -> None:
    parser = MessageParser()
    first = parser.feed(b'{"execute": "a", "x": "}{\\"\\\\"}{"exe')
    assert first == [({"execute": "a", "x": '}{"\\'}, None)]
    rest = parser.feed(b'cute":\n"b"} garbage [1, 2]\n')
    assert [value for value, _ in rest] == [{"execute": "b"}, None, [1, 2]]
    assert str(rest[1][1]) == "JSON parse error, invalid keyword 'garbage'"
    assert _feed(b"} 5 ") == ["JSON parse error, expecting value", 5]


def test_too_deep_is_refused_and_the_rest_read_as_qemu_reads_it() -> None:
    # QEMU 7.2 answers this input with the limit error, one reply for the 975 levels that
    # follow it (balanced again: a list, not an object), then "expecting value" for each
    # of the 1025 closing brackets left over, then the command.
    out = _feed(b"[" * 2000 + b"]" * 2000 + b' {"execute": "x"}')
    assert out[0] == "JSON nesting depth limit exceeded"
    assert isinstance(out[1], list)
    assert out[2:-1] == ["JSON parse error, expecting value"] * 1025
    assert out[-1] == {"execute": "x"}


# -- a server in another thread ------------------------------------------------------------------


class Served:
    """A machine served on a Unix socket by a QmpServer running in its own thread."""

    def __init__(self, machine: Machine, path: Path, option: MonitorOption | None = None):
        self.machine = machine
        self.path = path
        self.option = option or MonitorOption("unix", str(path))
        self.listener = bind_monitor(self.option)
        self.loop = asyncio.new_event_loop()
        self.server: QmpServer | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())
        self.loop.close()

    async def _main(self) -> None:
        async with QmpServer(self.machine) as server:
            self.server = server
            await server.listen(self.listener)
            self.ready.set()
            await server.finished.wait()

    def stop(self) -> None:
        if self.server is not None and not self.server.finished.is_set():
            server = self.server
            self.loop.call_soon_threadsafe(server.finished.set)
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with Machine.from_argv(["-M", "virt", "-m", "64M"], target="arm") as machine:
        served = Served(machine, tmp_path / "qmp.sock")
        try:
            yield served
        finally:
            served.stop()


class Raw:
    """A client that speaks raw bytes."""

    def __init__(self, path: Path, negotiate: bool = True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(str(path))
        self.file = self.sock.makefile("rb")
        assert "QMP" in self.read()
        if negotiate:
            assert self.ask({"execute": "qmp_capabilities"}) == {"return": {}}

    def read(self) -> Any:
        line = self.file.readline()
        if not line:
            raise EOFError
        return json.loads(line)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def ask(self, message: Any) -> Any:
        self.send(json.dumps(message).encode() + b"\n")
        return self.read()

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def _wait_idle(served: Served) -> None:
    """Until the server holds no session and no client task."""
    server = served.server
    assert server is not None
    for _ in range(500):
        if not server.sessions and not server.tasks:
            return
        time.sleep(0.01)
    raise AssertionError(f"left: {server.sessions} {server.tasks}")


def test_qemu_client_runs_every_command(served: Served, tmp_path: Path) -> None:
    async def session() -> None:
        client = QMPClient("test")
        await client.connect(str(served.path))
        assert client.greeting is not None
        assert client.greeting.QMP.version["qemu"]["major"] == 7
        results = {}
        for name in COMMANDS:
            # Memory devices need a machine with maxmem: tests/test_memdev.py runs them.
            if name in ("qmp_capabilities", "quit", "object-add", "object-del", *MEMORY_DEVICE):
                continue
            arguments: dict[str, Any] = {}
            if name in ("qom-list", "qom-get"):
                arguments = {"path": "/objects/mach-virt.ram"}
                if name == "qom-get":
                    arguments["property"] = "size"
            if name == "human-monitor-command":
                arguments = {"command-line": "info memdev"}
            results[name] = await client.execute(name, arguments)
        assert results["qom-get"] == 64 * MiB
        await client.execute(
            "object-add", {"qom-type": "memory-backend-ram", "id": "r", "size": MiB}
        )
        with pytest.raises(ExecuteError) as info:
            await client.execute("object-del", {"id": "mach-virt.ram"})
        assert info.value.error_class == "GenericError"
        await client.execute("object-del", {"id": "r"})
        await client.disconnect()

    asyncio.run(session())
    _wait_idle(served)


def test_qemu_client_over_tcp(tmp_path: Path) -> None:
    with Machine.from_argv(["-M", "none", "-m", "16M"]) as machine:
        served = Served(machine, tmp_path / "unused", MonitorOption("tcp", "127.0.0.1", 0))
        assert served.listener.sock is not None
        host, port = served.listener.sock.getsockname()

        async def session() -> Any:
            client = QMPClient("tcp")
            await client.connect((host, port))
            memdev = await client.execute("query-memdev")
            await client.execute("quit")
            with contextlib.suppress(EOFError):
                await client.disconnect()
            return memdev

        assert [m["id"] for m in asyncio.run(session())] == ["ram"]
        served.thread.join(10)
        assert not served.thread.is_alive()


def test_garbage_is_answered_and_the_session_goes_on(served: Served) -> None:
    client = Raw(served.path)
    client.send(b"garbage\n")
    assert client.read()["error"]["desc"] == "JSON parse error, invalid keyword 'garbage'"
    client.send(b"}\n[1]\n\x00\xff\n")
    assert client.read()["error"]["desc"] == "JSON parse error, expecting value"
    assert client.read()["error"]["desc"] == "QMP input must be a JSON object"
    # Each byte QEMU's lexer refuses is an error of its own; the message stops at a NUL.
    assert client.read()["error"]["desc"] == "JSON parse error, stray ''"
    assert client.read()["error"]["desc"] == "JSON parse error, stray '\ufffd'"
    assert client.ask({"execute": "query-status", "id": [1]})["id"] == [1]
    client.close()
    _wait_idle(served)


def test_a_10mb_line_does_not_stop_the_others(served: Served) -> None:
    big = Raw(served.path)
    other = Raw(served.path)
    ident = "x" * (10 << 20)
    big.send(json.dumps({"execute": "query-status", "id": ident}).encode()[: 5 << 20])
    # Half a message is pending; the other client is served meanwhile.
    assert other.ask({"execute": "query-target"}) == {"return": {"arch": "aarch64"}}
    big.send(json.dumps({"execute": "query-status", "id": ident}).encode()[5 << 20 :] + b"\n")
    assert big.read()["id"] == ident
    big.send(b"y" * (10 << 20))  # a 10 MB token, then gone
    big.close()
    assert other.ask({"execute": "query-status"})["return"]["status"] == "prelaunch"
    other.close()
    _wait_idle(served)


def test_disconnect_mid_command(served: Served) -> None:
    fds = fd_count()
    client = Raw(served.path)
    arguments = {"qom-type": "memory-backend-memfd", "id": "p", "size": 64 * MiB, "prealloc": True}
    client.send(json.dumps({"execute": "object-add", "arguments": arguments}).encode())
    client.close()
    other = Raw(served.path)
    for _ in range(200):
        if any(m["id"] == "p" for m in other.ask({"execute": "query-memdev"})["return"]):
            break
        time.sleep(0.01)
    assert other.ask({"execute": "object-del", "arguments": {"id": "p"}}) == {"return": {}}
    other.close()
    _wait_idle(served)
    assert fd_count() == fds


def test_a_long_command_does_not_stop_the_other_sessions(served: Served) -> None:
    import select

    slow = Raw(served.path)
    arguments = {
        "qom-type": "memory-backend-memfd",
        "id": "slow",
        "size": GiB // 2,
        "prealloc": True,
    }
    slow.send(json.dumps({"execute": "object-add", "arguments": arguments}).encode() + b"\n")
    time.sleep(0.05)
    other = Raw(served.path)  # greeted and negotiated while the allocation runs
    other.send(b"garbage\n")
    assert other.read()["error"]["class"] == "GenericError"
    assert select.select([slow.sock], [], [], 0)[0] == [], "the allocation took no time"
    assert slow.read() == {"return": {}}
    assert other.ask({"execute": "object-del", "arguments": {"id": "slow"}}) == {"return": {}}
    slow.close()
    other.close()
    _wait_idle(served)


def test_a_hundred_clients_at_once(served: Served) -> None:
    fds = fd_count()
    clients = [Raw(served.path, negotiate=False) for _ in range(100)]
    for client in clients:
        client.send(b'{"execute": "qmp_capabilities"}\n{"execute": "query-status", "id": 1}\n')
    for client in clients:
        assert client.read() == {"return": {}}
        assert client.read()["id"] == 1
    server = served.server
    assert server is not None and len(server.sessions) == 100
    for client in clients:
        client.close()
    _wait_idle(served)
    assert fd_count() == fds


def test_a_command_during_quit(served: Served) -> None:
    busy = Raw(served.path)
    quitter = Raw(served.path)
    arguments = {"qom-type": "memory-backend-ram", "id": "late", "size": MiB}
    busy.send(json.dumps({"execute": "object-add", "arguments": arguments}).encode() + b"\n")
    quitter.send(b'{"execute": "quit"}\n')
    assert quitter.read()["event"] == "SHUTDOWN"
    assert quitter.read() == {"return": {}}
    with pytest.raises(EOFError):
        quitter.read()
    # The busy client has its reply, or the SHUTDOWN event, and then the end.
    lines = []
    with contextlib.suppress(EOFError, OSError):
        while True:
            lines.append(busy.read())
    assert all("return" in line or line.get("event") == "SHUTDOWN" for line in lines)
    busy.close()
    quitter.close()
    served.thread.join(10)
    assert not served.thread.is_alive()
    assert not served.path.exists()


# -- the command line ----------------------------------------------------------------------------


def start(*args: str, stdin: Any = subprocess.DEVNULL) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "run", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    for _ in range(1000):
        if path.exists():
            return
        if proc.poll() is not None:
            raise AssertionError(proc.communicate()[1])
        time.sleep(0.01)
    raise AssertionError(f"{path} never appeared")


def test_done_when_qemu_client_adds_a_gib_memfd(tmp_path: Path) -> None:
    sock = tmp_path / "m.sock"
    proc = start(
        "--target", "aarch64", "-M", "virt", "-m", "1G", "-qmp", f"unix:{sock},server=on,wait=off"
    )
    try:
        wait_for(sock, proc)
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600

        async def session() -> None:
            client = QMPClient("done-when")
            await client.connect(str(sock))
            await client.execute(
                "object-add", {"qom-type": "memory-backend-memfd", "id": "m1", "size": GiB}
            )
            memdev = await client.execute("query-memdev")
            assert isinstance(memdev, list)
            entry = next(m for m in memdev if m["id"] == "m1")
            assert (entry["size"], entry["share"]) == (GiB, True)
            mapped = [line for line in maps_of(proc.pid).splitlines() if "memfd:m1" in line]
            assert len(mapped) == 1
            low, high = (int(x, 16) for x in mapped[0].split()[0].split("-"))
            assert high - low >= GiB
            await client.execute("object-del", {"id": "m1"})
            assert "memfd:m1" not in maps_of(proc.pid)
            await client.execute("quit")
            with contextlib.suppress(EOFError):
                await client.disconnect()

        asyncio.run(session())
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert not sock.exists()


def test_stdio_monitor_speaks_on_standard_output() -> None:
    script = "".join(
        json.dumps(m) + "\n"
        for m in (
            {"execute": "qmp_capabilities"},
            {"execute": "query-memdev", "id": "q"},
            {"execute": "quit"},
        )
    )
    proc = subprocess.run(
        [*CLI, "run", "-M", "none", "-m", "16M", "-qmp", "stdio"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "QMP" in lines[0]
    assert lines[1] == {"return": {}}
    assert lines[2]["id"] == "q" and lines[2]["return"][0]["id"] == "ram"
    assert lines[3]["data"] == {"guest": False, "reason": "host-qmp-quit"}
    assert lines[4] == {"return": {}}


def test_several_monitors_and_a_signal(tmp_path: Path) -> None:
    first, second = tmp_path / "a.sock", tmp_path / "b.sock"
    proc = start(
        "-M", "none", "-m", "16M",
        "-qmp", f"unix:{first},server,nowait",
        "-chardev", f"socket,id=c1,path={second},server=on,wait=off",
        "-mon", "chardev=c1,mode=control",
        "-qmp", "tcp:127.0.0.1:0,server=on,wait=off",
    )  # fmt: skip
    try:
        wait_for(first, proc)
        wait_for(second, proc)
        a, b = Raw(first), Raw(second)
        assert a.ask({"execute": "query-status"}) == b.ask({"execute": "query-status"})
        b.close()
        proc.send_signal(signal.SIGTERM)
        assert a.read()["data"] == {"guest": False, "reason": "host-signal"}
        assert proc.wait(timeout=20) == 0
        a.close()
    finally:
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate()
    assert "QMP listening on tcp:127.0.0.1:" in err
    assert "machinectl: terminating on signal 15" in err
    assert not first.exists() and not second.exists()


def test_a_file_that_is_not_a_socket_is_never_replaced(tmp_path: Path) -> None:
    victim = tmp_path / "precious"
    victim.write_text("data")
    proc = subprocess.run(
        [*CLI, "run", "-M", "none", "-qmp", f"unix:{victim},server=on,wait=off"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr == (
        f"machinectl: -qmp unix:{victim},server=on,wait=off: Failed to bind socket to "
        f"{victim}: not replacing a file that is not a socket\n"
    )
    assert victim.read_text() == "data"
    assert os.listdir(tmp_path) == ["precious"]


def test_a_stale_socket_is_replaced_and_a_live_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody listens
    live = bind_monitor(MonitorOption("unix", str(tmp_path / "live.sock")))
    try:
        with bind_monitor(MonitorOption("unix", str(path))) as listener:
            assert listener.sock is not None
        with pytest.raises(MachineError, match="another process listens on it"):
            bind_monitor(MonitorOption("unix", str(tmp_path / "live.sock")))
    finally:
        live.close()
    assert os.listdir(tmp_path) == []


def test_non_loopback_tcp_is_warned_about() -> None:
    warnings: list[str] = []
    with bind_monitor(MonitorOption("tcp", "0.0.0.0", 0), warnings.append):
        pass
    assert len(warnings) == 1 and "reachable from other hosts" in warnings[0]
    with bind_monitor(MonitorOption("tcp", "127.0.0.1", 0), warnings.append):
        pass
    assert len(warnings) == 1


@pytest.mark.parametrize(
    "address", ["tcp:nosuchhost.invalid:4444", "tcp:192.0.2.1:4444"], ids=["dns", "bind"]
)
def test_tcp_monitors_that_cannot_listen_fail_as_in_qemu(address: str) -> None:
    """An unknown host name, and an address of no interface of this host."""
    option = f"{address},server=on,wait=off"
    binary = shutil.which("qemu-system-x86_64")
    if binary is None:
        pytest.skip("qemu-system-x86_64 is not installed")
    theirs = subprocess.run(
        [binary, "-M", "none", "-display", "none", "-S", "-nodefaults", "-qmp", option],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    ours = subprocess.run(
        [*CLI, "run", "--quiet", "-M", "none", "-qmp", option],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert theirs.returncode == ours.returncode == 1
    assert ours.stderr.removeprefix("machinectl: ") == theirs.stderr.removeprefix(
        "qemu-system-x86_64: "
    )


def test_a_number_past_every_integer_is_a_double_as_in_qemu() -> None:
    """QEMU reads an integer no 64-bit type holds as a double: ``inf`` past a double's range
    too (and writes it back so), never an error or a dropped client."""
    digits = "9" * 5000
    request = f'{{"execute": "query-memdev", "id": {digits}}}'
    lines = ['{"execute": "qmp_capabilities"}', request, '{"execute": "quit"}']
    proc = subprocess.run(
        [*CLI, "run", "-M", "none", "-m", "16M", "-qmp", "stdio"],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    replies = proc.stdout.splitlines()
    assert replies[2].endswith(', "id": inf}')

    line = CommandLine.from_argv(
        [
            "-qmp", "unix:/run/a,,b.sock,server,nowait",
            "-qmp", "tcp:[::1]:4444,server=on,wait=off",
            "-chardev", "socket,id=c,host=127.0.0.1,port=5555,server=on,wait=off",
            "-mon", "c,mode=control",
        ]
    )  # fmt: skip
    assert [(m.transport, m.address, m.port) for m in line.monitors] == [
        ("unix", "/run/a,b.sock", 0),
        ("tcp", "::1", 4444),
        ("tcp", "127.0.0.1", 5555),
    ]
    assert line.monitors[2].location == "-mon c,mode=control"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-qmp", "pty"], "-qmp pty: 'pty' is not a valid char driver"),
        (
            ["-qmp", "unix:/x,server=on,wait=off,bogus=1"],
            "-qmp unix:/x,server=on,wait=off,bogus=1: Invalid parameter 'bogus'",
        ),
        (
            ["-mon", "chardev=nope,mode=control"],
            '-mon chardev=nope,mode=control: chardev "nope" not found',
        ),
        (
            ["-chardev", "socket,id=c,path=/x,server=on,wait=off"] * 2,
            "-chardev socket,id=c,path=/x,server=on,wait=off: Duplicate ID 'c' for chardev",
        ),
        (
            ["-qmp", "unix:/x"],
            "-qmp unix:/x: machinectl only listens for QMP clients: add server=on,wait=off",
        ),
        (["-qmp", "stdio", "-qmp", "stdio"], "cannot use stdio by multiple character devices"),
    ],
)
def test_monitor_option_errors(argv: list[str], message: str) -> None:
    with pytest.raises(MachineError) as info:
        CommandLine.from_argv(["-M", "none", *argv])
    assert str(info.value) == message


@pytest.mark.parametrize("attempt", range(4))
def test_quit_ends_the_process_when_the_client_leaves_before_the_reply(
    tmp_path: Path, attempt: int
) -> None:
    # A script that sends quit and closes once it sees SHUTDOWN, before the reply to quit:
    # the process ends all the same, socket removed, and a signal would end it as well.
    path = tmp_path / f"q{attempt}.sock"
    monitor = f"unix:{path},server=on,wait=off"
    proc = subprocess.Popen(
        [*CLI, "run", "--quiet", "-M", "none", "--target", "x86_64", "-m", "64M", "-qmp", monitor],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "MACHINECTL_CACHE_DIR": "off"},
    )
    try:
        deadline = time.monotonic() + 30
        while not path.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(path))
            stream = sock.makefile("rwb")
            stream.readline()
            stream.write(b'{"execute":"qmp_capabilities"}\n')
            stream.flush()
            stream.readline()
            stream.write(b'{"execute":"quit"}\n')
            stream.flush()
            assert b"SHUTDOWN" in stream.readline()
            stream.close()
        assert proc.wait(timeout=15) == 0
        assert not path.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        assert b"Traceback" not in proc.stderr.read()
        proc.stderr.close()
