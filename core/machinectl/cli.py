"""The ``machinectl`` command: list-boards, describe, run, plugins.

Each command parses its own flags with :mod:`argparse` (imported when a command runs), except
that ``run`` first sorts QEMU's single-dash options out with :mod:`machinectl.cmdline`.
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
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from .errors import MachineError, PluginError, UsageError, did_you_mean, with_hint
from .units import human

if TYPE_CHECKING:
    import argparse

    from .boards import Board
    from .cmdline import HelpRequest
    from .plugins import Registry

PROG = "machinectl"
USAGE = f"""\
usage: {PROG} list-boards [PATTERN] [--target TARGET] [--family FAMILY] [--json]
       {PROG} describe BOARD [--target TARGET] [--json]
       {PROG} run [--target TARGET] [--json] [--dry-run] [--hold] [--quiet] [--progress] \
[QEMU options]
       {PROG} plugins [--json]

Machines built the way QEMU 7.2 builds them, with guest RAM from real host memory backends.

commands:
  list-boards  the machine types, filtered by PATTERN (a substring), --family or --target
  describe     one machine type: default RAM, RAM rules, NUMA, memory map
  run          build a machine from QEMU's options and allocate its RAM
  plugins      the plugins that provide the machine types, and those that failed

'{PROG} COMMAND --help' (or '{PROG} help COMMAND') shows a command's options;
'{PROG} --version' shows the versions of the core and of each plugin.

--target TARGET (or MACHINECTL_TARGET) chooses among machine types of the same name, as
choosing qemu-system-TARGET does: virt of aarch64 or of riscv64.

QEMU options understood by run: -M/-machine TYPE[,memory-backend=ID][,PROP=VALUE...],
-m [size=]SIZE[,slots=N][,maxmem=SIZE], -object memory-backend-{{ram,file,memfd}},id=ID,...,
-numa node,..., -smp N, -mem-path PATH, -mem-prealloc. QEMU's other options are ignored,
with a warning that lists them. Help as in QEMU: -M help, -M TYPE,help, -object help,
-object TYPE,help.
"""
#: QEMU's options of run, for 'run --help'.
RUN_EPILOG = """\
QEMU options (as QEMU spells them; each may also be written with two dashes):
  -M, -machine [type=]TYPE[,memory-backend=ID][,mem-merge=on|off][,dump-guest-core=on|off]
  -m [size=]SIZE[,slots=N][,maxmem=SIZE]
  -object memory-backend-{ram,file,memfd},id=ID,size=SIZE[,PROPERTY=VALUE...]
  -numa node[,nodeid=N][,cpus=A[-B]][,memdev=ID][,mem=SIZE][,initiator=N]
  -smp [cpus=]N[,sockets=N][,dies=N][,clusters=N][,cores=N][,threads=N][,maxcpus=N]
  -mem-path PATH, -mem-prealloc

QEMU's help forms: -M help, -M TYPE,help, -object help, -object TYPE,help.

QEMU's other options (-cpu, -nographic, -display, -drive, -kernel, -append, -serial,
-netdev, -device, -object iothread, ...) are accepted and ignored, with one warning line
that lists them, so that a QEMU command line can be pasted whole. Refused, because ignoring
them would misstate the guest's memory: -readconfig, -set, a memory -device (pc-dimm,
nvdimm, virtio-mem, virtio-pmem), -overcommit mem-lock=on.
"""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; carries the signal number."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Exit(Exception):
    """A command's option parser is done (``--help``): exit with ``status``."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


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
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if args else 2
    if args[0] in ("--version", "-V"):
        return _version()
    if args[0] == "help":
        args = [*args[1:2], "--help"] if len(args) > 1 else ["--help"]
        return _dispatch(args)
    command, rest = args[0], args[1:]
    handler = COMMANDS.get(command)
    if handler is None:
        what = "option" if command.startswith("-") else "command"
        raise UsageError(
            f"unknown {what} '{command}'",
            hint=with_hint(did_you_mean(command, [*COMMANDS, "help"]), f"see '{PROG} --help'"),
        )
    try:
        return handler(rest)
    except _Exit as done:
        return done.status
    except UsageError as exc:
        exc.hint = with_hint(exc.hint, f"see '{PROG} {command} --help'")
        raise


