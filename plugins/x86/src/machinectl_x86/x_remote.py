"""``x-remote``: the machine type of a multi-process QEMU's device process.

It runs devices for another QEMU and has no guest RAM of its own: QEMU 7.2 gives it no default
RAM id, so ``-m`` only sets the size QEMU reports and a backend named by
``-machine memory-backend=`` stays unmapped.
"""

from __future__ import annotations

from machinectl.boards import QEMU_DEFAULT_RAM_SIZE, BoardFacts, BoardSpec

X_REMOTE = BoardFacts(
    spec=BoardSpec(
        name="x-remote",
        description="Experimental remote machine",
        family="x86",
        targets=("i386", "x86_64"),
        memory_devices=True,
        max_cpus=1,
    ),
    default_ram_size=QEMU_DEFAULT_RAM_SIZE,
    default_ram_id=None,
    notes=("a device process of multi-process QEMU: no guest RAM and no firmware",),
)

RECORDS: tuple[BoardFacts, ...] = (X_REMOTE,)
