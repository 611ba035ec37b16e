"""The CPU counts QEMU 7.2 gives the mips machine types where the records leave the
defaults: ``(min_cpus, max_cpus, default_cpus)``, recorded with
``tools/record_qemu_cpus.py`` (``query-machines`` and each machine type started).
"""

from __future__ import annotations

CPUS: dict[str, tuple[int, int, int]] = {
    "boston": (0, 16, 1),
    "fuloong2e": (0, 1, 1),
    "loongson3-virt": (0, 16, 1),
    "magnum": (0, 1, 1),
    "malta": (0, 16, 1),
    "mipssim": (0, 1, 1),
    "pica61": (0, 1, 1),
}
