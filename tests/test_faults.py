"""Faults, simulated for real, data safety, and hostile paths.

Every fault here is a real one: an address-space limit (RLIMIT_AS) in a child process, the
kernel's overcommit refusal, small and read-only tmpfs mounts, a hugetlbfs without pages, a
host NUMA node that does not exist, real signals to a real ``machinectl`` process. Each ends
with one clear error (or a clean exit on a signal) and leaves no descriptor, no mapping and no
file behind: in-process tests compare ``/proc/self/fd`` and ``/proc/self/maps`` before and
after, and mounts are checked to be empty again (a file system someone still maps or holds
open would not give its space back, nor could it be unmounted).

Mounting needs root; those tests are skipped without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from machinectl import (
    BoardFacts,
    BoardSpec,
    BoardTable,
    Machine,
    MachineError,
    MiB,
    PluginError,
    Registry,
    create_registry,
    hookimpl,
)
from machinectl.state import MachineState

GiB = 1 << 30
CLI = [sys.executable, "-m", "machinectl.cli"]
NOBODY = 65534


# -- helpers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry(load_entrypoints=False)


def build(registry: Registry, *argv: str, **kwargs: object) -> Machine:
    return Machine.from_argv(["-M", "none", *argv], registry=registry, **kwargs)  # type: ignore[arg-type]


def _maps() -> set[str]:
    """Mappings that could be guest RAM: 4 MiB or more, or backed by a memfd or a file."""
    found = set()
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        start, end = (int(x, 16) for x in fields[0].split("-"))
        path = fields[5] if len(fields) > 5 else ""
        if path.startswith("["):  # [heap], [stack]: the interpreter's own
            continue
        if end - start >= 4 * MiB or path.startswith(("/memfd:", "/tmp", "/dev/shm")):
            found.add(line)
    return found


@pytest.fixture
def no_leaks() -> Iterator[None]:
    """The test leaves exactly the descriptors and guest-sized mappings it found."""
    fds = sorted(os.listdir("/proc/self/fd"))
    maps = _maps()
    yield
    assert sorted(os.listdir("/proc/self/fd")) == fds
    assert _new_mappings(maps, _maps()) == []


def _span(line: str) -> tuple[int, int]:
    start, end = (int(x, 16) for x in line.split(maxsplit=1)[0].split("-"))
    return start, end


def _new_mappings(before: set[str], after: set[str]) -> list[str]:
    """Mappings in ``after`` that are new. A line that only differs because the kernel merged
    a neighbour into a mapping that was there (the interpreter's own memory, placed next to
    it) is not one, unless the neighbours add up to a guest-sized 4 MiB."""
    old = [_span(line) for line in before]
    new, grown = [], 0
    for line in sorted(after - before):
        start, end = _span(line)
        shared = sum(max(0, min(e, end) - max(s, start)) for s, e in old)
        if not shared:
            new.append(line)
        grown += end - start - shared
    if grown >= 4 * MiB:
        new.append(f"{grown} bytes more mapped next to existing mappings")
    return new


def _mount(where: Path, kind: str, options: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(f"mounting {kind} needs root")
    where.mkdir(exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", kind, "-o", options, kind, str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount {kind} -o {options}: {proc.stderr.strip()}")


@contextlib.contextmanager
def mounted(where: Path, kind: str = "tmpfs", options: str = "size=4m") -> Iterator[Path]:
    """A file system mounted for the test and always unmounted (which fails if in use)."""
    _mount(where, kind, options)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    with mounted(tmp_path / "small") as where:
        yield where


def used_bytes(where: Path) -> int:
    fs = os.statvfs(where)
    return (fs.f_blocks - fs.f_bfree) * fs.f_frsize


def fingerprint(path: Path) -> tuple[str, int, int, int]:
    """Checksum, size, mtime (ns) and mode: what a rejected command must leave as it was."""
    info = path.stat()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest, info.st_size, info.st_mtime_ns, stat.S_IMODE(info.st_mode)


def existing_file(directory: Path, size: int, fill: bytes = b"\xa5") -> Path:
    path = directory / "guest.ram"
    path.write_bytes(fill * size)
    # An mtime in the past, so that any touch shows.
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    return path


# -- allocation refused ------------------------------------------------------------------------

RLIMIT_CHILD = textwrap.dedent(
    """
    import json, os, resource, sys
    from pathlib import Path
    from machinectl import Machine, MachineError, create_registry

    registry = create_registry(load_entrypoints=False)
    argv = json.loads(sys.argv[1])
    size = sum(int(line.split()[1]) for line in open("/proc/self/status")
               if line.startswith("VmSize:")) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size + 256 * 2**20,) * 2)
    fds, maps = sorted(os.listdir("/proc/self/fd")), Path("/proc/self/maps").read_text()
    try:
        Machine.from_argv(argv, registry=registry).close()
        error = None
    except MachineError as exc:
        error = str(exc)
    big = lambda text: {l for l in text.splitlines()
                        if (lambda a, b: b - a)(*(int(x, 16) for x in l.split()[0].split("-")))
                        >= 64 * 2**20}
    print(json.dumps({
        "error": error,
        "fds": sorted(os.listdir("/proc/self/fd")) == fds,
        "maps": sorted(big(Path("/proc/self/maps").read_text()) - big(maps)),
    }))
    """
)


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["-m", "1G"], "cannot set up guest memory 'ram': Cannot allocate memory"),
        (
            ["-object", "memory-backend-memfd,id=m,size=1G"],
            "unable to map backing store for guest RAM: Cannot allocate memory",
        ),
        (
            ["-m", "1G", "-mem-path", "{dir}"],
            "unable to map backing store for guest RAM: Cannot allocate memory",
        ),
        (
            ["-object", "memory-backend-file,id=m,size=1G,mem-path={dir}/new,share=on"],
            "unable to map backing store for guest RAM: Cannot allocate memory",
        ),
    ],
    ids=["ram", "memfd", "mem-path-dir", "new-file"],
)
def test_address_space_limit(tmp_path: Path, argv: list[str], error: str) -> None:
    """RLIMIT_AS in a child process: the mapping is refused; nothing stays, no file either."""
    argv = ["-M", "none", *(a.format(dir=tmp_path) for a in argv)]
    proc = subprocess.run(
        [sys.executable, "-c", RLIMIT_CHILD, json.dumps(argv)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(proc.stdout) == {"error": error, "fds": True, "maps": []}
    assert list(tmp_path.iterdir()) == []


def test_address_space_limit_on_the_command_line() -> None:
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (768 * MiB, 768 * MiB))

    proc = subprocess.run(
        [*CLI, "run", "-M", "none", "-m", "1G"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=limit,
    )
    assert (proc.returncode, proc.stderr) == (
        1,
        "machinectl: cannot set up guest memory 'ram': Cannot allocate memory\n",
    )


def _overcommit_refuses(size: int) -> bool:
    mode = Path("/proc/sys/vm/overcommit_memory").read_text().strip()
    return mode == "2" or (
        mode == "0" and size > os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") * 4
    )


@pytest.mark.usefixtures("no_leaks")
@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("-m 8T", "cannot set up guest memory 'ram': Cannot allocate memory"),
        (
            "-m 8T -mem-path {dir}",
            "unable to map backing store for guest RAM: Cannot allocate memory",
        ),
        (
            "-object memory-backend-memfd,id=m,size=8T,share=off",
            "unable to map backing store for guest RAM: Cannot allocate memory",
        ),
        (
            "-object memory-backend-file,id=m,size=8T,mem-path={dir}/new",
            "unable to map backing store for guest RAM: Cannot allocate memory",
        ),
    ],
    ids=["ram", "mem-path", "memfd-private", "new-file-private"],
)
def test_overcommit_refusal(registry: Registry, tmp_path: Path, spec: str, error: str) -> None:
    if not _overcommit_refuses(8 << 40):
        pytest.skip("the kernel's overcommit policy would accept 8 TiB")
    with pytest.raises(MachineError) as info:
        build(registry, *spec.format(dir=tmp_path).split())
    assert str(info.value) == error
    assert list(tmp_path.iterdir()) == []


# -- file systems: full, read-only, missing ----------------------------------------------------


@pytest.mark.usefixtures("no_leaks")
@pytest.mark.parametrize("where", ["dir", "new-file"])
def test_full_file_system_with_preallocation(
    registry: Registry, small_tmpfs: Path, where: str
) -> None:
    """A 16 MiB backend on a 4 MiB tmpfs: preallocation fails halfway, QEMU's words."""
    path = small_tmpfs if where == "dir" else small_tmpfs / "new"
    spec = f"memory-backend-file,id=m,size=16M,mem-path={path},share=on,prealloc=on"
    with pytest.raises(MachineError) as info:
        build(registry, "-object", spec)
    assert str(info.value) == "qemu_prealloc_mem: preallocating memory failed: Bad address"
    assert list(small_tmpfs.iterdir()) == []
    assert used_bytes(small_tmpfs) == 0


