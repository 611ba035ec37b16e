"""Signals during release, special files, exhausted resources, output faults, the library's edges.

Every case is real: signals sent to a real ``machinectl`` process (or raised in-process at the
moment the release unmaps memory), FIFOs, sockets and devices on disk, a pids cgroup that
refuses threads, /dev/full and closed descriptors as standard output. The invariants are those
of ``docs/failure-modes.rst``: one ``machinectl:`` line, exit status 1 (128 + n for a signal),
no traceback, nothing left in any directory, no descriptor or mapping leaked in-process.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from machinectl import Machine, MachineError, Registry, create_registry, syscalls
from machinectl.cli import main

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "machinectl.cli"]
MiB = 1 << 20
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="mounting and cgroups need root")


def _sweep_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("signal_sweep", ROOT / "tools/signal_sweep.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sweep = _sweep_module()


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry(load_entrypoints=False)


def _maps() -> str:
    return Path("/proc/self/maps").read_text()


@pytest.fixture
def no_leaks() -> Iterator[None]:
    fds = sorted(os.listdir("/proc/self/fd"))
    yield
    assert sorted(os.listdir("/proc/self/fd")) == fds


@pytest.fixture
def python_sigint() -> Iterator[None]:
    """Python's own SIGINT handler (a shell starts background jobs with SIGINT ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def signal_at_call(function: str, signum: int, module: str = "") -> Iterator[list[str]]:
    """Raise ``signum`` in this process when a function named ``function`` (of a file whose
    name ends with ``module``) is first called (a real signal, at a real moment: the handler
    in force decides what it does)."""
    seen: list[str] = []

    def profile(frame: FrameType, event: str, arg: object) -> None:
        code = frame.f_code
        if (
            event == "call"
            and code.co_name == function
            and code.co_filename.endswith(module)
            and not seen
        ):
            seen.append(frame.f_code.co_filename)
            signal.raise_signal(signum)

    sys.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(None)


# -- 1. signals during release -------------------------------------------------------------------


@ROOT_ONLY
def test_signals_at_many_moments_of_allocation_and_release() -> None:
    """The reduced sweep (``tools/signal_sweep.py`` runs the full one): SIGINT, SIGTERM and
    SIGUSR1 at moments spread over a preallocation into a directory and its release."""
    with sweep.tmpfs("1g") as directory:
        results = sweep.sweep(
            directory, "256M", [signal.SIGINT, signal.SIGTERM, signal.SIGUSR1], cases=3
        )
    broken = [r for r in results if r["violations"]]
    assert not broken, broken
    assert sum(r["sent"] and r["status"] != 0 for r in results) >= 5


@ROOT_ONLY
def test_repeated_signals_at_the_release_after_hold() -> None:
    """SIGTERM ends the hold; a second signal during the release ends the command with it
    (another signal: two SIGTERMs close together are one, as the kernel merges them)."""
    with sweep.tmpfs("1g") as directory:
        results = [
            sweep.run_case(directory, "256M", signum, offset, hold=True)
            for signum in (signal.SIGINT, signal.SIGHUP)
            for offset in (0.0, 0.005)
        ]
    broken = [
        (r["offset"], r["status"], r["stderr"], r["violations"]) for r in results if r["violations"]
    ]
    assert not broken, broken
    assert all(r["hold-line"].startswith("holding none") for r in results)


#: Signals that end a process by default, beyond SIGINT, SIGTERM and SIGHUP.
OTHER_SIGNALS = [
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGALRM,
    signal.SIGXCPU,
    signal.SIGVTALRM,
    signal.SIGPROF,
    signal.SIGIO,
    signal.SIGPWR,
    signal.SIGRTMIN,
]


def _wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


