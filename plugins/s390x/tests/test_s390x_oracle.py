"""The s390x machine types against QEMU 7.2 itself.

``data/qemu72.json`` is what ``qemu-system-s390x`` 7.2 did with each command line
(``data/regenerate.py`` rebuilds it), including the storage-increment notice the 4.2 and older
types print on stdout. machinectl must accept what QEMU accepts, with the same RAM size and
placement (every RAM and ROM line of the flat view) and the same notice, and refuse what QEMU
refuses, with QEMU's first error line.

Command lines on which QEMU dies (the 4.2 and older types round sizes below 1 MiB down to
no RAM at all) cannot be compared; machinectl refuses them.
"""

from __future__ import annotations

import pytest
from machinectl import Machine, MachineError
from machinectl.options import parse_size
from machinectl.oracle import OracleConformance, Record
from machinectl.plugins import Registry
from machinectl.testing import BoardConformance
from machinectl.units import MiB
from machinectl_s390x import RECORDS, fixup_ram_size, plugin, storage_increment


def _fixed_up(record: Record) -> bool:
    return any("was fixed up" in line for line in record["stdout"])


class TestAgainstQemu(OracleConformance):
    distribution = "machinectl-s390x"
    oracle_files = ("data/qemu72.json",)
    whole_ram_map = True

    def test_only_the_unversioned_name_is_an_alias(self, oracle_registry: Registry) -> None:
        aliases = {b.spec.alias for b in oracle_registry.boards}
        assert aliases == {None, "s390-ccw-virtio"}

    def test_refuses_what_qemu_crashes_on(
        self, oracle_records: list[Record], oracle_registry: Registry
    ) -> None:
        crashes = [r for r in oracle_records if r["crashed"]]
        assert crashes
        for record in crashes:
            with pytest.raises(MachineError, match="needs at least 1 MiB"):
                Machine.from_argv(self.argv(record), registry=oracle_registry, allocate=False)

    def test_fixup_is_what_qemu_printed(self, oracle_records: list[Record]) -> None:
        fixups = [
            r for r in oracle_records if r["machine"] == "s390-ccw-virtio-4.2" and _fixed_up(r)
        ]
        assert fixups
        for record in fixups:
            size = parse_size(record["size"].split(",")[0])
            fixed, notice = fixup_ram_size(size)
            assert [notice] == record["stdout"]
            if record["ok"]:
                assert fixed == record["memory-size-summary"]["base-memory"]

    def test_only_the_old_types_fix_up(self, oracle_records: list[Record]) -> None:
        assert plugin.facts("s390-ccw-virtio-4.2") is not None
        fixing = {f.name for f in RECORDS if f.fixup is not None}
        noticed = {r["machine"] for r in oracle_records if _fixed_up(r)}
        assert fixing == noticed


@pytest.mark.parametrize(
    ("size", "increment"),
    [(1020 * MiB, MiB), (1021 * MiB, 2 * MiB), (2041 * MiB, 2 * MiB), (2042 * MiB, 4 * MiB)],
)
def test_storage_increment_doubles_past_1020_increments(size: int, increment: int) -> None:
    assert storage_increment(size) == increment


class TestConformance(BoardConformance):
    distribution = "machinectl-s390x"