@pytest.mark.usefixtures("no_leaks")
def test_full_file_system_without_preallocation_warns(
    registry: Registry, small_tmpfs: Path
) -> None:
    with build(registry, "-m", "16M", "-mem-path", str(small_tmpfs)) as machine:
        assert machine.warnings == [
            f"backend 'ram': the file system of {small_tmpfs} has 0x400000 bytes free, less "
            "than the 0x1000000 its memory may need; writing past that kills the process with "
            "SIGBUS (prealloc=on makes it an error at start)"
        ]
        assert machine.ram is not None
        machine.ram.view[: 2 * MiB] = b"\x01" * (2 * MiB)  # what fits can be used
    with build(registry, "-m", "2M", "-mem-path", str(small_tmpfs)) as machine:
        assert machine.warnings == []
    assert used_bytes(small_tmpfs) == 0


def test_full_file_system_writing_past_it_is_sigbus_not_corruption(small_tmpfs: Path) -> None:
    """What the warning says: without prealloc, the guest hits SIGBUS (as in QEMU)."""
    child = textwrap.dedent(
        f"""
        from machinectl import Machine
        with Machine.from_argv(["-M", "none", "-m", "16M", "-mem-path", "{small_tmpfs}"]) as m:
            m.ram.view[:] = b"x" * (16 << 20)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, timeout=60, check=False
    )
    assert proc.returncode == -signal.SIGBUS
    assert used_bytes(small_tmpfs) == 0  # the dead process's unlinked file is gone


@pytest.mark.usefixtures("no_leaks")
def test_read_only_and_missing_directories(registry: Registry, tmp_path: Path) -> None:
    with mounted(tmp_path / "ro", options="size=4m,ro") as ro:
        for path in (ro, ro / "new"):
            with pytest.raises(MachineError) as info:
                build(registry, "-m", "8M", "-mem-path", str(path))
            assert str(info.value) == (
                f"can't open backing store {path} for guest RAM: Read-only file system"
            )
    missing = tmp_path / "missing" / "dir"
    for path in (missing, missing / "file"):
        with pytest.raises(MachineError) as info:
            build(registry, "-object", f"memory-backend-file,id=m,size=8M,mem-path={path}")
        assert str(info.value) == (
            f"can't open backing store {path} for guest RAM: No such file or directory"
        )


@pytest.mark.usefixtures("no_leaks")
def test_path_with_a_nul_byte(registry: Registry) -> None:
    with pytest.raises(MachineError) as info:
        build(registry, "-m", "8M", "-mem-path", "/tmp/a\0b")
    assert str(info.value) == "can't open backing store /tmp/a\0b for guest RAM: Invalid argument"


# -- huge pages, NUMA binding ------------------------------------------------------------------


def _free_huge_pages() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("HugePages_Free:"):
            return int(line.split()[1])
    return 0


@pytest.mark.usefixtures("no_leaks")
def test_huge_pages_requested_with_none_free(registry: Registry, tmp_path: Path) -> None:
    # A hugetlbfs limited to one 2 MiB page: a 4 MiB backend finds none free for it.
    with mounted(tmp_path / "huge", "hugetlbfs", "pagesize=2M,size=2M") as huge:
        for extra in ("", ",prealloc=on", ",share=on"):
            spec = f"memory-backend-file,id=m,size=4M,mem-path={huge}{extra}"
            with pytest.raises(MachineError) as info:
                build(registry, "-object", spec)
            assert str(info.value) == (
                "unable to map backing store for guest RAM: Cannot allocate memory"
            )
            assert list(huge.iterdir()) == []
    if _free_huge_pages() == 0:
        with pytest.raises(MachineError, match="Cannot allocate memory"):
            build(registry, "-object", "memory-backend-memfd,id=m,size=4M,hugetlb=on")


@pytest.mark.usefixtures("no_leaks")
@pytest.mark.parametrize("kind", ["ram", "memfd", "file"])
def test_binding_to_an_absent_host_node(registry: Registry, tmp_path: Path, kind: str) -> None:
    absent = max(int(p.name[4:]) for p in Path("/sys/devices/system/node").glob("node[0-9]*")) + 1
    spec = f"memory-backend-{kind},id=m,size=8M,host-nodes={absent},policy=bind"
    if kind == "file":
        spec += f",mem-path={tmp_path}/new,prealloc=on"
    with pytest.raises(MachineError) as info:
        build(registry, "-object", spec)
    assert str(info.value) == "cannot bind memory to host NUMA nodes: Invalid argument"
    assert list(tmp_path.iterdir()) == []


# -- signals to a real process -------------------------------------------------------------------


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


@contextlib.contextmanager
def machinectl(*args: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


SIGNALS = {
    signal.SIGINT: "machinectl: interrupted\n",
    signal.SIGTERM: "machinectl: terminated\n",
    signal.SIGHUP: "machinectl: terminated\n",
}


@pytest.mark.parametrize("signum", list(SIGNALS))
def test_signal_during_preallocation(tmp_path: Path, signum: int) -> None:
    with mounted(tmp_path / "big", options="size=3g") as big:
        created = big / "created"
        spec = f"memory-backend-file,id=f,size=2G,mem-path={created},share=on,prealloc=on"
        with machinectl(
            "run",
            "-M",
            "none",
            "-object",
            "memory-backend-memfd,id=a,size=64M,prealloc=on",
            "-object",
            f"memory-backend-file,id=t,size=64M,mem-path={big},prealloc=on",
            "-object",
            f"{spec},prealloc-threads=2",
        ) as proc:
            _wait_for(lambda: created.exists() and created.stat().st_blocks > 0, "preallocation")
            proc.send_signal(signum)
            _, err = proc.communicate(timeout=30)
        assert (proc.returncode, err) == (128 + signum, SIGNALS[signum])
        # The created file is removed, the unlinked temporary file and the memfd are gone.
        assert list(big.iterdir()) == []
        assert used_bytes(big) == 0


@pytest.mark.parametrize("signum", list(SIGNALS))
def test_signal_during_hold(tmp_path: Path, signum: int) -> None:
    with mounted(tmp_path / "shm", options="size=256m") as shm:
        argv = [
            "run",
            "-M",
            "none",
            "-m",
            "16M",
            "-machine",
            "memory-backend=m",
            "--hold",
            "-object",
            "memory-backend-memfd,id=m,size=16M,prealloc=on",
            "-object",
            f"memory-backend-file,id=kept,size=16M,mem-path={shm}/kept,share=on,prealloc=on",
            "-object",
            f"memory-backend-file,id=tmp,size=16M,mem-path={shm},share=on,prealloc=on",
        ]
        with machinectl(*argv) as proc:
            assert proc.stderr is not None
            first = proc.stderr.readline()
            assert first.startswith(
                f"machinectl: holding none (pid {proc.pid})"
            ) or first.startswith(f"holding none (pid {proc.pid})")
            hints = [proc.stderr.readline() for _ in range(3)]
            fds = {
                os.readlink(f"/proc/{proc.pid}/fd/{fd}")
                for fd in os.listdir(f"/proc/{proc.pid}/fd")
            }
            assert {"/memfd:m (deleted)", f"{shm}/kept"} <= fds
            assert any(f.startswith(f"{shm}/#") and f.endswith("(deleted)") for f in fds)
            assert used_bytes(shm) == 32 * MiB  # kept + the unlinked temporary file
            proc.send_signal(signum)
            out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert err == ""
        assert [h.split(":")[0].strip() for h in hints] == ["m", "kept", "tmp"]
        assert "machine: none" in out
        # QEMU keeps a file it created on a normal exit; the rest is released.
        assert [p.name for p in shm.iterdir()] == ["kept"]
        assert used_bytes(shm) == 16 * MiB


# -- data safety ---------------------------------------------------------------------------------


class FailsInInit:
    """A board whose init_board fails after its RAM was allocated."""

    @hookimpl
    def register_boards(self) -> list[BoardSpec]:
        return [BoardSpec(name="fails-late")]

    @hookimpl
    def init_board(self, machine: MachineState) -> bool | None:
        if machine.board.name == "fails-late":
            raise RuntimeError("init_board failed")
        return None


@pytest.fixture(scope="module")
def safety_registry() -> Registry:
    fixed = BoardTable(
        [
            BoardFacts(
                spec=BoardSpec(name="fixed", numa=True),
                default_ram_size=64 * MiB,
                default_ram_id="ram",
                rules=[],
            )
        ]
    )
    from machinectl import FixedSize

    strict = BoardTable(
        [
            BoardFacts(
                spec=BoardSpec(name="only-64m"),
                default_ram_size=64 * MiB,
                default_ram_id="ram",
                rules=[FixedSize("Invalid RAM size, should be {value_str}", size=64 * MiB)],
            )
        ]
    )
    return create_registry(
        load_entrypoints=False,
        plugins=[("fixed", fixed), ("strict", strict), ("late", FailsInInit())],
    )


FILE = "memory-backend-file,id=f,size=4M,mem-path={path}"
REJECTIONS = [
    # (id, argv, error): every kind of rejection, each naming the existing file.
    ("parse", ["-M", "fixed", "-object", FILE + ",share=on,bogus=1"], "Invalid parameter"),
    (
        "board-rule",
        [
            "-M",
            "only-64m",
            "-m",
            "4M",
            "-machine",
            "memory-backend=f",
            "-object",
            FILE + ",share=on",
        ],
        "Invalid RAM size, should be 64 MiB",
    ),
    (
        "numa",
        ["-M", "fixed", "-m", "8M", "-object", FILE + ",share=on", "-numa", "node,memdev=f"],
        "total memory for NUMA nodes",
    ),
    (
        "size-mismatch",
        ["-M", "fixed", "-m", "8M", "-machine", "memory-backend=f", "-object", FILE + ",share=on"],
        "does not match the size of the memory backend",
    ),
    (
        "backing-store-size",
        ["-M", "fixed", "-object", "memory-backend-file,id=f,size=8M,mem-path={path},share=on"],
        "backing store size 0x400000 does not match 'size' option 0x800000",
    ),
    (
        "later-backend",
        [
            "-M",
            "fixed",
            "-object",
            FILE + ",share=on,prealloc=on",
            "-object",
            "memory-backend-ram,id=big,size=64T",
        ],
        "cannot set up guest memory 'big'",
    ),
    (
        "discard-then-fail",
        [
            "-M",
            "fixed",
            "-object",
            FILE + ",share=on,discard-data=on",
            "-object",
            "memory-backend-ram,id=big,size=64T",
        ],
        "cannot set up guest memory 'big'",
    ),
    (
        "bind-after-map",
        [
            "-M",
            "fixed",
            "-object",
            FILE + ",share=on,prealloc=on",
            "-object",
            "memory-backend-ram,id=b,size=4M,host-nodes=120,policy=bind",
        ],
        "cannot bind memory to host NUMA nodes",
    ),
    (
        "init-board",
        [
            "-M",
            "fails-late",
            "-m",
            "4M",
            "-machine",
            "memory-backend=f",
            "-object",
            FILE + ",share=on,prealloc=on",
        ],
        "failed in init_board",
    ),
]


@pytest.mark.usefixtures("no_leaks")
@pytest.mark.parametrize(
    ("argv", "error"), [r[1:] for r in REJECTIONS], ids=[r[0] for r in REJECTIONS]
)
def test_a_rejected_command_leaves_an_existing_file_as_it_was(
    safety_registry: Registry, tmp_path: Path, argv: list[str], error: str
) -> None:
    path = existing_file(tmp_path, 4 * MiB)
    before = fingerprint(path)
    with pytest.raises((MachineError, PluginError), match=error):
        Machine.from_argv([a.format(path=path) for a in argv], registry=safety_registry)
    assert fingerprint(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["guest.ram"]


@pytest.mark.usefixtures("no_leaks")
def test_a_rejected_command_leaves_an_empty_file_empty(
    safety_registry: Registry, tmp_path: Path
) -> None:
    """An empty file is grown to the backend size (as QEMU does), and emptied again on failure."""
    path = tmp_path / "empty"
    path.touch()
    os.utime(path, ns=(10**18, 10**18))
    before = fingerprint(path)
    argv = [
        "-M",
        "fixed",
        "-object",
        f"memory-backend-file,id=f,size=4M,mem-path={path},share=on,prealloc=on",
        "-object",
        "memory-backend-ram,id=big,size=64T",
    ]
    with pytest.raises(MachineError, match="cannot set up guest memory 'big'"):
        Machine.from_argv(argv, registry=safety_registry)
    assert fingerprint(path) == before and path.stat().st_blocks == 0


def test_preallocation_failing_halfway_in_an_existing_file(
    registry: Registry, small_tmpfs: Path
) -> None:
    """A sparse 16 MiB file on a 4 MiB tmpfs: populating it fails; size, data and mtime stay."""
    path = small_tmpfs / "sparse"
    with path.open("wb") as f:
        f.truncate(16 * MiB)
    os.utime(path, ns=(10**18, 10**18))
    before = path.stat()
    spec = f"memory-backend-file,id=m,size=16M,mem-path={path},share=on,prealloc=on"
    with pytest.raises(MachineError, match="preallocating memory failed: Bad address"):
        build(registry, "-object", spec)
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert path.read_bytes() == bytes(16 * MiB)


def test_signal_during_preallocation_of_an_existing_file(tmp_path: Path) -> None:
    with mounted(tmp_path / "big", options="size=3g") as big:
        path = big / "existing"
        with path.open("wb") as f:
            f.truncate(2 * GiB)
        os.utime(path, ns=(10**18, 10**18))
        spec = f"memory-backend-file,id=f,size=2G,mem-path={path},share=on,prealloc=on"
        with machinectl("run", "-M", "none", "-object", spec) as proc:
            _wait_for(lambda: path.stat().st_blocks > 0, "preallocation")
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        assert (proc.returncode, err) == (128 + signal.SIGTERM, "machinectl: terminated\n")
        after = path.stat()
        assert (after.st_size, after.st_mtime_ns) == (2 * GiB, 10**18)


@pytest.mark.usefixtures("no_leaks")
@pytest.mark.parametrize("extra", ["", ",prealloc=on", ",discard-data=on,prealloc=on"])
def test_readonly_never_writes(registry: Registry, tmp_path: Path, extra: str) -> None:
    path = existing_file(tmp_path, 4 * MiB)
    before = fingerprint(path)
    spec = f"memory-backend-file,id=m,size=4M,mem-path={path},readonly=on,share=on{extra}"
    with build(registry, "-object", spec) as machine:
        view = machine.backends[0].view()
        assert view.readonly and view[:1] == b"\xa5"
        with pytest.raises(TypeError):
            view[0] = 0
        del view
    assert fingerprint(path) == before


@pytest.mark.usefixtures("no_leaks")
def test_discard_data_never_touches_a_larger_file_it_did_not_create(
    registry: Registry, tmp_path: Path
) -> None:
    path = existing_file(tmp_path, 8 * MiB)
    spec = f"memory-backend-file,id=m,size=4M,mem-path={path},share=on,discard-data=on"
    with build(registry, "-object", spec) as machine:
        machine.backends[0].view()[:4] = b"used"
    data = path.read_bytes()
    assert len(data) == 8 * MiB and data[:4] == b"used" and data[4:] == b"\xa5" * (8 * MiB - 4)


def test_shared_file_keeps_what_the_guest_wrote(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "persistent.ram"
    spec = f"memory-backend-file,id=m,size=4M,mem-path={path},share=on"
    with build(registry, "-object", spec) as machine:
        machine.backends[0].view()[4096 : 4096 + 11] = b"hello guest"
    assert path.read_bytes()[4096 : 4096 + 11] == b"hello guest"
    # A second run, in another process, sees it.
    child = textwrap.dedent(
        f"""
        from machinectl import Machine
        with Machine.from_argv(["-M", "none", "-object", "{spec}"]) as m:
            print(bytes(m.backends[0].view()[4096:4096 + 11]).decode())
        """
    )
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True)
    assert proc.stdout == "hello guest\n"


# -- hostile paths -------------------------------------------------------------------------------


@pytest.fixture
def shared_dir(tmp_path: Path) -> Path:
    """A sticky world-writable directory like /tmp (owned by us)."""
    where = tmp_path / "shared"
    where.mkdir()
    where.chmod(0o1777)
    return where


def refused(path: Path, reason: str) -> str:
    return f"can't open backing store {path} for guest RAM: {reason}"


@pytest.mark.usefixtures("no_leaks")
@pytest.mark.parametrize("target", ["file", "missing", "directory"])
def test_planted_symlink_in_a_shared_directory_is_not_followed(
    registry: Registry, tmp_path: Path, shared_dir: Path, target: str
) -> None:
    victim = tmp_path / "victim"
    if target == "file":
        victim.write_bytes(b"precious" * 512)
    elif target == "directory":
        victim.mkdir()
    before = fingerprint(victim) if target == "file" else None
    name = shared_dir / "guest.ram"
    name.symlink_to(victim)
    for share in ("on", "off"):
        spec = f"memory-backend-file,id=m,size=4k,mem-path={name},share={share}"
        with pytest.raises(MachineError) as info:
            build(registry, "-object", spec)
        assert str(info.value) == refused(
            name, "not following a symbolic link in a world-writable directory"
        )
    assert name.is_symlink()
    if target == "file":
        assert fingerprint(victim) == before
    else:
        assert not victim.exists() or list(victim.iterdir()) == []


@pytest.mark.usefixtures("no_leaks")
def test_planted_files_in_a_shared_directory_are_refused(
    registry: Registry, tmp_path: Path, shared_dir: Path
) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    theirs = shared_dir / "theirs.ram"
    theirs.write_bytes(b"\0" * 4096)
    os.chown(theirs, NOBODY, NOBODY)
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious" * 512)
    linked = shared_dir / "linked.ram"
    os.link(victim, linked)
    before = fingerprint(victim)
    for path, reason in (
        (theirs, "refusing a file of another user in a world-writable directory"),
        (linked, "refusing a file with other hard links in a world-writable directory"),
    ):
        spec = f"memory-backend-file,id=m,size=4k,mem-path={path},share=on"
        with pytest.raises(MachineError) as info:
            build(registry, "-object", spec)
        assert str(info.value) == refused(path, reason)
    assert fingerprint(victim) == before


@pytest.mark.usefixtures("no_leaks")
def test_own_files_in_a_shared_directory_work(registry: Registry, shared_dir: Path) -> None:
    """The common case (``/dev/shm/guest.ram``) is unaffected: created, then reused."""
    path = shared_dir / "guest.ram"
    spec = f"memory-backend-file,id=m,size=4M,mem-path={path},share=on"
    for fill in (b"1", b"2"):
        with build(registry, "-object", spec) as machine:
            machine.backends[0].view()[0:1] = fill
    assert path.read_bytes()[:1] == b"2" and path.stat().st_nlink == 1


@pytest.mark.usefixtures("no_leaks")
def test_shared_directory_of_another_user(registry: Registry, tmp_path: Path) -> None:
    """Its owner could replace any file in it: no named file there; an unlinked one is fine."""
    if os.geteuid() != 0:
        pytest.skip("giving a directory to another user needs root")
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    theirs.chmod(0o1777)
    os.chown(theirs, NOBODY, NOBODY)
    with pytest.raises(MachineError) as info:
        build(registry, "-m", "4M", "-mem-path", str(theirs / "guest.ram"))
    assert str(info.value) == refused(
        theirs / "guest.ram",
        "refusing to create a file in a world-writable directory of another user",
    )
    with build(registry, "-m", "4M", "-mem-path", str(theirs), "-mem-prealloc") as machine:
        assert machine.ram is not None
    assert list(theirs.iterdir()) == []


@pytest.mark.usefixtures("no_leaks")
def test_temporary_files_are_private_and_exclusive(
    registry: Registry, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = f"memory-backend-file,id=m,size=4M,mem-path={shared_dir},share=on"
    with build(registry, "-object", spec) as machine:
        (hint,) = [path for _, path in machine.sharing_hints()]
        assert stat.S_IMODE(os.stat(hint).st_mode) == 0o600
        assert os.readlink(hint).endswith("(deleted)")
    # Without O_TMPFILE: mkstemp (O_CREAT|O_EXCL, 0600, a random name), unlinked at once.
    real_open = os.open

    def no_tmpfile(path: str, flags: int, *args: int, **kwargs: object) -> int:
        if flags & os.O_TMPFILE == os.O_TMPFILE:
            raise OSError(95, os.strerror(95))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    seen: list[int] = []
    monkeypatch.setattr(os, "open", no_tmpfile)
    real_mkstemp = __import__("tempfile").mkstemp

    def spy(*args: object, **kwargs: object) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kwargs)
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return fd, name

    monkeypatch.setattr("tempfile.mkstemp", spy)
    with build(registry, "-object", spec):
        pass
    assert seen == [0o600]
    assert list(shared_dir.iterdir()) == []
