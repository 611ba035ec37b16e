#!/usr/bin/env python3
"""Ask a real QEMU binary what a command line does to RAM, and record the answers as JSON.

The board plugins' tests compare machinectl against these records (``machinectl.oracle``).
Each probe starts ``qemu-system-X -M NAME [-m SIZE] [EXTRA...] -display none -S -nodefaults
-qmp stdio``, asks for ``query-memory-size-summary``, ``query-memdev``, ``info mtree -f`` and
``query-machines`` and quits; when QEMU refuses the command line, the first line of its error
(without the program name) is kept.

    uv run python tools/qemu_oracle.py --binary qemu-system-arm --machine raspi3b --machine virt \
        --common-sizes --edges 1G --out plugins/arm/tests/data/qemu72.json

``--machine-help TARGET...`` records ``qemu-system-TARGET -M help`` instead (the data of
``tests/test_machine_help.py``).

Needs QEMU (Debian's qemu-system-* 7.2) and machinectl (for QEMU's size syntax); not used by
the tests themselves. The module is also
the library of the plugins' own generator scripts: :func:`probe`, :func:`probe_all`, the size
lists (:data:`COMMON_SIZES`, :func:`edges`), :func:`machine_types`, :func:`disagreements`
between two binaries, :func:`reference_record` (records from the QEMU 5.0 reference facts)
and :func:`write_records` / :func:`write_agreed`. Import it with ``tools/`` on ``sys.path``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

Record = dict[str, Any]
#: What :func:`probe_all` runs: binary, machine type, ``-m`` value (None: no -m), more arguments.
Job = tuple[str, str, str | None, Sequence[str]]

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
#: QEMU rounds ``-m`` up to this step.
STEP = 8 * KiB
#: The ``-m`` values every board is probed with (no ``-m`` and ``0`` are added where wanted).
COMMON_SIZES: tuple[str, ...] = (
    "1M", "2M", "4M", "8M", "16M", "32M", "64M", "100M", "128M", "256M", "512M", "768M",
    "1G", "1536M", "2G", "3G", "3584M", "4G", "8G",
)  # fmt: skip
#: How often a probe is run again when QEMU's replies come back cut short.
ATTEMPTS = 5


def parse_size(text: str) -> int:
    """The bytes of a ``-m`` value, read as QEMU reads it: a bare number is MiB; a suffix
    ``B``, ``K``, ``M``, ``G``, ``T``, ``P`` or ``E`` in either case (``16k``) scales it; a
    decimal fraction needs a unit (``1.5G``, not ``1.5``). ``ValueError`` for what QEMU
    refuses."""
    # The core's parser is QEMU's qemu_strtosz. QEMU first reads the value as a size in bytes
    # (which refuses "1.5"), then appends "M" to a number without a unit and reads it again.
    from machinectl.options import SizeSyntaxError
    from machinectl.options import parse_size as strtosz

    try:
        strtosz(text)
        return strtosz(text + "M" if text[-1:].isdigit() else text)
    except SizeSyntaxError:
        raise ValueError(f"invalid size {text!r}") from None


def size_text(size: int) -> str:
    """A ``-m`` value with an explicit unit, exact for any multiple of 1 KiB."""
    for unit, scale in (("G", GiB), ("M", MiB)):
        if size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size // KiB}K"


def edges(size: str | int) -> list[str]:
    """The ``-m`` values one 8 KiB step below and above ``size``."""
    value = parse_size(size) if isinstance(size, str) else size
    return [size_text(value - STEP), size_text(value + STEP)]


def unique(sizes: Iterable[str | None]) -> list[str | None]:
    """The sizes in order, each once."""
    return list(dict.fromkeys(sizes))


# -- probing QEMU ------------------------------------------------------------------------------


def _qmp_script(tree: bool) -> str:
    commands: list[dict[str, Any]] = [
        {"execute": "qmp_capabilities"},
        {"execute": "query-memory-size-summary"},
        {"execute": "query-memdev"},
        {"execute": "human-monitor-command", "arguments": {"command-line": "info mtree -f"}},
        {"execute": "query-machines"},
    ]
    if tree:
        commands.append(
            {"execute": "human-monitor-command", "arguments": {"command-line": "info mtree"}}
        )
    commands.append({"execute": "quit"})
    return "".join(json.dumps(command) + "\n" for command in commands)


def probe(
    binary: str,
    machine: str,
    size: str | None,
    extra: Sequence[str] = (),
    *,
    timeout: float = 60,
    keep: Iterable[str] = (),
    tree: bool = False,
    stdout: bool = False,
    crashed: bool = False,
    binary_name: bool = False,
    shown: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
) -> Record:
    """Run one command line; return its outcome as plain data.

    :param keep: regions whose flat-view lines are recorded in ``ram-map`` whatever their kind.
    :param tree: also record ``ram-tree``, the ``info mtree`` lines that place main RAM.
    :param stdout: also record ``stdout``, the lines QEMU printed on stdout besides QMP.
    :param crashed: also record ``crashed``, whether QEMU died from a signal.
    :param binary_name: also record ``binary``, the program that ran.
    :param shown: arguments recorded under another name (a scratch file's path as
        ``<zero-4k.bin>``).
    :param cwd: the folder QEMU runs in (where relative file names in ``extra`` point).
    """
    argv = [binary, "-M", machine]
    if size is not None:
        argv += ["-m", size]
    argv += [*extra, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"]
    for _ in range(ATTEMPTS):
        proc = subprocess.run(
            argv,
            input=_qmp_script(tree),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=cwd,
        )
        replies, cut = _replies(proc.stdout)
        if not cut:
            break
    else:
        raise RuntimeError(f"{' '.join(argv)}: QEMU's QMP replies stayed cut short")
    names = shown or {}
    record: Record = {"machine": machine, "size": size, "extra": [names.get(a, a) for a in extra]}
    if binary_name:
        record["binary"] = binary
    if stdout:
        record["stdout"] = [line for line in proc.stdout.splitlines() if line and line[0] != "{"]
    if crashed:
        record["crashed"] = proc.returncode < 0
    errors = [_strip_program(line, binary) for line in proc.stderr.splitlines() if line.strip()]
    if len(replies) < 5:
        record["ok"] = False
        record["error"] = next(
            (e for e in errors if "warning:" not in e), errors[0] if errors else ""
        )
        record["stderr"] = errors
        return record
    _, summary, memdev, mtree, machines = replies[:5]
    record["ok"] = True
    record["warnings"] = errors
    record["memory-size-summary"] = summary
    record["memdev"] = sorted(memdev, key=lambda d: d.get("id", ""))
    record["ram-map"] = ram_map(mtree, keep)
    if tree:
        record["ram-tree"] = ram_tree(replies[5], [d["id"] for d in record["memdev"]])
    info = next((m for m in machines if m["name"] == machine or m.get("alias") == machine), None)
    if info is not None:
        record["machine-info"] = info
    return record


def _replies(stdout: str) -> tuple[list[Any], bool]:
    """The QMP return values, and whether a reply was cut short (QEMU can exit on ``quit``
    before its last reply is flushed)."""
    replies, cut = [], False
    for line in stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            cut = cut or line.startswith('{"return"')
            continue
        if "return" in msg:
            replies.append(msg["return"])
    return replies, cut


def probe_all(
    jobs: Iterable[Job],
    *,
    workers: int = 3,
    **options: Any,
) -> list[Record]:
    """:func:`probe` for each ``(binary, machine, size, extra)``, ``workers`` at a time, in the
    order of the jobs; ``options`` go to every probe."""
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda job: probe(*job, **options), jobs))


def ram_map(mtree_flat: str, keep: Iterable[str] = ()) -> list[str]:
    """The RAM lines of the flat view of the system address space (AS "memory").

    Each is ``START-END (prio P, ram): NAME[ @OFFSET]``: where guest RAM is visible, and which
    part of which region shows there. Device windows are left out, except the regions named in
    ``keep``.
    """
    kept = tuple(f"): {name}" for name in keep)
    for section in mtree_flat.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in section.strip().splitlines()]
        if 'AS "memory", root: system' in lines:
            return [
                line
                for line in lines
                if ", ram)" in line
                or ", rom)" in line
                or any(line.endswith(k) or f"{k} @" in line for k in kept)
            ]
    return []


def ram_tree(mtree: str, ram_ids: Iterable[str]) -> list[str]:
    """The lines of ``info mtree`` (system address space) that place main RAM, an alias of it
    or the device-memory area, in QEMU's order."""
    ids = "|".join(re.escape(i) for i in ram_ids)
    wanted = re.compile(rf"(: (?:{ids})$| @(?:{ids}) |: device-memory$)")
    text = mtree.replace("\r\n", "\n")
    section = text.split("address-space: memory\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in section.splitlines() if wanted.search(line.strip())]


def machine_types(binary: str, pattern: str) -> list[str]:
    """The machine types ``BINARY -M help`` lists whose names match ``pattern`` (a regex)."""
    listing = subprocess.run([binary, "-M", "help"], capture_output=True, text=True, check=True)
    names = [line.split()[0] for line in listing.stdout.splitlines()[1:] if line.strip()]
    return [name for name in names if re.fullmatch(pattern, name)]


@contextlib.contextmanager
def zero_files(*names: str, size: int = 4 * KiB) -> Iterator[Path]:
    """A scratch folder holding files of zeros (a kernel or firmware that gets QEMU started)."""
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            Path(scratch, name).write_bytes(bytes(size))
        yield Path(scratch)


def _strip_program(line: str, binary: str) -> str:
    prefix = Path(binary).name + ": "
    return line[len(prefix) :] if line.startswith(prefix) else line


# -- checking and writing records --------------------------------------------------------------

#: What two binaries must agree on for the same command line.
COMPARED = ("ok", "error", "memory-size-summary", "ram-map", "ram-tree")


def comparable(record: Record) -> Record:
    """The part of a record that does not depend on which binary ran it."""
    out = {key: record.get(key) for key in COMPARED}
    if not record["ok"]:
        out["stderr"] = record["stderr"]
    out["default-ram-id"] = record.get("machine-info", {}).get("default-ram-id")
    return out


def record_key(record: Record) -> tuple[str, str | None, tuple[str, ...]]:
    """The command line of a record: machine type, ``-m`` value and extra arguments."""
    return record["machine"], record["size"], tuple(record["extra"])


def disagreements(reference: Iterable[Record], others: Iterable[Record]) -> list[str]:
    """One line for each record of ``others`` that differs from the reference record of the
    same command line (``binary`` names who ran each)."""
    by_key = {record_key(r): r for r in reference}
    lines = []
    for record in others:
        theirs = by_key.get(record_key(record))
        if theirs is not None and comparable(record) != comparable(theirs):
            lines.append(
                f"{record['machine']} -m {record['size']}: "
                f"{record.get('binary')} and {theirs.get('binary')} differ"
            )
    return lines


def write_agreed(path: Path, records: Sequence[Record], primary: Callable[[Record], bool]) -> int:
    """Write the ``primary`` records if every other record agrees with the primary one of the
    same command line (see :func:`disagreements`); else name the disagreements. Returns the
    exit status (0 when written)."""
    ours = [r for r in records if primary(r)]
    mismatches = disagreements(ours, [r for r in records if not primary(r)])
    if mismatches:
        print(*mismatches, sep="\n", file=sys.stderr)
        return 1
    write_records(path, ours)
    return 0


def write_records(path: Path, records: Sequence[Record]) -> None:
    """Write an oracle file (sorted keys, one space of indent) and say how many records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(list(records), indent=1, sort_keys=True) + "\n")
    print(f"{path.name}: {len(records)} records", file=sys.stderr)


# -- records from the QEMU 5.0 reference facts -------------------------------------------------


def reference_size(text: str | None, default: int) -> int:
    """The RAM size QEMU 5.0 uses for ``-m text``: the default for none or 0, else rounded up
    to 8 KiB."""
    size = default if text is None else parse_size(text)
    return default if size == 0 else -(-size // STEP) * STEP


def refusal(rule: Record, size: int) -> str | None:
    """The message of a reference rule (``fixed``, ``exact`` or ``max``) for a size, if any."""
    if rule["kind"] in ("fixed", "exact"):
        refused = size != rule["value"]
    elif rule["kind"] == "max":
        refused = size > rule["value"]
    else:
        raise ValueError(f"no reference rule of kind {rule['kind']!r}")
    return str(rule["message"]).format(ram_size_div_MiB=size // MiB) if refused else None


def flat_line(base: int, size: int, region: str) -> str:
    """A RAM line of ``info mtree -f``."""
    return f"{base:016x}-{base + size - 1:016x} (prio 0, ram): {region}"


def reference_record(
    entry: Record,
    size: str | None,
    *,
    extra: Sequence[str] = (),
    binary: str | None = None,
    deprecated: bool | None = None,
    plugged_memory: bool = False,
    tree: Callable[[str, int], list[str]] | None = None,
) -> Record:
    """A record for ``-m size`` on a machine type of the shared reference (one rule, main RAM
    at ``ram_base``), for machine types no installed QEMU has.

    :param entry: the machine type's object in ``/work/shared/reference/boards/*.json``.
    :param binary: recorded as ``binary``; ``deprecated`` as the machine info's flag.
    :param plugged_memory: whether the size summary has ``plugged-memory`` (device memory).
    :param tree: ``(ram id, size) -> ram-tree lines``, when the record should have them.
    """
    default = int(entry["default_ram_size"])
    ram_size = reference_size(size, default)
    (rule,) = entry["rules"]
    record: Record = {"machine": entry["machine"], "size": size, "extra": list(extra)}
    if binary is not None:
        record["binary"] = binary
    message = refusal(rule, ram_size)
    if message is not None:
        return record | {"ok": False, "error": message, "stderr": [message]}
    ram_id = str(entry["default_ram_id"])
    base = entry["ram_base"]
    base = int(base, 16) if isinstance(base, str) else int(base)
    info: Record = {"name": entry["machine"], "default-ram-id": ram_id}
    info["numa-mem-supported"] = False
    if deprecated is not None:
        info["deprecated"] = deprecated
    summary = {"base-memory": ram_size} | ({"plugged-memory": 0} if plugged_memory else {})
    record |= {
        "ok": True,
        "warnings": [],
        "memory-size-summary": summary,
        "memdev": [{"id": ram_id, "size": ram_size}],
        "ram-map": [flat_line(base, ram_size, ram_id)],
        "machine-info": info,
    }
    if tree is not None:
        record["ram-tree"] = tree(ram_id, ram_size)
    return record


def reference_entries(path: Path) -> dict[str, Record]:
    """The machine types of a reference file by name."""
    return {entry["machine"]: entry for entry in json.loads(path.read_text())}


def machine_help(targets: Iterable[str]) -> Record:
    """What ``qemu-system-TARGET -M help`` prints for each target, line by line, with the version.

    The first line (``Supported machines are:``) is kept, so the record is the whole output.
    """
    outputs: dict[str, list[str]] = {}
    version = ""
    for target in targets:
        binary = f"qemu-system-{target}"
        done = subprocess.run(
            [binary, "-M", "help"], capture_output=True, text=True, check=True, timeout=60
        )
        outputs[target] = done.stdout.splitlines()
        first = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, check=True, timeout=60
        ).stdout.splitlines()[0]
        if version and first != version:
            raise SystemExit(f"{binary} is {first!r}, the others {version!r}")
        version = first
    return {"qemu": version, "targets": outputs}


# -- machine types recorded as a whole ---------------------------------------------------------

#: The ``-m`` values :func:`record_machine_types` tries on every machine type (None: no -m).
TYPE_SIZES: tuple[str | None, ...] = (
    None, "0", "1M", "64M", "128M", "256M", "512M", "1G", "2G", "3G", "4G",
)  # fmt: skip
#: What ``-machine memory-backend=`` does on a machine type: a 64 MiB backend named ``m0``.
MEMDEV_PROBE: tuple[str, ...] = (
    "-object", "memory-backend-ram,id=m0,size=64M", "-machine", "memory-backend=m0",
)  # fmt: skip


def record_machine_types(
    path: Path,
    binary: str,
    machines: Mapping[str, Sequence[str]],
    *,
    boot: Mapping[str, Sequence[str]] | None = None,
    files: Mapping[str, int] | None = None,
    workers: int = 2,
) -> int:
    """Record each machine type of ``machines`` (name -> more ``-m`` values: its own limits and
    splits) at :data:`TYPE_SIZES` and those sizes, and once with :data:`MEMDEV_PROBE`.

    :param boot: arguments only QEMU needs to start a machine type (``-pflash NAME``); they
        are recorded as given, so the tests can leave them out.
    :param files: scratch files of zeros the boot arguments name, with their sizes; QEMU runs
        in the folder that holds them.
    """
    boot = boot or {}
    os.environ.setdefault("QEMU_AUDIO_DRV", "none")
    with tempfile.TemporaryDirectory() as scratch:
        for name, size in (files or {}).items():
            Path(scratch, name).write_bytes(bytes(size))
        jobs: list[Job] = []
        for machine, more in machines.items():
            extra = list(boot.get(machine, ()))
            jobs += [(binary, machine, size, extra) for size in unique([*TYPE_SIZES, *more])]
            jobs.append((binary, machine, None, [*extra, *MEMDEV_PROBE]))
        records = probe_all(jobs, workers=workers, binary_name=True, crashed=True, cwd=scratch)
    write_records(path, records)
    return 0


# -- the command line --------------------------------------------------------------------------


def _edges_argument(text: str) -> tuple[str, ...]:
    try:
        return tuple(edges(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--binary")
    parser.add_argument("--machine", action="append")
    parser.add_argument(
        "--machine-help",
        nargs="+",
        metavar="TARGET",
        help="record the -M help lines of qemu-system-TARGET for each TARGET instead",
    )
    sizes = parser.add_argument_group("sizes (in the order given; each value once)")
    sizes.add_argument(
        "--size", dest="sizes", action="append", default=[], help="-m value; 'none' omits -m"
    )
    sizes.add_argument(
        "--common-sizes",
        dest="sizes",
        action="append_const",
        const=COMMON_SIZES,
        help="no -m, 0, and " + " ".join(COMMON_SIZES),
    )
    sizes.add_argument(
        "--edges",
        dest="sizes",
        action="append",
        type=_edges_argument,
        metavar="SIZE",
        help="the sizes one 8 KiB step below and above SIZE",
    )
    parser.add_argument("--extra", default="", help="more QEMU arguments, space-separated")
    parser.add_argument(
        "--zero-file",
        action="append",
        default=[],
        metavar="NAME",
        help="run QEMU in a scratch folder that holds NAME, 4 KiB of zeros (a dummy kernel)",
    )
    parser.add_argument(
        "--keep-region",
        action="append",
        default=[],
        metavar="NAME",
        help="record the flat-view lines of region NAME too (an I/O region that fills a hole)",
    )
    parser.add_argument("--tree", action="store_true", help="record ram-tree (info mtree)")
    parser.add_argument("--stdout", action="store_true", help="record QEMU's stdout lines")
    parser.add_argument("--crashed", action="store_true", help="record whether QEMU crashed")
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.machine_help:
        text = json.dumps(machine_help(args.machine_help), indent=1, sort_keys=True) + "\n"
        if args.out:
            args.out.write_text(text)
        else:
            sys.stdout.write(text)
        return 0
    if not args.binary or not args.machine:
        parser.error("--binary and --machine are required (unless --machine-help)")
    values: list[str | None] = []
    for item in args.sizes or ["none"]:
        if isinstance(item, str):
            values.append(None if item == "none" else item)
        elif item is COMMON_SIZES:
            values += [None, "0", *COMMON_SIZES]
        else:
            values += item
    extra = args.extra.split()
    options = {
        "keep": args.keep_region,
        "tree": args.tree,
        "stdout": args.stdout,
        "crashed": args.crashed,
    }
    with zero_files(*args.zero_file) as scratch:
        jobs = [(args.binary, m, s, extra) for m in args.machine for s in unique(values)]
        records = probe_all(jobs, workers=args.jobs, cwd=scratch, **options)
    if args.out:
        write_records(args.out, records)
    else:
        sys.stdout.write(json.dumps(records, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
