#!/usr/bin/env python3
"""Compare every machine type's RAM and ROM map with QEMU 7.2's, at the default size.

    uv run --no-sync python tools/qemu_compare_maps.py [--jobs 2]

For each machine type ``machinectl list-boards --json`` lists (a target QEMU has a binary
for), QEMU runs it without ``-m`` (``-display none -S -nodefaults``, with the few arguments
some boards need to start: empty firmware files, a flash image) and the RAM and ROM lines of
its flat view (``info mtree -f``) are compared with ``machinectl run --dry-run``'s. Prints one
block per machine type that differs (the lines only QEMU shows, then those only machinectl
shows) and those QEMU refuses to start; the exit status is 1 when any differ. Needs Debian's
qemu-system-* 7.2; not used by the tests.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import qemu_oracle

#: The binary that lists a target's machine types (aarch64 lists every arm one).
BINARY = {"arm": "aarch64", "x86": "x86_64", "i386": "x86_64", "ppc": "ppc64", "mips": "mips64el"}
#: Arguments some boards need to start at all; the files are made empty in the scratch folder.
BOOT: dict[str, list[str]] = {
    "connex": ["-pflash", "flash16.img"],
    "verdex": ["-pflash", "flash32.img"],
    "loongson3-virt": ["-bios", "zero.bin"],
    "boston": ["-bios", "zero.bin"],
    "canon-a1100": ["-bios", "zero.bin"],
    "ppce500": ["-bios", "tiny.elf"],
    "mpc8544ds": ["-bios", "tiny.elf"],
    **{m: ["-kernel", "zero.bin"] for m in ("sx1", "sx1-v1", "cheetah", "an5206", "mcf5208evb")},
    "next-cube": ["-kernel", "zero.bin"],
    **{m: ["-L", "."] for m in ("niagara", "leon3_generic", "q800")},
}
FILES = {
    "zero.bin": 4096,
    "flash16.img": 16 << 20,
    "flash32.img": 32 << 20,
    "u-boot.bin": 4096,
    "MacROM.bin": 4096,
    **{name: 4096 for name in ("nvram1", "1up-md.bin", "1up-hv.bin", "reset.bin", "q.bin")},
    "openboot.bin": 4096,
}


def tiny_ppc_elf() -> bytes:
    """The ppc plugin's 4-byte big-endian ELF (what e500 needs as firmware)."""
    data = Path(__file__).resolve().parents[1] / "plugins/ppc/tests/data"
    sys.path.insert(0, str(data))
    import make_oracle  # type: ignore[import-not-found]

    return bytes(make_oracle.tiny_ppc_elf())


def machinectl_lines(target: str, name: str) -> list[str]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "machinectl.cli",
            "run",
            "--target",
            target,
            "-M",
            name,
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return [line.strip() for line in out.splitlines() if ", ram)" in line or ", rom)" in line]


def compare(target: str, name: str, scratch: str) -> str | None:
    binary = f"qemu-system-{BINARY.get(target, target)}"
    if shutil.which(binary) is None:
        return None
    record = qemu_oracle.probe(binary, name, None, BOOT.get(name, []), cwd=scratch)
    if not record["ok"]:
        return f"{target} {name}: QEMU refused: {record['error']}"
    theirs, ours = record["ram-map"], machinectl_lines(target, name)
    if theirs == ours:
        return None
    only_qemu = [line for line in theirs if line not in ours]
    only_ours = [line for line in ours if line not in theirs]
    return "\n".join(
        [f"{target} {name}: differs"]
        + [f"  QEMU only:        {line}" for line in only_qemu]
        + [f"  machinectl only:  {line}" for line in only_ours]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    os.environ.setdefault("QEMU_AUDIO_DRV", "none")
    listing = subprocess.run(
        [sys.executable, "-m", "machinectl.cli", "list-boards", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    boards = [
        (row["targets"][0], row["name"])
        for row in json.loads(listing.stdout)
        if row["targets"] and row["targets"][0] != "*"
    ]
    with tempfile.TemporaryDirectory() as scratch:
        for name, size in FILES.items():
            Path(scratch, name).write_bytes(bytes(size))
        Path(scratch, "tiny.elf").write_bytes(tiny_ppc_elf())
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(lambda board: compare(*board, scratch), boards))
    reports = [r for r in results if r is not None]
    print("\n".join(reports) if reports else "every map agrees")
    return 1 if any("differs" in r for r in reports) else 0


if __name__ == "__main__":
    raise SystemExit(main())
