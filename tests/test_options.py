"""QEMU's option syntax: sizes, booleans, numbers, QemuOpts and keyval splitting."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from machinectl import MachineError
from machinectl.options import (
    CommandLine,
    SizeSyntaxError,
    parse_bool,
    parse_size,
    split_keyval,
    split_qemu_opts,
    visitor_uint_list,
)

# Values qemu_strtosz gives (semantics §3.4, checked on QEMU 7.2).
SIZES = {
    "0": 0,
    "512": 512,
    "1K": 1024,
    "1k": 1024,
    "512M": 512 << 20,
    "512m": 512 << 20,
    "0.5G": 512 << 20,
    "1.5M": 1572864,
    "1.k": 1024,
    "0.1k": 102,
    "1.9999M": 2097047,
    "0.0005k": 1,
    "010": 10,
    "0x10k": 16384,
    "0x200": 512,
    "512b": 512,
    "512B": 512,
    " 512": 512,
    "+5": 5,
    "1E": 1 << 60,
}
BAD_SIZES = [
    "-1",
    "foo",
    "1.5",
    "512MB",
    "512MiB",
    "1e3",
    "1.5e3k",
    ".5k",
    "1.5b",
    "512 ",
    "",
    "1KiB",
    "0x1.5",
    "0x",
]


@pytest.mark.parametrize(("text", "value"), SIZES.items())
def test_size_values(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize("text", BAD_SIZES)
def test_size_rejects(text: str) -> None:
    with pytest.raises(SizeSyntaxError) as info:
        parse_size(text)
    assert not info.value.out_of_range


@pytest.mark.parametrize("text", ["16E", "18446744073709551616", "99999999999999999999999"])
def test_size_out_of_range(text: str) -> None:
    with pytest.raises(SizeSyntaxError) as info:
        parse_size(text)
    assert info.value.out_of_range


def test_hex_suffix_warns() -> None:
    seen: list[str] = []
    assert parse_size("0x10k", warn=seen.append) == 16384
    assert seen == ["Using a multiplier suffix on hex numbers is deprecated: 0x10k"]


@given(st.text())
def test_size_parser_never_raises_anything_else(text: str) -> None:
    try:
        value = parse_size(text)
    except SizeSyntaxError:
        return
    assert 0 <= value < 1 << 64


@given(st.integers(min_value=0, max_value=(1 << 64) - 1))
def test_size_roundtrip_bytes(value: int) -> None:
    assert parse_size(f"{value}b") == value
    assert parse_size(str(value)) == value


@pytest.mark.parametrize("text", ["on", "yes", "true", "y"])
def test_bool_true(text: str) -> None:
    assert parse_bool("merge", text) is True


@pytest.mark.parametrize("text", ["off", "no", "false", "n"])
def test_bool_false(text: str) -> None:
    assert parse_bool("merge", text) is False


@pytest.mark.parametrize("text", ["ON", "Yes", "1", "0", "maybe", ""])
def test_bool_rejects(text: str) -> None:
    with pytest.raises(MachineError, match=r"^Parameter 'merge' expects 'on' or 'off'$"):
        parse_bool("merge", text)


def test_qemu_opts_implied_key_and_escape() -> None:
    assert split_qemu_opts("memory-backend-file,id=m,mem-path=/srv/a,,b", "qom-type") == [
        ("qom-type", "memory-backend-file"),
        ("id", "m"),
        ("mem-path", "/srv/a,b"),
    ]


def test_qemu_opts_flags_warn() -> None:
    seen: list[str] = []
    items = split_qemu_opts("memory-backend-ram,prealloc,nomerge", "qom-type", seen.append)
    assert items[1:] == [("prealloc", "on"), ("merge", "off")]
    assert seen == [
        "short-form boolean option 'prealloc' deprecated (Please use prealloc=on instead)",
        "short-form boolean option 'nomerge' deprecated (Please use merge=off instead)",
    ]
    seen.clear()
    assert split_qemu_opts("x,nodelay,delay", "qom-type", seen.append)[1:] == [
        ("delay", "off"),
        ("delay", "on"),
    ]
    assert seen == [
        "short-form boolean option 'nodelay' deprecated (Please use nodelay=on instead)",
        "short-form boolean option 'delay' deprecated (Please use nodelay=off instead)",
    ]


def test_keyval_has_no_short_booleans() -> None:
    with pytest.raises(MachineError, match="Expected '=' after parameter 'nomem-merge'"):
        split_keyval("pc,nomem-merge", "type")


def test_host_nodes_ranges_accumulate() -> None:
    assert visitor_uint_list("host-nodes", ["0-1", "3"], 16) == [0, 1, 3]
    with pytest.raises(MachineError, match="expects a uint64 value or range"):
        visitor_uint_list("host-nodes", ["3-1"], 16)
    with pytest.raises(MachineError, match=r"^Parameter 'null' expects uint16_t$"):
        visitor_uint_list("host-nodes", ["70000"], 16)


# Whole command lines: QEMU 7.2's text, with the option prefix QEMU prints.
PARSE_ERRORS = [
    (["-m", "foo"], "-m foo: Parameter 'size' expects a non-negative number below 2^64"),
    (["-m", "16E"], "-m 16E: Value '16E' is out of range for parameter 'size'"),
    (["-m", "1G,slots=x"], "-m 1G,slots=x: Parameter 'slots' expects a number"),
    (["-m", "1G,foo=2"], "-m 1G,foo=2: Invalid parameter 'foo'"),
    (["-m", "512,512"], "-m 512,512: Invalid parameter '512'"),
    (
        ["-object", "memory-backend-ram,id=1m,size=1G"],
        "-object memory-backend-ram,id=1m,size=1G: Parameter 'id' expects an identifier",
    ),
    (
        ["-object", "memory-backend-ram,size=1G"],
        "-object memory-backend-ram,size=1G: Parameter 'id' is missing",
    ),
    (["-object", "id=m,size=1G"], "-object id=m,size=1G: Parameter 'qom-type' is missing"),
    (
        [
            "-object",
            "memory-backend-ram,id=m1,size=1G",
            "-object",
            "memory-backend-ram,id=m1,size=1G",
        ],
        "-object memory-backend-ram,id=m1,size=1G: Duplicate ID 'm1' for object",
    ),
]


@pytest.mark.parametrize(("argv", "message"), PARSE_ERRORS)
def test_command_line_errors(argv: list[str], message: str) -> None:
    with pytest.raises(MachineError) as info:
        CommandLine.from_argv(argv)
    assert str(info.value) == message


def test_size_error_has_qemu_hint() -> None:
    with pytest.raises(MachineError) as info:
        CommandLine.from_argv(["-m", "foo"])
    assert info.value.hint == (
        "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
        "and exabytes, respectively."
    )


def test_m_merges_and_last_key_wins() -> None:
    line = CommandLine.from_argv(["-m", "256,slots=1", "-m", "maxmem=1G", "-m", "size=300"])
    assert line.memory == {"size": "300", "slots": "1", "maxmem": "1G"}


def test_machine_keyval_merges() -> None:
    line = CommandLine.from_argv(["-M", "pc", "-machine", "memory-backend=m,,x", "-M", "type=q35"])
    assert line.machine == {"type": "q35", "memory-backend": "m,x"}


def test_unknown_option_is_usage_error() -> None:
    with pytest.raises(MachineError) as info:
        CommandLine.from_argv(["-bogus"])
    assert str(info.value) == "-bogus: invalid option"
    assert info.value.exit_status == 1
    with pytest.raises(MachineError, match=r"^-m: requires an argument$"):
        CommandLine.from_argv(["-m"])


OPTION_NAMES = ["-M", "-machine", "-m", "-object", "-numa", "-smp", "-mem-path", "-mem-prealloc"]


@given(st.lists(st.one_of(st.sampled_from(OPTION_NAMES), st.text(max_size=40)), max_size=12))
def test_arbitrary_argv_only_raises_machine_error(argv: list[str]) -> None:
    with contextlib.suppress(MachineError):
        CommandLine.from_argv(argv)
