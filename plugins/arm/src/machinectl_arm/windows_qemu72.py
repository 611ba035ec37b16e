"""Device windows of arm boards, recorded from QEMU 7.2 (``tools/qemu_windows.py``).

Each tuple holds the regions QEMU maps in the system address space where main RAM can reach
(main RAM itself left out), nested as in ``info mtree``: the flat view then shows RAM in the
gaps between devices exactly where QEMU does. Regenerate a tuple with the command in its
comment.
"""

from __future__ import annotations

from machinectl.boards import Window

#: qemu-system-arm -M raspi0: 1 region besides main RAM.
RASPI0: tuple[Window, ...] = (
    Window(
        "bcm2835-peripherals",
        0x20000000,
        0x1000000,
        "container",
        priority=1,
        parts=(
            Window("bcm2835-sys-timer", 0x3000, 0x20),
            Window("bcm2835-txp", 0x4000, 0x1000, priority=-1000),
            Window("mphi", 0x6000, 0x1000),
            Window("bcm2835-dma", 0x7000, 0x1000),
            Window("bcm2835-ic", 0xB200, 0x200),
            Window("bcm2835-sp804", 0xB400, 0x40, priority=-1000),
            Window("bcm2835-mbox", 0xB800, 0x400),
            Window("bcm2835-powermgt", 0x100000, 0x200),
            Window("bcm2835-cprman", 0x101000, 0x2000),
            Window("bcm2835-rng", 0x104000, 0x10),
            Window("bcm2835_gpio", 0x200000, 0x1000),
            Window("pl011", 0x201000, 0x1000),
            Window("bcm2835-sdhost", 0x202000, 0x1000),
            Window("bcm2835-i2s", 0x203000, 0x100, priority=-1000),
            Window("bcm2835-spi0", 0x204000, 0x20, priority=-1000),
            Window("bcm2835-i2c0", 0x205000, 0x20, priority=-1000),
            Window("bcm2835-otp", 0x20F000, 0x80, priority=-1000),
            Window("bcm2835-thermal", 0x212000, 0x8),
            Window("bcm2835-spis", 0x214000, 0x100, priority=-1000),
            Window("bcm2835-aux", 0x215000, 0x100),
            Window("sdhci", 0x300000, 0x100),
            Window("bcm2835-smi", 0x600000, 0x100, priority=-1000),
            Window("bcm2835-i2c1", 0x804000, 0x20, priority=-1000),
            Window("bcm2835-i2c2", 0x805000, 0x20, priority=-1000),
            Window("bcm2835-dbus", 0x900000, 0x8000, priority=-1000),
            Window("bcm2835-ave0", 0x910000, 0x8000, priority=-1000),
            Window(
                "dwc2",
                0x980000,
                0x11000,
                "container",
                parts=(
                    Window("dwc2-io", 0x0, 0x1000),
                    Window("dwc2-fifo", 0x1000, 0x10000),
                ),
            ),
            Window("bcm2835-v3d", 0xC00000, 0x1000, priority=-1000),
            Window("bcm2835-sdramc", 0xE00000, 0x100, priority=-1000),
            Window("bcm2835-dma-chan15", 0xE05000, 0x100),
        ),
    ),
)

