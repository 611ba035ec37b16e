"""Aspeed BMC boards: RAM sizes and the RAM container come from the SoC generation."""

from __future__ import annotations

import attrs
from machinectl.boards import BoardFacts
from machinectl.units import GiB, MiB, human

from .common import arm_board
from .layouts import RamContainer, no_ram, ram_in_container
from .rules import one_of

#: The SDRAM controller's refusal of a size it has no configuration for.
INVALID_SIZE = "Invalid RAM size {size_str}"


@attrs.frozen
class Soc:
    """An Aspeed SoC generation: where its SDRAM starts and which sizes its controller takes."""

    name: str
    sdram_base: int
    sizes: tuple[int, ...]

    @property
    def max_ram(self) -> int:
        return max(self.sizes)


AST2400 = Soc("AST2400", 0x4000_0000, (64 * MiB, 128 * MiB, 256 * MiB, 512 * MiB))
AST2500 = Soc("AST2500", 0x8000_0000, (128 * MiB, 256 * MiB, 512 * MiB, 1 * GiB))
AST2600 = Soc("AST2600", 0x8000_0000, (256 * MiB, 512 * MiB, 1 * GiB, 2 * GiB))

#: name, description, SoC, default RAM size (QEMU 7.2).
MACHINES: tuple[tuple[str, str, Soc, int], ...] = (
    ("palmetto-bmc", "OpenPOWER Palmetto BMC (ARM926EJ-S)", AST2400, 256 * MiB),
    ("supermicrox11-bmc", "Supermicro X11 BMC (ARM926EJ-S)", AST2400, 256 * MiB),
    ("quanta-q71l-bmc", "Quanta-Q71l BMC (ARM926EJ-S)", AST2400, 128 * MiB),
    ("ast2500-evb", "Aspeed AST2500 EVB (ARM1176)", AST2500, 512 * MiB),
    ("romulus-bmc", "OpenPOWER Romulus BMC (ARM1176)", AST2500, 512 * MiB),
    ("witherspoon-bmc", "OpenPOWER Witherspoon BMC (ARM1176)", AST2500, 512 * MiB),
    ("sonorapass-bmc", "OCP SonoraPass BMC (ARM1176)", AST2500, 512 * MiB),
    ("fp5280g2-bmc", "Inspur FP5280G2 BMC (ARM1176)", AST2500, 512 * MiB),
    ("g220a-bmc", "Bytedance G220A BMC (ARM1176)", AST2500, 1 * GiB),
    ("ast2600-evb", "Aspeed AST2600 EVB (Cortex-A7)", AST2600, 1 * GiB),
    ("tacoma-bmc", "OpenPOWER Tacoma BMC (Cortex-A7)", AST2600, 1 * GiB),
    ("rainier-bmc", "IBM Rainier BMC (Cortex-A7)", AST2600, 1 * GiB),
    ("fuji-bmc", "Facebook Fuji BMC (Cortex-A7)", AST2600, 2 * GiB),
    ("bletchley-bmc", "Facebook Bletchley BMC (Cortex-A7)", AST2600, 2 * GiB),
    ("qcom-dc-scm-v1-bmc", "Qualcomm DC-SCM V1 BMC (Cortex A7)", AST2600, 1 * GiB),
    ("qcom-firework-bmc", "Qualcomm DC-SCM V1/Firework BMC (Cortex A7)", AST2600, 1 * GiB),
    ("fby35-bmc", "Facebook fby35 BMC (Cortex-A7)", AST2600, 2 * GiB),
)

#: QEMU 5.0's container: 4 GiB - 1 long, with a plain I/O region after RAM.
CONTAINER_5_0_SIZE = 0xFFFF_FFFF


def _container(soc: Soc) -> RamContainer:
    return RamContainer("ram-container", soc.max_ram, soc.max_ram, "ram-empty", -1000)


def _notes(soc: Soc, container: RamContainer) -> tuple[str, ...]:
    return (
        f"{soc.name} SoC: RAM starts at {soc.sdram_base:#x}, the SoC's SDRAM base",
        f"RAM sits at the start of the container '{container.name}' "
        f"(size {container.size:#x}); the I/O region '{container.filler}' "
        f"(priority {container.filler_priority}) fills the container from the end of RAM "
        f"to {human(container.max_ram)}, so firmware probing past RAM finds no RAM there",
    )


def _record(name: str, description: str, soc: Soc, default: int) -> BoardFacts:
    container = _container(soc)
    return arm_board(
        name,
        description,
        default_ram_size=default,
        default_ram_id="ram",
        ram_base=soc.sdram_base,
        rules=[one_of(soc.sizes, INVALID_SIZE)],
        layout=ram_in_container,
        notes=_notes(soc, container),
        extra={"container": container},
    )


def _swift_bmc() -> BoardFacts:
    # QEMU 5.0 only (removed before 7.2): the 5.0 container and its 'max_ram' filler.
    container = RamContainer(
        "aspeed-ram-container", CONTAINER_5_0_SIZE, AST2500.max_ram, "max_ram", 0
    )
    return arm_board(
        "swift-bmc",
        "OpenPOWER Swift BMC (ARM1176)",
        default_ram_size=512 * MiB,
        default_ram_id="ram",
        ram_base=AST2500.sdram_base,
        rules=[one_of(AST2500.sizes, INVALID_SIZE)],
        layout=ram_in_container,
        notes=(
            *_notes(AST2500, container),
            "a QEMU 5.0 machine type (removed from QEMU before 7.2); facts as in QEMU 5.0",
        ),
        extra={"container": container},
        deprecated=True,
    )


def _ast1030_evb() -> BoardFacts:
    return arm_board(
        "ast1030-evb",
        "Aspeed AST1030 MiniBMC (Cortex-M4)",
        default_ram_size=0,
        default_ram_id="ram",
        layout=no_ram,
        notes=(
            "a microcontroller with SRAM only: without -m there is no main RAM; with -m the "
            "RAM backend is created but the board maps none of it",
        ),
    )


RECORDS: tuple[BoardFacts, ...] = (
    *(_record(*row) for row in MACHINES),
    _swift_bmc(),
    _ast1030_evb(),
)
