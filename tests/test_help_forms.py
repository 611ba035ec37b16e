"""QEMU's help forms through ``machinectl run``, compared with QEMU 7.2's own output.

``tests/data/qemu72_help.json`` holds what the binaries printed (``tools/record_qemu_help.py``).
machinectl prints QEMU's lines for the properties it has, in QEMU's order and format; QEMU's
lines for properties machinectl does not model (``-machine acpi=``, object types that are
neither memory backends nor thread contexts) are left out. Those left-out
lines are checked too: each names a property or type machinectl really lacks.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from machinectl import threadctx
from machinectl.boards import NUMA_PROPERTIES
from machinectl.hostmem import BACKEND_TYPES, HostMemoryBackend
from machinectl.machine import GENERIC_PROPERTIES
from machinectl.plugins import create_registry

CLI = [sys.executable, "-m", "machinectl.cli"]
RECORDS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "qemu72_help.json").read_text()
)
#: The arm plugin's machine types belong to target "arm"; QEMU's aarch64 binary has them.
PROPERTY = re.compile(r"^  ([a-z0-9_.-]+)=<")


def machinectl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "run", *args], capture_output=True, text=True, timeout=60, check=False
    )


def record_id(record: dict[str, Any]) -> str:
    return f"{record['target']}:{' '.join(record['args'])}"


def _property(line: str) -> str | None:
    match = PROPERTY.match(line)
    return match.group(1) if match else None


@pytest.mark.parametrize("record", [r for r in RECORDS if r["args"][0] == "-M"], ids=record_id)
def test_machine_properties_as_qemu_prints_them(record: dict[str, Any]) -> None:
    registry = create_registry()
    name = record["args"][1].removesuffix(",help")
    board = registry.board(name, record["target"])
    ours = machinectl("--target", record["target"], *record["args"])
    assert ours.returncode == 0 == record["status"], ours.stderr
    modelled = {
        key.split(".")[0]
        for key in {**GENERIC_PROPERTIES, **board.spec.machine_properties}
        # Not class properties in QEMU: not listed.
        if key not in ("type", "nvdimm", *NUMA_PROPERTIES)
    }
    qemu_lines = record["stdout"].splitlines()
    # The header names the resolved machine class, as QEMU's does.
    assert ours.stdout.splitlines()[0] == qemu_lines[0] == f"{board.qom_type} options:"
    expected = [line for line in qemu_lines[1:] if _property(line) in modelled]
    assert ours.stdout.splitlines()[1:] == expected
    # Everything machinectl models is in QEMU's listing: nothing is invented.
    assert {_property(line) for line in expected} == modelled


@pytest.mark.parametrize(
    "record",
    [r for r in RECORDS if r["args"][0] == "-object" and r["args"][1] != "help"],
    ids=record_id,
)
def test_backend_properties_as_qemu_prints_them(record: dict[str, Any]) -> None:
    qom_type = record["args"][1].removesuffix(",help")
    ours = machinectl(*record["args"])
    assert ours.returncode == 0 == record["status"], ours.stderr
    if qom_type == "thread-context":
        modelled = set(threadctx.PROPERTIES)
    else:
        modelled = set(BACKEND_TYPES[qom_type].properties)
    qemu_lines = record["stdout"].splitlines()
    expected = [qemu_lines[0], *(line for line in qemu_lines[1:] if _property(line) in modelled)]
    assert ours.stdout.splitlines() == expected
    left_out = {_property(line) for line in qemu_lines[1:]} - modelled
    # Every backend property of QEMU 7.2 is modelled.
    assert left_out == set()


def test_object_types_as_qemu_lists_them() -> None:
    record = next(r for r in RECORDS if r["args"] == ["-object", "help"])
    ours = machinectl("-object", "help")
    assert ours.returncode == 0, ours.stderr
    qemu_lines = record["stdout"].splitlines()
    expected = [
        qemu_lines[0],
        *(f"  {name}" for name in sorted([*BACKEND_TYPES, "thread-context"])),
    ]
    assert ours.stdout.splitlines() == expected
    assert set(expected) <= set(qemu_lines)
    assert machinectl("-object", "?").stdout == ours.stdout


def test_abstract_backend_help() -> None:
    ours = machinectl("-object", "memory-backend,help")
    assert ours.returncode == 0, ours.stderr
    lines = ours.stdout.splitlines()
    assert lines[0] == "memory-backend options:"
    assert {_property(line) for line in lines[1:]} == set(HostMemoryBackend.properties)
    assert lines[1:] == sorted(lines[1:])  # QEMU sorts the lines as written


def test_help_forms_follow_qemu_s_order_of_checks() -> None:
    # Options before the one that asks are checked; those after it need only be known.
    bad_first = machinectl("-m", "foo", "-object", "memory-backend-ram,help")
    assert bad_first.returncode == 1
    assert bad_first.stderr.startswith("machinectl: -m foo: Parameter 'size' expects")
    assert machinectl("--target", "aarch64", "-M", "virt,help", "-m", "foo").returncode == 0
    # QEMU lists the machine types when it does not know the one asked about.
    unknown = machinectl("-M", "nosuch,help")
    assert unknown.returncode == 0 and unknown.stdout.startswith("Supported machines are:\n")
    # help=on is a property, not the help form.
    assert machinectl("-M", "none,help=on").stderr == (
        "machinectl: Property 'none-machine.help' not found\n"
    )


def test_help_for_an_unknown_object_type_is_qemu_s_error_with_a_suggestion() -> None:
    proc = machinectl("-object", "memory-backend-rom,help")
    assert proc.returncode == 1
    assert proc.stderr == (
        "machinectl: -object memory-backend-rom,help: Parameter 'qom-type' does not accept "
        "value 'memory-backend-rom' (did you mean 'memory-backend-ram'?)\n"
    )


def test_help_for_an_ignored_object_type_says_so() -> None:
    proc = machinectl("-object", "iothread,help")
    assert proc.returncode == 1
    assert proc.stderr.startswith(
        "machinectl: -object iothread,help: 'iothread' is neither a memory backend nor a "
        "thread context: machinectl ignores it, and has no help for it"
    )


@pytest.mark.parametrize(
    ("binary", "driver"),
    [
        ("qemu-system-x86_64", "pc-dimm"),
        ("qemu-system-x86_64", "nvdimm"),
        ("qemu-system-x86_64", "virtio-mem-pci"),
        ("qemu-system-x86_64", "virtio-pmem-pci"),
        ("qemu-system-ppc64", "spapr-nvdimm"),
    ],
)
def test_memory_device_help_is_qemu_s_lines_for_what_is_modelled(binary: str, driver: str) -> None:
    import shutil

    proc = machinectl("-device", f"{driver},help")
    assert proc.returncode == 0 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0] == f"{driver} options:" and len(lines) > 2
    if shutil.which(binary) is None:
        pytest.skip(f"{binary} is not installed")
    qemu = subprocess.run(
        [binary, "-device", f"{driver},help"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    # Every line is QEMU's, in QEMU's order; the DIMMs' lists are QEMU's whole lists.
    assert [line for line in qemu if line in lines] == lines
    if driver in ("pc-dimm", "nvdimm"):
        assert lines == qemu


def test_without_a_target_a_shared_name_says_whose_it_is() -> None:
    proc = machinectl("-M", "help")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    shared = [line for line in lines if line.split(" ", 1)[0] == "virt-7.2"]
    assert len(shared) == 2 and all(line.endswith("]") for line in shared), shared
    assert any(line.endswith("[m68k]") for line in shared)
    assert all("[" not in line for line in lines if line.split(" ", 1)[0] == "raspi3b")
    # With a target the list is QEMU's: names are unique, nothing is added.
    one = machinectl("--target", "aarch64", "-M", "help").stdout
    assert "[" not in one and one.count("\nvirt-7.2 ") == 1
