"""A fuzzing loop: Unicorn runs a target on a board's RAM, and the RAM is reset after each run.

machinectl builds the machine; Unicorn maps its RAM without copying (``mem_map_ptr``). The
target program (32-bit x86) is written into guest RAM once, then a snapshot is taken. Each
iteration writes a random input into guest RAM, runs the target, and restores the snapshot:
the restore costs the pages the iteration wrote (the input page, and one output page per
distinct input byte), not the size of RAM.

Run it with the dev environment (Unicorn is a dev dependency)::

    uv run python examples/fuzz_unicorn.py                         # -M none -m 1G
    uv run python examples/fuzz_unicorn.py --iterations 5000 -- -M none -m 64M

It prints restores per second and the mean time of one restore, next to one full copy of
the RAM, then checks that the RAM is byte-identical to the snapshot.
"""

from __future__ import annotations

import argparse
import ctypes
import mmap
import random
import struct
import sys
import time
from collections.abc import Sequence

from machinectl import Machine, MachineError
from unicorn.unicorn_const import UC_ARCH_X86, UC_MODE_32, UC_PROT_ALL
from unicorn.unicorn_py3 import Uc

CODE = 0x1000  # the target program
INPUT_LENGTH = 0x2000  # a dword: how many input bytes follow
INPUT = 0x2004
OUTPUT = 0x10_0000  # 256 pages: the target writes to the page its input byte selects


def target(base: int) -> bytes:
    """For each input byte b: store b into page b of the output area."""
    return b"".join(
        [
            b"\xbe" + struct.pack("<I", base + INPUT),  # mov esi, INPUT
            b"\x8b\x0d" + struct.pack("<I", base + INPUT_LENGTH),  # mov ecx, [INPUT_LENGTH]
            b"\xbf" + struct.pack("<I", base + OUTPUT),  # mov edi, OUTPUT
            b"\x85\xc9",  # loop: test ecx, ecx
            b"\x74\x0f",  # jz done (15 bytes ahead)
            b"\x0f\xb6\x06",  # movzx eax, byte [esi]
            b"\x89\xc2",  # mov edx, eax
            b"\xc1\xe2\x0c",  # shl edx, 12          edx = page b
            b"\x88\x04\x17",  # mov [edi+edx], al
            b"\x46",  # inc esi
            b"\x49",  # dec ecx
            b"\xeb\xed",  # jmp loop (19 bytes back)
        ]
    )  # done:


def full_copy_time(address: int, size: int) -> float:
    """Seconds to copy ``size`` bytes at ``address`` once (to memory already populated)."""
    with mmap.mmap(-1, size) as copy:
        target = ctypes.addressof(ctypes.c_char.from_buffer(copy))
        ctypes.memmove(target, address, size)
        before = time.perf_counter()
        ctypes.memmove(target, address, size)
        return time.perf_counter() - before


def fuzz(machine: Machine, iterations: int, seed: int) -> int:
    ranges = machine.ram_ranges()
    if machine.ram is None or not ranges or ranges[0].size < 2 * OUTPUT:
        raise MachineError("the machine needs at least 2 MiB of RAM in its first range")
    ram = ranges[0]
    if ram.guest_address + ram.size > 1 << 32:
        raise MachineError("the first RAM range must lie below 4 GiB for 32-bit code")
    base, offset = ram.guest_address, ram.host_address - machine.ram.host_address
    code = target(base)
    view = machine.ram.view
    uc = Uc(UC_ARCH_X86, UC_MODE_32)
    uc.mem_map_ptr(ram.guest_address, ram.size, UC_PROT_ALL, ram.host_address)
    rng = random.Random(seed)
    try:
        view[offset + CODE : offset + CODE + len(code)] = code
        with machine.snapshot() as snapshot:
            reference = bytes(view)
            restoring = 0.0
            started = time.perf_counter()
            for _ in range(iterations):
                data = rng.randbytes(rng.randrange(1, 64))
                at = offset + INPUT_LENGTH
                view[at : at + 4 + len(data)] = struct.pack("<I", len(data)) + data
                uc.emu_start(base + CODE, base + CODE + len(code))
                before = time.perf_counter()
                machine.restore(snapshot)  # the reset, counted in every iteration
                restoring += time.perf_counter() - before
            elapsed = time.perf_counter() - started
            full = full_copy_time(ram.host_address, ram.size)
            same = bytes(view) == reference
            print(f"{machine.board.name}: {ram.size >> 20} MiB of RAM, method {snapshot.method}")
            print(
                f"{iterations} runs in {elapsed:.2f} s: {iterations / restoring:.0f} restores/s, "
                f"{restoring / iterations * 1e6:.0f} us per restore "
                f"(one full copy of the RAM: {full * 1e6:.0f} us), "
                f"{iterations / elapsed:.0f} runs/s in all"
            )
            print(f"RAM identical to the snapshot after the last restore: {same}")
            return 0 if same else 1
    finally:
        uc.mem_unmap(ram.guest_address, ram.size)
        view.release()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("machine", nargs="*", help="QEMU options (default: -M none -m 1G)")
    args = parser.parse_args(argv)
    try:
        with Machine.from_argv(args.machine or ["-M", "none", "-m", "1G"]) as machine:
            return fuzz(machine, args.iterations, args.seed)
    except MachineError as exc:
        print(f"fuzz_unicorn: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
