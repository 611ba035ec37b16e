"""The ``acpi`` machine property of the x86 machine types (QEMU 5.1 and newer).

It is on, off or auto, checked as QEMU sets it; with ``acpi=off`` a PC plugs no DIMMs.
"""

from __future__ import annotations

from machinectl.boards import Check
from machinectl.errors import MachineError
from machinectl.state import MachineState

ACPI = "acpi"
ACPI_VALUES = ("on", "off", "auto")
#: ``-machine nvdimm=on`` enables NVDIMMs on the PC types.
NVDIMM = "nvdimm"


def acpi_off(machine: MachineState) -> bool:
    """Whether ``-machine acpi=off`` was given."""
    return machine.properties.get(ACPI) == "off"


def _check_acpi(machine: MachineState) -> MachineError | None:
    value = machine.properties.get(ACPI)
    if value is None or value in ACPI_VALUES:
        return None
    return MachineError(f"Parameter '{ACPI}' does not accept value '{value}'")


ACPI_RULE = Check(f"-machine {ACPI}= is on, off or auto", test=_check_acpi)
