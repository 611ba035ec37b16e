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
#: qemu-system-aarch64 -M ast1030-evb: 1 region besides main RAM.
AST1030_EVB_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x0, 0xC0000, "ram"),)

#: qemu-system-aarch64 -M ast2500-evb: 1 region besides main RAM.
AST2500_EVB_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x1E720000, 0x9000, "ram"),)

#: qemu-system-aarch64 -M ast2600-evb: 1 region besides main RAM.
AST2600_EVB_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x10000000, 0x16400, "ram"),)

#: qemu-system-aarch64 -M bletchley-bmc: 1 region besides main RAM.
BLETCHLEY_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x10000000, 0x16400, "ram"),)

#: qemu-system-aarch64 -M cheetah: 2 regions besides main RAM.
CHEETAH_MEMORY: tuple[Window, ...] = (
    Window("palmte.flash", 0x0, 0x800000, "rom"),
    Window("omap1.sram", 0x20000000, 0x30000, "ram"),
)

#: qemu-system-aarch64 -M cubieboard: 1 region besides main RAM.
CUBIEBOARD_MEMORY: tuple[Window, ...] = (Window("sram A", 0x0, 0xC000, "ram"),)

#: qemu-system-aarch64 -M fby35-bmc: 1 region besides main RAM.
FBY35_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x10000000, 0x16400, "ram"),)

#: qemu-system-aarch64 -M fp5280g2-bmc: 1 region besides main RAM.
FP5280G2_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x1E720000, 0x9000, "ram"),)

#: qemu-system-aarch64 -M fuji-bmc: 1 region besides main RAM.
FUJI_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x10000000, 0x16400, "ram"),)

#: qemu-system-aarch64 -M g220a-bmc: 1 region besides main RAM.
G220A_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x1E720000, 0x9000, "ram"),)

#: qemu-system-aarch64 -M imx25-pdk: 4 regions besides main RAM.
IMX25_PDK_MEMORY: tuple[Window, ...] = (
    Window("imx25.rom0", 0x0, 0x4000, "rom"),
    Window("imx25.rom1", 0x404000, 0x4000, "rom"),
    Window("imx25.iram", 0x78000000, 0x20000, "ram"),
    Window("imx25.iram", 0x78020000, 0x20000, "ram"),
)

#: qemu-system-aarch64 -M kzm: 4 regions besides main RAM.
KZM_MEMORY: tuple[Window, ...] = (
    Window("imx31.secure_rom", 0x0, 0x4000, "rom"),
    Window("imx31.rom", 0x404000, 0x4000, "rom"),
    Window("imx31.iram", 0x10000000, 0x4000, "ram"),
    Window("imx31.iram", 0x1FFFC000, 0x4000, "ram"),
)

#: qemu-system-aarch64 -M mcimx6ul-evk: 4 regions besides main RAM.
MCIMX6UL_EVK_MEMORY: tuple[Window, ...] = (
    Window("imx6ul.rom", 0x0, 0x18000, "rom"),
    Window("imx6ul.caam", 0x100000, 0x8000, "rom"),
    Window("imx6ul.ocram", 0x900000, 0x20000, "ram"),
    Window("imx6ul.ocram", 0x920000, 0x20000, "ram"),
)

#: qemu-system-aarch64 -M mcimx7d-sabre: 0 regions besides main RAM.

#: qemu-system-aarch64 -M mps2-an385: 8 regions besides main RAM.
MPS2_AN385_MEMORY: tuple[Window, ...] = (
    Window("mps.ssram1", 0x0, 0x400000, "ram"),
    Window("mps.ssram1", 0x400000, 0x400000, "ram"),
    Window("mps.blockram", 0x1000000, 0x4000, "ram"),
    Window("mps.blockram", 0x1004000, 0x4000, "ram"),
    Window("mps.blockram", 0x1008000, 0x4000, "ram"),
    Window("mps.blockram", 0x100C000, 0x4000, "ram"),
    Window("mps.ssram23", 0x20000000, 0x400000, "ram"),
    Window("mps.ssram23", 0x20400000, 0x400000, "ram"),
)

#: qemu-system-aarch64 -M mps2-an386: 8 regions besides main RAM.
MPS2_AN386_MEMORY: tuple[Window, ...] = (
    Window("mps.ssram1", 0x0, 0x400000, "ram"),
    Window("mps.ssram1", 0x400000, 0x400000, "ram"),
    Window("mps.blockram", 0x1000000, 0x4000, "ram"),
    Window("mps.blockram", 0x1004000, 0x4000, "ram"),
    Window("mps.blockram", 0x1008000, 0x4000, "ram"),
    Window("mps.blockram", 0x100C000, 0x4000, "ram"),
    Window("mps.ssram23", 0x20000000, 0x400000, "ram"),
    Window("mps.ssram23", 0x20400000, 0x400000, "ram"),
)