#: qemu-system-arm -M raspi1ap: 1 region besides main RAM.
RASPI1AP: tuple[Window, ...] = (
    Window(
        "bcm2835-peripherals",
        0x20000000,
        0x1000000,
        "container",
        priority=1,
        parts=(
            Window("bcm2835-sys-timer", 0x3000, 0x20),
            Window("bcm2835-txp", 0x4000, 0x1000, priority=-1000),
            Window("mphi", 0x6000, 0x1000),
            Window("bcm2835-dma", 0x7000, 0x1000),
            Window("bcm2835-ic", 0xB200, 0x200),
            Window("bcm2835-sp804", 0xB400, 0x40, priority=-1000),
            Window("bcm2835-mbox", 0xB800, 0x400),
            Window("bcm2835-powermgt", 0x100000, 0x200),
            Window("bcm2835-cprman", 0x101000, 0x2000),
            Window("bcm2835-rng", 0x104000, 0x10),
            Window("bcm2835_gpio", 0x200000, 0x1000),
            Window("pl011", 0x201000, 0x1000),
            Window("bcm2835-sdhost", 0x202000, 0x1000),
            Window("bcm2835-i2s", 0x203000, 0x100, priority=-1000),
            Window("bcm2835-spi0", 0x204000, 0x20, priority=-1000),
            Window("bcm2835-i2c0", 0x205000, 0x20, priority=-1000),
            Window("bcm2835-otp", 0x20F000, 0x80, priority=-1000),
            Window("bcm2835-thermal", 0x212000, 0x8),
            Window("bcm2835-spis", 0x214000, 0x100, priority=-1000),
            Window("bcm2835-aux", 0x215000, 0x100),
            Window("sdhci", 0x300000, 0x100),
            Window("bcm2835-smi", 0x600000, 0x100, priority=-1000),
            Window("bcm2835-i2c1", 0x804000, 0x20, priority=-1000),
            Window("bcm2835-i2c2", 0x805000, 0x20, priority=-1000),
            Window("bcm2835-dbus", 0x900000, 0x8000, priority=-1000),
            Window("bcm2835-ave0", 0x910000, 0x8000, priority=-1000),
            Window(
                "dwc2",
                0x980000,
                0x11000,
                "container",
                parts=(
                    Window("dwc2-io", 0x0, 0x1000),
                    Window("dwc2-fifo", 0x1000, 0x10000),
                ),
            ),
            Window("bcm2835-v3d", 0xC00000, 0x1000, priority=-1000),
            Window("bcm2835-sdramc", 0xE00000, 0x100, priority=-1000),
            Window("bcm2835-dma-chan15", 0xE05000, 0x100),
        ),
    ),
)

#: qemu-system-arm -M raspi2b: 1 region besides main RAM.
RASPI2B: tuple[Window, ...] = (
    Window(
        "bcm2835-peripherals",
        0x3F000000,
        0x1000000,
        "container",
        priority=1,
        parts=(
            Window("bcm2835-sys-timer", 0x3000, 0x20),
            Window("bcm2835-txp", 0x4000, 0x1000, priority=-1000),
            Window("mphi", 0x6000, 0x1000),
            Window("bcm2835-dma", 0x7000, 0x1000),
            Window("bcm2835-ic", 0xB200, 0x200),
            Window("bcm2835-sp804", 0xB400, 0x40, priority=-1000),
            Window("bcm2835-mbox", 0xB800, 0x400),
            Window("bcm2835-powermgt", 0x100000, 0x200),
            Window("bcm2835-cprman", 0x101000, 0x2000),
            Window("bcm2835-rng", 0x104000, 0x10),
            Window("bcm2835_gpio", 0x200000, 0x1000),
            Window("pl011", 0x201000, 0x1000),
            Window("bcm2835-sdhost", 0x202000, 0x1000),
            Window("bcm2835-i2s", 0x203000, 0x100, priority=-1000),
            Window("bcm2835-spi0", 0x204000, 0x20, priority=-1000),
            Window("bcm2835-i2c0", 0x205000, 0x20, priority=-1000),
            Window("bcm2835-otp", 0x20F000, 0x80, priority=-1000),
            Window("bcm2835-thermal", 0x212000, 0x8),
            Window("bcm2835-spis", 0x214000, 0x100, priority=-1000),
            Window("bcm2835-aux", 0x215000, 0x100),
            Window("sdhci", 0x300000, 0x100),
            Window("bcm2835-smi", 0x600000, 0x100, priority=-1000),
            Window("bcm2835-i2c1", 0x804000, 0x20, priority=-1000),
            Window("bcm2835-i2c2", 0x805000, 0x20, priority=-1000),
            Window("bcm2835-dbus", 0x900000, 0x8000, priority=-1000),
            Window("bcm2835-ave0", 0x910000, 0x8000, priority=-1000),
            Window(
                "dwc2",
                0x980000,
                0x11000,
                "container",
                parts=(
                    Window("dwc2-io", 0x0, 0x1000),
                    Window("dwc2-fifo", 0x1000, 0x10000),
                ),
            ),
            Window("bcm2835-v3d", 0xC00000, 0x1000, priority=-1000),
            Window("bcm2835-sdramc", 0xE00000, 0x100, priority=-1000),
            Window("bcm2835-dma-chan15", 0xE05000, 0x100),
        ),
    ),
)

