"""The CPU counts QEMU 7.2 gives the sparc machine types where the records leave the
defaults: ``(min_cpus, max_cpus, default_cpus)``, recorded with
``tools/record_qemu_cpus.py`` (``query-machines`` and each machine type started).
"""

from __future__ import annotations

CPUS: dict[str, tuple[int, int, int]] = {
    "LX": (0, 1, 1),
    "SPARCClassic": (0, 1, 1),
    "SPARCbook": (0, 1, 1),
    "SS-10": (0, 4, 1),
    "SS-20": (0, 4, 1),
    "SS-4": (0, 1, 1),
    "SS-5": (0, 1, 1),
    "SS-600MP": (0, 4, 1),
    "Voyager": (0, 1, 1),
    "leon3_generic": (0, 1, 1),
    "niagara": (0, 1, 1),
    "sun4u": (0, 1, 1),
    "sun4v": (0, 1, 1),
}
