"""Bad input, everywhere: one line, exit status 1, nothing allocated, never a traceback.

The table holds one case per kind of mistake (malformed, absurd, empty, duplicate, unknown,
conflicting). Where QEMU 7.2 has a message, the expected text is QEMU's, as
``qemu-system-x86_64 -M none ...`` printed it (its first line; a QEMU hint line is the part in
parentheses). The property-based tests generate whole command lines from the option grammar,
mutate them, and accept only two outcomes: a machine, or a :class:`MachineError`; on the
command line, exit status 0, 1 or 2 and one line per message.
"""

from __future__ import annotations

import os
import string
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from machinectl import Machine, MachineError, Registry, UsageError, create_registry, syscalls
from machinectl.options import CommandLine

CLI = [sys.executable, "-m", "machinectl.cli"]
SIZE_HINT = (
    " (Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta- and "
    "exabytes, respectively.)"
)
RAM = "memory-backend-ram,id=m,size=1G"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry()


@pytest.fixture
def nothing_allocated(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """No system call that maps or creates memory is made, and no descriptor stays open."""
    calls: list[str] = []
    for name in ("mmap_anonymous", "mmap_fd", "memfd_create"):
        real = getattr(syscalls, name)

        def spy(*args: Any, name: str = name, real: Callable[..., Any] = real, **kw: Any) -> Any:
            calls.append(name)
            return real(*args, **kw)

        monkeypatch.setattr(syscalls, name, spy)
    fds = sorted(os.listdir("/proc/self/fd"))
    yield calls
    assert calls == []
    assert sorted(os.listdir("/proc/self/fd")) == fds


# (argv after the program name, the error line). Texts are QEMU's unless marked "ours".
BAD_INPUT: list[tuple[str, list[str], str]] = [
    # -- sizes: malformed, negative, fractional without unit, absurd --------------------------
    (
        "size-word",
        ["-M", "none", "-m", "foo"],
        "-m foo: Parameter 'size' expects a non-negative number below 2^64" + SIZE_HINT,
    ),
    (
        "size-negative",
        ["-M", "none", "-m", "-1"],
        "-m -1: Parameter 'size' expects a non-negative number below 2^64" + SIZE_HINT,
    ),
    (
        "size-hex-no-digits",
        ["-M", "none", "-m", "0x"],
        "-m 0x: Parameter 'size' expects a non-negative number below 2^64" + SIZE_HINT,
    ),
    (
        "size-exponent",
        ["-M", "none", "-m", "1e3"],
        "-m 1e3: Parameter 'size' expects a non-negative number below 2^64" + SIZE_HINT,
    ),
    (
        "size-blank",
        ["-M", "none", "-m", "  "],
        "-m   : Parameter 'size' expects a non-negative number below 2^64" + SIZE_HINT,
    ),
    (
        "size-2^64",
        ["-M", "none", "-m", "16E"],
        "-m 16E: Value '16E' is out of range for parameter 'size'",
    ),
    (
        "size-23-digits",
        ["-M", "none", "-m", "99999999999999999999999"],
        "-m 99999999999999999999999: Value '99999999999999999999999' is out of range for "
        "parameter 'size'",
    ),
    (
        "size-duplicate-last-wins",
        ["-M", "none", "-m", "size=1G,size=foo"],
        "-m size=1G,size=foo: Parameter 'size' expects a non-negative number below 2^64"
        + SIZE_HINT,
    ),
    (
        "m-unknown-key",
        ["-M", "none", "-m", "1G,bogus=1"],
        "-m 1G,bogus=1: Invalid parameter 'bogus'",
    ),
    (
        "slots-word",
        ["-M", "none", "-m", "slots=x"],
        "-m slots=x: Parameter 'slots' expects a number",
    ),
    (
        "maxmem-below-size",
        ["-M", "none", "-m", "2G,maxmem=1G"],
        "invalid value of maxmem: maximum memory size (0x40000000) must be at least the "
        "initial memory size (0x80000000)",
    ),
    (
        "maxmem-2^64",
        ["-M", "none", "-m", "1G,maxmem=16E"],
        "-m 1G,maxmem=16E: Value '16E' is out of range for parameter 'maxmem'",
    ),
    # -- backend properties: booleans, enums, numbers, node lists -----------------------------
    (
        "bool",
        ["-M", "none", "-object", f"{RAM},prealloc=maybe"],
        f"-object {RAM},prealloc=maybe: Parameter 'prealloc' expects 'on' or 'off'",
    ),
    (
        "bool-case",
        ["-M", "none", "-object", f"{RAM},prealloc=ON"],
        f"-object {RAM},prealloc=ON: Parameter 'prealloc' expects 'on' or 'off'",
    ),
    (
        "enum",
        ["-M", "none", "-object", f"{RAM},policy=fast"],
        f"-object {RAM},policy=fast: Parameter 'policy' does not accept value 'fast'",
    ),
    (
        "nodes-word",
        ["-M", "none", "-object", f"{RAM},host-nodes=x,policy=bind"],
        f"-object {RAM},host-nodes=x,policy=bind: Parameter 'host-nodes' expects a uint64 value "
        "or range",
    ),
    (
        "nodes-reversed",
        ["-M", "none", "-object", f"{RAM},host-nodes=3-1,policy=bind"],
        f"-object {RAM},host-nodes=3-1,policy=bind: Parameter 'host-nodes' expects a uint64 "
        "value or range",
    ),
    (
        "nodes-200",
        ["-M", "none", "-object", f"{RAM},host-nodes=200,policy=bind"],
        "Invalid host-nodes value: 200",
    ),
    (
        "nodes-without-policy",
        ["-M", "none", "-object", f"{RAM},host-nodes=0"],
        "host-nodes must be empty for policy default, or you should explicitly specify a policy "
        "other than default",
    ),
    (
        "policy-without-nodes",
        ["-M", "none", "-object", f"{RAM},policy=bind"],
        "host-nodes must be set for policy bind",
    ),
    (
        "threads-zero",
        ["-M", "none", "-object", f"{RAM},prealloc-threads=0"],
        "property 'prealloc-threads' of memory-backend-ram doesn't take value '0'",
    ),
    (
        "threads-2^32",
        ["-M", "none", "-object", f"{RAM},prealloc-threads=4294967296"],
        f"-object {RAM},prealloc-threads=4294967296: Parameter 'prealloc-threads' expects uint32_t",
    ),
    (
        "threads-negative",
        ["-M", "none", "-object", f"{RAM},prealloc-threads=-1"],
        f"-object {RAM},prealloc-threads=-1: Parameter 'prealloc-threads' expects a uint64 value",
    ),
    (
        "size-zero",
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=0"],
        "property 'size' of memory-backend-ram doesn't take value '0'",
    ),
    (
        "size-empty-prop",
        ["-M", "none", "-object", "memory-backend-ram,id=m,size="],
        "-object memory-backend-ram,id=m,size=: Parameter 'size' expects a size value",
    ),
    (
        "size-missing",
        ["-M", "none", "-object", "memory-backend-ram,id=m"],
        "-object memory-backend-ram,id=m: Parameter 'size' is missing",
    ),
    (
        "id-missing",
        ["-M", "none", "-object", "memory-backend-ram,size=1G"],
        "-object memory-backend-ram,size=1G: Parameter 'id' is missing",
    ),
    (
        "id-digit",
        ["-M", "none", "-object", "memory-backend-ram,id=1bad,size=1G"],
        "-object memory-backend-ram,id=1bad,size=1G: Parameter 'id' expects an identifier "
        "(Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.)",
    ),
    (
        "id-control",
        ["-M", "none", "-object", "memory-backend-ram,id=a\nb,size=1G"],
        "-object memory-backend-ram,id=a\\nb,size=1G: Parameter 'id' expects an identifier "
        "(Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.)",
    ),
    (
        "id-duplicate",
        ["-M", "none", "-object", RAM, "-object", RAM],
        f"-object {RAM}: Duplicate ID 'm' for object",
    ),
    (
        "unknown-prop",
        ["-M", "none", "-object", f"{RAM},bogus=1"],
        f"-object {RAM},bogus=1: Invalid parameter 'bogus'",
    ),
    (
        "unknown-type",
        ["-M", "none", "-object", "memory-backend-foo,id=m,size=1G"],
        "-object memory-backend-foo,id=m,size=1G: Parameter 'qom-type' does not accept value "
        "'memory-backend-foo' (did you mean 'memory-backend-file'?)",
    ),
    (
        "type-missing",
        ["-M", "none", "-object", "id=m,size=1G"],
        "-object id=m,size=1G: Parameter 'qom-type' is missing",
    ),
    (
        "hugetlbsize",
        ["-M", "none", "-object", "memory-backend-memfd,id=m,size=1G,hugetlbsize=3M"],
        "Hugepage size must be a power of 2",
    ),
    (
        "mem-path-missing",
        ["-M", "none", "-object", "memory-backend-file,id=m,size=1G"],
        "-object memory-backend-file,id=m,size=1G: Parameter 'mem-path' is missing",
    ),
    (
        "prealloc-no-reserve",
        [
            "-M",
            "none",
            "-object",
            "memory-backend-file,id=m,size=1G,mem-path=/tmp,prealloc=on,reserve=off",
        ],
        "'prealloc=on' and 'reserve=off' are incompatible",
    ),
    # -- -machine and conflicts between options --------------------------------------------
    (
        "backend-unknown",
        ["-M", "none", "-machine", "memory-backend=nosuch"],
        "Memory backend 'nosuch' not found",
    ),
    (
        "backend-size-mismatch",
        [
            "-M",
            "none",
            "-m",
            "1G",
            "-machine",
            "memory-backend=m",
            "-object",
            "memory-backend-ram,id=m,size=2G",
        ],
        "Machine memory size does not match the size of the memory backend",
    ),
    (
        "backend-and-mem-path",
        ["-M", "none", "-mem-path", "/tmp", "-machine", "memory-backend=m", "-object", RAM],
        "'-mem-path' can't be used together with'-machine memory-backend'",
    ),
    (
        "reserved-id",
        ["-M", "none", "-m", "1G", "-object", "memory-backend-ram,id=ram,size=1G"],
        "object name 'ram' is reserved for the default RAM backend, it can't be used for any "
        "other purposes. Change the object's 'id' to something else",
    ),
    (
        "machine-bool",
        ["-M", "none,mem-merge=maybe"],
        "Parameter 'mem-merge' expects 'on' or 'off'",
    ),
    ("machine-size", ["-M", "none,memory.size=foo"], "Parameter 'memory.size' expects size"),
    ("machine-int", ["-M", "none,memory.slots=x"], "Parameter 'memory.slots' expects integer"),
    ("machine-unknown", ["-M", "none,bogus=1"], "Property 'none-machine.bogus' not found"),
    ("machine-key", ["-M", "none,2=x"], "-M none,2=x: Invalid parameter '2'"),
    (
        "machine-unknown-type",
        ["-M", "nosuch"],
        "unsupported machine type (Use -machine help to list supported machines)",
    ),
    # -- -numa -----------------------------------------------------------------------------
    (
        "numa-unsupported",
        ["-M", "none", "-m", "1G", "-numa", "node"],
        "-numa node: NUMA is not supported by this machine-type",
    ),
    (
        "numa-nodeid",
        ["-M", "pc", "-m", "1G", "-numa", "node,nodeid=200"],
        "-numa node,nodeid=200: Max number of NUMA nodes reached: 200",
    ),
    (
        "numa-type",
        ["-M", "pc", "-m", "1G", "-numa", "foo"],
        "-numa foo: Parameter 'type' does not accept value 'foo'",
    ),
    (
        "numa-memdev",
        ["-M", "pc", "-m", "1G", "-numa", "node,memdev=nosuch"],
        "-numa node,memdev=nosuch: memdev=nosuch is ambiguous",
    ),
    (
        "numa-duplicate",
        ["-M", "pc", "-m", "1G", "-numa", "node,nodeid=0", "-numa", "node,nodeid=0"],
        "-numa node,nodeid=0: Duplicate NUMA nodeid: 0",
    ),
    (
        "numa-missing-node",
        ["-M", "pc", "-m", "1G", "-numa", "node,nodeid=1"],
        "numa: Node ID missing: 0",
    ),
    (
        "numa-total",
        [
            "-M",
            "pc",
            "-m",
            "1G",
            "-object",
            "memory-backend-ram,id=m,size=512M",
            "-numa",
            "node,memdev=m",
        ],
        "total memory for NUMA nodes (0x20000000) should equal RAM size (0x40000000)",
    ),
    (
        "numa-backend-twice",
        [
            "-M",
            "pc",
            "-m",
            "1G",
            "-object",
            "memory-backend-ram,id=m,size=512M",
            "-numa",
            "node,memdev=m",
            "-numa",
            "node,memdev=m",
        ],
        "memory backend m can't be used multiple times.",
    ),
    (
        "numa-cpu",
        ["-M", "pc", "-m", "1G", "-numa", "node,cpus=5"],
        "-numa node,cpus=5: CPU index (5) should be smaller than maxcpus (1)",
    ),
    # -- -smp (QEMU's; the limit of a board that declares none is ours) ------------------------
    ("smp-word", ["-M", "none", "-smp", "foo"], "Parameter 'smp.cpus' expects integer"),
    (
        "smp-2^63",
        ["-M", "none", "-smp", "9223372036854775808"],
        "Parameter 'smp.cpus' expects integer",
    ),
    ("smp-unknown", ["-M", "none", "-smp", "2,bogus=1"], "Parameter 'smp.bogus' is unexpected"),
    (
        "smp-short-bool",
        ["-M", "none", "-smp", "2,foo"],
        "-smp 2,foo: Expected '=' after parameter 'foo'",
    ),
    (
        "smp-negative",
        ["-M", "none", "-smp", "cpus=-1"],
        "Invalid SMP CPUs -1. The max CPUs supported by machine 'none' is 1",
    ),
    (
        "smp-absurd",
        ["-M", "pc", "-m", "1G", "-smp", "99999999999", "-numa", "node"],
        "Invalid SMP CPUs 1215752191. The max CPUs supported by machine 'pc-i440fx-7.2' is 255",
    ),
    # -- non-UTF-8 and control characters (ours: shown escaped, on one line) ----------------
    (
        "surrogate-size",
        ["-M", "none", "-m", "\udcff"],
        "-m \\xff: Parameter 'size' expects a non-negative number below 2^64" + SIZE_HINT,
    ),
    (
        "surrogate-backend",
        ["-M", "none,memory-backend=\udcff\udcfe"],
        "Memory backend '\\xff\\xfe' not found",
    ),
    (
        "escape-sequence",
        ["-M", "none", "-m", "1\x1b[31m"],
        "-m 1\\x1b[31m: Parameter 'size' expects a non-negative number below 2^64" + SIZE_HINT,
    ),
]


def _printed(exc: MachineError) -> str:
    """What the command line prints after ``machinectl: ``."""
    from machinectl.cli import _one_line, printable

    return printable(_one_line(exc))


@pytest.mark.parametrize(
    ("argv", "line"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_is_one_precise_line_and_allocates_nothing(
    registry: Registry, nothing_allocated: list[str], argv: list[str], line: str
) -> None:
    with pytest.raises(MachineError) as info:
        Machine.from_argv(argv, registry=registry)
    assert not isinstance(info.value, UsageError)
    assert _printed(info.value) == line


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["run", "-M", "none", "-m", "-1"], BAD_INPUT[1][2]),
        (["run", "-M", "none", "-object", "memory-backend-ram,id=a\nb,size=1G"], None),
        (["run", "-M", "none", "-m", "\udcff"], "-m \\xff: " + BAD_INPUT[1][2][7:]),
        (["run", "-M", "none", "-smp", "foo"], "Parameter 'smp.cpus' expects integer"),
        (
            ["run", "-M", "none", "-mem-path", "/nonexistent/dir/\udcff", "-m", "64M"],
            "can't open backing store /nonexistent/dir/\\xff for guest RAM: No such file or "
            "directory",
        ),
    ],
)
def test_bad_input_on_the_command_line(argv: list[str], line: str | None) -> None:
    proc = subprocess.run([*CLI, *argv], capture_output=True, timeout=60, check=False)
    assert proc.returncode == 1
    stderr = proc.stderr.decode("utf-8")  # escaped: always valid UTF-8
    assert stderr.count("\n") == 1 and stderr.startswith("machinectl: ")
    if line is not None:
        assert stderr == f"machinectl: {line}\n"


