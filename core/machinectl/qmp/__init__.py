"""QMP, the QEMU Machine Protocol, for a built machine: QEMU 7.2's commands and server.

:mod:`.commands` holds the commands (a table of plain functions that ``Machine.qmp`` runs
in-process), :mod:`.server` the asyncio server that speaks the protocol on sockets and
stdio, :mod:`.qom` and :mod:`.hmp` the QOM and HMP views the commands answer with. Nothing
here is imported until a monitor or ``Machine.qmp`` asks for it.
"""

from __future__ import annotations

from .commands import QmpError, execute

__all__ = ["QmpError", "execute"]
