"""Guest NUMA: -numa node with memdev and the legacy mem, against QEMU 7.2's outcomes.

The command lines in QEMU_ERRORS and QEMU_INFO_NUMA were run on Debian's qemu-system-x86_64,
-aarch64 and -ppc64 7.2 (``-display none -S -nodefaults -qmp stdio``); the texts are what
those binaries printed (without the ``qemu-system-x86_64: `` prefix) or what HMP
``info numa`` returned. Each runs here twice: on the test boards that stand in for
pc-i440fx-5.0 (testnuma-1.0, legacy mem= accepted) and pc-i440fx-7.2 (testnuma-2.0, refused),
both with 128 MiB by default like pc, and on the real board when its plugin is installed.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from machinectl import Machine, MachineError, MiB, Registry, create_registry
from machinectl.hostmem import HostMemoryBackend
from machinectl.report import summary as run_summary
from machinectl_testplugins.good import numa_variants
from qemu_targets import target_of

TEST_GROUP = "machinectl.tests"
#: Test boards standing in for the QEMU machine types the records were taken on.
STAND_INS = {
    "pc-i440fx-5.0": "testnuma-1.0",
    "pc-i440fx-5.1": "testnuma-2.0",
    "pc": "testnuma-2.0",
    "none": "none",
}


class Refused(NamedTuple):
    argv: str
    message: str
    hint: str | None = None


class Runs(NamedTuple):
    argv: str
    info_numa: str
    warnings: tuple[str, ...] = ()


MEM_DEPRECATED = "warning: Parameter -numa node,mem is deprecated, use -numa node,memdev instead"
PARTIAL = (
    "All CPU(s) up to maxcpus should be described in NUMA config, ability to start up with "
    "partial NUMA mappings is obsoleted and will be removed in future"
)
M0_64 = "-object memory-backend-ram,id=m0,size=64M"
AB_64 = "-object memory-backend-ram,id=a,size=64M -object memory-backend-ram,id=b,size=64M"

QEMU_ERRORS = [
    # memdev: the nodes' total must equal the RAM size (no -m: the board default).
    Refused(
        f"-M pc {M0_64} -numa node,memdev=m0",
        "total memory for NUMA nodes (0x4000000) should equal RAM size (0x8000000)",
    ),
    Refused(
        f"-M pc {M0_64} -numa node,memdev=m0 -numa node,memdev=m0",
        "memory backend m0 can't be used multiple times.",
    ),
    Refused(
        "-M pc -object memory-backend-ram,id=m0,size=32M -numa node,memdev=m0 -numa node,memdev=m0",
        "total memory for NUMA nodes (0x4000000) should equal RAM size (0x8000000)",
    ),
    Refused(
        "-M pc -numa node,memdev=nosuch", "-numa node,memdev=nosuch: memdev=nosuch is ambiguous"
    ),
    Refused(
        "-M pc -object memory-backend-ram,id=a,size=128M -numa node,memdev=a,memdev=b",
        "-numa node,memdev=a,memdev=b: memdev=b is ambiguous",
    ),
    Refused(
        f"-M pc {AB_64} -numa node,memdev= -numa node,memdev=b",
        "-numa node,memdev=: memdev= is ambiguous",
    ),
    Refused(
        f"-M pc {AB_64} -numa node,memdev=/a -numa node,memdev=b",
        "-numa node,memdev=/a: memdev=/a is ambiguous",
    ),
    Refused(
        f"-M pc {AB_64} -numa node,memdev=./a -numa node,memdev=b",
        "-numa node,memdev=./a: memdev=./a is ambiguous",
    ),
    Refused(
        "-M pc -object memory-backend-ram,id=a,size=128M -numa node,memdev=/objects",
        "-numa node,memdev=/objects: memdev=/objects is ambiguous",
    ),
    # mem= and memdev= do not mix, in either order.
    Refused(
        f"-M pc {M0_64} -numa node,memdev=m0 -numa node,mem=64M",
        "-numa node,mem=64M: numa configuration should use either mem= or memdev=,mixing both is "
        "not allowed",
    ),
    Refused(
        f"-M pc-i440fx-5.0 {M0_64} -numa node,mem=64M -numa node,memdev=m0",
        "-numa node,memdev=m0: numa configuration should use either mem= or memdev=,mixing both "
        "is not allowed",
    ),
    # -machine memory-backend: the size check first, then the total, then exclusivity.
    Refused(
        "-M pc,memory-backend=m1 -object memory-backend-ram,id=m1,size=128M "
        "-object memory-backend-ram,id=m0,size=128M -numa node,memdev=m0",
        "'-machine memory-backend' and '-numa memdev' properties are mutually exclusive",
    ),
    Refused(
        "-M pc,memory-backend=m1 -object memory-backend-ram,id=m1,size=128M -numa node,memdev=m1",
        "'-machine memory-backend' and '-numa memdev' properties are mutually exclusive",
    ),
    Refused(
        f"-M pc,memory-backend=m1 -object memory-backend-ram,id=m1,size=128M {M0_64} "
        "-numa node,memdev=m0",
        "total memory for NUMA nodes (0x4000000) should equal RAM size (0x8000000)",
    ),
    Refused(
        "-M pc,memory-backend=m1 -m 256M -object memory-backend-ram,id=m1,size=128M "
        "-numa node,nodeid=1",
        "Machine memory size does not match the size of the memory backend",
    ),
    Refused(
        "-M pc-i440fx-5.0 -object memory-backend-ram,id=pc.ram,size=128M -numa node,nodeid=1",
        "object name 'pc.ram' is reserved for the default RAM backend, it can't be used for any "
        "other purposes. Change the object's 'id' to something else",
    ),
    # Boards without NUMA; the option's syntax is checked first.
    Refused("-M none -numa node", "-numa node: NUMA is not supported by this machine-type"),
    Refused(
        "-M none -numa node,mem=64M",
        "-numa node,mem=64M: NUMA is not supported by this machine-type",
    ),
    Refused("-M none -numa foo", "-numa foo: Parameter 'type' does not accept value 'foo'"),
    # Node ids.
    Refused(
        "-M pc -numa node,nodeid=0 -numa node,nodeid=0",
        "-numa node,nodeid=0: Duplicate NUMA nodeid: 0",
    ),
    Refused("-M pc -numa node,nodeid=1 -numa node", "-numa node: Duplicate NUMA nodeid: 1"),
    Refused("-M pc -numa node,nodeid=1", "numa: Node ID missing: 0"),
    Refused("-M pc -numa node,nodeid=0 -numa node,nodeid=3", "numa: Node ID missing: 2"),
    Refused("-M pc -numa node,nodeid=127", "numa: Node ID missing: 126"),
    Refused("-M pc -numa node -numa node,nodeid=010", "numa: Node ID missing: 7"),
    Refused(
        "-M pc -numa node,nodeid=128",
        "-numa node,nodeid=128: Max number of NUMA nodes reached: 128",
    ),
    Refused(
        "-M pc -numa node,nodeid=65536",
        "-numa node,nodeid=65536: Parameter 'nodeid' expects uint16_t",
    ),
    Refused(
        "-M pc -numa node,nodeid=abc",
        "-numa node,nodeid=abc: Parameter 'nodeid' expects a uint64 value",
    ),
    # No implicit RAM distribution any more.
    Refused(
        "-M pc -numa node", "total memory for NUMA nodes (0x0) should equal RAM size (0x8000000)"
    ),
    Refused(
        "-M pc-i440fx-5.0 -numa node -numa node",
        "total memory for NUMA nodes (0x0) should equal RAM size (0x8000000)",
    ),
    # Legacy mem=.
    Refused(
        "-M pc-i440fx-5.1 -numa node,mem=64 -numa node,mem=64",
        "-numa node,mem=64: Parameter -numa node,mem is not supported by this machine type",
        "Use -numa node,memdev instead",
    ),
    Refused(
        "-M pc-i440fx-5.0 -numa node,mem=64M -numa node,mem=32",
        "total memory for NUMA nodes (0x6000000) should equal RAM size (0x8000000)",
    ),
    Refused(
        "-M pc-i440fx-5.0 -numa node,mem=64b -numa node,mem=128M",
        "total memory for NUMA nodes (0x8000040) should equal RAM size (0x8000000)",
    ),
    Refused(
        "-M pc-i440fx-5.0 -numa node,mem=8191 -numa node,mem=128M",
        "total memory for NUMA nodes (0x207f00000) should equal RAM size (0x8000000)",
    ),
    Refused(
        "-M pc-i440fx-5.0 -numa node,mem=18446744073709551615 -numa node,mem=128M",
        "total memory for NUMA nodes (0x7ffffff) should equal RAM size (0x8000000)",
    ),
    Refused(
        "-M pc-i440fx-5.0 -numa node,mem=abc",
        "-numa node,mem=abc: Parameter 'mem' expects a size value",
    ),
    Refused(
        "-M pc-i440fx-5.0 -numa node,mem=1.5 -numa node,mem=128M",
        "-numa node,mem=1.5: Parameter 'mem' expects a size value",
    ),
    # Syntax, in QEMU's member order: type, nodeid, cpus, mem, initiator, then unknown keys.
    Refused("-M pc -numa foo", "-numa foo: Parameter 'type' does not accept value 'foo'"),
    Refused(
        "-M pc -numa node,type=foo",
        "-numa node,type=foo: Parameter 'type' does not accept value 'foo'",
    ),
    Refused("-M pc -numa nodeid=1", "-numa nodeid=1: Parameter 'type' is missing"),
    Refused("-M pc -numa ''", "-numa : Parameter 'type' is missing"),
    Refused("-M pc -numa node,foo=1", "-numa node,foo=1: Invalid parameter 'foo'"),
    Refused("-M pc -numa node,nodeid", "-numa node,nodeid: Invalid parameter 'deid'"),
    Refused(
        "-M pc -smp 2 -numa node,foo=1,nodeid=abc",
        "-numa node,foo=1,nodeid=abc: Parameter 'nodeid' expects a uint64 value",
    ),
    Refused(
        "-M pc -smp 2 -numa node,memdev=zz,cpus=x",
        "-numa node,memdev=zz,cpus=x: Parameter 'cpus' expects a uint64 value or range",
    ),
    Refused(
        "-M pc -smp 2 -numa node,initiator=x,mem=x",
        "-numa node,initiator=x,mem=x: Parameter 'mem' expects a size value",
    ),
    Refused(
        "-M pc -smp 2 -numa node,foo=1,initiator=x",
        "-numa node,foo=1,initiator=x: Parameter 'initiator' expects a uint64 value",
    ),
    # cpus=.
    Refused(
        "-M pc-i440fx-5.0 -smp 2 -numa node,cpus=3-1,mem=128M",
        "-numa node,cpus=3-1,mem=128M: Parameter 'cpus' expects a uint64 value or range",
    ),
    Refused(
        "-M pc-i440fx-5.0 -smp 2 -numa node,cpus=a,mem=128M",
        "-numa node,cpus=a,mem=128M: Parameter 'cpus' expects a uint64 value or range",
    ),
    Refused(
        "-M pc-i440fx-5.0 -smp 2 -numa node,cpus=65536,mem=128M",
        "-numa node,cpus=65536,mem=128M: Parameter 'null' expects uint16_t",
    ),
    Refused(
        "-M pc-i440fx-5.0 -smp 2 -numa node,cpus=2,mem=128M",
        "-numa node,cpus=2,mem=128M: CPU index (2) should be smaller than maxcpus (2)",
    ),
    Refused(
        "-M pc-i440fx-5.0 -smp 2 -numa node,cpus=0-1,cpus=3,mem=128M",
        "-numa node,cpus=0-1,cpus=3,mem=128M: CPU index (3) should be smaller than maxcpus (2)",
    ),
    Refused(
        "-M pc-i440fx-5.0 -smp 2 -numa node,cpus=0,mem=64M -numa node,cpus=0,mem=64M",
        "-numa node,cpus=0,mem=64M: CPU is already assigned to node-id: 0",
    ),
    # initiator= needs -machine hmat=on.
    Refused(
        "-M pc -object memory-backend-ram,id=m0,size=64M -object memory-backend-ram,id=m1,size=64M "
        "-numa node,memdev=m0,initiator=0 -numa node,memdev=m1",
        "-numa node,memdev=m0,initiator=0: ACPI Heterogeneous Memory Attribute Table (HMAT) is "
        "disabled, enable it with -machine hmat=on before using any of hmat specific options",
    ),
    # Real boards only (no stand-in).
    Refused(
        "-M virt-5.1 -numa node,mem=64 -numa node,mem=64",
        "-numa node,mem=64: Parameter -numa node,mem is not supported by this machine type",
        "Use -numa node,memdev instead",
    ),
    Refused(
        "-M virt -numa node", "total memory for NUMA nodes (0x0) should equal RAM size (0x8000000)"
    ),
    Refused(
        "-M pseries -smp 4 -numa node,mem=256M -numa node,mem=256M",
        "-numa node,mem=256M: Parameter -numa node,mem is not supported by this machine type",
        "Use -numa node,memdev instead",
    ),
]


def _info(*nodes: tuple[str, int]) -> str:
    lines = [f"{len(nodes)} nodes"]
    for nodeid, (cpus, mib) in enumerate(nodes):
        lines += [
            f"node {nodeid} cpus:{' ' + cpus if cpus else ''}",
            f"node {nodeid} size: {mib} MB",
            f"node {nodeid} plugged: 0 MB",
        ]
    return "\n".join(lines) + "\n"


RAM_128 = "-object memory-backend-ram,id=ram,size=128M"
RAM_512 = "-object memory-backend-ram,id=ram,size=512M"

QEMU_INFO_NUMA = [
    # tests/qtest/numa-test.c: node 0 has memdev=ram, node 1 has no memory, no -m.
    Runs(
        f"-M pc-i440fx-5.0 {RAM_128} -smp 8 -numa node,memdev=ram -numa node",
        _info(("0 2 4 6", 128), ("1 3 5 7", 0)),
    ),
    Runs(
        f"-M pc-i440fx-5.0 {RAM_128} -smp 8 -numa node,nodeid=0,memdev=ram,cpus=0-3 "
        "-numa node,nodeid=1,cpus=4-7",
        _info(("0 1 2 3", 128), ("4 5 6 7", 0)),
    ),
    Runs(
        f"-M pc-i440fx-5.0 {RAM_128} -smp 8 -numa node,nodeid=0,memdev=ram,cpus=0-1 "
        "-numa node,nodeid=1,cpus=4-5",
        _info(("0 1 2 3 6 7", 128), ("4 5", 0)),
        (
            "warning: CPU(s) not present in any NUMA nodes: "
            "CPU 2 [socket-id: 2, core-id: 0, thread-id: 0], "
            "CPU 3 [socket-id: 3, core-id: 0, thread-id: 0], "
            "CPU 6 [socket-id: 6, core-id: 0, thread-id: 0], "
            "CPU 7 [socket-id: 7, core-id: 0, thread-id: 0]",
            f"warning: {PARTIAL}",
        ),
    ),
    Runs(
        f"-M pc-i440fx-5.0 {RAM_128} -smp 8 -numa node,memdev=ram,cpus=0-3 -numa node,cpus=4-7",
        _info(("0 1 2 3", 128), ("4 5 6 7", 0)),
    ),
    Runs(
        f"-M pseries-5.0 {RAM_512} -smp 8 -numa node,memdev=ram -numa node",
        _info(("0 2 4 6", 512), ("1 3 5 7", 0)),
    ),
    Runs(
        f"-M virt {RAM_128} -smp 8 -numa node,memdev=ram -numa node",
        _info(("0 1 2 3 4 5 6 7", 128), ("", 0)),
    ),
    Runs(
        f"-M virt-5.0 {RAM_128} -smp 8 -numa node,memdev=ram -numa node",
        _info(("0 2 4 6", 128), ("1 3 5 7", 0)),
    ),
    Runs(
        f"-M virt {RAM_128} -smp 8 -numa node,nodeid=0,memdev=ram,cpus=0-3 "
        "-numa node,nodeid=1,cpus=4-7",
        _info(("0 1 2 3", 128), ("4 5 6 7", 0)),
    ),
    # Two memdev nodes; sizes in whole MiB, rounded down.
    Runs(f"-M pc {AB_64} -numa node,memdev=a -numa node,memdev=b", _info(("0", 64), ("", 64))),
    Runs(
        "-M pc -m 100M -object memory-backend-ram,id=a,size=101888k "
        "-object memory-backend-ram,id=b,size=512k -numa node,memdev=a -numa node,memdev=b",
        _info(("0", 99), ("", 0)),
    ),
    # QOM paths: absolute, partial, and the empty partial path naming the only backend.
    Runs(
        f"-M pc {AB_64} -numa node,memdev=objects/a -numa node,memdev=b", _info(("0", 64), ("", 64))
    ),
    Runs(
        f"-M pc {AB_64} -numa node,memdev=//objects/a -numa node,memdev=b",
        _info(("0", 64), ("", 64)),
    ),
    Runs(f"-M pc {AB_64} -numa node,memdev=a/ -numa node,memdev=b", _info(("0", 64), ("", 64))),
    Runs("-M pc -object memory-backend-ram,id=a,size=128M -numa node,memdev=", _info(("0", 128))),
    # -mem-path plays no part in memdev NUMA.
    Runs(
        "-M pc -mem-path /tmp -object memory-backend-ram,id=m0,size=128M -numa node,memdev=m0",
        _info(("0", 128)),
    ),
    # Legacy mem=: a bare number is MiB; accepted with a warning on 5.0 types.
    Runs(
        "-M pc-i440fx-5.0 -numa node,mem=64 -numa node,mem=64",
        _info(("0", 64), ("", 64)),
        (f"-numa node,mem=64: {MEM_DEPRECATED}",) * 2,
    ),
    Runs(
        "-M pc-i440fx-5.0 -numa node,mem=0x40 -numa node,mem=64M",
        _info(("0", 64), ("", 64)),
        (f"-numa node,mem=0x40: {MEM_DEPRECATED}", f"-numa node,mem=64M: {MEM_DEPRECATED}"),
    ),
    Runs(
        "-M pc-i440fx-5.0 -numa node,mem=0x40M -numa node,mem=64M",
        _info(("0", 64), ("", 64)),
        (
            "-numa node,mem=0x40M: warning: Using a multiplier suffix on hex numbers is "
            "deprecated: 0x40M",
        )
        * 2
        + (f"-numa node,mem=0x40M: {MEM_DEPRECATED}", f"-numa node,mem=64M: {MEM_DEPRECATED}"),
    ),
    Runs(
        "-M pc-i440fx-5.0 -numa node,mem=1.0 -numa node,mem=127M",
        _info(("0", 1), ("", 127)),
        (f"-numa node,mem=1.0: {MEM_DEPRECATED}", f"-numa node,mem=127M: {MEM_DEPRECATED}"),
    ),
    Runs(
        "-M pc-i440fx-5.0 -numa node,mem=0 -numa node,mem=128M",
        _info(("0", 0), ("", 128)),
        (f"-numa node,mem=0: {MEM_DEPRECATED}", f"-numa node,mem=128M: {MEM_DEPRECATED}"),
    ),
    Runs(
        "-M pc-i440fx-5.0,memory-backend=m1 -object memory-backend-ram,id=m1,size=128M "
        "-numa node,mem=128M",
        _info(("0", 128)),
        (f"-numa node,mem=128M: {MEM_DEPRECATED}",),
    ),
    Runs(
        "-M pc-i440fx-5.0 -smp 2 -numa node,cpus=0,cpus=0,mem=128M",
        _info(("0 1", 128)),
        (
            f"-numa node,cpus=0,cpus=0,mem=128M: {MEM_DEPRECATED}",
            "warning: CPU(s) not present in any NUMA nodes: "
            "CPU 1 [socket-id: 1, core-id: 0, thread-id: 0]",
            f"warning: {PARTIAL}",
        ),
    ),
    Runs(
        "-M pseries-5.0 -smp 4 -numa node,mem=256M -numa node,mem=256M",
        _info(("0 2", 256), ("1 3", 256)),
        (f"-numa node,mem=256M: {MEM_DEPRECATED}",) * 2,
    ),
    Runs(
        "-M virt-5.0 -numa node,mem=64 -numa node,mem=64",
        _info(("0", 64), ("", 64)),
        (f"-numa node,mem=64: {MEM_DEPRECATED}",) * 2,
    ),
]


# -- helpers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def test_registry() -> Registry:
    return create_registry(
        group=TEST_GROUP, only=["testboards"], plugins=[("numa-variants", numa_variants)]
    )


@pytest.fixture(scope="module")
def real_registry() -> Registry:
    return create_registry()


def build(registry: Registry, argv: str | list[str], allocate: bool = False) -> Machine:
    args = shlex.split(argv) if isinstance(argv, str) else argv
    target = machine_target(registry, args)
    return Machine.from_argv(args, registry=registry, allocate=allocate, target=target)


def stand_in(argv: str) -> str | None:
    """The command line on the test board that stands in for the record's machine type."""
    args = shlex.split(argv)
    machine, _, props = args[1].partition(",")
    board = STAND_INS.get(machine)
    if board is None:
        return None
    args[1] = f"{board},{props}" if props else board
    return renamed(shlex.join(args))


