"""machinectl board plugin for three of QEMU 7.2's RISC-V machine types.

``virt``, ``spike`` and ``sifive_e`` exist in both ``qemu-system-riscv32`` and
``qemu-system-riscv64``, so each record names both targets. ``virt`` is also a machine type
of ``qemu-system-aarch64`` and ``-arm``: machine-type names belong to a target, and
``machinectl run --target riscv64 -M virt`` picks this one when ``machinectl-arm`` is installed
too. Every fact below was read from the QEMU 7.2 binaries (``tools/qemu_oracle.py``).
"""

from __future__ import annotations

from machinectl import (
    BoardFacts,
    BoardSpec,
    BoardTable,
    FixedSize,
    GiB,
    KiB,
    MachineState,
    MiB,
    Window,
)

#: Both RISC-V binaries list these machine types.
TARGETS = ("riscv32", "riscv64")
#: Where every one of these boards places main RAM.
RAM_BASE = 0x8000_0000
#: The largest RAM a 32-bit virt board uses; it cuts a larger ``-m`` down, with a message.
RV32_VIRT_LIMIT = 10 * GiB


def _spec(name: str, description: str, targets: tuple[str, ...], numa: bool) -> BoardSpec:
    return BoardSpec(
        name=name,
        description=description,
        family="riscv",
        targets=targets,
        default_for=targets if name == "spike" else (),
        numa=numa,
        numa_mem_supported=numa,
    )


def _mrom(name: str, size: int = 0xF000) -> Window:
    """The reset vector's mask ROM at 0x1000."""
    return Window(name, 0x1000, size, kind="rom")


def limit_rv32_ram(machine: MachineState, size: int) -> int:
    """The 32-bit virt board uses at most 10 GiB of RAM and says so."""
    if size <= RV32_VIRT_LIMIT:
        return size
    machine.warn("Limiting RAM size to 10 GiB")
    return RV32_VIRT_LIMIT


def _virt(targets: tuple[str, ...], *notes: str) -> BoardFacts:
    return BoardFacts(
        spec=_spec("virt", "RISC-V VirtIO board", targets, numa=True),
        default_ram_size=128 * MiB,
        default_ram_id="riscv_virt_board.ram",
        ram_base=RAM_BASE,
        windows=(
            _mrom("riscv_virt_board.mrom"),
            Window("virt.flash0", 0x2000_0000, 32 * MiB, kind="romd"),
            Window("virt.flash1", 0x2200_0000, 32 * MiB, kind="romd"),
        ),
        fixup=limit_rv32_ram if targets == ("riscv32",) else None,
        notes=(
            "main RAM at 0x80000000, any size; the two 32 MiB pflash banks at 0x20000000 "
            "read like ROM (romd)",
            *notes,
        ),
    )


VIRT64 = _virt(("riscv64",))
VIRT32 = _virt(
    ("riscv32",),
    "above 10 GiB the 32-bit board uses 10 GiB and says 'Limiting RAM size to 10 GiB' "
    "(QEMU keeps the backend at the size asked for; machinectl makes it 10 GiB)",
)

SPIKE = BoardFacts(
    spec=_spec("spike", "RISC-V Spike board", TARGETS, numa=True),
    default_ram_size=128 * MiB,
    default_ram_id="riscv.spike.ram",
    ram_base=RAM_BASE,
    windows=(_mrom("riscv.spike.mrom"),),
    notes=("main RAM at 0x80000000, any size", "the default machine type of both targets"),
)

SIFIVE_E = BoardFacts(
    spec=_spec("sifive_e", "RISC-V Board compatible with SiFive E SDK", TARGETS, numa=False),
    default_ram_size=16 * KiB,
    default_ram_id="riscv.sifive.e.ram",
    ram_base=RAM_BASE,
    rules=(FixedSize("Invalid RAM size, should be {value_str}", size=16 * KiB),),
    windows=(
        _mrom("riscv.sifive.e.mrom", 0x2000),
        Window("riscv.sifive.e.xip", 0x2000_0000, 512 * MiB, kind="rom"),
    ),
    notes=("16 KiB of data SRAM at 0x80000000: -m may only repeat that size",),
)

RECORDS = (VIRT64, VIRT32, SPIKE, SIFIVE_E)

plugin = BoardTable(RECORDS)

_SMALL = "left out to keep the example small"
#: What ``qemu-system-riscv32/64 -M help`` lists that this plugin leaves out, and why.
NOT_SHIPPED: dict[str, str] = dict.fromkeys(
    ("microchip-icicle-kit", "opentitan", "shakti_c", "sifive_u"), _SMALL
)
