"""Device windows as data: ``BoardFacts.windows``, placed by the core after the board's layout."""

from __future__ import annotations

import importlib

import pytest
from machinectl import (
    BoardFacts,
    BoardSpec,
    BoardTable,
    Machine,
    MachineError,
    MachineState,
    MiB,
    Registry,
    Window,
    create_registry,
)
from machinectl.boards import WindowKind, map_at_base
from machinectl.memory import Kind

SPEC = BoardSpec(name="windowed", description="a board with windows", family="test")


def registry_with(*records: BoardFacts) -> Registry:
    return create_registry(load_entrypoints=False, plugins=[("windows", BoardTable(records))])


def flat(machine: Machine) -> list[tuple[int, int, int, str, str]]:
    """The flat view: (start, end inclusive, priority, kind, region)."""
    return [
        (r["start"], r["end"], r["priority"], r["kind"], r["region"])
        for r in machine.query()["mtree"]["flat"]
    ]


def test_windows_are_mapped_after_ram_and_hide_it() -> None:
    facts = BoardFacts(
        spec=SPEC,
        default_ram_size=64 * MiB,
        default_ram_id="w.ram",
        windows=[
            Window("regs", 0x100_0000, 0x1000),
            Window("flash", 0x200_0000, 0x10_0000, kind="rom"),
        ],
    )
    with Machine.from_argv(
        ["-M", "windowed"], registry=registry_with(facts), allocate=False
    ) as machine:
        assert flat(machine) == [
            (0, 0xFF_FFFF, 0, "ram", "w.ram"),
            (0x100_0000, 0x100_0FFF, 0, "i/o", "regs"),
            (0x100_1000, 0x1FF_FFFF, 0, "ram", "w.ram"),
            (0x200_0000, 0x20F_FFFF, 0, "rom", "flash"),
            (0x210_0000, 0x3FF_FFFF, 0, "ram", "w.ram"),
        ]


def test_windows_follow_a_custom_layout_in_their_order() -> None:
    placed: list[list[str]] = []

    def layout(machine: MachineState, facts: BoardFacts) -> None:
        map_at_base(machine, facts)
        placed.append([r.name for r in machine.system_memory.subregions])

    facts = BoardFacts(
        spec=SPEC,
        default_ram_size=64 * MiB,
        default_ram_id="w.ram",
        layout=layout,
        # Two windows at one place: the later one wins at equal priority, as in QEMU.
        windows=[Window("first", 0x1000, 0x1000), Window("second", 0x1000, 0x1000)],
    )
    with Machine.from_argv(
        ["-M", "windowed"], registry=registry_with(facts), allocate=False
    ) as machine:
        assert placed == [["w.ram"]]
        assert (0x1000, 0x1FFF, 0, "i/o", "second") in flat(machine)


def test_window_priority_and_ram_priority() -> None:
    facts = BoardFacts(
        spec=SPEC,
        default_ram_size=64 * MiB,
        default_ram_id="w.ram",
        ram_priority=-1,
        windows=[Window("low", 0x1000, 0x1000, priority=-5)],
    )
    with Machine.from_argv(
        ["-M", "windowed"], registry=registry_with(facts), allocate=False
    ) as machine:
        # RAM at -1 still wins over a window below it.
        assert flat(machine)[0] == (0, 0x3FF_FFFF, -1, "ram", "w.ram")


def test_windows_in_the_board_description() -> None:
    facts = BoardFacts(
        spec=SPEC,
        default_ram_size=64 * MiB,
        default_ram_id="w.ram",
        windows=[Window("flash", 0x200_0000, 16 * MiB, kind="rom", priority=2)],
    )
    lines = registry_with(facts).describe_board(registry_with(facts).board("windowed"))
    assert "rom window 'flash' at 0x2000000, 16 MiB, priority 2" in lines


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"kind": "sram"}, ValueError),
        ({"size": 0}, ValueError),
        ({"base": -1}, ValueError),
    ],
)
def test_window_refuses_what_is_no_window(kwargs: dict[str, object], error: type) -> None:
    fields = {"name": "w", "base": 0, "size": 1, **kwargs}
    with pytest.raises(error):
        Window(**fields)  # type: ignore[arg-type]


def test_windows_are_frozen_data() -> None:
    window = Window("w", 0, 1)
    with pytest.raises(AttributeError):
        window.size = 2  # type: ignore[misc]
    assert window == Window("w", 0, 1, "io", 0)


