"""Site-policy plugins: each refuses machines above a size, whatever the board.

They check only ``validate_ram``; the core runs the selected board's own rules before them.
``audit`` runs in pluggy's ``tryfirst`` tier, the other two in the plain tier.
"""

from __future__ import annotations

from machinectl import GiB, MachineError, MachineState, MiB, hookimpl


class _Limit:
    def __init__(self, limit: int, message: str) -> None:
        self.limit = limit
        self.message = message

    def refuse_above_limit(self, machine: MachineState) -> None:
        if machine.ram_size > self.limit:
            raise MachineError(self.message)


class Cap(_Limit):
    @hookimpl
    def validate_ram(self, machine: MachineState) -> None:
        self.refuse_above_limit(machine)


class Audit(_Limit):
    @hookimpl(tryfirst=True)
    def validate_ram(self, machine: MachineState) -> None:
        self.refuse_above_limit(machine)


#: At most 1 GiB of guest RAM.
cap = Cap(1 * GiB, "site policy: at most 1 GiB of guest RAM")
#: At most 512 MiB per machine: stricter than ``cap``, its message sorts after it.
quota = Cap(512 * MiB, "site quota: at most 512 MiB per machine")
#: Above 2 GiB, in the ``tryfirst`` tier.
audit = Audit(2 * GiB, "site audit: machines above 2 GiB need approval")
