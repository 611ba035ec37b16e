"""The lm32 boards against QEMU 5.0 (tests/data/reference50.json)."""

from __future__ import annotations

from machinectl.oracle import OracleConformance
from machinectl.testing import BoardConformance


class TestAgainstQemu(OracleConformance):
    distribution = "machinectl-lm32"
    oracle_files = ("data/reference50.json",)


class TestConformance(BoardConformance):
    distribution = "machinectl-lm32"