#: qemu-system-aarch64 -M raspi3ap: 1 region besides main RAM.
RASPI3AP: tuple[Window, ...] = (
    Window(
        "bcm2835-peripherals",
        0x3F000000,
        0x1000000,
        "container",
        priority=1,
        parts=(
            Window("bcm2835-sys-timer", 0x3000, 0x20),
            Window("bcm2835-txp", 0x4000, 0x1000, priority=-1000),
            Window("mphi", 0x6000, 0x1000),
            Window("bcm2835-dma", 0x7000, 0x1000),
            Window("bcm2835-ic", 0xB200, 0x200),
            Window("bcm2835-sp804", 0xB400, 0x40, priority=-1000),
            Window("bcm2835-mbox", 0xB800, 0x400),
            Window("bcm2835-powermgt", 0x100000, 0x200),
            Window("bcm2835-cprman", 0x101000, 0x2000),
            Window("bcm2835-rng", 0x104000, 0x10),
            Window("bcm2835_gpio", 0x200000, 0x1000),
            Window("pl011", 0x201000, 0x1000),
            Window("bcm2835-sdhost", 0x202000, 0x1000),
            Window("bcm2835-i2s", 0x203000, 0x100, priority=-1000),
            Window("bcm2835-spi0", 0x204000, 0x20, priority=-1000),
            Window("bcm2835-i2c0", 0x205000, 0x20, priority=-1000),
            Window("bcm2835-otp", 0x20F000, 0x80, priority=-1000),
            Window("bcm2835-thermal", 0x212000, 0x8),
            Window("bcm2835-spis", 0x214000, 0x100, priority=-1000),
            Window("bcm2835-aux", 0x215000, 0x100),
            Window("sdhci", 0x300000, 0x100),
            Window("bcm2835-smi", 0x600000, 0x100, priority=-1000),
            Window("bcm2835-i2c1", 0x804000, 0x20, priority=-1000),
            Window("bcm2835-i2c2", 0x805000, 0x20, priority=-1000),
            Window("bcm2835-dbus", 0x900000, 0x8000, priority=-1000),
            Window("bcm2835-ave0", 0x910000, 0x8000, priority=-1000),
            Window(
                "dwc2",
                0x980000,
                0x11000,
                "container",
                parts=(
                    Window("dwc2-io", 0x0, 0x1000),
                    Window("dwc2-fifo", 0x1000, 0x10000),
                ),
            ),
            Window("bcm2835-v3d", 0xC00000, 0x1000, priority=-1000),
            Window("bcm2835-sdramc", 0xE00000, 0x100, priority=-1000),
            Window("bcm2835-dma-chan15", 0xE05000, 0x100),
        ),
    ),
)

#: qemu-system-aarch64 -M raspi3b: 1 region besides main RAM.
RASPI3B: tuple[Window, ...] = (
    Window(
        "bcm2835-peripherals",
        0x3F000000,
        0x1000000,
        "container",
        priority=1,
        parts=(
            Window("bcm2835-sys-timer", 0x3000, 0x20),
            Window("bcm2835-txp", 0x4000, 0x1000, priority=-1000),
            Window("mphi", 0x6000, 0x1000),
            Window("bcm2835-dma", 0x7000, 0x1000),
            Window("bcm2835-ic", 0xB200, 0x200),
            Window("bcm2835-sp804", 0xB400, 0x40, priority=-1000),
            Window("bcm2835-mbox", 0xB800, 0x400),
            Window("bcm2835-powermgt", 0x100000, 0x200),
            Window("bcm2835-cprman", 0x101000, 0x2000),
            Window("bcm2835-rng", 0x104000, 0x10),
            Window("bcm2835_gpio", 0x200000, 0x1000),
            Window("pl011", 0x201000, 0x1000),
            Window("bcm2835-sdhost", 0x202000, 0x1000),
            Window("bcm2835-i2s", 0x203000, 0x100, priority=-1000),
            Window("bcm2835-spi0", 0x204000, 0x20, priority=-1000),
            Window("bcm2835-i2c0", 0x205000, 0x20, priority=-1000),
            Window("bcm2835-otp", 0x20F000, 0x80, priority=-1000),
            Window("bcm2835-thermal", 0x212000, 0x8),
            Window("bcm2835-spis", 0x214000, 0x100, priority=-1000),
            Window("bcm2835-aux", 0x215000, 0x100),
            Window("sdhci", 0x300000, 0x100),
            Window("bcm2835-smi", 0x600000, 0x100, priority=-1000),
            Window("bcm2835-i2c1", 0x804000, 0x20, priority=-1000),
            Window("bcm2835-i2c2", 0x805000, 0x20, priority=-1000),
            Window("bcm2835-dbus", 0x900000, 0x8000, priority=-1000),
            Window("bcm2835-ave0", 0x910000, 0x8000, priority=-1000),
            Window(
                "dwc2",
                0x980000,
                0x11000,
                "container",
                parts=(
                    Window("dwc2-io", 0x0, 0x1000),
                    Window("dwc2-fifo", 0x1000, 0x10000),
                ),
            ),
            Window("bcm2835-v3d", 0xC00000, 0x1000, priority=-1000),
            Window("bcm2835-sdramc", 0xE00000, 0x100, priority=-1000),
            Window("bcm2835-dma-chan15", 0xE05000, 0x100),
        ),
    ),
)

