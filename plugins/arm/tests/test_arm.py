"""The arm boards against QEMU.

``data/qemu72.json`` is what QEMU 7.2 did (``tools/make_oracle.py`` writes it); machine types
QEMU 7.2 no longer has are checked against the QEMU 5.0 reference records in
``data/qemu50_removed.json``.

Main RAM is compared as spans of the flat view outside the ranges where a board's layout is
simplified (``simplified_ranges``): only the QEMU 5.0 names ``raspi2`` and ``raspi3`` keep one
opaque peripheral window; every board of QEMU 7.2 has its devices as QEMU maps them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import attrs
import machinectl_arm
import pytest
from machinectl import Machine, MachineError, create_registry
from machinectl.boards import BoardFacts
from machinectl.memory import Kind, MemoryRegion
from machinectl.oracle import OracleConformance, Record, as_printed, load_records, ram_map_of
from machinectl.plugins import Registry
from machinectl.testing import BoardConformance
from machinectl.units import GiB, MiB
from machinectl_arm import soc_boards
from machinectl_arm.layouts import RamContainer, own_regions, simplified_ranges

DATA = Path(__file__).parent / "data"
ORACLE = load_records(DATA / "qemu72.json")
REMOVED: list[dict[str, Any]] = json.loads((DATA / "qemu50_removed.json").read_text())
TREE_RUNS = [r for r in ORACLE if r["probe"] == "tree"]
FACTS = {facts.name: facts for facts in machinectl_arm.RECORDS}

#: The machine types this distribution provides.
BOARDS = {
    "palmetto-bmc", "ast2500-evb", "romulus-bmc", "swift-bmc", "witherspoon-bmc", "ast2600-evb",
    "tacoma-bmc", "supermicrox11-bmc", "quanta-q71l-bmc", "sonorapass-bmc", "fp5280g2-bmc",
    "g220a-bmc", "rainier-bmc", "fuji-bmc", "bletchley-bmc", "qcom-dc-scm-v1-bmc",
    "qcom-firework-bmc", "fby35-bmc", "ast1030-evb",
    "collie", "cubieboard", "canon-a1100", "highbank", "midway", "imx25-pdk", "integratorcp",
    "kzm", "mcimx6ul-evk", "mcimx7d-sabre", "mps2-an505", "mps2-an521", "mps3-an524",
    "mps3-an547", "mps2-an385", "mps2-an386", "mps2-an500", "mps2-an511", "musicpal", "n800",
    "n810", "sx1", "sx1-v1", "cheetah", "sabrelite",
    "raspi0", "raspi1ap", "raspi2b", "raspi3ap", "raspi3b", "raspi2", "raspi3",
    "sbsa-ref", "versatilepb", "versatileab", "vexpress-a9", "vexpress-a15",
    "xilinx-zynq-a9", "xlnx-versal-virt", "xlnx-zcu102",
    "virt-2.6", "virt-2.7", "virt-2.8", "virt-2.9", "virt-2.10", "virt-2.11", "virt-2.12",
    "virt-3.0", "virt-3.1", "virt-4.0", "virt-4.1", "virt-4.2", "virt-5.0", "virt-5.1",
    "virt-5.2", "virt-6.0", "virt-6.1", "virt-6.2", "virt-7.0", "virt-7.1", "virt-7.2",
    *(facts.name for facts in soc_boards.RECORDS),
}  # fmt: skip

_FLAT_LINE = re.compile(
    r"(?P<start>[0-9a-f]+)-(?P<end>[0-9a-f]+) \(prio (?P<prio>-?\d+), (?P<kind>[a-z/]+)\): "
    r"(?P<region>.+?)(?: @(?P<offset>[0-9a-f]+))?$"
)


#: The start of a message QEMU printed on the same line as the one before it.
GLUED = re.compile(r"qemu-system-\w+: .*$")


@attrs.frozen(order=True)
class Span:
    """Where a part of a RAM region shows: ``[start, end)`` from ``offset`` in the region."""

    start: int
    end: int
    offset: int
    region: str
    priority: int


@pytest.fixture(scope="module")
def registry() -> Registry:
    return create_registry(only=["machinectl-arm"], strict=True)


def spans(lines: Iterable[str], names: Iterable[str]) -> list[Span]:
    """The flat-view lines of the named regions as spans."""
    wanted = set(names)
    found = []
    for line in lines:
        match = _FLAT_LINE.match(line)
        assert match is not None, line
        if match["region"] in wanted:
            found.append(
                Span(
                    int(match["start"], 16),
                    int(match["end"], 16) + 1,
                    int(match["offset"] or "0", 16),
                    match["region"],
                    int(match["prio"]),
                )
            )
    return found


def outside(spans: list[Span], masked: list[tuple[int, int]]) -> list[Span]:
    """The spans with the masked ranges cut out, rejoined where they stay contiguous."""
    pieces = list(spans)
    for lo, hi in masked:
        cut = []
        for s in pieces:
            if s.end <= lo or s.start >= hi:
                cut.append(s)
                continue
            if s.start < lo:
                cut.append(attrs.evolve(s, end=lo))
            if s.end > hi:
                cut.append(attrs.evolve(s, start=hi, offset=s.offset + hi - s.start))
        pieces = cut
    joined: list[Span] = []
    for s in sorted(pieces):
        last = joined[-1] if joined else None
        if (
            last is not None
            and (last.end, last.region, last.priority) == (s.start, s.region, s.priority)
            and last.offset + (last.end - last.start) == s.offset
        ):
            joined[-1] = attrs.evolve(last, end=s.end)
        else:
            joined.append(s)
    return joined


class TestAgainstQemu(OracleConformance):
    distribution = "machinectl-arm"
    oracle_files = ("data/qemu72.json",)
    #: Machine types QEMU 7.2 no longer has, and those of ``soc_boards`` (test_arm_soc.py).
    unrecorded = frozenset(r["machine"] for r in REMOVED) | {f.name for f in soc_boards.RECORDS}
    #: The scratch folder that stands for ``{tmpdir}`` in the records' arguments.
    scratch: ClassVar[Path] = Path()

    def compared_windows(self, machine: Machine, record: Record) -> frozenset[str]:
        """Every window but n800/n810's OneNAND buffer: QEMU maps it as an alias with
        priority 0, machinectl as a window of priority 1 (docs/machine-types.rst)."""
        return super().compared_windows(machine, record) - {"onenand.ram"}

    @pytest.fixture(autouse=True, scope="class")
    @classmethod
    def _scratch(cls, tmp_path_factory: pytest.TempPathFactory) -> None:
        cls.scratch = tmp_path_factory.mktemp("arm")

    @classmethod
    def compared(cls, record: Record) -> bool:
        # The tree probes are checked by test_region_tree_matches_qemu.
        return record["probe"] in ("size", "numa")

    @classmethod
    def argv(cls, record: Record) -> list[str]:
        # machinectl-extra: the record's arguments less those only QEMU needs (-kernel ...).
        args = ["-M", record["machine"]]
        if record["size"] is not None:
            args += ["-m", record["size"]]
        return args + [a.replace("{tmpdir}", str(cls.scratch)) for a in record["machinectl-extra"]]

    @classmethod
    def id_of(cls, record: Record) -> str:
        extra = " ".join(a for a in record["machinectl-extra"] if "=" in a and "{" not in a)
        name = f"{record['machine']}-m{record['size']}" + (f"-{extra}" if extra else "")
        return name if record["probe"] == "size" else f"{name}-{record['probe']}"

    def expected_warnings(self, record: Record) -> list[str]:
        # QEMU prints the ZCU102's warning about small RAM as "WARNING: ..." without a line end
        # (the next message follows on the same line); machinectl prints it as a warning.
        lines = [GLUED.sub("", w).removeprefix("WARNING: ") for w in record["warnings"]]
        return super().expected_warnings({**record, "warnings": list(map(as_printed, lines))})

    def expected_ram_map(self, record: Record) -> list[str]:
        names = [d["id"] for d in record["memdev"]]
        masked = simplified_ranges(FACTS[record["machine"]])
        return [repr(s) for s in outside(spans(record["ram-map"], names), masked)]

    def actual_ram_map(self, machine: Machine, record: Record) -> list[str]:
        names = [d["id"] for d in record["memdev"]]
        masked = simplified_ranges(FACTS[record["machine"]])
        return [repr(s) for s in outside(spans(ram_map_of(machine), names), masked)]


# -- which boards -------------------------------------------------------------------------------


def test_declares_exactly_the_arm_boards(registry: Registry) -> None:
    declared = {spec.name for spec in machinectl_arm.plugin.register_boards()}
    assert declared == BOARDS
    assert {b.name for b in registry.boards} == BOARDS | {"none"}
    assert not registry.failures


def test_virt_alias_is_the_newest_version(registry: Registry) -> None:
    aliased = {b.spec.alias: b.name for b in registry.boards if b.spec.alias}
    assert aliased == {"virt": "virt-7.2"}
    assert registry.board("virt").name == "virt-7.2"


def test_every_board_qemu_still_has_was_asked_about_numa() -> None:
    removed = {r["machine"] for r in REMOVED}
    soc = {facts.name for facts in soc_boards.RECORDS}
    assert {r["machine"] for r in ORACLE if r["probe"] == "numa"} == BOARDS - removed - soc


# -- QEMU 5.0 (machine types QEMU 7.2 no longer has) -------------------------------------------


@pytest.mark.parametrize("reference", REMOVED, ids=lambda r: r["machine"])
def test_removed_machine_types_match_qemu_5_0(
    registry: Registry, reference: dict[str, Any]
) -> None:
    board = registry.board(reference["machine"])
    assert board.spec.deprecated
    assert registry.default_ram_id(board) == reference["default_ram_id"]
    assert registry.default_ram_size(board) == reference["default_ram_size"]
    base = int(reference["ram_base"], 16)
    rule = reference["rules"][0]
    allowed = rule["value"] if rule["kind"] == "allowed_set" else [rule["value"]]
    ram_id = reference["default_ram_id"]
    masked = simplified_ranges(FACTS[board.name])
    for size in allowed:
        args = ["-M", board.name, "-m", f"{size}b"]
        with Machine.from_argv(args, registry=registry, allocate=False) as machine:
            expected = [Span(base, base + size, 0, ram_id, 0)]
            ours = spans(ram_map_of(machine), [ram_id])
            assert outside(ours, masked) == outside(expected, masked)
    refused = rule["message_example"]
    if rule["kind"] == "fixed":
        wrong = rule["value"] // 2
    else:
        number, unit = refused.split()[-2:]
        wrong = int(number) * {"MiB": MiB, "GiB": GiB}[unit]
    with pytest.raises(MachineError) as error:
        Machine.from_argv(["-M", board.name, "-m", f"{wrong}b"], registry=registry, allocate=False)
    assert str(error.value) == refused


# -- the region tree, which QEMU's flat view does not show -------------------------------------


def placement(line: str) -> tuple[str, str]:
    """``("START-END (prio P", name)`` of an ``info mtree`` line (an alias by its own name)."""
    head, name = line.strip().split("): ", 1)
    return head.split(",")[0], name.split(" ")[1] if name.startswith("alias ") else name


@pytest.mark.parametrize("record", TREE_RUNS, ids=lambda r: r["machine"])
def test_region_tree_matches_qemu(registry: Registry, record: dict[str, Any]) -> None:
    facts = FACTS[record["machine"]]
    with Machine.from_argv(["-M", facts.name], registry=registry, allocate=False) as machine:
        system = machine.mtree_text().split("\n\n", 1)[0]
        ours = {placement(line) for line in system.splitlines() if "): " in line}
        missing = {name for name, lines in record["tree"].items() if not lines}
        assert missing == own_regions(facts, facts.default_ram_id)
        for name, lines in record["tree"].items():
            mine = {p for p in ours if p[1] == name}
            if lines:
                assert mine, name
                assert mine <= {placement(line) for line in lines}, name
        if "vcram-base" in record:
            videocore = region_named(machine, "ram-videocore")
            assert (videocore.absolute_address(), videocore.size) == (
                record["vcram-base"],
                record["vcram-size"],
            )
            arm = region_named(machine, "ram-arm")
            assert (arm.absolute_address(), arm.size) == (0, record["vcram-base"])


def region_named(machine: Machine, name: str) -> MemoryRegion:
    return next(r for _, r in machine.state.system_memory.walk() if r.name == name)


def _build(registry: Registry, name: str, size: int) -> Machine:
    return Machine.from_argv(["-M", name, "-m", f"{size}b"], registry=registry, allocate=False)


def _tree(machine: Machine) -> dict[str, tuple[int, int, int]]:
    """Every region of the system tree by name: (absolute start, size, priority)."""
    return {
        region.name: (region.absolute_address(), region.size, region.priority)
        for _, region in machine.state.system_memory.walk()
    }


@pytest.mark.parametrize(
    "facts", [f for f in machinectl_arm.RECORDS if "container" in f.extra], ids=lambda f: f.name
)
def test_aspeed_filler_runs_from_ram_to_the_soc_maximum(
    registry: Registry, facts: BoardFacts
) -> None:
    container: RamContainer = facts.extra["container"]
    for rule in facts.rules:
        for size in getattr(rule, "sizes", ()):
            with _build(registry, facts.name, size) as machine:
                tree = _tree(machine)
                assert tree[container.name] == (facts.ram_base, container.size, 0)
                if size < container.max_ram:
                    assert tree[container.filler] == (
                        facts.ram_base + size,
                        container.max_ram - size,
                        container.filler_priority,
                    )
                else:
                    assert container.filler not in tree


def test_ast1030_maps_no_ram_even_with_m(registry: Registry) -> None:
    with _build(registry, "ast1030-evb", 64 * MiB) as machine:
        assert machine.state.ram is not None
        # Only the SoC's own SRAM shows as RAM: main RAM is mapped nowhere.
        shown = {r["region"] for r in machine.query()["mtree"]["flat"] if r["kind"] == "ram"}
        assert shown == {"aspeed.sram.0"}


def test_vexpress_a9_low_alias_is_under_the_flash_alias(registry: Registry) -> None:
    with _build(registry, "vexpress-a9", 128 * MiB) as machine:
        tree = _tree(machine)
        assert tree["vexpress.lowmem"] == (0, 64 * MiB, 0)
        flat = machine.query()["mtree"]["flat"]
        assert (flat[0]["start"], flat[0]["kind"], flat[0]["region"]) == (
            0,
            "romd",
            "vexpress.flash0",
        )


def test_mps3_ram_sits_inside_the_gate(registry: Registry) -> None:
    facts = FACTS["mps3-an524"]
    with _build(registry, facts.name, facts.default_ram_size) as machine:
        gate = machine.state.system_memory.subregions[0]
        assert (gate.name, gate.kind, gate.offset) == (
            facts.extra["gate"].name,
            Kind.CONTAINER,
            facts.ram_base,
        )
        assert gate.subregions == [machine.state.ram]


def test_every_board_explains_its_layout(registry: Registry) -> None:
    for board in registry.boards:
        if board.name == "none":
            continue
        facts = FACTS[board.name]
        lines = registry.describe_board(board)
        assert [rule.words() for rule in facts.rules] == lines[: len(facts.rules)]
        assert lines[-len(facts.notes) :] == list(facts.notes)
        assert facts.notes, f"{board.name} has no notes"


class TestConformance(BoardConformance):
    distribution = "machinectl-arm"
