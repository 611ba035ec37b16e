"""The oracle harness (``machinectl.oracle``) and the pure parts of ``tools/qemu_oracle.py``.

``data/oracle_testboards.json`` holds records for the test plugin's boards, written the way the
recorder writes QEMU's answers. The harness must pass them as they are and fail every kind of
mismatch: a test that cannot fail checks nothing.
"""

from __future__ import annotations

import copy
import importlib
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from machinectl import BoardTable, Machine, MachineError, Window, create_registry
from machinectl.oracle import (
    OracleConformance,
    Record,
    argv_of,
    as_printed,
    lines_of,
    load_records,
    ram_map_of,
    ram_tree_of,
    record_id,
    region_of,
)
from machinectl.plugins import Registry

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
RECORDS = load_records(DATA / "oracle_testboards.json")
DEFAULT, REFUSED, NUMA_DEFAULT, NUMA_LEGACY = RECORDS


class TestTestboardsAgainstRecords(OracleConformance):
    distribution = "machinectl-testplugins"
    oracle_files = ("data/oracle_testboards.json",)

    @classmethod
    def make_registry(cls) -> Registry:
        return create_registry(group="machinectl.tests", only=["testboards"], strict=True)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return TestTestboardsAgainstRecords.make_registry()


def _edit(record: Record, change: Callable[[Record], Any]) -> Record:
    edited = copy.deepcopy(record)
    change(edited)
    return edited


MISMATCHES = {
    "summary": (DEFAULT, lambda r: r["memory-size-summary"].update({"base-memory": 1})),
    "plugged memory": (DEFAULT, lambda r: r["memory-size-summary"].update({"plugged-memory": 0})),
    "memdev size": (DEFAULT, lambda r: r["memdev"][0].update({"size": 1 << 20})),
    "memdev id": (DEFAULT, lambda r: r["memdev"][0].update({"id": "other.ram"})),
    "second memdev": (DEFAULT, lambda r: r["memdev"].append({"id": "n0", "size": 1})),
    "ram placed elsewhere": (DEFAULT, lambda r: r["ram-map"].__setitem__(0, r["ram-map"][0][1:])),
    "ram shown twice": (DEFAULT, lambda r: r["ram-map"].append(r["ram-map"][0] + " @1000")),
    "ram tree": (DEFAULT, lambda r: r["ram-tree"].append(r["ram-map"][0])),
    "a warning too few": (DEFAULT, lambda r: r["warnings"].append("warning: RAM is small")),
    "a warning too many": (NUMA_LEGACY, lambda r: r["warnings"].clear()),
    "a notice": (DEFAULT, lambda r: r.update(stdout=["Ram size 64MB was fixed up"])),
    "error text": (REFUSED, lambda r: r.update(error="Invalid RAM size")),
    "hint line": (REFUSED, lambda r: r["stderr"].append("Use -m 64M")),
    "refused, not accepted": (DEFAULT, lambda r: r.update(ok=False, error="x", stderr=["x"])),
    "accepted, not refused": (REFUSED, lambda r: r.update(ok=True)),
}


@pytest.mark.parametrize(("record", "change"), MISMATCHES.values(), ids=MISMATCHES.keys())
def test_every_mismatch_fails(
    registry: Registry, record: Record, change: Callable[[Record], Any]
) -> None:
    harness = TestTestboardsAgainstRecords()
    harness.compare(registry, record)
    with pytest.raises((AssertionError, MachineError, pytest.fail.Exception)):
        harness.compare(registry, _edit(record, change))


def test_the_whole_flat_view_is_compared_on_request(registry: Registry) -> None:
    class Whole(TestTestboardsAgainstRecords):
        whole_ram_map = True

    # QEMU's record shows a firmware ROM the test board does not have.
    with pytest.raises(AssertionError):
        Whole().compare(registry, DEFAULT)


def test_kept_regions_are_compared(registry: Registry) -> None:
    class Kept(TestTestboardsAgainstRecords):
        kept_regions = ("test.bios",)

    with pytest.raises(AssertionError):
        Kept().compare(registry, DEFAULT)


def test_a_crashed_run_is_skipped(registry: Registry) -> None:
    # QEMU died from a signal: it printed no error to compare with.
    crashed = {**REFUSED, "size": "1K", "crashed": True, "error": "", "stderr": []}
    with pytest.raises(pytest.skip.Exception):
        TestTestboardsAgainstRecords().compare(registry, crashed)


def test_default_runs_are_the_machine_types_as_they_are() -> None:
    defaults = [r for r in RECORDS if TestTestboardsAgainstRecords.is_default_run(r)]
    assert defaults == [DEFAULT, NUMA_DEFAULT]


