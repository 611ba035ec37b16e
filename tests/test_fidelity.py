"""Details where machinectl follows QEMU 7.2, each checked on Debian's 7.2 binaries.

The expected texts are what ``qemu-system-x86_64``, ``-aarch64``, ``-ppc64`` and ``-s390x``
7.2 printed for the same command line (``-display none -S -nodefaults -qmp stdio``, HMP
``info numa`` / ``info mtree [-f]``, or their stdout).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from machinectl import (
    BoardFacts,
    BoardSpec,
    BoardTable,
    Machine,
    MachineError,
    MemoryRegion,
    MiB,
    Registry,
    create_registry,
)
from machinectl.memory import mtree_text
from machinectl.report import machine_list
from qemu_targets import target_of

CLI = [sys.executable, "-m", "machinectl.cli"]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry()


def build(registry: Registry, argv: str) -> Machine:
    args = shlex.split(argv)
    machine = args[1].partition(",")[0]
    target = target_of(registry, machine)
    if target is None:
        pytest.skip(f"no plugin provides {machine}")
    return Machine.from_argv(args, registry=registry, allocate=False, target=target)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60, check=False)


def ram_lines(machine: Machine) -> list[str]:
    return [line.strip() for line in machine.mtree_text(flat=True).splitlines() if ", ram)" in line]


# -- RAM named by QOM path on machine types up to 3.1 ------------------------------------------


@pytest.mark.parametrize(
    ("machine", "backend", "name"),
    [
        ("pc-i440fx-3.1", "memory-backend-memfd", "/objects/m0"),
        ("pc-i440fx-3.1", "memory-backend-file,mem-path={tmp}/f", "/objects/m0"),
        ("pc-i440fx-3.1", "memory-backend-ram", "m0"),
        ("pc-i440fx-3.1", "memory-backend-memfd,x-use-canonical-path-for-ramblock-id=off", "m0"),
        ("pc-i440fx-4.0", "memory-backend-memfd", "m0"),
        ("pc-q35-3.1", "memory-backend-memfd", "/objects/m0"),
        ("virt-3.1", "memory-backend-memfd", "/objects/m0"),
        ("virt-4.0", "memory-backend-memfd", "m0"),
        ("pseries-3.1", "memory-backend-memfd", "/objects/m0"),
        ("pseries-4.0", "memory-backend-memfd", "m0"),
        ("s390-ccw-virtio-3.1", "memory-backend-memfd", "/objects/m0"),
        ("s390-ccw-virtio-4.0", "memory-backend-memfd", "m0"),
    ],
)
def test_file_and_memfd_ram_named_by_qom_path_up_to_3_1(
    registry: Registry, tmp_path: Path, machine: str, backend: str, name: str
) -> None:
    size = "512M"
    spec = backend.format(tmp=tmp_path)
    argv = f"-M {machine},memory-backend=m0 -m {size} -object {spec},id=m0,size={size}"
    with build(registry, argv) as built:
        assert {line.split("): ")[1].split(" @")[0] for line in ram_lines(built)} == {name}
        assert [d["id"] for d in built.query()["memdev"]] == ["m0"]


def test_the_default_backend_keeps_its_id_on_old_types(registry: Registry) -> None:
    with build(registry, "-M pc-i440fx-3.1 -m 128M -mem-path /tmp") as machine:
        assert ram_lines(machine) == [
            "0000000000000000-00000000000bffff (prio 0, ram): pc.ram",
            "0000000000100000-0000000007ffffff (prio 0, ram): pc.ram @0000000000100000",
        ]


def test_numa_nodes_named_by_qom_path_up_to_3_1(registry: Registry) -> None:
    argv = (
        "-M pc-i440fx-3.1 -m 128M -object memory-backend-memfd,id=n0,size=64M "
        "-object memory-backend-memfd,id=n1,size=64M -numa node,memdev=n0 -numa node,memdev=n1"
    )
    with build(registry, argv) as machine:
        tree = machine.mtree_text()
    # info mtree of QEMU 7.2: the container, its nodes in address order.
    assert (
        "memory-region: pc.ram\n"
        "  0000000000000000-0000000007ffffff (prio 0, i/o): pc.ram\n"
        "    0000000000000000-0000000003ffffff (prio 0, ram): /objects/n0\n"
        "    0000000004000000-0000000007ffffff (prio 0, ram): /objects/n1\n"
    ) in tree


# -- where CPUs go without cpus= -----------------------------------------------------------------

TWO_NODES_256 = (
    "-smp 4 -m 512M -object memory-backend-ram,id=m0,size=256M "
    "-object memory-backend-ram,id=m1,size=256M -numa node,memdev=m0 -numa node,memdev=m1"
)
SPLIT = ("0 2", "1 3")
ALL_ON_0 = ("0 1 2 3", "")


@pytest.mark.parametrize(
    ("machine", "cpus"),
    [
        ("pc", ALL_ON_0),
        ("pc-i440fx-6.2", ALL_ON_0),
        ("pc-i440fx-6.1", SPLIT),
        ("q35", ALL_ON_0),
        ("pc-q35-6.1", SPLIT),
        ("microvm", ALL_ON_0),
        ("virt", ALL_ON_0),
        ("virt-6.2", ALL_ON_0),
        ("virt-6.1", SPLIT),
        ("virt-2.6", SPLIT),
        ("sbsa-ref", SPLIT),
        ("pseries", ALL_ON_0),
        ("pseries-6.2", ALL_ON_0),
        ("pseries-6.1", SPLIT),
        ("pseries-2.1", SPLIT),
    ],
)
def test_default_cpu_placement_matches_qemu(
    registry: Registry, machine: str, cpus: tuple[str, str]
) -> None:
    with build(registry, f"-M {machine} {TWO_NODES_256}") as built:
        lines = [line for line in built.numa_text().splitlines() if " cpus:" in line]
    assert lines == [f"node {i} cpus:{' ' + c if c else ''}" for i, c in enumerate(cpus)]


# -- the automatic single node -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("machine", "memory", "nodes"),
    [
        ("pc-i440fx-7.2", "512M", 0),
        ("pc-i440fx-7.2", "512M,maxmem=2G", 1),
        ("pc-i440fx-7.2", "512M,slots=2,maxmem=2G", 1),
        ("pc-i440fx-5.1", "512M,maxmem=2G", 1),
        ("pc-i440fx-5.0", "512M,maxmem=2G", 0),
        ("pc-i440fx-5.0", "512M,slots=2,maxmem=2G", 1),
        ("pc-i440fx-2.11", "512M,slots=2,maxmem=2G", 1),
        ("pc-i440fx-2.10", "512M,slots=2,maxmem=2G", 0),
        ("pc-q35-2.11", "512M,slots=2,maxmem=2G", 1),
        ("pc-q35-2.10", "512M,slots=2,maxmem=2G", 0),
        ("pc-q35-5.1", "512M,maxmem=2G", 1),
        ("microvm", "512M,slots=2,maxmem=2G", 0),
        ("virt", "512M,maxmem=2G", 1),
        ("virt-5.1", "512M,maxmem=2G", 1),
        ("virt-5.0", "512M,maxmem=2G", 0),
        ("virt-4.2", "512M,slots=2,maxmem=2G", 1),
        ("virt-4.1", "512M,slots=2,maxmem=2G", 0),
        ("sbsa-ref", "1G,slots=2,maxmem=2G", 0),
        ("pseries", "512M", 1),
        ("pseries-2.1", "512M", 1),
    ],
)
def test_automatic_node_matches_qemu(
    registry: Registry, machine: str, memory: str, nodes: int
) -> None:
    with build(registry, f"-M {machine} -m {memory}") as built:
        assert built.numa_text().splitlines()[0] == f"{nodes} nodes"


def test_automatic_node_holds_all_ram_and_cpus(registry: Registry) -> None:
    with build(registry, "-M pseries -smp 2") as machine:
        # info numa of QEMU 7.2 for the same command line.
        assert machine.numa_text() == (
            "1 nodes\nnode 0 cpus: 0 1\nnode 0 size: 512 MB\nnode 0 plugged: 0 MB\n"
        )
        assert [d["id"] for d in machine.query()["memdev"]] == ["ppc_spapr.ram"]


# -- info mtree order ----------------------------------------------------------------------------


def test_mtree_lists_siblings_by_address_then_priority() -> None:
    root = MemoryRegion.container("root", 0x10000)
    root.add_subregion(0x1000, MemoryRegion.io("low", 0x1000))
    root.add_subregion(0x1000, MemoryRegion.io("low-above", 0x1000), priority=1)
    root.add_subregion(0x1000, MemoryRegion.io("low-later", 0x1000))
    root.add_subregion(0x2000, MemoryRegion.io("high", 0x1000))
    names = [line.split(": ")[1] for line in mtree_text(root).splitlines()[2:]]
    # Same address: higher priority first; same priority: the one added later first.
    assert names == ["low-above", "low-later", "low", "high"]


# -- notices on stdout ---------------------------------------------------------------------------

FIXED_UP = (
    "Ram size 1025MB was fixed up to 1024MB to match machine restrictions. "
    "Consider updating the guest definition."
)


def test_s390x_rounding_is_a_notice_not_a_warning(registry: Registry) -> None:
    with build(registry, "-M s390-ccw-virtio-4.2 -m 1025M") as machine:
        assert machine.notices == [FIXED_UP]
        assert machine.warnings == []
        assert machine.query()["notices"] == [FIXED_UP]
        assert machine.state.ram_size == 1024 * MiB


def test_cli_prints_notices_as_plain_stdout_lines() -> None:
    proc = run("run", "--dry-run", "-M", "s390-ccw-virtio-4.2", "-m", "1025M")
    if "unsupported machine type" in proc.stderr:
        pytest.skip("machinectl-s390x is not installed")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == FIXED_UP
    assert "warning" not in proc.stderr
    as_json = run("run", "--dry-run", "--json", "-M", "s390-ccw-virtio-4.2", "-m", "1025M")
    assert json.loads(as_json.stdout)["notices"] == [FIXED_UP]
    # With QMP on standard output, the notice comes before the greeting, as QEMU's does.
    quit_ = '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n'
    argv = ["run", "--quiet", "-M", "s390-ccw-virtio-4.2", "-m", "1025M", "-qmp", "stdio"]
    served = subprocess.run(
        [*CLI, *argv], input=quit_, capture_output=True, text=True, timeout=60, check=False
    )
    assert served.returncode == 0, served.stderr
    assert served.stdout.splitlines()[0] == FIXED_UP
    assert "QMP" in json.loads(served.stdout.splitlines()[1])


def test_a_board_can_give_notices() -> None:
    def layout(machine: object, facts: BoardFacts) -> None:
        machine.notice("placed")  # type: ignore[attr-defined]

    table = BoardTable(
        [
            BoardFacts(
                spec=BoardSpec(name="noticing", family="test"),
                default_ram_size=MiB,
                default_ram_id="n.ram",
                layout=layout,
            )
        ]
    )
    registry = create_registry(load_entrypoints=False, plugins=[("n", table)])
    with Machine.from_argv(["-M", "noticing"], registry=registry, allocate=False) as machine:
        assert machine.notices == ["placed"]


# -- -M help -----------------------------------------------------------------------------------


@pytest.mark.parametrize("option", [["-M", "help"], ["-machine", "help"], ["-M", "?"]])
def test_machine_help_lists_machine_types_like_qemu(option: list[str]) -> None:
    proc = run("run", *option)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Supported machines are:"
    assert "none                 empty machine" in lines
    if "pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996)" in lines:
        # As qemu-system-x86_64 prints them: the alias right before its machine type.
        alias = lines.index(
            "pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)"
        )
        assert lines[alias + 1].startswith("pc-i440fx-7.2 ")
        assert "pc-i440fx-1.4        Standard PC (i440FX + PIIX, 1996) (deprecated)" in lines
    if "s390-ccw-virtio-2.10 Virtual s390x machine (version 2.10)" in lines:
        # A name of 20 characters: one blank, as QEMU's %-20s leaves.
        assert lines.index("s390-ccw-virtio-2.10 Virtual s390x machine (version 2.10)") < (
            lines.index("s390-ccw-virtio-2.4  Virtual s390x machine (version 2.4)")
        )


def test_machine_help_after_a_bad_option_is_that_option_s_error() -> None:
    proc = run("run", "-m", "foo", "-M", "help")
    assert proc.returncode == 1
    assert proc.stderr.startswith("machinectl: -m foo: Parameter 'size' expects")
    # After -M help, the options are not parsed, only known.
    assert run("run", "-M", "help", "-m", "foo").returncode == 0
    unknown = run("run", "-M", "help", "-foo")
    assert (unknown.returncode, unknown.stderr) == (
        1,
        "machinectl: -foo: invalid option (did you mean '-boot'? see 'machinectl run --help')\n",
    )


def test_machine_type_help_is_a_machine_name() -> None:
    proc = run("run", "-machine", "type=help")
    assert proc.returncode == 1
    assert "unsupported machine type" in proc.stderr


def test_machine_list_format() -> None:
    boards = create_registry(load_entrypoints=False).boards
    assert machine_list(boards) == "Supported machines are:\nnone                 empty machine\n"


# -- hmat on every NUMA-capable board ------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        ("-M pc,hmat=on", None),
        ("-M microvm,hmat=on", None),
        ("-M sbsa-ref,hmat=on", None),
        ("-M pseries,hmat=on", None),
        ("-M none,hmat=on", "Property 'none-machine.hmat' not found"),
        ("-M raspi3b,hmat=on", "Property 'raspi3b-machine.hmat' not found"),
        ("-M s390-ccw-virtio,hmat=on", "Property 's390-ccw-virtio-7.2-machine.hmat' not found"),
    ],
)
def test_hmat_is_a_property_of_numa_boards_only(
    registry: Registry, argv: str, error: str | None
) -> None:
    if error is None:
        build(registry, argv).close()
        return
    with pytest.raises(MachineError) as refused:
        build(registry, argv).close()
    assert str(refused.value) == error


def test_hmat_comes_from_the_core_not_the_board() -> None:
    spec = BoardSpec(name="n", numa=True, properties={"other": "int"})
    assert spec.machine_properties == {"hmat": "bool", "other": "int"}
    assert BoardSpec(name="m").machine_properties == {}
    assert "hmat" not in spec.properties