def renamed(text: str) -> str:
    """pc's default RAM id becomes the stand-ins' one."""
    return text.replace("pc.ram", "testnuma.ram")


def machine_target(registry: Registry, args: list[str]) -> str | None:
    """The target the record's machine type (``-M``) is built for, if any has it."""
    if "-M" not in args:
        return None
    return target_of(registry, args[args.index("-M") + 1].partition(",")[0])


def on_real_board(registry: Registry, argv: str) -> str:
    if machine_target(registry, shlex.split(argv)) is None:
        pytest.skip(f"no plugin provides {shlex.split(argv)[1].partition(',')[0]}")
    return argv


def outcome(registry: Registry, argv: str) -> tuple[str, str | None]:
    with pytest.raises(MachineError) as info:
        build(registry, argv)
    return str(info.value), info.value.hint


def info_numa(registry: Registry, argv: str) -> tuple[str, tuple[str, ...]]:
    with build(registry, argv) as machine:
        # As `machinectl run` prints them after "machinectl: ".
        warnings = (w if ": warning: " in w else f"warning: {w}" for w in machine.warnings)
        return machine.numa_text(), tuple(warnings)


def _ids(records: list[Refused] | list[Runs]) -> list[str]:
    return [record.argv for record in records]


# -- QEMU's recorded outcomes -----------------------------------------------------------------


