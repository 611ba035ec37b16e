"""machinectl board plugin for QEMU's sparc machine types (``qemu-system-sparc``, ``-sparc64``).

The nine sun4m workstations share one board: they differ in their RAM maximum, in whether an
ECC memory controller is present, and in where their devices sit. They are generated from
:data:`SUN4M_MODELS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from machinectl.boards import (
    QEMU_DEFAULT_RAM_SIZE,
    AtMost,
    BoardFacts,
    BoardSpec,
    BoardTable,
    Window,
    with_cpus,
    with_windows,
)
from machinectl.units import GiB, MiB, human

from .qemu_cpus import CPUS

if TYPE_CHECKING:
    from machinectl.state import MachineState

#: The priority of sun4m's filler for absent RAM: every real region wins over it.
EMPTY_SLOT_PRIORITY = -10000
EMPTY_SLOT = "empty-slot"

#: Device registers of the ECC models that 60 GiB of RAM reaches (fw_cfg and the I/O page).
_FW_CFG = (Window("fwcfg.ctl", 0xD_0000_0510, 2), Window("fwcfg.data", 0xD_0000_0512, 1))
_SS10_DEVICES = (
    *_FW_CFG,
    Window("sun4m.idreg", 0xE_F000_0000, 4, "rom"),
    Window("espdma-mmio", 0xE_F040_0000, 0x10),
    Window("ledma-mmio", 0xE_F040_0010, 0x14),
    Window("esp-regs", 0xE_F080_0000, 0x40),
    Window("lance-mmio", 0xE_F0C0_0000, 4),
    Window("apc", 0xE_FA00_0000, 1),
)

_SS600MP_DEVICES = (
    *_FW_CFG,
    Window("lance-mmio", 0xE_F006_0000, 4),
    Window("esp-regs", 0xE_F008_0000, 0x40),
    Window("espdma-mmio", 0xE_F008_1000, 0x10),
    Window("ledma-mmio", 0xE_F008_1010, 0x14),
    Window("apc", 0xE_FA00_0000, 1),
)


class Sun4mModel(NamedTuple):
    """What sets one sun4m machine type apart from the others."""

    name: str
    description: str
    max_mem: int
    #: An ECC memory controller traps accesses to absent RAM; without one, QEMU fills the
    #: space between the end of RAM and ``max_mem`` with an empty slot.
    ecc: bool
    #: Device windows that RAM below ``max_mem`` can reach.
    devices: tuple[Window, ...] = ()
    #: Further empty slots at fixed places (base, size): the IOMMU's padding on SS-5 and LX,
    #: the video SIMM registers on SS-20.
    fillers: tuple[tuple[int, int], ...] = ()

    def windows(self) -> tuple[Window, ...]:
        """The fixed empty slots, then the devices, in the order the board maps them."""
        slots = (Window(EMPTY_SLOT, b, s, priority=EMPTY_SLOT_PRIORITY) for b, s in self.fillers)
        return (*slots, *self.devices)

    def place_ram(self, machine: MachineState, facts: BoardFacts) -> None:
        """RAM at 0, and an empty slot from the end of RAM up to the maximum (without ECC)."""
        machine.map_ram(facts.ram_base)
        if not self.ecc and machine.ram_size < self.max_mem:
            slot = Window(
                EMPTY_SLOT,
                machine.ram_size,
                self.max_mem - machine.ram_size,
                priority=EMPTY_SLOT_PRIORITY,
            )
            machine.system_memory.add_subregion(slot.base, slot.region(), slot.priority)


#: The targets: the sun4m boards and leon3 are ``qemu-system-sparc``'s, niagara is sparc64's.
SPARC = ("sparc",)
SPARC64 = ("sparc64",)
#: ``qemu-system-sparc``'s default machine type.
DEFAULT = "SS-5"

_IOMMU_PAD = ((0x1000_4000, 0x0FFF_B000),)
_VSIMM_REGISTERS = tuple((base, 0x2000) for base in range(0x9000_0000, 0xA000_0000, 0x0400_0000))

SUN4M_MODELS = (
    Sun4mModel("SS-5", "Sun4m platform, SPARCstation 5", 256 * MiB, False, fillers=_IOMMU_PAD),
    Sun4mModel("SS-10", "Sun4m platform, SPARCstation 10", 60 * GiB, True, _SS10_DEVICES),
    Sun4mModel("SS-600MP", "Sun4m platform, SPARCserver 600MP", 60 * GiB, True, _SS600MP_DEVICES),
    Sun4mModel(
        "SS-20",
        "Sun4m platform, SPARCstation 20",
        60 * GiB,
        True,
        _SS10_DEVICES,
        fillers=_VSIMM_REGISTERS,
    ),
    Sun4mModel("Voyager", "Sun4m platform, SPARCstation Voyager", 256 * MiB, ecc=False),
    Sun4mModel("LX", "Sun4m platform, SPARCstation LX", 256 * MiB, False, fillers=_IOMMU_PAD),
    Sun4mModel("SS-4", "Sun4m platform, SPARCstation 4", 256 * MiB, ecc=False),
    Sun4mModel("SPARCClassic", "Sun4m platform, SPARCClassic", 256 * MiB, ecc=False),
    Sun4mModel("SPARCbook", "Sun4m platform, SPARCbook", 256 * MiB, ecc=False),
)


def _sun4m(model: Sun4mModel) -> BoardFacts:
    limit = human(model.max_mem)
    if model.ecc:
        layout = [
            f"RAM starts at 0 and may reach {limit}; the ECC controller traps accesses "
            "beyond it, so nothing fills the rest",
            "above 52 GiB the fw_cfg and I/O registers hide RAM (modelled as i/o windows the "
            "size QEMU's flat view shows)",
        ]
    else:
        layout = [
            f"RAM starts at 0; an empty slot (i/o, priority {EMPTY_SLOT_PRIORITY}) fills the "
            f"space from the end of RAM up to {limit}, so accesses there do not trap",
        ]
    if model.fillers:
        places = ", ".join(f"{base:#x}" for base, _ in model.fillers)
        layout.append(f"further empty slots at {places} stand in for absent devices")
    return BoardFacts(
        spec=BoardSpec(
            name=model.name,
            description=model.description,
            family="sparc",
            targets=SPARC,
            default_for=SPARC if model.name == DEFAULT else (),
        ),
        default_ram_size=QEMU_DEFAULT_RAM_SIZE,
        default_ram_id="sun4m.ram",
        ram_base=0,
        rules=(
            AtMost(
                limit=model.max_mem,
                message="Too much memory for this machine: {size_mib}, maximum {value_mib}",
            ),
        ),
        layout=model.place_ram,
        windows=model.windows(),
        notes=(
            *layout,
            "both numbers in the message are whole MiB, rounded down and without a unit",
            "RAM reaches the board through the 'memory' device, which maps the backend as is",
        ),
    )


LEON3_GENERIC = BoardFacts(
    spec=BoardSpec(
        name="leon3_generic", description="Leon-3 generic", family="sparc", targets=SPARC
    ),
    default_ram_size=QEMU_DEFAULT_RAM_SIZE,
    default_ram_id="leon3.ram",
    ram_base=0x4000_0000,
    rules=(
        AtMost(limit=1 * GiB, message="Too much memory for this machine: {size_mib}MB, maximum 1G"),
    ),
    notes=(
        "RAM starts at 0x40000000 and may not exceed 1 GiB; the 8 MiB PROM sits at 0",
        "the size in the message is in whole MiB, rounded down",
    ),
)

NIAGARA = BoardFacts(
    spec=BoardSpec(
        name="niagara", description="Sun4v platform, Niagara", family="sparc64", targets=SPARC64
    ),
    default_ram_size=QEMU_DEFAULT_RAM_SIZE,
    default_ram_id="sun4v-partition.ram",
    ram_base=0x8000_0000,
    # Recorded from QEMU 7.2 (tools/qemu_windows.py --memory, with empty firmware files).
    # The NVRAM, the two ROMs and the PROM are RAM regions of fixed sizes, into which QEMU
    # loads the firmware files (it refuses to start without them).
    windows=(
        Window("sun4v-hv.ram", 0x10_0000, 0x3F0_0000, "ram"),
        Window("sun4v.nvram", 0x1F_1100_0000, 0x2000, "ram"),
        Window("sun4v-md.rom", 0x1F_1200_0000, 0x2000, "ram"),
        Window("sun4v-hv.rom", 0x1F_1208_0000, 0x2000, "ram"),
        Window("sun4v.prom", 0xFF_F000_0000, 0x40_0000, "ram"),
    ),
    notes=(
        "the partition RAM starts at 0x80000000; no size check",
        "the hypervisor RAM ('sun4v-hv.ram', 63 MiB at 0x100000), the NVRAM, the "
        "machine-description and hypervisor ROMs and the PROM are the board's own RAM "
        "regions, of fixed sizes; QEMU loads its firmware files into them",
    ),
)

from . import sun4u  # noqa: E402
from .windows_qemu72 import OWN_MEMORY  # noqa: E402

RECORDS = with_windows(
    (LEON3_GENERIC, *(_sun4m(model) for model in SUN4M_MODELS), NIAGARA, *sun4u.RECORDS),
    OWN_MEMORY,
)

#: Machine types the sparc binaries list that this plugin does not ship, with why.
NOT_SHIPPED: dict[str, str] = {}
#: Machine types shipped from QEMU 5.0 that QEMU 7.2 no longer lists: none.
QEMU_5_0_ONLY: frozenset[str] = frozenset()


plugin = BoardTable(with_cpus(RECORDS, CPUS))