#: qemu-system-arm -M highbank -m 4G: 13 regions besides main RAM.
HIGHBANK: tuple[Window, ...] = (
    Window("ahci", 0xFFE08000, 0x1000),
    Window(
        "a9mp-priv-container",
        0xFFF10000,
        0x2000,
        "container",
        parts=(
            Window("a9-scu", 0x0, 0x100),
            Window("gic_cpu", 0x100, 0x100),
            Window("a9gtimer shared", 0x200, 0x20),
            Window("arm_mptimer_timer", 0x600, 0x20),
            Window("arm_mptimer_timer", 0x620, 0x20),
            Window("gic_dist", 0x1000, 0x1000),
        ),
    ),
    Window("l2x0_cc", 0xFFF12000, 0x1000),
    Window("pl061", 0xFFF30000, 0x1000),
    Window("pl061", 0xFFF31000, 0x1000),
    Window("pl061", 0xFFF32000, 0x1000),
    Window("pl061", 0xFFF33000, 0x1000),
    Window("sp804", 0xFFF34000, 0x1000),
    Window("pl031", 0xFFF35000, 0x1000),
    Window("pl011", 0xFFF36000, 0x1000),
    Window("pl022", 0xFFF39000, 0x1000),
    Window("highbank_regs", 0xFFF3C000, 0x1000),
    Window("highbank.sysram", 0xFFF88000, 0x8000, "ram"),
)

#: qemu-system-arm -M midway -m 4G: 12 regions besides main RAM.
MIDWAY: tuple[Window, ...] = (
    Window("ahci", 0xFFE08000, 0x1000),
    Window(
        "a15mp-priv-container",
        0xFFF10000,
        0x8000,
        "container",
        parts=(
            Window("gic_dist", 0x1000, 0x1000),
            Window("gic_cpu", 0x2000, 0x2000),
            Window("gic_viface", 0x4000, 0x1000),
            Window("gic_viface", 0x5000, 0x200),
            Window("gic_vcpu", 0x6000, 0x2000),
        ),
    ),
    Window("pl061", 0xFFF30000, 0x1000),
    Window("pl061", 0xFFF31000, 0x1000),
    Window("pl061", 0xFFF32000, 0x1000),
    Window("pl061", 0xFFF33000, 0x1000),
    Window("sp804", 0xFFF34000, 0x1000),
    Window("pl031", 0xFFF35000, 0x1000),
    Window("pl011", 0xFFF36000, 0x1000),
    Window("pl022", 0xFFF39000, 0x1000),
    Window("highbank_regs", 0xFFF3C000, 0x1000),
    Window("highbank.sysram", 0xFFF88000, 0x8000, "ram"),
)

#: qemu-system-arm -M integratorcp -m 4G: 14 regions besides main RAM.
INTEGRATORCP: tuple[Window, ...] = (
    Window("integratorcm", 0x10000000, 0x800000),
    Window("icp_pit", 0x13000000, 0x1000),
    Window("icp-pic", 0x14000000, 0x800000),
    Window("pl031", 0x15000000, 0x1000),
    Window("pl011", 0x16000000, 0x1000),
    Window("pl011", 0x17000000, 0x1000),
    Window("pl050", 0x18000000, 0x1000),
    Window("pl050", 0x19000000, 0x1000),
    Window("dbg-leds", 0x1A000000, 0x1000000),
    Window("pl181", 0x1C000000, 0x1000),
    Window("pl041", 0x1D000000, 0x1000),
    Window("pl110", 0xC0000000, 0x1000),
    Window("icp-pic", 0xCA000000, 0x800000),
    Window("icp_ctrl_regs", 0xCB000000, 0x800000),
)
#: qemu-system-aarch64 -M akita: 3 regions besides main RAM.
AKITA_MEMORY: tuple[Window, ...] = (
    Window("spitz.rom", 0x0, 0x800000, "rom"),
    Window("pxa270.internal", 0x5C000000, 0x40000, "ram"),
    Window("pxa270.sdram", 0xA0000000, 0x4000000, "ram"),
)

