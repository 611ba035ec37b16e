"""The board conformance kit: standard checks every board plugin runs against its boards.

Enable it in a board plugin's tests by subclassing :class:`BoardConformance` and naming the
distribution whose boards to check::

    from machinectl.testing import BoardConformance

    class TestConformance(BoardConformance):
        distribution = "machinectl-arm"

Each check (a ``test_`` method of the class, listed in the reference with what it checks) then
runs once per machine type of that distribution. Class attributes adjust the checks; to leave
a check out for a plugin, override its method with one that calls ``pytest.skip``.

The module is also a pytest plugin (entry point ``machinectl``): it provides the
``machinectl_registry`` fixture.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from typing import ClassVar

import pytest

from .boards import EVERY_TARGET, Board
from .errors import MachineError
from .machine import Machine
from .memory import FlatRange, Kind, MemoryRegion, flatten
from .plugins import Registry, create_registry
from .units import GiB

#: Sizes, in MiB, every board is probed with (1 MiB to 8 GiB, QEMU's common ``-m`` values).
PROBE_SIZES = (1, 2, 4, 8, 16, 32, 64, 100, 128, 256, 512, 768, 1024, 2048, 3072, 4096, 8192)
_ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9._-]*\Z")
#: Largest default size the kit allocates for real (lazily: nothing is preallocated).
ALLOCATION_LIMIT = 2 * GiB


@pytest.fixture(scope="session")
def machinectl_registry() -> Registry:
    """A registry with every installed plugin, shared by a test session."""
    return create_registry()


def _boards(distribution: str) -> list[Board]:
    registry = create_registry()
    return sorted(
        (b for b in registry.boards if b.distribution == distribution),
        key=lambda b: b.name,
    )


class BoardConformance:
    """Subclass with ``distribution = "<your distribution>"`` to run the standard checks.

    The class attributes below are the knobs; each check says which ones it reads.
    """

    #: The distribution whose machine types are checked (required).
    distribution: ClassVar[str] = ""
    #: The ``-m`` values, in MiB, that :meth:`test_refused_sizes_are_clear_errors` tries.
    probe_sizes: ClassVar[Sequence[int]] = PROBE_SIZES
    #: The largest default RAM size the checks that allocate host memory allocate (lazily:
    #: nothing is preallocated); boards with more are skipped by those checks.
    allocation_limit: ClassVar[int] = ALLOCATION_LIMIT
    #: Windows that may lie under RAM and be hidden by it
    #: (:meth:`test_windows_hide_the_ram_they_overlap`).
    hidden_windows: ClassVar[frozenset[str]] = frozenset()
    #: Aliases that may reach past the end of main RAM
    #: (:meth:`test_aliases_land_inside_main_ram`).
    aliases_past_ram: ClassVar[frozenset[str]] = frozenset()

    @staticmethod
    def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
        """Parametrize ``board`` with the machine types of :attr:`distribution` (pytest's hook)."""
        if "board" not in metafunc.fixturenames:
            return
        cls = metafunc.cls
        distribution = getattr(cls, "distribution", "")
        boards = _boards(distribution) if distribution else []
        if not boards:
            pytest.fail(f"no boards of distribution {distribution!r} are installed")
        names = [b.name for b in boards]
        # A name several targets have is told apart by the board's targets: virt@riscv64.
        ids = [
            f"{b.name}@{','.join(b.targets)}" if names.count(b.name) > 1 else b.name for b in boards
        ]
        metafunc.parametrize("board", boards, ids=ids)

    def test_has_boards(self, machinectl_registry: Registry) -> None:
        """The distribution is installed and declares at least one machine type."""
        assert any(b.distribution == self.distribution for b in machinectl_registry.boards), (
            f"distribution {self.distribution!r} declares no boards"
        )

    def test_default_size_passes_its_own_rules(
        self, board: Board, machinectl_registry: Registry
    ) -> None:
        """The board builds without ``-m``: its default size passes its own ``validate_ram``,
        and main RAM is that size (rounded up to 8 KiB, as QEMU does)."""
        with _build(machinectl_registry, board) as machine:
            size = machinectl_registry.default_ram_size(board)
            assert machine.state.ram_size == (size + 8191) // 8192 * 8192 or size == 0

    def test_default_ram_id_is_well_formed(
        self, board: Board, machinectl_registry: Registry
    ) -> None:
        """The default RAM id is absent or follows QEMU's identifier rules (a letter, then
        letters, digits, ``.``, ``_`` and ``-``)."""
        ram_id = machinectl_registry.default_ram_id(board)
        assert ram_id is None or _ID_RE.match(ram_id), f"bad default RAM id {ram_id!r}"

    def test_refused_sizes_are_clear_errors(
        self, board: Board, machinectl_registry: Registry
    ) -> None:
        """Every size of :attr:`probe_sizes` is accepted or refused with a
        :class:`~machinectl.MachineError` of one non-empty line (never another exception)."""
        for mib in self.probe_sizes:
            try:
                _build(machinectl_registry, board, "-m", f"{mib}M").close()
            except MachineError as exc:
                text = str(exc)
                assert text.strip(), f"-m {mib}M: empty message"
                assert "\n" not in text, f"-m {mib}M: message of several lines: {text!r}"

    def test_init_board_maps_the_ram_it_was_given(
        self, board: Board, machinectl_registry: Registry
    ) -> None:
        """``init_board`` maps main RAM (or aliases of it) and no RAM of its own: every region
        backed by host memory is a backend the core created."""
        with _build(machinectl_registry, board) as machine:
            given = {id(b) for b in machine.ram_backends}
            for region in _ram_regions(machine.state.system_memory):
                assert region.backend is not None
                assert id(region.backend) in given or region.backend in machine.backends, (
                    f"RAM region '{region.name}' was not given by the core"
                )
            if machine.state.ram is not None and machine.state.ram_size:
                shown = [r for r in flatten(machine.state.system_memory) if r.region_ref.backend]
                assert shown, "main RAM is not mapped anywhere"

    def test_no_overlapping_ram(self, board: Board, machinectl_registry: Registry) -> None:
        """No two placements of main RAM (the region, or aliases of it) overlap in the guest
        address space."""
        with _build(machinectl_registry, board) as machine:
            spans = sorted(_ram_placements(machine.state.system_memory))
            for (a_start, a_end, a_name), (b_start, _, b_name) in itertools.pairwise(spans):
                assert a_end <= b_start, (
                    f"RAM '{a_name}' [{a_start:#x}, {a_end:#x}) overlaps '{b_name}' at {b_start:#x}"
                )

    def test_aliases_land_inside_main_ram(
        self, board: Board, machinectl_registry: Registry
    ) -> None:
        """Every alias of main RAM, followed through any chain of aliases, shows a part of
        main RAM that exists: it does not reach past its end (:attr:`aliases_past_ram`
        lists the exceptions)."""
        with _build(machinectl_registry, board) as machine:
            for _, region in machine.state.system_memory.walk():
                if region.alias_target is None or region.name in self.aliases_past_ram:
                    continue
                target, offset = region.ram_target()
                if not _holds_ram(target):
                    continue
                assert offset + region.size <= target.size, (
                    f"alias '{region.name}' shows [{offset:#x}, {offset + region.size:#x}) of "
                    f"'{target.name}', which has {target.size:#x} bytes"
                )

    def test_ram_ranges_match_the_flat_view(
        self, board: Board, machinectl_registry: Registry
    ) -> None:
        """With host memory allocated, :meth:`~machinectl.Machine.ram_ranges` lists exactly the
        bytes of the flat view that a host backend holds, at the right host addresses, and
        nothing else (boards above :attr:`allocation_limit` are skipped)."""
        size = machinectl_registry.default_ram_size(board)
        if size == 0 or size > self.allocation_limit:
            reason = "has no RAM" if size == 0 else f"is {size} bytes, over the test's limit"
            pytest.skip(f"nothing to allocate for real: the board's default configuration {reason}")
        with _build(machinectl_registry, board, allocate=True) as machine:
            flat = [r for r in flatten(machine.state.system_memory) if r.region_ref.backend]
            expected = [_host_range(r) for r in flat]
            ranges = [
                (r.guest_address, r.size, r.memdev, r.host_address) for r in machine.ram_ranges()
            ]
            assert ranges == expected

    def test_windows_hide_the_ram_they_overlap(
        self, board: Board, machinectl_registry: Registry
    ) -> None:
        """A window (a device, firmware or on-chip memory region) that overlaps main RAM shows
        there: its priority, or its place after RAM at equal priority, hides the RAM. A window
        that RAM hides instead is a mistake unless :attr:`hidden_windows` names it."""
        with _build(machinectl_registry, board) as machine:
            root = machine.state.system_memory
            flat = flatten(root)
            ram = list(_ram_placements(root))
            for start, end, window in _window_placements(root):
                if window.name in self.hidden_windows:
                    continue
                for ram_start, ram_end, ram_name in ram:
                    lo, hi = max(start, ram_start), min(end, ram_end)
                    if lo >= hi:
                        continue
                    hidden = [
                        r for r in flat if r.start < hi and r.end > lo and r.region_ref.backend
                    ]
                    assert not hidden, (
                        f"window '{window.name}' [{lo:#x}, {hi:#x}) lies under RAM '{ram_name}', "
                        "which hides it"
                    )

    def test_allocated_ram_is_writable(self, board: Board, machinectl_registry: Registry) -> None:
        """Allocated for real, each main-RAM backend can be written at its first and last byte
        and reads back what was written (boards above :attr:`allocation_limit` are skipped)."""
        size = machinectl_registry.default_ram_size(board)
        if size == 0 or size > self.allocation_limit:
            reason = "has no RAM" if size == 0 else f"is {size} bytes, over the test's limit"
            pytest.skip(f"nothing to allocate for real: the board's default configuration {reason}")
        with _build(machinectl_registry, board, allocate=True) as machine:
            for backend in machine.ram_backends:
                view = backend.view()
                view[0] = 0x5A
                view[len(view) - 1] = 0xA5
                assert (view[0], view[len(view) - 1]) == (0x5A, 0xA5)
                view.release()


def _build(registry: Registry, board: Board, *argv: str, allocate: bool = False) -> Machine:
    # The board's own target: another target may have a machine type of the same name.
    target = next((t for t in board.targets if t != EVERY_TARGET), None)
    return Machine.from_argv(
        ["-M", board.name, *argv], registry=registry, allocate=allocate, target=target
    )


def _is_main_ram(region: MemoryRegion) -> bool:
    """Whether a region is host-backed RAM (a ``ram`` window without a backend is a device's
    own memory: on-chip SRAM, video RAM)."""
    return region.kind is Kind.RAM and region.backend is not None


def _ram_regions(root: MemoryRegion) -> Iterator[MemoryRegion]:
    """Regions of main RAM (backed by a host memory backend) that ``root`` shows."""
    for _, region in root.walk():
        target, _ = region.ram_target()
        if _is_main_ram(target):
            yield target


def _ram_placements(root: MemoryRegion) -> Iterator[tuple[int, int, str]]:
    """Guest ranges where a region that shows RAM is placed (aliases and RAM itself)."""

    def visit(region: MemoryRegion, base: int) -> Iterator[tuple[int, int, str]]:
        start = base + region.offset
        target, _ = region.ram_target()
        if region.alias_target is not None:
            if _holds_ram(target):
                yield start, start + region.size, region.name
            return
        if _is_main_ram(region):
            yield start, start + region.size, region.name
            return
        for sub in region.subregions:
            yield from visit(sub, start)

    for sub in root.subregions:
        yield from visit(sub, 0)


def _holds_ram(region: MemoryRegion) -> bool:
    return any(_is_main_ram(r) for _, r in region.walk())


def _window_placements(root: MemoryRegion) -> Iterator[tuple[int, int, MemoryRegion]]:
    """Guest ranges of the windows: regions mapped in the tree that are not main RAM, a
    container or an alias."""
    for _, region in root.walk():
        if region.parent is None or region.backend is not None:
            continue
        if region.kind in (Kind.IO, Kind.ROM, Kind.ROMD, Kind.RAM):
            start = region.absolute_address()
            yield start, start + region.size, region


def _host_range(flat: FlatRange) -> tuple[int, int, str, int]:
    backend = flat.region_ref.backend
    assert backend is not None
    return flat.start, flat.size, backend.id, backend.host_address + flat.offset


__all__ = ["PROBE_SIZES", "BoardConformance", "machinectl_registry"]
