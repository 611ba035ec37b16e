"""The ``machinectl`` command: list-boards, describe, run, plugins.

Each command parses its own flags with :mod:`argparse` (imported when a command runs), except
that ``run`` first sorts QEMU's single-dash options out with :mod:`machinectl.cmdline`. What
the commands print is written by :mod:`machinectl.report`. Every command reads its board data
from the board index (:func:`_index`, see :mod:`machinectl.index`) and imports no plugin;
``run`` then loads only the plugins its machine type needs.

Every error is one line on stderr, ``machinectl: <message>``, with exit status 1 (also for a
mistake in the command line of ``machinectl`` itself; 2 only when no command is given); never
a traceback.

A signal that ends a process by default (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, ...) is
one line too, after everything acquired is released, with exit status 128 + the signal. Output
that cannot be written (a full disk, a closed standard output) is ``write error: ...``, exit
status 1; a reader that went away (``| head -1``) ends the command quietly with status 141, as
a process that SIGPIPE ends.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys

from .errors import MachineError, PluginError, UsageError, did_you_mean, with_hint
from .units import human

# Not typing.TYPE_CHECKING: importing typing costs more than a warm list-boards does.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import contextlib
    from collections.abc import Callable, Iterable, Sequence
    from types import FrameType, TracebackType
    from typing import Any, NoReturn, TextIO

    from .index import BoardIndex, IndexedBoard
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
-numa node,..., -device {{pc-dimm,nvdimm,virtio-mem-pci,...}},memdev=ID,...,
-cpu MODEL, -bios FILE, -smp N, -mem-path PATH, -mem-prealloc. QEMU's other options are ignored,
with a warning that lists them. Help as in QEMU: -M help, -M TYPE,help, -object help,
-object TYPE,help.
QMP monitors (run then keeps the machine until quit or a signal):
-qmp unix:PATH,server=on,wait=off, -qmp tcp:HOST:PORT,server=on,wait=off, -qmp stdio,
-chardev socket,id=ID,path=PATH,server=on,wait=off with -mon chardev=ID,mode=control.
"""


class Interrupted(BaseException):
    """A signal that ends the command arrived; carries the signal number."""

    def __init__(self, signum: int):
        super().__init__(_signal_name(signum))
        self.signum = signum


