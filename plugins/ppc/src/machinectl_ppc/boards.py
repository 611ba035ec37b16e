"""The ppc machine types other than pseries, as records.

Most of them only map main RAM at 0 and differ in their size rules. The 405/440 boards place
RAM through their SDRAM controller's banks (:mod:`machinectl_ppc.ppc4xx`); virtex-ml507 has
device windows that hide RAM when RAM reaches them.
"""

from __future__ import annotations

import attrs
from machinectl import AtLeast, AtMost, BoardFacts, BoardSpec, FixedSize, GiB, MiB, MultipleOf
from machinectl.boards import Window

from . import windows_qemu72 as recorded
from .ppc4xx import SdramBanks, SdramController, sdram_layout

#: Both ppc binaries list most machine types; the 64-bit servers are ppc64's only.
PPC_AND_PPC64 = ("ppc", "ppc64")
PPC64 = ("ppc64",)
#: ``qemu-system-ppc``'s default machine type (ppc64's is the newest pseries).
DEFAULT = "g3beige"


def _spec(name: str, description: str, alias: str | None = None) -> BoardSpec:
    # Every ppc binary of QEMU 7.2 reports plugged-memory; none of these boards takes -numa.
    targets = PPC64 if name.startswith("powernv") else PPC_AND_PPC64
    return BoardSpec(
        name=name,
        description=description,
        alias=alias,
        family="ppc",
        targets=targets,
        default_for=("ppc",) if name == DEFAULT else (),
        memory_devices=True,
    )


# -- e500 ---------------------------------------------------------------------------------------

E500_RAM_ID = "mpc8544ds.ram"
E500_ALIGN = MultipleOf("RAM size must be multiple of {value}", step=64 * MiB)
E500_NOTES = (
    "main RAM at 0, no aliases; the SoC's windows (platform bus 0xf00000000, CCSR "
    "0xfe0000000) lie far above any RAM size checked here",
    f"RAM id '{E500_RAM_ID}' is shared by both e500 machine types",
)

E500 = [
    BoardFacts(
        spec=_spec("ppce500", "generic paravirt e500 platform"),
        default_ram_size=128 * MiB,
        default_ram_id=E500_RAM_ID,
        rules=[E500_ALIGN],
        notes=E500_NOTES,
    ),
    BoardFacts(
        spec=_spec("mpc8544ds", "mpc8544ds"),
        default_ram_size=128 * MiB,
        default_ram_id=E500_RAM_ID,
        rules=[
            AtMost("The MPC8544DS board only supports up to 3GB of RAM", limit=3 * GiB),
            E500_ALIGN,
        ],
        notes=(*E500_NOTES, "the 3 GiB cap is checked before the 64 MiB multiple"),
    ),
]

# -- Power Macintosh ----------------------------------------------------------------------------

MAC = [
    BoardFacts(
        spec=_spec("mac99", "Mac99 based PowerMAC"),
        default_ram_size=128 * MiB,
        default_ram_id="ppc_core99.ram",
        rules=[AtMost("RAM size more than 2 GiB is not supported", limit=2 * GiB)],
        notes=("main RAM at 0, below the UniNorth PCI hole at 0x80000000",),
    ),
    BoardFacts(
        spec=_spec("g3beige", "Heathrow based PowerMAC"),
        default_ram_size=128 * MiB,
        default_ram_id="ppc_heathrow.ram",
        rules=[
            AtMost(
                "Too much memory for this machine: {size_mib} MB, maximum 2047 MB",
                limit=2047 * MiB,
            )
        ],
        notes=(
            "main RAM at 0, below the Grackle PCI hole at 0x80000000",
            "the message shows the RAM size in whole MiB, rounded down",
        ),
    ),
]

# -- PowerNV --------------------------------------------------------------------------------------

PNV_NOTES = (
    "main RAM at 0 as one region; with one chip (the default -smp) all of it belongs to "
    "chip 0 (QEMU 7.2 describes RAM per chip when there are several: each chip an equal "
    "share rounded down to 1 MiB, chip 0 at least 1 GiB)",
    "skiboot is loaded at 0, the kernel at 0x20000000 and the initrd at 0x60000000",
)


def _pnv(name: str, cpu: str, alias: str | None = None) -> BoardFacts:
    return BoardFacts(
        spec=_spec(name, f"IBM PowerNV (Non-Virtualized) {cpu}", alias),
        default_ram_size=1 * GiB,
        default_ram_id="pnv.ram",
        rules=[AtLeast("Invalid RAM size, should be bigger than {value_str}", limit=1 * GiB)],
        notes=PNV_NOTES,
    )


PNV = [
    _pnv("powernv8", "POWER8"),
    _pnv("powernv9", "POWER9", "powernv"),
    _pnv("powernv10", "POWER10"),
]

# -- 405 and 440 boards ---------------------------------------------------------------------------