@pytest.mark.parametrize("record", QEMU_ERRORS, ids=_ids(QEMU_ERRORS))
def test_qemu_errors_on_test_boards(record: Refused, test_registry: Registry) -> None:
    argv = stand_in(record.argv)
    if argv is None:
        pytest.skip(
            "the test boards have no stand-in for this machine type (the real-board test runs it)"
        )
    assert outcome(test_registry, argv) == (renamed(record.message), record.hint)


@pytest.mark.parametrize("record", QEMU_ERRORS, ids=_ids(QEMU_ERRORS))
def test_qemu_errors_on_real_boards(record: Refused, real_registry: Registry) -> None:
    argv = on_real_board(real_registry, record.argv)
    assert outcome(real_registry, argv) == (record.message, record.hint)


@pytest.mark.parametrize("record", QEMU_INFO_NUMA, ids=_ids(QEMU_INFO_NUMA))
def test_qemu_info_numa_on_test_boards(record: Runs, test_registry: Registry) -> None:
    argv = stand_in(record.argv)
    if argv is None:
        pytest.skip(
            "the test boards have no stand-in for this machine type (the real-board test runs it)"
        )
    assert info_numa(test_registry, argv) == (record.info_numa, record.warnings)


@pytest.mark.parametrize("record", QEMU_INFO_NUMA, ids=_ids(QEMU_INFO_NUMA))
def test_qemu_info_numa_on_real_boards(record: Runs, real_registry: Registry) -> None:
    argv = on_real_board(real_registry, record.argv)
    assert info_numa(real_registry, argv) == (record.info_numa, record.warnings)