class _Exit(Exception):
    """A command's option parser is done (``--help``): exit with ``status``."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class OutputError(Exception):
    """Standard output cannot be written; carries the error."""

    def __init__(self, error: OSError):
        super().__init__(error.strerror or str(error))
        self.errno = error.errno
        self.strerror = error.strerror or str(error)


# The C functions of the signal module: the module itself (with enum) costs more to import
# than a warm ``list-boards``; it is imported only to name a signal that arrived.
_signal: Any = importlib.import_module("_signal")

#: Exit status of a command whose reader went away, as for a process that SIGPIPE ends.
BROKEN_PIPE_STATUS = 128 + _signal.SIGPIPE


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
                # QEMU prints a warning when it is given: before an error that comes later.
                for warning in exc.warnings:
                    _warn(warning)
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
            received.take(_signal.SIGINT)
        if received.signum is not None:
            # A signal whose exception was caught on the way (inside a finalizer, or by code
            # that catches everything) still ends the command as the signal asks.
            raise Interrupted(received.signum)
    except Interrupted:
        signum = received.signum if received.signum is not None else _signal.SIGINT
        _error(_signal_line(signum))
        return 128 + signum
    return status


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if args else 2
    if args[0] == "--version":
        return _version()
    if args[0] == "help":
        return _dispatch([*args[1:2], "--help"] if len(args) > 1 else ["--help"])
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
        # Our pointer comes last, after QEMU's words and a suggestion.
        exc.hint = with_hint(with_hint(exc.hint, exc.suggestion), f"see '{PROG} {command} --help'")
        exc.suggestion = None
        raise


def _index() -> BoardIndex:
    """The board data every command reads: the one place it comes from."""
    from .index import load_index

    index = load_index()
    index.check_strict()
    return index


def _registry_for(ram: Sequence[str], target: str | None) -> Registry | None:
    """A registry with just the plugins that building the machine of ``ram`` needs.

    None (the library's default registry) when no machine type is given: the pipeline then
    reports it as QEMU does.
    """
    from .options import THREAD_CONTEXT, CommandLine

    line = CommandLine.from_argv(ram)
    if any(option.qom_type == THREAD_CONTEXT for option in line.objects):
        # QEMU creates thread contexts before it looks for the machine type: their errors
        # come before a machine type that does not exist.
        from .machine import check_thread_contexts

        check_thread_contexts(line)
    name = line.machine.get("type")
    index = _index()
    if name is None:
        # The target's default machine type, if it has one (the pipeline says when not).
        wanted = target if target is not None else os.environ.get("MACHINECTL_TARGET") or None
        found = [b for b in index.boards_for(wanted) if wanted in b.default_for] if wanted else []
        return index.registry_for(found[0]) if len(found) == 1 else None
    return index.registry_for(index.board(name, target))


def _version() -> int:
    from .plugins import installed_versions

    lines = [f"{name} {version or '?'}" for name, version in installed_versions()]
    sys.stdout.write(f"{lines[0]}\n" + "".join(f"  {line}\n" for line in lines[1:]))
    return 0


def _flag(text: str) -> dict[str, Any]:
    return {"action": "store_true", "help": text}


_JSON = ("--json", _flag("print JSON instead of text"))
_TARGET = (
    "--target",
    {"metavar": "TARGET", "help": "the QEMU target of qemu-system-TARGET ($MACHINECTL_TARGET)"},
)
#: Each command's description and arguments; a list is a group of flags that exclude each other.
_ARGUMENTS: dict[str, tuple[str, list[Any]]] = {
    "list-boards": (
        "Every machine type the installed plugins provide, sorted by family: its alias, QEMU\n"
        "targets, default RAM size and id, plugin and description. Empty cells show '-'.",
        [
            (
                "pattern",
                {
                    "nargs": "?",
                    "metavar": "PATTERN",
                    "help": "only the types whose name, alias, family, target or description "
                    "contains PATTERN, in any case",
                },
            ),
            ("--family", {"metavar": "FAMILY", "help": "only the machine types of FAMILY"}),
            _TARGET,
            _JSON,
        ],
    ),
    "describe": (
        "One machine type: where it comes from, its default RAM size and id, NUMA support,\n"
        "its -machine properties, its RAM rules in words, and its memory map at the default\n"
        "size as QEMU's 'info mtree' (the tree, aliases included) and 'info mtree -f' show it.",
        [("board", {"metavar": "BOARD", "help": "a machine type's name or alias"}), _TARGET, _JSON],
    ),
    "run": (
        "Build a machine from QEMU's options: check them, allocate guest RAM with the requested\n"
        "properties, let the board place it, and print it as QEMU's 'info memdev', 'info mtree\n"
        "-f', 'info numa' and 'info memory_size_summary' do. The memory is released at exit.",
        [
            _TARGET,
            _JSON,
            [
                ("--dry-run", _flag("check everything, allocate nothing")),
                ("--hold", _flag("keep the machine until SIGINT or SIGTERM")),
            ],
            [
                ("--quiet", _flag("no progress bar, no list of ignored options")),
                ("--progress", _flag("a progress bar even when stderr is not a terminal")),
            ],
        ],
    ),
    "plugins": (
        "The plugins that loaded, each with its distribution and version, the number of boards\n"
        "it declares and the hooks it implements; then the plugins that were skipped and why.",
        [_JSON],
    ),
}


def _formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's raw-description formatter, told the width (it would import shutil for it)."""
    import argparse

    try:
        columns = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size(2).columns
    except (ValueError, OSError):
        columns = 80
    return argparse.RawDescriptionHelpFormatter(prog, width=max(columns - 2, 40))


def _parse(command: str, args: list[str], **kwargs: Any) -> Any:
    """``command``'s own arguments; a mistake is a one-line usage error, ``--help`` exits."""
    opts = _quick_parse(command, args)
    if opts is None:
        opts = _parse_with_argparse(command, args, **kwargs)
    if getattr(opts, "target", None) == "":
        raise UsageError(f"{command}: --target needs a value")
    if hasattr(opts, "target"):
        opts.target = opts.target or os.environ.get("MACHINECTL_TARGET") or None
    return opts


def _quick_parse(command: str, args: list[str]) -> Any:
    """The arguments of a plain command line, parsed without :mod:`argparse` (importing and
    setting it up costs more than a warm ``list-boards``): flags, ``--option VALUE``,
    ``--option=VALUE`` and positionals, each at most once. Anything else (help, a mistake,
    an unknown or repeated option) gives None, and argparse parses and reports it."""
    from types import SimpleNamespace

    options: dict[str, dict[str, Any]] = {}
    positionals: list[tuple[str, dict[str, Any]]] = []
    groups: list[set[str]] = []
    for argument in _ARGUMENTS[command][1]:
        members = argument if isinstance(argument, list) else [argument]
        if isinstance(argument, list):
            groups.append({name for name, _ in members})
        for name, spec in members:
            if name.startswith("-"):
                options[name] = spec
            else:
                positionals.append((name, spec))
    values: dict[str, Any] = {name: None for name, _ in positionals}
    for name, spec in options.items():
        values[name[2:].replace("-", "_")] = False if spec.get("action") == "store_true" else None
    seen: set[str] = set()
    given = 0
    items = iter(args)
    for arg in items:
        if not arg.startswith("-"):
            if given == len(positionals):
                return None
            values[positionals[given][0]] = arg
            given += 1
            continue
        name, equals, text = arg.partition("=")
        spec = options.get(name)
        if spec is None or name in seen:
            return None
        seen.add(name)
        value: str | bool | None = text
        if spec.get("action") == "store_true":
            if equals:
                return None
            value = True
        elif not equals:
            value = next(items, None)
            if value is None or value.startswith("-"):
                return None
        values[name[2:].replace("-", "_")] = value
    if any(spec.get("nargs") != "?" for _, spec in positionals[given:]):
        return None
    if any(len(group & seen) > 1 for group in groups):
        return None
    return SimpleNamespace(**values)


def _parse_with_argparse(command: str, args: list[str], **kwargs: Any) -> argparse.Namespace:
    """:func:`_parse` for every command line: help, usage errors and all."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise UsageError(f"{command}: {message}")

        def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
            if message:
                sys.stderr.write(message)
            raise _Exit(status)

    description, arguments = _ARGUMENTS[command]
    parser = Parser(
        prog=f"{PROG} {command}",
        description=description,
        allow_abbrev=False,
        formatter_class=_formatter,
        **kwargs,
    )
    for argument in arguments:
        group = parser.add_mutually_exclusive_group() if isinstance(argument, list) else parser
        for name, options in argument if isinstance(argument, list) else [argument]:
            group.add_argument(name, **options)
    return parser.parse_args(args)


# -- list-boards -----------------------------------------------------------------------------


def cmd_list_boards(args: list[str]) -> int:
    from .report import print_boards, print_json

    opts = _parse("list-boards", args)
    index = _index()
    # First: a --family or --target refused may be that of a plugin that failed to load.
    _report_failures(index)
    if opts.target is not None:
        from .index import check_target

        check_target(opts.target, index.targets())  # as run and describe say it
    _check_choice("family", opts.family, {b.family for b in index.boards})
    boards = index.boards_for(opts.target)
    if opts.family is not None:
        boards = [b for b in boards if b.family == opts.family]
    if opts.pattern is not None:
        boards = [b for b in boards if _matches(b, opts.pattern)]
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
                # No default RAM id: the board allocates its own memory, as in QEMU.
                "ram-from-backend": board.default_ram_id is not None,
                "plugin": board.plugin,
                "distribution": board.distribution,
            }
        )
    for error in broken:
        _error(f"warning: {error}")
    (print_json if opts.json else print_boards)(rows)
    return 0


def _matches(board: IndexedBoard, pattern: str) -> bool:
    fields = (board.name, board.alias or "", board.family, board.description, *board.targets)
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


def _fail_with_reports(exc: MachineError, failures: Any) -> NoReturn:
    """Raise ``exc`` after its warnings and the plugins that failed to load, in that order."""
    for warning in exc.warnings:
        _warn(warning)
    exc.warnings = ()
    _report_failures(failures)
    raise exc


def _warn(text: str) -> None:
    """A warning line: ``-m 0x10: warning: ...`` as it stands, else after ``warning:``."""
    _error(text if ": warning: " in text else f"warning: {text}")


def _report_failures(source: Any) -> None:
    """Each plugin skipped at load, as a warning (from the board index or a registry)."""
    lines = (
        source.failure_lines()
        if hasattr(source, "failure_lines")
        else [str(failure) for failure in source.failures]
    )
    for line in lines:
        _error(f"warning: {line}")


# -- describe ----------------------------------------------------------------------------------


def cmd_describe(args: list[str]) -> int:
    opts = _parse("describe", args)
    from .index import UNSUPPORTED_HINT
    from .report import describe_text, print_json

    index = _index()
    _report_failures(index)
    try:
        board = index.board(opts.board, opts.target)
    except MachineError as exc:
        if exc.hint is not None and exc.message == "unsupported machine type":
            # QEMU's advice names a run option; describe has its own way to list them.
            exc.hint = exc.hint.replace(UNSUPPORTED_HINT, f"'{PROG} list-boards' lists them")
        raise
    if board.error is not None:
        raise PluginError(board.error)
    facts = board.describe
    if "rules-error" in facts:
        raise PluginError(facts["rules-error"])
    info: dict[str, Any] = {
        "name": board.name,
        "alias": board.alias,
        "family": board.family,
        "targets": list(board.targets),
        "description": board.description,
        "plugin": board.plugin,
        "distribution": board.distribution,
        "version": board.version,
        "default-ram-size": board.default_ram_size,
        "default-ram-id": board.default_ram_id,
        "ram-from-backend": board.default_ram_id is not None,
        "numa": board.numa,
        "numa-mem-supported": board.numa_mem_supported,
        "properties": board.properties,
        "rules": facts.get("rules", []),
    }
    memory_map = ""
    if "memory-map" in facts:
        info["memory-tree"] = facts["memory-tree"]
        info["memory-map"] = facts["memory-map"]
        memory_map = facts["mtree"] + "\n" + facts["mtree-flat"]
    else:
        info["memory-map-error"] = facts.get("memory-map-error")
    if opts.json:
        print_json(info)
    else:
        sys.stdout.write(describe_text(info, memory_map))
    return 0


# -- run -------------------------------------------------------------------------------------


def cmd_run(args: list[str]) -> int:
    from .cmdline import RUN_EPILOG, answer_help, help_request, split_run_args

    split = split_run_args(args)
    if "--version" in split.own:
        return _version()
    usage = f"{PROG} run [-h] [--target TARGET] [--json] [--dry-run | --hold] "
    opts = _parse(
        "run", split.own, usage=usage + "[--quiet | --progress] [QEMU options]", epilog=RUN_EPILOG
    )
    request = help_request(split.ram)
    if request is not None:
        sys.stdout.write(answer_help(request, split.ram, opts.target, _index, _report_failures))
        return 0
    from .boards import NUMA_PROPERTIES
    from .cmdline import drop_foreign_machine_properties
    from .machine import GENERIC_PROPERTIES, Machine
    from .report import ProgressBar, print_json, summary

    def modelled() -> set[str]:
        declared = {name for board in _index().boards for name in board.properties}
        return {*GENERIC_PROPERTIES, *NUMA_PROPERTIES, *declared}

    ram, more = drop_foreign_machine_properties(split.ram, modelled)
    import contextlib

    owner = contextlib.ExitStack()  # the QMP monitors' sockets, bound before the build
    monitors = _bind_qmp_monitors(ram, owner)
    try:
        # A monitor answers for every machine type of the target (query-machines): all plugins.
        registry = None if monitors else _registry_for(ram, opts.target)
    except MachineError as exc:
        # The board asked for may be one of a plugin that failed to load: say so too.
        owner.close()
        _fail_with_reports(exc, _index())
    ignored = [*split.ignored, *more]
    if ignored and not opts.quiet:
        _error(f"warning: ignored, not about RAM: {'; '.join(ignored)}")
    stderr = sys.stderr  # None when the process was started with it closed
    show_bar = stderr is not None and (opts.progress or (not opts.quiet and _isatty(stderr)))
    progress = ProgressBar(stderr) if show_bar and stderr is not None else None
    try:
        machine = Machine.from_argv(
            ram,
            target=opts.target,
            registry=registry,
            allocate=not opts.dry_run,
            progress=progress,
        )
    except MachineError as exc:
        owner.close()
        _fail_with_reports(exc, registry if registry is not None else _index())
    except BaseException:
        owner.close()
        raise
    finally:
        if progress is not None:
            progress.finish()
    with owner, machine:
        for warning in machine.warnings:
            _warn(warning)
        _report_failures(machine.registry)
        if any(m.option.transport == "stdio" for m in monitors):
            # Standard output carries QMP; QEMU's notices come before the greeting.
            sys.stdout.write("".join(f"{notice}\n" for notice in machine.notices))
        elif opts.json:
            print_json(machine.query())
        else:
            # Notices are plain lines on standard output, as QEMU prints them.
            sys.stdout.write("".join(f"{notice}\n" for notice in machine.notices))
            sys.stdout.write(summary(machine))
        sys.stdout.flush()
        if monitors:
            _serve_qmp(machine, monitors)
        elif opts.hold:
            _hold(machine)
    return 0


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


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError):  # closed, or a descriptor that went away
        return False


def _hold(machine: Any) -> None:
    lines = [f"holding {machine.board.name} (pid {os.getpid()}); interrupt to release"]
    for backend_id, path in machine.sharing_hints():
        lines.append(f"  {backend_id}: {printable(path)}")
    try:
        # A reader may signal as soon as it has read the lines: that is a release too.
        _write_stderr("\n".join(lines) + "\n")
        while True:
            _signal.pause()
    except Interrupted as exc:
        # The signal that ends a hold is its normal end; another one ends the command.
        _RECEIVED[-1].consume(exc.signum)
        return


# -- plugins -----------------------------------------------------------------------------------


def cmd_plugins(args: list[str]) -> int:
    from .report import print_json, print_plugins

    opts = _parse("plugins", args)
    index = _index()
    data: dict[str, list[dict[str, Any]]] = {
        "plugins": [
            {key: p[key] for key in ("name", "distribution", "version", "hooks", "boards")}
            for p in index.plugins
        ],
        "failed": [dict(f) for f in index.failures],
    }
    if opts.json:
        print_json(data)
        return 0
    print_plugins(data)
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
    """The message, then QEMU's hint lines and a suggestion (if any) in parentheses, all on
    one line."""
    text = str(exc)
    hint = with_hint(exc.hint, exc.suggestion)
    if hint:
        joined = ""
        for line in (part.strip() for part in hint.splitlines()):
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
    _write_stderr(f"{PROG}: {text}\n")


def _write_stderr(text: str) -> None:
    """Write to standard error; when that fails too, nothing is left to tell."""
    if sys.stderr is None:
        return
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


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
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, stream.fileno())
        finally:
            os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def _reserve_standard_fds() -> None:
    """Open /dev/null on a standard descriptor that is closed (``>&-``), so that no file or
    memory the command opens takes its number and receives what is meant for it."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:  # pragma: no cover - the lowest free number is the closed one
                    os.dup2(null, fd)
                    os.close(null)
            except OSError:
                pass


def _signal_name(signum: int) -> str:
    """The name :class:`signal.Signals` gives ``signum`` (of several, the first in
    alphabetical order), found without importing :mod:`signal`: a signal can arrive while a
    module it imports (enum) is half imported."""
    names = sorted(
        name
        for name in dir(_signal)
        if name.startswith("SIG") and not name.startswith("SIG_") and name.isupper()
    )
    for name in names:
        if getattr(_signal, name) == signum:
            return name
    return f"SIGRTMIN+{signum - _signal.SIGRTMIN}"


def _signal_line(signum: int) -> str:
    if signum == _signal.SIGINT:
        return "interrupted"
    if signum in (_signal.SIGTERM, _signal.SIGHUP):
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
        if signum in self.signums:
            self.signums.remove(signum)
        self.raising = False


#: The signals received by each :func:`main` running (innermost last).
_RECEIVED: list[_Received] = []


def _handled_signals() -> list[int]:
    """The signals that end the command: those that end a process by default, except
    SIGPIPE and SIGXFSZ, which Python ignores so that the write that fails reports them."""
    from .signals import TERMINATING

    return sorted(TERMINATING - {_signal.SIGPIPE, _signal.SIGXFSZ})


class _signals_as_exceptions:
    """Each signal that ends a process becomes :class:`Interrupted`, so every owner releases
    what it holds (a terminal that closes under ``--hold`` or a preallocation is a release
    too). The first one is the one the command ends with; later ones are only recorded.
    Use it as ``with _signals_as_exceptions(received):``."""

    def __init__(self, received: _Received, final_block: bool = False):
        self.received = received
        self.final_block = final_block
        self.handled = _handled_signals()
        self.previous: dict[int, Any] = {}
        self.previous_hook = sys.unraisablehook

    def __enter__(self) -> None:
        received = self.received

        def handler(signum: int, frame: FrameType | None) -> None:
            if received.take(signum):
                raise Interrupted(signum)

        _RECEIVED.append(received)
        try:
            for signum in self.handled:
                self.previous[signum] = _signal.signal(signum, handler)
            sys.unraisablehook = self._unraisable
        except BaseException:
            self._restore()
            raise

    def _unraisable(self, hook: Any) -> None:
        # An Interrupted raised inside a finalizer cannot leave it: its signal is recorded,
        # and main ends the command with it.
        if not isinstance(hook.exc_value, Interrupted):
            self.previous_hook(hook)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._restore()

    def _restore(self) -> None:
        received, handled = self.received, self.handled
        received.closed = True
        mask = _signal.pthread_sigmask(_signal.SIG_BLOCK, handled)
        sys.unraisablehook = self.previous_hook
        for signum, old in self.previous.items():
            _signal.signal(signum, old)
        _RECEIVED.pop()
        if not self.final_block:
            _signal.pthread_sigmask(_signal.SIG_SETMASK, mask)
        else:
            # A signal that came after the last check is told too; from now on, the status
            # is decided and a signal waits for the exit.
            pending = _signal.sigpending() & set(handled)
            if pending:
                received.take(min(pending))


if __name__ == "__main__":
    raise SystemExit(main())
