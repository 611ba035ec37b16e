"""Guest-RAM snapshots: restore is byte-exact on every backend kind, whatever wrote the memory.

Every test compares the whole of guest RAM with the bytes it held when the snapshot was
taken. Writes come from the host through views, from the kernel (``readv`` into a view),
from ``memset`` through ctypes, and from guest code that Unicorn runs on the machine's RAM
through its own zero-copy mapping. Each backend kind runs with the tracking this kernel
offers and with the full-compare fallback (``method="copy"``).
"""

from __future__ import annotations

import ctypes
import gc
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from machinectl import Machine, MachineError, Snapshot, syscalls
from machinectl import snapshot as snapshot_mod
from unicorn.unicorn_const import UC_ARCH_X86, UC_MODE_32, UC_PROT_ALL
from unicorn.unicorn_py3 import Uc

MiB = 1 << 20
SIZE = 16 * MiB
PAGE = 4096


def _tracking_available() -> str:
    """Why this kernel cannot track writes with userfaultfd, or "" when it can."""
    try:
        fd = syscalls.userfaultfd()
    except OSError as exc:
        return f"no userfaultfd: {os.strerror(exc.errno or 0)}"
    try:
        syscalls.uffd_api(fd, syscalls.UFFD_FEATURE_WP_ASYNC)
        syscalls.PageScanner().scan(0, 0, categories=syscalls.PAGE_IS_WRITTEN)
    except OSError as exc:
        return f"no asynchronous write-protection or PAGEMAP_SCAN: {os.strerror(exc.errno or 0)}"
    finally:
        os.close(fd)
    return ""


NO_TRACKING = _tracking_available()


def _free_huge_pages() -> int:
    with open("/proc/meminfo", encoding="ascii") as lines:
        for line in lines:
            if line.startswith("HugePages_Free:"):
                return int(line.split()[1])
    return 0


def _backend(kind: str, tmp: Path) -> dict[str, Any]:
    spec: dict[str, Any] = {"id": "m0", "size": SIZE}
    if kind.startswith("ram"):
        spec |= {"qom-type": "memory-backend-ram", "share": kind.endswith("shared")}
    elif kind.startswith("memfd"):
        spec |= {"qom-type": "memory-backend-memfd", "share": not kind.endswith("private")}
    elif kind.startswith("file"):
        spec |= {
            "qom-type": "memory-backend-file",
            "mem-path": str(tmp),
            "share": kind.endswith("shared"),
        }
    elif kind == "hugetlb":
        spec |= {"qom-type": "memory-backend-memfd", "hugetlb": True}
    return spec


KINDS = [
    "ram",
    "ram-shared",
    "memfd",
    "memfd-private",
    "file-shared",
    "file-private",
    "hugetlb",
]
METHODS = [None, "copy"]