# -- the memory layout -------------------------------------------------------------------------

TWO_NODES = (
    "-object memory-backend-ram,id=n0,size=64M -object memory-backend-ram,id=n1,size=64M "
    "-numa node,memdev=n0 -numa node,memdev=n1"
)


def test_memdev_nodes_sit_in_a_container_named_after_the_ram_id(test_registry: Registry) -> None:
    with build(test_registry, f"-M testnuma-2.0 {TWO_NODES}") as machine:
        ram = machine.state.ram
        assert ram is not None
        assert (ram.name, ram.size, ram.display_kind) == ("testnuma.ram", 128 * MiB, "i/o")
        assert ram.absolute_address() == 0x4000_0000
        placed = sorted((sub.offset, sub.name, sub.size) for sub in ram.subregions)
        assert placed == [(0, "n0", 64 * MiB), (64 * MiB, "n1", 64 * MiB)]
        flat = machine.query()["mtree"]["flat"]
        assert [(r["start"], r["end"], r["kind"], r["region"], r["offset"]) for r in flat] == [
            (0x4000_0000, 0x43FF_FFFF, "ram", "n0", 0),
            (0x4400_0000, 0x47FF_FFFF, "ram", "n1", 0),
        ]
        assert "  0000000040000000-0000000043ffffff (prio 0, ram): n0\n" in machine.mtree_text(
            flat=True
        )
        assert machine.query()["numa"] == [
            {"node-id": 0, "size": 64 * MiB, "memdev": "n0", "cpus": [0]},
            {"node-id": 1, "size": 64 * MiB, "memdev": "n1", "cpus": []},
        ]
        assert [b.id for b in machine.ram_backends] == ["n0", "n1"]


