"""Memory devices against QEMU 7.2's own answers (``tools/record_memdev.py``).

Each recorded command line is built by machinectl and compared on ``query-memory-devices``,
``query-memory-size-summary``, the device lines of ``info mtree -f``, ``info numa``,
``info memory-devices``, warnings and error texts. Each recorded QMP session is replayed
through the library and compared answer for answer; the one difference, named in
``docs/memory-devices.rst``, is that machinectl ejects a DIMM at once on ``device_del``
where QEMU waits for the guest.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from machinectl import Machine, MachineError
from machinectl.options import CommandLine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import record_memdev  # noqa: E402

DATA = json.loads((Path(__file__).parent / "data" / "memdev_qemu72.json").read_text())
GiB = 1 << 30
MiB = 1 << 20


def _id(record: dict[str, Any]) -> str:
    return f"{record['target']}:{record['args']}"


def build(record: dict[str, Any], allocate: bool = False) -> Machine:
    return Machine.from_argv(record["args"].split(), target=record["target"], allocate=allocate)


def device_lines(flat: list[str], memdevs: set[str]) -> list[str]:
    """The flat-view lines of the devices' backends."""
    out = []
    for line in flat:
        if "): " not in line:
            continue
        region = line.split("): ", 1)[1].split(" @")[0]
        if region in memdevs:
            out.append(line.strip())
    return out


@pytest.mark.parametrize("record", DATA["command-lines"], ids=_id)
def test_command_line_matches_qemu(record: dict[str, Any]) -> None:
    firmware = [a for a in record["args"].split() if a.startswith("/usr/share/")]
    if firmware and not Path(firmware[0]).is_file():
        pytest.skip(f"{firmware[0]} is not installed")
    if "error" in record:
        with pytest.raises(MachineError) as info:
            build(record)
        assert str(info.value) == record["error"]
        return
    with build(record) as machine:
        data = machine.query()
        assert data["memory-devices"] == record["memory-devices"]
        assert data["memory-size-summary"] == record["memory-size-summary"]
        memdevs = {d["data"]["memdev"].removeprefix("/objects/") for d in record["memory-devices"]}
        ours = machine.mtree_text(flat=True).splitlines()
        assert device_lines(ours, memdevs) == device_lines(record["flat"], memdevs)
        assert machine.memory_devices_text() == record["info-memory-devices"]
        assert record_memdev.device_tree(machine.mtree_text()) == record["device-tree"]
        assert [w for w in machine.warnings if "-device" in w] == record["warnings"]
        assert machine.numa_text() == record["numa"]


def test_records_cover_every_board_family() -> None:
    targets = {r["target"] for r in DATA["command-lines"]}
    assert {"x86_64", "aarch64", "ppc64"} <= targets


# -- QMP sessions through the library ------------------------------------------------------------


def run_command(machine: Machine, command: dict[str, Any]) -> dict[str, Any]:
    """One QMP command of a recorded session, through the library API."""
    name, args = command["execute"], command.get("arguments", {})
    try:
        value: Any = {}
        if name == "object-add":
            machine.object_add(args)
        elif name == "object-del":
            machine.object_del(args["id"])
        elif name == "device_add":
            machine.device_add(args)
        elif name == "device_del":
            machine.device_del(args["id"])
        elif name == "qom-set":
            machine.set_requested_size(args["path"], args["value"])
        elif name == "qom-get":
            device = machine.memory_device(args["path"])
            value = device.query()["data"][args["property"]]
        elif name == "query-memory-devices":
            value = machine.query_memory_devices()
        elif name == "query-memory-size-summary":
            value = machine.query()["memory-size-summary"]
        elif name == "human-monitor-command":
            assert args["command-line"] == "info memory-devices"
            value = machine.memory_devices_text()
        else:  # pragma: no cover - the recorder sends only these
            raise AssertionError(name)
    except MachineError as exc:
        return {"error": str(exc)}
    return {"return": value}


