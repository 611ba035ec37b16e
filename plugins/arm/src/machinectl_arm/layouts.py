"""How arm boards place main RAM: the few layouts that are more than "all of it at one base".

Each layout takes its numbers from the board record (``BoardFacts.ram_base`` and ``extra``), so
one function serves every board that shares a design. Device windows over RAM are the
record's ``windows`` (:class:`Window`), which the core maps after the layout. The ``extra`` keys
used here:

* ``mirrors``: :class:`Mirror` aliases that show all of RAM a second time.
* ``container``: a :class:`RamContainer` that holds RAM and a filler up to the SoC maximum.
* ``banks``: :class:`Bank` pairs; RAM runs across them and an alias fills the last bank used.
* ``apertures``: :class:`Aperture` windows that RAM is split across, in order.
* ``videocore``: the size of the VideoCore's share at the top of RAM.
* ``low_alias``: :class:`LowAlias`, the first part of RAM shown again at 0, under a flash alias.
* ``gate``: a :class:`Gate`, the window through which the CPU reaches RAM.

Where the map here is simpler than QEMU's, :func:`simplified_ranges` names the addresses
concerned and :func:`own_regions` the regions QEMU has no counterpart of, so that a comparison
with QEMU's memory map can leave them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
from machinectl import boards
from machinectl.boards import BoardFacts
from machinectl.memory import Kind, MemoryRegion

if TYPE_CHECKING:
    from machinectl.state import MachineState


@attrs.frozen
class Window(boards.Window):
    """A device window (:class:`machinectl.boards.Window`) with marks for comparing with QEMU.

    ``simplified`` marks a window whose devices are not modelled: QEMU maps each device on its
    own and RAM below stays visible in the gaps between them, which the window hides as a
    whole. Only the QEMU 5.0 names ``raspi2`` and ``raspi3`` keep one, because the QEMU 5.0
    reference records they are checked against give RAM as one range; the boards of QEMU 7.2
    have their devices recorded from the binary (:mod:`machinectl_arm.windows_qemu72`).
    """

    simplified: bool = attrs.field(default=False, kw_only=True)


@attrs.frozen
class Gate:
    """A memory protection controller's window at the RAM base through which RAM is reached.

    QEMU translates accesses through it (its flat view shows the window as I/O); here the
    window is a container holding RAM, so the guest sees RAM there. The controller's access
    checks are not modelled.
    """

    name: str
    size: int


@attrs.frozen
class Mirror:
    """All of RAM shown a second time at ``base`` through an alias called ``name``."""

    name: str
    base: int


@attrs.frozen
class RamContainer:
    """A container at the RAM base sized ``size``; RAM at its start, a filler after it.

    The filler (an I/O region called ``filler`` at ``filler_priority``) runs from the end of
    RAM to ``max_ram``, so firmware probing past the end of RAM reads no RAM.
    """

    name: str
    size: int
    max_ram: int
    filler: str
    filler_priority: int


@attrs.frozen
class Bank:
    """One SDRAM bank: RAM fills the banks in order from the first bank's base."""

    base: int
    size: int


@attrs.frozen
class Aperture:
    """A window of the SoC's address map that shows the next part of RAM."""

    name: str
    base: int
    size: int


@attrs.frozen
class LowAlias:
    """The first ``size`` bytes of RAM (at most) shown at 0 as ``name``.

    ``flash`` (``flash_size`` bytes at ``flash_base``) is aliased at 0 too, as ``flash_alias``,
    after the RAM alias: at equal priority it is the flash that shows.
    """

    name: str
    size: int
    flash: str
    flash_base: int
    flash_size: int
    flash_alias: str


def simplified_ranges(facts: BoardFacts) -> list[tuple[int, int]]:
    """``[start, end)`` ranges where the map is simpler than QEMU's flat view.

    These are the windows whose devices are not modelled (see :class:`Window`) and the gate
    (see :class:`Gate`), if any.
    """
    ranges = [(w.base, w.base + w.size) for w in facts.windows if getattr(w, "simplified", False)]
    gate: Gate | None = facts.extra.get("gate")
    if gate is not None:
        ranges.append((facts.ram_base, facts.ram_base + gate.size))
    return ranges


#: The aliases that show the CPU's and the VideoCore's shares of RAM.
VIDEOCORE_ALIASES = ("ram-arm", "ram-videocore")


def own_regions(facts: BoardFacts, ram_id: str | None) -> set[str]:
    """Regions of the map that QEMU's system address space does not have under that name.

    These are the two aliases of the VideoCore split and RAM inside a gate (QEMU keeps it in
    the controller's own address space).
    """
    names: set[str] = set()
    if "videocore" in facts.extra:
        names.update(VIDEOCORE_ALIASES)
    if "gate" in facts.extra and ram_id is not None:
        names.add(ram_id)
    return names