@pytest.mark.parametrize(
    ("module", "board"),
    [
        ("machinectl_m68k", "mcf5208evb"),
        ("machinectl_m68k", "next-cube"),
        ("machinectl_sparc", "SS-10"),
        ("machinectl_sparc", "SS-5"),
        ("machinectl_ppc", "virtex-ml507"),
        ("machinectl_mips", "mipssim"),
        ("machinectl_arm", "raspi3b"),
        ("machinectl_arm", "integratorcp"),
    ],
)
def test_family_plugins_declare_their_windows_as_core_records(module: str, board: str) -> None:
    plugin = importlib.import_module(module).plugin
    facts = plugin.facts(board)
    assert facts is not None and facts.windows
    assert all(isinstance(window, Window) for window in facts.windows)


def test_migrated_boards_map_their_windows() -> None:
    registry = create_registry()
    cases = {
        # RAM that reaches a window is hidden there.
        ("an5206", "1G"): (0x1000_0000, 0x1000_0FFF, 0, "i/o", "mbar"),
        ("virtex-ml507", "4G"): (0xFC00_0000, 0xFCFF_FFFF, 0, "romd", "virtex.flash"),
        ("SS-5", "64M"): (0x400_0000, 0xFFF_FFFF, -10000, "i/o", "empty-slot"),
        ("hppa", "512M"): (0, 0x1FFF_FFFF, -1, "ram", "ram"),
    }
    for (name, size), line in cases.items():
        try:
            registry.board(name)
        except MachineError:
            pytest.skip(f"no plugin provides {name}")
        argv = ["-M", name, "-m", size]
        with Machine.from_argv(argv, registry=registry, allocate=False) as machine:
            assert line in flat(machine), name


# -- the kinds of window -----------------------------------------------------------------------

#: Each kind of window, and the type QEMU prints for such a region in ``info mtree``.
KINDS = {"ram": "ram", "rom": "rom", "romd": "romd", "io": "i/o"}


@pytest.mark.parametrize(("kind", "qemu_type"), KINDS.items())
def test_each_kind_shows_with_qemus_type(kind: WindowKind, qemu_type: str) -> None:
    """A window over RAM, in the flat view (text and JSON) and in the tree (text and JSON)."""
    facts = BoardFacts(
        spec=SPEC,
        default_ram_size=64 * MiB,
        default_ram_id="w.ram",
        windows=[Window("dev", 0x10_0000, 0x2000, kind=kind)],
    )
    with Machine.from_argv(
        ["-M", "windowed"], registry=registry_with(facts), allocate=True
    ) as machine:
        text = machine.mtree_text(flat=True)
        tree = machine.mtree_text()
        mtree = machine.query()["mtree"]
        assert f"  0000000000100000-0000000000101fff (prio 0, {qemu_type}): dev\n" in text
        assert (
            "  0000000000102000-0000000003ffffff (prio 0, ram): w.ram @0000000000102000\n" in text
        )
        assert f"    0000000000100000-0000000000101fff (prio 0, {qemu_type}): dev\n" in tree
        assert (0x10_0000, 0x10_1FFF, 0, qemu_type, "dev") in flat(machine)
        (node,) = [n for n in mtree["tree"]["subregions"] if n["name"] == "dev"]
        assert (node["kind"], node["start"], node["size"]) == (
            Kind[kind.upper()].value,
            0x10_0000,
            0x2000,
        )
        assert "memdev" not in node
        # A window is not guest RAM, whatever its kind: an emulator maps it on its own.
        assert [(r.guest_address, r.size) for r in machine.ram_ranges()] == [
            (0, 0x10_0000),
            (0x10_2000, 64 * MiB - 0x10_2000),
        ]
        window = machine.region_at(0x10_0800)
        assert window is not None
        assert (window.region, window.kind, window.start, window.size) == (
            *("dev", qemu_type),
            *(0x10_0000, 0x2000),
        )
        with pytest.raises(MachineError, match="no guest RAM at address 0x100800"):
            machine.ram_offset(0x10_0800)
        with pytest.raises(MachineError, match="it crosses 0x100000"):
            machine.guest_view(0xF_F000, 0x2000)