@ROOT_ONLY
@pytest.mark.parametrize("signum", OTHER_SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_every_terminating_signal_removes_the_created_file(signum: int) -> None:
    with sweep.tmpfs("1g") as directory:
        created = directory / "guest.ram"
        proc = subprocess.Popen(
            [*CLI, "run", "-M", "none", "-m", "512M", "-mem-path", str(created), "-mem-prealloc"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_for(lambda: created.exists() and created.stat().st_blocks > 0)
            proc.send_signal(signum)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert (proc.returncode, err) == (128 + signum, sweep.expected_line(signum))
        assert list(directory.iterdir()) == []


@ROOT_ONLY
@pytest.mark.parametrize("signum", [signal.SIGPIPE, signal.SIGXFSZ], ids=["PIPE", "XFSZ"])
def test_signals_python_ignores_leave_the_machine_alone(signum: int) -> None:
    """SIGPIPE and SIGXFSZ are ignored (Python's choice, so that the failing write reports
    them): the hold goes on, and a SIGINT then releases as usual."""
    with sweep.tmpfs("256m") as directory:
        proc = subprocess.Popen(
            [*CLI, "run", "-M", "none", "-m", "64M", "-mem-path", str(directory / "f"), "--hold"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stderr is not None
            assert proc.stderr.readline().startswith("holding none")
            proc.send_signal(signum)
            time.sleep(0.2)
            assert proc.poll() is None
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert (proc.returncode, err) == (0, "")
        assert [p.name for p in directory.iterdir()] == ["f"]  # kept, as QEMU keeps it


@pytest.mark.usefixtures("no_leaks", "python_sigint")
def test_sigint_during_close_reaches_the_caller_after_the_release(
    registry: Registry, tmp_path: Path
) -> None:
    machine = Machine.from_argv(
        [
            "-M",
            "none",
            "-m",
            "64M",
            "-mem-path",
            str(tmp_path / "ram"),
            "-object",
            "memory-backend-memfd,id=x,size=32M",
        ],
        registry=registry,
    )
    addresses = [b.host_address for b in machine.backends]
    with (
        signal_at_call("close", signal.SIGINT, "hostmem.py") as seen,
        pytest.raises(KeyboardInterrupt),
    ):
        machine.close()
    assert seen, "the release never began"
    maps = _maps()
    assert all(f"{a:x}-" not in maps for a in addresses)
    assert machine.query()["machine"]["allocated"] is False


@pytest.mark.usefixtures("no_leaks", "python_sigint")
def test_sigint_while_an_allocation_is_undone_reaches_the_caller(
    registry: Registry, tmp_path: Path
) -> None:
    """A NUMA binding that fails after the file was created: SIGINT arrives as the file is
    removed; the removal completes, and the KeyboardInterrupt follows."""
    path = tmp_path / "ram"
    argv = [
        "-M",
        "none",
        "-object",
        f"memory-backend-file,id=f,size=4M,mem-path={path},host-nodes=63,policy=bind",
    ]
    with (
        signal_at_call("_remove_created", signal.SIGINT) as seen,
        pytest.raises(KeyboardInterrupt),
    ):
        Machine.from_argv(argv, registry=registry)
    assert seen
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("no_leaks")
def test_a_signal_in_the_release_of_the_command_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from machinectl.index import load_index

    load_index()  # a cold board index builds machines too: the signal is for the command's
    with signal_at_call("close", signal.SIGTERM, "hostmem.py"):
        status = main(["run", "-M", "none", "-m", "16M", "-mem-path", str(tmp_path)])
    out, err = capsys.readouterr()
    assert str(tmp_path) not in _maps()
    assert (status, err) == (128 + signal.SIGTERM, "machinectl: terminated\n")
    assert "base memory: 16777216" in out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("module", ["machinectl.machine", "machinectl.hostmem"])
def test_a_signal_during_a_lazy_import_is_not_swallowed(module: str) -> None:
    """The signal lands while ``run`` imports the machine pipeline (the program imports it
    lazily, in a fresh process)."""
    code = textwrap.dedent(
        f"""
        import signal, sys
        def profile(frame, event, arg):
            if event == "call" and frame.f_code.co_name == "<module>" \\
                    and frame.f_globals.get("__name__") == {module!r}:
                sys.setprofile(None)
                signal.raise_signal(signal.SIGINT)
        from machinectl.cli import main
        sys.setprofile(profile)
        sys.exit(main(["run", "-M", "none", "-m", "16M"]))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (proc.returncode, proc.stderr) == (130, "machinectl: interrupted\n")
    assert proc.stdout == ""


# -- 2. special files ----------------------------------------------------------------------------


def _special(tmp_path: Path, kind: str) -> str:
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()
    elif kind == "loop":
        os.symlink(tmp_path / "loop2", path)
        os.symlink(path, tmp_path / "loop2")
    elif kind == "dir":
        path.mkdir()
    elif kind == "file-as-dir":
        path.write_bytes(b"")
        return f"{path}/"
    return str(path)


NO_DEVICE = "unable to map backing store for guest RAM: No such device"
SPECIAL_FILES = [
    # (kind or absolute path, readonly, the line: QEMU 7.2's where QEMU answers)
    ("fifo", False, NO_DEVICE),
    ("fifo", True, NO_DEVICE),  # QEMU 7.2 waits forever in open(); the same line as rw
    ("socket", False, "can't open backing store {path} for guest RAM: No such device or address"),
    ("socket", True, "can't open backing store {path} for guest RAM: No such device or address"),
    ("dir", True, NO_DEVICE),
    (
        "loop",
        False,
        "can't open backing store {path} for guest RAM: Too many levels of symbolic links",
    ),
    ("file-as-dir", False, "can't open backing store {path} for guest RAM: Not a directory"),
    ("/dev/null", False, NO_DEVICE),
    ("/dev/null", True, NO_DEVICE),
    ("/dev/ptmx", False, NO_DEVICE),
    ("/proc/self/status", False, NO_DEVICE),
    # QEMU maps it and fails with ENODEV; an empty read-only file is refused before (ours).
    ("/proc/self/status", True, "backing store size 0x0 does not match 'size' option 0x100000"),
    (
        "/sys/kernel/mm/transparent_hugepage/enabled",
        True,
        "backing store size 0x1000 does not match 'size' option 0x100000",
    ),
]


@pytest.mark.parametrize(("kind", "readonly", "line"), SPECIAL_FILES)
def test_special_files_answer_at_once(tmp_path: Path, kind: str, readonly: bool, line: str) -> None:
    path = kind if kind.startswith("/") else _special(tmp_path, kind)
    if not os.path.lexists(path.rstrip("/")):
        pytest.skip(f"{path} does not exist here")
    before = sorted(os.listdir(tmp_path))
    spec = f"memory-backend-file,id=m,size=1M,mem-path={path}" + (",readonly=on" * readonly)
    started = time.monotonic()
    proc = subprocess.run(
        [*CLI, "run", "-M", "none", "-object", spec],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert time.monotonic() - started < 10
    assert (proc.returncode, proc.stderr) == (1, f"machinectl: {line.format(path=path)}\n")
    assert sorted(os.listdir(tmp_path)) == before


@pytest.mark.usefixtures("no_leaks")
def test_a_fifo_opened_in_process_leaves_nothing(registry: Registry, tmp_path: Path) -> None:
    fifo = _special(tmp_path, "fifo")

    def hung(signum: int, frame: FrameType | None) -> None:
        raise AssertionError("open() of a FIFO blocked")

    previous = signal.signal(signal.SIGALRM, hung)
    try:
        for extra in ("", ",readonly=on", ",readonly=on,prealloc=on"):
            signal.alarm(10)
            spec = f"memory-backend-file,id=m,size=1M,mem-path={fifo}{extra}"
            with pytest.raises(MachineError, match=NO_DEVICE):
                Machine.from_argv(["-M", "none", "-object", spec], registry=registry)
            signal.alarm(0)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_character_device_is_still_mapped(registry: Registry) -> None:
    """Devices that can be mapped (DAX devices, /dev/zero) keep working, as in QEMU."""
    argv = ["-M", "none", "-object", "memory-backend-file,id=m,size=1M,mem-path=/dev/zero"]
    with Machine.from_argv(argv, registry=registry) as machine:
        assert machine.backends[0].view()[0] == 0


# -- 3. exhausted resources ----------------------------------------------------------------------

PIDS = Path("/sys/fs/cgroup/pids")


@contextlib.contextmanager
def pids_cgroup(limit: int) -> Iterator[Path]:
    """A pids cgroup (v1) allowing ``limit`` tasks: threads beyond it fail with EAGAIN."""
    if not (PIDS / "cgroup.procs").exists():
        pytest.skip("no pids cgroup (v1) here")
    group = PIDS / f"machinectl-test-{os.getpid()}"
    group.mkdir()
    try:
        (group / "pids.max").write_text(f"{limit}\n")
        yield group
    finally:
        with contextlib.suppress(OSError):
            group.rmdir()


def _in_cgroup(group: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=lambda: (group / "cgroup.procs").write_text(f"{os.getpid()}\n"),
    )


THREAD_LINE = (
    "machinectl: qemu_thread_create: Resource temporarily unavailable (backend 'm' "
    "preallocates with up to 2 threads; a limit on threads, processes or address space "
    "stopped one)\n"
)


@ROOT_ONLY
def test_thread_creation_failing_is_qemus_error_on_the_command_line(tmp_path: Path) -> None:
    spec = f"memory-backend-file,id=m,size=256M,mem-path={tmp_path}/ram,prealloc=on"
    argv = [*CLI, "run", "-M", "pc", "-smp", "2", "-object", f"{spec},prealloc-threads=2"]
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: preallocation starts no thread")
    with pids_cgroup(1) as group:
        proc = _in_cgroup(group, argv)
    assert (proc.returncode, proc.stderr) == (1, THREAD_LINE)
    assert list(tmp_path.iterdir()) == []


@ROOT_ONLY
def test_thread_creation_failing_is_a_machine_error_in_the_library(tmp_path: Path) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: preallocation starts no thread")
    code = textwrap.dedent(
        """
        import os, sys, threading
        from machinectl import Machine, MachineError
        fds = sorted(os.listdir("/proc/self/fd"))
        try:
            Machine.create("none", objects=[{"qom-type": "memory-backend-ram", "id": "m",
                           "size": "256M", "prealloc": True, "prealloc-threads": 2}])
        except MachineError as exc:
            print(type(exc).__name__, exc.message)
        assert sorted(os.listdir("/proc/self/fd")) == fds
        assert threading.active_count() == 1
        """
    )
    with pids_cgroup(1) as group:
        proc = _in_cgroup(group, [sys.executable, "-c", code])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "MachineError qemu_thread_create: Resource temporarily unavailable\n"


@pytest.mark.parametrize(
    ("spec", "line"),
    [
        (
            "memory-backend-file,id=m,size=1M,mem-path={tmp}/ram",
            "can't open backing store {tmp}/ram for guest RAM: Too many open files",
        ),
        (
            "memory-backend-file,id=m,size=1M,mem-path={tmp}",
            "can't open backing store {tmp} for guest RAM: Too many open files",
        ),
        (
            "memory-backend-memfd,id=m,size=1M",
            "failed to create memfd with flags 0x3: Too many open files",
        ),
    ],
)
def test_descriptor_limit_is_a_machine_error(tmp_path: Path, spec: str, line: str) -> None:
    code = textwrap.dedent(
        f"""
        import os, resource
        from machinectl import Machine, MachineError, create_registry
        registry = create_registry(load_entrypoints=False)
        resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
        held = []
        while True:
            try:
                held.append(os.open("/dev/null", os.O_RDONLY))
            except OSError:
                break
        try:
            Machine.from_argv(["-M", "none", "-object", {spec.format(tmp=tmp_path)!r}],
                              registry=registry)
        except MachineError as exc:
            print(exc.message)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == line.format(tmp=tmp_path) + "\n"
    assert list(tmp_path.iterdir()) == []


# -- 4. output faults ----------------------------------------------------------------------------


def test_a_full_disk_as_standard_output() -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [*CLI, "run", "-M", "none", "-m", "16M"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert (proc.returncode, proc.stderr) == (
        1,
        "machinectl: write error: No space left on device\n",
    )


@pytest.mark.parametrize("command", [["run", "--json", "-M", "none", "-m", "16M"], ["list-boards"]])
def test_closed_standard_output(command: list[str]) -> None:
    proc = subprocess.run(
        [*CLI, *command],
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
        pass_fds=(),
        preexec_fn=lambda: os.close(1),
    )
    assert (proc.returncode, proc.stderr) == (1, "machinectl: write error: Bad file descriptor\n")


@pytest.mark.parametrize("command", [["run", "-M", "none", "-m", "64M"], ["list-boards"]])
def test_a_reader_that_goes_away_ends_the_command_quietly(command: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line
    try:
        proc = subprocess.run(
            [*CLI, *command],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (141, "")


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["-M", "none", "-m", "foo"], 1),
        (["-M", "none", "-m", "64M"], 0),
        (["--progress", "-M", "none", "-m", "64M"], 0),
    ],
)
def test_a_closed_standard_error_still_gives_the_status(args: list[str], status: int) -> None:
    proc = subprocess.run(
        [*CLI, "run", *args],
        capture_output=False,
        stdout=subprocess.DEVNULL,
        timeout=60,
        check=False,
        preexec_fn=lambda: os.close(2),
    )
    assert proc.returncode == status


def test_signal_names_need_no_import_of_the_signal_module() -> None:
    """A signal can come while ``enum`` is half imported: naming it imports nothing."""
    from machinectl import cli

    for signum in sorted(signal.valid_signals()):
        try:
            expected = signal.Signals(signum).name
        except ValueError:
            expected = f"SIGRTMIN+{signum - signal.SIGRTMIN}"
        assert cli._signal_name(signum) == expected
    code = (
        "import sys; sys.modules['signal'] = None; sys.modules['enum'] = None\n"
        "from machinectl import cli; print(cli._signal_line(15))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "terminated\n", "")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ram": 10**5000},
        {"smp": 10**5000},
        {"ram": -(10**5000)},
        {"objects": [{"qom-type": "memory-backend-ram", "id": "m", "size": 10**5000}]},
        {"properties": {"memory.size": 10**5000}},
    ],
    ids=["ram", "smp", "negative-ram", "object-size", "property"],
)
def test_integers_past_python_s_digit_limit_are_machine_errors(
    registry: Registry, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(MachineError):
        Machine.create("none", registry=registry, allocate=False, **kwargs)


def test_a_json_object_with_a_huge_number_is_qemu_s_error() -> None:
    number = "9" * 5000
    spec = f'{{"qom-type":"memory-backend-ram","id":"m","size":{number}}}'
    proc = subprocess.run(
        [*CLI, "run", "--dry-run", "-M", "none", "-object", spec],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    # One line (a very long one is cut in its middle), with QEMU's words.
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith('machinectl: -object {"qom-type":"memory-backend-ram"')
    assert proc.stderr.endswith("}: Parameter 'size' expects uint64\n")


# -- 5. both constructors, one validation path ---------------------------------------------------

IDS = st.one_of(
    st.sampled_from(["", "m 0", "0m", "a\nb", "../x", "m", "m.0", "m-0", "m_0", "a,b", "a=b", "é"]),
    st.text(alphabet="am0 ._-,=/\n", max_size=5),
)
TYPES = st.sampled_from(
    ["memory-backend-ram", "memory-backend-memfd", "memory-backend-file", "memory-backend-x"]
)
SIZES = st.sampled_from(["1M", "2M", "0", "foo", "16M"])


@st.composite
def backend_spec(draw: st.DrawFn) -> dict[str, object]:
    spec: dict[str, object] = {}
    if draw(st.integers(0, 9)):
        spec["qom-type"] = draw(TYPES)
    if draw(st.integers(0, 9)):
        spec["id"] = draw(IDS)
    if draw(st.integers(0, 9)):
        spec["size"] = draw(SIZES)
    if spec.get("qom-type") == "memory-backend-file" and draw(st.booleans()):
        spec["mem-path"] = "/nonexistent/ram"
    if draw(st.integers(0, 4)) == 0:
        spec["prealloc"] = draw(st.sampled_from([True, False, "maybe"]))
    return spec


def _opts(spec: dict[str, object]) -> str:
    """One ``-object`` argument written by hand for a spec (commas doubled)."""

    def text(value: object) -> str:
        if isinstance(value, bool):
            return "on" if value else "off"
        return str(value).replace(",", ",,")

    items = []
    if "qom-type" in spec:
        items.append(text(spec["qom-type"]))
    items += [f"{k}={text(v)}" for k, v in spec.items() if k != "qom-type"]
    return ",".join(items)


def _outcome(build: Callable[[], Machine]) -> tuple[Any, ...]:
    try:
        with build() as machine:
            return ("machine", machine.query())
    except MachineError as exc:
        return ("error", type(exc).__name__, exc.message, exc.hint)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(backend_spec(), max_size=3),
    ram=st.sampled_from([None, "16M", "1M", "2M"]),
    backend=st.sampled_from([None, "m", "m.0", "x"]),
    smp=st.integers(0, 3),
)
def test_both_constructors_refuse_the_same_inputs_with_the_same_messages(
    registry: Registry,
    specs: list[dict[str, object]],
    ram: str | None,
    backend: str | None,
    smp: int,
) -> None:
    argv = ["-M", "none"]
    if backend is not None:
        argv = ["-M", f"none,memory-backend={backend}"]
    if ram is not None:
        argv += ["-m", ram]
    if smp != 1:
        argv += ["-smp", str(smp)]
    for spec in specs:
        argv += ["-object", _opts(spec)]
    by_argv = _outcome(lambda: Machine.from_argv(argv, registry=registry, allocate=False))
    by_keywords = _outcome(
        lambda: Machine.create(
            "none",
            ram,
            objects=specs,
            memory_backend=backend,
            smp=smp,
            registry=registry,
            allocate=False,
        )
    )
    assert by_keywords == by_argv


@pytest.mark.parametrize("bad_id", ["", "m 0", "0m", "a\nb", "../x", "-m", "m/0", "é"])
def test_create_refuses_ids_qemu_refuses(registry: Registry, bad_id: str) -> None:
    with pytest.raises(MachineError, match="Parameter 'id' expects an identifier") as info:
        Machine.create(
            "none",
            objects=[{"qom-type": "memory-backend-ram", "id": bad_id, "size": "1M"}],
            registry=registry,
            allocate=False,
        )
    assert info.value.hint is not None


def test_create_refuses_duplicate_ids(registry: Registry) -> None:
    spec = {"qom-type": "memory-backend-ram", "id": "m", "size": "1M"}
    with pytest.raises(MachineError, match="Duplicate ID 'm' for object"):
        Machine.create("none", objects=[spec, spec], registry=registry, allocate=False)


# -- 6. types at the API boundary ----------------------------------------------------------------

WRONG_TYPES: list[tuple[str, Callable[[], object], str]] = [
    ("argv-ints", lambda: Machine.from_argv([1, 2]), r"argv\[0\] must be str, not int"),  # type: ignore[list-item]
    (
        "argv-bytes",
        lambda: Machine.from_argv(b"-M none"),
        "'argv' must be a list of str, not bytes",
    ),
    ("argv-str", lambda: Machine.from_argv("-M none"), r"not a str; .*shlex\.split\(\)"),
    ("argv-none", lambda: Machine.from_argv(None), "'argv' must be a list of str, not NoneType"),  # type: ignore[arg-type]
    (
        "objects-str",
        lambda: Machine.create("none", objects=["memory-backend-ram,id=m,size=1M"]),  # type: ignore[list-item]
        r"objects\[0\] must be a mapping",
    ),
    (
        "objects-mapping",
        lambda: Machine.create("none", objects={"qom-type": "memory-backend-ram"}),  # type: ignore[arg-type]
        "'objects' must be a list of mappings, not dict",
    ),
    ("smp-float", lambda: Machine.create("none", smp=2.5), "'smp' must be int, not float"),  # type: ignore[arg-type]
    ("smp-bool", lambda: Machine.create("none", smp=True), "'smp' must be int, not bool"),
    ("smp-str", lambda: Machine.create("none", smp="2"), "'smp' must be int, not str"),  # type: ignore[arg-type]
    ("ram-float", lambda: Machine.create("none", 1.5), "'ram' must be int, str or None"),  # type: ignore[arg-type]
    ("ram-bool", lambda: Machine.create("none", True), "'ram' must be int, str or None"),
    ("machine-none", lambda: Machine.create(None), "'machine' must be str"),  # type: ignore[arg-type]
    (
        "property-value",
        lambda: Machine.create("none", properties={"mem-merge": None}),
        r"properties\['mem-merge'\] must be str, int or bool, not NoneType",
    ),
    (
        "object-value",
        lambda: Machine.create(
            "none", objects=[{"qom-type": "memory-backend-ram", "id": "m", "size": 1.5}]
        ),
        r"objects\[0\]\['size'\] must be str, int or bool, not float",
    ),
    ("mem-path-bytes", lambda: Machine.create("none", mem_path=b"/tmp"), "'mem_path' must be str"),  # type: ignore[arg-type]
    (
        "prealloc-str",
        lambda: Machine.create("none", mem_prealloc="yes"),
        "'mem_prealloc' must be bool",
    ),  # type: ignore[arg-type]
    ("numa-str", lambda: Machine.create("none", numa="node"), "'numa' must be a list of mappings"),  # type: ignore[arg-type]
    ("registry", lambda: Machine.from_argv([], registry="x"), "'registry' must be a Registry"),  # type: ignore[arg-type]
    ("allocate", lambda: Machine.from_argv([], allocate="no"), "'allocate' must be bool"),  # type: ignore[arg-type]
    ("progress", lambda: Machine.from_argv([], progress=1), "'progress' must be callable"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("name", "call", "message"), WRONG_TYPES, ids=[c[0] for c in WRONG_TYPES])
def test_wrong_types_are_type_errors_naming_the_argument(
    name: str, call: Callable[[], object], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        call()


# -- 7. a long valid id ----------------------------------------------------------------------------


@pytest.mark.usefixtures("no_leaks")
def test_a_300_character_memfd_id_works(registry: Registry) -> None:
    long_id = "m" + "x" * 299
    spec = {"qom-type": "memory-backend-memfd", "id": long_id, "size": "1M"}
    with Machine.create("none", objects=[spec], registry=registry) as machine:
        backend = machine.backends[0]
        assert backend.id == long_id
        names = set()
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):  # the descriptor listdir used
                names.add(os.readlink(f"/proc/self/fd/{fd}"))
        assert f"/memfd:{long_id[: syscalls.MEMFD_NAME_MAX]} (deleted)" in names
        backend.view()[0] = 1


def test_memfd_names_are_cut_on_whole_characters() -> None:
    assert syscalls.memfd_name("é" * 200).encode() == "é".encode() * 124
    assert syscalls.memfd_name("a\0b") == "ab"


# -- 8. query after close ------------------------------------------------------------------------


def test_query_after_close_says_nothing_is_allocated(registry: Registry) -> None:
    machine = Machine.from_argv(["-M", "none", "-m", "16M"], registry=registry)
    assert machine.query()["machine"]["allocated"] is True
    machine.close()
    assert machine.query()["machine"]["allocated"] is False
    machine.close()  # idempotent
    assert machine.closed


def test_errno_of_a_write_error_is_kept() -> None:
    """The guarded output keeps the errno the write failed with (used for the quiet EPIPE)."""
    from machinectl.cli import OutputError

    error = OutputError(OSError(errno.EPIPE, os.strerror(errno.EPIPE)))
    assert (error.errno, error.strerror) == (errno.EPIPE, os.strerror(errno.EPIPE))
