"""Share a machine's RAM with another process through a memfd backend with ``share=on``.

The machine is built in this process; a second process (``peek_ram.py``) maps the same
memory through ``/proc/<pid>/fd/<fd>`` and reads what this process wrote, then writes an
answer that this process reads through ``machine.ram.view``::

    uv run python examples/share_ram.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from machinectl import Machine

PEEK = Path(__file__).with_name("peek_ram.py")


def main() -> int:
    memfd = {"qom-type": "memory-backend-memfd", "id": "m0", "size": "64M", "share": True}
    with Machine.create("none", "64M", objects=[memfd], memory_backend="m0") as machine:
        ram = machine.ram
        assert ram is not None
        view = ram.view
        try:
            view[0:5] = b"hello"
            # (backend id, path another process can open) for every shared backend.
            [(backend_id, path)] = machine.sharing_hints()
            print(f"{backend_id} is shared at {path}")

            seen = subprocess.run(
                [sys.executable, str(PEEK), path, "--length", "5"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            print("the other process read:", seen)

            subprocess.run(
                [sys.executable, str(PEEK), path, "--offset", "0x1000", "--write", "world"],
                check=True,
            )
            answer = bytes(view[0x1000:0x1005])
            print("this process reads back:", answer)
        finally:
            view.release()
    return 0 if seen == "b'hello'" and answer == b"world" else 1


if __name__ == "__main__":
    raise SystemExit(main())