RUN_HELP = "(see 'machinectl run --help')"


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["run", "-bogux"], f"machinectl: -bogux: invalid option {RUN_HELP}"),
        (["run", "-m"], f"machinectl: -m: requires an argument {RUN_HELP}"),
        (
            ["run", "foo"],
            f"machinectl: foo: unexpected argument: QEMU options start with '-' {RUN_HELP}",
        ),
        (
            ["run", "--dry-run", "--hold"],
            f"machinectl: run: argument --hold: not allowed with argument --dry-run {RUN_HELP}",
        ),
        (
            ["list-boards", "a", "extra"],
            "machinectl: list-boards: unrecognized arguments: extra "
            "(see 'machinectl list-boards --help')",
        ),
    ],
)
def test_usage_errors_exit_1(argv: list[str], line: str) -> None:
    proc = subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=60, check=False)
    assert (proc.returncode, proc.stderr) == (1, line + "\n")


# -- extremely long arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["-M", "none", "-m", "9" * 2_000_000],
        ["-M", "none", "-m", "0" * 2_000_000 + "1x"],
        ["-M", "none", "-smp", "1" * 2_000_000],
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1G,host-nodes=" + "7" * 2_000_000],
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1." + "5" * 2_000_000 + "Q"],
        ["-M", "none", "-object", "memory-backend-ram,id=m,size=1G" + ",merge=on" * 400_000 + ",x"],
        ["-M", "pc", "-m", "1G", "-numa", "node,nodeid=" + "3" * 2_000_000],
        ["-M", "none," + "a" * 2_000_000 + "=1"],
        ["-M", "none", "-m", "64M", "-mem-path", "/" + "x" * 2_000_000],
    ],
    ids=["m", "m-zeros", "smp", "host-nodes", "fraction", "many-items", "nodeid", "key", "path"],
)
def test_megabyte_arguments_fail_fast(
    registry: Registry, nothing_allocated: list[str], argv: list[str]
) -> None:
    start = time.monotonic()
    with pytest.raises(MachineError):
        Machine.from_argv(argv, registry=registry)
    assert time.monotonic() - start < 5


