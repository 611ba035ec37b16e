"""Shared guest RAM: another process maps a ``share=on`` backend through its sharing hint.

The other process is a real one: it opens the path the backend gives, maps it, checks what
this process wrote and writes an answer that this process then reads through its own view.
"""

from __future__ import annotations

import mmap
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from machinectl import Machine, MachineError, Registry, create_registry

MiB = 1 << 20
CLI = [sys.executable, "-m", "machinectl.cli"]
#: Run by the other process: map PATH, expect ASK at offset 0, write ANSWER at offset 1 MiB.
PEER = """
import mmap, os, sys
path, size = sys.argv[1], int(sys.argv[2])
ask, answer = bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
fd = os.open(path, os.O_RDWR)
with mmap.mmap(fd, size, mmap.MAP_SHARED) as memory:
    if memory[: len(ask)] != ask:
        sys.exit(f"read {memory[: len(ask)]!r}, expected {ask!r}")
    memory[1 << 20 : (1 << 20) + len(answer)] = answer
    memory.flush()
os.close(fd)
"""


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry(load_entrypoints=False)


def peer(path: str, size: int, ask: bytes, answer: bytes) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PEER, path, str(size), ask.hex(), answer.hex()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def shared_machine(
    registry: Registry, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Machine]:
    spec = str(request.param).format(dir=tmp_path)
    with Machine.from_argv(["-M", "none", "-object", spec], registry=registry) as machine:
        yield machine


SHARED = [
    "memory-backend-memfd,id=m,size=4M",
    "memory-backend-memfd,id=m,size=4M,seal=off,prealloc=on",
    "memory-backend-file,id=m,size=4M,mem-path={dir}/guest.ram,share=on",
    "memory-backend-file,id=m,size=4M,mem-path={dir},share=on",
]


@pytest.mark.parametrize("shared_machine", SHARED, indirect=True)
def test_another_process_shares_the_memory_both_ways(shared_machine: Machine) -> None:
    ((backend_id, path),) = shared_machine.sharing_hints()
    (backend,) = shared_machine.backends
    assert backend_id == "m"
    view = backend.view()
    view[:5] = b"hello"
    proc = peer(path, 4 * MiB, b"hello", b"world")
    assert proc.returncode == 0, proc.stderr
    assert view[MiB : MiB + 5] == b"world"
    del view


@pytest.mark.parametrize(
    ("spec", "hint"),
    [
        ("memory-backend-memfd,id=m,size=4M", "/proc/{pid}/fd/"),
        ("memory-backend-file,id=m,size=4M,mem-path={dir},share=on", "/proc/{pid}/fd/"),
        ("memory-backend-file,id=m,size=4M,mem-path={dir}/f,share=on", "{dir}/f"),
    ],
)
def test_sharing_hint_names_the_memory(
    registry: Registry, tmp_path: Path, spec: str, hint: str
) -> None:
    argv = ["-M", "none", "-object", spec.format(dir=tmp_path)]
    with Machine.from_argv(argv, registry=registry) as machine:
        ((_, path),) = machine.sharing_hints()
        assert path.startswith(hint.format(pid=os.getpid(), dir=tmp_path))
        assert os.stat(path).st_size == 4 * MiB
        assert os.path.samestat(os.stat(path), os.fstat(machine.backends[0]._memory.fd))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "spec",
    [
        "memory-backend-ram,id=m,size=4M,share=on",
        "memory-backend-ram,id=m,size=4M",
        "memory-backend-memfd,id=m,size=4M,share=off",
        "memory-backend-file,id=m,size=4M,mem-path={dir}",
        "memory-backend-file,id=m,size=4M,mem-path={dir}/f",
    ],
)
def test_no_hint_for_memory_no_one_else_can_share(
    registry: Registry, tmp_path: Path, spec: str
) -> None:
    argv = ["-M", "none", "-object", spec.format(dir=tmp_path)]
    with Machine.from_argv(argv, registry=registry) as machine:
        assert list(machine.sharing_hints()) == []


def test_private_file_memory_is_not_shared(registry: Registry, tmp_path: Path) -> None:
    """share=off: the file is there, but neither side sees what the other writes."""
    path = tmp_path / "f"
    argv = ["-M", "none", "-object", f"memory-backend-file,id=m,size=4M,mem-path={path}"]
    with Machine.from_argv(argv, registry=registry) as machine:
        view = machine.backends[0].view()
        view[:5] = b"hello"
        view[MiB : MiB + 5] = b"mine!"
        proc = peer(str(path), 4 * MiB, b"hello", b"world")
        assert proc.returncode != 0 and "expected b'hello'" in proc.stderr
        proc = peer(str(path), 4 * MiB, b"\0" * 5, b"world")
        assert proc.returncode == 0, proc.stderr
        assert view[MiB : MiB + 5] == b"mine!"
        del view
    assert path.read_bytes()[MiB : MiB + 5] == b"world"


def test_hint_is_gone_with_the_memory(registry: Registry) -> None:
    argv = ["-M", "none", "-object", "memory-backend-memfd,id=m,size=4M"]
    machine = Machine.from_argv(argv, registry=registry)
    ((_, path),) = machine.sharing_hints()
    machine.close()
    assert list(machine.sharing_hints()) == []
    assert not os.path.exists(path) or "memfd:m" not in os.readlink(path)
    with pytest.raises(MachineError, match="is not allocated"):
        machine.backends[0].view()


@pytest.mark.parametrize(
    ("spec", "hint"),
    [
        ("memory-backend-memfd,id=shared,size=4M", "/proc/{pid}/fd/"),
        ("memory-backend-file,id=shared,size=4M,mem-path={dir},share=on", "/proc/{pid}/fd/"),
        ("memory-backend-file,id=shared,size=4M,mem-path={dir}/ram,share=on", "{dir}/ram"),
    ],
)
def test_run_hold_prints_how_to_reach_the_memory(tmp_path: Path, spec: str, hint: str) -> None:
    proc = subprocess.Popen(
        [*CLI, "run", "-M", "none", "-object", spec.format(dir=tmp_path), "--hold"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().startswith(f"holding none (pid {proc.pid})")
        line = proc.stderr.readline()
        expected = hint.format(pid=proc.pid, dir=tmp_path)
        assert line.startswith(f"  shared: {expected}"), line
        path = line.split(": ", 1)[1].strip()
        fd = os.open(path, os.O_RDWR)
        try:
            with mmap.mmap(fd, 4 * MiB, mmap.MAP_SHARED) as memory:
                assert memory[:16] == b"\0" * 16
                memory[:5] = b"hello"
        finally:
            os.close(fd)
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
