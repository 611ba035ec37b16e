"""Run guest code in the Unicorn CPU emulator directly on machinectl's guest RAM.

machinectl builds the machine and allocates its RAM; Unicorn executes instructions. Each RAM
range of the machine is handed to Unicorn with ``mem_map_ptr`` at its guest address, pointing
at the host memory machinectl allocated: nothing is copied in either direction, so a byte the
host writes through ``machine.guest_view`` is what the guest loads, and a guest store is at
once visible in the view.

Run it with the optional ``unicorn`` dependency installed (it is part of the dev environment)::

    uv run python examples/embed_unicorn.py                 # -M none -m 64M, RAM at 0
    MACHINECTL_TARGET=aarch64 uv run python examples/embed_unicorn.py -M virt   # at 0x40000000
    uv run python examples/embed_unicorn.py --hotplug       # a DIMM plugged into a running PC

The guest program is 32-bit ARM (A32) code, written out as instruction words below. With
``--hotplug`` a DIMM is hot-plugged into a ``pc`` machine while Unicorn (x86-64) runs it:
:func:`follow_guest_ram` maps the DIMM when machinectl reports it and unmaps it on unplug,
and the guest runs code from the DIMM itself.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from machinectl import GuestRamRange, Machine, RamChange
from unicorn.arm_const import UC_ARM_REG_R1
from unicorn.unicorn_const import UC_ARCH_ARM, UC_ARCH_X86, UC_MODE_64, UC_MODE_ARM, UC_PROT_ALL

# ``from unicorn import Uc`` works too; the Python 3 module is named here because it is the one
# with type annotations (the package's top level also offers an untyped Python 2 variant).
from unicorn.unicorn_py3 import Uc
from unicorn.x86_const import UC_X86_REG_EAX, UC_X86_REG_RBX

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


@contextmanager
def follow_guest_ram(uc: Uc, machine: Machine) -> Iterator[dict[int, int]]:
    """Keep ``uc``'s memory map equal to the machine's RAM map while the block runs.

    Maps every RAM range now, then follows :meth:`Machine.subscribe`: a hot-plugged DIMM is
    mapped when it is added, unmapped when it is removed (before machinectl releases it).
    Yields the mapped ranges (guest address -> size).
    """
    mapped: dict[int, int] = {}

    def map_range(guest_address: int, size: int, host_address: int) -> None:
        uc.mem_map_ptr(guest_address, size, UC_PROT_ALL, host_address)
        mapped[guest_address] = size

    def follow(change: RamChange) -> None:
        if change.action == "add":
            map_range(change.guest_address, change.size, change.host_address)
        elif change.action == "remove" and change.guest_address in mapped:
            uc.mem_unmap(change.guest_address, mapped.pop(change.guest_address))

    for r in machine.ram_ranges():
        if r.guest_address % UNICORN_PAGE == 0 and r.size % UNICORN_PAGE == 0:
            map_range(r.guest_address, r.size, r.host_address)
    unsubscribe = machine.subscribe(follow)
    try:
        yield mapped
    finally:
        unsubscribe()
        for guest_address, size in mapped.items():
            uc.mem_unmap(guest_address, size)


#: x86-64 code: ``mov eax, [rbx]; add eax, 1; mov [rbx + 4], eax``.
X86_COUNTER = bytes([0x8B, 0x03, 0x83, 0xC0, 0x01, 0x89, 0x43, 0x04])


def run_in_hotplugged_dimm() -> tuple[int, int, int]:
    """Hot-plug a 64 MiB DIMM into a running ``pc`` machine and run x86-64 code from it.

    Returns the DIMM's guest address, the guest's ``eax`` and the word the guest stored, read
    back through the backend's view.
    """
    with Machine.from_argv(["-M", "pc", "-m", "128M,slots=2,maxmem=1G"], target="x86_64") as m:
        uc = Uc(UC_ARCH_X86, UC_MODE_64)
        with follow_guest_ram(uc, m) as mapped:
            backend = m.object_add(
                {"qom-type": "memory-backend-memfd", "id": "dimm0", "size": "64M"}
            )
            dimm = m.device_add({"driver": "pc-dimm", "id": "d0", "memdev": "dimm0"})
            assert dimm.addr in mapped
            view = backend.view()
            try:
                view[: len(X86_COUNTER)] = X86_COUNTER  # the code, at the DIMM's first byte
                view[0x1000:0x1004] = struct.pack("<I", 41)  # its input
                uc.reg_write(UC_X86_REG_RBX, dimm.addr + 0x1000)
                uc.emu_start(dimm.addr, dimm.addr + len(X86_COUNTER))
                eax = uc.reg_read(UC_X86_REG_EAX)
                (stored,) = struct.unpack("<I", view[0x1004:0x1008])
            finally:
                view.release()
            m.device_del("d0")
            assert dimm.addr not in mapped
        return dimm.addr, eax, stored


def ram_offset(machine: Machine, guest_address: int) -> int:
    """The offset in ``machine.ram.view`` of the byte the guest sees at ``guest_address``."""
    ram = machine.ram
    if ram is None:
        raise ValueError("the machine has no RAM")
    for r in machine.ram_ranges():
        if r.guest_address <= guest_address < r.guest_address + r.size:
            return r.host_address - ram.host_address + (guest_address - r.guest_address)
    raise ValueError(f"no RAM at guest address {guest_address:#x}")


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
    if list(argv) == ["--hotplug"]:
        address, eax, stored = run_in_hotplugged_dimm()
        print(f"pc: DIMM hot-plugged at {address:#x}; guest eax = {eax}, stored = {stored}")
        return 0 if eax == stored == 42 else 1
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
