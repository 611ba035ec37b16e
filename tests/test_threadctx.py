"""Where preallocation runs, how several backends share it, and memory locking.

Thread affinity is checked on the real threads: each populate call records the
``Cpus_allowed_list`` of the thread making it, read from ``/proc/thread-self/status`` while
the thread runs. Memory locking is checked with real ``mlockall`` calls in child processes
(locking changes the whole process), and the budget check as an unprivileged user where the
host allows switching to one.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from machinectl import Machine, MachineError, memlock, prealloc_pool, syscalls, threadctx
from machinectl.hostmem import HostMemoryBackend
from machinectl.options import ObjectOption

MiB = 1 << 20
CPUS = sorted(os.sched_getaffinity(0))
two_cpus = pytest.mark.skipif(len(CPUS) < 2, reason="needs two CPUs")


def _allowed() -> str:
    with open("/proc/thread-self/status", encoding="ascii") as lines:
        for line in lines:
            if line.startswith("Cpus_allowed_list:"):
                return line.split()[1]
    raise AssertionError("no Cpus_allowed_list")


class Populates:
    """Every populate call: (address, length, thread id, that thread's allowed CPUs)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int, str]] = []
        self.lock = threading.Lock()

    def threads(self, start: int, size: int) -> dict[int, str]:
        """The threads that populated ``[start, start + size)``, with their allowed CPUs."""
        return {
            tid: cpus
            for addr, length, tid, cpus in self.calls
            if start <= addr < start + size and length > syscalls.PAGE_SIZE
        }


@pytest.fixture
def populates(monkeypatch: pytest.MonkeyPatch) -> Iterator[Populates]:
    record = Populates()
    real = syscalls.madvise

    def madvise(addr: int, size: int, advice: int) -> None:
        if advice == syscalls.MADV_POPULATE_WRITE:
            with record.lock:
                record.calls.append((addr, size, threading.get_native_id(), _allowed()))
        real(addr, size, advice)

    monkeypatch.setattr(syscalls, "madvise", madvise)
    yield record


@pytest.fixture(params=["parallel", "qemu-7.2"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MACHINECTL_PREALLOC", request.param)
    return str(request.param)


def _ram(name: str, size: str = "128M", extra: str = "") -> list[str]:
    return ["-object", f"memory-backend-ram,id={name},size={size},prealloc=on{extra}"]


# -- thread contexts ---------------------------------------------------------------------------


@two_cpus
def test_threads_run_on_the_context_cpus(populates: Populates, mode: str) -> None:
    argv = [
        "-M", "none",
        "-object", f"thread-context,id=tc,cpu-affinity={CPUS[1]}",
        *_ram("m", extra=",prealloc-threads=2,prealloc-context=tc"),
    ]  # fmt: skip
    main = threading.get_native_id()
    with Machine.from_argv(argv) as machine:
        backend = machine.backends[0]
        threads = populates.threads(backend.host_address, backend.size)
        context = machine.contexts[0]
        assert context.query()["cpu-affinity"] == [CPUS[1]]
        assert os.sched_getaffinity(context.thread_id) == {CPUS[1]}
    # QEMU 7.2 starts prealloc-threads threads; the pool no more than the context has CPUs.
    assert len(threads) == (2 if mode == "qemu-7.2" else 1)
    assert main not in threads
    assert set(threads.values()) == {str(CPUS[1])}
    assert _allowed() == threadctx.format_cpulist(CPUS)  # the caller is left as it was


def _gone(tid: int) -> bool:
    """Whether the thread ``tid`` has ended (the kernel's task ends just after join())."""
    deadline = time.monotonic() + 5
    while str(tid) in os.listdir("/proc/self/task") and time.monotonic() < deadline:
        time.sleep(0.01)
    return str(tid) not in os.listdir("/proc/self/task")


@two_cpus
def test_a_context_added_at_run_time_places_a_backend_added_after_it(
    populates: Populates, mode: str
) -> None:
    with Machine.from_argv(["-M", "none", "-m", "64M"]) as machine:
        context = machine.add_thread_context("tc", {"cpu-affinity": [CPUS[1]]})
        assert os.sched_getaffinity(context.thread_id) == {CPUS[1]}
        values = {"size": 128 * MiB, "prealloc": True, "prealloc-context": "tc"}
        backend = machine.add_backend("memory-backend-ram", "m", values)
        threads = populates.threads(backend.host_address, backend.size)
        assert machine.prealloc_context_of(backend) is context
        # As qom-set does: the running thread gets the new affinity.
        context.set_affinity("cpu-affinity", [CPUS[0]])
        assert os.sched_getaffinity(context.thread_id) == {CPUS[0]}
        tid = context.thread_id
        machine.object_del("tc")
        assert _gone(tid)
        assert machine.contexts == [] and machine.prealloc_context_of(backend) is None
        assert "m" in [b.id for b in machine.backends]  # the backend keeps its memory
    assert threads and set(threads.values()) == {str(CPUS[1])}


@two_cpus
def test_qom_set_prealloc_populates_now_on_the_context_named(populates: Populates) -> None:
    argv = [
        *("-M", "none", "-object", f"thread-context,id=tc,cpu-affinity={CPUS[1]}"),
        *("-object", "memory-backend-ram,id=m,size=64M,prealloc-threads=2"),
    ]
    with Machine.from_argv(argv) as machine:
        backend = machine.backends[0]
        assert populates.threads(backend.host_address, backend.size) == {}
        machine.qmp("qom-set", path="/objects/m", property="prealloc-context", value="tc")
        assert machine.qmp("qom-get", path="m", property="prealloc-context") == "/objects/tc"
        machine.qmp("qom-set", path="/objects/m", property="prealloc", value=True)
        threads = populates.threads(backend.host_address, backend.size)
        machine.qmp("qom-set", path="/objects/m", property="prealloc", value=False)
        assert machine.qmp("qom-get", path="m", property="prealloc") is True  # as QEMU keeps it
    assert threads and set(threads.values()) == {str(CPUS[1])}


def test_run_time_contexts_are_checked_as_qemu_checks_them() -> None:
    with Machine.from_argv(["-M", "none", "-object", "thread-context,id=tc"]) as machine:
        cases = [
            ("tc", {}, "attempt to add duplicate property 'tc' to object (type 'container')"),
            ("t1", {"cpu-affinity": []}, "CPU list is empty"),
            ("t1", {"node-affinity": []}, "Node list is empty"),
            ("t1", {"node-affinity": [4095]}, "The nodes select no CPUs"),
            ("t1", {"cpu-affinity": [0], "node-affinity": [0]}, "Mixing CPU and node affinity"),
            ("t1", {"cpu-affinity": [4095]}, "Setting CPU affinity failed: Invalid argument"),
            ("t1", {"thread-id": [1]}, "Parameter 'thread-id' is unexpected"),
            ("1t", {}, "Parameter 'id' expects an identifier"),
        ]
        before = set(os.listdir("/proc/self/task"))
        for context_id, values, message in cases:
            with pytest.raises(MachineError, match=re.escape(message)):
                machine.add_thread_context(context_id, values)
        assert [c.id for c in machine.contexts] == ["tc"]
        # A joined thread's kernel task ends a moment after Python's join returns.
        deadline = time.monotonic() + 5
        while not set(os.listdir("/proc/self/task")) <= before:
            assert time.monotonic() < deadline, "a context's thread is still running"
            time.sleep(0.01)
        with pytest.raises(MachineError, match="Device 'nope' not found") as caught:
            machine.add_backend(
                "memory-backend-ram", "m", {"size": MiB, "prealloc-context": "nope"}
            )
        assert caught.value.qmp_class == "DeviceNotFound"
        with pytest.raises(MachineError, match="add_thread_context"):
            machine.object_add({"qom-type": "thread-context", "id": "t2"})
        assert machine.qmp("qom-get", path="/objects/tc", property="type") == "thread-context"
        machine.qmp("object-del", id="tc")
        assert machine.contexts == []


@two_cpus
def test_one_thread_with_a_context_is_not_the_caller(populates: Populates, mode: str) -> None:
    argv = [
        "-M", "none", "-object", f"thread-context,id=tc,cpu-affinity={CPUS[0]}",
        *_ram("m", extra=",prealloc-threads=1,prealloc-context=/objects/tc"),
    ]  # fmt: skip
    with Machine.from_argv(argv) as machine:
        backend = machine.backends[0]
        threads = populates.threads(backend.host_address, backend.size)
    assert threading.get_native_id() not in threads
    assert set(threads.values()) == {str(CPUS[0])}


def test_without_context_threads_run_anywhere(populates: Populates, mode: str) -> None:
    with Machine.from_argv(["-M", "none", *_ram("m", extra=",prealloc-threads=2")]) as machine:
        backend = machine.backends[0]
        threads = populates.threads(backend.host_address, backend.size)
    assert set(threads.values()) == {threadctx.format_cpulist(CPUS)}


@two_cpus
def test_each_backend_on_its_own_context_in_parallel(
    populates: Populates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MACHINECTL_PREALLOC", "parallel")
    argv = [
        "-M", "none",
        "-object", f"thread-context,id=a,cpu-affinity={CPUS[0]}",
        "-object", f"thread-context,id=b,cpu-affinity={CPUS[1]}",
        *_ram("m0", extra=",prealloc-context=a"),
        *_ram("m1", extra=",prealloc-context=b"),
    ]  # fmt: skip
    reports: list[tuple[str, int, int]] = []
    with Machine.from_argv(argv, progress=lambda *report: reports.append(report)) as machine:
        m0, m1 = machine.backends
        first = populates.threads(m0.host_address, m0.size)
        second = populates.threads(m1.host_address, m1.size)
        for backend in machine.backends:
            resident = syscalls.mincore(backend.host_address, backend.size)
            assert all(byte & 1 for byte in resident)
    assert set(first.values()) == {str(CPUS[0])}
    assert set(second.values()) == {str(CPUS[1])}
    # One progress line for both backends, up to their total.
    assert {name for name, _, _ in reports} == {"m0,m1"}
    assert reports[-1][1:] == (256 * MiB, 256 * MiB)


def test_a_context_thread_ends_with_the_machine() -> None:
    machine = Machine.from_argv(["-M", "none", "-object", "thread-context,id=tc"])
    tid = machine.contexts[0].thread_id
    assert str(tid) in os.listdir("/proc/self/task")
    machine.close()
    assert machine.contexts[0].thread_id == -1
    # join() returns once the thread's code is done; the kernel's task ends just after.
    deadline = time.monotonic() + 5
    while str(tid) in os.listdir("/proc/self/task") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert str(tid) not in os.listdir("/proc/self/task")


def test_a_refused_machine_leaves_no_context_thread() -> None:
    before = set(os.listdir("/proc/self/task"))
    with pytest.raises(MachineError, match="Device 'nope' not found"):
        Machine.from_argv(
            [
                "-M",
                "none",
                "-object",
                "thread-context,id=tc",
                *_ram("m", extra=",prealloc-context=nope"),
            ]
        )
    deadline = time.monotonic() + 5
    while not set(os.listdir("/proc/self/task")) <= before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert set(os.listdir("/proc/self/task")) <= before


def test_node_cpus_from_sysfs(tmp_path: Path) -> None:
    for node, cpulist in ((0, "0-3,8\n"), (1, "4-7\n"), (2, "\n")):
        (tmp_path / f"node{node}").mkdir()
        (tmp_path / f"node{node}" / "cpulist").write_text(cpulist)
    assert threadctx.node_cpus([0], str(tmp_path)) == {0, 1, 2, 3, 8}
    assert threadctx.node_cpus([1, 2, 9], str(tmp_path)) == {4, 5, 6, 7}
    assert threadctx.node_cpus([2], str(tmp_path)) == set()
    assert threadctx.format_cpulist({0, 1, 2, 3, 8, 10, 11}) == "0-3,8,10-11"


@pytest.mark.parametrize("policy", ["bind", "preferred", "interleave"])
def test_bound_backends_preallocate_from_their_nodes(policy: str) -> None:
    option = ObjectOption(
        "memory-backend-ram",
        "m",
        (("size", "64M"), ("host-nodes", "0"), ("policy", policy)),
        "memory-backend-ram,id=m",
    )
    backend = HostMemoryBackend.from_option(option)
    here = threadctx.node_cpus([0]) & os.sched_getaffinity(0)
    local = threadctx.preallocation_cpus(backend, None, local=True)
    assert local == (frozenset(here) if policy != "interleave" and here else None)
    # QEMU 7.2's way: only a context pins.
    assert threadctx.preallocation_cpus(backend, None, local=False) is None


# -- several backends under one budget -------------------------------------------------------


def _job(name: str, size: int, threads: int) -> prealloc_pool.Job:
    addr = syscalls.mmap_anonymous(size, shared=False, noreserve=False)
    return prealloc_pool.Job(name, addr, size, syscalls.PAGE_SIZE, threads)


def test_the_pool_populates_every_backend_within_the_budget(populates: Populates) -> None:
    jobs = [_job("a", 96 * MiB, 1), _job("b", 64 * MiB, 4), _job("c", 4096, 2)]
    try:
        reports: list[tuple[int, int]] = []
        prealloc_pool.preallocate_all(
            jobs, lambda done, total: reports.append((done, total)), online_cpus=2
        )
        for job in jobs:
            assert all(byte & 1 for byte in syscalls.mincore(job.addr, job.size))
            assert job.done == job.total
        assert [job.limit for job in jobs] == [1, 1, 1]  # 64 MiB per thread, one page
        assert prealloc_pool.budget(jobs, 2) == 2
        assert reports[-1] == (96 * MiB + 64 * MiB + 4096,) * 2
        assert [done for done, _ in reports] == sorted(done for done, _ in reports)
        workers = {tid for _, _, tid, _ in populates.calls} - {threading.get_native_id()}
        assert 1 <= len(workers) <= 2
    finally:
        for job in jobs:
            syscalls.munmap(job.addr, job.size)


def test_the_pool_reports_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    fd = os.memfd_create("full", os.MFD_CLOEXEC)
    try:
        os.ftruncate(fd, 8 * MiB)
        # Mapped beyond the end of the file: populating the rest fails.
        addr = syscalls.mmap_fd(
            fd, 16 * MiB, shared=True, readonly=False, noreserve=False, align=syscalls.PAGE_SIZE
        )
        job = prealloc_pool.Job("m", addr, 16 * MiB, syscalls.PAGE_SIZE, 2, fd=fd)
        with pytest.raises(OSError):
            prealloc_pool.preallocate_all([job], online_cpus=2, chunk_size=MiB)
        syscalls.munmap(addr, 16 * MiB)
    finally:
        os.close(fd)


def test_qemu72_mode_preallocates_one_backend_after_the_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MACHINECTL_PREALLOC", "qemu-7.2")
    reports: list[str] = []
    argv = ["-M", "none", *_ram("m0", "64M"), *_ram("m1", "64M")]
    with Machine.from_argv(argv, progress=lambda name, done, total: reports.append(name)):
        pass
    assert reports[0] == "m0" and reports[-1] == "m1"
    assert reports.index("m1") > len(reports) - 1 - reports[::-1].index("m0")


def test_an_unknown_preallocation_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MACHINECTL_PREALLOC", "fast")
    with pytest.raises(MachineError, match="MACHINECTL_PREALLOC=fast: expected one of"):
        Machine.from_argv(["-M", "none"], allocate=False)


# -- memory locking ----------------------------------------------------------------------------


def test_the_budget_check_names_the_limit_and_the_need() -> None:
    with pytest.raises(MachineError) as info:
        memlock.check_limit("on", 1 << 30, 2, limit=64 * MiB, mapped=30 * MiB, privileged=False)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith("-overcommit mem-lock=on: locking needs ")
    assert "1024 MiB of guest RAM" in text and "RLIMIT_MEMLOCK is 64 MiB" in text
    memlock.check_limit("on", 1 << 30, 2, limit=64 * MiB, mapped=0, privileged=True)
    memlock.check_limit("on-fault", 16 * MiB, 0, limit=64 * MiB, mapped=30 * MiB, privileged=False)
    memlock.check_limit("off", 1 << 40, 16, limit=0, mapped=0, privileged=False)


_CHILD = """
import sys
from machinectl import Machine, syscalls
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
with Machine.create("none", objects=[{"qom-type": "memory-backend-ram", "id": "m",
                    "size": "16M"}], mem_lock=sys.argv[1]) as machine:
    backend = machine.backends[0]
    resident = sum(b & 1 for b in syscalls.mincore(backend.host_address, backend.size))
    print(status("VmLck:"), resident * syscalls.PAGE_SIZE)
print(status("VmLck:"))
"""


@pytest.mark.skipif(not memlock.has_ipc_lock(), reason="locking 16 MiB needs CAP_IPC_LOCK")
@pytest.mark.parametrize("mode", ["on", "on-fault"])
def test_mem_lock_locks_and_close_unlocks(mode: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, check=True
    )
    (locked, resident), (after,) = (map(int, line.split()) for line in proc.stdout.splitlines())
    assert locked >= 16 * MiB
    # on: the locked mapping is populated at once; on-fault: pages get locked as touched.
    assert resident == (16 * MiB if mode == "on" else 0)
    assert after == 0


def _as_nobody(memlock_limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``args`` as user nobody (no CAP_IPC_LOCK) under a lower RLIMIT_MEMLOCK."""
    setpriv, prlimit = shutil.which("setpriv"), shutil.which("prlimit")
    if os.geteuid() != 0 or setpriv is None or prlimit is None:
        pytest.skip("switching to an unprivileged user needs root, setpriv and prlimit")
    _, hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    if hard != resource.RLIM_INFINITY:
        memlock_limit = min(memlock_limit, hard)
    nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run(
        [*nobody, sys.executable, "-c", "import machinectl"],
        capture_output=True,
        check=False,
        timeout=60,
    )
    if probe.returncode != 0:
        # An interpreter under a home only root may enter (pyenv in /root) cannot run as nobody.
        pytest.skip("user nobody cannot run this interpreter or read the project")
    return subprocess.run(
        [prlimit, f"--memlock={memlock_limit}", *nobody, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_memlock_budget_is_checked_before_any_allocation() -> None:
    machinectl = str(Path(sys.executable).with_name("machinectl"))
    size = 2 * (memlock.mapped_now() + 64 * MiB)  # well past any limit that cannot be raised
    proc = _as_nobody(
        64 * MiB, machinectl, "run", "-M", "none",
        "-object", f"memory-backend-ram,id=m,size={size},prealloc=on",
        "-overcommit", "mem-lock=on",
    )  # fmt: skip
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("machinectl: -overcommit mem-lock=on: locking needs ")
    assert "RLIMIT_MEMLOCK is " in lines[0]


def test_a_failing_mlockall_is_reported_as_qemu_reports_it() -> None:
    code = (
        "from machinectl import memlock, MachineError\n"
        "try:\n    memlock.lock('on')\n"
        "except MachineError as e:\n    print(e.message, '|', e.hint)\n"
    )
    proc = _as_nobody(4096, sys.executable, "-c", code)
    assert proc.stdout.strip() == "locking memory failed | mlockall: Cannot allocate memory"