#: qemu-system-aarch64 -M mps2-an500: 4 regions besides main RAM.
MPS2_AN500_MEMORY: tuple[Window, ...] = (
    Window("mps.ssram1", 0x0, 0x400000, "ram"),
    Window("mps.ssram1", 0x400000, 0x400000, "ram"),
    Window("mps.ssram23", 0x20000000, 0x400000, "ram"),
    Window("mps.ssram23", 0x20400000, 0x400000, "ram"),
)

#: qemu-system-aarch64 -M mps2-an511: 4 regions besides main RAM.
MPS2_AN511_MEMORY: tuple[Window, ...] = (
    Window("mps.blockram", 0x0, 0x40000, "ram"),
    Window("mps.ssram1", 0x400000, 0x800000, "ram"),
    Window("mps.sram", 0x20000000, 0x20000, "ram"),
    Window("mps.ssram23", 0x20400000, 0x400000, "ram"),
)

#: qemu-system-aarch64 -M mps3-an547: 1 region besides main RAM.
MPS3_AN547_MEMORY: tuple[Window, ...] = (Window("sram 2", 0x21000000, 0x400000, "ram"),)

#: qemu-system-aarch64 -M musicpal: 1 region besides main RAM.
MUSICPAL_MEMORY: tuple[Window, ...] = (Window("musicpal.sram", 0xC0000000, 0x20000, "ram"),)

#: qemu-system-aarch64 -M n800: 2 regions besides main RAM.
N800_MEMORY: tuple[Window, ...] = (
    Window(
        "omap-gpmc-file",
        0x0,
        0x1000000,
        "container",
        parts=(
            Window(
                "onenand",
                0x0,
                0x20000,
                parts=(Window("onenand.ram", 0x400, 0x17C00, "ram", priority=1),),
            ),
        ),
    ),
    Window("omap2.sram", 0x40200000, 0xA0000, "ram"),
)

#: qemu-system-aarch64 -M n810: 2 regions besides main RAM.
N810_MEMORY: tuple[Window, ...] = (
    Window(
        "omap-gpmc-file",
        0x0,
        0x1000000,
        "container",
        parts=(
            Window(
                "onenand",
                0x0,
                0x20000,
                parts=(Window("onenand.ram", 0x400, 0x17C00, "ram", priority=1),),
            ),
        ),
    ),
    Window("omap2.sram", 0x40200000, 0xA0000, "ram"),
)

#: qemu-system-aarch64 -M palmetto-bmc: 1 region besides main RAM.
PALMETTO_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x1E720000, 0x8000, "ram"),)

#: qemu-system-aarch64 -M qcom-dc-scm-v1-bmc: 1 region besides main RAM.
QCOM_DC_SCM_V1_BMC_MEMORY: tuple[Window, ...] = (
    Window("aspeed.sram.0", 0x10000000, 0x16400, "ram"),
)

#: qemu-system-aarch64 -M qcom-firework-bmc: 1 region besides main RAM.
QCOM_FIREWORK_BMC_MEMORY: tuple[Window, ...] = (
    Window("aspeed.sram.0", 0x10000000, 0x16400, "ram"),
)

#: qemu-system-aarch64 -M quanta-q71l-bmc: 1 region besides main RAM.
QUANTA_Q71L_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x1E720000, 0x8000, "ram"),)

#: qemu-system-aarch64 -M rainier-bmc: 1 region besides main RAM.
RAINIER_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x10000000, 0x16400, "ram"),)

#: qemu-system-aarch64 -M romulus-bmc: 1 region besides main RAM.
ROMULUS_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x1E720000, 0x9000, "ram"),)

#: qemu-system-aarch64 -M sabrelite: 4 regions besides main RAM.
SABRELITE_MEMORY: tuple[Window, ...] = (
    Window("imx6.rom", 0x0, 0x18000, "rom"),
    Window("imx6.caam", 0x100000, 0x4000, "rom"),
    Window("imx6.ocram", 0x900000, 0x40000, "ram"),
    Window("imx6.ocram", 0x940000, 0x40000, "ram"),
)

#: qemu-system-aarch64 -M sonorapass-bmc: 1 region besides main RAM.
SONORAPASS_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x1E720000, 0x9000, "ram"),)

#: qemu-system-aarch64 -M supermicrox11-bmc: 1 region besides main RAM.
SUPERMICROX11_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x1E720000, 0x8000, "ram"),)

#: qemu-system-aarch64 -M sx1: 2 regions besides main RAM.
SX1_MEMORY: tuple[Window, ...] = (
    Window("omap_sx1.flash0-0", 0x0, 0x2000000, "rom"),
    Window("omap1.sram", 0x20000000, 0x30000, "ram"),
)

