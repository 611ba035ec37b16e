"""The s390x machine types against QEMU 7.2 itself.

``data/qemu72.json`` is what ``qemu-system-s390x`` 7.2 did with each command line
(``data/regenerate.py`` rebuilds it), including the storage-increment notice the 4.2 and older
types print on stdout. machinectl must accept what QEMU accepts, with the same RAM size and
placement and the same notice (as a warning), and refuse what QEMU refuses, with QEMU's
first error line.

Command lines on which QEMU dies (the 4.2 and older types round sizes below 1 MiB down to
no RAM at all) cannot be compared; machinectl refuses them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from machinectl import Machine, MachineError, create_registry
from machinectl.options import parse_size
from machinectl.plugins import Registry
from machinectl.testing import BoardConformance
from machinectl.units import MiB
from machinectl_s390x import RECORDS, fixup_ram_size, plugin, storage_increment

DATA = Path(__file__).parent / "data"
ORACLE: list[dict[str, Any]] = json.loads((DATA / "qemu72.json").read_text())
DEFAULTS = [r for r in ORACLE if r["size"] is None and not r["extra"]]


def _id(record: dict[str, Any]) -> str:
    return " ".join([record["machine"], record["size"] or "-", *record["extra"]])


def _fixed_up(record: dict[str, Any]) -> bool:
    return any("was fixed up" in line for line in record["stdout"])


def _params(records: list[dict[str, Any]]) -> list[Any]:
    params = []
    for record in records:
        marks: list[pytest.MarkDecorator] = []
        if record["crashed"]:
            marks.append(pytest.mark.skip(reason="QEMU 7.2 dies on this command line"))
        params.append(pytest.param(record, id=_id(record), marks=marks))
    return params


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry(only=["s390x"], strict=True)


def _build(registry: Registry, record: dict[str, Any]) -> Machine:
    argv = ["-M", record["machine"], *record["extra"]]
    if record["size"] is not None:
        argv += ["-m", record["size"]]
    return Machine.from_argv(argv, registry=registry, allocate=False)


@pytest.mark.parametrize("record", _params(ORACLE))
def test_against_qemu(registry: Registry, record: dict[str, Any]) -> None:
    if not record["ok"]:
        with pytest.raises(MachineError) as excinfo:
            _build(registry, record)
        assert str(excinfo.value) == record["error"]
        return
    with _build(registry, record) as machine:
        query = machine.query()
        assert query["memory-size-summary"] == record["memory-size-summary"]
        assert [(d["id"], d["size"]) for d in query["memdev"]] == [
            (d["id"], d["size"]) for d in record["memdev"]
        ]
        ram_map = [
            line.strip()
            for line in machine.mtree_text(flat=True).splitlines()
            if ", ram)" in line or ", rom)" in line
        ]
        assert ram_map == record["ram-map"]
        assert machine.warnings == record["stdout"]


@pytest.mark.parametrize("record", DEFAULTS, ids=_id)
def test_machine_type_facts(registry: Registry, record: dict[str, Any]) -> None:
    info = record["machine-info"]
    board = registry.board(record["machine"])
    assert board.name == info["name"]
    assert board.spec.alias == info.get("alias")
    assert registry.default_ram_size(board) == record["memory-size-summary"]["base-memory"]
    assert registry.default_ram_id(board) == info["default-ram-id"]
    assert board.spec.numa_mem_supported == info["numa-mem-supported"]
    assert board.spec.deprecated == info["deprecated"]
    assert board.spec.memory_devices == ("plugged-memory" in record["memory-size-summary"])


def test_the_plugin_alone_declares_exactly_the_s390x_machine_types() -> None:
    registry = create_registry(only=["s390x"], strict=True)
    qemu72 = {r["machine-info"]["name"] for r in DEFAULTS}
    assert set(registry.boards) == {"none"} | qemu72
    assert {b.spec.alias for b in registry.boards.values()} == {None, "s390-ccw-virtio"}
    assert not registry.failures


def test_refuses_what_qemu_crashes_on(registry: Registry) -> None:
    crashes = [r for r in ORACLE if r["crashed"]]
    assert crashes
    for record in crashes:
        with pytest.raises(MachineError, match="needs at least 1 MiB"):
            _build(registry, record)


def test_fixup_is_what_qemu_printed() -> None:
    fixups = [r for r in ORACLE if r["machine"] == "s390-ccw-virtio-4.2" and _fixed_up(r)]
    assert fixups
    for record in fixups:
        size = parse_size(record["size"].split(",")[0])
        fixed, notice = fixup_ram_size(size)
        assert [notice] == record["stdout"]
        if record["ok"]:
            assert fixed == record["memory-size-summary"]["base-memory"]


@pytest.mark.parametrize(
    ("size", "increment"),
    [(1020 * MiB, MiB), (1021 * MiB, 2 * MiB), (2041 * MiB, 2 * MiB), (2042 * MiB, 4 * MiB)],
)
def test_storage_increment_doubles_past_1020_increments(size: int, increment: int) -> None:
    assert storage_increment(size) == increment


def test_only_the_old_types_fix_up() -> None:
    assert plugin.facts("s390-ccw-virtio-4.2") is not None
    fixing = {f.name for f in RECORDS if f.fixup is not None}
    noticed = {r["machine"] for r in ORACLE if _fixed_up(r)}
    assert fixing == noticed


class TestConformance(BoardConformance):
    distribution = "machinectl-s390x"