#: qemu-system-aarch64 -M borzoi: 3 regions besides main RAM.
BORZOI_MEMORY: tuple[Window, ...] = (
    Window("spitz.rom", 0x0, 0x800000, "rom"),
    Window("pxa270.internal", 0x5C000000, 0x40000, "ram"),
    Window("pxa270.sdram", 0xA0000000, 0x4000000, "ram"),
)

#: qemu-system-aarch64 -M connex: 3 regions besides main RAM.
CONNEX_MEMORY: tuple[Window, ...] = (
    Window("connext.rom", 0x0, 0x1000000, "romd"),
    Window("pxa255.internal", 0x5C000000, 0x40000, "ram"),
    Window("pxa255.sdram", 0xA0000000, 0x4000000, "ram"),
)

#: qemu-system-aarch64 -M emcraft-sf2: 4 regions besides main RAM.
EMCRAFT_SF2_MEMORY: tuple[Window, ...] = (
    Window("MSF2.eNVM", 0x0, 0x40000, "rom"),
    Window("MSF2.eSRAM", 0x20000000, 0x10000, "ram"),
    Window("MSF2.eNVM", 0x60000000, 0x40000, "rom"),
    Window("ddr-ram", 0xA0000000, 0x4000000, "ram"),
)

#: qemu-system-aarch64 -M lm3s6965evb: 2 regions besides main RAM.
LM3S6965EVB_MEMORY: tuple[Window, ...] = (
    Window("stellaris.flash", 0x0, 0x40000, "rom"),
    Window("stellaris.sram", 0x20000000, 0x10000, "ram"),
)

#: qemu-system-aarch64 -M lm3s811evb: 2 regions besides main RAM.
LM3S811EVB_MEMORY: tuple[Window, ...] = (
    Window("stellaris.flash", 0x0, 0x10000, "rom"),
    Window("stellaris.sram", 0x20000000, 0x2000, "ram"),
)

#: qemu-system-aarch64 -M mainstone: 5 regions besides main RAM.
MAINSTONE_MEMORY: tuple[Window, ...] = (
    Window("mainstone.rom", 0x0, 0x800000, "rom"),
    Window("mainstone.flash0", 0x0, 0x2000000, "romd"),
    Window("mainstone.flash1", 0x4000000, 0x2000000, "romd"),
    Window("pxa270.internal", 0x5C000000, 0x40000, "ram"),
    Window("pxa270.sdram", 0xA0000000, 0x4000000, "ram"),
)

#: qemu-system-aarch64 -M netduino2: 3 regions besides main RAM.
NETDUINO2_MEMORY: tuple[Window, ...] = (
    Window("STM32F205.flash", 0x0, 0x100000, "rom"),
    Window("STM32F205.flash", 0x8000000, 0x100000, "rom"),
    Window("STM32F205.sram", 0x20000000, 0x20000, "ram"),
)

#: qemu-system-aarch64 -M netduinoplus2: 3 regions besides main RAM.
NETDUINOPLUS2_MEMORY: tuple[Window, ...] = (
    Window("STM32F405.flash", 0x0, 0x100000, "rom"),
    Window("STM32F405.flash", 0x8000000, 0x100000, "rom"),
    Window("STM32F405.sram", 0x20000000, 0x30000, "ram"),
)

#: qemu-system-aarch64 -M nuri: 4 regions besides main RAM.
NURI_MEMORY: tuple[Window, ...] = (
    Window("exynos4210.irom", 0x0, 0x10000, "rom"),
    Window("exynos4210.irom", 0x2000000, 0x10000, "rom"),
    Window("exynos4210.iram", 0x2020000, 0x20000, "ram"),
    Window("exynos4210.dram0", 0x40000000, 0x40000000, "ram"),
)

#: qemu-system-aarch64 -M smdkc210: 4 regions besides main RAM.
SMDKC210_MEMORY: tuple[Window, ...] = (
    Window("exynos4210.irom", 0x0, 0x10000, "rom"),
    Window("exynos4210.irom", 0x2000000, 0x10000, "rom"),
    Window("exynos4210.iram", 0x2020000, 0x20000, "ram"),
    Window("exynos4210.dram0", 0x40000000, 0x40000000, "ram"),
)

#: qemu-system-aarch64 -M spitz: 3 regions besides main RAM.
SPITZ_MEMORY: tuple[Window, ...] = (
    Window("spitz.rom", 0x0, 0x800000, "rom"),
    Window("pxa270.internal", 0x5C000000, 0x40000, "ram"),
    Window("pxa270.sdram", 0xA0000000, 0x4000000, "ram"),
)

