"""Read or write guest RAM that another process shares with this one.

A machine whose RAM backend has ``share=on`` (memfd, or a file) can be mapped by any process
allowed to open it. ``machinectl run --hold`` prints the path for each such backend::

    machinectl run -M none -m 64M -object memory-backend-memfd,id=m0,size=64M \\
        -machine memory-backend=m0 --hold
    # machinectl: holding none (pid 12345); interrupt to release
    #   m0: /proc/12345/fd/3

    python examples/peek_ram.py /proc/12345/fd/3 --write hello
    python examples/peek_ram.py /proc/12345/fd/3 --length 5        # b'hello'
"""

from __future__ import annotations

import argparse
import mmap
import os
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("path", help="the shared backend: a /proc/PID/fd/N path or a file")
    parser.add_argument("--offset", type=lambda s: int(s, 0), default=0, help="byte offset")
    parser.add_argument("--length", type=int, default=16, help="bytes to print")
    parser.add_argument("--write", metavar="TEXT", help="write TEXT at the offset instead")
    args = parser.parse_args(argv)

    fd = os.open(args.path, os.O_RDWR if args.write is not None else os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        prot = mmap.PROT_READ | (mmap.PROT_WRITE if args.write is not None else 0)
        # MAP_SHARED: the very pages the machine's process has mapped, not a copy.
        with mmap.mmap(fd, size, mmap.MAP_SHARED, prot) as ram:
            if args.write is not None:
                data = args.write.encode()
                ram[args.offset : args.offset + len(data)] = data
            else:
                print(ram[args.offset : args.offset + args.length])
    finally:
        os.close(fd)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
