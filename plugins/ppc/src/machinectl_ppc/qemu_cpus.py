"""The CPU counts QEMU 7.2 gives the ppc machine types where the records leave the
defaults: ``(min_cpus, max_cpus, default_cpus)``, recorded with
``tools/record_qemu_cpus.py`` (``query-machines`` and each machine type started).
"""

from __future__ import annotations

CPUS: dict[str, tuple[int, int, int]] = {
    "40p": (0, 1, 1),
    "bamboo": (0, 1, 1),
    "g3beige": (0, 1, 1),
    "mac99": (0, 1, 1),
    "mpc8544ds": (0, 15, 1),
    "pegasos2": (0, 1, 1),
    "powernv10": (0, 2048, 1),
    "powernv8": (0, 2048, 1),
    "powernv9": (0, 2048, 1),
    "ppce500": (0, 32, 1),
    "ref405ep": (0, 1, 1),
    "sam460ex": (0, 1, 1),
    "virtex-ml507": (0, 1, 1),
}
