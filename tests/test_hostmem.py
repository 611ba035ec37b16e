"""Host memory backends on real host memory, files and file systems, compared with QEMU 7.2.

``data/hostmem_qemu72.json`` holds what QEMU 7.2 answered for each command line (see
``data/record_hostmem.py``). Tests that need a full file system mount a 4 MiB tmpfs, and tests
of huge pages reserve a few and mount hugetlbfs; both need root and are skipped without it.
"""

from __future__ import annotations

import errno
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from machinectl import Machine, MachineError, Registry, create_registry, prealloc, syscalls
from machinectl.hostmem import HostMemoryBackend
from machinectl.report import ProgressBar

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
PAGE = syscalls.PAGE_SIZE
HUGE = 2 * MiB
CLI = [sys.executable, "-m", "machinectl.cli"]
DATA = json.loads((Path(__file__).parent / "data" / "hostmem_qemu72.json").read_text())
#: The byte the files of the recorded cases are filled with.
FILL = b"\x5a"


# -- places: directories, a full file system, huge pages ------------------------------------


def _mount(kind: str, where: Path, options: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(f"mounting {kind} needs root")
    proc = subprocess.run(
        ["mount", "-t", kind, "-o", options, kind, str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount {kind} -o {options}: {proc.stderr.strip()}")


def _umount(where: Path) -> None:
    subprocess.run(["umount", str(where)], check=True)


def free_huge_pages() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("HugePages_Free:"):
            return int(line.split()[1])
    return 0


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry(load_entrypoints=False)


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs: a file system that fills up."""
    where = tmp_path / "small"
    where.mkdir()
    _mount("tmpfs", where, "size=4m")
    try:
        yield where
    finally:
        _umount(where)


@pytest.fixture(scope="module")
def hugetlbfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A hugetlbfs of 2 MiB pages, with DATA["huge-pages"] more pages in the pool."""
    wanted = DATA["huge-pages"]
    if os.geteuid() != 0:
        pytest.skip("reserving huge pages needs root")
    if syscalls.default_hugepage_size() != HUGE:
        pytest.skip("the recorded cases use a default huge page size of 2 MiB")
    pool = Path("/proc/sys/vm/nr_hugepages")
    before = free_huge_pages()
    pool.write_text(str(int(pool.read_text()) + wanted))
    try:
        if free_huge_pages() < before + wanted:
            pytest.skip(f"the kernel could not add {wanted} huge pages (memory fragmented)")
        where = tmp_path_factory.mktemp("huge")
        _mount("hugetlbfs", where, "pagesize=2M")
        try:
            yield where
        finally:
            _umount(where)
    finally:
        pool.write_text(str(max(0, int(pool.read_text()) - wanted)))


def build(registry: Registry, *argv: str, **kwargs: Any) -> Machine:
    return Machine.from_argv(["-M", "none", *argv], registry=registry, **kwargs)


def the_backend(machine: Machine, backend_id: str = "m") -> HostMemoryBackend:
    return next(b for b in machine.backends if b.id == backend_id)


def listing(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(directory.iterdir())}


def fd_target(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


def maps_line(addr: int) -> list[str]:
    """The /proc/self/maps fields of the mapping that starts at ``addr``, or []."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        if int(line.split("-", 1)[0], 16) == addr:
            return line.split()
    return []


def numa_maps_line(addr: int) -> str:
    for line in Path("/proc/self/numa_maps").read_text().splitlines():
        if int(line.split()[0], 16) == addr:
            return line
    raise AssertionError(f"no mapping at {addr:#x} in /proc/self/numa_maps")


def resident(addr: int, size: int) -> int:
    return sum(byte & 1 for byte in syscalls.mincore(addr, size)) * PAGE


# -- what QEMU 7.2 answered --------------------------------------------------------------------


def case_id(case: dict[str, Any]) -> str:
    files = f" [files {case['files']}]" if case["files"] else ""
    return " ".join(case["argv"]) + files


def _memdev(**changes: Any) -> list[dict[str, Any]]:
    memdev = {
        "id": "m",
        "size": 4 * MiB,
        "merge": True,
        "dump": True,
        "prealloc": False,
        "share": False,
        "reserve": True,
        "host-nodes": [],
        "policy": "default",
    }
    return [{**memdev, **changes}]


FILE_4M = "-object memory-backend-file,id=m,size=4M,mem-path={dir}/f"
#: Where machinectl differs from QEMU 7.2 on purpose (hostmem's docstring says why).
DIFFERENCES: dict[str, dict[str, Any]] = {
    # QEMU maps the empty file and would die of SIGBUS at the first access.
    f"{FILE_4M},readonly=on [files {{'f': 0}}]": {
        "error": "backing store size 0x0 does not match 'size' option 0x400000"
    },
    # QEMU binds 3 MiB of a mapping of 2 MiB pages: the kernel refuses to split a huge page.
    "-object memory-backend-file,id=m,size=3M,mem-path={huge},host-nodes=0,policy=bind": {
        "memdev": _memdev(size=3 * MiB, **{"host-nodes": [0], "policy": "bind"})
    },
    # QEMU dies of SIGSEGV writing to read-only memory.
    f"{FILE_4M},readonly=on,prealloc=on [files {{'f': 4194304}}]": {
        "memdev": _memdev(prealloc=True)
    },
}


@pytest.mark.parametrize("case", DATA["cases"], ids=case_id)
def test_outcome_is_qemus(
    case: dict[str, Any], registry: Registry, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """query-memdev, the error and the files left behind, as QEMU 7.2 has them."""
    text = " ".join(case["argv"])
    places = {"dir": tmp_path / "dir"}
    if "{small}" in text:
        places["small"] = request.getfixturevalue("small_tmpfs")
    if "{huge}" in text or "hugetlb=on" in text:
        places["huge"] = request.getfixturevalue("hugetlbfs")
        if free_huge_pages() != DATA["huge-pages"]:
            pytest.skip(f"QEMU's outcome was recorded with {DATA['huge-pages']} free huge pages")
    places["dir"].mkdir()
    for name, size in case["files"].items():
        (places["dir"] / name).write_bytes(FILL * size)
    expected = DIFFERENCES.get(case_id(case), case)
    argv = [arg.format(**places) for arg in case["argv"]]
    try:
        with build(registry, *argv) as machine:
            memdev = sorted(machine.query()["memdev"], key=lambda d: d["id"])
    except MachineError as exc:
        assert "error" in expected, f"QEMU accepts this, machinectl says: {exc}"
        assert str(exc) == expected["error"].format(**places)
        assert listing(places["dir"]) == case["files"]
    else:
        assert "memdev" in expected, f"QEMU refuses this: {expected['error']}"
        assert memdev == expected["memdev"]
        assert listing(places["dir"]) == case["after"]
    for name in case["files"]:
        assert set((places["dir"] / name).read_bytes()) <= set(FILL)
    for where in ("small", "huge"):
        if where in places:
            assert listing(places[where]) == {}


def test_every_backend_type_and_option_was_asked_of_qemu() -> None:
    text = json.dumps(DATA["cases"])
    for qom_type in ("ram", "file", "memfd"):
        for option in ("share=on", "merge=off", "dump=off", "prealloc=on", "reserve=off"):
            assert any(
                f"memory-backend-{qom_type}" in " ".join(c["argv"])
                and option in " ".join(c["argv"])
                for c in DATA["cases"]
            ) or (qom_type, option) == ("memfd", "share=on"), (qom_type, option)
    for policy in ("bind", "interleave", "preferred"):
        assert f"policy={policy}" in text


# -- memory-backend-file ---------------------------------------------------------------------


def test_directory_gives_an_unlinked_private_file(registry: Registry, tmp_path: Path) -> None:
    with build(registry, "-object", f"memory-backend-file,id=m,size=4M,mem-path={tmp_path}") as m:
        backend = the_backend(m)
        memory = backend._memory
        assert memory is not None and memory.fd is not None
        assert listing(tmp_path) == {}
        info = os.fstat(memory.fd)
        assert info.st_mode & 0o777 == 0o600 and info.st_nlink == 0
        assert info.st_size == 4 * MiB
        assert fd_target(memory.fd).startswith(f"{tmp_path}/")
        assert maps_line(backend.host_address)[1] == "rw-p"


@pytest.mark.parametrize(
    ("canonical", "name"),
    [("off", "qemu_back_mem.pc.ram."), ("on", "qemu_back_mem._objects_pc.ram.")],
)
def test_without_o_tmpfile_qemus_mkstemp_name(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, canonical: str, name: str
) -> None:
    real_open = os.open

    def no_tmpfile(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_TMPFILE == os.O_TMPFILE:
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_tmpfile)
    spec = f"memory-backend-file,id=pc.ram,size=4M,mem-path={tmp_path}"
    with build(
        registry, "-object", f"{spec},x-use-canonical-path-for-ramblock-id={canonical}"
    ) as m:
        memory = the_backend(m, "pc.ram")._memory
        assert memory is not None and memory.fd is not None
        target = fd_target(memory.fd)
        assert target.startswith(f"{tmp_path}/{name}") and target.endswith(" (deleted)")
        assert os.fstat(memory.fd).st_mode & 0o777 == 0o600
        assert listing(tmp_path) == {}


def test_new_file_is_created_0644_and_kept(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "guest.ram"
    old_umask = os.umask(0o022)
    try:
        spec = f"memory-backend-file,id=m,size=100k,mem-path={path},share=on"
        with build(registry, "-object", spec) as machine:
            view = the_backend(machine).view()
            assert len(view) == 100 * KiB
            view[:5] = b"guest"
            del view
    finally:
        os.umask(old_umask)
    assert path.stat().st_mode & 0o777 == 0o644
    assert path.stat().st_size == 100 * KiB
    assert path.read_bytes()[:5] == b"guest"


@pytest.mark.parametrize("share", ["on", "off"])
def test_existing_larger_file_is_used_as_it_is(
    registry: Registry, tmp_path: Path, share: str
) -> None:
    path = tmp_path / "f"
    content = bytes(range(256)) * (8 * MiB // 256)
    path.write_bytes(content)
    spec = f"memory-backend-file,id=m,size=4M,mem-path={path},share={share}"
    with build(registry, "-object", spec) as machine:
        view = the_backend(machine).view()
        assert view[: 4 * MiB] == content[: 4 * MiB]
        view[0] = 0xFF
        del view
    after = path.read_bytes()
    assert len(after) == 8 * MiB and after[1:] == content[1:]
    assert after[0] == (0xFF if share == "on" else content[0])


def test_smaller_file_is_refused_and_left_alone(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 5000)
    spec = f"memory-backend-file,id=m,size=8k,mem-path={path}"
    with pytest.raises(MachineError) as info:
        build(registry, "-object", spec)
    assert str(info.value) == "backing store size 0x1388 does not match 'size' option 0x2000"
    assert path.read_bytes() == b"x" * 5000


def test_readonly_memory_refuses_writes(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"firmware" * (MiB // 8))
    path.chmod(0o444)
    for spec in ("share=off", "share=on", "share=on,prealloc=on"):
        argv = ["-object", f"memory-backend-file,id=m,size=1M,mem-path={path},readonly=on,{spec}"]
        with build(registry, *argv) as machine:
            backend = the_backend(machine)
            view = backend.view()
            assert view.readonly and view[:8] == b"firmware"
            with pytest.raises(TypeError):
                view[0] = 0
            assert maps_line(backend.host_address)[1][:2] == "r-"
            del view
    assert path.read_bytes() == b"firmware" * (MiB // 8)


def test_readonly_preallocation_populates(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(FILL * 4 * MiB)
    spec = f"memory-backend-file,id=m,size=4M,mem-path={path},readonly=on,prealloc=on"
    with build(registry, "-object", spec) as machine:
        assert resident(the_backend(machine).host_address, 4 * MiB) == 4 * MiB


def test_align(registry: Registry, tmp_path: Path) -> None:
    spec = f"memory-backend-file,id=m,size=4M,mem-path={tmp_path},align=1G"
    with build(registry, "-object", spec) as machine:
        assert the_backend(machine).host_address % GiB == 0


def test_dangling_symlink_fails_instead_of_looping(registry: Registry, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    spec = f"memory-backend-file,id=m,size=4M,mem-path={link}"
    with pytest.raises(MachineError) as info:
        build(registry, "-object", spec)
    assert str(info.value) == f"can't open backing store {link} for guest RAM: File exists"
    assert sorted(os.listdir(tmp_path)) == ["link"]


def test_symlink_to_a_file_is_followed(registry: Registry, tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(FILL * MiB)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    spec = f"memory-backend-file,id=m,size=1M,mem-path={tmp_path / 'link'},share=on"
    with build(registry, "-object", spec) as machine:
        the_backend(machine).view()[0] = 1
    assert (tmp_path / "real").read_bytes()[:2] == b"\x01" + FILL


# -- discard-data ----------------------------------------------------------------------------


def allocated_bytes(path: Path) -> int:
    return path.stat().st_blocks * 512


def test_discard_data_drops_a_created_file(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "f"
    spec = f"memory-backend-file,id=m,size=4M,mem-path={path},share=on,discard-data=on"
    with build(registry, "-object", spec) as machine:
        view = the_backend(machine).view()
        view[:] = FILL * len(view)
        del view
        assert allocated_bytes(path) >= 4 * MiB
    assert path.stat().st_size == 4 * MiB
    assert allocated_bytes(path) == 0
    assert set(path.read_bytes()) == {0}


def test_discard_data_of_an_existing_file_of_the_same_size(
    registry: Registry, tmp_path: Path
) -> None:
    """As in QEMU: the user said the data is not needed after the run."""
    path = tmp_path / "f"
    path.write_bytes(FILL * 4 * MiB)
    spec = f"memory-backend-file,id=m,size=4M,mem-path={path},share=on,discard-data=on"
    with build(registry, "-object", spec) as machine:
        assert machine.warnings == []
    assert set(path.read_bytes()) == {0} and allocated_bytes(path) == 0


@pytest.mark.parametrize("share", ["on", "off"])
def test_discard_data_keeps_a_larger_file(registry: Registry, tmp_path: Path, share: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(FILL * 8 * MiB)
    spec = f"memory-backend-file,id=m,size=4M,mem-path={path},share={share},discard-data=on"
    with build(registry, "-object", spec) as machine:
        warnings = list(machine.warnings)
    assert path.read_bytes() == FILL * 8 * MiB
    if share == "on":
        assert warnings == [
            f"discard-data=on ignored for backend 'm': {path} (size 0x800000) is larger than "
            "the memory mapped from it (0x400000), its data is kept"
        ]
    else:
        assert warnings == []


def test_discard_data_of_private_memory_leaves_the_file(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(FILL * 4 * MiB)
    spec = f"memory-backend-file,id=m,size=4M,mem-path={path},discard-data=on"
    with build(registry, "-object", spec) as machine:
        the_backend(machine).view()[0] = 0
    assert path.read_bytes() == FILL * 4 * MiB


# -- pmem ------------------------------------------------------------------------------------


def test_pmem_on_a_file_without_dax(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "f"
    spec = f"memory-backend-file,id=m,size=4M,mem-path={path},pmem=on"
    with build(registry, "-object", f"{spec},share=on") as machine:
        assert machine.warnings == [
            f"requesting persistence across crashes for backend file {path} failed. Proceeding "
            "without persistence, data might become corrupted in case of host crash.",
            "Using non DAX backing file with 'pmem=on' option is deprecated",
        ]
        the_backend(machine).view()[0] = 1
    assert path.read_bytes()[0] == 1
    with build(registry, "-object", spec) as machine:
        assert machine.warnings == []


# -- memory-backend-memfd --------------------------------------------------------------------


def test_memfd_is_sealed_and_shared_by_default(registry: Registry) -> None:
    with build(registry, "-object", "memory-backend-memfd,id=m,size=4M") as machine:
        backend = the_backend(machine)
        memory = backend._memory
        assert memory is not None and memory.fd is not None
        assert syscalls.get_seals(memory.fd) == (
            syscalls.F_SEAL_GROW | syscalls.F_SEAL_SHRINK | syscalls.F_SEAL_SEAL
        )
        with pytest.raises(PermissionError):
            os.ftruncate(memory.fd, 8 * MiB)
        assert maps_line(backend.host_address)[1] == "rw-s"
        assert fd_target(memory.fd) == "/memfd:m (deleted)"


def test_memfd_without_seals_private(registry: Registry) -> None:
    with build(registry, "-object", "memory-backend-memfd,id=m,size=4M,seal=off,share=off") as m:
        backend = the_backend(m)
        memory = backend._memory
        assert memory is not None and memory.fd is not None
        # Without MFD_ALLOW_SEALING a memfd carries F_SEAL_SEAL alone.
        assert syscalls.get_seals(memory.fd) == syscalls.F_SEAL_SEAL
        assert maps_line(backend.host_address)[1] == "rw-p"
        assert backend.sharing_hint() is None


def test_memfd_hugetlb_without_enough_free_pages(registry: Registry) -> None:
    if syscalls.default_hugepage_size() != HUGE:
        pytest.skip("needs a default huge page size of 2 MiB")
    size = (free_huge_pages() + 1) * HUGE
    spec = f"memory-backend-memfd,id=m,size={size},hugetlb=on"
    with pytest.raises(MachineError) as info:
        build(registry, "-object", spec)
    assert str(info.value) == "unable to map backing store for guest RAM: Cannot allocate memory"


# -- huge pages ------------------------------------------------------------------------------


def test_hugetlbfs_page_size_is_honoured(registry: Registry, hugetlbfs: Path) -> None:
    path = hugetlbfs / "f"
    free = free_huge_pages()
    spec = f"memory-backend-file,id=m,size=3M,mem-path={path},share=on,prealloc=on"
    with build(registry, "-object", f"{spec},host-nodes=0,policy=bind") as machine:
        backend = the_backend(machine)
        assert path.stat().st_size == 4 * MiB
        assert len(backend.view()) == 3 * MiB
        assert backend.host_address % HUGE == 0
        assert maps_line(backend.host_address)[0].split("-")[1] == (
            f"{backend.host_address + 4 * MiB:x}"
        )
        assert free_huge_pages() == free - 2
        assert syscalls.get_mempolicy_at(backend.host_address + 3 * MiB) == (
            syscalls.MPOL_BIND,
            [0],
        )
    path.unlink()
    assert free_huge_pages() == free


def test_memfd_hugetlb(registry: Registry, hugetlbfs: Path) -> None:
    free = free_huge_pages()
    spec = "memory-backend-memfd,id=m,size=4M,hugetlb=on,hugetlbsize=2M,prealloc=on"
    with build(registry, "-object", spec) as machine:
        memory = the_backend(machine)._memory
        assert memory is not None and memory.fd is not None
        assert syscalls.fd_page_size(memory.fd) == HUGE
        assert free_huge_pages() == free - 2
    assert free_huge_pages() == free


# -- NUMA policy -----------------------------------------------------------------------------


SPECS = {
    "ram": "memory-backend-ram,id=m,size=8M",
    "memfd": "memory-backend-memfd,id=m,size=8M",
    "file": "memory-backend-file,id=m,size=8M,mem-path={dir}",
    "shared file": "memory-backend-file,id=m,size=8M,mem-path={dir}/f,share=on",
}
POLICIES = [
    ("bind", syscalls.MPOL_BIND, "bind:0"),
    ("interleave", syscalls.MPOL_INTERLEAVE, "interleave:0"),
    ("preferred", syscalls.MPOL_PREFERRED, "prefer:0"),
]


@pytest.mark.parametrize(("policy", "mode", "shown"), POLICIES)
@pytest.mark.parametrize("kind", SPECS)
def test_numa_policy_applies(
    registry: Registry, tmp_path: Path, kind: str, policy: str, mode: int, shown: str
) -> None:
    spec = SPECS[kind].format(dir=tmp_path)
    argv = ["-object", f"{spec},host-nodes=0,policy={policy},prealloc=on"]
    with build(registry, *argv) as machine:
        addr = the_backend(machine).host_address
        for page in (addr, addr + 8 * MiB - PAGE):
            assert syscalls.get_mempolicy_at(page) == (mode, [0])
        fields = numa_maps_line(addr).split()
        assert fields[1] == shown
        # Preallocated after binding: every page is on node 0.
        assert f"N0={8 * MiB // PAGE}" in fields


@pytest.mark.parametrize("kind", SPECS)
def test_no_host_nodes_no_mbind(
    registry: Registry, tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []
    real = syscalls.mbind
    monkeypatch.setattr(syscalls, "mbind", lambda *args: calls.append(args) or real(*args))
    with build(registry, "-object", SPECS[kind].format(dir=tmp_path)) as machine:
        assert syscalls.get_mempolicy_at(the_backend(machine).host_address)[0] == 0
    assert calls == []
    second = tmp_path / "second"
    second.mkdir()
    spec = SPECS[kind].format(dir=second)
    with build(registry, "-object", f"{spec},host-nodes=0,policy=bind") as machine:
        addr = the_backend(machine).host_address
    assert calls == [
        (addr, 8 * MiB, syscalls.MPOL_BIND, (0,), syscalls.MPOL_MF_STRICT | syscalls.MPOL_MF_MOVE)
    ]


def vm_flags(addr: int) -> set[str]:
    """The VmFlags of the mapping that starts at ``addr`` (/proc/self/smaps)."""
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        first = line.split()[0]
        if "-" in first and not first.endswith(":"):
            inside = int(first.split("-")[0], 16) == addr
        elif inside and first == "VmFlags:":
            return set(line.split()[1:])
    raise AssertionError(f"no mapping at {addr:#x} in /proc/self/smaps")


@pytest.mark.parametrize("kind", SPECS)
def test_reserve_merge_dump_reach_the_kernel(registry: Registry, tmp_path: Path, kind: str) -> None:
    spec = SPECS[kind].format(dir=tmp_path)
    shared = "memfd" in kind or "share=on" in spec
    with build(registry, "-object", spec) as machine:
        flags = vm_flags(the_backend(machine).host_address)
        # dc: MADV_DONTFORK, hg: MADV_HUGEPAGE; KSM merges private memory only (mg).
        assert {"dc", "hg"} <= flags and "nr" not in flags and "dd" not in flags
        assert ("mg" in flags) == (not shared) and ("sh" in flags) == shared
    second = tmp_path / "second"
    second.mkdir()
    spec = SPECS[kind].format(dir=second)
    with build(registry, "-object", f"{spec},reserve=off,merge=off,dump=off") as machine:
        flags = vm_flags(the_backend(machine).host_address)
        # nr: MAP_NORESERVE, dd: MADV_DONTDUMP.
        assert {"nr", "dd", "dc", "hg"} <= flags and "mg" not in flags


# -- preallocation ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SPECS)
def test_preallocation_populates_every_page(registry: Registry, tmp_path: Path, kind: str) -> None:
    spec = SPECS[kind].format(dir=tmp_path)
    seen: list[tuple[str, int, int]] = []
    argv = ["-object", f"{spec},prealloc=on,prealloc-threads=2"]
    with build(registry, *argv, progress=lambda *a: seen.append(a)) as machine:
        assert resident(the_backend(machine).host_address, 8 * MiB) == 8 * MiB
    assert seen[0] == ("m", 0, 8 * MiB) and seen[-1] == ("m", 8 * MiB, 8 * MiB)


def test_preallocation_on_a_full_file_system(registry: Registry, small_tmpfs: Path) -> None:
    for spec in (f"mem-path={small_tmpfs}", f"mem-path={small_tmpfs}/f,share=on"):
        argv = ["-object", f"memory-backend-file,id=m,size=16M,{spec},prealloc=on"]
        with pytest.raises(MachineError) as info:
            build(registry, *argv)
        assert str(info.value) == "qemu_prealloc_mem: preallocating memory failed: Bad address"
        assert listing(small_tmpfs) == {}


# -- nothing leaks ---------------------------------------------------------------------------


@pytest.fixture
def no_leaks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[int]]:
    """Every mapping made through syscalls is gone again, and so is every new descriptor."""
    made: list[int] = []
    for name in ("mmap_anonymous", "mmap_fd"):
        real = getattr(syscalls, name)

        def spy(*args: Any, real: Callable[..., int] = real, **kwargs: Any) -> int:
            addr = real(*args, **kwargs)
            made.append(addr)
            return addr

        monkeypatch.setattr(syscalls, name, spy)
    fds = set(os.listdir("/proc/self/fd"))
    yield made
    assert set(os.listdir("/proc/self/fd")) == fds
    maps = Path("/proc/self/maps").read_text()
    for addr in made:
        assert maps_line(addr) == [], f"{addr:#x} is still mapped"
    assert str(tmp_path) not in maps and "/memfd:" not in maps


def interrupt_at_half(backend_id: str, done: int, total: int) -> None:
    if 0 < done < total:
        raise KeyboardInterrupt


FAILURES = [
    ("-object memory-backend-file,id=m,size=4M,mem-path={dir}/new,bogus=1", "Invalid parameter"),
    ("-object memory-backend-ram,id=m,size=1T", "cannot set up guest memory 'm'"),
    ("-object memory-backend-file,id=m,size=1T,mem-path={dir}/new", "unable to map"),
    ("-object memory-backend-file,id=m,size=1T,mem-path={dir}", "unable to map"),
    ("-object memory-backend-memfd,id=m,size=1T,share=off", "unable to map"),
    ("-object memory-backend-memfd,id=m,size=100", "backing store size"),
    ("-object memory-backend-memfd,id=m,size=4M,hugetlb=on,hugetlbsize=1G", "failed to resize"),
    ("-object memory-backend-ram,id=m,size=4M,host-nodes=1,policy=bind", "cannot bind"),
    ("-object memory-backend-memfd,id=m,size=4M,host-nodes=1,policy=bind", "cannot bind"),
    (
        "-object memory-backend-file,id=m,size=4M,mem-path={dir}/new,host-nodes=1,policy=bind",
        "bind",
    ),
    ("-object memory-backend-file,id=m,size=4M,mem-path={dir}/new,align=3000", "alignment"),
    (
        "-object memory-backend-file,id=a,size=4M,mem-path={dir}/new,share=on "
        "-object memory-backend-memfd,id=b,size=4M,host-nodes=1,policy=bind",
        "cannot bind",
    ),
    ("-object memory-backend-ram,id=m,size=256M,prealloc=on", "interrupt"),
    ("-object memory-backend-memfd,id=m,size=256M,prealloc=on", "interrupt"),
    ("-object memory-backend-file,id=m,size=256M,mem-path={dir}/new,prealloc=on", "interrupt"),
    ("-object memory-backend-file,id=m,size=256M,mem-path={dir},prealloc=on", "interrupt"),
]


@pytest.mark.parametrize(("args", "failure"), FAILURES)
def test_failures_leave_nothing(
    registry: Registry, tmp_path: Path, no_leaks: list[int], args: str, failure: str
) -> None:
    argv = args.format(dir=tmp_path).split()
    if failure == "interrupt":
        with pytest.raises(KeyboardInterrupt):
            build(registry, *argv, progress=interrupt_at_half)
        assert no_leaks, "the interrupt came before anything was mapped"
    else:
        with pytest.raises(MachineError, match=failure):
            build(registry, *argv)
    assert listing(tmp_path) == {}


def test_full_file_system_failure_leaves_nothing(
    registry: Registry, small_tmpfs: Path, no_leaks: list[int]
) -> None:
    spec = f"memory-backend-file,id=m,size=16M,mem-path={small_tmpfs}/new,prealloc=on"
    with pytest.raises(MachineError, match="preallocating memory failed"):
        build(registry, "-object", spec)
    assert listing(small_tmpfs) == {}


def test_success_then_close_leaves_only_the_created_file(
    registry: Registry, tmp_path: Path, no_leaks: list[int]
) -> None:
    argv = [
        "-object",
        f"memory-backend-file,id=a,size=4M,mem-path={tmp_path}/kept,share=on,prealloc=on",
        "-object",
        f"memory-backend-file,id=b,size=4M,mem-path={tmp_path},prealloc=on",
        "-object",
        "memory-backend-memfd,id=c,size=4M,prealloc=on",
        "-m",
        "4M",
    ]
    with build(registry, *argv) as machine:
        assert all(b.allocated for b in machine.backends) and len(no_leaks) == 4
    assert listing(tmp_path) == {"kept": 4 * MiB}


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def test_sigint_during_preallocation_removes_the_created_file() -> None:
    path = Path(f"/dev/shm/machinectl-test-{os.getpid()}")
    spec = f"memory-backend-file,id=m,size=2G,mem-path={path},share=on,prealloc=on"
    proc = subprocess.Popen(
        [*CLI, "run", "-M", "none", "-object", f"{spec},prealloc-threads=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: path.exists() and path.stat().st_blocks > 0, "preallocation")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        path.unlink(missing_ok=True)
    assert (proc.returncode, err) == (128 + signal.SIGINT, "machinectl: interrupted\n")
    assert not path.exists()


# -- the progress bar ------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Screen:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_progress_bar_shows_after_a_second_per_backend() -> None:
    clock, screen = FakeClock(), Screen()
    bar = ProgressBar(screen, clock)  # type: ignore[arg-type]
    bar("a", 0, 4 * GiB)
    clock.now += 0.9
    bar("a", GiB, 4 * GiB)
    assert screen.text == ""
    clock.now += 0.1
    bar("a", 2 * GiB, 4 * GiB)
    assert screen.text == (
        "\rpreallocating a [###############...............] 2.0/4.0 GiB 2.00 GiB/s 1s left "
    )
    bar("b", 0, GiB)
    clock.now += 0.5
    bar("b", GiB, GiB)
    assert screen.text.endswith("left \n")
    bar.finish()
    assert screen.text.count("\n") == 1


def _run_on_a_terminal(args: list[str], *, stderr_on_terminal: bool = True) -> tuple[int, str]:
    """Run ``machinectl run`` with a terminal as stderr (and stdout); stop it for 1.2 s once it
    is preallocating, so that the preallocation takes longer than a second for sure.
    Returns the exit status and what appeared on the terminal and stderr."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, "run", "-M", "none", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave if stderr_on_terminal else subprocess.PIPE,
    )
    os.close(slave)
    out = b""
    try:

        def preallocating() -> bool:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            rss = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
            return int(rss.split()[1]) * KiB > 128 * MiB

        _wait_for(preallocating, "preallocation")
        proc.send_signal(signal.SIGSTOP)
        time.sleep(1.2)
        proc.send_signal(signal.SIGCONT)
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            assert ready, "the terminal stayed silent"
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            out += chunk
        proc.wait(timeout=30)
        if proc.stderr is not None:
            out += proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
        os.close(master)
    return proc.returncode, out.decode()


SLOW = ["-object", "memory-backend-memfd,id=m,size=512M,prealloc=on,prealloc-threads=1"]


def test_progress_bar_appears_on_a_terminal() -> None:
    status, text = _run_on_a_terminal(SLOW)
    assert status == 0, text
    bar = text.split("machine: none")[0]
    assert bar.startswith("\rpreallocating m [")
    assert re.search(r"\] 0\.5/0\.5 GiB [0-9.]+ GiB/s 0s left \r\n$", bar), bar


@pytest.mark.parametrize(
    ("flags", "stderr_on_terminal", "shown"),
    [
        (["--json"], True, True),  # the bar follows stderr, not the output format
        ([], False, False),
        (["--quiet"], True, False),
        (["--progress"], False, True),
    ],
)
def test_progress_bar_follows_stderr_and_the_flags(
    flags: list[str], stderr_on_terminal: bool, shown: bool
) -> None:
    status, text = _run_on_a_terminal([*SLOW, *flags], stderr_on_terminal=stderr_on_terminal)
    assert status == 0, text
    assert ("preallocating m [" in text) is shown
    assert "memory backend: m" in text or '"memdev"' in text


def test_progress_bar_line_ends_before_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error message starts on a line of its own when preallocation fails midway."""
    from machinectl import cli, report

    where = tmp_path / "tmpfs"
    where.mkdir()
    # Room for the first chunk of the preallocation, not for the second one.
    _mount("tmpfs", where, f"size={prealloc.CHUNK_SIZE * 5 // 4}")
    screen, clock = Screen(), FakeClock()

    def slow_bar(stream: Any) -> ProgressBar:
        def tick() -> float:
            clock.now += 1.0
            return clock.now

        return ProgressBar(stream, tick)

    monkeypatch.setattr(cli.sys, "stderr", screen)
    monkeypatch.setattr(screen, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(report, "ProgressBar", slow_bar)
    spec = f"memory-backend-file,id=m,size={2 * prealloc.CHUNK_SIZE},mem-path={where},prealloc=on"
    try:
        status = cli.main(["run", "-M", "none", "-object", f"{spec},prealloc-threads=1"])
    finally:
        _umount(where)
    assert status == 1
    assert re.fullmatch(
        r"(\rpreallocating m \[[#.]{30}\] [^\r\n]+ left )+"
        r"\nmachinectl: qemu_prealloc_mem: preallocating memory failed: Bad address\n",
        screen.text,
    ), screen.text


# -- command-line plumbing -------------------------------------------------------------------


def test_mem_path_gives_a_file_backend_for_main_ram(registry: Registry, tmp_path: Path) -> None:
    with build(registry, "-m", "8M", "-mem-path", str(tmp_path), "-mem-prealloc") as machine:
        (backend,) = machine.backends
        assert type(backend).qom_type == "memory-backend-file"
        assert backend.id == "ram" and backend.prealloc and not backend.share
        assert resident(backend.host_address, 8 * MiB) == 8 * MiB
        assert machine.ram is not None and machine.ram.backends == (backend,)


def test_mem_path_never_falls_back_to_anonymous_memory(registry: Registry, tmp_path: Path) -> None:
    for argv, message in (
        (["-mem-path", f"{tmp_path}/no/such/dir"], "can't open backing store"),
        (["-mem-path", "/dev/null"], "unable to map backing store for guest RAM: No such device"),
    ):
        with pytest.raises(MachineError, match=message):
            build(registry, "-m", "8M", *argv)


def test_mem_path_is_ignored_without_a_default_ram_id(tmp_path: Path) -> None:
    from machinectl import BoardFacts, BoardSpec, BoardTable

    spec = BoardSpec(name="noid", description="no default RAM id", family="test")
    table = BoardTable([BoardFacts(spec=spec, default_ram_size=8 * MiB, default_ram_id=None)])
    registry = create_registry(load_entrypoints=False, plugins=[("noid", table)])
    with Machine.from_argv(
        ["-M", "noid", "-m", "8M", "-mem-path", f"{tmp_path}/main"], registry=registry
    ) as machine:
        assert machine.backends == [] and machine.ram is None
    assert listing(tmp_path) == {}


def test_allocation_errors_have_no_location(registry: Registry) -> None:
    with pytest.raises(MachineError) as info:
        build(registry, "-object", "memory-backend-memfd,id=m,size=100")
    assert info.value.location is None
