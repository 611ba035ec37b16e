"""Memory regions: the guest-physical address space a board builds out of its RAM.

A board receives ``MachineState.ram`` (a region already backed by host memory) and places it,
or aliases of parts of it, into ``MachineState.system_memory``. Regions follow QEMU's model:

* ``ram``: guest RAM backed by a host memory backend (only the core creates these);
* ``container``: groups subregions and has no contents of its own;
* ``alias``: a window onto part of another region, placed elsewhere;
* ``io`` / ``rom`` / ``romd``: opaque windows (devices, firmware, flash, holes) that can hide
  RAM below them; a ``ram`` window without a backend is memory of a device (on-chip SRAM).

Where subregions overlap, the higher priority wins; at equal priority the one added later wins,
as in QEMU. :func:`flatten` computes what the guest really sees at each address.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator

from ._record import TYPE_CHECKING

if TYPE_CHECKING:
    import attrs
else:
    from . import _record as attrs

from .errors import MachineError

if TYPE_CHECKING:
    from typing import Any

    from .hostmem import HostMemoryBackend

ADDRESS_SPACE_END = 1 << 64


class Kind(enum.Enum):
    """The kinds of :class:`MemoryRegion`; the value is the type ``info mtree`` prints."""

    RAM = "ram"
    ROM = "rom"
    ROMD = "romd"
    IO = "i/o"
    CONTAINER = "container"
    ALIAS = "alias"


@attrs.define(eq=False, repr=False)
class MemoryRegion:
    """One node of the memory tree. Build them with the classmethod constructors."""

    #: The name the maps show.
    name: str
    #: Its size in bytes.
    size: int
    #: What it is (RAM, a container, an alias, a window).
    kind: Kind
    #: The host memory backend of a main-RAM region (None for every other region).
    backend: HostMemoryBackend | None = None
    #: The region an alias shows (None: not an alias).
    alias_target: MemoryRegion | None = None
    #: Where in its target an alias starts.
    alias_offset: int = 0
    #: Where this region sits in its parent (set by :meth:`add_subregion`).
    offset: int = 0
    #: Its priority among its siblings (set by :meth:`add_subregion`).
    priority: int = 0
    #: The region it is mapped into (None: not mapped, or the root).
    parent: MemoryRegion | None = None
    #: Regions mapped into this one, as QEMU orders them: higher priority first, and at equal
    #: priority the one added later first.
    subregions: list[MemoryRegion] = attrs.field(factory=list)
    #: Persistent memory (an NVDIMM's): shown as ``nv-ram``.
    nonvolatile: bool = False

    def __repr__(self) -> str:
        return f"<MemoryRegion {self.kind.value} {self.name!r} size={self.size:#x}>"

    # -- constructors ------------------------------------------------------------------------

    @classmethod
    def container(cls, name: str, size: int) -> MemoryRegion:
        """An empty region that only holds subregions."""
        return cls(name=name, size=_checked_size(name, size), kind=Kind.CONTAINER)

    @classmethod
    def io(cls, name: str, size: int) -> MemoryRegion:
        """An opaque window (device registers, a hole, a filler) with no RAM behind it."""
        return cls(name=name, size=_checked_size(name, size), kind=Kind.IO)

    @classmethod
    def rom(cls, name: str, size: int) -> MemoryRegion:
        """A read-only window (firmware) that is not part of main RAM."""
        return cls(name=name, size=_checked_size(name, size), kind=Kind.ROM)

    @classmethod
    def window(cls, name: str, size: int, kind: Kind) -> MemoryRegion:
        """A region of a device: ``io``, ``rom``, ``romd``, or ``ram`` that is not main RAM
        (on-chip SRAM, video RAM; it has no host memory backend)."""
        if kind not in (Kind.IO, Kind.ROM, Kind.ROMD, Kind.RAM):
            raise MachineError(f"a window cannot be of kind {kind.value}")
        return cls(name=name, size=_checked_size(name, size), kind=kind)

    @classmethod
    def alias(cls, name: str, target: MemoryRegion, offset: int, size: int) -> MemoryRegion:
        """A view of ``target[offset:offset+size]`` that can be placed anywhere.

        As in QEMU, the alias may reach past the end of its target; only the part that exists
        shows in the address space.
        """
        if offset < 0 or size <= 0 or offset >= target.size or size > ADDRESS_SPACE_END:
            raise MachineError(
                f"alias '{name}' of '{target.name}' at {offset:#x} size {size:#x} "
                f"does not fit the region (size {target.size:#x})"
            )
        return cls(name=name, size=size, kind=Kind.ALIAS, alias_target=target, alias_offset=offset)

    @classmethod
    def ram(cls, name: str, backend: HostMemoryBackend) -> MemoryRegion:
        """The region of an allocated host memory backend (core use only)."""
        return cls(name=name, size=backend.size, kind=Kind.RAM, backend=backend)

    # -- tree building -----------------------------------------------------------------------

    def add_subregion(self, offset: int, region: MemoryRegion, priority: int = 0) -> MemoryRegion:
        """Place ``region`` at ``offset`` inside this container; returns ``region``."""
        if self.kind not in (Kind.CONTAINER, Kind.RAM, Kind.IO, Kind.ROM, Kind.ROMD):
            raise MachineError(f"cannot add subregions to {self.kind.value} '{self.name}'")
        if region.parent is not None:
            raise MachineError(
                f"memory region '{region.name}' is already mapped in '{region.parent.name}'"
            )
        if offset < 0 or offset + region.size > self.size:
            raise MachineError(
                f"memory region '{region.name}' at {offset:#x} size {region.size:#x} "
                f"does not fit in '{self.name}' (size {self.size:#x})"
            )
        region.offset = offset
        region.priority = priority
        region.parent = self
        # Higher priority first; a newcomer goes before siblings of the same priority.
        index = next(
            (i for i, other in enumerate(self.subregions) if priority >= other.priority),
            len(self.subregions),
        )
        self.subregions.insert(index, region)
        return region

    def remove_subregion(self, region: MemoryRegion) -> None:
        """Take ``region`` out of this container (memory hot-unplug)."""
        if region.parent is not self:
            raise MachineError(f"memory region '{region.name}' is not mapped in '{self.name}'")
        self.subregions.remove(region)
        region.parent = None
        region.offset = 0

    def walk(self) -> Iterator[tuple[int, MemoryRegion]]:
        """Yield ``(depth, region)`` for this region and everything below it."""
        stack: list[tuple[int, MemoryRegion]] = [(0, self)]
        while stack:
            depth, region = stack.pop()
            yield depth, region
            stack.extend((depth + 1, sub) for sub in reversed(region.subregions))

    def absolute_address(self) -> int:
        """Address of this region in the root it is mapped into."""
        address, region = 0, self
        while region is not None:
            address += region.offset
            region = region.parent  # type: ignore[assignment]
        return address

    def ram_target(self) -> tuple[MemoryRegion, int]:
        """Follow aliases to the region that holds the bytes; returns it and the offset."""
        region, offset = self, 0
        while region.alias_target is not None:
            offset += region.alias_offset
            region = region.alias_target
        return region, offset

    @property
    def display_kind(self) -> str:
        """The type QEMU prints for this region (containers show as ``i/o``)."""
        target, _ = self.ram_target()
        if target.kind in (Kind.CONTAINER, Kind.ALIAS):
            return str(Kind.IO.value)
        if target.kind is Kind.RAM:
            return _ram_type(target, self.nonvolatile or target.nonvolatile)
        return str(target.kind.value)


def _ram_type(region: MemoryRegion, nonvolatile: bool) -> str:
    """What QEMU prints for a RAM region: ``rom`` for a read-only backend's memory
    (``readonly=on``), ``nv-`` before either for persistent memory."""
    readonly = region.backend is not None and getattr(region.backend, "readonly", False)
    kind = "rom" if readonly else "ram"
    return f"nv-{kind}" if nonvolatile else kind


def _checked_size(name: str, size: int) -> int:
    if size <= 0 or size > ADDRESS_SPACE_END:
        raise MachineError(f"memory region '{name}' has an invalid size {size:#x}")
    return size


@attrs.frozen
class FlatRange:
    """A piece of the guest-physical address space as the guest sees it."""

    #: The first guest-physical address of the range.
    start: int
    #: The address after its last byte (exclusive).
    end: int
    #: The priority of the region that shows here.
    priority: int
    #: The type QEMU prints for it (``ram``, ``rom``, ``romd``, ``i/o``).
    kind: str
    #: The name of the region that holds the bytes, aliases followed to their end.
    region: str
    #: Offset of ``start`` inside ``region`` (nonzero when only part of it shows here).
    offset: int
    #: That region itself (its ``backend`` is the host memory of main RAM).
    region_ref: MemoryRegion = attrs.field(eq=False, repr=False)

    @property
    def size(self) -> int:
        """The size of the range in bytes."""
        return self.end - self.start

    def as_dict(self) -> dict[str, Any]:
        """The range as ``query()["mtree"]["flat"]`` shows it (``end`` inclusive)."""
        return {
            "start": self.start,
            "end": self.end - 1,
            "size": self.size,
            "priority": self.priority,
            "kind": self.kind,
            "region": self.region,
            "offset": self.offset,
        }


def flatten(root: MemoryRegion) -> list[FlatRange]:
    """What the guest sees: non-overlapping ranges in address order, like ``info mtree -f``."""
    claimed: list[FlatRange] = []

    def render(region: MemoryRegion, base: int, lo: int, hi: int, nv: bool) -> None:
        start = base + region.offset
        lo, hi = max(lo, start), min(hi, start + region.size)
        if lo >= hi:
            return
        render_target(region, start, lo, hi, nv)

    def render_target(region: MemoryRegion, start: int, lo: int, hi: int, nv: bool) -> None:
        # An alias renders its target as if placed at start - alias_offset, clipped to the
        # alias and to the target's own end; a chain of aliases is followed to its end. As in
        # QEMU, a nonvolatile alias makes what it shows nonvolatile.
        while region.alias_target is not None:
            nv = nv or region.nonvolatile
            start -= region.alias_offset
            region = region.alias_target
            hi = min(hi, start + region.size)
            if lo >= hi:
                return
        render_contents(region, start, lo, hi, nv or region.nonvolatile)

    def render_contents(region: MemoryRegion, start: int, lo: int, hi: int, nv: bool) -> None:
        for sub in region.subregions:
            render(sub, start, lo, hi, nv)
        if region.kind is Kind.CONTAINER:
            return
        kind = _ram_type(region, nv) if region.kind is Kind.RAM else region.display_kind
        for gap_lo, gap_hi in _gaps(claimed, lo, hi):
            claimed.append(
                FlatRange(
                    start=gap_lo,
                    end=gap_hi,
                    priority=region.priority,
                    kind=kind,
                    region=region.name,
                    offset=gap_lo - start,
                    region_ref=region,
                )
            )

    render_contents(root, 0, 0, root.size, False)
    claimed.sort(key=lambda r: r.start)
    return _merge_adjacent(claimed)


def _gaps(claimed: list[FlatRange], lo: int, hi: int) -> Iterator[tuple[int, int]]:
    cursor = lo
    for r in sorted(claimed, key=lambda r: r.start):
        if r.end <= cursor or r.start >= hi:
            continue
        if r.start > cursor:
            yield cursor, r.start
        cursor = max(cursor, r.end)
        if cursor >= hi:
            return
    if cursor < hi:
        yield cursor, hi


def _merge_adjacent(ranges: list[FlatRange]) -> list[FlatRange]:
    merged: list[FlatRange] = []
    for r in ranges:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and prev.end == r.start
            and prev.region_ref is r.region_ref
            and prev.offset + prev.size == r.offset
            and prev.priority == r.priority
        ):
            merged[-1] = attrs.evolve(prev, end=r.end)
        else:
            merged.append(r)
    return merged


def flatview_root(root: MemoryRegion) -> MemoryRegion | None:
    """The region QEMU renders a flat view from: going down from ``root`` through an alias
    that shows its whole target from offset 0, or a container whose only subregion sits at
    0 and fits in it; None for a container with no subregions."""
    region = root
    while True:
        target = region.alias_target
        if target is not None:
            if region.alias_offset == 0 and region.size >= target.size:
                region = target
                continue
            return region
        if region.kind is Kind.CONTAINER:
            subs = region.subregions
            if not subs:
                return None
            if len(subs) == 1 and subs[0].offset == 0 and region.size >= subs[0].size:
                region = subs[0]
                continue
        return region


def mtree_flat_text(root: MemoryRegion) -> str:
    """The flat view in the format of QEMU's ``info mtree -f``."""
    shown = flatview_root(root)
    lines = [
        "FlatView #0",
        f' AS "memory", root: {root.name}',
        f" Root memory region: {shown.name if shown is not None else '(none)'}",
    ]
    ranges = flatten(root)
    if not ranges:
        lines.append("  No rendered FlatView")
    for r in ranges:
        suffix = f" @{r.offset:016x}" if r.offset else ""
        lines.append(
            f"  {r.start:016x}-{r.end - 1:016x} (prio {r.priority}, {r.kind}): {r.region}{suffix}"
        )
    return "\n".join(lines) + "\n"


