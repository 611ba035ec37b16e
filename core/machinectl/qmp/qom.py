"""The QOM view of a machine's backends: ``/objects``, their properties and types.

QEMU lists an object's children in the order of the hash table that holds its properties
(GLib's ``GHashTable`` with ``g_str_hash``), reversed, because ``query-memdev`` and
``qom-list`` prepend each entry to their answer. :class:`ChildTable` replays that table
(insertions, removals, resizes) so that the answers come in QEMU's order, not in an order
that only looks alike for a single backend.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..hostmem import HostMemoryBackend

#: ``qom-list`` of a memory backend: QEMU 7.2's class properties, in the order it lists them
#: (``type`` first; then the backend type's own, then the object's memory-region child).
COMMON_PROPERTIES: tuple[tuple[str, str], ...] = (
    ("type", "string"),
    ("share", "bool"),
    ("size", "int"),
    ("dump", "bool"),
    ("prealloc-threads", "int"),
    ("x-use-canonical-path-for-ramblock-id", "bool"),
    ("policy", "HostMemPolicy"),
    ("prealloc-context", "link<thread-context>"),
    ("prealloc", "bool"),
    ("reserve", "bool"),
    ("host-nodes", "int"),
    ("merge", "bool"),
)
TYPE_PROPERTIES: dict[str, tuple[tuple[str, str], ...]] = {
    "memory-backend-ram": (),
    "memory-backend-file": (
        ("readonly", "bool"),
        ("align", "int"),
        ("pmem", "bool"),
        ("mem-path", "string"),
        ("discard-data", "bool"),
    ),
    "memory-backend-memfd": (("hugetlb", "bool"), ("seal", "bool"), ("hugetlbsize", "int")),
}
#: ``qom-list-types``: the types machinectl knows, with their parents and abstractness.
TYPES: tuple[tuple[str, str, bool], ...] = (
    ("container", "object", False),
    ("memory-backend", "object", True),
    ("memory-backend-file", "memory-backend", False),
    ("memory-backend-memfd", "memory-backend", False),
    ("memory-backend-ram", "memory-backend", False),
    ("object", "", True),
    ("thread-context", "object", False),
)


def properties(backend: HostMemoryBackend) -> list[dict[str, str]]:
    """``qom-list /objects/ID``."""
    found = [*COMMON_PROPERTIES, *TYPE_PROPERTIES.get(backend.qom_type, ())]
    if backend.allocated:
        found.append((f"{backend.id}[0]", "child<memory-region>"))
    return [{"name": name, "type": kind} for name, kind in found]


def value(backend: HostMemoryBackend, name: str) -> Any:
    """``qom-get /objects/ID NAME``; KeyError when the backend has no such property."""
    if name == f"{backend.id}[0]" and backend.allocated:
        return f"/objects/{backend.id}/{name}"
    if name not in {entry["name"] for entry in properties(backend)}:
        raise KeyError(name)
    special: dict[str, Any] = {
        "type": backend.qom_type,
        "prealloc-context": "",
        "host-nodes": list(backend.host_nodes),
    }
    if name in special:
        return special[name]
    result: Any = getattr(backend, name.replace("-", "_"))
    return result


#: The order in which each QEMU 7.2 binary lists these types (that of its table of all
#: types, which differs with the types the binary has), recorded with ``qom-list-types``.
_TYPE_ORDERS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("aarch64", "arm", "ppc64", "ppc64le"),
        ("memory-backend", "object", "thread-context", "memory-backend-file",
         "memory-backend-memfd", "memory-backend-ram", "container"),
    ),
    (
        ("m68k",),
        ("memory-backend-file", "memory-backend-memfd", "memory-backend", "memory-backend-ram",
         "object", "thread-context", "container"),
    ),
    (
        ("hppa", "microblaze", "microblazeel"),
        ("memory-backend-ram", "memory-backend", "memory-backend-file", "container",
         "memory-backend-memfd", "object", "thread-context"),
    ),
    (
        ("s390x", "xtensa", "xtensaeb"),
        ("memory-backend-ram", "memory-backend", "memory-backend-file", "container",
         "memory-backend-memfd", "thread-context", "object"),
    ),
    (
        ("alpha", "loongarch64", "mips", "mipsel", "or1k", "sh4", "sh4eb", "sparc64"),
        ("memory-backend-ram", "memory-backend", "thread-context", "memory-backend-file",
         "container", "memory-backend-memfd", "object"),
    ),
    (
        ("i386", "mips64", "mips64el", "ppc", "riscv32", "riscv64", "x86_64"),
        ("memory-backend-ram", "thread-context", "memory-backend-file", "memory-backend-memfd",
         "container", "memory-backend", "object"),
    ),
    (
        ("avr", "cris", "nios2", "rx", "sparc", "tricore"),
        ("thread-context", "memory-backend-file", "memory-backend-memfd", "memory-backend",
         "memory-backend-ram", "object", "container"),
    ),
)  # fmt: skip


def _type_order(target: str | None) -> tuple[str, ...]:
    for targets, order in _TYPE_ORDERS:
        if target in targets:
            return order
    return next(order for targets, order in _TYPE_ORDERS if "x86_64" in targets)


def type_list(
    implements: str | None, abstract: bool, target: str | None = None
) -> list[dict[str, Any]]:
    """``qom-list-types``: in the order of ``target``'s binary; abstract types only when
    asked for."""
    parents = {name: parent for name, parent, _ in TYPES}
    order = _type_order(target)

    def implements_type(name: str) -> bool:
        while name:
            if name == implements:
                return True
            name = parents.get(name, "")
        return False

    out = []
    for name, parent, is_abstract in sorted(TYPES, key=lambda t: order.index(t[0])):
        if is_abstract and not abstract:
            continue
        if implements is not None and not implements_type(name):
            continue
        entry: dict[str, Any] = {"name": name}
        if is_abstract:
            entry["abstract"] = True
        if parent:
            entry["parent"] = parent
        out.append(entry)
    return out


# -- GLib's hash table, for QEMU's order -------------------------------------------------------

_MIN_SHIFT = 3
#: GLib's ``prime_mod``: the modulus of each table size (1 << shift).
_PRIME_MOD = (
    1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521,
    131071, 262139, 524287, 1048573, 2097143, 4194301, 8388593, 16777213, 33554393,
    67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647,
)  # fmt: skip
_UNUSED, _TOMBSTONE = 0, 1
_U32 = 0xFFFFFFFF


def str_hash(text: str) -> int:
    """GLib's ``g_str_hash`` (djb2 over signed chars)."""
    h = 5381
    for byte in text.encode():
        signed = byte - 256 if byte >= 128 else byte
        h = (h * 33 + signed) & _U32
    return h


