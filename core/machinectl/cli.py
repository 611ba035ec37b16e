"""The ``machinectl`` command: list-boards, describe, run, plugins.

Every error is one line on stderr, ``machinectl: <message>``, with exit status 1 (2 for a
mistake in the command line of ``machinectl`` itself); never a traceback.

A signal that ends a process by default (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, ...) is
one line too, after everything acquired is released, with exit status 128 + the signal. Output
that cannot be written (a full disk, a closed standard output) is ``write error: ...``, exit
status 1; a reader that went away (``| head -1``) ends the command quietly with status 141, as
a process that SIGPIPE ends.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any, TextIO

from .errors import MachineError, PluginError, UsageError
from .units import human

PROG = "machinectl"
USAGE = f"""\
usage: {PROG} list-boards [--json]
       {PROG} describe BOARD [--json]
       {PROG} run [QEMU options] [--json] [--dry-run] [--hold]
       {PROG} plugins [--json]

QEMU options understood by run: -M/-machine TYPE[,memory-backend=ID][,PROP=VALUE...],
-m [size=]SIZE[,slots=N][,maxmem=SIZE], -object memory-backend-{{ram,file,memfd}},id=ID,...,
-numa node,..., -smp N, -mem-path PATH, -mem-prealloc.
"""


class Interrupted(BaseException):
    """A signal that ends the command arrived; carries the signal number."""

    def __init__(self, signum: int):
        super().__init__(_signal_name(signum))
        self.signum = signum


class OutputError(Exception):
    """Standard output cannot be written; carries the error."""

    def __init__(self, error: OSError):
        super().__init__(error.strerror or str(error))
        self.errno = error.errno
        self.strerror = error.strerror or str(error)


#: Exit status of a command whose reader went away, as for a process that SIGPIPE ends.
BROKEN_PIPE_STATUS = 128 + signal.SIGPIPE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (``sys.argv[1:]`` when None) and return its exit status.

    Called without ``argv`` (as the ``machinectl`` program), the signals stay held back once
    the status is decided: one that comes later cannot make a second line or another status.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    program = argv is None
    if program:
        _reserve_standard_fds()
    received = _Received()
    stdout = sys.stdout
    status = 1
    try:
        with _signals_as_exceptions(received, final_block=program):
            status = _main(args, received)
    except Interrupted:
        pass  # it came as the command ended: told below
    finally:
        sys.stdout = stdout
    if received.signum is not None and status != 128 + received.signum:
        _error(_signal_line(received.signum))
        status = 128 + received.signum
    return status


def _main(args: list[str], received: _Received) -> int:
    """The command, and each way it can end, turned into a line and an exit status."""
    status = 1
    try:
        try:
            if sys.stdout is None:
                raise OutputError(OSError(errno.EBADF, os.strerror(errno.EBADF)))
            sys.stdout = _GuardedOutput(sys.stdout)
            status = _dispatch(args)
            sys.stdout.flush()
        except MachineError as exc:
            if received.signum is None:
                _error(_one_line(exc))
            status = exc.exit_status
        except OutputError as exc:
            _silence_stdout()
            if exc.errno == errno.EPIPE:
                # The reader went away (``machinectl list-boards | head``): not an error.
                status = BROKEN_PIPE_STATUS
            else:
                _error(f"write error: {exc.strerror}")
                status = 1
        except MemoryError:
            # Python itself ran out of memory (an address-space limit): a host fault, not ours.
            _error(os.strerror(errno.ENOMEM))
            status = 1
        except Exception as exc:
            if os.environ.get("MACHINECTL_DEBUG"):
                raise
            _error(f"internal error: {type(exc).__name__}: {exc} (MACHINECTL_DEBUG=1 shows where)")
            status = 1
        except KeyboardInterrupt:
            received.take(signal.SIGINT)
        if received.signum is not None:
            # A signal whose exception was caught on the way (inside a finalizer, or by code
            # that catches everything) still ends the command as the signal asks.
            raise Interrupted(received.signum)
    except Interrupted:
        signum = received.signum if received.signum is not None else signal.SIGINT
        _error(_signal_line(signum))
        return 128 + signum
    return status


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


def _no_more(rest: list[str], command: str) -> None:
    if rest:
        raise UsageError(f"{command}: unexpected argument '{rest[0]}'")


# -- list-boards -----------------------------------------------------------------------------


def cmd_list_boards(args: list[str]) -> int:
    flags, rest = _flags(args, ("--json",))
    _no_more(rest, "list-boards")
    from .plugins import create_registry

    registry = create_registry()
    rows: list[dict[str, Any]] = []
    broken: list[str] = []
    for board in sorted(registry.boards.values(), key=lambda b: (b.spec.family, b.name)):
        # A board whose plugin fails is listed without its facts; the others are unaffected.
        size: int | None = None
        ram_id: str | None = None
        try:
            size, ram_id = registry.default_ram_size(board), registry.default_ram_id(board)
        except PluginError as exc:
            if registry.strict:
                raise
            broken.append(str(exc))
        rows.append(
            {
                "name": board.name,
                "alias": board.spec.alias,
                "family": board.spec.family,
                "description": board.spec.description,
                "default-ram-size": size,
                "default-ram-size-human": "?" if size is None else human(size),
                "default-ram-id": ram_id,
                "plugin": board.plugin,
                "distribution": board.distribution,
            }
        )
    _report_failures(registry)
    for error in broken:
        _error(f"warning: {error}")
    if "--json" in flags:
        _print_json(rows)
        return 0
    header = ("NAME", "ALIAS", "FAMILY", "DEFAULT RAM", "BYTES", "RAM ID", "PLUGIN")
    table = [
        (
            r["name"],
            r["alias"] or "",
            r["family"],
            r["default-ram-size-human"],
            "?" if r["default-ram-size"] is None else str(r["default-ram-size"]),
            r["default-ram-id"] or "-",
            r["distribution"] or r["plugin"],
        )
        for r in rows
    ]
    _print_table(header, table)
    return 0


def _print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    sys.stdout.write("\n".join(lines) + "\n")


def _print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _report_failures(registry: Any) -> None:
    for failure in registry.failures:
        _error(f"warning: {failure}")


# -- describe ----------------------------------------------------------------------------------


def cmd_describe(args: list[str]) -> int:
    flags, rest = _flags(args, ("--json",))
    if len(rest) != 1:
        raise UsageError("describe: expected exactly one BOARD")
    from .machine import Machine
    from .plugins import create_registry

    registry = create_registry()
    _report_failures(registry)
    board = registry.board(rest[0])
    spec = board.spec
    size = registry.default_ram_size(board)
    info: dict[str, Any] = {
        "name": board.name,
        "alias": spec.alias,
        "family": spec.family,
        "description": spec.description,
        "plugin": board.plugin,
        "distribution": board.distribution,
        "version": board.version,
        "default-ram-size": size,
        "default-ram-id": registry.default_ram_id(board),
        "numa": spec.numa,
        "numa-mem-supported": spec.numa_mem_supported,
        "properties": spec.machine_properties,
        "rules": registry.describe_board(board),
    }
    mtree = ""
    try:
        with Machine.from_argv(["-M", board.name], registry=registry, allocate=False) as machine:
            info["memory-map"] = machine.query()["mtree"]["flat"]
            mtree = machine.mtree_text(flat=True)
    except MachineError as exc:
        info["memory-map-error"] = str(exc)
    if "--json" in flags:
        _print_json(info)
        return 0
    out = [f"{board.name}: {spec.description}".rstrip(": ")]
    if spec.alias:
        out.append(f"  alias: {spec.alias}")
    out.append(f"  family: {spec.family}")
    out.append(f"  plugin: {board.plugin} ({board.distribution or '-'} {board.version or ''})")
    out.append(f"  default RAM: {human(size)} ({size} bytes)")
    out.append(f"  default RAM id: {info['default-ram-id'] or '- (the board ignores -m)'}")
    numa = "yes" if spec.numa else "no"
    if spec.numa:
        numa += ", legacy mem= " + ("accepted" if spec.numa_mem_supported else "refused")
    out.append(f"  NUMA: {numa}")
    if spec.machine_properties:
        props = ", ".join(f"{k} ({v})" for k, v in spec.machine_properties.items())
        out.append(f"  machine properties: {props}")
    out.append("  RAM rules:")
    out.extend(f"    - {line}" for line in info["rules"])
    out.append(f"  memory map at the default size ({human(size)}):")
    if mtree:
        out.extend("    " + line for line in mtree.rstrip("\n").splitlines())
    else:
        out.append(f"    {info.get('memory-map-error')}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


# -- run -------------------------------------------------------------------------------------


def cmd_run(args: list[str]) -> int:
    flags, qemu_args = _flags(args, ("--json", "--dry-run", "--hold"))
    if "--dry-run" in flags and "--hold" in flags:
        raise UsageError("run: --dry-run and --hold exclude each other")
    if _machine_help(qemu_args):
        return 0
    from .machine import Machine

    as_json = "--json" in flags
    progress = None if as_json or not sys.stderr.isatty() else _ProgressBar(sys.stderr)
    try:
        machine = Machine.from_argv(qemu_args, allocate="--dry-run" not in flags, progress=progress)
    finally:
        if progress is not None:
            progress.finish()
    with machine:
        for warning in machine.warnings:
            _error(warning if ": warning: " in warning else f"warning: {warning}")
        _report_failures(machine.registry)
        if as_json:
            _print_json(machine.query())
        else:
            # Notices are plain lines on standard output, as QEMU prints them.
            sys.stdout.write("".join(f"{notice}\n" for notice in machine.notices))
            sys.stdout.write(_summary(machine))
        sys.stdout.flush()
        if "--hold" in flags:
            _hold(machine)
    return 0


def _machine_help(qemu_args: list[str]) -> bool:
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
    from .plugins import create_registry

    registry = create_registry()
    _report_failures(registry)
    sys.stdout.write(machine_list(registry.boards.values()))
    return True


def _is_help(machine_option: str) -> bool:
    """Whether ``-machine``'s implied first item asks for help (``help`` or ``?``)."""
    first = machine_option.replace(",,", "\0").split(",", 1)[0]
    return first in ("help", "?")


