"""Record QEMU 7.2's help forms for ``tests/test_help_forms.py``.

Writes ``tests/data/qemu72_help.json``: for each command line below, the binary, the options,
QEMU's exit status and what it printed on standard output. Run it again after a QEMU upgrade.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "qemu72_help.json"
CASES = [
    ("x86_64", ["-M", "pc,help"]),
    ("x86_64", ["-M", "q35,help"]),
    ("x86_64", ["-M", "none,help"]),
    ("aarch64", ["-M", "virt,help"]),
    ("aarch64", ["-M", "raspi3b,help"]),
    ("aarch64", ["-M", "sbsa-ref,help"]),
    ("x86_64", ["-object", "help"]),
    ("x86_64", ["-object", "memory-backend-ram,help"]),
    ("x86_64", ["-object", "memory-backend-file,help"]),
    ("x86_64", ["-object", "memory-backend-memfd,help"]),
    ("x86_64", ["-object", "thread-context,help"]),
]


def main() -> None:
    records = []
    for target, args in CASES:
        binary = f"qemu-system-{target}"
        proc = subprocess.run(
            [binary, *args], capture_output=True, text=True, check=False, timeout=60
        )
        records.append(
            {"target": target, "args": args, "status": proc.returncode, "stdout": proc.stdout}
        )
    OUT.write_text(json.dumps(records, indent=1) + "\n")


if __name__ == "__main__":
    main()
