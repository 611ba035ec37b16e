"""Snapshot restore speed: machinectl against a full copy and against Unicorn's own snapshots.

The guest is ``-M none -m 1G`` (``--size``) on the default backend (anonymous memory advised
for transparent huge pages, as QEMU advises guest RAM) or on a memfd (``--backend memfd``).
Before the snapshot, the guest RAM holds a program, a table of page addresses and, with
``--fill`` (the default), a non-zero pattern on every page: a guest that has used its memory.

For each dirty-page count (0, 1, 100, 10,000 and every page), 32-bit x86 code run by Unicorn
over the machine's RAM (zero-copy, ``mem_map_ptr``) stores one word into each of that many
random pages; then the RAM is restored. The same pages are written on every iteration, as a
fuzzing loop that runs the same harness does. Reported, as medians over ``--repeat`` rounds:

* restore: :meth:`Machine.restore` of the snapshot;
* full copy: one memmove of the whole RAM from the snapshot's copy into other memory (what a
  reset without dirty tracking costs), and the ratio full copy / restore;
* pages alone: copying just the dirty pages back from Python with the page list known in
  advance, one slice assignment between memoryviews each (the cheapest copy Python makes:
  the floor of any restore driven from Python), and the ratio
  restore / pages alone; "memcpy" is the same bytes at the bandwidth of the full copy
  (the floor of the hardware);
* Unicorn: the same code in a Unicorn instance with its own memory of the same size and
  contents, ``UC_CTL_CONTEXT_MEMORY`` snapshots (``context_save``/``context_restore``),
  restore time and ratio Unicorn / restore, up to 1,000 dirty pages (its copy-on-write
  slows down with each page it copies: thousands take minutes to emulate).

Each count runs on a fresh machine. A last row (``100*``) repeats 100 pages after the guest
wrote every page of RAM once since the snapshot: transparent huge pages are then split
everywhere and the kernel walks one entry per 4 KiB page at each restore (the worst case).
Then the snapshot time, the saved file's size, and save and load times.

``--spread cluster`` picks the dirty pages from a window four times their number (at least
2 MiB) instead of from the whole RAM: fewer page-table entries for the kernel to walk.

``--backend memfd`` and ``--backend ram-shared`` (``share=on``) measure shared memory, which a
restore copies back through a second mapping after one page-table walk (private memory takes
two walks). ``--counts 0,1,100`` measures only those counts; ``--no-split`` leaves out the
``100*`` row and ``--no-save`` the file figures.

Usage: ``python benchmarks/snapshot.py [--size 1024] [--repeat 7]
[--backend ram|ram-shared|memfd] [--spread random|cluster] [--counts N,...] [--no-fill]
[--no-unicorn] [--no-split] [--no-save]``.
"""

from __future__ import annotations

import argparse
import ctypes
import mmap
import os
import random
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from unicorn.unicorn_const import (
    UC_ARCH_X86,
    UC_CTL_CONTEXT_CPU,
    UC_CTL_CONTEXT_MEMORY,
    UC_CTL_CONTEXT_MODE,
    UC_CTL_IO_WRITE,
    UC_MODE_32,
    UC_PROT_ALL,
)
from unicorn.unicorn_py3 import Uc

try:
    from machinectl import Machine, Snapshot
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
    from machinectl import Machine, Snapshot

MiB = 1 << 20
PAGE = 4096
CODE = 0x1000
TABLE = 0x10_0000  # page addresses, 4 bytes each, up to 1 MiB of them
UNICORN_MAX = 1000
FIRST_FREE = TABLE + 0x10_0000 + 0x10_0000  # pages dirtied come from above the table


def program(count: int) -> bytes:
    """x86-32: for each of ``count`` addresses in the table, store a word at it."""
    loop = b"".join(
        [
            b"\x8b\x06",  # mov eax, [esi]          eax = next page address
            b"\xc7\x00\x78\x56\x34\x12",  # mov dword [eax], 0x12345678
            b"\x83\xc6\x04",  # add esi, 4
            b"\x49",  # dec ecx
        ]
    )
    jump = b"\x75" + struct.pack("<b", -(len(loop) + 2))  # jnz loop
    head = b"\xbe" + struct.pack("<I", TABLE) + b"\xb9" + struct.pack("<I", count)
    return head + (loop + jump if count else b"")  # mov esi, TABLE; mov ecx, count


def choose_pages(rng: random.Random, size: int, count: int, spread: str) -> list[int]:
    """``count`` distinct pages above the table: anywhere (``random``), or within a window of
    four times as many pages, at least 2 MiB (``cluster``: a harness whose stack, heap and
    globals sit together)."""
    first, last = FIRST_FREE // PAGE, size // PAGE
    if spread == "cluster":
        window = min(last - first, max(4 * count, 512))
        start = rng.randrange(first, last - window + 1)
        first, last = start, start + window
    return rng.sample(range(first, last), count)