SDRAM_MESSAGE = "Invalid SDRAM banks"
#: ref405ep's ``-machine`` property that maps the SDRAM banks as the firmware enables them.
SDRAM_ENABLED_PROPERTY = "x-sdram-enabled"
DDR_SIZES = tuple(s * MiB for s in (256, 128, 64, 32, 16, 8, 4))
DDR2_SIZES = tuple(s * MiB for s in (2048, 1024, 512, 256, 128, 64, 32, 16, 8))
REF405EP_SDRAM = SdramController(banks=2, sizes=DDR_SIZES)
BAMBOO_SDRAM = SdramController(banks=4, sizes=DDR_SIZES)
SAM460EX_SDRAM = SdramController(banks=1, sizes=DDR2_SIZES)
#: QEMU 5.0's taihu: 128 MiB soldered on as two 64 MiB banks.
TAIHU_SDRAM = SdramController(banks=2, sizes=(64 * MiB,), alias="taihu_405ep.ram-{i}")
SDRAM_LAYOUT = (
    "each SDRAM bank is an alias of main RAM ('{alias}') in its own container, banks "
    "back to back from 0"
)

PPC4XX = [
    BoardFacts(
        spec=attrs.evolve(
            _spec("ref405ep", "ref405ep"), properties={SDRAM_ENABLED_PROPERTY: "bool"}
        ),
        default_ram_size=128 * MiB,
        default_ram_id="ppc405.ram",
        rules=[SdramBanks(SDRAM_MESSAGE, controller=REF405EP_SDRAM)],
        layout=sdram_layout(REF405EP_SDRAM, enabled_by=SDRAM_ENABLED_PROPERTY),
        windows=recorded.REF405EP,
        notes=(
            "at reset no RAM is mapped: QEMU 7.2 maps the SDRAM banks when the firmware "
            "enables the SDRAM controller, or at reset when it boots a kernel with -kernel; "
            f"-machine {SDRAM_ENABLED_PROPERTY}=on (machinectl's own property, QEMU has none) "
            "gives the enabled map, the one QEMU shows with -kernel",
            SDRAM_LAYOUT.format(alias="ppc4xx.sdram0") + " (once enabled)",
            "the on-chip 'ref405ep.sram' (512 KiB at 0xfff00000) is mapped from reset",
        ),
    ),
    BoardFacts(
        spec=_spec("taihu", "taihu"),
        default_ram_size=128 * MiB,
        default_ram_id="taihu_405ep.ram",
        rules=[FixedSize("Invalid RAM size, should be {value_str}", size=128 * MiB)],
        layout=sdram_layout(TAIHU_SDRAM),
        notes=(
            "QEMU 5.0 only (removed in 7.2): RAM is soldered on, two 64 MiB banks",
            SDRAM_LAYOUT.format(alias="taihu_405ep.ram-0"),
            "shown as mapped once the SDRAM controller is enabled (with -kernel, or by the "
            "firmware)",
        ),
    ),
    BoardFacts(
        spec=_spec("bamboo", "bamboo"),
        default_ram_size=128 * MiB,
        default_ram_id="ppc4xx.sdram",
        rules=[SdramBanks(SDRAM_MESSAGE, controller=BAMBOO_SDRAM)],
        layout=sdram_layout(BAMBOO_SDRAM),
        notes=(SDRAM_LAYOUT.format(alias="ppc4xx.sdram0"), "the banks are mapped at reset"),
    ),
    BoardFacts(
        spec=_spec("sam460ex", "aCube Sam460ex"),
        default_ram_size=512 * MiB,
        default_ram_id="ppc4xx.sdram",
        rules=[
            AtMost("Memory over 2 GiB is not supported", limit=2 * GiB),
            AtLeast("Memory below 64 MiB is not supported", limit=64 * MiB),
            SdramBanks(SDRAM_MESSAGE, controller=SAM460EX_SDRAM),
        ],
        layout=sdram_layout(SAM460EX_SDRAM),
        windows=recorded.SAM460EX_MEMORY,
        notes=(
            "one DDR2 bank holds all of RAM: alias 'ppc4xx.sdram0' at 0 in its container",
            "the firmware needs 64 MiB to 2 GiB, so with one bank RAM is a power of two "
            "from 64 MiB to 2 GiB",
            "the 256 KiB L2 cache RAM ('ppc440.l2cache_ram') at 0x400000000 and the 1 MiB "
            "flash at 0x4fff00000 are the board's own memory",
        ),
    ),
]

# -- Virtex ---------------------------------------------------------------------------------------


VIRTEX_WINDOWS = (
    Window("xlnx.xps-intc", 0x81800000, 0x20),
    Window("xlnx.xps-timer", 0x83C00000, 0x20),
    Window("serial", 0x83E01003, 0x20),
    Window("virtex.flash", 0xFC000000, 16 * MiB, kind="romd"),
)

VIRTEX = BoardFacts(
    spec=_spec("virtex-ml507", "Xilinx Virtex ML507 reference design"),
    default_ram_size=128 * MiB,
    default_ram_id="ram",
    windows=VIRTEX_WINDOWS,
    notes=(
        "main RAM at 0 with no size check: above 0x81800000 the interrupt controller, timer "
        "and UART windows, and from 0xfc000000 the 16 MiB flash, hide the RAM below them",
    ),
)

RECORDS = [*E500, *MAC, *PNV, *PPC4XX, VIRTEX]
