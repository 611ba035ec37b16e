"""The CPU counts QEMU 7.2 gives the hppa machine types where the records leave the
defaults: ``(min_cpus, max_cpus, default_cpus)``, recorded with
``tools/record_qemu_cpus.py`` (``query-machines`` and each machine type started).
"""

from __future__ import annotations

CPUS: dict[str, tuple[int, int, int]] = {
    "hppa": (0, 16, 1),
}