def test_megabytes_of_arguments_on_the_command_line() -> None:
    # One argument is at most 128 KiB on Linux; eight of them make a megabyte.
    chunk = "9" * 120_000
    argv = ["run", "-M", "none"]
    for index in range(8):
        argv += ["-object", f"memory-backend-ram,id=m{index},size=1G,prealloc-threads={chunk}"]
    proc = subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and len(proc.stderr) < 2100
    assert proc.stderr.startswith("machinectl: -object memory-backend-ram,id=m0,size=1G,")
    # QEMU's words for a number past 2^64 (one below it but past 2^32 "expects uint32_t").
    assert proc.stderr.endswith("Parameter 'prealloc-threads' expects a uint64 value\n")


# -- property-based: whole command lines from the grammar, then mutated -----------------------

SIZES = st.sampled_from(
    [
        "0",
        "1",
        "64M",
        "1G",
        "8k",
        "0x1000",
        "1.5G",
        "16E",
        "-1",
        "1e3",
        "",
        "foo",
        "2^64",
        "18446744073709551615",
        "99999999999999999999999",
        "0.5",
        " 1G",
        "1G ",
        "4T",
    ]
)
BOOLS = st.sampled_from(["on", "off", "yes", "no", "true", "false", "y", "n", "ON", "", "2"])
NUMBERS = st.sampled_from(["0", "1", "2", "16", "4294967296", "-1", "0x10", "010", "x", ""])
IDS = st.sampled_from(["m0", "m1", "ram", "pc.ram", "", "1x", "a,,b", "m0"])
PATHS = st.sampled_from(["/tmp", "/dev/shm", "/nonexistent/x", "", "relative", "/tmp/\udcff"])