def mtree_text(root: MemoryRegion) -> str:
    """The region tree in the format of QEMU's ``info mtree``."""
    lines = ["address-space: memory"]
    aliased: dict[int, MemoryRegion] = {}

    def emit(region: MemoryRegion, base: int, depth: int) -> None:
        start = base + region.offset
        span = f"{start:016x}-{start + region.size - 1:016x}"
        head = f"{'  ' * (depth + 1)}{span} (prio {region.priority}, {region.display_kind}): "
        if region.alias_target is not None:
            target = region.alias_target
            aliased[id(target)] = target
            lo = region.alias_offset
            lines.append(
                f"{head}alias {region.name} @{target.name} {lo:016x}-{lo + region.size - 1:016x}"
            )
            return
        lines.append(head + region.name)
        for sub in _print_order(region.subregions):
            emit(sub, start, depth + 1)

    emit(root, 0, 0)
    # As QEMU does, every alias target is listed once more on its own, in the order the
    # aliases were met, at its own offset in its parent (0 when it is not mapped); a target
    # that is itself an alias adds its own target to the list.
    shown: set[int] = set()
    while len(shown) < len(aliased):
        target = next(t for key, t in aliased.items() if key not in shown)
        shown.add(id(target))
        lines.append("")
        lines.append(f"memory-region: {target.name}")
        emit(target, 0, 0)
    return "\n".join(lines) + "\n"


def _print_order(subregions: list[MemoryRegion]) -> list[MemoryRegion]:
    """Siblings as ``info mtree`` lists them: by address, then higher priority first.

    Siblings at the same address and priority keep their order in the container, where the
    one added later comes first.
    """
    return sorted(subregions, key=lambda sub: (sub.offset, -sub.priority))


def mtree_dict(root: MemoryRegion) -> dict[str, Any]:
    """The tree and its flat view as plain data (for ``--json``)."""

    def node(region: MemoryRegion, base: int) -> dict[str, Any]:
        start = base + region.offset
        out: dict[str, Any] = {
            "name": region.name,
            "kind": region.kind.value,
            "start": start,
            "size": region.size,
            "priority": region.priority,
        }
        if region.alias_target is not None:
            out["alias-of"] = region.alias_target.name
            out["alias-offset"] = region.alias_offset
        if region.backend is not None:
            out["memdev"] = region.backend.id
        if region.subregions:
            out["subregions"] = [node(s, start) for s in region.subregions]
        return out

    return {"tree": node(root, 0), "flat": [r.as_dict() for r in flatten(root)]}
