"""The ``machinectl`` command: list-boards, describe, run, plugins.

Every error is one line on stderr, ``machinectl: <message>``, with exit status 1 (2 for a
mistake in the command line of ``machinectl`` itself); never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from .errors import MachineError, PluginError, UsageError
from .units import human

# Not typing.TYPE_CHECKING: importing typing costs more than this module's own work.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any, TextIO

PROG = "machinectl"
USAGE = f"""\
usage: {PROG} list-boards [--target TARGET] [--family FAMILY] [--json]
       {PROG} describe BOARD [--target TARGET] [--json]
       {PROG} run [--target TARGET] [QEMU options] [--json] [--dry-run] [--hold]
       {PROG} plugins [--json]

--target TARGET (or MACHINECTL_TARGET) chooses among machine types of the same name, as
choosing qemu-system-TARGET does: virt of aarch64 or of riscv64.

QEMU options understood by run: -M/-machine TYPE[,memory-backend=ID][,PROP=VALUE...],
-m [size=]SIZE[,slots=N][,maxmem=SIZE], -object memory-backend-{{ram,file,memfd}},id=ID,...,
-numa node,..., -device {{pc-dimm,nvdimm,virtio-mem-pci,...}},memdev=ID,..., -cpu MODEL,
-bios FILE, -smp N, -mem-path PATH, -mem-prealloc.
QMP monitors (run then keeps the machine until quit or a signal):
-qmp unix:PATH,server=on,wait=off, -qmp tcp:HOST:PORT,server=on,wait=off, -qmp stdio,
-chardev socket,id=ID,path=PATH,server=on,wait=off with -mon chardev=ID,mode=control.
"""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; carries the signal number."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with _signals_as_exceptions():
            return _dispatch(args)
    except MachineError as exc:
        _error(_one_line(exc))
        return exc.exit_status
    except Interrupted as exc:
        _error("interrupted" if exc.signum == signal.SIGINT else "terminated")
        return 128 + exc.signum
    except BrokenPipeError:
        # The reader went away (``machinectl list-boards | head``): not an error of ours.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces the broken stream
        return 0
    except Exception as exc:
        if os.environ.get("MACHINECTL_DEBUG"):
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (MACHINECTL_DEBUG=1 shows where)")
        return 1
    except KeyboardInterrupt:
        _error("interrupted")
        return 128 + signal.SIGINT


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    handler = COMMANDS.get(command)
    if handler is None:
        raise UsageError(f"unknown command '{command}' (try '{PROG} --help')")
    return handler(rest)


def _flags(args: list[str], allowed: Sequence[str]) -> tuple[set[str], list[str]]:
    flags = {a for a in args if a in allowed}
    return flags, [a for a in args if a not in allowed]


def _valued(args: list[str], option: str, command: str) -> tuple[str | None, list[str]]:
    """Take ``option VALUE`` (or ``option=VALUE``) out of ``args``; the last one wins."""
    value: str | None = None
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == option:
            if i + 1 >= len(args):
                raise UsageError(f"{command}: {option} needs a value")
            value, i = args[i + 1], i + 2
            continue
        if arg.startswith(option + "="):
            value = arg[len(option) + 1 :]
        else:
            rest.append(arg)
        i += 1
    if value is not None and not value:
        raise UsageError(f"{command}: {option} needs a value")
    return value, rest


def _no_more(rest: list[str], command: str) -> None:
    if rest:
        raise UsageError(f"{command}: unexpected argument '{rest[0]}'")


# -- list-boards -----------------------------------------------------------------------------


def cmd_list_boards(args: list[str]) -> int:
    target, args = _valued(args, "--target", "list-boards")
    family, args = _valued(args, "--family", "list-boards")
    flags, rest = _flags(args, ("--json",))
    _no_more(rest, "list-boards")
    index = _index()
    boards = index.boards_for(target or os.environ.get("MACHINECTL_TARGET") or None)
    if family is not None:
        boards = [b for b in boards if b.family == family]
    rows: list[dict[str, Any]] = []
    broken: list[str] = []
    for board in sorted(boards, key=lambda b: (b.family, b.name, b.targets)):
        # A board whose plugin fails is listed without its facts; the others are unaffected.
        if board.error is not None:
            if index.strict:
                raise PluginError(board.error)
            broken.append(board.error)
        size = board.default_ram_size
        rows.append(
            {
                "name": board.name,
                "alias": board.alias,
                "family": board.family,
                "targets": list(board.targets),
                "description": board.description,
                "default-ram-size": size,
                "default-ram-size-human": "?" if size is None else human(size),
                "default-ram-id": board.default_ram_id,
                "plugin": board.plugin,
                "distribution": board.distribution,
            }
        )
    _report_failures(index)
    for error in broken:
        _error(f"warning: {error}")
    if "--json" in flags:
        _print_json(rows)
        return 0
    header = ("NAME", "ALIAS", "FAMILY", "TARGETS", "DEFAULT-RAM", "BYTES", "RAM-ID", "PLUGIN")
    table = [
        (
            r["name"],
            r["alias"] or "-",
            r["family"] or "-",
            ",".join(r["targets"]) or "-",
            r["default-ram-size-human"],
            "?" if r["default-ram-size"] is None else str(r["default-ram-size"]),
            r["default-ram-id"] or "-",
            r["distribution"] or r["plugin"],
        )
        for r in rows
    ]
    _print_table(header, table)
    return 0


def _index() -> Any:
    """The board index of this environment (see :mod:`machinectl.index`)."""
    from .index import load_index

    index = load_index()
    index.check_strict()
    return index


def _print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    sys.stdout.write("\n".join(lines) + "\n")


def _print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _report_failures(source: Any) -> None:
    """Each plugin skipped at load, as a warning (a registry or the board index)."""
    lines = (
        source.failure_lines()
        if hasattr(source, "failure_lines")
        else [str(failure) for failure in source.failures]
    )
    for line in lines:
        _error(f"warning: {line}")


# -- describe ----------------------------------------------------------------------------------


def cmd_describe(args: list[str]) -> int:
    target, args = _valued(args, "--target", "describe")
    flags, rest = _flags(args, ("--json",))
    if len(rest) != 1:
        raise UsageError("describe: expected exactly one BOARD")
    index = _index()
    _report_failures(index)
    board = index.board(rest[0], target)
    if board.error is not None:
        raise MachineError(board.error)
    size = board.default_ram_size
    facts = board.describe
    info: dict[str, Any] = {
        "name": board.name,
        "alias": board.alias,
        "family": board.family,
        "targets": list(board.targets),
        "description": board.description,
        "plugin": board.plugin,
        "distribution": board.distribution,
        "version": board.version,
        "default-ram-size": size,
        "default-ram-id": board.default_ram_id,
        "numa": board.numa,
        "numa-mem-supported": board.numa_mem_supported,
        "properties": board.properties,
        "rules": facts.get("rules", []),
    }
    if "rules-error" in facts:
        raise MachineError(facts["rules-error"])
    if "memory-map" in facts:
        info["memory-map"] = facts["memory-map"]
    else:
        info["memory-map-error"] = facts.get("memory-map-error")
    if "--json" in flags:
        _print_json(info)
        return 0
    out = [f"{board.name}: {board.description}".rstrip(": ")]
    if board.alias:
        out.append(f"  alias: {board.alias}")
    out.append(f"  family: {board.family}")
    out.append(f"  targets: {', '.join(board.targets) or '-'}")
    out.append(f"  plugin: {board.plugin} ({board.distribution or '-'} {board.version or ''})")
    out.append(f"  default RAM: {human(size or 0)} ({size} bytes)")
    out.append(f"  default RAM id: {info['default-ram-id'] or '- (the board ignores -m)'}")
    numa = "yes" if board.numa else "no"
    if board.numa:
        numa += ", legacy mem= " + ("accepted" if board.numa_mem_supported else "refused")
    out.append(f"  NUMA: {numa}")
    if board.properties:
        props = ", ".join(f"{k} ({v})" for k, v in board.properties.items())
        out.append(f"  machine properties: {props}")
    out.append("  RAM rules:")
    out.extend(f"    - {line}" for line in info["rules"])
    out.append(f"  memory map at the default size ({human(size or 0)}):")
    mtree = facts.get("mtree-flat", "")
    if mtree:
        out.extend("    " + line for line in mtree.rstrip("\n").splitlines())
    else:
        out.append(f"    {info.get('memory-map-error')}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


# -- run -------------------------------------------------------------------------------------


def cmd_run(args: list[str]) -> int:
    target, args = _valued(args, "--target", "run")
    flags, qemu_args = _flags(args, ("--json", "--dry-run", "--hold"))
    if "--dry-run" in flags and "--hold" in flags:
        raise UsageError("run: --dry-run and --hold exclude each other")
    if _machine_help(qemu_args, target):
        return 0
    from .machine import Machine
    from .options import CommandLine

    line = CommandLine.from_argv(qemu_args)
    registry = _registry_for(line.machine.get("type"), target)
    as_json = "--json" in flags
    progress = None if as_json or not sys.stderr.isatty() else _ProgressBar(sys.stderr)
    owner = contextlib.ExitStack()  # the QMP monitors' sockets, bound before the build
    monitors = _bind_qmp_monitors(qemu_args, owner)
    try:
        machine = Machine.build(
            line, registry, "--dry-run" not in flags, progress=progress, target=target
        )
    except BaseException:
        owner.close()
        raise
    finally:
        if progress is not None:
            progress.finish()
    with owner, machine:
        for warning in machine.warnings:
            _error(warning if ": warning: " in warning else f"warning: {warning}")
        _report_failures(machine.registry)
        if any(m.option.transport == "stdio" for m in monitors):
            pass  # standard output carries QMP
        elif as_json:
            _print_json(machine.query())
        else:
            # Notices are plain lines on standard output, as QEMU prints them.
            sys.stdout.write("".join(f"{notice}\n" for notice in machine.notices))
            sys.stdout.write(_summary(machine))
        sys.stdout.flush()
        if monitors:
            _serve_qmp(machine, monitors)
        elif "--hold" in flags:
            _hold(machine)
    return 0


def _registry_for(name: str | None, target: str | None) -> Any:
    """A registry with just the plugins that building machine type ``name`` needs.

    None (the library's default registry) when no machine type is given: the pipeline then
    reports it as QEMU does.
    """
    if name is None:
        return None
    index = _index()
    return index.registry_for(index.board(name, target))


def _bind_qmp_monitors(qemu_args: list[str], owner: contextlib.ExitStack) -> list[Any]:
    """The listening sockets of the QMP monitors ``-qmp``/``-mon`` ask for (a socket that
    cannot be bound costs no allocation); ``owner`` releases them."""
    if not any(a.lstrip("-") in ("qmp", "mon") for a in qemu_args):
        return []
    from .options import CommandLine
    from .qmp.server import bound

    options = CommandLine.from_argv(qemu_args).monitors
    listeners: list[Any] = owner.enter_context(
        bound(options, lambda text: _error(f"warning: {text}"))
    )
    return listeners


def _serve_qmp(machine: Any, listeners: list[Any]) -> None:
    """Keep the machine, served on its monitors, until ``quit`` or a signal."""
    from .qmp.server import serve

    for listener in listeners:
        if listener.option.transport == "tcp" and listener.option.port == 0:
            _error(f"QMP listening on {listener.address}")
    reason = serve(machine, listeners)
    if reason.startswith("signal "):
        _error(f"terminating on {reason}")


def _machine_help(qemu_args: list[str], target: str | None = None) -> bool:
    """``-M help`` (or ``-M ?``): list the machine types as QEMU does; False when not asked.

    As in QEMU, the options before it are parsed (and their errors reported), those after it
    only need to be known options.
    """
    from .options import CommandLine, option_takes_value

    asked = None
    i = 0
    while i < len(qemu_args):
        arg = qemu_args[i]
        takes_value = option_takes_value(arg)
        if takes_value is None:
            if asked is None:
                return False  # not an option: the machine build reports it
            if not arg.startswith("-"):
                raise UsageError(f"{arg}: unexpected argument (options start with '-')")
            raise UsageError(f"{arg}: invalid option")
        if takes_value and i + 1 < len(qemu_args):
            if asked is None and arg in ("-M", "-machine") and _is_help(qemu_args[i + 1]):
                asked = i
            i += 2
        else:
            i += 1
    if asked is None:
        return False
    CommandLine.from_argv(qemu_args[:asked])
    index = _index()
    _report_failures(index)
    target = target or os.environ.get("MACHINECTL_TARGET") or None
    sys.stdout.write(machine_list(index.boards_for(target), target))
    return True


def _is_help(machine_option: str) -> bool:
    """Whether ``-machine``'s implied first item asks for help (``help`` or ``?``)."""
    first = machine_option.replace(",,", "\0").split(",", 1)[0]
    return first in ("help", "?")


def machine_list(boards: Iterable[Any], target: str | None = None) -> str:
    """QEMU's ``-machine help`` text: each machine type, an alias on a line of its own first.

    The order is QEMU's: machine-class families first, by family name, each family's types
    newest first (by class name, descending); then the types of no family by class name
    (``NAME-machine``). ``(default)`` marks the default machine type of ``target``.
    """
    lines = ["Supported machines are:"]
    for board in sorted(boards, key=functools.cmp_to_key(_machine_class_cmp)):
        spec = getattr(board, "spec", board)  # a registered Board, or the index's entry
        if spec.alias:
            lines.append(f"{spec.alias:<20} {spec.description} (alias of {spec.name})")
        default = " (default)" if target is not None and target in spec.default_for else ""
        deprecated = " (deprecated)" if spec.deprecated else ""
        lines.append(f"{spec.name:<20} {spec.description}{default}{deprecated}")
    return "\n".join(lines) + "\n"


def _machine_class_cmp(a: Any, b: Any) -> int:
    fa = getattr(a, "spec", a).machine_family
    fb = getattr(b, "spec", b).machine_family
    if fa is None or fb is None:
        if fa is None and fb is None:
            return _strcmp(f"{a.name}-machine", f"{b.name}-machine")
        return 1 if fa is None else -1
    return _strcmp(fa, fb) or _strcmp(f"{b.name}-machine", f"{a.name}-machine")


def _strcmp(a: str, b: str) -> int:
    ka, kb = a.encode(), b.encode()
    return (ka > kb) - (ka < kb)


def _any_target(board: Any) -> str | None:
    """A target the board belongs to, to select exactly that board by name."""
    return next((t for t in board.targets if t != "*"), None)


def _summary(machine: Any) -> str:
    board = machine.board
    out = [f"machine: {board.name} ({board.distribution or board.plugin})"]
    out.append("")
    out.extend(backend.info_text() for backend in machine.backends)
    out.append("")
    out.append(machine.mtree_text(flat=True))
    out.append(machine.numa_text())
    out.append(f"base memory: {machine.state.ram_size}")
    if machine.memory_devices:
        out.append("")
        out.append(machine.memory_devices_text().rstrip("\n"))
        summary = machine.query()["memory-size-summary"]
        out.append(f"plugged memory: {summary.get('plugged-memory', 0)}")
    if not machine.allocated:
        out.append("(dry run: nothing allocated)")
    return "\n".join(out) + "\n"


def _hold(machine: Any) -> None:
    lines = [f"holding {machine.board.name} (pid {os.getpid()}); interrupt to release"]
    for backend_id, path in machine.sharing_hints():
        lines.append(f"  {backend_id}: {printable(path)}")
    try:
        # A reader may signal as soon as it has read the lines: that is a release too.
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()
        while True:
            signal.pause()
    except Interrupted:
        return


class _ProgressBar:
    """Preallocation progress on a terminal, for each backend that takes over a second."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.clock = clock
        self.backend: str | None = None
        self.start = 0.0
        #: A line of the current backend is on the terminal.
        self.shown = False

    def __call__(self, backend_id: str, done: int, total: int) -> None:
        now = self.clock()
        if backend_id != self.backend:
            self.finish()
            self.backend, self.start = backend_id, now
        elapsed = now - self.start
        if elapsed < 1.0 and not self.shown:
            return
        self.shown = True
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate > 0 else 0.0
        width = 30
        filled = width * done // total if total else width
        self.stream.write(
            f"\rpreallocating {backend_id} [{'#' * filled}{'.' * (width - filled)}] "
            f"{done / 2**30:.1f}/{total / 2**30:.1f} GiB {rate / 2**30:.2f} GiB/s "
            f"{left:.0f}s left "
        )
        self.stream.flush()

    def finish(self) -> None:
        """End the line of the bar, if one is shown."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


# -- plugins -----------------------------------------------------------------------------------


def cmd_plugins(args: list[str]) -> int:
    flags, rest = _flags(args, ("--json",))
    _no_more(rest, "plugins")
    index = _index()
    data: dict[str, list[dict[str, Any]]] = {
        "plugins": [
            {key: p[key] for key in ("name", "distribution", "version", "hooks", "boards")}
            for p in index.plugins
        ],
        "failed": [dict(f) for f in index.failures],
    }
    if "--json" in flags:
        _print_json(data)
        return 0
    rows = [
        (
            p["name"],
            p["distribution"] or "-",
            p["version"] or "-",
            str(len(p["boards"])),
            ", ".join(p["hooks"]),
        )
        for p in data["plugins"]
    ]
    _print_table(("PLUGIN", "DISTRIBUTION", "VERSION", "BOARDS", "HOOKS"), rows)
    for line in index.failure_lines():
        sys.stdout.write(f"failed: {line}\n")
    return 0


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "list-boards": cmd_list_boards,
    "describe": cmd_describe,
    "run": cmd_run,
    "plugins": cmd_plugins,
}


