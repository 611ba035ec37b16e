"""The ``machinectl`` command: list-boards, describe, run, plugins.

Each command parses its own flags with :mod:`argparse` (imported when a command runs), except
that ``run`` first sorts QEMU's single-dash options out with :mod:`machinectl.cmdline`. What
the commands print is written by :mod:`machinectl.report`. Every command reads its board data
from the board index (:func:`_index`, see :mod:`machinectl.index`) and imports no plugin;
``run`` then loads only the plugins its machine type needs.

Every error is one line on stderr, ``machinectl: <message>``, with exit status 1 (2 for a
mistake in the command line of ``machinectl`` itself); never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from .errors import MachineError, PluginError, UsageError, did_you_mean, with_hint
from .units import human

# Not typing.TYPE_CHECKING: importing typing costs more than a warm list-boards does.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from types import FrameType
    from typing import Any, NoReturn

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
-numa node,..., -smp N, -mem-path PATH, -mem-prealloc. QEMU's other options are ignored,
with a warning that lists them. Help as in QEMU: -M help, -M TYPE,help, -object help,
-object TYPE,help.
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
    from .options import CommandLine

    name = CommandLine.from_argv(ram).machine.get("type")
    if name is None:
        return None
    index = _index()
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


def _parse(command: str, args: list[str], **kwargs: Any) -> argparse.Namespace:
    """``command``'s own arguments; a mistake is a one-line usage error, ``--help`` exits."""
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
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **kwargs,
    )
    for argument in arguments:
        group = parser.add_mutually_exclusive_group() if isinstance(argument, list) else parser
        for name, options in argument if isinstance(argument, list) else [argument]:
            group.add_argument(name, **options)
    opts = parser.parse_args(args)
    if getattr(opts, "target", None) == "":
        raise UsageError(f"{command}: --target needs a value")
    if hasattr(opts, "target"):
        opts.target = opts.target or os.environ.get("MACHINECTL_TARGET") or None
    return opts


# -- list-boards -----------------------------------------------------------------------------


def cmd_list_boards(args: list[str]) -> int:
    from .report import print_boards, print_json

    opts = _parse("list-boards", args)
    index = _index()
    _check_choice("target", opts.target, index.targets())
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
                "plugin": board.plugin,
                "distribution": board.distribution,
            }
        )
    _report_failures(index)
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
    registry = _registry_for(ram, opts.target)
    ignored = [*split.ignored, *more]
    if ignored and not opts.quiet:
        _error(f"warning: ignored, not about RAM: {'; '.join(ignored)}")
    show_bar = opts.progress or (not opts.quiet and sys.stderr.isatty())
    progress = ProgressBar(sys.stderr) if show_bar else None
    try:
        machine = Machine.from_argv(
            ram,
            target=opts.target,
            registry=registry,
            allocate=not opts.dry_run,
            progress=progress,
        )
    finally:
        if progress is not None:
            progress.finish()
    with machine:
        for warning in machine.warnings:
            _error(warning if ": warning: " in warning else f"warning: {warning}")
        _report_failures(machine.registry)
        if opts.json:
            print_json(machine.query())
        else:
            # Notices are plain lines on standard output, as QEMU prints them.
            sys.stdout.write("".join(f"{notice}\n" for notice in machine.notices))
            sys.stdout.write(summary(machine))
        sys.stdout.flush()
        if opts.hold:
            _hold(machine)
    return 0


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