@pytest.mark.parametrize(
    ("machine", "ram_lines"),
    [
        # info mtree -f of QEMU 7.2 with the two nodes below (RAM lines only).
        (
            "virt",
            [
                "0000000040000000-0000000043ffffff (prio 0, ram): n0",
                "0000000044000000-0000000047ffffff (prio 0, ram): n1",
            ],
        ),
        (
            "pc",
            [
                "0000000000000000-00000000000bffff (prio 0, ram): n0",
                "0000000000100000-0000000003ffffff (prio 0, ram): n0 @0000000000100000",
                "0000000004000000-0000000007ffffff (prio 0, ram): n1",
            ],
        ),
    ],
)
def test_container_on_real_boards(
    real_registry: Registry, machine: str, ram_lines: list[str]
) -> None:
    argv = on_real_board(real_registry, f"-M {machine} {TWO_NODES}")
    with build(real_registry, argv) as built:
        flat = built.mtree_text(flat=True).splitlines()
    assert [line.strip() for line in flat if "(prio 0, ram)" in line] == ram_lines


def test_container_follows_node_ids_not_option_order(test_registry: Registry) -> None:
    argv = (
        "-M testnuma-1.0 -object memory-backend-ram,id=big,size=96M "
        "-object memory-backend-ram,id=small,size=32M "
        "-numa node,nodeid=1,memdev=big -numa node,nodeid=0,memdev=small"
    )
    with build(test_registry, argv, allocate=True) as machine:
        ranges = [(r.guest_address, r.size, r.memdev) for r in machine.ram_ranges()]
        assert ranges == [(0, 32 * MiB, "small"), (32 * MiB, 96 * MiB, "big")]
        assert machine.numa_text() == _info(("0", 32), ("", 96))


