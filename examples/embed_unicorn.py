"""Run guest code in the Unicorn CPU emulator directly on machinectl's guest RAM.

machinectl builds the machine and allocates its RAM; Unicorn executes instructions. Each RAM
range of the machine is handed to Unicorn with ``mem_map_ptr`` at its guest address, pointing
at the host memory machinectl allocated: nothing is copied in either direction, so a byte the
host writes through ``machine.guest_view`` is what the guest loads, and a guest store is at
once visible in the view.

Run it with the optional ``unicorn`` dependency installed (it is part of the dev environment)::

    uv run python examples/embed_unicorn.py                 # -M none -m 64M, RAM at 0
    MACHINECTL_TARGET=aarch64 uv run python examples/embed_unicorn.py -M virt   # at 0x40000000

The guest program is 32-bit ARM (A32) code, written out as instruction words below.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from machinectl import GuestRamRange, Machine
from unicorn.arm_const import UC_ARM_REG_R1
from unicorn.unicorn_const import UC_ARCH_ARM, UC_MODE_ARM, UC_PROT_ALL

# ``from unicorn import Uc`` works too; the Python 3 module is named here because it is the one
# with type annotations (the package's top level also offers an untyped Python 2 variant).
from unicorn.unicorn_py3 import Uc

#: Unicorn maps whole target pages; every range must start and end on such a boundary.
UNICORN_PAGE = 4096


@contextmanager
def guest_ram_in(uc: Uc, machine: Machine) -> Iterator[list[GuestRamRange]]:
    """Map every RAM range of ``machine`` into ``uc`` at its guest address, without copying.

    Unmaps them again on exit. Unicorn keeps only the host address, which does not keep the
    memory alive: leave this block before the machine is closed.
    """
    ranges = machine.ram_ranges()
    for r in ranges:
        if r.guest_address % UNICORN_PAGE or r.size % UNICORN_PAGE:
            raise ValueError(
                f"RAM range {r.guest_address:#x}+{r.size:#x} of '{r.memdev}' is not made of "
                f"whole {UNICORN_PAGE}-byte pages; Unicorn cannot map it"
            )
    mapped: list[GuestRamRange] = []
    try:
        for r in ranges:
            uc.mem_map_ptr(r.guest_address, r.size, UC_PROT_ALL, r.host_address)
            mapped.append(r)
        yield ranges
    finally:
        for r in reversed(mapped):
            uc.mem_unmap(r.guest_address, r.size)


def counter_program(counter: int) -> bytes:
    """A32 code: load the word at ``counter``, add one, store it at ``counter + 4``."""
    lo, hi = counter & 0xFFFF, counter >> 16
    words = [
        0xE300_0000 | (lo >> 12) << 16 | (lo & 0xFFF),  # movw r0, #lo   (r0 = counter, low half)
        0xE340_0000 | (hi >> 12) << 16 | (hi & 0xFFF),  # movt r0, #hi   (r0 = counter, high half)
        0xE590_1000,  # ldr r1, [r0]       r1 = the word the host wrote
        0xE281_1001,  # add r1, r1, #1     r1 = r1 + 1
        0xE580_1004,  # str r1, [r0, #4]   the word after it = r1
    ]
    return struct.pack("<5I", *words)


def main(argv: Sequence[str]) -> int:
    with Machine.from_argv(argv or ["-M", "none", "-m", "64M"]) as machine:
        ranges = machine.ram_ranges()
        if machine.ram is None or not ranges:
            print("the machine has no RAM to run code in", file=sys.stderr)
            return 1
        base = ranges[0].guest_address
        code, counter = base + 0x1000, base + 0x2000
        program = counter_program(counter)
        # The host writes the program and its input straight into guest RAM, by guest address.
        with machine.guest_view(code, len(program)) as text:
            text[:] = program
        with machine.guest_view(counter, 8) as words:
            words[0:4] = struct.pack("<I", 41)
            uc = Uc(UC_ARCH_ARM, UC_MODE_ARM)
            with guest_ram_in(uc, machine):
                uc.emu_start(code, code + len(program))
                r1 = uc.reg_read(UC_ARM_REG_R1)
            # The guest's store, read through the same view: nothing was copied.
            (stored,) = struct.unpack("<I", words[4:8])
        shown = ", ".join(f"{r.guest_address:#x}+{r.size:#x}" for r in ranges)
        print(f"{machine.board.name}: RAM ranges {shown}")
        print(f"guest r1 = {r1}, word the guest stored, read through the view = {stored}")
        return 0 if stored == r1 == 42 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