def _registry() -> Registry:
    """The board data every command reads: the one place it comes from."""
    from .plugins import create_registry

    return create_registry()


def _version() -> int:
    from .plugins import installed_versions

    lines = [f"{name} {version or '?'}" for name, version in installed_versions()]
    sys.stdout.write(f"{lines[0]}\n" + "".join(f"  {line}\n" for line in lines[1:]))
    return 0


def _parser(command: str, description: str, **kwargs: Any) -> argparse.ArgumentParser:
    """An option parser for ``command`` whose mistakes are one-line usage errors."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise UsageError(f"{command}: {message}")

        def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
            if message:
                sys.stderr.write(message)
            raise _Exit(status)

    return Parser(
        prog=f"{PROG} {command}",
        description=description,
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **kwargs,
    )


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        metavar="TARGET",
        help="the QEMU target (qemu-system-TARGET) whose machine types count "
        "(default: $MACHINECTL_TARGET)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _target(value: str | None, command: str) -> str | None:
    if value == "":
        raise UsageError(f"{command}: --target needs a value")
    return value or os.environ.get("MACHINECTL_TARGET") or None


# -- list-boards -----------------------------------------------------------------------------


def cmd_list_boards(args: list[str]) -> int:
    parser = _parser(
        "list-boards",
        "Every machine type the installed plugins provide, sorted by family: its alias, "
        "QEMU targets,\ndefault RAM size and id, plugin and description. Empty cells show '-'.",
    )
    parser.add_argument(
        "pattern",
        nargs="?",
        metavar="PATTERN",
        help="only machine types whose name, alias, family, target or description contains "
        "PATTERN (ignoring case)",
    )
    parser.add_argument("--family", metavar="FAMILY", help="only the machine types of FAMILY")
    _add_target(parser)
    opts = parser.parse_args(args)
    target = _target(opts.target, "list-boards")
    registry = _registry()
    rows: list[dict[str, Any]] = []
    broken: list[str] = []
    _check_choice("target", target, registry.targets())
    _check_choice("family", opts.family, {b.spec.family for b in registry.boards})
    boards = registry.boards_for(target)
    if opts.family is not None:
        boards = [b for b in boards if b.spec.family == opts.family]
    if opts.pattern is not None:
        boards = [b for b in boards if _matches(b, opts.pattern)]
    for board in sorted(boards, key=lambda b: (b.spec.family, b.name, b.targets)):
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
                "targets": list(board.targets),
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
    if opts.json:
        _print_json(rows)
        return 0
    header = (
        "NAME",
        "ALIAS",
        "FAMILY",
        "TARGETS",
        "DEFAULT-RAM",
        "BYTES",
        "RAM-ID",
        "PLUGIN",
        "DESCRIPTION",
    )
    table = [
        (
            r["name"],
            r["alias"] or "-",
            r["family"] or "-",
            ",".join(r["targets"]) or "-",
            r["default-ram-size-human"].replace(" ", ""),
            "?" if r["default-ram-size"] is None else str(r["default-ram-size"]),
            r["default-ram-id"] or "-",
            r["distribution"] or r["plugin"],
            r["description"] or "-",
        )
        for r in rows
    ]
    _print_table(header, table)
    return 0


def _matches(board: Board, pattern: str) -> bool:
    spec = board.spec
    fields = (spec.name, spec.alias or "", spec.family, spec.description, *board.targets)
    return any(pattern.casefold() in field.casefold() for field in fields)


def _check_choice(what: str, value: str | None, choices: Iterable[str]) -> None:
    """A ``--target`` or ``--family`` no board has is a mistake, with the close one named."""
    choices = set(choices)
    if value is not None and value not in choices:
        known = ", ".join(sorted(choices))
        raise UsageError(
            f"list-boards: no machine type has {what} '{value}'",
            hint=with_hint(did_you_mean(value, choices), f"known: {known}"),
        )


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
    parser = _parser(
        "describe",
        "One machine type: where it comes from, its default RAM size and id, NUMA support,\n"
        "its -machine properties, its RAM rules in words, and its memory map at the default\n"
        "size as QEMU's 'info mtree' (the tree, aliases included) and 'info mtree -f' show it.",
    )
    parser.add_argument("board", metavar="BOARD", help="a machine type's name or alias")
    _add_target(parser)
    opts = parser.parse_args(args)
    target = _target(opts.target, "describe")
    from .machine import Machine
    from .plugins import UNSUPPORTED_HINT

    registry = _registry()
    _report_failures(registry)
    try:
        board = registry.board(opts.board, target)
    except MachineError as exc:
        if exc.hint is not None and exc.message == "unsupported machine type":
            # QEMU's advice names a run option; describe has its own way to list them.
            exc.hint = exc.hint.replace(UNSUPPORTED_HINT, f"'{PROG} list-boards' lists them")
        raise
    spec = board.spec
    size = registry.default_ram_size(board)
    info: dict[str, Any] = {
        "name": board.name,
        "alias": spec.alias,
        "family": spec.family,
        "targets": list(board.targets),
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
        with Machine.from_argv(
            ["-M", board.name],
            target=target or _any_target(board),
            registry=registry,
            allocate=False,
        ) as machine:
            info["memory-tree"] = machine.query()["mtree"]["tree"]
            info["memory-map"] = machine.query()["mtree"]["flat"]
            mtree = machine.mtree_text() + "\n" + machine.mtree_text(flat=True)
    except MachineError as exc:
        info["memory-map-error"] = str(exc)
    if opts.json:
        _print_json(info)
        return 0
    out = [f"{board.name}: {spec.description}".rstrip(": ")]
    if spec.alias:
        out.append(f"  alias: {spec.alias}")
    out.append(f"  family: {spec.family}")
    out.append(f"  targets: {', '.join(board.targets) or '-'}")
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
    out.append(f"  memory map at the default size ({human(size)}), as 'info mtree' and '-f':")
    if mtree:
        out.extend(f"    {line}".rstrip() for line in mtree.rstrip("\n").splitlines())
    else:
        out.append(f"    {info.get('memory-map-error')}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


# -- run -------------------------------------------------------------------------------------


def cmd_run(args: list[str]) -> int:
    from .cmdline import help_request, split_run_args

    split = split_run_args(args)
    if "--version" in split.own:
        return _version()
    parser = _parser(
        "run",
        "Build a machine from QEMU's options: check them, allocate guest RAM with the requested\n"
        "properties, let the board place it, and print it as QEMU's 'info memdev', 'info mtree\n"
        "-f', 'info numa' and 'info memory_size_summary' do. The memory is released at exit.",
        usage=f"{PROG} run [-h] [--target TARGET] [--json] [--dry-run | --hold] "
        "[--quiet | --progress] [QEMU options]",
        epilog=RUN_EPILOG,
    )
    _add_target(parser)
    once = parser.add_mutually_exclusive_group()
    once.add_argument("--dry-run", action="store_true", help="check everything, allocate nothing")
    once.add_argument(
        "--hold", action="store_true", help="keep the machine until SIGINT or SIGTERM arrives"
    )
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar and no list of ignored options (warnings and errors still show)",
    )
    bar.add_argument(
        "--progress",
        action="store_true",
        help="show the preallocation progress even when stderr is not a terminal",
    )
    opts = parser.parse_args(split.own)
    target = _target(opts.target, "run")
    request = help_request(split.ram)
    if request is not None:
        sys.stdout.write(_qemu_help(request, split.ram, target))
        return 0
    from .boards import NUMA_PROPERTIES
    from .cmdline import drop_foreign_machine_properties
    from .machine import GENERIC_PROPERTIES, Machine

    registry = _registry()

    def modelled() -> set[str]:
        declared = {name for board in registry.boards for name in board.spec.properties}
        return {*GENERIC_PROPERTIES, *NUMA_PROPERTIES, *declared}

    ram, more = drop_foreign_machine_properties(split.ram, modelled)
    ignored = [*split.ignored, *more]
    if ignored and not opts.quiet:
        _error(f"warning: ignored, not about RAM: {'; '.join(ignored)}")

    show_bar = opts.progress or (not opts.quiet and sys.stderr.isatty())
    progress = _ProgressBar(sys.stderr) if show_bar else None
    try:
        machine = Machine.from_argv(
            ram, target=target, registry=registry, allocate=not opts.dry_run, progress=progress
        )
    finally:
        if progress is not None:
            progress.finish()
    with machine:
        for warning in machine.warnings:
            _error(warning if ": warning: " in warning else f"warning: {warning}")
        _report_failures(machine.registry)
        if opts.json:
            _print_json(machine.query())
        else:
            # Notices are plain lines on standard output, as QEMU prints them.
            sys.stdout.write("".join(f"{notice}\n" for notice in machine.notices))
            sys.stdout.write(_summary(machine))
        sys.stdout.flush()
        if opts.hold:
            _hold(machine)
    return 0


def _qemu_help(request: HelpRequest, ram: list[str], target: str | None) -> str:
    """QEMU's answer to ``-M help``, ``-M TYPE,help``, ``-object help``, ``-object TYPE,help``.

    As in QEMU, the options before the one that asks are checked (and their errors reported);
    those after it only need to be known options.
    """
    from .cmdline import machine_help, object_help, object_types_help
    from .hostmem import BACKEND_TYPES, HostMemoryBackend
    from .options import CommandLine

    CommandLine.from_argv(ram[: request.position])
    location = f"{ram[request.position]} {ram[request.position + 1]}"
    if request.kind in ("machines", "machine"):
        registry = _registry()
        _report_failures(registry)
        if request.kind == "machine" and registry.candidates(request.name):
            from .machine import GENERIC_PROPERTIES

            board = registry.board(request.name, target)
            properties = {**GENERIC_PROPERTIES, **board.spec.machine_properties}
            return machine_help(board.qom_type, properties)
        # QEMU lists the machine types when it does not know the one asked about.
        return machine_list(registry.boards_for(target), target)
    if request.kind == "objects":
        return object_types_help(BACKEND_TYPES)
    types: dict[str, type[HostMemoryBackend]] = {
        HostMemoryBackend.qom_type: HostMemoryBackend,
        **BACKEND_TYPES,
    }
    backend = types.get(request.name)
    if backend is not None:
        return object_help(request.name, backend.properties)
    raise MachineError(
        f"Parameter 'qom-type' does not accept value '{request.name}'",
        hint=did_you_mean(request.name, BACKEND_TYPES),
    ).at(location)


def machine_list(boards: Iterable[Any], target: str | None = None) -> str:
    """QEMU's ``-machine help`` text: each machine type, an alias on a line of its own first.

    The order is QEMU's: machine-class families first, by family name, each family's types
    newest first (by class name, descending); then the types of no family by class name
    (``NAME-machine``). ``(default)`` marks the default machine type of ``target``.
    """
    lines = ["Supported machines are:"]
    for board in sorted(boards, key=functools.cmp_to_key(_machine_class_cmp)):
        spec = board.spec
        if spec.alias:
            lines.append(f"{spec.alias:<20} {spec.description} (alias of {spec.name})")
        default = " (default)" if target is not None and target in spec.default_for else ""
        deprecated = " (deprecated)" if spec.deprecated else ""
        lines.append(f"{spec.name:<20} {spec.description}{default}{deprecated}")
    return "\n".join(lines) + "\n"


def _machine_class_cmp(a: Any, b: Any) -> int:
    fa, fb = a.spec.machine_family, b.spec.machine_family
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
    # QEMU's 'info memory_size_summary': plugged memory only where memory devices can be.
    out.append(f"base memory: {machine.state.ram_size}")
    if board.spec.memory_devices:
        out.append("plugged memory: 0")
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
    parser = _parser(
        "plugins",
        "The plugins that loaded, each with its distribution and version, the number of boards\n"
        "it declares and the hooks it implements; then the plugins that were skipped and why.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    opts = parser.parse_args(args)
    registry = _registry()
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
    if opts.json:
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
                joined += line if not joined else (" " if joined[-1] in "-,?" else "; ") + line
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
