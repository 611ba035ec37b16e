"""The alpha boards against QEMU 7.2 (tests/data/qemu72.json)."""

from __future__ import annotations

from machinectl.oracle import OracleConformance
from machinectl.testing import BoardConformance


class TestAgainstQemu(OracleConformance):
    distribution = "machinectl-alpha"
    oracle_files = ("data/qemu72.json",)


class TestConformance(BoardConformance):
    distribution = "machinectl-alpha"
