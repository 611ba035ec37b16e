"""Guest NUMA: ``-numa node`` with ``memdev`` or the legacy ``mem``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .errors import MachineError

if TYPE_CHECKING:
    from .hostmem import HostMemoryBackend
    from .options import NumaOption
    from .state import MachineState


@attrs.define
class NumaNode:
    nodeid: int
    size: int = 0
    backend: HostMemoryBackend | None = None
    cpus: tuple[int, ...] = ()


@attrs.define
class NumaState:
    nodes: list[NumaNode] = attrs.field(factory=list)

    @property
    def uses_memdev(self) -> bool:
        return any(node.backend is not None for node in self.nodes)


def configure(
    options: Sequence[NumaOption],
    state: MachineState,
    backends: Sequence[HostMemoryBackend],
    memdev: HostMemoryBackend | None,
) -> NumaState | None:
    """Interpret ``-numa`` options against the board; None when there are none."""
    if not options:
        return None
    if not state.board.spec.numa:
        raise MachineError("NUMA is not supported by this machine-type")
    raise MachineError("-numa is not supported yet")


def query(numa: NumaState | None) -> list[dict[str, Any]]:
    if numa is None:
        return []
    return [
        {
            "node-id": node.nodeid,
            "size": node.size,
            "memdev": node.backend.id if node.backend else None,
            "cpus": list(node.cpus),
        }
        for node in numa.nodes
    ]
