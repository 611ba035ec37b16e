"""The mips machine types against what QEMU does with them.

``data/qemu72.json`` is QEMU 7.2 itself (``make_oracle.py``); ``data/qemu50.json`` holds the
QEMU 5.0 facts of the r4k board ``mips``, which 7.2 no longer has (``make_qemu50.py``). For
every recorded command line machinectl must accept or refuse as QEMU does, with QEMU's message
and hint lines, and place main RAM where QEMU shows it, in the flat view and in the region tree
(malta's SPD warning included).
"""

from __future__ import annotations

import pytest
from machinectl import Machine, Registry
from machinectl.oracle import OracleConformance, Record
from machinectl_mips import plugin


class TestAgainstQemu(OracleConformance):
    distribution = "machinectl-mips"
    oracle_files = ("data/qemu72.json", "data/qemu50.json", "data/qemu72_types.json")

    def compared_windows(self, machine: Machine, record: Record) -> frozenset[str]:
        """Every window but boston's flash, whose device register block QEMU cuts out of it
        and machinectl does not (docs/machine-types.rst)."""
        return super().compared_windows(machine, record) - {"boston.flash"}

    @pytest.mark.parametrize("name", [facts.name for facts in plugin])
    def test_describe_explains_the_layout(self, name: str, oracle_registry: Registry) -> None:
        facts = plugin.facts(name)
        assert facts is not None and facts.notes
        lines = oracle_registry.describe_board(oracle_registry.board(name))
        assert [rule.words() for rule in facts.rules] == lines[: len(facts.rules)]
        assert list(facts.notes) == lines[-len(facts.notes) :]
