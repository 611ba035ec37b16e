"""The sparc boards against QEMU 7.2 (tests/data/qemu72-*.json).

Besides main RAM, the flat view's ``empty-slot`` lines are compared: the I/O region that fills
the RAM a sun4m model without ECC does not have. It is one of the boards' windows, and the
records show it, so the harness compares it without being told.
"""

from __future__ import annotations

from machinectl.oracle import OracleConformance
from machinectl.testing import BoardConformance


class TestAgainstQemu(OracleConformance):
    distribution = "machinectl-sparc"
    oracle_files = ("data/qemu72-*.json",)


class TestConformance(BoardConformance):
    distribution = "machinectl-sparc"