#: qemu-system-aarch64 -M sx1-v1: 2 regions besides main RAM.
SX1_V1_MEMORY: tuple[Window, ...] = (
    Window("omap_sx1.flash0-0", 0x0, 0x1000000, "rom"),
    Window("omap1.sram", 0x20000000, 0x30000, "ram"),
)

#: qemu-system-aarch64 -M tacoma-bmc: 1 region besides main RAM.
TACOMA_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x10000000, 0x16400, "ram"),)

#: qemu-system-aarch64 -M vexpress-a15: 6 regions besides main RAM.
VEXPRESS_A15_MEMORY: tuple[Window, ...] = (
    Window("vexpress.flash0", 0x0, 0x4000000, "romd"),
    Window("vexpress.flash0", 0x8000000, 0x4000000, "romd"),
    Window("vexpress.flash1", 0xC000000, 0x4000000, "romd"),
    Window("vexpress.sram", 0x14000000, 0x2000000, "ram"),
    Window("vexpress.vram", 0x18000000, 0x800000, "ram"),
    Window("vexpress.a15sram", 0x2E000000, 0x10000, "ram"),
)

#: qemu-system-aarch64 -M vexpress-a9: 5 regions besides main RAM.
VEXPRESS_A9_MEMORY: tuple[Window, ...] = (
    # Flash 0 and its alias at 0 are placed by the record's layout (under them, the low alias
    # of RAM).
    Window("vexpress.flash1", 0x44000000, 0x4000000, "romd"),
    Window("vexpress.sram", 0x48000000, 0x2000000, "ram"),
    Window("vexpress.vram", 0x4C000000, 0x800000, "ram"),
)

#: qemu-system-aarch64 -M witherspoon-bmc: 1 region besides main RAM.
WITHERSPOON_BMC_MEMORY: tuple[Window, ...] = (Window("aspeed.sram.0", 0x1E720000, 0x9000, "ram"),)

#: qemu-system-aarch64 -M xilinx-zynq-a9: 2 regions besides main RAM.
XILINX_ZYNQ_A9_MEMORY: tuple[Window, ...] = (
    Window("zynq.pflash", 0xE2000000, 0x4000000, "romd"),
    Window("zynq.ocm_ram", 0xFFFC0000, 0x40000, "ram"),
)

#: qemu-system-aarch64 -M xlnx-versal-virt: 1 region besides main RAM.
XLNX_VERSAL_VIRT_MEMORY: tuple[Window, ...] = (
    Window(
        "mr-apu",
        0x0,
        0x10000000000000000,
        "container",
        parts=(
            Window(
                "mr-ps-switch",
                0x0,
                0x10000000000000000,
                "container",
                parts=(
                    Window("xram[0]", 0xFE800000, 0x100000, "ram"),
                    Window("xram[1]", 0xFE900000, 0x100000, "ram"),
                    Window("xram[2]", 0xFEA00000, 0x100000, "ram"),
                    Window("xram[3]", 0xFEB00000, 0x100000, "ram"),
                    Window("ocm", 0xFFFC0000, 0x40000, "ram"),
                ),
            ),
        ),
    ),
)

#: qemu-system-aarch64 -M xlnx-zcu102: 4 regions besides main RAM.
XLNX_ZCU102_MEMORY: tuple[Window, ...] = (
    Window("zynqmp.ocm_ram_bank_0", 0xFFFC0000, 0x10000, "ram"),
    Window("zynqmp.ocm_ram_bank_1", 0xFFFD0000, 0x10000, "ram"),
    Window("zynqmp.ocm_ram_bank_2", 0xFFFE0000, 0x10000, "ram"),
    Window("zynqmp.ocm_ram_bank_3", 0xFFFF0000, 0x10000, "ram"),
)

#: qemu-system-aarch64 -M collie: 2 regions besides main RAM.
COLLIE_MEMORY: tuple[Window, ...] = (
    Window("collie.fl1", 0x0, 0x2000000, "romd"),
    Window("collie.fl2", 0x8000000, 0x2000000, "romd"),
)

