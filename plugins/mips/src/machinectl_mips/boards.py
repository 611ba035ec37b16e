"""The mips machine types, as records.

malta and boston keep main RAM high (0x80000000) and show its start at 0 through aliases;
mipssim maps RAM at 0 under its BIOS window; the others map RAM at 0 and differ in their size
rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from machinectl import AtMost, BoardFacts, BoardSpec, FixedSize, GiB, MemoryRegion, MiB, OneOf
from machinectl.boards import Window

if TYPE_CHECKING:
    from machinectl import MachineState

#: Where malta and boston place all of main RAM.
HIGH_RAM_BASE = 0x80000000
#: How much of RAM shows at 0 (below the I/O area from 0x10000000).
LOW_RAM_SIZE = 256 * MiB


ALL_MIPS = ("mips", "mipsel", "mips64", "mips64el")
MIPS64 = ("mips64", "mips64el")
#: The targets whose ``qemu-system-TARGET -M help`` lists each machine type (QEMU 5.0's for
#: ``mips``, which 7.2 no longer has).
TARGETS: dict[str, tuple[str, ...]] = {
    "malta": ALL_MIPS,
    "mipssim": ALL_MIPS,
    "mips": ALL_MIPS,
    "magnum": MIPS64,
    "pica61": MIPS64,
    "boston": ("mips64el",),
    "fuloong2e": ("mips64el",),
}
#: The default machine type of every mips target.
DEFAULT = "malta"


def _spec(
    name: str, description: str, *, deprecated: bool = False, memory_devices: bool = False
) -> BoardSpec:
    # QEMU 7.2's mips binaries do not report plugged-memory; no mips board takes -numa.
    return BoardSpec(
        name=name,
        description=description,
        family="mips",
        targets=TARGETS[name],
        default_for=TARGETS[name] if name == DEFAULT else (),
        deprecated=deprecated,
        memory_devices=memory_devices,
    )


def _low_alias(machine: MachineState, name: str) -> MemoryRegion | None:
    if machine.ram is None:
        return None
    return MemoryRegion.alias(name, machine.ram, 0, min(machine.ram_size, LOW_RAM_SIZE))


# -- malta --------------------------------------------------------------------------------------

MALTA_POSTIO_OFFSET = 512 * MiB
#: The SPD EEPROM describes at most this many banks, each a power of two of 4 MiB .. 16 GiB.
SPD_BANKS = 3


def spd_leftover_mib(ram_size: int) -> int:
    """MiB of RAM the SPD EEPROM cannot describe (QEMU warns about them)."""
    left = ram_size // MiB
    banks = 0
    while left >= 4 and banks < SPD_BANKS:
        left -= 1 << min(left.bit_length() - 1, 14)
        banks += 1
    return left


def map_malta(machine: MachineState, facts: BoardFacts) -> None:
    """All of RAM at 0x80000000; its first 256 MiB at 0; above 512 MiB also at 0x20000000."""
    if machine.ram is None:
        return
    machine.map_ram(facts.ram_base)
    low = _low_alias(machine, "mips_malta_low_preio.ram")
    machine.map_ram(0, low)
    if machine.ram_size > MALTA_POSTIO_OFFSET:
        postio = MemoryRegion.alias(
            "mips_malta_low_postio.ram",
            machine.ram,
            MALTA_POSTIO_OFFSET,
            machine.ram_size - MALTA_POSTIO_OFFSET,
        )
        machine.map_ram(MALTA_POSTIO_OFFSET, postio)
    leftover = spd_leftover_mib(machine.ram_size)
    if leftover:
        # QEMU prints the leftover in hexadecimal.
        machine.warn(f"SPD cannot represent final {leftover:x}MB of SDRAM")


MALTA = BoardFacts(
    spec=_spec("malta", "MIPS Malta Core LV"),
    default_ram_size=128 * MiB,
    default_ram_id="mips_malta.ram",
    ram_base=HIGH_RAM_BASE,
    rules=[AtMost("Too much memory for this machine: {size_mib}MB, maximum 2048MB", limit=2 * GiB)],
    layout=map_malta,
    notes=(
        "all of main RAM at 0x80000000; its first 256 MiB also at 0 "
        "('mips_malta_low_preio.ram'); RAM beyond 512 MiB also at 0x20000000 "
        "('mips_malta_low_postio.ram'); RAM from 256 to 512 MiB shows only at 0x80000000, "
        "the I/O area 0x10000000-0x1fffffff sits where it would be",
        "the SPD EEPROM describes RAM as at most three power-of-two banks; the rest is "
        "reported in a warning",
    ),
)

# -- boston -------------------------------------------------------------------------------------


def map_boston(machine: MachineState, facts: BoardFacts) -> None:
    """All of RAM at 0x80000000 and its first 256 MiB at 0 ('boston_low.ddr')."""
    machine.map_ram(facts.ram_base)
    machine.map_ram(0, _low_alias(machine, "boston_low.ddr"))


BOSTON = BoardFacts(
    spec=_spec("boston", "MIPS Boston"),
    default_ram_size=1 * GiB,
    default_ram_id="boston.ddr",
    ram_base=HIGH_RAM_BASE,
    rules=[OneOf("Memory size must be 1GB or 2GB", sizes=(1 * GiB, 2 * GiB))],
    layout=map_boston,
    notes=(
        "all of main RAM at 0x80000000; its first 256 MiB also at 0 ('boston_low.ddr')",
        "QEMU also needs -kernel or -bios to start this board",
    ),
)

# -- mipssim ------------------------------------------------------------------------------------

#: The BIOS ROM and, inside it, the ISA I/O window; both hide the RAM below them.
MIPSSIM_WINDOWS = (
    Window("mips_mipssim.bios", 0x1FC00000, 4 * MiB, kind="rom"),
    Window("isa_mmio", 0x1FD00000, 64 * 1024),
)

MIPSSIM = BoardFacts(
    spec=_spec("mipssim", "MIPS MIPSsim platform"),
    default_ram_size=128 * MiB,
    default_ram_id="mips_mipssim.ram",
    windows=MIPSSIM_WINDOWS,
    notes=(
        "main RAM at 0 with no size check; RAM from 0x1fc00000 to 0x1fffffff is hidden by "
        "the 4 MiB BIOS ROM (with the ISA I/O window at 0x1fd00000), RAM above shows again",
    ),
)

# -- the others ---------------------------------------------------------------------------------

JAZZ_RULE = AtMost("RAM size more than 256Mb is not supported", limit=256 * MiB)
JAZZ_NOTES = ("main RAM at 0; the BIOS ROM at 0x1fc00000 is above any accepted size",)

OTHERS = [
    BoardFacts(
        spec=_spec("fuloong2e", "Fuloong 2e mini pc"),
        default_ram_size=256 * MiB,
        default_ram_id="fuloong2e.ram",
        rules=[FixedSize("Invalid RAM size, should be 256MB", size=256 * MiB)],
        notes=(
            "main RAM at 0, right below the Bonito PCI windows at 0x10000000",
            "the name 'fulong2e' is gone since QEMU 6.0",
        ),
    ),
    BoardFacts(
        spec=_spec("magnum", "MIPS Magnum"),
        default_ram_size=128 * MiB,
        default_ram_id="mips_jazz.ram",
        rules=[JAZZ_RULE],
        notes=JAZZ_NOTES,
    ),
    BoardFacts(
        spec=_spec("pica61", "Acer Pica 61"),
        default_ram_size=128 * MiB,
        default_ram_id="mips_jazz.ram",
        rules=[JAZZ_RULE],
        notes=JAZZ_NOTES,
    ),
    BoardFacts(
        # QEMU 5.0's mips binaries still reported plugged-memory.
        spec=_spec("mips", "mips r4k platform", deprecated=True, memory_devices=True),
        default_ram_size=128 * MiB,
        default_ram_id="mips_r4k.ram",
        rules=[
            AtMost(
                "Too much memory for this machine: {size_mib}MB, maximum 256MB",
                limit=256 * MiB,
            )
        ],
        notes=(
            "QEMU 5.0 only (deprecated there, removed in 5.2): use malta instead",
            "main RAM at 0, below the I/O ports at 0x1fbf0000 and the BIOS at 0x1fc00000",
        ),
    ),
]

RECORDS = [MALTA, BOSTON, MIPSSIM, *OTHERS]
