"""The machine pipeline with -M none and memory-backend-ram: QEMU 7.2's outcomes and texts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from machinectl import Machine, MachineError, MiB, create_registry, hookimpl
from machinectl.hostmem import HostMemoryBackend
from machinectl.state import MachineState

GiB = 1 << 30


def build(*argv: str, allocate: bool = False) -> Machine:
    return Machine.from_argv(list(argv), registry=create_registry(), allocate=allocate)


def test_none_with_1g_reports_memdev_like_qemu() -> None:
    with build("-M", "none", "-m", "1G", allocate=True) as machine:
        result = machine.query()
    # query-memdev of QEMU 7.2 for `-M none -m 1G`.
    assert result["memdev"] == [
        {
            "id": "ram",
            "size": 1073741824,
            "merge": True,
            "dump": True,
            "prealloc": False,
            "share": False,
            "reserve": True,
            "host-nodes": [],
            "policy": "default",
        }
    ]
    assert result["memory-size-summary"]["base-memory"] == 1073741824
    assert result["mtree"]["flat"] == [
        {
            "start": 0,
            "end": GiB - 1,
            "size": GiB,
            "priority": 0,
            "kind": "ram",
            "region": "ram",
            "offset": 0,
        }
    ]


def test_none_alone_has_no_ram() -> None:
    with build("-M", "none", allocate=True) as machine:
        result = machine.query()
        assert machine.ram is None
    assert result["memdev"] == []
    assert result["memory-size-summary"]["base-memory"] == 0
    assert result["mtree"]["flat"] == []


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("256", 256 * MiB),
        ("1k", 8192),
        ("100k", 106496),
        ("1.9999M", 2097152),
        ("0x200", 512 * MiB),
        (" 512", 512 * MiB),
        ("1.0", MiB),
        ("1.", 8192),
        ("512b", 8192),
        ("18446744073709551615b", 0),
        ("0", 0),
        ("", 0),
    ],
)
def test_m_sizes(size: str, expected: int) -> None:
    with build("-M", "none", "-m", size) as machine:
        assert machine.state.ram_size == expected


def test_m_hex_warns_with_the_appended_unit() -> None:
    with build("-M", "none", "-m", "0x200") as machine:
        assert machine.warnings == [
            "Using a multiplier suffix on hex numbers is deprecated: 0x200M"
        ]


def test_machine_memory_size_is_bytes() -> None:
    with build("-M", "none,memory.size=512") as machine:
        assert machine.state.ram_size == 8192


ERRORS = [
    (["-M", "nosuch"], "unsupported machine type"),
    ([], "No machine specified, and there is no default"),
    (["-M", "none", "-m", "17592186044416"], "Parameter 'memory.size' expects size"),
    (
        ["-M", "none", "-m", "512M,maxmem=256M"],
        "invalid value of maxmem: maximum memory size (0x10000000) must be at least the "
        "initial memory size (0x20000000)",
    ),
    (
        ["-M", "none", "-m", "1G,slots=2,maxmem=1G"],
        "invalid value of maxmem: memory slots were specified but maximum memory size "
        "(0x40000000) is equal to the initial memory size (0x40000000)",
    ),
    (["-M", "none", "-m", "slots=2"], "slots specified but no max-size"),
    (["-M", "none,foo=bar"], "Property 'none-machine.foo' not found"),
    (["-M", "none,mem-merge=x"], "Parameter 'mem-merge' expects 'on' or 'off'"),
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1G", "-M", "memory-backend=x"],
        "Memory backend 'x' not found",
    ),
    (
        # An empty path names every backend: two are ambiguous (one alone is taken).
        [
            *("-M", "none,memory-backend="),
            *("-object", "memory-backend-ram,id=m,size=1G"),
            *("-object", "memory-backend-ram,id=n,size=1G"),
        ],
        "Memory backend '' not found",
    ),
    (
        ["-M", "none,memory-backend=/objects/m/n", "-object", "memory-backend-ram,id=m,size=1G"],
        "Memory backend '/objects/m/n' not found",
    ),
    (
        [
            "-M",
            "none",
            "-m",
            "1G",
            "-object",
            "memory-backend-ram,id=m,size=2G",
            "-machine",
            "memory-backend=m",
        ],
        "Machine memory size does not match the size of the memory backend",
    ),
    (
        [
            "-M",
            "none",
            "-m",
            "100k",
            "-object",
            "memory-backend-ram,id=m,size=100k",
            "-machine",
            "memory-backend=m",
        ],
        "Machine memory size does not match the size of the memory backend",
    ),
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=0"],
        "property 'size' of memory-backend-ram doesn't take value '0'",
    ),
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1G,prealloc-threads=0"],
        "property 'prealloc-threads' of memory-backend-ram doesn't take value '0'",
    ),
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1G,prealloc=on,reserve=off"],
        "'prealloc=on' and 'reserve=off' are incompatible",
    ),
    (
        ["-M", "none", "-mem-prealloc", "-object", "memory-backend-ram,id=m,size=1G,reserve=off"],
        "'prealloc=on' and 'reserve=off' are incompatible",
    ),
    (
        ["-M", "none,memory-backend=m", "-mem-path", "/tmp"],
        "'-mem-path' can't be used together with'-machine memory-backend'",
    ),
    (
        ["-M", "none", "-m", "1G", "-object", "memory-backend-ram,id=ram,size=1G"],
        "object name 'ram' is reserved for the default RAM backend, it can't be used for any "
        "other purposes. Change the object's 'id' to something else",
    ),
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1G,foo=1"],
        "-object memory-backend-ram,id=m,size=1G,foo=1: Invalid parameter 'foo'",
    ),
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1x"],
        "-object memory-backend-ram,id=m,size=1x: Parameter 'size' expects a size value",
    ),
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m"],
        "-object memory-backend-ram,id=m: Parameter 'size' is missing",
    ),
    (
        ["-M", "none", "-object", "memory-backend-foo,id=m"],
        "-object memory-backend-foo,id=m: Parameter 'qom-type' does not accept value "
        "'memory-backend-foo'",
    ),
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1G,policy=foo"],
        "-object memory-backend-ram,id=m,size=1G,policy=foo: Parameter 'policy' does not "
        "accept value 'foo'",
    ),
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1G,prealloc-threads=5000000000"],
        "-object memory-backend-ram,id=m,size=1G,prealloc-threads=5000000000: Parameter "
        "'prealloc-threads' expects uint32_t",
    ),
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1G,host-nodes=128,policy=bind"],
        "Invalid host-nodes value: 128",
    ),
]


@pytest.mark.parametrize(("argv", "message"), ERRORS)
def test_qemu_errors(argv: list[str], message: str) -> None:
    with pytest.raises(MachineError) as info:
        build(*argv)
    assert str(info.value) == message


ALLOC_ERRORS = [
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1G,host-nodes=0,policy=default"],
        "host-nodes must be empty for policy default, or you should explicitly specify a "
        "policy other than default",
    ),
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1G,policy=bind"],
        "host-nodes must be set for policy bind",
    ),
    (
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1G,host-nodes=5,policy=bind"],
        "cannot bind memory to host NUMA nodes: Invalid argument",
    ),
    (["-M", "none", "-m", "1T"], "cannot set up guest memory 'ram': Cannot allocate memory"),
]


@pytest.mark.parametrize(("argv", "message"), ALLOC_ERRORS)
def test_allocation_errors(argv: list[str], message: str) -> None:
    with pytest.raises(MachineError) as info:
        build(*argv, allocate=True)
    assert str(info.value) == message


def test_m_zero_with_backend_takes_the_backend_size() -> None:
    argv = [
        "-M",
        "none",
        "-m",
        "0",
        "-object",
        "memory-backend-ram,id=m,size=256M",
        "-machine",
        "memory-backend=m",
    ]
    with build(*argv) as machine:
        assert machine.state.ram_size == 256 * MiB


def test_backend_size_is_taken_exactly_without_m() -> None:
    argv = ["-M", "none", "-object", "memory-backend-ram,id=m,size=100k", "-M", "memory-backend=m"]
    with build(*argv) as machine:
        assert machine.query()["memory-size-summary"]["base-memory"] == 102400


def test_maxmem_slots_keep_working_with_a_backend() -> None:
    argv = [
        "-M",
        "none",
        "-m",
        "maxmem=1G,slots=2",
        "-object",
        "memory-backend-ram,id=m,size=256M",
        "-M",
        "memory-backend=/objects/m",
    ]
    with build(*argv) as machine:
        assert (machine.state.ram_size, machine.state.maxram_size) == (256 * MiB, GiB)
        assert machine.state.ram_slots == 2


def test_explicit_default_id_is_allowed() -> None:
    argv = [
        "-M",
        "none,memory-backend=ram",
        "-m",
        "64M",
        "-object",
        "memory-backend-ram,id=ram,size=64M",
    ]
    with build(*argv) as machine:
        assert [b["id"] for b in machine.query()["memdev"]] == ["ram"]


def test_mem_prealloc_is_sugar_the_user_value_wins() -> None:
    argv = [
        "-M",
        "pc",
        "-m",
        "16M",
        "-mem-prealloc",
        "-smp",
        "3",
        "-object",
        "memory-backend-ram,id=a,size=8M,prealloc=off",
        "-object",
        "memory-backend-ram,id=b,size=8M,prealloc-threads=7",
    ]
    with build(*argv) as machine:
        by_id = {b.id: b for b in machine.backends}
        assert by_id["a"].prealloc is False
        assert by_id["b"].prealloc is True and by_id["b"].prealloc_threads == 7
        assert by_id["pc.ram"].prealloc is True and by_id["pc.ram"].prealloc_threads == 3


def test_order_of_the_argv_does_not_matter_for_memory_backend() -> None:
    argv = ["-M", "none,memory-backend=m", "-object", "memory-backend-ram,id=m,size=64M"]
    with build(*argv) as machine:
        assert machine.state.ram_size == 64 * MiB


class Recorder:
    """Records what the hooks see, to check the pipeline's order."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    @hookimpl
    def validate_ram(self, machine: MachineState) -> None:
        self.log.append(f"validate ram={machine.ram}")

    @hookimpl(tryfirst=True)
    def init_board(self, machine: MachineState) -> None:
        assert machine.ram is not None and machine.ram.backend is not None
        self.log.append(f"init allocated={machine.ram.backend.allocated}")


