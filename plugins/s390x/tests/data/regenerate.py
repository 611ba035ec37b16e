"""Rebuild the QEMU 7.2 oracle file of the s390x plugin's tests.

Run from the repository root (needs Debian's qemu-system-s390x 7.2)::

    python plugins/s390x/tests/data/regenerate.py

It writes ``qemu72.json`` next to itself: ``tools/qemu_oracle.py``'s records for every
``s390-ccw-virtio-*`` machine type (and the unversioned alias) with no ``-m``, with each
``-m`` value of :data:`SIZES`, and with each argument list of :data:`EXTRAS`. QEMU prints
the storage-increment notice of the 4.2 and older types on stdout, which the oracle does not
keep, so each record also gets:

* ``stdout``: the non-QMP lines QEMU printed on stdout (the notice, if any);
* ``crashed``: true when QEMU died from a signal (it then printed no error at all);
  such a record cannot be compared with machinectl.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
BINARY = "qemu-system-s390x"
MACHINE_PATTERN = re.compile(r"s390-ccw-virtio(-[0-9.]+)?\Z")

SIZES = [
    None, "0", "8K", "512K", "1M", "1032K", "2M", "4M", "8M", "16M", "32M", "64M", "100M",
    "102408K", "128M", "256M", "512M", "768M", "1G",
    # storage increments of the 4.2 and older types: 1 MiB up to 1020 of them, then 2, 4, 8 MiB
    "1020M", "1044488K", "1021M", "1022M", "1536M", "2G", "2040M", "2041M", "2042M", "2049M",
    "3G", "3584M", "4080M", "4081M", "4084M", "4G", "4097M", "8160M", "8161M", "8G",
    # maxmem and slots: the fixup comes before the generic checks
    "1G,slots=2,maxmem=4G", "1021M,slots=1,maxmem=1021M", "1G,slots=2,maxmem=1G",
    "1032K,maxmem=2M", "1G,maxmem=1073741825",
]  # fmt: skip

#: Other arguments, each tried without -m.
EXTRAS = [["-numa", "node"]]


def _oracle() -> Any:
    spec = importlib.util.spec_from_file_location("qemu_oracle", ROOT / "tools" / "qemu_oracle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def machines() -> list[str]:
    out = subprocess.run([BINARY, "-M", "help"], capture_output=True, text=True, check=True)
    names = [line.split()[0] for line in out.stdout.splitlines()[1:] if line.strip()]
    return [name for name in names if MACHINE_PATTERN.match(name)]


def stdout_and_status(machine: str, size: str | None, extra: list[str]) -> tuple[list[str], int]:
    """QEMU's own stdout lines (not QMP) and its exit status for one command line."""
    argv = [BINARY, "-M", machine, *(["-m", size] if size is not None else []), *extra]
    argv += ["-display", "none", "-S", "-nodefaults", "-qmp", "stdio"]
    script = '{"execute": "qmp_capabilities"}\n{"execute": "quit"}\n'
    proc = subprocess.run(argv, input=script, capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line and not line.startswith("{")]
    return lines, proc.returncode


def probe(oracle: Any, machine: str, size: str | None, extra: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = oracle.probe(BINARY, machine, size, extra)
    record["stdout"], status = stdout_and_status(machine, size, extra)
    record["crashed"] = status < 0
    return record


def main() -> int:
    oracle = _oracle()
    names = machines()
    jobs: list[tuple[str, str | None, list[str]]] = [(m, s, []) for m in names for s in SIZES]
    jobs += [(m, None, extra) for m in names for extra in EXTRAS]
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        records = list(pool.map(lambda job: probe(oracle, *job), jobs))
    (HERE / "qemu72.json").write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
    print(f"qemu72.json: {len(records)} records", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
