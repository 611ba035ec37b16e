"""Edge cases of the RAM options, each run by machinectl and by the QEMU 7.2 binary of its
target: the same outcome, the same errors, and the warnings QEMU gives before them.

QEMU prints a warning when it is given, so before an error found later; its hint lines (no
program name) are folded into the line above by machinectl (``... (Please use x=on instead)``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from machinectl import Machine, MachineError

CLI = [sys.executable, "-m", "machinectl.cli"]
QMP_QUIT = '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n'

ONE_BACKEND = ["-object", "memory-backend-ram,id=m0,size=64M"]
MEMDEV = ["-machine", "memory-backend=m0"]
PCI_BACKENDS = [
    *("-m", "1G,slots=2,maxmem=4G"),
    *("-object", "memory-backend-ram,id=m1,size=256M"),
    *("-object", "memory-backend-ram,id=m2,size=256M"),
]

CASES: list[tuple[str, list[str]]] = [
    # warnings given before the error
    ("x86_64", ["-M", "none", "-m", "0x10,maxmem=8"]),
    ("x86_64", ["-M", "none", "-m", "64M,slots"]),
    ("aarch64", ["-M", "virt-5.0", "-m", "128M", "-numa", "node,mem=64M", "-numa", "node,mem=32M"]),
    # short-form booleans, with QEMU's advice
    (
        "x86_64",
        [
            *("-M", "none", "-m", "64M"),
            *("-object", "memory-backend-ram,id=m0,size=64M,nomerge,prealloc"),
            *("-object", "memory-backend-ram,id=m1,size=4M,nodelay"),
        ],
    ),
    # -m slots= is a QemuOpts number: strtoull's wrap-around, and its range
    ("x86_64", ["-M", "none", "-m", "128M,slots=-1,maxmem=1G"]),
    ("x86_64", ["-M", "pc", "-m", "128M,slots=-1,maxmem=1G"]),
    ("x86_64", ["-M", "none", "-m", "128M,slots=18446744073709551616,maxmem=1G"]),
    ("x86_64", ["-M", "none", "-m", "128M,slots=-0,maxmem=1G"]),
    # QOM paths of memory backends
    *(
        ("x86_64", ["-M", f"none,memory-backend={path}", "-m", "64M", *ONE_BACKEND])
        for path in ("", "m0", "objects/m0", "/objects/m0", "//objects//m0/", "/m0", "objects")
    ),
    (
        "x86_64",
        [
            *("-M", "none,memory-backend=", "-m", "64M"),
            *("-object", "memory-backend-ram,id=m0,size=64M"),
            *("-object", "memory-backend-ram,id=m1,size=64M"),
        ],
    ),
    *(
        (
            "x86_64",
            [
                *("-M", "pc", "-m", "64M,slots=2,maxmem=1G"),
                *("-object", "memory-backend-ram,id=m0,size=64M"),
                *("-device", f"pc-dimm,id=d0,memdev={path}"),
            ],
        )
        for path in ("", "objects/m0", "/objects/m0/")
    ),
    # the target's default machine type, for no -M and an empty one
    ("x86_64", ["-m", "64M"]),
    ("x86_64", ["-M", "", "-m", "64M"]),
    ("mips", ["-m", "64M"]),
    ("sparc64", ["-m", "256M"]),
    ("aarch64", ["-m", "64M"]),
    # the object's type is checked before its id
    ("x86_64", ["-M", "none", "-m", "64M", "-object", "memory-backend-bogus,size=64M"]),
    ("x86_64", ["-M", "none", "-m", "64M", "-object", "memory-backend-ram,,id=m0,size=64M"]),
    # QemuOpts checks -m's values as it reads them: no warning for an item after an error
    ("x86_64", ["-M", "none", "-m", ",1G"]),
    ("x86_64", ["-M", "none", "-m", "64M,slots=x,prealloc"]),
    ("x86_64", ["-M", "none", "-m", "64M,nodelay,slots=x,prealloc"]),
    ("x86_64", ["-M", "none", "-m", "64M,maxmem=1G,bogus,size=2"]),
    # an OnOffAuto property is checked as -machine is read, before the RAM
    ("aarch64", ["-M", "virt,acpi=bogus", "-m", "1T"]),
    ("x86_64", ["-M", "microvm,acpi=bogus", "-m", "1T"]),
    # PCI memory devices take slots of the root bus, as QEMU's PCI core gives them
    *(
        ("x86_64", ["-M", board, *PCI_BACKENDS, *devices])
        for board in ("pc", "q35", "pc,acpi=off")
        for devices in (
            ["-device", "virtio-pmem-pci,memdev=m1,addr=0"],
            ["-device", "virtio-pmem-pci,memdev=m1,addr=1.3"],
            ["-device", "virtio-pmem-pci,memdev=m1,addr=1f.3"],
            ["-device", "virtio-pmem-pci,memdev=m1,addr=0x100000001"],
            ["-device", "virtio-pmem-pci,memdev=m1,addr= +3"],
            ["-device", "virtio-pmem-pci,memdev=m1,addr=3.8"],
            ["-device", "virtio-pmem-pci,memdev=m1,addr=0x"],
            ["-device", "virtio-pmem-pci,memdev=m1", "-device", "virtio-mem-pci,memdev=m2,addr=2"],
            [
                "-device",
                "virtio-pmem-pci,memdev=m1,addr=4.2",
                "-device",
                "virtio-mem-pci,memdev=m2,addr=4",
            ],
            [
                "-device",
                "virtio-pmem-pci,id=a,memdev=m1,addr=4",
                "-device",
                "virtio-mem-pci,memdev=m2,addr=4.1",
            ],
        )
    ),
    (
        "aarch64",
        [
            "-M",
            "virt",
            "-cpu",
            "max",
            *PCI_BACKENDS,
            "-device",
            "virtio-mem-pci,memdev=m1,addr=0.1",
        ],
    ),
    # nvdimm-persistence: wherever nvdimm is, with QEMU's check of its value
    *(
        (target, ["-M", f"{board},nvdimm-persistence={value}"])
        for target, board in (("x86_64", "isapc"), ("aarch64", "virt"), ("ppc64", "pseries-4.2"))
        for value in ("cpu", "bogus")
    ),
    # several errors: the first QEMU meets. An -object's values are read with the command line
    # (in the order of the options), thread contexts are created before the machine type is
    # looked up, each backend is created whole (setters, then its policy) before the next,
    # and all of them before the machine's own memory is resolved.
    ("x86_64", ["-object", "memory-backend-ram,id=m,size=1G,seal=on", "-m", "1Q"]),
    ("x86_64", ["-m", "1Q", "-object", "memory-backend-ram,id=m,size=1G,seal=on"]),
    ("x86_64", ["-M", "nope", "-object", "memory-backend-ram,id=m,size=1G,seal=on"]),
    ("x86_64", ["-M", "pc,bogus=1", "-object", "memory-backend-ram,id=m,size=1G,policy=BIND"]),
    ("x86_64", ["-M", "pc,bogus=1", "-object", "memory-backend-ram,id=m"]),
    ("x86_64", ["-M", "pc,bogus=1", "-object", "memory-backend-ram,id=m,size=0x1M"]),
    ("x86_64", ["-M", "pc,bogus=1", "-object", "memory-backend-ram,id=m,size=0"]),
    ("x86_64", ["-object", "memory-backend-file,id=m,mem-path=/tmp,readonly=x"]),
    ("x86_64", ["-object", "memory-backend-ram,id=m,sahre=on,size=xx"]),
    ("x86_64", ["-object", "memory-backend-ram,id=m,size=1G,zz=1,aa=2,bb=3"]),
    ("x86_64", ["-object", "memory-backend-ram,id=m,zz=1,size=1G,policy=x"]),
    ("x86_64", ["-object", "thread-context,id=t,cpu-affinity=x,bogus=1"]),
    ("x86_64", ["-object", "thread-context,id=t,cpu-affinity=1,zz=1,aa=2,bb=3"]),
    ("x86_64", ["-M", "nope", "-object", "thread-context,id=t,cpu-affinity=99999"]),
    ("x86_64", ["-M", "pc,bogus=1", "-object", "thread-context,id=t,cpu-affinity=99999"]),
    ("x86_64", ["-m", "1G,maxmem=512M", "-object", "thread-context,id=t,cpu-affinity=99999"]),
    *(
        ("x86_64", ["-object", "memory-backend-ram,id=m,size=1G,host-nodes=0", *later])
        for later in (
            ["-machine", "memory-backend=nope"],
            ["-numa", "node,memdev=zz"],
            ["-numa", "node,nodeid=0", "-numa", "node,nodeid=0"],
            ["-object", "memory-backend-ram,id=n,size=0"],
            ["-M", "pc,memory-backend=m", "-m", "2G"],
            ["-smp", "4,maxcpus=2"],
        )
    ),
    ("mips", ["-M", "malta", "-object", "memory-backend-ram,id=m,size=64M,policy=bind", *MEMDEV]),
    (
        "mips",
        [
            *("-M", "malta", "-object", "memory-backend-ram,id=m0,size=128M", *MEMDEV),
            *("-mem-path", "/tmp", "-machine", "nvdimm=off"),
        ],
    ),
    # a size past 2**64: out of range when nothing follows the number, else a syntax error
    *(
        ("x86_64", ["-M", "none", "-m", size])
        for size in (
            "18446744073709551616",
            "18446744073709551616B",
            "18446744073709551616K",
            "0x10000000000000000",
            "0x10000000000000000M",
            "99999999999999999999999.5",
        )
    ),
    # a repeated id= in one -object: the first counts
    *(
        (
            "x86_64",
            [
                *("-M", f"none,memory-backend={which}", "-m", "1M"),
                *("-object", "memory-backend-ram,id=a,size=1M,id=b"),
            ],
        )
        for which in ("a", "b")
    ),
    # -m replaces the -machine memory.* keys it gives: those are not even read
    ("aarch64", ["-M", "virt", "-m", "512M", "-machine", "memory.size=abc"]),
    ("aarch64", ["-M", "virt", "-m", "512M", "-machine", "memory.slots=abc"]),
    ("aarch64", ["-M", "virt", "-m", "512M,maxmem=1G", "-machine", "memory.max-size=abc"]),
    ("aarch64", ["-M", "virt", "-m", "0", "-machine", "memory.size=abc"]),
    # virt's physical address space is the CPU model's
    *(
        ("aarch64", ["-M", "virt", "-cpu", cpu, "-m", f"1G,maxmem={maxmem}"])
        for cpu, maxmem in (
            ("cortex-a57", "4T"),
            ("cortex-a57", "17T"),
            ("cortex-a72", "15T"),
            ("cortex-a53", "4T"),
            ("neoverse-n1", "200T"),
            ("neoverse-n1", "300T"),
            ("max", "300T"),
            ("max", "5000T"),
        )
    ),
    ("arm", ["-M", "virt", "-cpu", "max", "-m", "1G,maxmem=4G"]),
    ("arm", ["-M", "virt", "-m", "1G,maxmem=4G"]),
    # memory-backend-epc: read as any backend, refused when it is created (no SGX)
    ("x86_64", ["-M", "pc", "-object", "memory-backend-epc,id=e,size=1M"]),
    ("x86_64", ["-M", "pc,bogus=1", "-object", "memory-backend-epc,id=e,size=1M"]),
    ("x86_64", ["-M", "pc", "-object", "memory-backend-epc,id=e,size=1M,bogus=2"]),
    (
        "x86_64",
        [
            *("-M", "pc", "-object", "memory-backend-ram,id=m,size=1M,host-nodes=0"),
            *("-object", "memory-backend-epc,id=e,size=1M"),
        ],
    ),
    # without -m, maxmem stays the board's default size, below a larger backend's
    *(
        (target, ["-M", board, "-object", f"memory-backend-ram,id=m0,size={size}", *MEMDEV])
        for target, board in (("aarch64", "virt"), ("aarch64", "virt-2.12"), ("x86_64", "pc"))
        for size in ("64M", "1100M", "1500M")
    ),
]


def _qemu(target: str, argv: list[str]) -> tuple[int, list[str]]:
    binary = shutil.which(f"qemu-system-{target}")
    if binary is None:
        pytest.skip(f"qemu-system-{target} is not installed")
    proc = subprocess.run(
        [binary, *argv, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"],
        input=QMP_QUIT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    prefix = f"{os.path.basename(binary)}: "
    # Lines without the program name are hints; machinectl keeps them on the line above.
    lines = [
        line.removeprefix(prefix) for line in proc.stderr.splitlines() if line.startswith(prefix)
    ]
    return proc.returncode, lines


def _ours(target: str, argv: list[str]) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [*CLI, "run", "--quiet", "--dry-run", "--target", target, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("MACHINECTL_")},
    )
    return proc.returncode, [line.removeprefix("machinectl: ") for line in proc.stderr.splitlines()]


@pytest.mark.parametrize(
    ("target", "argv"), CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else v
)
def test_edge_cases_end_as_in_qemu(target: str, argv: list[str]) -> None:
    status, expected = _qemu(target, argv)
    our_status, ours = _ours(target, argv)
    assert our_status == status, (expected, ours)
    assert len(ours) == len(expected), (expected, ours)
    for mine, theirs in zip(ours, expected, strict=True):
        # The same line; a hint QEMU prints below it is folded in here, in parentheses.
        assert mine == theirs or mine.startswith(f"{theirs} ("), (expected, ours)


@pytest.mark.parametrize(
    "later",
    [
        ["-machine", "memory-backend=zz"],
        ["-numa", "node,memdev=zz"],
        ["-M", "pc,memory-backend=m", "-m", "3G"],
        ["-object", "memory-backend-ram,id=n,size=0"],
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("store", ["short", "missing-dir", "empty", "dir"])
def test_the_backing_store_is_checked_when_qemu_creates_the_backend(
    tmp_path: Path, store: str, later: list[str]
) -> None:
    """A file too short for the backend, or in a directory that does not exist, is refused
    before the checks that come after the backends in QEMU, and nothing is written."""
    path = tmp_path / "guest.ram"
    if store == "short":
        path.write_bytes(b"\x01" * 4096)
    elif store == "empty":
        path.touch()
    elif store == "missing-dir":
        path = tmp_path / "nowhere" / "guest.ram"
    else:
        path = tmp_path
    argv = ["-object", f"memory-backend-file,id=m,size=2M,mem-path={path},share=on", *later]
    before = sorted((p.name, p.stat().st_size) for p in tmp_path.iterdir())
    status, expected = _qemu("x86_64", argv)
    for leftover in tmp_path.iterdir():  # what QEMU created or grew
        if (leftover.name, leftover.stat().st_size) not in before:
            leftover.write_bytes(b"") if store == "empty" else leftover.unlink()
    assert sorted((p.name, p.stat().st_size) for p in tmp_path.iterdir()) == before
    our_status, ours = _ours("x86_64", argv)
    assert (our_status, ours) == (status, expected)
    # ... and without --dry-run, nothing is left behind either
    proc = subprocess.run(
        [*CLI, "run", "--quiet", "--target", "x86_64", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == status
    assert proc.stderr.splitlines()[-1].removeprefix("machinectl: ") == expected[-1]
    assert sorted((p.name, p.stat().st_size) for p in tmp_path.iterdir()) == before


#: Boards whose own memory QEMU maps beside main RAM: (target, argv, empty firmware files
#: QEMU needs to start; a file name with a size gets that size).
OWN_MEMORY_BOARDS = [
    ("cris", ["-M", "axis-dev88", "-kernel", "zero.bin"], ["zero.bin"]),
    (
        "sparc64",
        ["-M", "niagara", "-L", "."],
        ["nvram1", "1up-md.bin", "1up-hv.bin", "reset.bin", "q.bin", "openboot.bin"],
    ),
    ("m68k", ["-M", "q800", "-L", "."], ["MacROM.bin:1M"]),
    ("mips64el", ["-M", "boston", "-bios", "zero.bin"], ["zero.bin"]),
]


def _memory_lines(text: str) -> list[str]:
    """The RAM and ROM lines of the first flat view of ``info mtree -f`` (the system
    address space's), or of machinectl's map."""
    views = re.split(r"^FlatView #", text, flags=re.MULTILINE)[1:]
    (section,) = [view.split("\n\n")[0] for view in views if ' AS "memory"' in view]
    kinds = ("ram)", "rom)", "romd)")
    return [
        line.strip()
        for line in section.splitlines()
        if "(prio" in line
        and any(line.split(":")[0].endswith(kind) or f", {kind}" in line for kind in kinds)
    ]


@pytest.mark.parametrize(("target", "argv", "files"), OWN_MEMORY_BOARDS, ids=str)
def test_a_board_s_own_memory_is_where_qemu_maps_it(
    tmp_path: Path, target: str, argv: list[str], files: list[str]
) -> None:
    binary = shutil.which(f"qemu-system-{target}")
    if binary is None:
        pytest.skip(f"qemu-system-{target} is not installed")
    for spec in files:
        name, _, size = spec.partition(":")
        (tmp_path / name).write_bytes(bytes((1 << 20) if size == "1M" else 4096))
    qemu = [binary, *argv, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"]
    replies = _replies(
        qemu, [_req("human-monitor-command", **{"command-line": "info mtree -f"})], tmp_path
    )
    (flat,) = [
        r["return"] for r in replies if isinstance(r, dict) and isinstance(r.get("return"), str)
    ]
    ours = subprocess.run(
        [*CLI, "run", "--quiet", "--dry-run", "--target", target, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=tmp_path,
    )
    assert _memory_lines(ours.stdout) == _memory_lines(flat)


def _beyond_commit() -> str:
    """A size this host never commits under the default overcommit policy (more than all RAM
    and swap), in GiB."""
    if Path("/proc/sys/vm/overcommit_memory").read_text().strip() != "0":
        pytest.skip("the host does not use the default overcommit policy")
    info = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, _, value = line.partition(":")
        info[key] = int(value.split()[0]) * 1024 if value.strip().endswith("kB") else 0
    return f"{(info['MemTotal'] + info['SwapTotal']) // (1 << 30) + 2}G"


@pytest.mark.parametrize(
    ("target", "argv"),
    [
        ("sparc", ["-M", "SS-5", "-m", "{big}"]),
        ("x86_64", ["-M", "pc", "-object", "memory-backend-ram,id=m0,size={big},host-nodes=0"]),
        (
            "x86_64",
            [
                *("-M", "pc", "-object", "memory-backend-ram,id=m0,size={big},share=on"),
                *("-m", "2G", "-machine", "memory-backend=m0"),
            ],
        ),
        (
            "x86_64",
            [
                *("-M", "pc", "-object", "memory-backend-ram,id=m0,size={big},reserve=off"),
                *("-object", "memory-backend-ram,id=m1,size=1G,host-nodes=0"),
            ],
        ),
        ("aarch64", ["-M", "virt", "-m", "{big}", "-numa", "node,nodeid=0", "-numa", "node"]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_memory_the_host_never_commits_is_refused_where_qemu_maps_it(
    target: str, argv: list[str]
) -> None:
    """QEMU maps each backend as it creates it: memory the kernel refuses to commit is
    refused before the checks that come later (the board's sizes, NUMA, the policy of a
    later backend). machinectl tells it from the kernel's overcommit policy, mapping
    nothing."""
    big = _beyond_commit()
    argv = [arg.replace("{big}", big) for arg in argv]
    status, expected = _qemu(target, argv)
    our_status, ours = _ours(target, argv)
    assert our_status == status, (expected, ours)
    assert [line.split(" (")[0] for line in ours] == expected, (expected, ours)


def test_an_error_carries_the_warnings_given_before_it() -> None:
    with pytest.raises(MachineError) as info:
        Machine.from_argv(["-M", "none", "-m", "0x10,maxmem=8"], allocate=False)
    assert "maximum memory size (0x8)" in str(info.value)
    assert info.value.warnings == ("Using a multiplier suffix on hex numbers is deprecated: 0x10M",)
    with pytest.raises(MachineError, match="expects a number") as info:
        Machine.from_argv(["-M", "none", "-m", "64M,slots"], allocate=False)
    assert info.value.warnings == (
        "-m 64M,slots: warning: short-form boolean option 'slots' deprecated "
        "(Please use slots=on instead)",
    )


def test_the_library_takes_the_target_s_default_machine_type() -> None:
    with Machine.from_argv(["-m", "64M"], target="x86_64", allocate=False) as machine:
        assert machine.state.board.name == "pc-i440fx-7.2"
    with pytest.raises(MachineError, match=r"^No machine specified, and there is no default$"):
        Machine.from_argv(["-m", "64M"], target="aarch64", allocate=False)
    with pytest.raises(MachineError, match=r"^unknown target 'x86-64'"):
        Machine.from_argv(["-m", "64M"], target="x86-64", allocate=False)


def test_plugins_that_failed_are_reported_when_their_board_is_not_found(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MACHINECTL_")}
    env |= {
        "MACHINECTL_ENTRY_POINT_GROUP": "machinectl.tests",
        "MACHINECTL_CACHE_DIR": str(tmp_path),
    }
    for command in (
        ["run", "-M", "no-such-board", "-m", "64M"],
        ["list-boards", "--family", "no-such-family"],
        ["list-boards", "--target", "no-such-target"],
    ):
        proc = subprocess.run(
            [*CLI, *command], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert proc.returncode in (1, 2), proc.stderr
        lines = proc.stderr.splitlines()
        assert any("plugin broken-import" in line and "skipped" in line for line in lines), lines
        # The reports come first, the error last.
        assert "skipped" not in lines[-1]


# -- CPU counts of every machine type ----------------------------------------------------------

#: ``tools/record_qemu_cpus.py`` run over the QEMU 7.2 binaries of the shipped targets.
CPUS = Path(__file__).parent / "data" / "qemu72_cpus.json"


def _recorded_cpus() -> list[tuple[str, str, dict[str, int]]]:
    import json

    from machinectl import create_registry

    recorded = json.loads(CPUS.read_text())
    rows = []
    for board in create_registry().boards:
        for target in board.targets:
            entry = recorded.get(target, {}).get(board.name)
            if entry is not None:
                rows.append((target, board.name, entry))
    return rows


def test_every_machine_type_has_qemu_s_cpu_counts() -> None:
    from machinectl import create_registry

    registry = create_registry()
    rows = _recorded_cpus()
    assert len(rows) > 250
    wrong = []
    for target, name, entry in rows:
        spec = registry.board(name, target).spec
        # A minimum of 0 and of 1 are the same: -smp asks for one CPU at least.
        ours = (max(spec.min_cpus, 1), spec.max_cpus)
        if ours != (max(entry.get("min", 1), 1), entry["max"]):
            wrong.append((target, name, ours, entry))
        # QEMU's x-remote creates no CPU at all, whatever -smp says.
        if "default" in entry and name != "x-remote" and spec.default_cpus != entry["default"]:
            wrong.append((target, name, spec.default_cpus, entry))
    assert wrong == []


@pytest.mark.parametrize("step", range(2))
def test_cpu_limits_are_refused_as_qemu_refuses_them(step: int) -> None:
    """A sample of machine types (every 16th of each target's list, from another start at
    each step), each asked for one CPU more than its maximum and, where it has one, one fewer
    than its minimum."""
    by_target: dict[str, list[tuple[str, dict[str, int]]]] = {}
    for target, name, entry in _recorded_cpus():
        by_target.setdefault(target, []).append((name, entry))
    for target, boards in sorted(by_target.items()):
        for name, entry in sorted(boards)[step::16]:
            smps = [str(entry["max"] + 1)]
            if entry.get("min", 0) > 1:
                smps.append(str(entry["min"] - 1))
            for smp in smps:
                argv = ["-M", name, "-smp", smp]
                status, expected = _qemu(target, argv)
                our_status, ours = _ours(target, argv)
                assert (our_status, ours[-1:]) == (status, expected[-1:]), (target, argv)


# -- QMP ------------------------------------------------------------------------------------------

ROOT_PORT = "pcie-root-port,id=rp1,bus=pcie.0,chassis=1"
NVDIMM_ON_PC = [
    "-object",
    "memory-backend-memfd,id=m1,size=64M",
    "-device",
    "nvdimm,id=n1,memdev=m1",
]
PCI_PLACEMENT = [
    "-M",
    "pc",
    "-m",
    "1G,slots=2,maxmem=4G",
    "-object",
    "memory-backend-ram,id=m,size=1G",
]
CASES += [
    # bus= and addr= of the virtio memory devices (libvirt writes them); a DIMM takes no bus
    ("x86_64", [*PCI_PLACEMENT, "-device", f"virtio-mem-pci,memdev=m,id=v,{placement}"])
    for placement in ("bus=pci.0,addr=0x4", "addr=zz", "addr=0x20", "addr=06.0", "addr=0x1f.7")
]
CASES += [
    ("x86_64", [*PCI_PLACEMENT, "-device", "virtio-pmem-pci,memdev=m,id=v,addr=0x5.0"]),
    ("x86_64", [*PCI_PLACEMENT, "-device", "pc-dimm,memdev=m,id=v,bus=pci.0"]),
]

#: -object in JSON (libvirt's form): typed members, QEMU's JSON parser and its errors.
JSON_OBJECTS_REFUSED = [
    '{"qom-type":"memory-backend-ram","id":"m","size":"64M"}',
    '{"qom-type":"memory-backend-ram","id":"m","size":67108864} x',
    '{"qom-type":"memory-backend-ram","id":"m","size":67108864,"bogus":1}',
    '{"qom-type":"memory-backend-ram","size":67108864}',
    '{"qom-type":"memory-backend-ram","id":"m","size":67108864',
    '{"id":"m","size":67108864}',
    '{"qom-type":"memory-backend-ram","id":"m","size":67108864,"share":"on"}',
    '{"qom-type":"thread-context","id":"tc","cpu-affinity":[0],"node-affinity":[0]}',
    '{"qom-type":"nosuch","id":"m"}',
    '{"qom-type":1,"id":"m"}',
    '{"qom-type":"memory-backend-ram","id":"m","size":67108864,"host-nodes":[-1]}',
]
CASES += [("x86_64", ["-M", "none", "-m", "64M", "-object", text]) for text in JSON_OBJECTS_REFUSED]
JSON_OBJECTS = [
    '{"qom-type":"memory-backend-ram","id":"m","size":67108864,"host-nodes":[0],'
    '"policy":"bind","prealloc":true,"prealloc-threads":2}',
    '{"qom-type":"memory-backend-memfd","id":"m","size":67108864,"share":true}',
    "{'qom-type':'memory-backend-file','id':'m','size':67108864,'mem-path':'/dev/shm'}",
    '{"qom-type":"iothread","id":"io"}',
]


def _pmem(addr: str, memdev: str = "m1", driver: str = "virtio-pmem-pci") -> str:
    return (
        f'{{"execute":"device_add","arguments":{{"driver":"{driver}","memdev":"{memdev}"{addr}}}}}'
    )


def _req(command: str, **arguments: object) -> str:
    return json.dumps({"execute": command, "arguments": arguments})


QMP_SESSIONS: list[tuple[list[str], list[str]]] = [
    # device_add takes its arguments untyped, as -device options: a string id is checked
    # first, other values become text; device_del resolves its id below /machine/peripheral
    (
        [
            "-M",
            "pc",
            "-m",
            "512M,slots=2,maxmem=2G",
            "-object",
            "memory-backend-ram,id=m0,size=128M",
        ],
        [
            _req("device_add", id="1bad"),
            _req("device_add", driver=5),
            _req("device_add", driver=True),
            _req("device_add", driver=None),
            _req("device_add", driver="bogus-dev"),
            _req("device_add", driver="pc-dimm", id=5, memdev="m0"),
            '{"execute":"query-memory-devices"}',
            *(
                _req("device_del", id=i)
                for i in ("", "/objects/m0", "/machine", "/machine/peripheral/", "nope")
            ),
        ],
    ),
    # QOM paths skip empty components; a plain property reads its value before refusing a
    # change; the node limit holds on every set
    (
        [
            *("-M", "pc", "-m", "512M", "-object", "memory-backend-memfd,id=d,size=2M"),
            *("-object", "thread-context,id=t,cpu-affinity=0"),
        ],
        [
            _req("qom-get", path="//objects//pc.ram/", property="size"),
            _req("qom-get", path="objects/pc.ram", property="size"),
            _req("qom-list", path="/objects/"),
            _req("qom-set", path="/objects/pc.ram", property="share", value=None),
            _req("qom-set", path="/objects/pc.ram", property="reserve", value="x"),
            _req("qom-set", path="/objects/pc.ram", property="size", value="x"),
            _req("qom-set", path="/objects/pc.ram", property="host-nodes", value=[128]),
            _req("qom-set", path="/objects/d", property="hugetlbsize", value="x"),
            _req("object-add", id=5, size=1048576),
            _req("human-monitor-command", **{"command-line": "info numa", "cpu-index": "0"}),
            _req("human-monitor-command", **{"command-line": "info numa", "cpu-index": 1.5}),
            _req("qom-list-types", implements="memory-backend"),
            _req("qom-list-types", implements="memory-backend", abstract=True),
            _req("qom-set", path="/objects", property="type", value="x"),
            _req("qom-set", path="objects", property="size", value=1),
            _req("qom-set", path="/objects/t", property="type", value="x"),
        ],
    ),
    # a backend's preallocation threads: as many as the machine has CPUs
    (
        ["-M", "pc", "-smp", "3", "-object", "memory-backend-ram,id=x,size=1M"],
        [
            _req("qom-get", path="/objects/x", property="prealloc-threads"),
            _req("qom-get", path="/objects/pc.ram", property="prealloc-threads"),
            _req("object-add", **{"qom-type": "memory-backend-ram", "id": "y", "size": 1 << 20}),
            _req("qom-get", path="/objects/y", property="prealloc-threads"),
        ],
    ),
    # memory-backend-epc: its members checked as a backend's, then refused (no SGX)
    (
        ["-M", "none"],
        [
            '{"execute":"object-add","arguments":{"qom-type":"memory-backend-epc","id":"e",'
            '"size":1048576}}',
            '{"execute":"object-add","arguments":{"qom-type":"memory-backend-epc","id":"e",'
            '"size":1048576,"zz":1}}',
            '{"execute":"object-add","arguments":{"qom-type":"memory-backend-epc","id":"e"}}',
            '{"execute":"query-memdev"}',
        ],
    ),
    # the properties of memory devices: an NVDIMM's uuid, unarmed and label size
    (
        [
            *("-M", "pc,nvdimm=on", "-m", "512M,slots=4,maxmem=2G"),
            *(arg for i in range(3) for arg in ("-object", f"memory-backend-ram,id=c{i},size=64M")),
            *("-device", "nvdimm,id=n0,memdev=c0", "-device", "pc-dimm,id=d0,memdev=c2"),
            "-device",
            "nvdimm,id=n1,memdev=c1,unarmed=on,uuid=ABCDEF01-1234-1234-1234-123456789ABC,"
            "label-size=256K",
        ],
        [
            f'{{"execute":"qom-get","arguments":{{"path":"{path}","property":"{name}"}}}}'
            for path in ("n0", "n1", "d0")
            for name in ("unarmed", "uuid", "label-size")
        ],
    ),
    # PCI slots at run time: the board's own devices, a taken slot, functions of a slot
    (
        ["-M", "pc", *PCI_BACKENDS],
        [
            _pmem(',"addr":"0"'),
            _pmem(',"id":"p0"'),
            _pmem(',"addr":"2"', "m2", "virtio-mem-pci"),
            _pmem(',"addr":2.5', "m2", "virtio-mem-pci"),
            _pmem(',"addr":"1.2"', "m2", "virtio-mem-pci"),
            _pmem(',"addr":"0x100000004"', "m2", "virtio-mem-pci"),
        ],
    ),
    (
        ["-M", "none"],
        [
            '{"execute":"nosuch","execute":"query-memory-size-summary"}',
            '{"execute":"query-memdev","arguments":{},"arguments":{}}',
            '{"execute":"human-monitor-command","arguments":{"command-line":"info numa",'
            '"cpu-index":0}}',
        ],
    ),
    (
        ["-M", "pc", "-smp", "2", "-m", "512M,slots=4,maxmem=4G"],
        [
            *(
                '{"execute":"human-monitor-command","arguments":{"command-line":"info numa",'
                f'"cpu-index":{index}}}}}'
                for index in (0, 1, 2, -1)
            ),
            '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"d3","memdev":"no"}}',
        ],
    ),
    # device_add values of every JSON type: QEMU turns numbers and booleans into option
    # text, leaves out null, lists and objects, then parses each value as -device does
    (
        ["-M", "pc", "-m", "1G,slots=4,maxmem=8G"],
        [
            '{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m1",'
            '"size":1073741824}}',
            '{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m2",'
            '"size":1073741824}}',
            *(
                '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"d",'
                f'"memdev":"m1",{member}}}}}'
                for member in (
                    '"addr":1.5',
                    '"slot":1.5',
                    '"addr":18446744073709551616',
                    '"node":true',
                    '"slot":"1"',
                    '"addr":[1]',
                )
            ),
            '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"e","memdev":null}}',
            '{"execute":"device_add","arguments":{"driver":"virtio-mem-pci","id":"v",'
            '"memdev":"m2","requested-size":1.5}}',
            '{"execute":"device_add","arguments":{"driver":"virtio-mem-pci","id":"v",'
            '"memdev":"m2","block-size":null,"requested-size":2.0}}',
            '{"execute":"query-memory-devices"}',
        ],
    ),
    # hot-plugged on a root port of the user's (q35's root bus takes no hotplug) and on pc's
    # PCI bus at a given slot
    *(
        (
            argv,
            [
                '{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram",'
                '"id":"m1","size":1073741824}}',
                '{"execute":"device_add","arguments":{"driver":"virtio-mem-pci","id":"v1",'
                f'"memdev":"m1",{placement}}}}}',
                '{"execute":"query-memory-devices"}',
            ],
        )
        for argv, placement in (
            (
                ["-M", "q35", "-m", "1G,maxmem=4G", "-device", ROOT_PORT],
                '"bus":"rp1"',
            ),
            (["-M", "q35", "-m", "1G,maxmem=4G"], '"bus":"pcie.0"'),
            (["-M", "pc", "-m", "1G,maxmem=4G"], '"bus":"pci.0","addr":"0x6"'),
        )
    ),
    *(
        (["-M", "none", "-m", "64M", "-object", text], ['{"execute":"query-memdev"}'])
        for text in JSON_OBJECTS
    ),
    # an NVDIMM cannot be unplugged (and its backend stays in use); a DIMM cannot be
    # hot-plugged on a machine without a memory hotplug handler
    (
        ["-M", "pc,nvdimm=on", "-m", "1G,slots=4,maxmem=8G", *NVDIMM_ON_PC],
        [
            '{"execute":"device_del","arguments":{"id":"n1"}}',
            '{"execute":"object-del","arguments":{"id":"m1"}}',
            '{"execute":"query-memory-devices"}',
        ],
    ),
    (
        ["-M", "microvm", "-m", "1G,slots=4,maxmem=8G"],
        [
            '{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m1",'
            '"size":1073741824}}',
            '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"d","memdev":"m1"}}',
            '{"execute":"query-memory-devices"}',
        ],
    ),
    # object-add naming a thread context for its preallocation, and its type checks: every
    # unsigned number is read as a uint64, then its range is checked under the member's
    # name, which a list element does not have
    (
        ["-M", "none", "-m", "64M", "-object", "thread-context,id=tc,cpu-affinity=0"],
        [
            *(
                '{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram",'
                f'"id":"p","size":4194304,{member}}}}}'
                for member in (
                    '"host-nodes":[-1]',
                    '"host-nodes":[0,"x"]',
                    '"prealloc-threads":"x"',
                    '"prealloc-threads":4294967296',
                    '"prealloc":true,"prealloc-context":"tc"',
                )
            ),
            '{"execute":"query-memdev"}',
        ],
    ),
]


def _replies(command: list[str], lines: list[str], cwd: Path | None = None) -> list[object]:
    """The replies to ``lines`` (after ``qmp_capabilities``), each read before the next
    request is sent, then ``quit``'s: QEMU may exit on ``quit`` before a long reply still
    in its output buffer is written."""
    replies: list[object] = []
    with subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("MACHINECTL_")},
        cwd=cwd,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            for line in ['{"execute":"qmp_capabilities"}', *lines, '{"execute":"quit"}']:
                proc.stdin.write(f"{line}\n")
                proc.stdin.flush()
                while text := proc.stdout.readline():  # empty: the process ended
                    message = json.loads(text)
                    if "return" in message or "error" in message:
                        replies.append(message)
                        break
        except BrokenPipeError:
            pass  # it ended early: the replies so far tell
        finally:
            proc.wait(timeout=120)
    return replies


@pytest.mark.parametrize(("argv", "lines"), QMP_SESSIONS)
def test_qmp_replies_as_qemu(argv: list[str], lines: list[str]) -> None:
    binary = shutil.which("qemu-system-x86_64")
    if binary is None:
        pytest.skip("qemu-system-x86_64 is not installed")
    qemu = [binary, *argv, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"]
    ours = [*CLI, "run", "--quiet", "--target", "x86_64", *argv, "-qmp", "stdio"]
    expected = _replies(qemu, lines)
    assert len(expected) == len(lines) + 2  # qmp_capabilities, each line, quit
    assert _replies(ours, lines) == expected


READONLY_USES = [
    ["-machine", "memory-backend=m1", "-m", "256M"],
    ["-m", "1G,slots=2,maxmem=4G", "-device", "pc-dimm,id=d0,memdev=m1"],
    ["-m", "1G,slots=2,maxmem=4G", "-device", "virtio-pmem-pci,id=d0,memdev=m1"],
    ["-m", "1G,slots=2,maxmem=4G", "-device", "virtio-mem-pci,id=d0,memdev=m1"],
    ["-m", "1G,slots=2,maxmem=4G", "-machine", "nvdimm=on", "-device", "nvdimm,id=d0,memdev=m1"],
    [
        *("-m", "1G,slots=2,maxmem=4G", "-machine", "nvdimm=on"),
        *("-device", "nvdimm,id=d0,memdev=m1,unarmed=on"),
    ],
]


@pytest.mark.parametrize("use", READONLY_USES, ids=" ".join)
def test_a_read_only_backend_is_rom_or_refused_as_in_qemu(tmp_path: Path, use: list[str]) -> None:
    image = tmp_path / "ro.img"
    image.write_bytes(b"")
    os.truncate(image, 256 << 20)
    backend = f"memory-backend-file,id=m1,size=256M,mem-path={image},readonly=on,share=on"
    argv = ["-M", "pc", "-object", backend, *use]
    status, expected = _qemu("x86_64", argv)
    our_status, ours = _ours("x86_64", argv)
    assert (our_status, ours) == (status, expected)
    if status:
        return
    mtree = ['{"execute":"human-monitor-command","arguments":{"command-line":"info mtree -f"}}']
    qemu = [shutil.which("qemu-system-x86_64") or "", *argv]
    qemu += ["-display", "none", "-S", "-nodefaults", "-qmp", "stdio"]
    ours_cmd = [*CLI, "run", "--quiet", "--target", "x86_64", *argv, "-qmp", "stdio"]

    def lines_of_m1(command: list[str]) -> set[str]:
        text = _replies(command, mtree)[1]
        assert isinstance(text, dict)
        return {line.strip() for line in str(text["return"]).split("\r\n") if ": m1" in line}

    theirs = lines_of_m1(qemu)
    assert theirs and any("rom)" in line for line in theirs)
    assert lines_of_m1(ours_cmd) == theirs


UUID = "uuid=12345678-1234-1234-1234-123456789abc"


@pytest.mark.parametrize("backend", ["ram", "memfd"])
@pytest.mark.parametrize("driver", ["spapr-nvdimm", "nvdimm"])
def test_spapr_nvdimm_backends_as_qemu_takes_them(backend: str, driver: str) -> None:
    argv = [
        *("-M", "pseries", "-m", "1G,slots=2,maxmem=4G"),
        *("-object", f"memory-backend-{backend},id=m1,size=257M"),
        *("-device", f"{driver},id=d0,memdev=m1,label-size=1M,{UUID},slot=9"),
    ]
    status, expected = _qemu("ppc64", argv)
    our_status, ours = _ours("ppc64", argv)
    expected = [line for line in expected if "TCG doesn't support" not in line]
    assert (our_status, ours) == (status, expected)


def _qmp(command: str, **arguments: object) -> str:
    import json

    return json.dumps({"execute": command, "arguments": arguments})


DIMMS = ["-m", "256M,slots=2,maxmem=1G", "-object", "memory-backend-ram,id=c0,size=64M"]
#: (target, command line, requests): the order of QEMU's checks when a request breaks several.
ORDER_SESSIONS: list[tuple[str, list[str], list[str]]] = [
    # QAPI: members in the schema's order, a missing one at its place, leftovers last (in
    # the order of QEMU's hash table)
    (
        "x86_64",
        ["-M", "none"],
        [
            _qmp("object-add", **{"qom-type": "memory-backend-memfd", "id": "a", "x": 1, "y": 2}),
            _qmp("object-add", **{"qom-type": "memory-backend-ram", "id": "b", "zz": 1, "aa": 2}),
            _qmp(
                "object-add", **{"qom-type": "memory-backend-ram", "id": "b", "size": 1.5, "x": 1}
            ),
            _qmp(
                "object-add",
                **{"qom-type": "memory-backend-ram", "id": "b", "share": "y"},
                policy="bogus",
                size=1 << 20,
            ),
            _qmp("object-add", **{"qom-type": "memory-backend-file", "id": "f", "size": 1 << 20}),
            _qmp("object-add", **{"qom-type": "thread-context", "id": "c", "q": 1, "r": 2}),
            # the setters, in the order of QEMU's QDict of the members
            _qmp(
                "object-add",
                **{"qom-type": "memory-backend-ram", "id": "s", "size": 0},
                **{"prealloc-context": "nope"},
            ),
            _qmp(
                "object-add",
                **{"qom-type": "memory-backend-ram", "id": "s", "size": 1 << 20},
                **{"prealloc-threads": 0, "prealloc": True, "reserve": False},
            ),
            _qmp(
                "object-add",
                **{"qom-type": "memory-backend-ram", "id": "s", "size": 1 << 20},
                **{"prealloc": True, "reserve": False, "prealloc-context": "nope"},
            ),
            _qmp(
                "object-add",
                **{"qom-type": "memory-backend-memfd", "id": "s", "size": 0},
                hugetlbsize=3,
            ),
            # QEMU compares the size with the power of two of its lowest bit, unless that is bit 0
            *(
                _qmp(
                    "object-add",
                    **{"qom-type": "memory-backend-memfd", "id": f"h{size}", "size": 1 << 20},
                    hugetlbsize=size,
                )
                for size in (3, 6, 7, 12288, 4096)
            ),
            # a size that wraps to 0 once rounded to a page
            _qmp(
                "object-add",
                **{"qom-type": "memory-backend-file", "id": "w", "size": -1},
                **{"mem-path": "/dev/shm"},
            ),
            _qmp("query-status", x=1, bogus=2),
            _qmp("qom-get", path="/objects", bogus=1),
            _qmp("human-monitor-command", **{"command-line": "info numa", "a": 1, "b": 2}),
        ],
    ),
    (
        "x86_64",
        ["-M", "pc,nvdimm=on", *DIMMS, "-object", "thread-context,id=tc,cpu-affinity=0"],
        [
            _qmp("device_add", driver="nvdimm", id="d0", memdev="nope", **{"label-size": 1024}),
            _qmp("device_add", driver="pc-dimm", id="d0", memdev="tc"),
            _qmp("device_add", driver="virtio-mem-pci", id="v0", memdev="c0"),
            _qmp("device_add", driver="pc-dimm", id="d1", memdev="c0", node=1),
            _qmp("object-add", **{"qom-type": "thread-context", "id": "t9", "cpu-affinity": [99]}),
            _qmp("qom-list", path="/objects"),
            _qmp(
                "object-add",
                **{"qom-type": "memory-backend-file", "id": "f", "size": 1 << 20},
                **{"mem-path": "/nonexistent/x", "policy": "bind"},
            ),
        ],
    ),
    (
        "x86_64",
        ["-M", "pc", "-m", "128M", "-object", "memory-backend-ram,id=c0,size=64M"],
        [
            _qmp("device_add", driver="pc-dimm", id="d0", memdev="c0", slot=3),
        ],
    ),
    (
        "x86_64",
        ["-M", "q35", *DIMMS, "-device", "virtio-mem-pci,id=v0,memdev=c0"],
        [_qmp("device_del", id="v0")],
    ),
    (
        "ppc64",
        ["-M", "pseries", *DIMMS[:2], "-object", "memory-backend-ram,id=m1,size=1000000"],
        [_qmp("device_add", driver="nvdimm", id="d0", memdev="m1")],
    ),
]


@pytest.mark.parametrize(("target", "argv", "lines"), ORDER_SESSIONS)
def test_qmp_checks_come_in_qemu_s_order(target: str, argv: list[str], lines: list[str]) -> None:
    binary = shutil.which(f"qemu-system-{target}")
    if binary is None:
        pytest.skip(f"qemu-system-{target} is not installed")
    qemu = [binary, *argv, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"]
    ours = [*CLI, "run", "--quiet", "--target", target, *argv, "-qmp", "stdio"]
    expected = _replies(qemu, lines)
    assert len(expected) == len(lines) + 2
    assert _replies(ours, lines) == expected