@pytest.fixture
def allocations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    log: list[str] = []
    original = HostMemoryBackend.allocate

    def spy(self: HostMemoryBackend, progress: object = None, **options: bool) -> None:
        log.append(f"allocate {self.id}")
        original(self, None, **options)

    monkeypatch.setattr(HostMemoryBackend, "allocate", spy)
    yield log


def test_pipeline_order(allocations: list[str]) -> None:
    registry = create_registry(plugins=[("recorder", Recorder(allocations))])
    argv = ["-M", "none", "-m", "8M", "-object", "memory-backend-ram,id=extra,size=4M"]
    with Machine.from_argv(argv, registry=registry):
        pass
    assert allocations == [
        "validate ram=None",
        "allocate extra",
        "allocate ram",
        "init allocated=True",
    ]


def test_every_check_runs_before_any_allocation(allocations: list[str]) -> None:
    argv = [
        "-M",
        "none",
        "-m",
        "2G",
        "-object",
        "memory-backend-ram,id=m,size=1G,prealloc=on",
        "-object",
        "memory-backend-ram,id=big,size=4G,prealloc=on",
        "-M",
        "memory-backend=m",
    ]
    with pytest.raises(MachineError, match="does not match"):
        build(*argv, allocate=True)
    assert allocations == []


def test_ram_view_is_real_memory() -> None:
    with build("-M", "none", "-m", "16M", allocate=True) as machine:
        ram = machine.ram
        assert ram is not None and ram.size == 16 * MiB
        view = ram.view
        view[0:4] = b"\x01\x02\x03\x04"
        view[-1] = 0xAA
        assert bytes(ram.view[0:4]) == b"\x01\x02\x03\x04"
        (only,) = machine.ram_ranges()
        assert (only.guest_address, only.size, only.memdev) == (0, 16 * MiB, "ram")
        assert only.host_address == ram.host_address
        del view


def test_create_is_the_same_pipeline() -> None:
    with Machine.create(
        "none",
        objects=[{"qom-type": "memory-backend-ram", "id": "m0", "size": "32M", "merge": False}],
        memory_backend="m0",
        allocate=False,
    ) as machine:
        assert machine.state.ram_size == 32 * MiB
        assert machine.query()["memdev"][0]["merge"] is False
    with pytest.raises(MachineError, match="does not match"):
        Machine.create(
            "none",
            "64M",
            objects=[{"qom-type": "memory-backend-ram", "id": "m0", "size": 1 << 20}],
            memory_backend="m0",
            allocate=False,
        )