def machine_list(boards: Iterable[Any]) -> str:
    """QEMU's ``-machine help`` text: each machine type, an alias on a line of its own first.

    Machine types come in the order of QEMU's names for their classes (``NAME-machine``), as
    QEMU lists the types that belong to no family.
    """
    lines = ["Supported machines are:"]
    for board in sorted(boards, key=lambda b: f"{b.name}-machine"):
        spec = board.spec
        if spec.alias:
            lines.append(f"{spec.alias:<20} {spec.description} (alias of {spec.name})")
        deprecated = " (deprecated)" if spec.deprecated else ""
        lines.append(f"{spec.name:<20} {spec.description}{deprecated}")
    return "\n".join(lines) + "\n"


def _summary(machine: Any) -> str:
    board = machine.board
    out = [f"machine: {board.name} ({board.distribution or board.plugin})"]
    out.append("")
    out.extend(backend.info_text() for backend in machine.backends)
    out.append("")
    out.append(machine.mtree_text(flat=True))
    out.append(machine.numa_text())
    out.append(f"base memory: {machine.state.ram_size}")
    if not machine.allocated:
        out.append("(dry run: nothing allocated)")
    return "\n".join(out) + "\n"


def _hold(machine: Any) -> None:
    lines = [f"holding {machine.board.name} (pid {os.getpid()}); interrupt to release"]
    for backend_id, path in machine.sharing_hints():
        lines.append(f"  {backend_id}: {printable(path)}")
    try:
        # A reader may signal as soon as it has read the lines: that is a release too.
        _write_stderr("\n".join(lines) + "\n")
        while True:
            signal.pause()
    except Interrupted as exc:
        # The signal that ends a hold is its normal end; another one ends the command.
        _RECEIVED[-1].consume(exc.signum)
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
    from .plugins import create_registry

    registry = create_registry()
    data: dict[str, list[dict[str, Any]]] = {
        "plugins": [
            {
                "name": p.name,
                "distribution": p.distribution,
                "version": p.version,
                "hooks": list(p.hooks),
                "boards": list(p.boards),
            }
            for p in registry.plugins()
        ],
        "failed": [
            {
                "name": f.name,
                "distribution": f.distribution,
                "version": f.version,
                "error": f.error,
            }
            for f in registry.failures
        ],
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
    for failure in registry.failures:
        sys.stdout.write(f"failed: {failure}\n")
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
    _write_stderr(f"{PROG}: {text}\n")


def _write_stderr(text: str) -> None:
    """Write to standard error; when that fails too, nothing is left to tell."""
    if sys.stderr is None:
        return
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(text)
        sys.stderr.flush()


class _GuardedOutput:
    """Standard output whose write errors are :class:`OutputError`, handled once in main."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise OutputError(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise OutputError(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that what is still buffered for it is dropped
    quietly at exit (Python's advice for a broken pipe, and a full disk alike)."""
    stream = sys.stdout
    if isinstance(stream, _GuardedOutput):
        stream = stream._stream
    sys.stdout = stream
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, stream.fileno())
        finally:
            os.close(null)