def _props(draw: st.DrawFn, pairs: dict[str, st.SearchStrategy[str]]) -> str:
    chosen = draw(st.lists(st.sampled_from(sorted(pairs)), max_size=5))
    return "".join(f",{key}={draw(pairs[key])}" for key in chosen)


@st.composite
def backend_option(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["ram", "file", "memfd", "bogus"]))
    text = f"memory-backend-{kind},id={draw(IDS)},size={draw(SIZES)}"
    common = {
        "prealloc": BOOLS,
        "share": BOOLS,
        "reserve": BOOLS,
        "merge": BOOLS,
        "dump": BOOLS,
        "prealloc-threads": NUMBERS,
        "host-nodes": st.sampled_from(["0", "1", "0-1", "200", "x", "3-1"]),
        "policy": st.sampled_from(["default", "bind", "interleave", "preferred", "fast"]),
    }
    extra: dict[str, st.SearchStrategy[str]] = {}
    if kind == "file":
        extra = {"mem-path": PATHS, "align": SIZES, "readonly": BOOLS, "discard-data": BOOLS}
    elif kind == "memfd":
        extra = {"hugetlb": BOOLS, "hugetlbsize": SIZES, "seal": BOOLS}
    return text + _props(draw, {**common, **extra})


@st.composite
def command_line(draw: st.DrawFn, boards: list[str]) -> list[str]:
    argv = ["-M", draw(st.sampled_from(boards))]
    if draw(st.booleans()):
        argv[1] += draw(
            st.sampled_from(
                [
                    "",
                    ",memory-backend=m0",
                    ",mem-merge=off",
                    ",memory.size=1G",
                    ",dump-guest-core=on",
                ]
            )
        )
    options = st.one_of(
        st.tuples(
            st.just("-m"),
            st.one_of(SIZES, st.builds(lambda s, n: f"{s},slots={n},maxmem=8G", SIZES, NUMBERS)),
        ),
        st.tuples(st.just("-object"), backend_option()),
        st.tuples(
            st.just("-numa"), st.builds(lambda i, m: f"node,nodeid={i},memdev={m}", NUMBERS, IDS)
        ),
        st.tuples(st.just("-numa"), st.sampled_from(["node", "node,mem=1G", "dist", "cpu"])),
        st.tuples(st.just("-smp"), st.one_of(NUMBERS, st.just("2,sockets=2"))),
        st.tuples(st.just("-mem-path"), PATHS),
        st.just(("-mem-prealloc",)),
    )
    for option in draw(st.lists(options, max_size=6)):
        argv.extend(option)
    return argv


