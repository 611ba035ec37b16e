"""microvm's RAM: a fixed 3 GiB split and the qboot firmware below 1 MiB."""

from __future__ import annotations

import attrs
from machinectl.boards import BoardFacts
from machinectl.state import MachineState
from machinectl.units import GiB, KiB

from .firmware import Firmware
from .pc import ABOVE_4G_BASE, Split, map_split

#: qboot, microvm's 64 KiB firmware, straight in system memory; there is no option-ROM area.
QBOOT = Firmware(64 * KiB, option_rom=False, behind_pci=False)


@attrs.frozen
class MicrovmModel:
    """microvm places RAM like a PC but with a fixed split and no memory hotplug."""

    #: The most RAM below 4 GiB; more than this goes to 4 GiB.
    below_4g_max: int = 3 * GiB
    firmware: Firmware = QBOOT

    def split(self, ram_size: int) -> Split:
        if ram_size > self.below_4g_max:
            return Split(self.below_4g_max, ram_size - self.below_4g_max)
        return Split(ram_size, 0)

    def layout(self, machine: MachineState, facts: BoardFacts) -> None:
        map_split(machine, self.split(machine.ram_size), ABOVE_4G_BASE)
        self.firmware.for_machine(machine).map(machine.system_memory)

    def notes(self) -> tuple[str, ...]:
        return (
            "main RAM is mapped as 'ram-below-4g' at 0 and, above 3 GiB of RAM, the rest as "
            "'ram-above-4g' at 4 GiB (a fixed split; there is no max-ram-below-4g)",
            self.firmware.words(),
            "-m slots= and maxmem= are accepted and ignored: there is no device memory",
        )
