"""Size constants and QEMU's ways of printing sizes."""

from __future__ import annotations

import math

#: Bytes in a kibibyte (``16 * KiB``).
KiB = 1 << 10
#: Bytes in a mebibyte.
MiB = 1 << 20
#: Bytes in a gibibyte.
GiB = 1 << 30
#: Bytes in a tebibyte.
TiB = 1 << 40

_SUFFIXES = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")


def size_to_str(value: int) -> str:
    """QEMU's ``size_to_str``: three significant digits and a binary unit (``100 MiB``)."""
    _, exponent = math.frexp(value / (1000.0 / 1024.0))
    index = max(0, (exponent - 1) // 10)
    index = min(index, len(_SUFFIXES) - 1)
    scaled = value / (1 << (index * 10))
    return f"{_format_g3(scaled)} {_SUFFIXES[index]}B"


def _format_g3(value: float) -> str:
    # C's "%0.3g": three significant digits, trailing zeros dropped.
    return f"{value:.3g}"


def human(value: int) -> str:
    """A compact exact size for listings: ``1 GiB``, ``1536 MiB``, ``100 KiB``, ``8192 B``."""
    for shift, unit in (
        (60, "EiB"),
        (50, "PiB"),
        (40, "TiB"),
        (30, "GiB"),
        (20, "MiB"),
        (10, "KiB"),
    ):
        if value and value % (1 << shift) == 0:
            return f"{value >> shift} {unit}"
    return f"{value} B"
