#!/usr/bin/env python3
"""Record the device model names QEMU 7.2 knows (``-device help`` of every qemu-system-*
binary), for the message a name no binary has gets: QEMU's ``'X' is not a valid device
model name`` rather than machinectl's ``not a memory device``.

    uv run --no-sync python tools/record_qemu_devices.py > core/machinectl/qemu72_devices.json

Needs Debian's qemu-system-* 7.2; not used by the tests.
"""

from __future__ import annotations

import glob
import json
import subprocess
import sys


def main() -> int:
    names: set[str] = set()
    for binary in sorted(glob.glob("/usr/bin/qemu-system-*")):
        proc = subprocess.run(
            [binary, "-device", "help"], capture_output=True, text=True, timeout=60, check=False
        )
        names.update(
            line.split('"')[1] for line in proc.stdout.splitlines() if line.startswith('name "')
        )
    if not names:
        print("no qemu-system-* binary found", file=sys.stderr)
        return 1
    json.dump(sorted(names), sys.stdout, indent=0)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
