#!/usr/bin/env python3
"""How long ``machinectl list-boards`` takes, as a user starts it (a new process each time).

Runs each variant several times, interleaved so that machine noise hits them alike, and prints
the median and the ratio to a bare interpreter start. Variants: the core alone
(``MACHINECTL_PLUGINS=`` loads no external plugin) and every installed plugin; with
``--commands`` also ``describe virt`` and ``run -M none -m 1G`` (every plugin).

    uv run python benchmarks/list_boards.py [--runs 21] [--commands]

Python compiles every module it loads that has no bytecode cached; where bytecode is not
written (``PYTHONDONTWRITEBYTECODE``, or a read-only install), that happens at every start.
``uv sync --compile-bytecode`` compiles the installed dependencies once (pip does by default);
the figures of both are worth comparing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def measure(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--commands", action="store_true", help="also describe and run")
    args = parser.parse_args()
    exe = shutil.which("machinectl") or sys.exit("machinectl is not on PATH (use uv run)")
    base = dict(os.environ)
    core_only = {**base, "MACHINECTL_PLUGINS": ""}
    variants = {
        "python -c pass": ([sys.executable, "-c", "pass"], base),
        "list-boards (core only)": ([exe, "list-boards"], core_only),
        "list-boards (all plugins)": ([exe, "list-boards"], base),
    }
    if args.commands:
        variants["describe virt"] = ([exe, "describe", "virt"], base)
        variants["run -M none -m 1G"] = ([exe, "run", "-M", "none", "-m", "1G"], base)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, (argv, env) in variants.items():
            times[name].append(measure(argv, env))
    baseline = statistics.median(times["python -c pass"])
    print(f"{'variant':28} {'median ms':>10} {'min ms':>8} {'x python':>9}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:28} {median * 1000:10.1f} {min(values) * 1000:8.1f} {median / baseline:9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
