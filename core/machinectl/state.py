"""``MachineState``: what a board sees of the machine being built."""

from __future__ import annotations

from ._record import TYPE_CHECKING

if TYPE_CHECKING:
    import attrs
else:
    from . import _record as attrs

from .memory import ADDRESS_SPACE_END, MemoryRegion

if TYPE_CHECKING:
    from typing import Any

    from .boards import Board
    from .numa import NumaState
    from .topology import CpuTopology


def _system_memory() -> MemoryRegion:
    return MemoryRegion.container("system", ADDRESS_SPACE_END)


@attrs.define(eq=False)
class MachineState:
    """The machine as the board hooks see it.

    During ``validate_ram`` nothing is allocated yet and ``ram`` is None. During
    ``init_board``, ``ram`` is the region of main RAM (None when the board has no default RAM
    id and no ``memory-backend`` was given, or when ``ram_size`` is 0): the board maps it, or
    aliases of it, into ``system_memory``. Boards never allocate RAM themselves.
    """

    #: The machine type being built.
    board: Board
    #: Size of main RAM in bytes (after QEMU's 8 KiB rounding, or the backend's exact size).
    ram_size: int
    #: ``-m maxmem=``: the top of memory including hotpluggable memory (== ram_size if unset).
    maxram_size: int
    #: ``-m slots=``: how many memory devices may be plugged.
    ram_slots: int = 0
    #: Board-specific ``-machine`` properties the board declared, already parsed.
    properties: dict[str, Any] = attrs.field(factory=dict)
    #: Number of CPUs (``-smp``); boards use it only for topology facts.
    smp_cpus: int = 1
    #: ``-smp`` completed for the board (None until the machine pipeline set it).
    topology: CpuTopology | None = None
    #: ``-cpu`` model name, as given (None: the board's default).
    cpu_type: str | None = None
    #: ``-bios`` file, as given (None: the board's default).
    firmware: str | None = None
    #: The QEMU target the machine is built for (``x86_64``, ``arm`` ...), when known.
    target: str | None = None
    #: Main RAM during ``init_board`` (see above); None before.
    ram: MemoryRegion | None = None
    #: The guest-physical address space (``system``, 16 EiB) the board maps regions into.
    system_memory: MemoryRegion = attrs.field(factory=_system_memory)
    #: The guest's NUMA nodes (None without ``-numa``).
    numa: NumaState | None = None
    #: Warnings boards emit (printed by the CLI as ``machinectl: warning: ...``).
    warnings: list[str] = attrs.field(factory=list)
    #: Notices: what QEMU tells on standard output as a plain line, not as a warning (the
    #: CLI prints them so; ``Machine.notices`` and ``query()`` carry them).
    notices: list[str] = attrs.field(factory=list)

    def warn(self, text: str) -> None:
        """Tell the user something is wrong but goes on (QEMU's ``warning:`` lines)."""
        self.warnings.append(text)

    def notice(self, text: str) -> None:
        """Tell the user something as a plain line on standard output, as QEMU prints it
        (s390x's storage-increment rounding: ``Ram size ... was fixed up to ...``)."""
        self.notices.append(text)

    def map_ram(self, base: int, region: MemoryRegion | None = None, priority: int = 0) -> None:
        """Map ``region`` (default: all of main RAM) at ``base`` of the system address space."""
        region = region if region is not None else self.ram
        if region is not None:
            self.system_memory.add_subregion(base, region, priority)
