#!/usr/bin/env python3
"""Send signals to a real ``machinectl run`` at many moments and check how each run ends.

Each case starts ``machinectl run -M none -m SIZE -mem-path DIR -mem-prealloc`` (DIR is an
empty directory on a tmpfs, so the memory is an unlinked file there), waits until the memory
is being allocated (the process holds a descriptor into DIR), waits ``offset`` seconds more and
sends one signal. The offsets cover the allocation, the summary and the release. With
``--hold`` the run holds its machine first; a SIGTERM ends the hold (SIGHUP when SIGTERM is
under test: the kernel merges two pending SIGTERMs into one), then the signal under test
comes ``offset`` seconds later, during or after the release.

Invariants checked for every case:

* the exit status is 128 + the signal and standard error is exactly one ``machinectl:`` line;
  only a signal that came once the memory was released (no descriptor into DIR left when it
  was sent) may find the run already ending normally (status 0, no line);
* no traceback, no ``Exception ignored``;
* nothing left in DIR, and the tmpfs holds no byte (no file, no unlinked file held open).

    python3 tools/signal_sweep.py --size 1G --cases 200 --signal INT --signal TERM

The tests run a reduced form of it (``tests/test_reliability.py``); import it with ``tools/``
on ``sys.path``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-m", "machinectl.cli"]
LINES = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated", signal.SIGHUP: "terminated"}


def expected_line(signum: int) -> str:
    """The line machinectl prints when ``signum`` ends it."""
    name = LINES.get(signum)
    if name is None:
        name = f"terminated by {signal.Signals(signum).name}"
    return f"machinectl: {name}\n"


@contextlib.contextmanager
def tmpfs(size: str) -> Iterator[Path]:
    """A fresh tmpfs of ``size`` (needs root), unmounted afterwards."""
    with tempfile.TemporaryDirectory(prefix="signal-sweep-") as where:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", where], check=True)
        try:
            yield Path(where)
        finally:
            subprocess.run(["umount", "-l", where], check=False)


def _fds_into(pid: int, directory: Path) -> int:
    count = 0
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(f"{directory}/"):
                    count += 1
    return count


def _used(directory: Path) -> int:
    info = os.statvfs(directory)
    return (info.f_blocks - info.f_bfree) * info.f_frsize


def _wait(condition: Any, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.0005)
    return True


def run_case(
    directory: Path, size: str, signum: int, offset: float, *, hold: bool = False
) -> dict[str, Any]:
    """One run, one signal ``offset`` seconds into the allocation (or the release, with
    ``hold``). Returns what happened and the invariants it broke (``violations``)."""
    argv = [*CLI, "run", "-M", "none", "-m", size, "-mem-path", str(directory), "-mem-prealloc"]
    if hold:
        argv.append("--hold")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    held_memory = True
    first = ""
    ender = signal.SIGHUP if signum == signal.SIGTERM else signal.SIGTERM
    try:
        if hold:
            assert proc.stderr is not None
            first = proc.stderr.readline()
            proc.send_signal(ender)
        else:
            _wait(lambda: _fds_into(proc.pid, directory) > 0 or proc.poll() is not None)
        time.sleep(offset)
        held_memory = _fds_into(proc.pid, directory) > 0
        alive = proc.poll() is None
        if alive:
            proc.send_signal(signum)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    violations = []
    # Two different signals pending together are handled lowest number first (by the kernel
    # and by Python alike): either may be the one that ended the hold.
    allowed = {(128 + s, expected_line(s)) for s in ([signum, ender] if hold else [signum])}
    if alive:
        late = not held_memory and proc.returncode == 0 and err == ""
        if not late and (proc.returncode, err) not in allowed:
            violations.append(f"status {proc.returncode}, stderr {err!r}")
    if "Traceback" in err or "Exception ignored" in err:
        violations.append("traceback")
    left = sorted(p.name for p in directory.iterdir())
    if left:
        violations.append(f"left in the directory: {left}")
    used = _used(directory)
    if used:
        violations.append(f"{used} bytes still used on the file system")
    return {
        "signal": signal.Signals(signum).name,
        "offset": round(offset, 4),
        "hold": hold,
        "held-memory": held_memory,
        "sent": alive,
        "status": proc.returncode,
        "stderr": err,
        "hold-line": first.strip(),
        "violations": violations,
    }


def duration(directory: Path, size: str) -> float:
    """Seconds from the start of the allocation to the exit of an undisturbed run."""
    argv = [*CLI, "run", "-M", "none", "-m", size, "-mem-path", str(directory), "-mem-prealloc"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(lambda: _fds_into(proc.pid, directory) > 0 or proc.poll() is not None)
    start = time.monotonic()
    proc.wait()
    return time.monotonic() - start


def sweep(
    directory: Path, size: str, signals: Sequence[int], cases: int, *, hold: bool = False
) -> list[dict[str, Any]]:
    """``cases`` runs per signal, their offsets spread evenly over a run's allocation and
    release (10% beyond its end)."""
    span = duration(directory, size) * 1.1
    results = []
    for signum in signals:
        for index in range(cases):
            offset = span * index / max(1, cases - 1)
            results.append(run_case(directory, size, signum, offset, hold=hold))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1G", help="guest RAM (-m), default 1G")
    parser.add_argument("--cases", type=int, default=50, help="runs per signal, default 50")
    parser.add_argument("--signal", action="append", default=[], help="INT, TERM, USR1, ...")
    parser.add_argument("--hold", action="store_true", help="signal during the release")
    parser.add_argument("--json", action="store_true", help="print every case as JSON")
    args = parser.parse_args(argv)
    names = args.signal or ["INT", "TERM", "HUP", "QUIT", "USR1", "USR2", "ALRM", "XCPU"]
    signums = [int(getattr(signal, f"SIG{name.removeprefix('SIG')}")) for name in names]
    started = time.monotonic()
    with tmpfs("8g") as directory:
        results = sweep(directory, args.size, signums, args.cases, hold=args.hold)
    elapsed = time.monotonic() - started
    if args.json:
        print(json.dumps(results, indent=2))
    bad = [r for r in results if r["violations"]]
    late = [r for r in results if r["sent"] and not r["held-memory"] and r["status"] == 0]
    print(
        f"{len(results)} runs ({args.size}, {'hold' if args.hold else 'allocation'}), "
        f"{len(bad)} broke an invariant, {len(late)} signals came after the release, "
        f"{elapsed:.1f}s"
    )
    for result in bad:
        print(f"  {result['signal']} at {result['offset']}s: {'; '.join(result['violations'])}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