# -- plumbing ----------------------------------------------------------------------------------


def _one_line(exc: MachineError) -> str:
    """The message, then QEMU's hint lines (if any) in parentheses, all on one line."""
    text = str(exc)
    if exc.hint:
        joined = ""
        for line in (part.strip() for part in exc.hint.splitlines()):
            if line:
                # A line that breaks mid-sentence continues; a finished one gets a separator.
                joined += line if not joined else (" " if joined[-1] in "-," else "; ") + line
        text += f" ({joined})"
    return text


#: Longest error line printed whole; a longer one (an option of megabytes) is cut in the middle.
MAX_LINE = 2000


def printable(text: str) -> str:
    """``text`` safe for one line of a terminal: control characters escaped as in Python
    (``\\n``, ``\\x1b``), bytes that were not UTF-8 (surrogate escapes) shown as ``\\xff``."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])
    return "".join(out)


def _error(text: str) -> None:
    text = printable(text)
    if len(text) > MAX_LINE:
        cut = len(text) - MAX_LINE
        half = MAX_LINE // 2
        text = f"{text[:half]}[... {cut} characters ...]{text[half - MAX_LINE :]}"
    sys.stderr.write(f"{PROG}: {text}\n")
    sys.stderr.flush()


@contextmanager
def _signals_as_exceptions() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP become :class:`Interrupted`, so every owner releases what it
    holds (a terminal that closes under ``--hold`` or a preallocation is a release too)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


if __name__ == "__main__":
    raise SystemExit(main())
