"""The m68k boards against QEMU 7.2 (tests/data/qemu72-*.json, qemu72_types.json)."""

from __future__ import annotations

from machinectl.oracle import OracleConformance
from machinectl.testing import BoardConformance


class TestAgainstQemu(OracleConformance):
    distribution = "machinectl-m68k"
    oracle_files = ("data/qemu72-*.json", "data/qemu72_types.json")


class TestConformance(BoardConformance):
    distribution = "machinectl-m68k"
