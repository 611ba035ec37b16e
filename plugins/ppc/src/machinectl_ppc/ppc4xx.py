"""The SDRAM controller of the PowerPC 405/440 boards: main RAM as a few fixed-size banks.

The controller has a handful of bank slots, each of which takes one of a short list of
power-of-two sizes. QEMU fills the slots greedily, largest fitting size first, and refuses a
RAM size that does not come out even (suggesting the part that did fit). Each bank is an alias
of main RAM, mapped at the bank's base inside its own container, so main RAM itself is never
placed in the address space directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
from machinectl import MachineError, MemoryRegion, MiB, RamRule

if TYPE_CHECKING:
    from machinectl import BoardFacts, MachineState
    from machinectl.boards import Layout


@attrs.frozen
class SdramController:
    """Bank slots and the sizes they take (largest first); ``alias`` names bank ``i``."""

    banks: int
    sizes: tuple[int, ...]
    alias: str = "ppc4xx.sdram{i}"

    def split(self, ram_size: int) -> tuple[list[tuple[int, int]], int]:
        """Greedy split: ``[(base, size), ...]`` of the banks used, and what is left over."""
        banks: list[tuple[int, int]] = []
        base, left = 0, ram_size
        for _ in range(self.banks):
            size = next((s for s in self.sizes if s <= left), None)
            if size is None:
                break
            banks.append((base, size))
            base += size
            left -= size
            if left == 0:
                break
        return banks, left

    def sizes_mib(self) -> str:
        return ", ".join(str(s // MiB) for s in self.sizes)


@attrs.frozen
class SdramBanks(RamRule):
    """RAM must split into the controller's banks with nothing left over (QEMU 7.2 texts)."""

    controller: SdramController = attrs.field(kw_only=True)

    def accepts(self, machine: MachineState) -> bool:
        return self.controller.split(machine.ram_size)[1] == 0

    def check(self, machine: MachineState) -> MachineError | None:
        _, left = self.controller.split(machine.ram_size)
        if left == 0:
            return None
        used = machine.ram_size - left
        suggest = (used or self.controller.sizes[-1]) // MiB
        count = self.controller.banks
        hint = (
            f"at most {count} bank{'' if count == 1 else 's'} of "
            f"{self.controller.sizes_mib()} MiB each supported\n"
            f"Possible valid RAM size: {suggest} MiB"
        )
        return MachineError(self.message, hint=hint)

    def words(self) -> str:
        count = self.controller.banks
        return (
            f"RAM must fill at most {count} SDRAM bank{'' if count == 1 else 's'} of "
            f"{self.controller.sizes_mib()} MiB, filled largest first with nothing left over"
        )


def sdram_layout(controller: SdramController, *, enabled_by: str | None = None) -> Layout:
    """The layout of a board whose RAM goes through ``controller``.

    :param enabled_by: a boolean ``-machine`` property; when given, the banks are mapped only
        when it is on (the controller is off at reset until firmware enables it).
    """

    def map_sdram_banks(machine: MachineState, facts: BoardFacts) -> None:
        # Each bank an alias of main RAM, in its own container at the bank's base.
        if machine.ram is None:
            return
        if enabled_by is not None and not machine.properties.get(enabled_by, False):
            return
        banks, _ = controller.split(machine.ram_size)
        for i, (base, size) in enumerate(banks):
            alias = MemoryRegion.alias(controller.alias.format(i=i), machine.ram, base, size)
            container = MemoryRegion.container("sdram-container", size)
            container.add_subregion(0, alias)
            machine.map_ram(facts.ram_base + base, container)

    return map_sdram_banks