def test_a_ram_window_is_not_main_ram() -> None:
    """On-chip SRAM beside main RAM: shown as ram, but with no backend and no RAM range."""
    facts = BoardFacts(
        spec=SPEC,
        default_ram_size=64 * MiB,
        default_ram_id="w.ram",
        ram_base=0x8000_0000,
        windows=[Window("soc.sram", 0x1000_0000, 0x4_0000, kind="ram")],
    )
    with Machine.from_argv(
        ["-M", "windowed"], registry=registry_with(facts), allocate=False
    ) as machine:
        assert flat(machine) == [
            (0x1000_0000, 0x1003_FFFF, 0, "ram", "soc.sram"),
            (0x8000_0000, 0x83FF_FFFF, 0, "ram", "w.ram"),
        ]
        assert [b.id for b in machine.backends] == ["w.ram"]


# -- windows with parts: device blocks as QEMU nests them ----------------------------------------

BLOCK = Window(
    "peripherals",
    0x300_0000,
    0x100_0000,
    "container",
    1,
    parts=(
        Window("timer", 0x1000, 0x100),
        Window("uart", 0x2000, 0x1000, priority=-1000),
        Window("usb", 0x10_0000, 0x2000, parts=(Window("usb-regs", 0, 0x100),)),
    ),
)


def build(windows: tuple[Window, ...], size: str = "64M") -> Machine:
    facts = BoardFacts(spec=SPEC, default_ram_size=64 * MiB, default_ram_id="ram", windows=windows)
    return Machine.from_argv(["-M", "windowed", "-m", size], registry=registry_with(facts))


def test_ram_shows_between_the_parts_of_a_container_window() -> None:
    with build((BLOCK,)) as machine:
        ranges = flat(machine)
    base = 0x300_0000
    assert ranges == [
        (0, base + 0xFFF, 0, "ram", "ram"),
        (base + 0x1000, base + 0x10FF, 0, "i/o", "timer"),
        (base + 0x1100, base + 0x1FFF, 0, "ram", "ram"),
        (base + 0x2000, base + 0x2FFF, -1000, "i/o", "uart"),
        (base + 0x3000, base + 0xF_FFFF, 0, "ram", "ram"),
        (base + 0x10_0000, base + 0x10_00FF, 0, "i/o", "usb-regs"),
        (base + 0x10_0100, base + 0x10_1FFF, 0, "i/o", "usb"),
        (base + 0x10_2000, 0x3FF_FFFF, 0, "ram", "ram"),
    ]


def test_the_tree_shows_the_container_and_its_parts() -> None:
    with build((BLOCK,)) as machine:
        tree = machine.mtree_text()
    assert "0000000003000000-0000000003ffffff (prio 1, i/o): peripherals" in tree
    assert "0000000003002000-0000000003002fff (prio -1000, i/o): uart" in tree
    assert "0000000003100000-00000000031000ff (prio 0, i/o): usb-regs" in tree


def test_an_empty_container_is_in_the_tree_but_not_in_the_flat_view() -> None:
    empty = Window("device-memory", 0x1000_0000, 0x1000_0000, "container")
    with build((empty,), "512M") as machine:
        regions = [r[4] for r in flat(machine)]
        tree = machine.mtree_text()
    assert regions == ["ram"]
    assert "(prio 0, i/o): device-memory" in tree


def test_a_ram_window_is_memory_of_its_own_not_main_ram() -> None:
    sram = Window("soc.sram", 0x8000_0000, 0x4000, "ram")
    with build((sram,)) as machine:
        assert (0x8000_0000, 0x8000_3FFF, 0, "ram", "soc.sram") in flat(machine)
        assert [r.memdev for r in machine.ram_ranges()] == ["ram"]


def test_with_windows_adds_recorded_windows_the_record_does_not_place() -> None:
    from machinectl.boards import with_windows

    placed = Window("flash", 0, 0x1000, "romd")
    facts = BoardFacts(spec=SPEC, default_ram_size=MiB, default_ram_id="ram", windows=(placed,))
    recorded = {"windowed": (Window("flash", 0, 0x1000, "rom"), Window("sram", 0x1000, 0x100))}
    (out,) = with_windows([facts], recorded)
    assert out.windows == (placed, Window("sram", 0x1000, 0x100))
    assert with_windows([facts], {}) == (facts,)


def test_describe_counts_the_parts_of_a_window() -> None:
    assert BLOCK.words() == (
        "container window 'peripherals' at 0x3000000, 16 MiB, priority 1, 3 regions inside"
    )