#: qemu-system-aarch64 -M canon-a1100: 1 region besides main RAM.
CANON_A1100_MEMORY: tuple[Window, ...] = (
    Window(
        "pflash",
        0xF8000000,
        0x8000000,
        parts=(
            Window("pflash", 0x0, 0x400000, "romd"),
            Window("pflash", 0x400000, 0x400000, "romd"),
            Window("pflash", 0x800000, 0x400000, "romd"),
            Window("pflash", 0xC00000, 0x400000, "romd"),
            Window("pflash", 0x1000000, 0x400000, "romd"),
            Window("pflash", 0x1400000, 0x400000, "romd"),
            Window("pflash", 0x1800000, 0x400000, "romd"),
            Window("pflash", 0x1C00000, 0x400000, "romd"),
            Window("pflash", 0x2000000, 0x400000, "romd"),
            Window("pflash", 0x2400000, 0x400000, "romd"),
            Window("pflash", 0x2800000, 0x400000, "romd"),
            Window("pflash", 0x2C00000, 0x400000, "romd"),
            Window("pflash", 0x3000000, 0x400000, "romd"),
            Window("pflash", 0x3400000, 0x400000, "romd"),
            Window("pflash", 0x3800000, 0x400000, "romd"),
            Window("pflash", 0x3C00000, 0x400000, "romd"),
            Window("pflash", 0x4000000, 0x400000, "romd"),
            Window("pflash", 0x4400000, 0x400000, "romd"),
            Window("pflash", 0x4800000, 0x400000, "romd"),
            Window("pflash", 0x4C00000, 0x400000, "romd"),
            Window("pflash", 0x5000000, 0x400000, "romd"),
            Window("pflash", 0x5400000, 0x400000, "romd"),
            Window("pflash", 0x5800000, 0x400000, "romd"),
            Window("pflash", 0x5C00000, 0x400000, "romd"),
            Window("pflash", 0x6000000, 0x400000, "romd"),
            Window("pflash", 0x6400000, 0x400000, "romd"),
            Window("pflash", 0x6800000, 0x400000, "romd"),
            Window("pflash", 0x6C00000, 0x400000, "romd"),
            Window("pflash", 0x7000000, 0x400000, "romd"),
            Window("pflash", 0x7400000, 0x400000, "romd"),
            Window("pflash", 0x7800000, 0x400000, "romd"),
            Window("pflash", 0x7C00000, 0x400000, "romd"),
        ),
    ),
)


#: The board's own memory (on-chip SRAM, ROM, flash, video RAM) of the arm boards whose
#: records place main RAM by hand, by machine type.
OWN_MEMORY: dict[str, tuple[Window, ...]] = {
    "ast1030-evb": AST1030_EVB_MEMORY,
    "ast2500-evb": AST2500_EVB_MEMORY,
    "ast2600-evb": AST2600_EVB_MEMORY,
    "bletchley-bmc": BLETCHLEY_BMC_MEMORY,
    "cheetah": CHEETAH_MEMORY,
    "cubieboard": CUBIEBOARD_MEMORY,
    "fby35-bmc": FBY35_BMC_MEMORY,
    "fp5280g2-bmc": FP5280G2_BMC_MEMORY,
    "fuji-bmc": FUJI_BMC_MEMORY,
    "g220a-bmc": G220A_BMC_MEMORY,
    "imx25-pdk": IMX25_PDK_MEMORY,
    "kzm": KZM_MEMORY,
    "mcimx6ul-evk": MCIMX6UL_EVK_MEMORY,
    "mps2-an385": MPS2_AN385_MEMORY,
    "mps2-an386": MPS2_AN386_MEMORY,
    "mps2-an500": MPS2_AN500_MEMORY,
    "mps2-an511": MPS2_AN511_MEMORY,
    "mps3-an547": MPS3_AN547_MEMORY,
    "musicpal": MUSICPAL_MEMORY,
    "n800": N800_MEMORY,
    "n810": N810_MEMORY,
    "palmetto-bmc": PALMETTO_BMC_MEMORY,
    "qcom-dc-scm-v1-bmc": QCOM_DC_SCM_V1_BMC_MEMORY,
    "qcom-firework-bmc": QCOM_FIREWORK_BMC_MEMORY,
    "quanta-q71l-bmc": QUANTA_Q71L_BMC_MEMORY,
    "rainier-bmc": RAINIER_BMC_MEMORY,
    "romulus-bmc": ROMULUS_BMC_MEMORY,
    "sabrelite": SABRELITE_MEMORY,
    "sonorapass-bmc": SONORAPASS_BMC_MEMORY,
    "supermicrox11-bmc": SUPERMICROX11_BMC_MEMORY,
    "sx1": SX1_MEMORY,
    "sx1-v1": SX1_V1_MEMORY,
    "tacoma-bmc": TACOMA_BMC_MEMORY,
    "vexpress-a15": VEXPRESS_A15_MEMORY,
    "vexpress-a9": VEXPRESS_A9_MEMORY,
    "witherspoon-bmc": WITHERSPOON_BMC_MEMORY,
    "xilinx-zynq-a9": XILINX_ZYNQ_A9_MEMORY,
    "xlnx-versal-virt": XLNX_VERSAL_VIRT_MEMORY,
    "xlnx-zcu102": XLNX_ZCU102_MEMORY,
    "collie": COLLIE_MEMORY,
    "canon-a1100": CANON_A1100_MEMORY,
}