@pytest.fixture(scope="module", params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "hugetlb":
        huge = syscalls.default_hugepage_size()
        if huge is None or _free_huge_pages() * huge < SIZE:
            pytest.skip(f"fewer than {SIZE // MiB} MiB of free huge pages on this host")
    return name


@pytest.fixture(scope="module")
def machine(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Machine]:
    tmp = tmp_path_factory.mktemp(kind)
    spec = _backend(kind, tmp)
    objects = [spec, {"qom-type": "memory-backend-ram", "id": "extra", "size": 2 * MiB}]
    with Machine.create("none", SIZE, objects=objects, memory_backend="m0") as built:
        yield built


def views(machine: Machine) -> dict[str, memoryview]:
    return {b.id: b.view() for b in machine.backends}


def contents(machine: Machine) -> dict[str, bytes]:
    result = {}
    for ident, view in views(machine).items():
        result[ident] = bytes(view)
        view.release()
    return result


#: (backend, offset, data) writes; offsets cover the start, the end and page boundaries.
writes = st.lists(
    st.tuples(
        st.sampled_from(["m0", "m0", "m0", "extra"]),
        st.one_of(
            st.integers(0, SIZE - 1),
            st.integers(0, SIZE // PAGE - 1).map(lambda page: page * PAGE - 3),
        ),
        st.binary(min_size=1, max_size=3 * PAGE),
    ),
    max_size=24,
)


def apply(machine: Machine, changes: list[tuple[str, int, bytes]]) -> None:
    """Write through views, and every third write through memset or the kernel (readv)."""
    all_views = views(machine)
    try:
        for number, (ident, wanted, written) in enumerate(changes):
            view = all_views[ident]
            offset = max(0, min(wanted, len(view) - len(written)))
            data = written[: len(view) - offset]
            how = number % 3
            if how == 0:
                view[offset : offset + len(data)] = data
            elif how == 1:
                backend = next(b for b in machine.backends if b.id == ident)
                ctypes.memset(backend.host_address + offset, data[0], len(data))
            else:
                read_fd, write_fd = os.pipe()
                try:
                    os.write(write_fd, data[:PAGE])
                    os.readv(read_fd, [view[offset : offset + min(len(data), PAGE)]])
                finally:
                    os.close(read_fd)
                    os.close(write_fd)
    finally:
        for view in all_views.values():
            view.release()


SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("method", METHODS)
@given(before=writes, after=st.lists(writes, min_size=1, max_size=4))
@SETTINGS
def test_restore_is_byte_exact_after_random_writes(
    machine: Machine,
    method: str | None,
    before: list[tuple[str, int, bytes]],
    after: list[list[tuple[str, int, bytes]]],
) -> None:
    apply(machine, before)
    expected = contents(machine)
    with machine.snapshot(method=method) as snapshot:
        if method == "copy" or NO_TRACKING:
            assert set(snapshot.methods.values()) == {"copy"}
        else:
            assert snapshot.method == "uffd-wp", snapshot.reasons
        for changes in after:  # repeated cycles: write, restore, write again
            apply(machine, changes)
            machine.restore(snapshot)
            assert contents(machine) == expected


@given(rounds=st.lists(st.tuples(writes, st.booleans(), st.integers(0, 3)), max_size=6))
@SETTINGS
def test_interleaved_snapshots_and_restores(
    machine: Machine, rounds: list[tuple[list[tuple[str, int, bytes]], bool, int]]
) -> None:
    """Take snapshots between writes, restore any of them in any order."""
    taken: list[tuple[Snapshot, dict[str, bytes]]] = []
    try:
        for changes, take, which in rounds:
            apply(machine, changes)
            if take or not taken:
                taken.append((machine.snapshot(), contents(machine)))
            else:
                snapshot, expected = taken[which % len(taken)]
                machine.restore(snapshot)
                assert contents(machine) == expected
    finally:
        for snapshot, _ in taken:
            snapshot.close()


def test_methods_and_reasons_are_reported(machine: Machine) -> None:
    with machine.snapshot() as snapshot:
        assert set(snapshot.methods) == {"m0", "extra"}
        if NO_TRACKING:
            assert snapshot.method == "copy"
            assert set(snapshot.reasons) == {"m0", "extra"}
        else:
            assert snapshot.method == "uffd-wp"
            assert snapshot.reasons == {}
    with machine.snapshot(method="copy") as snapshot:
        assert snapshot.method == "copy" and snapshot.reasons == {}
    if NO_TRACKING:
        with pytest.raises(MachineError, match="cannot track writes to backend 'm0'"):
            machine.snapshot(method="uffd-wp")
    else:
        with machine.snapshot(method="uffd-wp") as snapshot:
            assert snapshot.method == "uffd-wp"
    with pytest.raises(MachineError, match="snapshot method 'soft' is not one of uffd-wp, copy"):
        machine.snapshot(method="soft")


@pytest.mark.skipif(bool(NO_TRACKING), reason=NO_TRACKING or "tracking available")
def test_restore_copies_only_what_was_written(machine: Machine, kind: str) -> None:
    """The restore finds exactly the pages written (at the backend's page granularity)."""
    page_size = next(b for b in machine.backends if b.id == "m0").mapping.page_size
    with machine.snapshot() as snapshot:
        tracker = machine._tracker
        assert tracker is not None
        region = tracker.regions["m0"]
        assert tracker.written(region) == []
        apply(machine, [("m0", 5 * page_size + 7, b"x"), ("m0", SIZE - 1, b"y")])
        found = [(s - region.addr, e - region.addr) for s, e in tracker.written(region)]
        exact = [(5 * page_size, 6 * page_size), (SIZE - page_size, SIZE)]
        if kind == "file-shared":
            # A file's page cache folios may be mapped whole (2 MiB) and show at that size.
            block = max(page_size, 2 * MiB)
            assert found in (exact, [(0, block), (SIZE - block, SIZE)])
        else:
            assert found == exact
        machine.restore(snapshot)
        assert tracker.written(region) == []


SHARED_KINDS = {"ram-shared", "memfd", "file-shared", "hugetlb"}


def restore_and_check_protection(machine: Machine, snapshot: Snapshot, region_id: str) -> None:
    """Restore; then every page of the region is protected again, except, where the restore
    deferred the protection (private memory written in the same places as the round
    before), the pages it copied back, and only those."""
    tracker = machine._tracker
    assert tracker is not None
    region = tracker.regions[region_id]
    before = tracker.written(region)
    machine.restore(snapshot)
    left = tracker.written(region)
    if region.deferred == 0:
        assert left == []
    else:
        assert region.alias is None
        assert left == before


@pytest.mark.skipif(bool(NO_TRACKING), reason=NO_TRACKING or "tracking available")
def test_shared_memory_is_restored_through_a_second_mapping(machine: Machine, kind: str) -> None:
    """Shared backends get an alias mapping: one walk finds and re-protects the written
    pages, and the copy through the alias leaves them protected. Another mapping of the same
    memory (what another process sees) holds the restored bytes."""
    backend = next(b for b in machine.backends if b.id == "m0")
    page_size = backend.mapping.page_size
    with machine.snapshot() as snapshot:
        tracker = machine._tracker
        assert tracker is not None
        region = tracker.regions["m0"]
        assert (region.alias is not None) == (kind in SHARED_KINDS)
        assert tracker.regions["extra"].alias is None  # private anonymous memory
        expected = contents(machine)
        for _ in range(3):
            apply(machine, [("m0", 3 * page_size + 1, b"abc"), ("m0", SIZE - 2, b"zz")])
            restore_and_check_protection(machine, snapshot, "m0")
            assert contents(machine) == expected
        if backend.memory_fd is not None and backend.share:
            other = os.open(f"/proc/self/fd/{backend.memory_fd}", os.O_RDONLY)
            try:
                assert (
                    os.pread(other, 16, 3 * page_size)
                    == expected["m0"][3 * page_size : 3 * page_size + 16]
                )
            finally:
                os.close(other)


@pytest.mark.skipif(bool(NO_TRACKING), reason=NO_TRACKING or "tracking available")
def test_private_memory_defers_protection_while_the_same_pages_are_written() -> None:
    """Private memory: the protection a restore lifts by copying back is renewed only when
    the guest wrote new pages, or after DEFERRED_RESTORES restores in a row; the contents are
    the snapshot's after every restore whatever the pattern."""
    limit = snapshot_mod.DEFERRED_RESTORES
    with Machine.from_argv(["-M", "none", "-m", "16M"]) as machine:
        page = syscalls.PAGE_SIZE
        (ident,) = views(machine)
        apply(machine, [(ident, 0, b"\x11" * SIZE)])
        with machine.snapshot() as snapshot:
            tracker = machine._tracker
            assert tracker is not None
            region = tracker.regions[ident]
            expected = contents(machine)

            def round_(pages: list[int]) -> list[tuple[int, int]]:
                apply(machine, [(region.id, p * page + 9, b"\xee") for p in pages])
                machine.restore(snapshot)
                assert contents(machine) == expected
                return [(s - region.addr, e - region.addr) for s, e in tracker.written(region)]

            assert round_([3, 700]) == []  # new pages: protected again
            same = [(3 * page, 4 * page), (700 * page, 701 * page)]
            for count in range(1, limit + 1):
                assert round_([3, 700]) == same  # the same pages: left as the copy left them
                assert region.deferred == count
            assert round_([3, 700]) == []  # after DEFERRED_RESTORES in a row: protected
            assert round_([700]) == [(700 * page, 701 * page)]  # fewer pages: deferred
            assert round_([700]) == [(700 * page, 701 * page)]
            assert round_([5]) == []  # a new page besides the one left: the set moved
            assert round_([5]) == [(5 * page, 6 * page)]
            assert round_([5, 6, 7]) == []  # more pages than the last restore copied
            machine.restore(snapshot)  # nothing written since: protected everywhere
            assert tracker.written(region) == []
            assert contents(machine) == expected


@pytest.mark.skipif(bool(NO_TRACKING), reason=NO_TRACKING or "tracking available")
def test_many_written_ranges_span_several_scans(machine: Machine) -> None:
    """More written ranges than the scanner's buffer holds: the walk resumes where the
    kernel stopped, and what it protected is exactly what it reported."""
    backend = next(b for b in machine.backends if b.id == "m0")
    page_size = backend.mapping.page_size
    with machine.snapshot() as snapshot:
        tracker = machine._tracker
        assert tracker is not None and tracker.scanner is not None
        small = syscalls.PageScanner(capacity=3)
        tracker.scanner, default = small, tracker.scanner
        try:
            expected = contents(machine)
            step = 2 * page_size
            changes = [("m0", offset, b"\xa5") for offset in range(0, SIZE, step)][:40]
            for _ in range(2):
                apply(machine, changes)
                restore_and_check_protection(machine, snapshot, "m0")
                assert contents(machine) == expected
        finally:
            tracker.scanner = default
            small.close()


@pytest.mark.skipif(bool(NO_TRACKING), reason=NO_TRACKING or "tracking available")
def test_shared_memory_without_a_second_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the kernel refuses the alias, a shared backend is restored with two walks."""

    def refuse(addr: int, size: int) -> int:
        raise OSError(12, os.strerror(12))

    monkeypatch.setattr(syscalls, "mremap_alias", refuse)
    objects = [{"qom-type": "memory-backend-ram", "id": "m0", "size": SIZE, "share": True}]
    machine = Machine.create("none", SIZE, objects=objects, memory_backend="m0")
    with machine, machine.snapshot() as snapshot:
        tracker = machine._tracker
        assert tracker is not None and tracker.regions["m0"].alias is None
        assert snapshot.method == "uffd-wp"
        expected = contents(machine)
        for _ in range(2):
            apply(machine, [("m0", 5, b"q" * 9000), ("m0", SIZE - 9, b"r")])
            restore_and_check_protection(machine, snapshot, "m0")
            assert contents(machine) == expected


# -- emulator writes ------------------------------------------------------------------------


def test_restore_after_unicorn_wrote_through_its_own_mapping() -> None:
    """Guest stores made by Unicorn on its mem_map_ptr mapping are found and undone."""
    with Machine.from_argv(["-M", "none", "-m", "16M"]) as machine:
        ranges = machine.ram_ranges()
        assert machine.ram is not None and ranges[0].guest_address == 0
        targets = [0x3000, 0x20_0000 + 12, SIZE - 4]
        code = b"".join(
            b"\xc7\x05" + struct.pack("<II", address, 0xDEAD_BEEF) for address in targets
        )  # mov dword [address], 0xdeadbeef, for each target
        view = machine.ram.view
        view[0x1000 : 0x1000 + len(code)] = code
        view[0x3000:0x3004] = b"keep"
        expected = bytes(view)
        uc = Uc(UC_ARCH_X86, UC_MODE_32)
        uc.mem_map_ptr(0, SIZE, UC_PROT_ALL, machine.ram.host_address)
        try:
            with machine.snapshot() as snapshot:
                for _ in range(3):
                    uc.emu_start(0x1000, 0x1000 + len(code))
                    assert view[0x3000:0x3004] == struct.pack("<I", 0xDEAD_BEEF)
                    assert ranges[0].host_address == machine.ram.host_address
                    machine.restore(snapshot)
                    assert bytes(view) == expected
                    # The emulator's mapping still points at the restored memory.
                    assert bytes(uc.mem_read(0x3000, 4)) == b"keep"
        finally:
            uc.mem_unmap(0, SIZE)
            view.release()


# -- files ------------------------------------------------------------------------------------


def small_machine(size: str = "16M", **kwargs: Any) -> Machine:
    return Machine.create("none", size, **kwargs)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "guest.snap"
    with small_machine() as machine:
        assert machine.ram is not None
        view = machine.ram.view
        view[PAGE : PAGE + 5] = b"hello"
        view[SIZE - 1] = 7
        expected = bytes(view)
        with machine.snapshot() as snapshot:
            size = snapshot.save(path)
        # Two non-zero pages and a header: zero pages are not stored.
        assert size == path.stat().st_size < 3 * PAGE
        assert path.stat().st_mode & 0o777 == 0o600
        assert [p.name for p in tmp_path.iterdir()] == ["guest.snap"]
        view[0:SIZE] = b"\xff" * SIZE
        with Snapshot.load(path) as loaded:
            assert loaded.method == ""
            machine.restore(loaded)
            assert bytes(view) == expected
            assert loaded.method in ("uffd-wp", "copy")
            view[100] = 1
            machine.restore(loaded)
            assert bytes(view) == expected
        view.release()
    # Into another machine of the same layout.
    with small_machine() as other, Snapshot.load(path) as loaded:
        other.restore(loaded)
        assert other.ram is not None
        assert other.ram.view[PAGE : PAGE + 5] == b"hello"


def test_save_replaces_a_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "guest.snap"
    path.write_bytes(b"old")
    with small_machine() as machine, machine.snapshot() as snapshot:
        snapshot.save(path)
        assert Snapshot.load(path).layout == snapshot.layout
        with pytest.raises(MachineError, match=r"cannot save snapshot to .*: No such file"):
            snapshot.save(tmp_path / "missing" / "guest.snap")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["guest.snap"]


def test_layout_mismatch_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "guest.snap"
    with small_machine() as machine, machine.snapshot() as snapshot:
        snapshot.save(path)
    cases = [
        (
            small_machine("32M"),
            "snapshot holds backend 'ram' (16 MiB), machine 'none' has 'ram' (32 MiB)",
        ),
        (
            small_machine(objects=[{"qom-type": "memory-backend-ram", "id": "x", "size": "1M"}]),
            "machine 'none' has backend 'x' (1 MiB), which the snapshot does not hold",
        ),
        (
            small_machine(
                objects=[{"qom-type": "memory-backend-memfd", "id": "m", "size": "16M"}],
                memory_backend="m",
            ),
            "snapshot holds backend 'ram' (16 MiB), which machine 'none' does not have",
        ),
    ]
    for other, message in cases:
        with other, Snapshot.load(path) as loaded:
            with pytest.raises(MachineError) as error:
                other.restore(loaded)
            assert str(error.value) == message
            assert "\n" not in str(error.value)


def _valid_file(tmp_path: Path) -> bytes:
    path = tmp_path / "valid.snap"
    with small_machine("2M") as machine:
        assert machine.ram is not None
        view = machine.ram.view
        view[0:3] = b"abc"
        view[PAGE * 9 : PAGE * 9 + 2] = b"zz"
        view.release()
        with machine.snapshot() as snapshot:
            snapshot.save(path)
    return path.read_bytes()


def _header(layout: object) -> bytes:
    import json
    import zlib

    body = json.dumps(layout).encode()
    return struct.pack("<8sII", snapshot_mod.MAGIC, len(body), zlib.crc32(body)) + body


def test_corrupt_files_are_refused(tmp_path: Path) -> None:
    data = _valid_file(tmp_path)
    path = tmp_path / "bad.snap"
    before = len(os.listdir("/proc/self/fd"))
    bad: list[bytes] = [data[:cut] for cut in range(0, len(data), 97)] + [data[:-1]]
    for where in (0, 9, 20, len(data) // 2, len(data) - 20, len(data) - 1):
        flipped = bytearray(data)
        flipped[where] ^= 0x40
        bad.append(bytes(flipped))
    bad += [data + b"x", b"MCTLSNP\x01" + b"\xff" * 8, b"\x00" * 100]
    huge = {"board": "none", "family": "", "page-size": PAGE}
    bad.append(_header(huge | {"backends": [{"id": "ram", "size": 1 << 60, "page-size": PAGE}]}))
    bad.append(_header(huge | {"backends": [{"id": "ram", "size": 8192, "page-size": 3}]}))
    many = [{"id": f"b{i}", "size": 1 << 45, "page-size": PAGE} for i in range(8)]
    bad.append(_header(huge | {"backends": many}))
    bad.append(_header(huge | {"backends": [{"id": "r", "size": 1, "page-size": 1 << 40}]}))
    bad.append(_header(huge | {"backends": "x"}))
    bad.append(_header([1, 2]))
    bad.append(_header(huge | {"backends": [{"id": "a", "size": 8192, "page-size": PAGE}] * 2}))
    # A run beyond the backend, and one that overlaps the previous one.
    one = _header(huge | {"backends": [{"id": "ram", "size": 8192, "page-size": PAGE}]})
    bad.append(one + struct.pack("<QII", 2, 1, 0) + bytes(PAGE))
    bad.append(one + struct.pack("<QII", 0, 1 << 31, 0))
    for content in bad:
        path.write_bytes(content)
        with pytest.raises(MachineError) as error:
            Snapshot.load(path)
        assert str(error.value).startswith(f"{path} is not a valid machinectl snapshot: ") or (
            "cannot allocate" in str(error.value)
        ), str(error.value)
    with pytest.raises(MachineError, match=r"cannot read snapshot .*: No such file"):
        Snapshot.load(tmp_path / "absent.snap")
    with pytest.raises(MachineError, match=r"cannot read snapshot .*: Is a directory"):
        Snapshot.load(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # nobody writes to it: opening it for reading must not wait
    with pytest.raises(MachineError, match=r"cannot read snapshot .*fifo: not a regular file"):
        Snapshot.load(fifo)
    with pytest.raises(MachineError, match="cannot read snapshot /dev/zero: not a regular file"):
        Snapshot.load("/dev/zero")
    assert len(os.listdir("/proc/self/fd")) == before


# -- misuse and leaks -----------------------------------------------------------------------


def test_refused_uses() -> None:
    with (
        small_machine(allocate=False) as machine,
        pytest.raises(MachineError, match="has no allocated guest RAM"),
    ):
        machine.snapshot()
    with small_machine() as machine:
        snapshot = machine.snapshot()
        snapshot.close()
        with pytest.raises(MachineError, match="the snapshot is closed"):
            machine.restore(snapshot)
        other = machine.snapshot()
    with pytest.raises(MachineError, match="has no allocated guest RAM"):
        machine.restore(other)
    other.close()


def test_readonly_backends_are_left_out(tmp_path: Path) -> None:
    image = tmp_path / "rom.img"
    image.write_bytes(b"\x01" * MiB)
    objects = [
        {"qom-type": "memory-backend-file", "id": "rom", "size": "1M", "mem-path": str(image)}
        | {"readonly": True}
    ]
    with small_machine(objects=objects) as machine, machine.snapshot() as snapshot:
        assert [b.id for b in snapshot.layout.backends] == ["ram"]


def test_discarded_anonymous_pages_are_restored() -> None:
    """Anonymous memory dropped with MADV_DONTNEED reads as zeros; restore brings it back."""
    with small_machine() as machine:
        assert machine.ram is not None
        view = machine.ram.view
        view[0:SIZE] = b"\x5a" * SIZE
        expected = bytes(view)
        with machine.snapshot() as snapshot:
            syscalls.madvise(machine.ram.host_address + 3 * PAGE, PAGE, 4)  # MADV_DONTNEED
            assert view[3 * PAGE] == 0
            machine.restore(snapshot)
            assert bytes(view) == expected
        view.release()


def _resources() -> tuple[int, int]:
    gc.collect()
    with open("/proc/self/maps", encoding="ascii") as maps:
        mappings = len(maps.readlines())
    return len(os.listdir("/proc/self/fd")), mappings


def test_nothing_leaks(tmp_path: Path) -> None:
    shared = [  # restored through a second mapping, which must go with the tracker
        {"qom-type": "memory-backend-memfd", "id": "m0", "size": 16 * MiB},
        {"qom-type": "memory-backend-ram", "id": "m1", "size": 16 * MiB, "share": True},
    ]

    def cycle() -> None:
        for options in ({}, {"objects": shared, "memory_backend": "m0"}):
            with small_machine(**options) as machine:
                for method in (None, "copy", None):
                    with machine.snapshot(method=method) as snapshot:
                        assert machine.ram is not None
                        machine.ram.view[0] = 1
                        machine.restore(snapshot)
                        snapshot.save(tmp_path / "s.snap")
                    with Snapshot.load(tmp_path / "s.snap") as loaded:
                        machine.restore(loaded)
                forgotten = machine.snapshot()  # released by the collector
                del forgotten

    cycle()
    before = _resources()
    for _ in range(3):
        cycle()
    assert _resources() == before


def test_the_fuzzing_example_runs() -> None:
    import subprocess
    import sys

    example = Path(__file__).resolve().parent.parent / "examples" / "fuzz_unicorn.py"
    proc = subprocess.run(
        [sys.executable, str(example), "--iterations", "300", "--", "-M", "none", "-m", "16M"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "restores/s" in proc.stdout
    assert "RAM identical to the snapshot after the last restore: True" in proc.stdout


def test_data_ranges_of_a_sparse_memfd() -> None:
    fd = os.memfd_create("sparse")
    try:
        os.ftruncate(fd, 8 * MiB)
        os.pwrite(fd, b"x", 3 * MiB + 5)
        os.pwrite(fd, b"y", 8 * MiB - 1)
        ranges = syscalls.data_ranges(fd, 8 * MiB)
        assert [start // PAGE for start, _ in ranges] == [(3 * MiB) // PAGE, 8 * MiB // PAGE - 1]
        assert all(end - start == PAGE for start, end in ranges)
        assert syscalls.data_ranges(fd, 3 * MiB) == []
    finally:
        os.close(fd)


# -- misuse and host edge cases -------------------------------------------------------------------


def test_save_refuses_what_is_not_a_regular_file_and_follows_links(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    target = tmp_path / "target"
    target.write_bytes(b"old")
    link = tmp_path / "link"
    link.symlink_to(target)
    with Machine.from_argv(["-M", "none", "-m", "4M"]) as machine, machine.snapshot() as snap:
        for path in (fifo, tmp_path, Path("/dev/null")):
            with pytest.raises(MachineError, match="not a regular file"):
                snap.save(path)
        with pytest.raises(MachineError, match="embedded null byte"):
            snap.save(str(tmp_path / "a\0b"))
        snap.save(bytes(link))
    assert fifo.is_fifo() and Path("/dev/null").is_char_device()
    assert link.is_symlink() and target.read_bytes().startswith(snapshot_mod.MAGIC)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "link", "target"]
    with Snapshot.load(bytes(target)) as loaded:
        assert loaded.layout.board == "none"
    with pytest.raises(MachineError, match="embedded null byte"):
        Snapshot.load(str(tmp_path / "a\0b"))


def test_restore_takes_only_snapshots() -> None:
    message = "'snapshot' must be a Snapshot, not NoneType"
    with (
        Machine.from_argv(["-M", "none", "-m", "4M"]) as machine,
        pytest.raises(TypeError, match=message),
    ):
        machine.restore(None)  # type: ignore[arg-type]


CLOSE_DURING_RESTORE = """
import sys, threading, time
from machinectl import Machine, MachineError
what, method = sys.argv[1], (None if sys.argv[2] == "default" else sys.argv[2])
machine = Machine.from_argv(["-M", "none", "-m", "64M"])
machine.ram.view[:] = bytes(range(256)) * (256 << 10)
snap = machine.snapshot(method=method)
outcome = []
def restorer():
    try:
        for i in range(100000):
            machine.ram.view[i % 4096 * 4096] = 1
            machine.restore(snap)
        outcome.append("finished")
    except MachineError as exc:
        outcome.append(str(exc))
thread = threading.Thread(target=restorer)
thread.start()
time.sleep(0.2)
(snap if what == "snapshot" else machine).close()
thread.join()
print(outcome[0])
"""


@pytest.mark.parametrize("what", ["snapshot", "machine"])
@pytest.mark.parametrize("method", ["default", "copy"])
def test_closing_during_a_restore_in_another_thread(what: str, method: str) -> None:
    # close() waits for the restore under way; the next restore is refused in one line.
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", CLOSE_DURING_RESTORE, what, method],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "MACHINECTL_CACHE_DIR": "off"},
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() in (
        "the snapshot is closed",
        "machine 'none' has no allocated guest RAM to snapshot or restore",
    )


def test_a_machine_dropped_without_close_gives_everything_back() -> None:
    def descriptors() -> int:
        return len(os.listdir("/proc/self/fd"))

    before = descriptors()
    for _ in range(5):
        memfd = ["-object", "memory-backend-memfd,id=m,size=64M", "-machine", "memory-backend=m"]
        machine = Machine.from_argv(["-M", "none", "-m", "64M", *memfd])
        machine.ram.view[0:4096] = b"x" * 4096
        snap = machine.snapshot()
        del machine, snap
    gc.collect()
    assert descriptors() == before


def test_restoring_a_loaded_snapshot_leaves_the_holes_of_a_memfd_alone(tmp_path: Path) -> None:
    argv = ["-M", "none", "-m", "1G"]
    argv += ["-object", "memory-backend-memfd,id=m,size=1G", "-machine", "memory-backend=m"]
    path = tmp_path / "small.snap"
    with Machine.from_argv(argv) as first:
        first.ram.view[0:4] = b"ABCD"
        with first.snapshot() as snap:
            snap.save(path)
    with Machine.from_argv(argv) as second:
        second.ram.view[512 << 20] = 7  # a page the snapshot does not have
        fd = second.ram_backends[0].memory_fd
        assert fd is not None
        with Snapshot.load(path) as loaded:
            second.restore(loaded)
        assert bytes(second.ram.view[0:4]) == b"ABCD" and second.ram.view[512 << 20] == 0
        assert os.fstat(fd).st_blocks * 512 <= 8 << 20  # not the whole gigabyte
