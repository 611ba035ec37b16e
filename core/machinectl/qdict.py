"""The order in which QEMU iterates a QDict (its dictionary of options and JSON objects).

A QDict is a hash table of 512 buckets (``tdb_hash`` of the key), each a list to which a new
key is prepended: iterating it gives the keys by bucket, and within a bucket the last
inserted first. QEMU sets an object's properties, and writes a JSON object's members, in
that order, so the first error among several, and the order of a reply's members, follow it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TypeVar

    V = TypeVar("V")

BUCKETS = 512
_cache: dict[str, int] = {}


def bucket(key: str) -> int:
    """The bucket of ``key`` in a QDict (``tdb_hash`` modulo 512)."""
    found = _cache.get(key)
    if found is None:
        raw = key.encode("utf-8", "surrogatepass")
        value = (0x238F13AF * len(raw)) & 0xFFFFFFFF
        for i, byte in enumerate(raw):
            value = (value + (byte << (i * 5 % 24))) & 0xFFFFFFFF
        found = ((1103515243 * value + 12345) & 0xFFFFFFFF) % BUCKETS
        if len(_cache) < 4096:
            _cache[key] = found
    return found


def qdict_order(members: Mapping[str, V]) -> dict[str, V]:
    """``members`` (in the order they were inserted) in the order QEMU iterates them."""
    if len(members) < 2:
        return dict(members)
    keys = list(members)
    keys.reverse()
    keys.sort(key=bucket)
    return {key: members[key] for key in keys}