def test_memoryless_node_between_memdev_nodes(test_registry: Registry) -> None:
    argv = (
        "-M testnuma-1.0 -smp 3 -object memory-backend-ram,id=n0,size=64M "
        "-object memory-backend-ram,id=n2,size=64M "
        "-numa node,memdev=n0 -numa node -numa node,memdev=n2"
    )
    with build(test_registry, argv, allocate=True) as machine:
        assert [(r.guest_address, r.memdev) for r in machine.ram_ranges()] == [
            (0, "n0"),
            (64 * MiB, "n2"),
        ]
        assert machine.numa_text() == _info(("0", 64), ("1", 0), ("2", 64))


def test_legacy_mem_carves_nodes_out_of_one_default_backend(test_registry: Registry) -> None:
    with build(test_registry, "-M testnuma-1.0 -numa node,mem=96 -numa node,mem=32M") as machine:
        assert [b.id for b in machine.backends] == ["testnuma.ram"]
        assert machine.backends[0].size == 128 * MiB
        ram = machine.state.ram
        assert ram is not None and ram.backend is machine.backends[0]
        assert [(n["size"], n["memdev"]) for n in machine.query()["numa"]] == [
            (96 * MiB, None),
            (32 * MiB, None),
        ]


def test_legacy_mem_with_mem_path_gives_a_file_backend(
    test_registry: Registry, tmp_path: object
) -> None:
    argv = ["-M", "testnuma-1.0", "-mem-path", str(tmp_path), "-numa", "node,mem=128"]
    with build(test_registry, argv) as machine:
        (backend,) = machine.backends
        assert (backend.id, backend.qom_type) == ("testnuma.ram", "memory-backend-file")


def test_mem_path_is_ignored_with_memdev_nodes(test_registry: Registry, tmp_path: object) -> None:
    argv = ["-M", "testnuma-1.0", "-mem-path", str(tmp_path), *shlex.split(TWO_NODES)]
    with build(test_registry, argv) as machine:
        assert [(b.id, b.qom_type) for b in machine.backends] == [
            ("n0", "memory-backend-ram"),
            ("n1", "memory-backend-ram"),
        ]


def test_no_m_means_the_board_default_not_the_memdev_sum(test_registry: Registry) -> None:
    argv = (
        "-M testnuma-1.0 -object memory-backend-ram,id=n0,size=128M "
        "-object memory-backend-ram,id=n1,size=128M -numa node,memdev=n0 -numa node,memdev=n1"
    )
    assert outcome(test_registry, argv)[0] == (
        "total memory for NUMA nodes (0x10000000) should equal RAM size (0x8000000)"
    )
    with build(test_registry, f"-m 256M {argv}") as machine:
        assert machine.state.ram_size == 256 * MiB


# -- real memory -------------------------------------------------------------------------------


def test_two_memdev_nodes_are_allocated_for_real(test_registry: Registry) -> None:
    argv = (
        "-M testnuma-2.0 -m 8M -object memory-backend-ram,id=n0,size=4M "
        "-object memory-backend-memfd,id=n1,size=4M -numa node,memdev=n0 -numa node,memdev=n1"
    )
    with build(test_registry, argv, allocate=True) as machine:
        n0, n1 = machine.ram_backends
        assert n0.mapped and n1.mapped and machine.allocated
        view0, view1 = n0.view(), n1.view()
        view0[0:4] = b"node"
        view1[0:4] = b"NODE"
        view1[-1] = 0x5A
        assert bytes(view0[0:4]) == b"node" and view0[-1] == 0
        assert bytes(view1[0:4]) == b"NODE" and view1[-1] == 0x5A
        ranges = machine.ram_ranges()
        assert [(r.guest_address, r.memdev) for r in ranges] == [
            (0x4000_0000, "n0"),
            (0x4040_0000, "n1"),
        ]
        assert [r.host_address for r in ranges] == [n0.host_address, n1.host_address]
        ram = machine.ram
        assert ram is not None and ram.id == "testnuma.ram" and ram.size == 8 * MiB
        with pytest.raises(MachineError, match="made of 2 NUMA backends"):
            _ = ram.view
        del view0, view1


@pytest.fixture
def allocations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    log: list[str] = []
    original = HostMemoryBackend.allocate

    def spy(self: HostMemoryBackend, progress: object = None) -> None:
        log.append(self.id)
        original(self, None)

    monkeypatch.setattr(HostMemoryBackend, "allocate", spy)
    yield log


def test_numa_checks_run_before_any_allocation(
    test_registry: Registry, allocations: list[str]
) -> None:
    argv = (
        "-M testnuma-1.0 -object memory-backend-ram,id=m0,size=64M,prealloc=on "
        "-numa node,memdev=m0 -numa node,memdev=m0"
    )
    with pytest.raises(MachineError, match="can't be used multiple times"):
        build(test_registry, argv, allocate=True)
    assert allocations == []


# -- boards without a default RAM id ------------------------------------------------------------