#: qemu-system-aarch64 -M stm32vldiscovery: 3 regions besides main RAM.
STM32VLDISCOVERY_MEMORY: tuple[Window, ...] = (
    Window("STM32F100.flash", 0x0, 0x20000, "rom"),
    Window("STM32F100.flash", 0x8000000, 0x20000, "rom"),
    Window("STM32F100.sram", 0x20000000, 0x2000, "ram"),
)

#: qemu-system-aarch64 -M terrier: 3 regions besides main RAM.
TERRIER_MEMORY: tuple[Window, ...] = (
    Window("spitz.rom", 0x0, 0x800000, "rom"),
    Window("pxa270.internal", 0x5C000000, 0x40000, "ram"),
    Window("pxa270.sdram", 0xA0000000, 0x4000000, "ram"),
)

#: qemu-system-aarch64 -M tosa: 4 regions besides main RAM.
TOSA_MEMORY: tuple[Window, ...] = (
    Window("tosa.rom", 0x0, 0x800000, "rom"),
    Window("tc6393xb.vram", 0x10100000, 0x100000, "ram"),
    Window("pxa255.internal", 0x5C000000, 0x40000, "ram"),
    Window("pxa255.sdram", 0xA0000000, 0x4000000, "ram"),
)

#: qemu-system-aarch64 -M verdex: 3 regions besides main RAM.
VERDEX_MEMORY: tuple[Window, ...] = (
    Window("verdex.rom", 0x0, 0x2000000, "romd"),
    Window("pxa270.internal", 0x5C000000, 0x40000, "ram"),
    Window("pxa270.sdram", 0xA0000000, 0x10000000, "ram"),
)

#: qemu-system-aarch64 -M z2: 3 regions besides main RAM.
Z2_MEMORY: tuple[Window, ...] = (
    Window("z2.flash0", 0x0, 0x800000, "romd"),
    Window("pxa270.internal", 0x5C000000, 0x40000, "ram"),
    Window("pxa270.sdram", 0xA0000000, 0x2000000, "ram"),
)

#: qemu-system-aarch64 -M kudo-bmc: 3 regions besides main RAM.
KUDO_BMC_MEMORY: tuple[Window, ...] = (
    Window("ram3", 0xC0008000, 0x1000, "ram"),
    Window("ram2", 0xFFFD0000, 0x20000, "ram"),
    Window("irom", 0xFFFF0000, 0x10000, "rom"),
)

#: qemu-system-aarch64 -M mori-bmc: 3 regions besides main RAM.
MORI_BMC_MEMORY: tuple[Window, ...] = (
    Window("ram3", 0xC0008000, 0x1000, "ram"),
    Window("ram2", 0xFFFD0000, 0x20000, "ram"),
    Window("irom", 0xFFFF0000, 0x10000, "rom"),
)

#: qemu-system-aarch64 -M npcm750-evb: 3 regions besides main RAM.
NPCM750_EVB_MEMORY: tuple[Window, ...] = (
    Window("ram3", 0xC0008000, 0x1000, "ram"),
    Window("ram2", 0xFFFD0000, 0x20000, "ram"),
    Window("irom", 0xFFFF0000, 0x10000, "rom"),
)

#: qemu-system-aarch64 -M quanta-gbs-bmc: 3 regions besides main RAM.
QUANTA_GBS_BMC_MEMORY: tuple[Window, ...] = (
    Window("ram3", 0xC0008000, 0x1000, "ram"),
    Window("ram2", 0xFFFD0000, 0x20000, "ram"),
    Window("irom", 0xFFFF0000, 0x10000, "rom"),
)

#: qemu-system-aarch64 -M quanta-gsj: 3 regions besides main RAM.
QUANTA_GSJ_MEMORY: tuple[Window, ...] = (
    Window("ram3", 0xC0008000, 0x1000, "ram"),
    Window("ram2", 0xFFFD0000, 0x20000, "ram"),
    Window("irom", 0xFFFF0000, 0x10000, "rom"),
)

#: qemu-system-aarch64 -M orangepi-pc: 4 regions besides main RAM.
ORANGEPI_PC_MEMORY: tuple[Window, ...] = (
    Window("sram A1", 0x0, 0x10000, "ram"),
    Window("sram C", 0x10000, 0xB000, "ram"),
    Window("sram A2", 0x44000, 0x8000, "ram"),
    Window("allwinner-h3-dramc.row-mirror", 0x40000000, 0x1000, "ram", priority=10),
)
