"""The RAM rules arm boards share, with the texts QEMU prints for them."""

from __future__ import annotations

from machinectl.boards import AtMost, FixedSize, OneOf

#: The check most fixed-size arm boards gained with the host-memory-backend series.
EXACT_SIZE_MESSAGE = "Invalid RAM size, should be {value_str}"


def exact_size(size: int) -> FixedSize:
    """RAM must be exactly the board's size (its default)."""
    return FixedSize(EXACT_SIZE_MESSAGE, size=size)


def one_of(sizes: tuple[int, ...], message: str) -> OneOf:
    """RAM must be one of ``sizes``; ``message`` is printed otherwise."""
    return OneOf(message, sizes=sizes)


def at_most(limit: int, message: str) -> AtMost:
    """RAM must not exceed ``limit``; ``message`` is printed otherwise."""
    return AtMost(message, limit=limit)


def imx_limit(limit: int) -> AtMost:
    """The i.MX6/6UL/7 boards' limit, printed with the sizes in bare hexadecimal."""
    return AtMost("RAM size {size:x} above max supported ({value:08x})", limit=limit)