def first_leftover(keys: Sequence[str], visited: Collection[str]) -> str | None:
    """The key QAPI's input visitors name when some are left over: they hold the keys in a
    ``GHashTable`` (inserted in the order of ``keys``), drop each member they visit
    (``visited``) and report the first left in the table. None when nothing is left."""
    if all(key in visited for key in keys):
        return None
    table = ChildTable()
    for key in keys:
        table.insert(key)
    for key in keys:
        if key in visited:
            table.remove(key)
    return next(iter(table))


class ChildTable:
    """The keys of a ``GHashTable`` in the slots GLib puts them in (no values)."""

    def __init__(self) -> None:
        self._set_shift(_MIN_SHIFT)
        self.hashes = [_UNUSED] * self.size
        self.keys: list[str | None] = [None] * self.size
        self.nnodes = 0
        self.noccupied = 0

    def _set_shift(self, shift: int) -> None:
        self.size = 1 << shift
        self.mod = _PRIME_MOD[shift]
        self.mask = self.size - 1

    def _index(self, hash_value: int) -> int:
        return ((hash_value * 11) & _U32) % self.mod

    def _lookup(self, key: str) -> tuple[int, int]:
        hash_value = str_hash(key)
        hash_value = max(hash_value, 2)
        index = self._index(hash_value)
        tombstone = None
        step = 0
        while self.hashes[index] != _UNUSED:
            if self.hashes[index] == hash_value and self.keys[index] == key:
                return index, hash_value
            if self.hashes[index] == _TOMBSTONE and tombstone is None:
                tombstone = index
            step += 1
            index = (index + step) & self.mask
        return (tombstone if tombstone is not None else index), hash_value

    def __contains__(self, key: str) -> bool:
        index, _ = self._lookup(key)
        return self.keys[index] == key and self.hashes[index] >= 2

    def insert(self, key: str) -> None:
        index, hash_value = self._lookup(key)
        if self.hashes[index] >= 2:
            return
        was_unused = self.hashes[index] == _UNUSED
        self.hashes[index], self.keys[index] = hash_value, key
        self.nnodes += 1
        if was_unused:
            self.noccupied += 1
            self._maybe_resize()

    def remove(self, key: str) -> None:
        index, _ = self._lookup(key)
        if self.hashes[index] < 2:
            return
        self.hashes[index], self.keys[index] = _TOMBSTONE, None
        self.nnodes -= 1
        self._maybe_resize()

    def _maybe_resize(self) -> None:
        if (self.size > self.nnodes * 4 and self.size > 1 << _MIN_SHIFT) or (
            self.size <= self.noccupied + self.noccupied // 16
        ):
            self._resize()

    def _resize(self) -> None:
        old_size = self.size
        wanted = int(self.nnodes * 1.333)
        shift = 0
        while wanted:
            wanted >>= 1
            shift += 1
        self._set_shift(max(shift, _MIN_SHIFT))
        if self.size > old_size:
            self.hashes += [_UNUSED] * (self.size - old_size)
            self.keys += [None] * (self.size - old_size)
        placed = [False] * max(self.size, old_size)
        for i in range(old_size):
            node_hash = self.hashes[i]
            if node_hash < 2:
                self.hashes[i], self.keys[i] = _UNUSED, None
                continue
            if placed[i]:
                continue
            self.hashes[i] = _UNUSED
            key, self.keys[i] = self.keys[i], None
            while True:
                index = self._index(node_hash)
                step = 0
                while placed[index]:
                    step += 1
                    index = (index + step) & self.mask
                placed[index] = True
                replaced_hash, replaced_key = self.hashes[index], self.keys[index]
                self.hashes[index], self.keys[index] = node_hash, key
                if replaced_hash < 2:
                    break
                node_hash, key = replaced_hash, replaced_key
        if self.size < old_size:
            del self.hashes[self.size :]
            del self.keys[self.size :]
        self.noccupied = self.nnodes

    def __iter__(self) -> Iterator[str]:
        """The keys in GLib's iteration order."""
        for hash_value, key in zip(self.hashes, self.keys, strict=True):
            if hash_value >= 2 and key is not None:
                yield key


def qemu_order(table: ChildTable) -> list[str]:
    """The children as QEMU's answers list them: the table's order, reversed."""
    return list(table)[::-1]
