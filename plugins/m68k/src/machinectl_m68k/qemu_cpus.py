"""The CPU counts QEMU 7.2 gives the m68k machine types where the records leave the
defaults: ``(min_cpus, max_cpus, default_cpus)``, recorded with
``tools/record_qemu_cpus.py`` (``query-machines`` and each machine type started).
"""

from __future__ import annotations

CPUS: dict[str, tuple[int, int, int]] = {
    "an5206": (0, 1, 1),
    "mcf5208evb": (0, 1, 1),
    "next-cube": (0, 1, 1),
    "q800": (0, 1, 1),
    "virt-6.0": (0, 1, 1),
    "virt-6.1": (0, 1, 1),
    "virt-6.2": (0, 1, 1),
    "virt-7.0": (0, 1, 1),
    "virt-7.1": (0, 1, 1),
    "virt-7.2": (0, 1, 1),
}
