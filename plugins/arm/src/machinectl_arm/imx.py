"""Freescale i.MX boards: two SDRAM banks with a filling alias, or one contiguous range."""

from __future__ import annotations

from machinectl.boards import BoardFacts
from machinectl.units import MiB

from .common import arm_board
from .layouts import Bank, ram_over_banks
from .rules import at_most, imx_limit

SDRAM_BANKS = (Bank(0x8000_0000, 256 * MiB), Bank(0x9000_0000, 256 * MiB))
BANKS_LIMIT = 512 * MiB

BANK_NOTES = (
    "RAM runs from 0x80000000 across two banks of 256 MiB (0x80000000 and 0x90000000); the "
    "alias 'ram.alias' fills the rest of the bank where RAM ends and shows RAM again from the "
    "start of that bank's share (as much of it as exists)",
)


def _banked(name: str, description: str, ram_id: str) -> BoardFacts:
    return arm_board(
        name,
        description,
        default_ram_size=128 * MiB,
        default_ram_id=ram_id,
        ram_base=SDRAM_BANKS[0].base,
        rules=[at_most(BANKS_LIMIT, "RAM size more than {value_str} is not supported")],
        layout=ram_over_banks,
        notes=BANK_NOTES,
        extra={"banks": SDRAM_BANKS},
    )


def _contiguous(name: str, description: str, base: int, limit: int) -> BoardFacts:
    return arm_board(
        name,
        description,
        default_ram_size=128 * MiB,
        default_ram_id=f"{name}.ram",
        ram_base=base,
        rules=[imx_limit(limit)],
        notes=(f"RAM at the memory controller's base {base:#x}",),
    )


RECORDS: tuple[BoardFacts, ...] = (
    _banked("imx25-pdk", "ARM i.MX25 PDK board (ARM926)", "imx25.ram"),
    _banked("kzm", "ARM KZM Emulation Baseboard (ARM1136)", "kzm.ram"),
    _contiguous(
        "mcimx6ul-evk", "Freescale i.MX6UL Evaluation Kit (Cortex-A7)", 0x8000_0000, 0x8000_0000
    ),
    _contiguous(
        "mcimx7d-sabre", "Freescale i.MX7 DUAL SABRE (Cortex-A7)", 0x8000_0000, 0x8000_0000
    ),
    _contiguous(
        "sabrelite", "Freescale i.MX6 Quad SABRE Lite Board (Cortex-A9)", 0x1000_0000, 0xF000_0000
    ),
)