def ram_behind_gate(machine: MachineState, facts: BoardFacts) -> None:
    """RAM inside the gate's window at the RAM base."""
    gate: Gate = facts.extra["gate"]
    window = MemoryRegion.container(gate.name, gate.size)
    if machine.ram is not None:
        window.add_subregion(0, machine.ram)
    machine.system_memory.add_subregion(facts.ram_base, window)


def ram_with_mirrors(machine: MachineState, facts: BoardFacts) -> None:
    """RAM at the base, and the whole of it again at each mirror."""
    ram = machine.ram
    machine.map_ram(facts.ram_base)
    if ram is not None:
        mirror: Mirror
        for mirror in facts.extra["mirrors"]:
            alias = MemoryRegion.alias(mirror.name, ram, 0, ram.size)
            machine.system_memory.add_subregion(mirror.base, alias)


def ram_in_container(machine: MachineState, facts: BoardFacts) -> None:
    """RAM at the start of a container of the SoC's maximum size, a filler after it."""
    spec: RamContainer = facts.extra["container"]
    container = MemoryRegion.container(spec.name, spec.size)
    ram = machine.ram
    used = 0
    if ram is not None:
        container.add_subregion(0, ram)
        used = ram.size
    if used < spec.max_ram:
        filler = MemoryRegion.io(spec.filler, spec.max_ram - used)
        container.add_subregion(used, filler, spec.filler_priority)
    machine.system_memory.add_subregion(facts.ram_base, container)


def ram_over_banks(machine: MachineState, facts: BoardFacts) -> None:
    """RAM from the first bank on; an alias fills the rest of the bank where RAM ends.

    The alias starts at the RAM offset of that bank and is as long as the unused part of the
    bank, which can be longer than what is left of RAM: only the part that exists shows, so the
    alias is cut to it here.
    """
    ram = machine.ram
    if ram is None:
        return
    machine.map_ram(facts.ram_base)
    banks: Sequence[Bank] = facts.extra["banks"]
    remaining = ram.size
    offset = 0
    for bank in banks:
        if remaining == 0:
            break
        used = min(remaining, bank.size)
        remaining -= used
        if used < bank.size:
            length = min(bank.size - used, ram.size - offset)
            alias = MemoryRegion.alias("ram.alias", ram, offset, length)
            machine.system_memory.add_subregion(bank.base + used, alias)
        offset += bank.size


def ram_across_apertures(machine: MachineState, facts: BoardFacts) -> None:
    """RAM split across the SoC's apertures in order; RAM beyond the last one is not shown."""
    ram = machine.ram
    if ram is None:
        return
    apertures: Sequence[Aperture] = facts.extra["apertures"]
    offset = 0
    for aperture in apertures:
        length = min(ram.size - offset, aperture.size)
        if length <= 0:
            break
        alias = MemoryRegion.alias(aperture.name, ram, offset, length)
        machine.system_memory.add_subregion(aperture.base, alias)
        offset += length


def ram_with_videocore(machine: MachineState, facts: BoardFacts) -> None:
    """RAM at 0 in two parts, the CPU's and the VideoCore's share at the top.

    Both parts are aliases of the one RAM region, so the guest sees a single range; the
    peripheral window (a higher-priority window of the record) hides the top of RAM when RAM
    reaches it.
    """
    ram = machine.ram
    share: int = facts.extra["videocore"]
    if ram is not None:
        cpu_part = max(ram.size - share, 0)
        cpu_name, videocore_name = VIDEOCORE_ALIASES
        if cpu_part:
            alias = MemoryRegion.alias(cpu_name, ram, 0, cpu_part)
            machine.system_memory.add_subregion(facts.ram_base, alias)
        alias = MemoryRegion.alias(videocore_name, ram, cpu_part, ram.size - cpu_part)
        machine.system_memory.add_subregion(facts.ram_base + cpu_part, alias)


def ram_with_low_alias(machine: MachineState, facts: BoardFacts) -> None:
    """A low alias of RAM at 0, RAM at the base, then the flash and its alias over the low one."""
    spec: LowAlias = facts.extra["low_alias"]
    ram = machine.ram
    if ram is not None:
        low = MemoryRegion.alias(spec.name, ram, 0, min(ram.size, spec.size))
        machine.system_memory.add_subregion(0, low)
    machine.map_ram(facts.ram_base)
    flash = MemoryRegion.window(spec.flash, spec.flash_size, Kind.ROMD)
    machine.system_memory.add_subregion(spec.flash_base, flash)
    alias = MemoryRegion.alias(spec.flash_alias, flash, 0, spec.flash_size)
    machine.system_memory.add_subregion(0, alias)


def no_ram(machine: MachineState, facts: BoardFacts) -> None:
    """The board maps no main RAM at all (``-m`` only sets a size nothing uses)."""
