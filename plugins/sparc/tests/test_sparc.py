"""The sparc boards against QEMU 7.2 (tests/data/qemu72-*.json).

Besides main RAM, the flat view's ``empty-slot`` lines are compared: the I/O region that fills
the RAM a sun4m model without ECC does not have; and the RAM and PROM sun4u and sun4v allocate
themselves (``qemu72_types.json``).
"""

from __future__ import annotations

from machinectl.oracle import OracleConformance
from machinectl.testing import BoardConformance


class TestAgainstQemu(OracleConformance):
    distribution = "machinectl-sparc"
    oracle_files = ("data/qemu72-*.json", "data/qemu72_types.json")
    #: sun4u and sun4v allocate their RAM themselves: it is no backend's.
    kept_regions = ("empty-slot", "sun4u.ram", "sun4u.prom")


class TestConformance(BoardConformance):
    distribution = "machinectl-sparc"