def median_us(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1e6


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def fill(view: memoryview, size: int) -> None:
    """A non-zero pattern on every page (a guest that has used all its memory)."""
    block = bytes(range(1, 256)) * (MiB // 255 + 1)
    for start in range(0, size, MiB):
        view[start : start + MiB] = block[:MiB]


def prepare(view: memoryview, pages: Sequence[int]) -> bytes:
    code = program(len(pages))
    view[CODE : CODE + len(code)] = code
    table = struct.pack(f"<{len(pages)}I", *(p * PAGE for p in pages))
    view[TABLE : TABLE + len(table)] = table
    return code


#: Row key of the extra measurement: 100 dirty pages after the guest wrote every page once.
SPLIT = -100


def bench_machinectl(
    args: argparse.Namespace, counts: Sequence[int]
) -> dict[int, dict[str, float]]:
    """One fresh machine per count, so that what one count did to the page tables (huge
    pages split by writes) does not weigh on the next; then the ``SPLIT`` row."""
    results: dict[int, dict[str, float]] = {}
    rng = random.Random(1)
    for count in [*counts, SPLIT] if args.split else counts:
        pages = choose_pages(rng, args.size * MiB, abs(count), args.spread)
        save = args.save and count in (100, counts[-1])
        results[count] = _bench_one(args, pages, save=save, split=count < 0)
    return results


def _bench_one(
    args: argparse.Namespace, pages: Sequence[int], *, save: bool, split: bool
) -> dict[str, float]:
    size = args.size * MiB
    argv = ["-M", "none", "-m", f"{args.size}M"]
    if args.backend == "memfd":
        argv += ["-object", f"memory-backend-memfd,id=m0,size={args.size}M"]
        argv += ["-machine", "memory-backend=m0"]
    elif args.backend == "ram-shared":
        argv += ["-object", f"memory-backend-ram,id=m0,size={args.size}M,share=on"]
        argv += ["-machine", "memory-backend=m0"]
    with Machine.from_argv(argv) as machine:
        assert machine.ram is not None
        view = machine.ram.view
        base = machine.ram.host_address
        if args.fill:
            fill(view, size)
        uc = Uc(UC_ARCH_X86, UC_MODE_32)
        uc.mem_map_ptr(0, size, UC_PROT_ALL, base)
        code = prepare(view, pages)
        before = time.perf_counter()
        snapshot = machine.snapshot()
        row = {"snapshot": time.perf_counter() - before}
        image = snapshot._images[machine.ram.id].mapping.addr
        image_view = memoryview((ctypes.c_char * size).from_address(image)).cast("B")
        if split:  # every page written once, then put back: the worst case for the walk
            for start in range(0, size, PAGE):
                view[start] = view[start]
            machine.restore(snapshot)
        restores, alone = [], []
        for _ in range(args.repeat):
            uc.emu_start(CODE, CODE + len(code))
            restores.append(timed(partial(machine.restore, snapshot)))
            uc.emu_start(CODE, CODE + len(code))
            alone.append(timed(partial(_copy_pages, view, image_view, pages)))
            machine.restore(snapshot)
        uc.emu_start(CODE, CODE + len(code))
        machine.restore(snapshot)
        if pages:
            probe = pages[-1] * PAGE
            assert view[probe : probe + 4] != b"\x78\x56\x34\x12", "restore missed a page"
        with mmap.mmap(-1, size) as scratch:  # a full copy elsewhere: the RAM stays as it is
            target = ctypes.addressof(ctypes.c_char.from_buffer(scratch))
            copies = [timed(partial(ctypes.memmove, target, image, size)) for _ in range(4)][1:]
        row |= {
            "restore": median_us(restores),
            "alone": median_us(alone),
            "full": median_us(copies),
        }
        if save:
            with tempfile.TemporaryDirectory(dir=args.tmp) as folder:
                path = os.path.join(folder, "guest.snap")
                row["save"] = timed(partial(snapshot.save, path))
                row["file"] = os.path.getsize(path)
                before = time.perf_counter()
                Snapshot.load(path).close()
                row["load"] = time.perf_counter() - before
        print(f"  {len(pages)} pages: snapshot method {snapshot.method}", file=sys.stderr)
        image_view.release()
        snapshot.close()
        uc.mem_unmap(0, size)
        view.release()
    return row


def _copy_pages(target: memoryview, source: memoryview, pages: Sequence[int]) -> None:
    # A slice assignment between two memoryviews: the cheapest copy Python makes (about half
    # the cost of a ctypes.memmove call per page).
    for page in pages:
        offset = page * PAGE
        target[offset : offset + PAGE] = source[offset : offset + PAGE]


def bench_unicorn(args: argparse.Namespace, counts: Sequence[int]) -> dict[int, float]:
    """Unicorn's own memory snapshots on the same workload, in memory Unicorn allocates."""
    size = args.size * MiB
    results = {}
    rng = random.Random(1)
    for count in counts:
        pages = choose_pages(rng, size, count, args.spread)
        uc = Uc(UC_ARCH_X86, UC_MODE_32)
        uc.ctl(
            UC_CTL_CONTEXT_MODE,
            UC_CTL_IO_WRITE,
            ctypes.c_int(UC_CTL_CONTEXT_CPU | UC_CTL_CONTEXT_MEMORY),
        )
        uc.mem_map(0, size, UC_PROT_ALL)
        if args.fill:
            block = bytes(range(1, 256)) * (MiB // 255 + 1)
            for start in range(0, size, MiB):
                uc.mem_write(start, block[:MiB])
        code = program(len(pages))
        uc.mem_write(CODE, code)
        uc.mem_write(TABLE, struct.pack(f"<{len(pages)}I", *(p * PAGE for p in pages)))
        context = uc.context_save()
        restores = []
        for _ in range(args.repeat):
            uc.emu_start(CODE, CODE + len(code))
            restores.append(timed(partial(uc.context_restore, context)))
        if pages:
            probe = pages[-1] * PAGE
            assert bytes(uc.mem_read(probe, 4)) != b"\x78\x56\x34\x12", "Unicorn restore missed"
        results[count] = median_us(restores)
        del context, uc
    return results


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="guest RAM in MiB")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--backend", choices=["ram", "ram-shared", "memfd"], default="ram")
    parser.add_argument(
        "--counts", default=None, help="dirty-page counts, comma-separated (default: all)"
    )
    parser.add_argument("--no-split", dest="split", action="store_false")
    parser.add_argument("--no-save", dest="save", action="store_false")
    parser.add_argument("--no-fill", dest="fill", action="store_false")
    parser.add_argument("--no-unicorn", dest="unicorn", action="store_false")
    parser.add_argument("--spread", choices=["random", "cluster"], default="random")
    parser.add_argument("--tmp", default=None, help="directory for the saved file")
    args = parser.parse_args(argv)
    size = args.size * MiB
    counts = [0, 1, 100, 10_000, (size - FIRST_FREE) // PAGE]
    if args.counts is not None:
        counts = [int(c) for c in args.counts.split(",")]
    counts = [c for c in counts if c <= (size - FIRST_FREE) // PAGE]
    print(
        f"guest: {args.size} MiB, backend {args.backend}, "
        f"{'every page filled' if args.fill else 'mostly zero'}, dirty pages {args.spread}, "
        f"{args.repeat} rounds",
        file=sys.stderr,
    )
    ours = bench_machinectl(args, counts)
    # Unicorn's copy-on-write makes each new page written slower than the last (on a 64 MiB
    # guest a run writing 1,000 pages takes 3 s to emulate, 3,000 pages 30 s), so it is
    # measured up to UNICORN_MAX pages.
    unicorn_counts = [c for c in counts if c <= UNICORN_MAX]
    theirs = bench_unicorn(args, unicorn_counts) if args.unicorn else {}
    print(
        f"{'dirty pages':>11} {'restore':>10} {'full copy':>10} {'ratio':>7} "
        f"{'pages alone':>11} {'ratio':>6} {'memcpy':>8} {'Unicorn':>10} {'ratio':>7}"
    )
    for count, row in ours.items():
        bandwidth = size / (row["full"] / 1e6)
        memcpy = abs(count) * PAGE / bandwidth * 1e6
        unicorn = theirs.get(count)
        label = f"{abs(count)}*" if count < 0 else str(count)
        print(
            f"{label:>11} {row['restore']:>8.0f}us {row['full']:>8.0f}us "
            f"{row['full'] / row['restore']:>6.0f}x {row['alone']:>9.0f}us "
            f"{row['restore'] / max(row['alone'], 1e-3):>5.1f}x {memcpy:>6.0f}us "
            + (
                f"{unicorn:>8.0f}us {unicorn / row['restore']:>6.1f}x"
                if unicorn is not None
                else f"{'-':>10} {'-':>7}"
            )
        )
    print(f"{'*':>11} after the guest wrote every page once (page tables split to 4 KiB)")
    print()
    for count, row in ours.items():
        if count < 0:
            continue
        line = f"{count:>11} dirty pages: snapshot {row['snapshot'] * 1e3:.0f} ms"
        if "file" in row:
            line += (
                f", saved file {row['file'] / MiB:.1f} MiB in {row['save'] * 1e3:.0f} ms,"
                f" loaded in {row['load'] * 1e3:.0f} ms"
            )
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
