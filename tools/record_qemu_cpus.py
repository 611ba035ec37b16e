"""Record the CPU limits of every machine type of the installed QEMU binaries.

For each target: ``query-machines`` gives each machine type's largest CPU count
(``cpu-max``); then each machine type is started once with ``-smp 1`` (its error names the
smallest count when 1 is too few) and once as it is, where ``query-cpus-fast`` counts the CPUs
it has without ``-smp``. Machine types that cannot start here (they need firmware) keep only
what ``query-machines`` says.

Usage: ``python tools/record_qemu_cpus.py OUT.json [TARGET ...]`` (every
``qemu-system-*`` on ``PATH`` when no target is given). The result maps target -> machine
type -> ``{"max": N, "min": N, "default": N}`` (``min``/``default`` absent when unknown).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MIN_CPUS = re.compile(r"The min CPUs supported by machine '[^']*' is (\d+)")


def _qmp(binary: str, argv: list[str], commands: list[str]) -> tuple[list[dict[str, object]], str]:
    script = "".join(
        json.dumps({"execute": c}) + "\n" for c in ["qmp_capabilities", *commands, "quit"]
    )
    proc = subprocess.run(
        [binary, *argv, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    replies = []
    for line in proc.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if "return" in message or "error" in message:
            replies.append(message)
    return replies, proc.stderr


def _probe(binary: str, machine: str) -> dict[str, int]:
    found: dict[str, int] = {}
    _, stderr = _qmp(binary, ["-M", machine, "-smp", "1"], [])
    match = MIN_CPUS.search(stderr)
    if match:
        found["min"] = int(match.group(1))
    replies, _ = _qmp(binary, ["-M", machine], ["query-cpus-fast"])
    if len(replies) >= 2 and isinstance(replies[1].get("return"), list):
        found["default"] = len(replies[1]["return"])  # type: ignore[arg-type]
    return found


def record(target: str) -> dict[str, dict[str, int]]:
    binary = shutil.which(f"qemu-system-{target}")
    if binary is None:
        raise SystemExit(f"qemu-system-{target} is not installed")
    replies, stderr = _qmp(binary, ["-M", "none"], ["query-machines"])
    machines = replies[1]["return"] if len(replies) > 1 else []
    if not isinstance(machines, list):
        raise SystemExit(f"{binary}: no query-machines answer: {stderr}")
    limits: dict[str, dict[str, int]] = {}
    names = [m["name"] for m in machines if m["name"] != "none"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        probes = dict(zip(names, pool.map(lambda name: _probe(binary, name), names), strict=True))
    for entry in machines:
        if entry["name"] == "none":
            continue
        limits[entry["name"]] = {"max": entry["cpu-max"], **probes[entry["name"]]}
        if entry.get("alias"):
            limits[entry["alias"]] = limits[entry["name"]]
    return limits


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    targets = argv[1:] or sorted(
        name.removeprefix("qemu-system-")
        for directory in os.environ.get("PATH", "").split(os.pathsep)
        if os.path.isdir(directory)
        for name in os.listdir(directory)
        if name.startswith("qemu-system-") and "-" not in name.removeprefix("qemu-system-")
    )
    result = {target: record(target) for target in dict.fromkeys(targets)}
    out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
