"""Check a board plugin against what QEMU itself did: the oracle harness.

An *oracle file* is a JSON list of records, one per QEMU command line, as
``tools/qemu_oracle.py`` writes them. A record names the command line (``machine``, ``size``:
the ``-m`` value or null, ``extra``: more arguments) and what QEMU did with it:

* refused: ``ok`` false, ``error`` (QEMU's first error line, without the program name) and
  ``stderr`` (every line it printed, hint lines after the error);
* accepted: ``ok`` true, ``memory-size-summary``, ``memdev`` (``query-memdev``), ``ram-map``
  (the RAM and ROM lines of ``info mtree -f``), ``warnings`` (what it printed on stderr) and
  ``machine-info`` (its ``query-machines`` entry);
* optionally ``ram-tree`` (the ``info mtree`` lines that place main RAM), ``stdout`` (the
  notices QEMU printed on stdout) and ``crashed`` (QEMU died from a signal: nothing to
  compare).

Subclass :class:`OracleConformance` in a plugin's tests, name the distribution and the files::

    from machinectl.oracle import OracleConformance

    class TestAgainstQemu(OracleConformance):
        distribution = "machinectl-acme"
        oracle_files = ("data/qemu72.json",)

Every record then becomes one test that builds the same command line with machinectl
(``allocate=False``) and checks that it is refused with QEMU's message and hint lines, or
accepted with QEMU's ``memory-size-summary``, the same backends (ids and sizes), main RAM at
the same places of the flat view (and of the tree, where recorded), the same warnings and the
same notices (where recorded). One
test per machine type compares the board's declared facts with QEMU's (name and alias, default
size and RAM id, NUMA, deprecation, device memory), and one test checks that the oracle covers
every machine type of the distribution. Besides main RAM, the board's windows (the regions
of devices, firmware and on-chip memory it maps, see :func:`windows_of`) are compared: those of
kind ``ram`` and ``rom`` always, since QEMU's records hold every such line, and those of kind
``io`` and ``romd`` where the record shows them (``tools/qemu_oracle.py --keep-region``
records them). Class attributes and methods adjust the comparison where a family needs it
(options to drop, more regions to compare, warnings to ignore, marks, extra assertions).

The module needs pytest only to run the tests: importing it, and the functions below, work
without it.

The functions below are the pieces of the harness, usable on their own.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .boards import Board
from .errors import MachineError
from .machine import Machine
from .memory import Kind
from .plugins import Registry, create_registry

if TYPE_CHECKING:
    import pytest

#: One oracle record: the JSON object ``tools/qemu_oracle.py`` writes for a command line.
Record = dict[str, Any]

#: Options that only get QEMU past its firmware and kernel checks; they say nothing about RAM.
LOADER_OPTIONS: frozenset[str] = frozenset({"-kernel", "-bios", "-L"})

#: QEMU's messages about devices machinectl does not model (network peers, firmware files).
DEVICE_NOISE = re.compile(
    r"(warning: nic \S+ has no peer|Failed to load firmware|Could not open option rom)"
)

_FLAT_REGION = re.compile(r"\): (?P<region>.+?)(?: @[0-9a-f]+)?$")


@functools.cache
def _load(path: Path) -> tuple[Record, ...]:
    records = json.loads(path.read_text())
    if not isinstance(records, list):
        raise TypeError(f"{path}: an oracle file holds a JSON list of records")
    return tuple(records)


def load_records(*paths: str | Path) -> list[Record]:
    """The records of one or more oracle files, in order.

    Each file is read once a session and its records are shared: copy one before changing it.

    :param paths: JSON files, each a list of records.
    """
    return [record for path in paths for record in _load(Path(path).resolve())]


def argv_of(
    record: Record, *, drop: Iterable[str] = LOADER_OPTIONS, machine: str | None = None
) -> list[str]:
    """The machinectl command line of a record: ``-M``, ``-m`` and the extra arguments.

    :param record: an oracle record.
    :param drop: options (each followed by its value) that only QEMU needs; they are left out.
    :param machine: build this machine type instead of the record's.
    """
    argv = ["-M", machine or record["machine"]]
    if record["size"] is not None:
        argv += ["-m", record["size"]]
    dropped = frozenset(drop)
    extra = iter(record.get("extra", ()))
    for option in extra:
        value = next(extra)
        if option not in dropped:
            argv += [option, value]
    return argv


def region_of(line: str) -> str:
    """The region a line of ``info mtree -f`` shows (``...): NAME`` or ``...): NAME @OFFSET``)."""
    match = _FLAT_REGION.search(line)
    return match["region"] if match else ""


def ram_map_of(machine: Machine, *, keep: Iterable[str] = ()) -> list[str]:
    """The machine's flat view as ``tools/qemu_oracle.py`` records QEMU's: the RAM and ROM lines,
    and the lines of the regions named in ``keep`` whatever their kind."""
    kept = frozenset(keep)
    return [
        line.strip()
        for line in machine.mtree_text(flat=True).splitlines()
        if ", ram)" in line or ", rom)" in line or (kept and region_of(line.strip()) in kept)
    ]


def windows_of(machine: Machine) -> dict[str, str]:
    """The machine's windows: every region it maps that is not main RAM, a container or an
    alias (device registers, holes, firmware, flash, on-chip memory), name -> the type QEMU
    prints for it (``i/o``, ``rom``, ``romd``, ``ram``)."""
    found: dict[str, str] = {}
    for _, region in machine.state.system_memory.walk():
        if region.parent is None or region.backend is not None:
            continue
        if region.kind in (Kind.IO, Kind.ROM, Kind.ROMD, Kind.RAM):
            found.setdefault(region.name, region.display_kind)
    return found


def lines_of(lines: Iterable[str], regions: Iterable[str]) -> list[str]:
    """The flat-view lines that show one of the named regions."""
    names = frozenset(regions)
    return [line.strip() for line in lines if region_of(line.strip()) in names]


def ram_tree_of(machine: Machine, ram_ids: Iterable[str]) -> list[str]:
    """The lines of ``info mtree`` (system address space) that place main RAM, an alias of it
    or the device-memory area (``tools/qemu_oracle.py --tree`` records QEMU's), sorted."""
    ids = "|".join(re.escape(i) for i in ram_ids)
    wanted = re.compile(rf"(: (?:{ids})$| @(?:{ids}) |: device-memory$)")
    section = machine.mtree_text().split("\n\n", 1)[0]
    return sorted(line.strip() for line in section.splitlines() if wanted.search(line.strip()))


def as_printed(warning: str) -> str:
    """A warning as the command line prints it (one tied to an option names that first)."""
    return warning if ": warning: " in warning else f"warning: {warning}"


def record_id(record: Record) -> str:
    """A test id for a record: machine type, ``-m`` value (``-`` for none) and extra arguments."""
    return " ".join([record["machine"], record["size"] or "-", *record.get("extra", ())])


class OracleConformance:
    """Subclass with ``distribution`` and ``oracle_files`` to check boards against QEMU's records.

    The class attributes and the methods below are the places to adjust the comparison; each
    keeps the default's checks unless it says otherwise.
    """

    #: The distribution whose machine types the records describe.
    distribution: ClassVar[str] = ""
    #: Oracle files, as glob patterns relative to the folder of the test module.
    oracle_files: ClassVar[Sequence[str]] = ()
    #: Options of the records' ``extra`` that only QEMU needs (see :func:`argv_of`).
    dropped_options: ClassVar[frozenset[str]] = LOADER_OPTIONS
    #: Regions compared line by line with main RAM, whether the record shows them or not.
    kept_regions: ClassVar[Sequence[str]] = ()
    #: Compare the board's windows too (:meth:`check_windows`); False leaves them out.
    keep_windows: ClassVar[bool] = True
    #: Compare every RAM and ROM line of the flat view, not only main RAM's.
    whole_ram_map: ClassVar[bool] = False
    #: Warnings left out on both sides: QEMU's noise about what machinectl does not model.
    ignored_warnings: ClassVar[re.Pattern[str]] = DEVICE_NOISE
    #: Machine types of the distribution that no record covers (removed from QEMU, say).
    unrecorded: ClassVar[frozenset[str]] = frozenset()

    # -- test generation -----------------------------------------------------------------------

    @classmethod
    def load(cls, folder: Path) -> list[Record]:
        """Every record of :attr:`oracle_files` below ``folder``, in file order."""
        paths = [p for pattern in cls.oracle_files for p in sorted(folder.glob(pattern))]
        if not paths:
            raise FileNotFoundError(f"no oracle files {list(cls.oracle_files)} in {folder}")
        return load_records(*paths)

    @classmethod
    def compared(cls, record: Record) -> bool:
        """Whether :meth:`test_matches_qemu` runs for a record (default: every one)."""
        return True

    @classmethod
    def marks(cls, record: Record, test: str = "") -> Sequence[pytest.MarkDecorator]:
        """pytest marks for the test of a record (an expected failure, say).

        ``test`` names the test function the record is given to: ``test_matches_qemu`` (every
        record :meth:`compared` lets through), ``test_machine_type_facts`` (the default runs)
        or a test of the subclass that takes a ``record`` or ``default_record`` argument. Return
        marks only for the one that should get them::

            @classmethod
            def marks(cls, record, test=""):
                if test == "test_matches_qemu" and record["machine"] == "virt-2.6":
                    return [pytest.mark.xfail(reason="QEMU 7.2 prints a second warning")]
                return ()

        An override that takes no ``test`` argument marks every test of the record.
        """
        return ()

    @classmethod
    def id_of(cls, record: Record) -> str:
        """The test id of a record (see :func:`record_id`)."""
        return record_id(record)

    @staticmethod
    def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
        """Parametrize ``record``, ``default_record`` and ``oracle_records`` (pytest's hook)."""
        import pytest

        cls = metafunc.cls
        if cls is None or not issubclass(cls, OracleConformance):
            return
        names = {"record", "default_record", "oracle_records"} & set(metafunc.fixturenames)
        if not names:
            return
        (name,) = names
        if not cls.distribution:
            pytest.fail(f"{cls.__name__} names no distribution")
        records = cls.load(metafunc.definition.path.parent)
        if name == "oracle_records":
            metafunc.parametrize(name, [records], ids=["all"])
            return
        if name == "record":
            chosen = [r for r in records if cls.compared(r)]
        else:
            chosen = [r for r in records if cls.is_default_run(r)]
        if not chosen:
            pytest.fail(f"{cls.__name__}: no records for {name}")
        test = metafunc.function.__name__
        harness: type[OracleConformance] = cls
        takes_test = "test" in inspect.signature(harness.marks).parameters

        def marks(record: Record) -> Sequence[pytest.MarkDecorator]:
            return harness.marks(record, test=test) if takes_test else harness.marks(record)

        metafunc.parametrize(
            name, [pytest.param(r, id=cls.id_of(r), marks=marks(r)) for r in chosen]
        )

    @classmethod
    def is_default_run(cls, record: Record) -> bool:
        """Whether a record is a machine type run as it is: accepted, with no ``-m`` and no
        option machinectl would see (its declared facts are checked against it)."""
        return record.get("ok") is True and record["size"] is None and len(cls.argv(record)) == 2

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The class-scoped ``oracle_registry`` fixture is made when a test module subclasses
        # the harness, so that importing this module does not need pytest.
        super().__init_subclass__(**kwargs)
        if "_oracle_registry" not in vars(OracleConformance):
            try:
                import pytest
            except ImportError:  # a harness defined outside a test run (documentation, say)
                return

            def oracle_registry(harness: type[OracleConformance]) -> Registry:
                """The registry the records are built with (see :meth:`make_registry`)."""
                return harness.make_registry()

            # pytest takes a classmethod for a class-scoped fixture; its types do not say so.
            fixture = pytest.fixture(scope="class", name="oracle_registry")(
                classmethod(oracle_registry)  # type: ignore[arg-type]
            )
            # A private attribute: the fixture is known by its name, not by the attribute's.
            OracleConformance._oracle_registry = fixture  # type: ignore[attr-defined]

    @classmethod
    def make_registry(cls) -> Registry:
        """A registry with only this distribution's plugins, where any plugin failure is an
        error."""
        return create_registry(only=[cls.distribution], strict=True)

    # -- the tests -----------------------------------------------------------------------------

    def test_matches_qemu(self, record: Record, oracle_registry: Registry) -> None:
        """One record: machinectl does with its command line what QEMU did."""
        self.compare(oracle_registry, record)

    def test_machine_type_facts(self, default_record: Record, oracle_registry: Registry) -> None:
        """One machine type run as it is: the board declares what QEMU reported of it."""
        record, info = default_record, default_record["machine-info"]
        board = oracle_registry.board(record["machine"])
        summary = record["memory-size-summary"]
        assert board.name == info["name"]
        assert board.spec.alias == info.get("alias")
        assert board.spec.deprecated == info.get("deprecated", False)
        assert board.spec.numa_mem_supported == info["numa-mem-supported"]
        assert oracle_registry.default_ram_id(board) == info.get("default-ram-id")
        assert oracle_registry.default_ram_size(board) == summary["base-memory"]
        assert board.spec.memory_devices == ("plugged-memory" in summary)

    def test_oracle_covers_every_board(
        self, oracle_records: list[Record], oracle_registry: Registry
    ) -> None:
        """The records cover every machine type of the distribution but :attr:`unrecorded`."""
        recorded = {
            oracle_registry.board(r["machine"]).name
            for r in oracle_records
            if self.is_default_run(r)
        }
        declared = {b.name for b in self.boards(oracle_registry)}
        assert recorded | self.unrecorded == declared
        assert not recorded & self.unrecorded

    def boards(self, registry: Registry) -> list[Board]:
        """The machine types of :attr:`distribution` in ``registry``."""
        return [b for b in registry.boards if b.distribution == self.distribution]

    # -- the comparison ------------------------------------------------------------------------

    def compare(self, registry: Registry, record: Record) -> None:
        """Build the record's command line and check everything QEMU reported."""
        import pytest

        if record.get("crashed"):
            pytest.skip("QEMU 7.2 itself crashes on this command line: nothing to compare")
        argv = self.argv(record)
        if not record["ok"]:
            with pytest.raises(MachineError) as refused:
                Machine.from_argv(argv, registry=registry, allocate=False).close()
            self.check_refusal(refused.value, record)
            return
        with Machine.from_argv(argv, registry=registry, allocate=False) as machine:
            self.check_machine(machine, record)

    @classmethod
    def argv(cls, record: Record) -> list[str]:
        """machinectl's command line for a record (default: :func:`argv_of`)."""
        return argv_of(record, drop=cls.dropped_options)

    def check_refusal(self, error: MachineError, record: Record) -> None:
        """QEMU's first error line, and the lines it printed after it as the hint."""
        assert str(error) == record["error"]
        stderr = record.get("stderr", [record["error"]])
        after = stderr[stderr.index(record["error"]) + 1 :]
        hint = error.hint.splitlines() if error.hint else []
        assert hint == [line for line in after if not self.ignored_warnings.search(line)]

    def check_machine(self, machine: Machine, record: Record) -> None:
        """Everything QEMU reported for an accepted command line; extend it for more checks."""
        query = machine.query()
        assert query["memory-size-summary"] == record["memory-size-summary"]
        assert sorted((d["id"], d["size"]) for d in query["memdev"]) == sorted(
            (d["id"], d["size"]) for d in record["memdev"]
        )
        assert self.actual_ram_map(machine, record) == self.expected_ram_map(record)
        if self.keep_windows:
            self.check_windows(machine, record)
        if "ram-tree" in record:
            ids = [d["id"] for d in record["memdev"]]
            assert ram_tree_of(machine, ids) == sorted(record["ram-tree"])
        assert self.actual_warnings(machine) == self.expected_warnings(record)
        if "stdout" in record:
            assert machine.notices == record["stdout"]

    def compared_regions(self, record: Record) -> frozenset[str] | None:
        """The regions whose flat-view lines are compared (None: every RAM and ROM line)."""
        if self.whole_ram_map:
            return None
        return frozenset(d["id"] for d in record["memdev"]) | frozenset(self.kept_regions)

    def expected_ram_map(self, record: Record) -> list[str]:
        """QEMU's flat-view lines that are compared."""
        regions = self.compared_regions(record)
        lines: list[str] = record["ram-map"]
        return lines if regions is None else lines_of(lines, regions)

    def actual_ram_map(self, machine: Machine, record: Record) -> list[str]:
        """machinectl's flat-view lines that are compared."""
        regions = self.compared_regions(record)
        lines = ram_map_of(machine, keep=self.kept_regions)
        return lines if regions is None else lines_of(lines, regions)

    def compared_windows(self, machine: Machine, record: Record) -> frozenset[str]:
        """The windows of ``machine`` (see :func:`windows_of`) that :meth:`check_windows`
        compares: those of kind ``ram`` and ``rom`` (QEMU's records hold every such line),
        and those of kind ``i/o`` and ``romd`` that the record shows."""
        shown = {region_of(line) for line in record["ram-map"]}
        return frozenset(
            name
            for name, kind in windows_of(machine).items()
            if kind in ("ram", "rom") or name in shown
        )

    def check_windows(self, machine: Machine, record: Record) -> None:
        """The board's windows sit where QEMU's do, with QEMU's types (:attr:`keep_windows`)."""
        windows = self.compared_windows(machine, record)
        ours = lines_of(ram_map_of(machine, keep=windows), windows)
        assert ours == lines_of(record["ram-map"], windows)

    def expected_warnings(self, record: Record) -> list[str]:
        """QEMU's warnings as it printed them, less :attr:`ignored_warnings`."""
        return [w for w in record["warnings"] if not self.ignored_warnings.search(w)]

    def actual_warnings(self, machine: Machine) -> list[str]:
        """machinectl's warnings as the command line prints them, less
        :attr:`ignored_warnings`."""
        printed = map(as_printed, machine.warnings)
        return [w for w in printed if not self.ignored_warnings.search(w)]


__all__ = [
    "DEVICE_NOISE",
    "LOADER_OPTIONS",
    "OracleConformance",
    "Record",
    "argv_of",
    "as_printed",
    "lines_of",
    "load_records",
    "ram_map_of",
    "ram_tree_of",
    "record_id",
    "region_of",
    "windows_of",
]
