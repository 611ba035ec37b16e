"""The ppc machine types against what QEMU does with them.

``data/qemu72.json`` is QEMU 7.2 itself (``make_oracle.py``), ``data/qemu72_nvdimm.json`` its
answers to pseries' NVDIMM options (``make_nvdimm_oracle.py``); ``data/qemu50.json`` holds the
QEMU 5.0 facts of taihu, which 7.2 no longer has (``make_qemu50.py``). For every recorded
command line machinectl must accept or refuse as QEMU does, with QEMU's message and hint
lines, and place main RAM where QEMU shows it, in the flat view and in the region tree.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from machinectl import Machine, MachineError, MachineState, Registry
from machinectl.numa import NumaNode, NumaState
from machinectl.oracle import DEVICE_NOISE, OracleConformance, Record, load_records
from machinectl_ppc import plugin
from machinectl_ppc.boards import SDRAM_ENABLED_PROPERTY

#: pseries runs with NUMA nodes of given sizes (``numa-nodes``, in bytes).
NUMA_NODES = [
    r for r in load_records(Path(__file__).parent / "data/qemu72.json") if "numa-nodes" in r
]


#: The ``-machine`` properties of the records that are about RAM.
RAM_PROPERTIES = ("memory-backend", "nvdimm")


def nodes_id(record: Record) -> str:
    return f"{record['machine']}:{'+'.join(map(str, record['numa-nodes']))}"


class TestAgainstQemu(OracleConformance):
    distribution = "machinectl-ppc"
    oracle_files = (
        "data/qemu72.json",
        "data/qemu72_nvdimm.json",
        "data/qemu50.json",
        "data/qemu72_types.json",
    )

    def compared_windows(self, machine: Machine, record: Record) -> frozenset[str]:
        """Every window but mac99's BIOS, whose device register block QEMU cuts out of it and
        machinectl does not (docs/machine-types.rst)."""
        return super().compared_windows(machine, record) - {"ppc_core99.bios"}

    #: ``-machine cap-htm=off`` only gets TCG past the transactional memory of pseries-2.8 to
    #: 2.11; it says nothing about RAM (the properties of :data:`RAM_PROPERTIES` are kept, see
    #: :meth:`argv`).
    dropped_options = OracleConformance.dropped_options | {"-machine"}
    #: Messages QEMU prints for reasons that have nothing to do with RAM (missing firmware, TCG).
    ignored_warnings = re.compile(
        rf"{DEVICE_NOISE.pattern}|TCG doesn't support|has no BMC device|"
        r"Using Virtual OpenFirmware but no -kernel option"
    )

    @classmethod
    def argv(cls, record: Record) -> list[str]:
        # QEMU maps ref405ep's SDRAM at reset only when it boots a kernel: machinectl's
        # property asks for that map.
        argv = super().argv(record)
        # Of the -machine options only those of RAM_PROPERTIES say something about RAM.
        extra = record["extra"]
        for option, value in zip(extra[::2], extra[1::2], strict=True):
            if option == "-machine" and value.split("=")[0] in RAM_PROPERTIES:
                argv += [option, value]
        if record["machine"] == "ref405ep" and "-kernel" in record["extra"]:
            argv += ["-machine", f"{SDRAM_ENABLED_PROPERTY}=on"]
        return argv

    @classmethod
    def compared(cls, record: Record) -> bool:
        # Runs with NUMA nodes of given sizes are checked by test_numa_nodes_checked_as_qemu.
        return "numa-nodes" not in record

    @pytest.mark.parametrize("name", [facts.name for facts in plugin])
    def test_describe_explains_the_layout(self, name: str, oracle_registry: Registry) -> None:
        facts = plugin.facts(name)
        assert facts is not None and facts.notes
        lines = oracle_registry.describe_board(oracle_registry.board(name))
        assert [rule.words() for rule in facts.rules] == lines[: len(facts.rules)]
        assert list(facts.notes) == lines[-len(facts.notes) :]

    @pytest.mark.parametrize("nodes", NUMA_NODES, ids=nodes_id)
    def test_numa_nodes_checked_as_qemu(self, nodes: Record, oracle_registry: Registry) -> None:
        # The pipeline does not build NUMA nodes yet: check the board's rules on a machine state
        # with the nodes QEMU was given.
        sizes = nodes["numa-nodes"]
        state = MachineState(
            board=oracle_registry.board(nodes["machine"]),
            ram_size=sum(sizes),
            maxram_size=sum(sizes),
            numa=NumaState([NumaNode(i, size=size) for i, size in enumerate(sizes)]),
        )
        if nodes["ok"]:
            oracle_registry.validate_ram(state)
        else:
            with pytest.raises(MachineError) as caught:
                oracle_registry.validate_ram(state)
            assert str(caught.value) == nodes["error"]