def test_argv_drops_what_only_qemu_needs() -> None:
    assert argv_of(REFUSED) == ["-M", "testboard", "-m", "32M"]
    assert argv_of(REFUSED, drop=()) == ["-M", "testboard", "-m", "32M", "-kernel", "dummy.bin"]
    assert argv_of(NUMA_LEGACY, machine="testnuma-1.0") == [
        *("-M", "testnuma-1.0", "-m", "128M", "-numa", "node,mem=128M")
    ]
    assert record_id(REFUSED) == "testboard 32M -kernel dummy.bin"
    assert record_id(DEFAULT) == "testboard -"


def test_flat_view_lines(registry: Registry) -> None:
    assert region_of(
        "0000000000000000-0000000007ffffff (prio 0, ram): a.ram @0000000000001000"
    ) == ("a.ram")
    lines = DEFAULT["ram-map"]
    assert lines_of(lines, ["test.ram"]) == lines[:1]
    assert lines_of(lines, ["test"]) == []
    with Machine.from_argv(["-M", "testboard"], registry=registry, allocate=False) as machine:
        assert ram_map_of(machine) == lines[:1]
        assert ram_map_of(machine, keep=["system"]) == lines[:1]
        assert ram_tree_of(machine, ["test.ram"]) == DEFAULT["ram-tree"]
        assert ram_tree_of(machine, ["other"]) == []


def test_warnings_as_printed() -> None:
    assert as_printed("RAM is small") == "warning: RAM is small"
    tied = "-numa node,mem=1G: warning: Parameter -numa node,mem is deprecated"
    assert as_printed(tied) == tied


# -- tools/qemu_oracle.py ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorder() -> ModuleType:
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(ROOT / "tools"))
        return importlib.import_module("qemu_oracle")


def test_sizes_and_edges(recorder: ModuleType) -> None:
    assert recorder.edges("256M") == ["262136K", "262152K"]
    assert recorder.edges(3 << 30) == ["3145720K", "3145736K"]
    assert recorder.parse_size("64") == 64 << 20
    assert recorder.size_text(1 << 30) == "1G"
    assert recorder.unique([None, "1M", None, "2M", "1M"]) == [None, "1M", "2M"]
    assert recorder.reference_size("0", 1 << 20) == 1 << 20
    assert recorder.reference_size("1K", 1 << 20) == 8 << 10


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("64", 64 << 20),
        ("16k", 16 << 10),
        ("16K", 16 << 10),
        ("512m", 512 << 20),
        ("1.5G", 3 << 29),
        ("2g", 2 << 30),
        ("1T", 1 << 40),
        ("8192b", 8192),
    ],
)
def test_sizes_as_qemu_reads_them(recorder: ModuleType, text: str, size: int) -> None:
    assert recorder.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "16q", "-1", "1.5", "K", "1.5B"])
def test_sizes_qemu_refuses(recorder: ModuleType, text: str) -> None:
    with pytest.raises(ValueError, match="invalid size"):
        recorder.parse_size(text)


