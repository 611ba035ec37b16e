"""The ``acpi`` machine property of the x86 machine types (QEMU 5.1 and newer).

It is on, off or auto (the core checks the value, an ``on-off-auto`` property, as
``-machine`` is read); with ``acpi=off`` a PC plugs no DIMMs.
"""

from __future__ import annotations

from machinectl.state import MachineState

ACPI = "acpi"
#: ``-machine nvdimm=on`` enables NVDIMMs on the PC types.
NVDIMM = "nvdimm"


def acpi_off(machine: MachineState) -> bool:
    """Whether ``-machine acpi=off`` was given."""
    return machine.properties.get(ACPI) == "off"