def test_board_without_ram_id_checks_nodes_but_builds_no_container(
    test_registry: Registry,
) -> None:
    with build(test_registry, f"-M testnuma-noram {TWO_NODES}", allocate=True) as machine:
        assert machine.state.ram is None and machine.ram is None
        assert machine.ram_ranges() == []
        assert not any(b.mapped for b in machine.backends)
        assert machine.numa_text() == _info(("0", 64), ("", 64))
    assert outcome(test_registry, f"-M testnuma-noram {M0_64} -numa node,memdev=m0")[0] == (
        "total memory for NUMA nodes (0x4000000) should equal RAM size (0x8000000)"
    )
    assert outcome(test_registry, "-M testnuma-noram -numa node,nodeid=2")[0] == (
        "numa: Node ID missing: 1"
    )
    with build(test_registry, "-M testnuma-noram -numa node,mem=128") as machine:
        assert machine.backends == [] and machine.state.ram is None


# -- HMAT initiators (QEMU 7.2 with -M pc,hmat=on) ---------------------------------------------

HMAT = (
    "-M testnuma-2.0,hmat=on -smp 2 -object memory-backend-ram,id=m0,size=64M "
    "-object memory-backend-ram,id=m1,size=64M"
)


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ("-numa node,memdev=m0,initiator=0 -numa node,memdev=m1", None),
        ("-numa node,memdev=m0,cpus=0 -numa node,memdev=m1,initiator=1,cpus=1", None),
        (
            "-numa node,memdev=m0,cpus=0 -numa node,memdev=m1,initiator=0,cpus=1",
            "-numa node,memdev=m1,initiator=0,cpus=1: The initiator of CPU NUMA node 1 should "
            "be itself (got 0)",
        ),
        (
            "-numa node,memdev=m0,initiator=5,cpus=0-1 -numa node,memdev=m1,initiator=0",
            "-numa node,memdev=m0,initiator=5,cpus=0-1: The initiator of CPU NUMA node 0 should "
            "be itself (got 5)",
        ),
        (
            "-numa node,memdev=m0,cpus=0-1 -numa node,memdev=m1,initiator=1",
            "The initiator of NUMA node 1 is invalid",
        ),
        (
            "-numa node,memdev=m0,cpus=0-1 -numa node,memdev=m1,initiator=3",
            "NUMA node 3 is missing, use '-numa node' option to declare it first",
        ),
        (
            "-numa node,memdev=m0,initiator=65536 -numa node,memdev=m1",
            "-numa node,memdev=m0,initiator=65536: Parameter 'initiator' expects uint16_t",
        ),
    ],
)
def test_hmat_initiators(test_registry: Registry, nodes: str, message: str | None) -> None:
    if message is None:
        build(test_registry, f"{HMAT} {nodes}").close()
    else:
        assert outcome(test_registry, f"{HMAT} {nodes}")[0] == message


# -- other kinds of -numa, output ----------------------------------------------------------------


def test_numa_cpu_needs_cpu_slots(test_registry: Registry) -> None:
    """A board that declares no CPU slots refuses ``-numa cpu`` with QEMU's message for a
    machine without possible CPUs; ``cpus=`` still places CPU indexes."""
    kind = "cpu,node-id=0,socket-id=0"
    message, _ = outcome(test_registry, f"-M testnuma-noram -numa node,mem=128 -numa {kind}")
    assert message == f"-numa {kind}: mapping of CPUs to NUMA node is not supported"
    with build(test_registry, "-M testnuma-noram -smp 2 -numa node,mem=128,cpus=1") as machine:
        assert machine.query()["numa"][0]["cpus"] == [0, 1]
    with build(test_registry, f"-M testnuma-1.0 -smp 2 -numa node,mem=128 -numa {kind}") as machine:
        assert machine.query()["numa"][0]["cpus"] == [0, 1]


