"""The board conformance kit: standard checks every board plugin runs against its boards.

Enable it in a board plugin's tests by subclassing :class:`BoardConformance` and naming the
distribution whose boards to check::

    from machinectl.testing import BoardConformance

    class TestConformance(BoardConformance):
        distribution = "machinectl-arm"

Each check then runs once per machine type of that distribution:

* the default size passes the board's own ``validate_ram``;
* the default RAM id is well formed (QEMU's identifier rules) or absent;
* every refused size is a :class:`~machinectl.MachineError` with a one-line message;
* ``init_board`` maps the RAM it was given and allocates none of its own;
* no two mappings of RAM overlap in the guest address space;
* a small machine allocated for real can be written through every RAM range.

The module is also a pytest plugin (entry point ``machinectl``): it provides the
``machinectl_registry`` fixture.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import ClassVar

import pytest

from .boards import EVERY_TARGET, Board
from .errors import MachineError
from .machine import Machine
from .memory import Kind, MemoryRegion, flatten
from .plugins import Registry, create_registry
from .units import GiB

#: Sizes every board is probed with (1 MiB to 8 GiB, QEMU's common ``-m`` values).
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
    """Subclass with ``distribution = "<your distribution>"`` to run the standard checks."""

    distribution: ClassVar[str] = ""

    @staticmethod
    def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
        if "board" not in metafunc.fixturenames:
            return
        cls = metafunc.cls
        distribution = getattr(cls, "distribution", "")
        boards = _boards(distribution) if distribution else []
        if not boards:
            pytest.fail(f"no boards of distribution {distribution!r} are installed")
        metafunc.parametrize("board", boards, ids=[b.name for b in boards])

    def test_has_boards(self, machinectl_registry: Registry) -> None:
        assert any(b.distribution == self.distribution for b in machinectl_registry.boards), (
            f"distribution {self.distribution!r} declares no boards"
        )

    def test_default_size_passes_its_own_rules(
        self, board: Board, machinectl_registry: Registry
    ) -> None:
        with _build(machinectl_registry, board) as machine:
            size = machinectl_registry.default_ram_size(board)
            assert machine.state.ram_size == (size + 8191) // 8192 * 8192 or size == 0

    def test_default_ram_id_is_well_formed(
        self, board: Board, machinectl_registry: Registry
    ) -> None:
        ram_id = machinectl_registry.default_ram_id(board)
        assert ram_id is None or _ID_RE.match(ram_id), f"bad default RAM id {ram_id!r}"

    def test_refused_sizes_are_clear_errors(
        self, board: Board, machinectl_registry: Registry
    ) -> None:
        for mib in PROBE_SIZES:
            try:
                _build(machinectl_registry, board, "-m", f"{mib}M").close()
            except MachineError as exc:
                text = str(exc)
                assert text.strip(), f"-m {mib}M: empty message"
                assert "\n" not in text, f"-m {mib}M: message of several lines: {text!r}"

    def test_init_board_maps_the_ram_it_was_given(
        self, board: Board, machinectl_registry: Registry
    ) -> None:
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
        with _build(machinectl_registry, board) as machine:
            spans = sorted(_ram_placements(machine.state.system_memory))
            for (a_start, a_end, a_name), (b_start, _, b_name) in itertools.pairwise(spans):
                assert a_end <= b_start, (
                    f"RAM '{a_name}' [{a_start:#x}, {a_end:#x}) overlaps '{b_name}' at {b_start:#x}"
                )

    def test_allocated_ram_is_writable(self, board: Board, machinectl_registry: Registry) -> None:
        size = machinectl_registry.default_ram_size(board)
        if size == 0 or size > ALLOCATION_LIMIT:
            pytest.skip(f"default size {size} is not probed for real")
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


__all__ = ["PROBE_SIZES", "BoardConformance", "machinectl_registry"]