def test_edges_on_the_command_line(
    recorder: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    parser_error = None
    try:
        recorder.main(["--binary", "qemu-system-none", "--machine", "x", "--edges", "16q"])
    except SystemExit as exc:
        parser_error = exc.code
    assert parser_error == 2
    assert "argument --edges: invalid size '16q'" in capsys.readouterr().err
    assert recorder.edges("16k") == ["8K", "24K"]


def test_ram_map_keeps_named_regions(recorder: ModuleType) -> None:
    flat = (
        'FlatView #0\n AS "memory", root: system\n Root memory region: system\n'
        "  0000000000000000-0000000000ffffff (prio 0, ram): sun4m.ram\n"
        "  0000000001000000-000000000fffffff (prio 0, i/o): empty-slot\n"
        "  0000000070000000-000000007000000f (prio 0, i/o): esp\n"
    )
    assert recorder.ram_map(flat) == ["0000000000000000-0000000000ffffff (prio 0, ram): sun4m.ram"]
    assert recorder.ram_map(flat, keep=["empty-slot"]) == [
        "0000000000000000-0000000000ffffff (prio 0, ram): sun4m.ram",
        "0000000001000000-000000000fffffff (prio 0, i/o): empty-slot",
    ]


def test_reference_records(recorder: ModuleType) -> None:
    entry = {
        "machine": "old",
        "default_ram_size": 128 << 20,
        "default_ram_id": "old.ram",
        "ram_base": "0x1000",
        "rules": [
            {"kind": "max", "value": 256 << 20, "message": "{ram_size_div_MiB}MB is too much"}
        ],
    }
    refused = recorder.reference_record(entry, "257M")
    assert (refused["ok"], refused["error"]) == (False, "257MB is too much")
    accepted = recorder.reference_record(entry, None, plugged_memory=True)
    assert accepted["memory-size-summary"] == {"base-memory": 128 << 20, "plugged-memory": 0}
    assert accepted["ram-map"] == ["0000000000001000-0000000008000fff (prio 0, ram): old.ram"]


def test_two_binaries_that_disagree_are_named(recorder: ModuleType) -> None:
    ours = {**NUMA_DEFAULT, "binary": "qemu-system-a"}
    theirs = {**NUMA_DEFAULT, "binary": "qemu-system-b"}
    assert recorder.disagreements([ours], [theirs]) == []
    theirs["ram-map"] = []
    assert recorder.disagreements([ours], [theirs]) == [
        "testnuma -m None: qemu-system-b and qemu-system-a differ"
    ]


# -- the board's windows, marks, and life without pytest -------------------------------------


def with_windows(*windows: Window) -> Registry:
    """The test plugin's ``testboard``, with windows."""
    from machinectl_testplugins.good import plugin

    facts = plugin.facts("testboard")
    assert facts is not None
    table = BoardTable([attrs.evolve(facts, windows=windows)])
    return create_registry(load_entrypoints=False, plugins=[("testboards", table)], strict=True)


BIOS = Window("test.bios", 0xFFF0_0000, 0x10_0000, kind="rom")


def test_the_boards_windows_are_compared_by_default() -> None:
    harness = TestTestboardsAgainstRecords()
    # QEMU's record shows the firmware ROM: the board declares it, where and as QEMU has it.
    harness.compare(with_windows(BIOS), DEFAULT)
    # An i/o window the record does not show (it keeps RAM and ROM lines) is not compared.
    harness.compare(with_windows(BIOS, Window("test.uart", 0x2000_0000, 0x1000)), DEFAULT)
    for wrong in (
        attrs.evolve(BIOS, base=0xFFE0_0000),
        attrs.evolve(BIOS, kind="romd"),
        attrs.evolve(BIOS, kind="ram"),
        Window("test.sram", 0x100_0000, 0x1000, kind="ram"),  # QEMU has no such RAM
    ):
        with pytest.raises(AssertionError):
            windows = (wrong,) if wrong.name == BIOS.name else (BIOS, wrong)
            harness.compare(with_windows(*windows), DEFAULT)


def test_windows_can_be_left_out() -> None:
    class MainRamOnly(TestTestboardsAgainstRecords):
        keep_windows = False

    MainRamOnly().compare(
        with_windows(Window("test.sram", 0x100_0000, 0x1000, kind="ram")), DEFAULT
    )


def test_io_windows_are_compared_where_the_record_shows_them() -> None:
    kept = {
        **DEFAULT,
        "ram-map": [
            DEFAULT["ram-map"][0],
            "0000000020000000-0000000020000fff (prio 0, i/o): test.uart",
            *DEFAULT["ram-map"][1:],
        ],
    }
    harness = TestTestboardsAgainstRecords()
    harness.compare(with_windows(BIOS, Window("test.uart", 0x2000_0000, 0x1000)), kept)
    with pytest.raises(AssertionError):
        harness.compare(with_windows(BIOS, Window("test.uart", 0x2000_1000, 0x1000)), kept)


MARKED_MODULE = """
import pytest
from machinectl import create_registry
from machinectl.oracle import OracleConformance


class TestMarked(OracleConformance):
    distribution = "machinectl-testplugins"
    oracle_files = ("oracle_testboards.json",)

    @classmethod
    def make_registry(cls):
        return create_registry(group="machinectl.tests", only=["testboards"], strict=True)

    @classmethod
    def marks(cls, record, test=""):
        if test == "test_matches_qemu" and record["machine"] == "testnuma":
            return [pytest.mark.skip(reason="only this test of the record")]
        return ()
"""


def test_marks_can_target_one_test(tmp_path: Path) -> None:
    (tmp_path / "oracle_testboards.json").write_text(
        (Path(__file__).parent / "data" / "oracle_testboards.json").read_text()
    )
    (tmp_path / "test_marked.py").write_text(MARKED_MODULE)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "test_marked.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outcomes = dict(re.findall(r"::(test_\S+(?: \S+)*\]) (PASSED|SKIPPED|FAILED)", proc.stdout))
    assert outcomes == {
        "test_matches_qemu[testboard -]": "PASSED",
        "test_matches_qemu[testboard 32M -kernel dummy.bin]": "PASSED",
        "test_matches_qemu[testnuma -]": "SKIPPED",
        "test_matches_qemu[testnuma 128M -numa node,mem=128M]": "SKIPPED",
        "test_machine_type_facts[testboard -]": "PASSED",
        "test_machine_type_facts[testnuma -]": "PASSED",
        "test_oracle_covers_every_board[all]": "PASSED",
    }, proc.stdout


def test_import_without_pytest() -> None:
    """The harness module, its functions and a subclass, with pytest impossible to import."""
    code = (
        "import sys\n"
        "sys.modules['pytest'] = None\n"
        "import machinectl.oracle as oracle\n"
        f"records = oracle.load_records({str(DATA / 'oracle_testboards.json')!r})\n"
        "class Harness(oracle.OracleConformance):\n"
        "    distribution = 'machinectl-testplugins'\n"
        "print(oracle.argv_of(records[1]), Harness.is_default_run(records[0]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "['-M', 'testboard', '-m', '32M'] True\n"