JUNK = st.text(
    alphabet=st.sampled_from([*string.printable, "\udcff", "\x00", "\x1b", "é", "\u2028"]),
    max_size=12,
)


@st.composite
def mutated(draw: st.DrawFn, boards: list[str]) -> list[str]:
    argv = draw(command_line(boards))
    for _ in range(draw(st.integers(0, 3))):
        if not argv:
            break
        index = draw(st.integers(0, len(argv) - 1))
        action = draw(st.sampled_from(["replace", "insert", "delete", "duplicate", "splice"]))
        if action == "replace":
            argv[index] = draw(JUNK)
        elif action == "insert":
            argv.insert(index, draw(st.one_of(JUNK, st.sampled_from(["-m", "-object", "-M"]))))
        elif action == "delete":
            del argv[index]
        elif action == "duplicate":
            argv.insert(index, argv[index])
        else:
            cut = draw(st.integers(0, len(argv[index])))
            argv[index] = argv[index][:cut] + draw(JUNK) + argv[index][cut:]
    return argv


_REGISTRY = create_registry()
BOARDS = sorted({b.name for b in _REGISTRY.boards})


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(argv=st.one_of(command_line(BOARDS), mutated(BOARDS)))
def test_any_command_line_is_a_machine_or_a_machine_error(argv: list[str]) -> None:
    try:
        machine = Machine.from_argv(argv, registry=_REGISTRY, allocate=False)
    except MachineError as exc:
        text = _printed(exc)
        assert text and "\n" not in text and text.isprintable(), text
        return
    with machine:
        assert machine.allocated is False
        machine.query()
        machine.mtree_text(flat=True)


@settings(max_examples=12, deadline=None)
@given(argv=mutated(BOARDS))
def test_the_command_line_never_shows_a_traceback(argv: list[str]) -> None:
    """A bounded sample through the real process (each run costs a Python start)."""
    args = [a for a in argv if "\x00" not in a]  # no argument of a process holds a NUL
    proc = subprocess.run(
        [*CLI, "run", "--dry-run", *args], capture_output=True, timeout=60, check=False
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    stderr = proc.stderr.decode("utf-8")
    assert "Traceback" not in stderr and "internal error" not in stderr
    for line in stderr.splitlines():
        assert line.startswith("machinectl: "), stderr
    if proc.returncode:
        assert stderr.count("\n") == 1 or ": warning: " in stderr


def test_command_line_parsing_is_linear(tmp_path: Path) -> None:
    """Megabytes of short items parse in time proportional to their length."""
    for count in (10_000, 100_000):
        start = time.monotonic()
        line = CommandLine.from_argv(
            ["-object", "memory-backend-ram,id=m,size=1G" + ",merge=on" * count]
        )
        elapsed = time.monotonic() - start
        assert len(line.objects) == 1
    assert elapsed < 5