def without_guest(transcript: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """QEMU's transcript with DIMM ejects acknowledged at once, as machinectl does.

    After a successful ``device_del`` of a DIMM, the device is gone from later answers, its
    size leaves ``plugged-memory`` and ``DEVICE_DELETED`` follows the reply.
    """
    expected = copy.deepcopy(transcript)
    gone: dict[str, int] = {}
    for step in expected:
        command, reply = step["command"], step["reply"]
        name = command["execute"]
        if name == "device_del" and "return" in reply:
            device_id = command["arguments"]["id"]
            gone[device_id] = 0
            step["events"] = [
                {
                    "event": "DEVICE_DELETED",
                    "data": {"device": device_id, "path": f"/machine/peripheral/{device_id}"},
                }
            ]
        if name == "query-memory-devices" and "return" in reply:
            kept = []
            for item in reply["return"]:
                if item["data"].get("id") in gone:
                    gone[item["data"]["id"]] = item["data"]["size"]
                else:
                    kept.append(item)
            reply["return"] = kept
        if name == "query-memory-size-summary" and "return" in reply:
            reply["return"]["plugged-memory"] -= sum(gone.values())
        if name == "human-monitor-command" and "return" in reply:
            blocks = reply["return"].split("Memory device ")
            reply["return"] = "".join(
                "Memory device " + b
                for b in blocks[1:]
                if not any(b.split("\n")[0].endswith(f'"{i}"') for i in gone)
            )
    return expected


@pytest.mark.parametrize("session", DATA["sessions"], ids=_id)
def test_qmp_session_matches_qemu(session: dict[str, Any]) -> None:
    expected = without_guest(session["transcript"])
    with Machine.from_argv(session["args"].split(), target=session["target"]) as machine:
        for step in expected:
            reply = run_command(machine, step["command"])
            theirs = step["reply"]
            if "error" in theirs:
                theirs = {"error": theirs["error"]["desc"]}
            assert reply == theirs, step["command"]
            assert machine.take_events() == step["events"], step["command"]


# -- the library: hotplug, the guest's side, notifications --------------------------------------


def hotplug_machine() -> Machine:
    return Machine.from_argv(["-M", "pc", "-m", "256M,slots=2,maxmem=2G"], target="x86_64")


def test_device_add_maps_real_memory_and_tells_subscribers() -> None:
    with hotplug_machine() as machine:
        changes: list[Any] = []
        unsubscribe = machine.subscribe(changes.append)
        backend = machine.object_add(
            {"qom-type": "memory-backend-memfd", "id": "m1", "size": "64M"}
        )
        machine.device_add({"driver": "pc-dimm", "id": "d1", "memdev": "m1"})
        (change,) = changes
        assert (change.action, change.guest_address, change.size) == ("add", 4 * GiB, 64 * MiB)
        assert change.host_address == backend.host_address
        ranges = [r for r in machine.ram_ranges() if r.memdev == "m1"]
        assert [(r.guest_address, r.size) for r in ranges] == [(4 * GiB, 64 * MiB)]
        # The guest's memory is the backend's memory.
        backend.view()[:4] = b"\x90\x90\xf4\x00"
        assert bytes(backend.view()[:4]) == b"\x90\x90\xf4\x00"
        machine.device_del("d1")
        assert changes[-1].action == "remove"
        assert not [r for r in machine.ram_ranges() if r.memdev == "m1"]
        unsubscribe()
        machine.device_add({"driver": "pc-dimm", "id": "d2", "memdev": "m1"})
        assert len(changes) == 2


def test_virtio_mem_driver_side() -> None:
    argv = [
        "-M", "pc", "-m", "256M,slots=2,maxmem=2G",
        "-object", "memory-backend-ram,id=vm,size=64M",
        "-device", "virtio-mem-pci,id=vm1,memdev=vm,requested-size=8M",
    ]  # fmt: skip
    with Machine.from_argv(argv, target="x86_64") as machine:
        changes: list[Any] = []
        machine.subscribe(changes.append)
        assert machine.virtio_mem_follow("vm1") == 8 * MiB
        assert [(c.action, c.guest_address, c.size) for c in changes] == [
            ("plug", 4 * GiB, 8 * MiB)
        ]
        assert machine.query()["memory-size-summary"]["plugged-memory"] == 8 * MiB
        assert machine.take_events() == [
            {"event": "MEMORY_DEVICE_SIZE_CHANGE", "data": {"id": "vm1", "size": 8 * MiB}}
        ]
        with pytest.raises(MachineError, match="would exceed 'requested-size'"):
            machine.virtio_mem_plug("vm1", 32 * MiB, 2 * MiB)
        machine.set_requested_size("vm1", 2 * MiB)
        assert machine.virtio_mem_follow("vm1") == 2 * MiB
        assert changes[-1].action == "unplug"
        assert (changes[-1].guest_address, changes[-1].size) == (4 * GiB + 2 * MiB, 6 * MiB)
        with pytest.raises(MachineError, match="'requested-size' cannot exceed"):
            machine.set_requested_size("vm1", 128 * MiB)


def test_device_option_errors_name_the_option() -> None:
    # A device that is no memory device is ignored, as run ignores it, and named.
    with Machine.from_argv(["-M", "pc", "-device", "e1000"], target="x86_64") as machine:
        assert machine.warnings[0] == "ignored, not about RAM: -device e1000"
    with pytest.raises(MachineError) as info:
        CommandLine.from_argv(["-device", "e1000"])
    assert str(info.value).startswith("-device e1000: 'e1000' is not a memory device")
    with pytest.raises(MachineError, match=r"Property 'pc-dimm\.foo' not found"):
        Machine.from_argv(
            ["-M", "pc", "-m", "1G,slots=1,maxmem=2G", "-device", "pc-dimm,foo=1"],
            target="x86_64",
            allocate=False,
        )


def maps_count() -> int:
    return len(Path("/proc/self/maps").read_text().splitlines())


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_thousand_plug_cycles_leak_nothing() -> None:
    """1,000 object-add, device_add, a write, device_del, object-del: fds and maps stay flat."""
    with hotplug_machine() as machine:
        spec = {"qom-type": "memory-backend-memfd", "id": "m", "size": "2M"}
        # One cycle first, so that lazily created state (caches, modules) is not counted.
        for cycles in (1, 1000):
            fds, maps = fd_count(), maps_count()
            for _ in range(cycles):
                backend = machine.object_add(spec)
                machine.device_add({"driver": "pc-dimm", "id": "d", "memdev": "m"})
                view = backend.view()
                view[0] = 1
                view.release()
                machine.device_del("d")
                machine.object_del("m")
                machine.take_events()
        assert (fd_count(), maps_count()) == (fds, maps)
        assert machine.memory_devices == []
        assert [b.id for b in machine.backends] == ["pc.ram"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "machinectl.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_reports_the_dimm_where_qemu_puts_it() -> None:
    (record,) = [
        r
        for r in DATA["command-lines"]
        if r["args"].startswith("-M q35") and r["args"].endswith("pc-dimm,id=d1,memdev=m1")
    ]
    proc = cli("run", "--target", "x86_64", *record["args"].split(), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["memory-devices"] == record["memory-devices"]
    assert data["memory-size-summary"] == record["memory-size-summary"]
    text = cli("run", "--target", "x86_64", *record["args"].split(), "--dry-run").stdout
    assert record["info-memory-devices"] in text
    assert "plugged memory: 1073741824" in text


def test_cli_refusal_is_one_line_and_status_1() -> None:
    argv = ["-M", "pc", "-m", "1G", "-object", "memory-backend-ram,id=m1,size=1G"]
    proc = cli("run", *argv, "-device", "pc-dimm,id=d1,memdev=m1")
    assert proc.returncode == 1
    assert proc.stderr == (
        "machinectl: -device pc-dimm,id=d1,memdev=m1: no slots where allocated, please specify "
        "the 'slots' option\n"
    )


def test_create_takes_devices() -> None:
    machine = Machine.create(
        "pc",
        "1G",
        properties={"memory.slots": 2, "memory.max-size": "4G"},
        objects=[{"qom-type": "memory-backend-ram", "id": "m1", "size": "512M"}],
        devices=[{"driver": "pc-dimm", "id": "d1", "memdev": "m1", "addr": 0x120000000}],
        target="x86_64",
        allocate=False,
    )
    with machine:
        (device,) = machine.memory_devices
        assert (device.addr, device.slot, device.size) == (0x120000000, 0, 512 * MiB)


def test_a_board_declaration_of_the_wrong_type_names_the_plugin() -> None:
    from machinectl import BoardFacts, BoardSpec, BoardTable, PluginError, create_registry

    table = BoardTable(
        [
            BoardFacts(
                spec=BoardSpec(name="odd", family="demo", memory_devices=True),
                default_ram_size=128 * MiB,
                default_ram_id="odd.ram",
                device_memory=lambda machine: "the area after RAM",  # type: ignore[arg-type,return-value]
            )
        ]
    )
    registry = create_registry(load_entrypoints=False, plugins=[("odd", table)], strict=True)
    with pytest.raises(PluginError, match="a DeviceMemory or None"):
        Machine.from_argv(["-M", "odd"], registry=registry, allocate=False)


# -- the same sessions over QMP -------------------------------------------------------------------


def qmp_reply(machine: Machine, command: dict[str, Any]) -> dict[str, Any]:
    from machinectl.qmp.commands import QmpError

    try:
        value = machine.qmp(command["execute"], **command.get("arguments", {}))
    except QmpError as exc:
        return {"error": exc.response()}
    if isinstance(value, str):
        value = value.replace("\r\n", "\n")
    return {"return": value}


@pytest.mark.parametrize("session", DATA["sessions"], ids=_id)
def test_qmp_commands_match_qemu(session: dict[str, Any]) -> None:
    """The recorded session through ``Machine.qmp``: QEMU's replies, error classes included."""
    expected = without_guest(session["transcript"])
    with Machine.from_argv(session["args"].split(), target=session["target"]) as machine:
        for step in expected:
            assert qmp_reply(machine, step["command"]) == step["reply"], step["command"]
            assert machine.take_events() == step["events"], step["command"]


class Peer:
    """A QMP client on a Unix socket."""

    def __init__(self, path: str):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.buffer = b""

    def message(self) -> Any:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def command(self, message: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Send one command; its reply and the events before it (without timestamps)."""
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        events = []
        while True:
            reply = self.message()
            if "event" in reply:
                events.append({k: v for k, v in reply.items() if k != "timestamp"})
                continue
            return reply, events


@pytest.mark.parametrize("session", DATA["sessions"], ids=_id)
def test_qmp_socket_session_matches_qemu(session: dict[str, Any], tmp_path: Path) -> None:
    """The recorded session over a real QMP socket of ``machinectl run``."""
    path = tmp_path / "qmp.sock"
    argv = [sys.executable, "-m", "machinectl.cli", "run", "--target", session["target"]]
    argv += [*session["args"].split(), "-qmp", f"unix:{path},server=on,wait=off"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(1000):
            if path.exists() or proc.poll() is not None:
                break
            time.sleep(0.01)
        peer = Peer(str(path))
        assert "QMP" in peer.message()
        assert peer.command({"execute": "qmp_capabilities"})[0] == {"return": {}}
        for step in without_guest(session["transcript"]):
            reply, events = peer.command(step["command"])
            if isinstance(reply.get("return"), str):
                reply["return"] = reply["return"].replace("\r\n", "\n")
            assert reply == step["reply"], step["command"]
            assert events == step["events"], step["command"]
        assert peer.command({"execute": "quit"})[0] == {"return": {}}
        peer.sock.close()
        assert proc.wait(timeout=30) == 0, proc.communicate()[1]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