@pytest.mark.parametrize(
    ("dists", "table"),
    [
        ("0:1:20", [[10, 20], [20, 10]]),
        ("0:1:20 1:0:30", [[10, 20], [30, 10]]),
        ("0:1:20 0:0:10 1:1:10", [[10, 20], [20, 10]]),
        ("0:1:15 1:2:25 0:2:35", [[10, 15, 35], [15, 10, 25], [35, 25, 10]]),
    ],
)
def test_numa_distances_are_completed_as_qemu_completes_them(
    test_registry: Registry, dists: str, table: list[list[int]]
) -> None:
    count = len(table)
    sizes = [128 // count] * (count - 1) + [128 - 128 // count * (count - 1)]
    nodes = " ".join(f"-numa node,mem={size}" for size in sizes)
    options = " ".join(
        f"-numa dist,src={src},dst={dst},val={val}"
        for src, dst, val in (item.split(":") for item in dists.split())
    )
    with build(test_registry, f"-M testnuma-1.0 {nodes} {options}") as machine:
        rows = [node["distances"] for node in machine.query()["numa"]]
        text = machine.numa_text(distances=True)
        hmp = machine.qmp("human-monitor-command", **{"command-line": "info numa"})
    assert "distances" not in machine.numa_text() and "distances" not in hmp  # as in QEMU
    assert rows == table
    shown = text.split("node distances:\n", 1)[1].splitlines()
    assert shown[0].split() == ["node", *map(str, range(count))]
    for index, row in enumerate(table):
        assert shown[1 + index].split() == [f"{index}:", *map(str, row)]


def test_without_distances_none_are_shown(test_registry: Registry) -> None:
    with build(test_registry, "-M testnuma-1.0 -numa node,mem=128") as machine:
        assert "distances" not in machine.query()["numa"][0]
        assert "node distances" not in machine.numa_text(distances=True)


def test_without_numa_info_numa_says_0_nodes(test_registry: Registry) -> None:
    with build(test_registry, "-M testnuma-1.0") as machine:
        assert machine.numa_text() == "0 nodes\n"
        assert machine.query()["numa"] == []


def test_create_takes_numa_nodes(test_registry: Registry) -> None:
    with Machine.create(
        "testnuma-1.0",
        objects=[{"qom-type": "memory-backend-ram", "id": "m0", "size": "128M"}],
        numa=[{"type": "node", "memdev": "m0", "cpus": "0-1"}, {"type": "node", "cpus": "2-3"}],
        smp=4,
        registry=test_registry,
        allocate=False,
    ) as machine:
        assert machine.numa_text() == _info(("0 1", 128), ("2 3", 0))


def test_run_summary_shows_info_numa(test_registry: Registry) -> None:
    with build(test_registry, f"-M testnuma-1.0 -smp 2 {TWO_NODES}") as machine:
        summary = run_summary(machine)
    assert "\n2 nodes\nnode 0 cpus: 0\nnode 0 size: 64 MB\n" in summary
    assert "node 1 cpus: 1\nnode 1 size: 64 MB\nnode 1 plugged: 0 MB\n" in summary


# -- arbitrary -numa strings ---------------------------------------------------------------------

FRAGMENTS = [
    "node", "cpu", "dist", "foo", "type=", "nodeid=", "mem=", "memdev=", "cpus=", "initiator=",
    "m0", "m1", "/objects/", "0", "1", "2", "3", "127", "128", "65536", "0x1", "-", ",", ",,",
    "M", "G", "k", "b", "64", "128", ".5", "no", "=", " ",
]  # fmt: skip
fuzzed = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=10).map("".join)
well_formed = st.tuples(
    st.sampled_from(["node", "type=node"]),
    st.sampled_from(["", ",nodeid=0", ",nodeid=1", ",nodeid=2"]),
    st.sampled_from(["", ",memdev=m0", ",memdev=m1", ",mem=64", ",mem=64M", ",mem=128M"]),
    st.sampled_from(["", ",cpus=0", ",cpus=1-2", ",cpus=0,cpus=3", ",initiator=0"]),
).map("".join)
numa_text = well_formed | fuzzed


@settings(max_examples=300, deadline=None)
@given(
    options=st.lists(numa_text, min_size=1, max_size=4),
    machine=st.sampled_from(["testnuma-1.0", "testnuma-2.0,hmat=on", "testnuma-noram", "none"]),
    smp=st.integers(1, 4),
)
def test_any_numa_option_is_a_machine_or_a_machine_error(
    test_registry: Registry, options: list[str], machine: str, smp: int
) -> None:
    argv = ["-M", machine, "-smp", str(smp), "-object", "memory-backend-ram,id=m0,size=64M",
            "-object", "memory-backend-ram,id=m1,size=64M"]  # fmt: skip
    for option in options:
        argv += ["-numa", option]
    try:
        machine_built = build(test_registry, argv)
    except MachineError:
        return
    with machine_built:
        numa = machine_built.state.numa
        assert numa is not None
        assert [node.nodeid for node in numa.nodes] == list(range(len(numa.nodes)))
        assert numa.total_memory == machine_built.state.ram_size
        placed = sorted(cpu for node in numa.nodes for cpu in node.cpus)
        assert placed == list(range(smp))


@st.composite
def layouts(draw: st.DrawFn) -> tuple[list[int], list[int], dict[int, int]]:
    """Node sizes (MiB, adding up to 128) in node-id order, an option order, a CPU mapping."""
    count = draw(st.integers(1, 4))
    cuts = sorted(draw(st.lists(st.integers(0, 8), min_size=count - 1, max_size=count - 1)))
    sizes = [16 * (b - a) for a, b in zip([0, *cuts], [*cuts, 8], strict=True)]
    order = draw(st.permutations(range(count)))
    cpus = draw(st.dictionaries(st.integers(0, 3), st.integers(0, count - 1)))
    return sizes, list(order), cpus


@settings(max_examples=200, deadline=None)
@given(layout=layouts())
def test_any_node_layout_that_adds_up_builds(
    test_registry: Registry, layout: tuple[list[int], list[int], dict[int, int]]
) -> None:
    sizes, order, cpus = layout
    argv = ["-M", "testnuma-2.0", "-smp", "4"]
    for nodeid in order:
        option = f"node,nodeid={nodeid}"
        if sizes[nodeid]:
            argv += ["-object", f"memory-backend-ram,id=b{nodeid},size={sizes[nodeid]}M"]
            option += f",memdev=b{nodeid}"
        option += "".join(f",cpus={cpu}" for cpu, node in cpus.items() if node == nodeid)
        argv += ["-numa", option]
    with build(test_registry, argv) as machine:
        flat = machine.query()["mtree"]["flat"]
        # Backends in node-id order, each right after the previous one, from the RAM base.
        assert [(r["start"], r["region"]) for r in flat] == [
            (0x4000_0000 + MiB * sum(sizes[:nodeid]), f"b{nodeid}")
            for nodeid, size in enumerate(sizes)
            if size
        ]
        if cpus:
            expected = {cpu: cpus.get(cpu, 0) for cpu in range(4)}
        else:
            # testnuma-2.0 stands for a 6.2+ type: -smp 4 is one socket, all of it on node 0.
            expected = dict.fromkeys(range(4), 0)
        assert machine.query()["numa"] == [
            {
                "node-id": nodeid,
                "size": size * MiB,
                "memdev": f"b{nodeid}" if size else None,
                "cpus": [cpu for cpu in range(4) if expected[cpu] == nodeid],
            }
            for nodeid, size in enumerate(sizes)
        ]