def _reserve_standard_fds() -> None:
    """Open /dev/null on a standard descriptor that is closed (``>&-``), so that no file or
    memory the command opens takes its number and receives what is meant for it."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            with contextlib.suppress(OSError):
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:  # pragma: no cover - the lowest free number is the closed one
                    os.dup2(null, fd)
                    os.close(null)


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"SIGRTMIN+{signum - signal.SIGRTMIN}"


def _signal_line(signum: int) -> str:
    if signum == signal.SIGINT:
        return "interrupted"
    if signum in (signal.SIGTERM, signal.SIGHUP):
        return "terminated"
    return f"terminated by {_signal_name(signum)}"


class _Received:
    """The signals that asked the command to end, in the order they came."""

    def __init__(self) -> None:
        self.signums: list[int] = []
        #: An :class:`Interrupted` is on its way: later signals are only recorded.
        self.raising = False
        #: The command has ended: a signal is still recorded, but raises nothing.
        self.closed = False

    @property
    def signum(self) -> int | None:
        """The signal the command ends with, if any."""
        return self.signums[0] if self.signums else None

    def take(self, signum: int) -> bool:
        """Record ``signum``; whether to raise for it (not when an earlier signal is already
        on its way, or the command has ended)."""
        self.signums.append(signum)
        if self.raising or self.closed:
            return False
        self.raising = True
        return True

    def consume(self, signum: int) -> None:
        """``signum`` did what it asked (it ended a hold); one that came meanwhile remains."""
        with contextlib.suppress(ValueError):
            self.signums.remove(signum)
        self.raising = False


#: The signals received by each :func:`main` running (innermost last).
_RECEIVED: list[_Received] = []


def _handled_signals() -> list[int]:
    """The signals that end the command: those that end a process by default, except
    SIGPIPE and SIGXFSZ, which Python ignores so that the write that fails reports them."""
    from .signals import TERMINATING

    return sorted(TERMINATING - {signal.SIGPIPE, signal.SIGXFSZ})


@contextmanager
def _signals_as_exceptions(received: _Received, final_block: bool = False) -> Iterator[None]:
    """Each signal that ends a process becomes :class:`Interrupted`, so every owner releases
    what it holds (a terminal that closes under ``--hold`` or a preallocation is a release
    too). The first one is the one the command ends with; later ones are only recorded."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if received.take(signum):
            raise Interrupted(signum)

    def unraisable(hook: Any) -> None:
        # An Interrupted raised inside a finalizer cannot leave it: its signal is recorded,
        # and main ends the command with it.
        if not isinstance(hook.exc_value, Interrupted):
            previous_hook(hook)

    handled = _handled_signals()
    previous_hook = sys.unraisablehook
    previous: dict[int, Any] = {}
    _RECEIVED.append(received)
    try:
        for signum in handled:
            previous[signum] = signal.signal(signum, handler)
        sys.unraisablehook = unraisable
        yield
    finally:
        received.closed = True
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, handled)
        sys.unraisablehook = previous_hook
        for signum, old in previous.items():
            signal.signal(signum, old)
        _RECEIVED.pop()
        if not final_block:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        else:
            # A signal that came after the last check is told too; from now on, the status
            # is decided and a signal waits for the exit.
            pending = signal.sigpending() & set(handled)
            if pending:
                received.take(min(pending))


if __name__ == "__main__":
    raise SystemExit(main())
