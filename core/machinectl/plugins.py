"""Plugin loading and the typed facade over the board hooks.

There is no global plugin manager: :func:`create_registry` builds a fresh one, so a program can
hold two differently configured registries and tests never share state. Nothing outside this
module calls ``pm.hook.*``.

Entry points of the group ``machinectl`` are loaded one at a time. A plugin that fails to
import, has no hook at all (an entry point naming ``None`` or a number), declares unknown
hooks, returns bad board declarations or repeats a board name is reported (with its
distribution and version, on one line) and skipped as a whole; the others keep working.
``MACHINECTL_PLUGINS`` restricts which external plugins load (comma-separated entry-point or
distribution names; empty means none). ``strict=True`` (or ``MACHINECTL_STRICT=1``) turns those
reports into errors, for CI. ``MACHINECTL_ENTRY_POINT_GROUP`` names another entry-point group
to load instead of ``machinectl`` (an isolated set of plugins, for tests).

Hooks are called one implementation at a time, in pluggy's order, so that an exception or a
result of the wrong type is reported with the plugin that raised or returned it, whichever
board was being built.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import types
from collections.abc import Iterable, Mapping, Sequence

from . import _record, hooks
from .boards import EVERY_TARGET, Board, BoardSpec, BoardTable, RuleResultError
from .errors import MachineError, PluginError
from .index import choose

# Not typing.TYPE_CHECKING, and pluggy only when a plugin needs it (see Registry).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import importlib.metadata
    from typing import Any

    import attrs
    import pluggy

    from .memdev import DeviceMemory
    from .state import MachineState
else:
    attrs = _record

ENTRY_POINT_GROUP = "machinectl"
BUILTIN = "builtin"
CORE_DISTRIBUTION = "machinectl"
ENV_ONLY = "MACHINECTL_PLUGINS"
ENV_STRICT = "MACHINECTL_STRICT"
ENV_GROUP = "MACHINECTL_ENTRY_POINT_GROUP"
ENV_TARGET = "MACHINECTL_TARGET"


@attrs.frozen
class PluginInfo:
    """A loaded plugin, as ``machinectl plugins`` shows it."""

    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]
    boards: tuple[str, ...]


@attrs.frozen
class PluginFailure:
    """A plugin that was skipped, and why."""

    name: str
    distribution: str | None
    version: str | None
    error: str

    def __str__(self) -> str:
        who = self.name
        if self.distribution:
            who += f" ({self.distribution} {self.version or '?'})"
        return f"plugin {who} skipped: {self.error}"


@attrs.frozen
class _Source:
    name: str
    distribution: str | None
    version: str | None
    #: ``module:attribute`` of the entry point the plugin was loaded from.
    entry_point: str | None = None


class Registry:
    """One plugin manager and the boards its plugins declared."""

    def __init__(self, *, strict: bool = False) -> None:
        #: pluggy's manager, made when the first plugin that needs it is added (see
        #: :meth:`_manager`); until then the core's own plugin and plain BoardTables, whose
        #: implementations need no validation, are kept in ``_light``.
        self._pm: pluggy.PluginManager | None = None
        #: hook name -> implementations, in pluggy's order (see :func:`_insert`).
        self._light: dict[str, list[_Impl]] = {}
        #: name -> plugin, in registration order, while there is no pluggy manager.
        self._light_plugins: dict[str, object] = {}
        self._strict = strict
        self._boards: list[Board] = []
        #: Each name and alias, with the boards that answer to it (one per target at most).
        self._names: dict[str, list[Board]] = {}
        self._sources: dict[str, _Source] = {}
        #: Plugins that are plain :class:`BoardTable` objects: they answer only for their own
        #: boards, so no hook of theirs is called for another plugin's board.
        self._tables: set[str] = set()
        self.failures: list[PluginFailure] = []
        #: Source files of plugins that failed to import (the board index watches them: a
        #: fix to one of them must be seen, though no module of the plugin got loaded).
        self._failed_files: set[str] = set()
        #: Entry points (``module:attribute``) that failed to import, with the error: the board
        #: index tries them again, since what fixes an import may lie anywhere.
        self._failed_imports: dict[str, str] = {}
        #: Every entry point (``module:attribute``) loaded or tried, whether it failed or not.
        self._entry_points: set[str] = set()
        #: (hook, board's plugin) -> the implementations to call, in call order, or None when
        #: a wrapper needs pluggy's own loop. Worked out once: building a machine calls
        #: several hooks, and a program may build thousands of machines.
        self._plans: dict[tuple[str, str], Any] = {}
        #: :meth:`targets`, with the number of boards it was worked out from (boards are only
        #: ever added).
        self._targets: tuple[int, list[str]] | None = None

    # -- registration --------------------------------------------------------------------------

    def add(
        self,
        plugin: object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
        entry_point: str | None = None,
    ) -> bool:
        """Register ``plugin`` and its boards, all or nothing; False when it was skipped.

        ``entry_point`` (``module:attribute``) says where the plugin can be loaded from
        again: the board index loads only the plugins a command needs.
        """
        source = _Source(name, distribution, version, entry_point)
        if entry_point is not None:
            self._entry_points.add(entry_point)
        self._plans.clear()
        if name in self._sources or self._get_plugin(name) is not None:
            error = PluginError(f"a plugin named '{name}' is already registered")
            return self._fail(source, _describe(error))
        if not _needs_no_validation(plugin):
            self._manager()
        try:
            if not self._hooks_of(plugin, name):
                raise PluginError(
                    f"{_what(plugin)} is not a plugin: it has no function marked @hookimpl"
                )
            if self._pm is None:
                self._light_plugins[name] = plugin
                for hook_name, impl in _light_impls(plugin, name):
                    _insert(self._light.setdefault(hook_name, []), impl)
            else:
                self._pm.register(plugin, name=name)
                self._pm.check_pending()
            specs = self._declared_boards(plugin, name)
            boards = self._add_boards(specs, source)
        except PLUGIN_BUGS as exc:
            # pluggy registers hook by hook: one that fails validation leaves the earlier ones.
            self._remove(plugin, name)
            self._plans.clear()
            return self._fail(source, _describe(exc))
        self._plans.clear()
        self._sources[name] = source
        if type(plugin) is BoardTable:
            self._tables.add(name)
        for board in boards:
            self._boards.append(board)
            for key in _keys(board.spec):
                self._names.setdefault(key, []).append(board)
        return True

    def _manager(self) -> pluggy.PluginManager:
        """pluggy's manager, made on first use with every plugin added so far, in order."""
        if self._pm is None:
            import pluggy  # only for a plugin that needs validation

            pm = pluggy.PluginManager(hooks.PROJECT)
            pm.add_hookspecs(hooks)
            for name, plugin in self._light_plugins.items():
                pm.register(plugin, name=name)
            self._pm = pm
            self._light = {}
            self._light_plugins = {}
            self._plans.clear()
        return self._pm

    def _hooks_of(self, plugin: object, name: str) -> list[str]:
        """The names of the hooks ``plugin`` implements (one implemented twice: twice)."""
        if self._pm is None:
            return [hook for hook, _ in _light_impls(plugin, name)]
        return _hook_names(self._pm, plugin)

    def _get_plugin(self, name: str) -> object | None:
        if self._pm is None:
            return self._light_plugins.get(name)
        return self._pm.get_plugin(name)

    def _remove(self, plugin: object, name: str) -> None:
        """Take back what a plugin that failed registered."""
        if self._pm is not None:
            if self._pm.get_plugin(name) is plugin:
                self._pm.unregister(plugin, name=name)
            return
        if self._light_plugins.get(name) is plugin:
            del self._light_plugins[name]
            for impls in self._light.values():
                impls[:] = [impl for impl in impls if impl.plugin_name != name]

    def _impls(self, hook_name: str) -> list[Any]:
        """The implementations of ``hook_name``, in pluggy's order (last called first)."""
        if self._pm is None:
            return list(self._light.get(hook_name, ()))
        return getattr(self._pm.hook, hook_name).get_hookimpls()  # type: ignore[no-any-return]

    def _declared_boards(self, plugin: object, name: str) -> list[BoardSpec]:
        impl = next((i for i in self._impls("register_boards") if i.plugin is plugin), None)
        if impl is None:
            return []
        result = impl.function()
        if result is None:
            return []
        # A mapping is iterable too, but its keys are no declarations.
        if isinstance(result, (str, bytes, Mapping)) or not isinstance(result, Iterable):
            raise PluginError(
                f"register_boards returned {type(result).__name__} {_short_repr(result)}, "
                "expected a list of BoardSpec"
            )
        specs = list(result)
        for position, spec in enumerate(specs):
            if not isinstance(spec, BoardSpec):
                raise PluginError(
                    f"register_boards returned {type(spec).__name__}, expected BoardSpec: "
                    f"item {position} of its list is {_short_repr(spec)}"
                )
        return specs

    def _add_boards(self, specs: Sequence[BoardSpec], source: _Source) -> list[Board]:
        boards: list[Board] = []
        for spec in specs:
            board = Board(spec, source.name, source.distribution, source.version)
            for key in _keys(spec):
                for other in self._names.get(key, ()):
                    shared = _shared_target(board, other)
                    if shared is not None:
                        raise PluginError(
                            f"machine type '{key}' is declared {_for_target(shared)}by both "
                            f"{_who(other)} and {_who_source(source)}"
                        )
                for other in boards:
                    if other.answers_to(key) and _shared_target(board, other) is not None:
                        raise PluginError(f"machine type '{key}' is declared twice")
            boards.append(board)
        return boards

    def _failed_import(self, source: _Source, exc: BaseException) -> None:
        """Report a plugin whose entry point could not be loaded, and keep what the board
        index needs to notice when it can."""
        error = _describe(exc)
        self._failed_files.update(_files_of(exc))
        if source.entry_point is not None:
            self._entry_points.add(source.entry_point)
            self._failed_imports[source.entry_point] = error
        self._fail(source, error)

    def _fail(self, source: _Source, error: str) -> bool:
        failure = PluginFailure(source.name, source.distribution, source.version, error)
        if self._strict:
            raise PluginError(str(failure))
        self.failures.append(failure)
        return False

    @property
    def strict(self) -> bool:
        """Whether a plugin failure is an error (``MACHINECTL_STRICT``) rather than a report."""
        return self._strict

    # -- the typed facade --------------------------------------------------------------------

    @property
    def boards(self) -> tuple[Board, ...]:
        """Every registered board, in the order the plugins declared them.

        Names are unique per target, not globally: two boards may share a name.
        """
        return tuple(self._boards)

    def targets(self) -> list[str]:
        """Every QEMU target some board belongs to, sorted (``*`` is not a target)."""
        if self._targets is None or self._targets[0] != len(self._boards):
            found = {t for board in self._boards for t in board.targets}
            self._targets = (len(self._boards), sorted(found - {EVERY_TARGET, ""}))
        return list(self._targets[1])

    def boards_for(self, target: str | None = None) -> list[Board]:
        """The boards of ``target`` (all boards when None), in registration order."""
        if target is None:
            return list(self._boards)
        return [board for board in self._boards if board.belongs_to(target)]

    def candidates(self, name: str) -> list[Board]:
        """Every board that ``-M name`` could mean, whatever its target."""
        return list(self._names.get(name, ()))

    def entry_point_of(self, plugin: str) -> str | None:
        """The ``module:attribute`` a plugin was loaded from (None: registered by hand)."""
        source = self._sources.get(plugin)
        return None if source is None else source.entry_point

    def plugin_records(self) -> list[dict[str, Any]]:
        """Each loaded plugin as plain data, with what loading it again needs.

        ``board_only`` is true for a plugin that is a plain :class:`~machinectl.BoardTable`:
        it answers only for its own boards, so a machine of another plugin never needs it.
        """
        records = []
        for info in self.plugins():
            records.append(
                {
                    "name": info.name,
                    "distribution": info.distribution,
                    "version": info.version,
                    "hooks": list(info.hooks),
                    "boards": list(info.boards),
                    "entry_point": self.entry_point_of(info.name),
                    "board_only": info.name in self._tables,
                }
            )
        return records

    def board(self, name: str, target: str | None = None) -> Board:
        """The board that ``-M name`` selects (by name or alias).

        With ``target``, the board of that target; without, the one board that answers to the
        name, and an error listing the candidates when several targets have one.
        ``MACHINECTL_TARGET`` in the environment gives the target when ``target`` is None.
        """
        board: Board = choose(
            self.candidates(name),
            name,
            target,
            lambda target: {key for b in self.boards_for(target) for key in _keys(b.spec)},
            self.targets,
        )
        return board

    def default_ram_size(self, board: Board) -> int:
        """Main RAM of ``board`` without ``-m``, in bytes (the first plugin that answers)."""
        value, who = self._first(board, "default_ram_size", board=board)
        if not _is_size(value):
            raise self._bad_result(board, "default_ram_size", value, "a size in bytes", who)
        return int(value)

    def default_ram_id(self, board: Board) -> str | None:
        """The id of ``board``'s automatic main-RAM backend (None: the board has none)."""
        value, who = self._first(board, "default_ram_id", board=board)
        if value is not None and (not isinstance(value, str) or not value):
            raise self._bad_result(board, "default_ram_id", value, "a non-empty string", who)
        return value

    def fixup_ram_size(self, machine: MachineState, size: int) -> int:
        """The RAM size the board turns ``size`` into (``size`` when no plugin changes it)."""
        value, who = self._first(machine.board, "fixup_ram_size", machine=machine, size=size)
        if value is None:
            return size
        if not _is_size(value):
            raise self._bad_result(machine.board, "fixup_ram_size", value, "a size in bytes", who)
        return int(value)

    def validate_ram(self, machine: MachineState) -> None:
        """Run every ``validate_ram``: the board's own plugin first, then the others.

        The plugin that provides the selected board checks first, so a size QEMU refuses
        always gets QEMU's message. Then every other implementation runs (site policies), in
        pluggy's tiers: ``tryfirst``, plain, ``trylast``. The first tier with a refusal decides;
        when several plugins of that tier refuse, the refusal whose message sorts first is
        reported, so the outcome never depends on entry-point or distribution names.
        """
        board = machine.board
        groups = self._validate_groups(board.plugin)
        if groups is None:
            for value, who in self._all(board, "validate_ram", machine=machine):
                raise self._bad_validate_result(board, value, who)
            return
        for group in groups:
            self._validate_group(board, group, machine)

    def _validate_groups(self, board_plugin: str) -> list[list[Any]] | None:
        """The ``validate_ram`` implementations for a board of ``board_plugin``, in the groups
        :meth:`validate_ram` runs them in; None when one is a wrapper."""
        key = ("validate_ram/groups", board_plugin)
        if key in self._plans:
            cached: list[list[Any]] | None = self._plans[key]
            return cached
        impls = self._impls("validate_ram")
        groups: list[list[Any]] | None = None
        if not any(impl.wrapper or impl.hookwrapper for impl in impls):
            groups = [[impl] for impl in impls if impl.plugin_name == board_plugin]
            tiers: list[list[Any]] = [[], [], []]
            for impl in impls:
                if impl.plugin_name != board_plugin and impl.plugin_name not in self._tables:
                    tiers[0 if impl.tryfirst else 2 if impl.trylast else 1].append(impl)
            groups += [tier for tier in tiers if tier]
        self._plans[key] = groups
        return groups

    def _validate_group(self, board: Board, impls: list[Any], machine: MachineState) -> None:
        refusals: list[MachineError] = []
        for impl in impls:
            try:
                value = self._call(board, "validate_ram", impl, {"machine": machine})
            except MachineError as exc:
                refusals.append(exc)
                continue
            if value is not None:
                # A returned error instead of a raised one would let the machine through.
                who = self._who_impl(impl.plugin_name)
                raise self._bad_validate_result(board, value, who)
        if refusals:
            raise min(refusals, key=str)

    def _bad_validate_result(self, board: Board, value: object, who: str | None) -> PluginError:
        return self._bad_result(
            board, "validate_ram", value, "None (raise MachineError to refuse)", who
        )

    def init_board(self, machine: MachineState) -> None:
        """Let the board's plugin map main RAM and its windows into ``machine``."""
        value, who = self._first(machine.board, "init_board", machine=machine)
        if value is not None and not isinstance(value, bool):
            raise self._bad_result(machine.board, "init_board", value, "True or None", who)

    def memory_devices(self, machine: MachineState) -> DeviceMemory | None:
        """The board's device-memory declaration (None: no memory hotplug handler)."""
        from .memdev import DeviceMemory

        value, who = self._first(machine.board, "memory_devices", machine=machine)
        if value is not None and not isinstance(value, DeviceMemory):
            raise self._bad_result(
                machine.board, "memory_devices", value, "a DeviceMemory or None", who
            )
        return value

    def describe_board(self, board: Board) -> list[str]:
        """``board``'s rules and layout in words, every plugin's lines (``describe``)."""
        lines: list[str] = []
        for result, who in reversed(self._all(board, "describe_board", board=board)):
            if isinstance(result, (str, bytes)) or not isinstance(result, Iterable):
                raise self._bad_result(board, "describe_board", result, "a list of lines", who)
            lines.extend(str(line) for line in result)
        return lines

    def _first(self, board: Board, hook_name: str, /, **kwargs: Any) -> tuple[Any, str | None]:
        """A first-result hook: the answer and who gave it (None: no plugin answered)."""
        results = self._results(board, hook_name, kwargs, first=True)
        return results[0] if results else (None, None)

    def _all(self, board: Board, hook_name: str, /, **kwargs: Any) -> list[tuple[Any, str]]:
        """Every non-None result, in pluggy's call order, each with who gave it."""
        return self._results(board, hook_name, kwargs, first=False)

    def _results(
        self, board: Board, hook_name: str, kwargs: dict[str, Any], *, first: bool
    ) -> list[tuple[Any, str]]:
        """Call the implementations one by one, as pluggy does, to know who answered or failed.

        A plugin's exception (other than :class:`MachineError`, which is a refusal) becomes a
        :class:`PluginError` that names that plugin, whichever board is being built.
        """
        plan = self._plan(hook_name, board.plugin)
        if plan is None:
            # Wrappers need pluggy's own loop; an error is then blamed on the board's plugin.
            try:
                outcome = getattr(self._manager().hook, hook_name)(**kwargs)
            except MachineError:
                raise
            except PLUGIN_BUGS as exc:
                raise self._failed(board, hook_name, _who(board), exc) from exc
            answers = [outcome] if first else list(outcome)
            return [(a, _who(board)) for a in answers if a is not None]
        results = []
        for impl in plan:
            value = self._call(board, hook_name, impl, kwargs)
            if value is not None:
                results.append((value, self._who_impl(impl.plugin_name)))
                if first:
                    break
        return results

    def _plan(self, hook_name: str, board_plugin: str) -> list[Any] | None:
        """The implementations of ``hook_name`` to call for a board of ``board_plugin``, in
        pluggy's call order; None when one is a wrapper."""
        key = (hook_name, board_plugin)
        if key in self._plans:
            cached: list[Any] | None = self._plans[key]
            return cached
        impls = self._impls(hook_name)
        plan: list[Any] | None = None
        if not any(impl.wrapper or impl.hookwrapper for impl in impls):
            # A plain BoardTable answers only for its own boards.
            plan = [
                impl
                for impl in reversed(impls)
                if impl.plugin_name == board_plugin or impl.plugin_name not in self._tables
            ]
        self._plans[key] = plan
        return plan

    def _call(self, board: Board, hook_name: str, impl: Any, kwargs: dict[str, Any]) -> Any:
        """One implementation; a plugin's bug (not a refusal) becomes a PluginError."""
        try:
            return impl.function(*(kwargs[arg] for arg in impl.argnames))
        except MachineError:
            raise
        except PLUGIN_BUGS as exc:
            who = self._who_impl(impl.plugin_name)
            raise self._failed(board, hook_name, who, exc) from exc

    def _who_impl(self, plugin_name: str) -> str:
        source = self._sources.get(plugin_name)
        return _who_source(source) if source is not None else plugin_name

    def _failed(self, board: Board, hook_name: str, who: str, exc: BaseException) -> PluginError:
        if isinstance(exc, RuleResultError):
            return self._bad_result(board, exc.what, exc.value, "a MachineError or None", who)
        return PluginError(
            f"plugin {who} failed in {hook_name} for '{board.name}': {_describe(exc)}"
        )

    def _bad_result(
        self, board: Board, hook_name: str, value: object, want: str, who: str | None
    ) -> PluginError:
        return PluginError(
            f"{hook_name} for '{board.name}' returned {_short_repr(value)}, expected {want} "
            f"(answered by plugin {who or _who(board)})"
        )

    def plugins(self) -> list[PluginInfo]:
        """Every registered plugin, in registration order, with its hooks and boards."""
        infos = []
        for name, source in self._sources.items():
            plugin = self._get_plugin(name)
            infos.append(
                PluginInfo(
                    name=name,
                    distribution=source.distribution,
                    version=source.version,
                    # A plugin may implement a hook twice (a fallback too): listed once.
                    hooks=tuple(sorted(set(self._hooks_of(plugin, name)))),
                    boards=tuple(b.name for b in self._boards if b.plugin == name),
                )
            )
        return infos


def _keys(spec: BoardSpec) -> tuple[str, ...]:
    """The names that select a board: its name, and its alias if it has one."""
    return (spec.name,) if spec.alias is None else (spec.name, spec.alias)


def _shared_target(board: Board, other: Board) -> str | None:
    """A target both boards belong to (None: they never meet).

    A board of every target meets every board; so does a board that names neither targets
    nor a family (``""``): it has no target to tell it apart.
    """
    wildcards = (EVERY_TARGET, "")
    if any(t in wildcards for t in board.targets):
        return other.targets[0]
    if any(t in wildcards for t in other.targets):
        return board.targets[0]
    return next((t for t in board.targets if t in other.targets), None)


def _for_target(target: str) -> str:
    return f"for target '{target}' " if target not in (EVERY_TARGET, "") else ""


def _who(board: Board) -> str:
    return _who_source(_Source(board.plugin, board.distribution, board.version))


def _who_source(source: _Source) -> str:
    if not source.distribution:
        return source.name
    return f"{source.name} ({source.distribution} {source.version or '?'})"


#: What a plugin's own code may raise that is its bug, not a refusal (a plugin calling
#: ``sys.exit()`` must not end the program).
PLUGIN_BUGS = (Exception, SystemExit)


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 64


def _short_repr(value: object) -> str:
    try:
        text = repr(value)
    except PLUGIN_BUGS:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def _describe(exc: BaseException) -> str:
    """An exception as one line: its type (unless it is a refusal) and its text, the lines of
    a text of several joined with ``; `` (pluggy gives the reason below a heading)."""
    try:
        message = str(exc)
    except PLUGIN_BUGS:  # a plugin's exception whose text itself fails
        message = ""
    text = "; ".join(line.strip() for line in message.splitlines() if line.strip())
    if isinstance(exc, MachineError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _what(plugin: object) -> str:
    """A plugin object as a failure names it: ``module 'name'``, or its value and type."""
    if isinstance(plugin, types.ModuleType):
        return f"module '{plugin.__name__}'"
    return f"{_short_repr(plugin)} ({type(plugin).__name__})"


class _Impl:
    """A hook implementation of a plugin that needs no validation, with the attributes of
    pluggy's ``HookImpl`` that the registry reads."""

    __slots__ = ("argnames", "function", "plugin", "plugin_name", "tryfirst", "trylast")

    hookwrapper = False
    wrapper = False

    def __init__(self, plugin: object, plugin_name: str, function: Any, opts: dict[str, Any]):
        self.plugin = plugin
        self.plugin_name = plugin_name
        self.function = function
        self.tryfirst = bool(opts.get("tryfirst"))
        self.trylast = bool(opts.get("trylast"))
        code = getattr(function, "__func__", function).__code__
        names = code.co_varnames[: code.co_argcount]
        defaults = getattr(function, "__defaults__", None)
        if defaults:
            names = names[: -len(defaults)]
        if isinstance(function, types.MethodType):
            names = names[1:]
        self.argnames: tuple[str, ...] = names


def _needs_no_validation(plugin: object) -> bool:
    """Whether ``plugin`` is the core's own module or a plain :class:`BoardTable`: their
    implementations are known to match the specifications and none is a wrapper."""
    if plugin is sys.modules.get(f"{__package__}.builtin"):
        return True
    # A table given a hook of its own (an attribute of the instance) is checked as any plugin.
    return type(plugin) is BoardTable and not any(
        hasattr(value, hooks.PROJECT + "_impl") for value in vars(plugin).values()
    )


def _light_impls(plugin: object, name: str) -> list[tuple[str, _Impl]]:
    """The implementations of a plugin that needs no validation, as pluggy finds them (its
    attributes in ``dir`` order, a marked function's ``specname`` naming its hook)."""
    found = []
    for attr in dir(plugin):
        if attr.startswith("__"):
            continue
        member = getattr(plugin, attr, None)
        opts = getattr(member, hooks.PROJECT + "_impl", None)
        if isinstance(opts, dict) and isinstance(member, (types.FunctionType, types.MethodType)):
            found.append((opts.get("specname") or attr, _Impl(plugin, name, member, opts)))
    return found


def _insert(impls: list[_Impl], impl: _Impl) -> None:
    """Add ``impl`` where pluggy adds an implementation that is not a wrapper: ``trylast``
    ones first, ``tryfirst`` ones last, the others after the last of those that are not
    ``tryfirst`` (pluggy calls the list from its end)."""
    if impl.trylast:
        impls.insert(0, impl)
    elif impl.tryfirst:
        impls.append(impl)
    else:
        index = len(impls) - 1
        while index >= 0 and impls[index].tryfirst:
            index -= 1
        impls.insert(index + 1, impl)


def _hook_names(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    names = []
    for attr in dir(plugin):
        if attr.startswith("_"):
            continue
        try:
            member = getattr(plugin, attr)
        except Exception:
            continue
        opts = pm.parse_hookimpl_opts(plugin, attr)
        if opts is not None and callable(member):
            names.append(opts.get("specname") or attr)
    return names


def _only_from_env() -> frozenset[str] | None:
    value = os.environ.get(ENV_ONLY)
    if value is None:
        return None
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def create_registry(
    *,
    load_entrypoints: bool = True,
    group: str | None = None,
    plugins: Iterable[tuple[str, object]] = (),
    only: Iterable[str] | None = None,
    strict: bool | None = None,
) -> Registry:
    """Build a registry: the core's built-ins, then entry points, then ``plugins``.

    :param load_entrypoints: load the external plugins of the entry-point group.
    :param group: the entry-point group; default from ``MACHINECTL_ENTRY_POINT_GROUP``, else
        ``machinectl`` (another group gives an isolated set of plugins, for tests).
    :param plugins: extra ``(name, plugin)`` pairs to register (for programs and tests).
    :param only: restrict external plugins to these entry-point or distribution names; default
        from ``MACHINECTL_PLUGINS`` (unset: all).
    :param strict: make any plugin failure an error; default from ``MACHINECTL_STRICT``.
    """
    if strict is None:
        strict = strict_from_env()
    if group is None:
        group = os.environ.get(ENV_GROUP) or ENTRY_POINT_GROUP
    import importlib.metadata

    registry = Registry(strict=strict)
    found = (
        sorted(importlib.metadata.entry_points(group=group), key=lambda e: e.name)
        if load_entrypoints
        else []
    )
    core = next((ep for ep in found if _is_builtin(ep)), None)
    core_version = _name_and_version(core.dist)[1] if core is not None else _core_version()
    from . import builtin

    registry.add(builtin, BUILTIN, distribution=CORE_DISTRIBUTION, version=core_version)
    allowed = frozenset(only) if only is not None else _only_from_env()
    for ep in found:
        if ep is core or (allowed is not None and not allowed):
            continue
        # A distribution's metadata is read only for plugins that are candidates.
        dist_name, version = _name_and_version(ep.dist)
        if allowed is not None and ep.name not in allowed and dist_name not in allowed:
            continue
        try:
            plugin = _instantiate(ep.load())
        except PLUGIN_BUGS as exc:
            registry._failed_import(_Source(ep.name, dist_name, version, ep.value), exc)
            continue
        registry.add(plugin, ep.name, distribution=dist_name, version=version, entry_point=ep.value)
    if allowed:
        # A name that selects nothing is a mistake worth one line (a typo loads no plugin).
        unknown = allowed - {ep.name for ep in found}
        if unknown:
            unknown -= {_name_and_version(ep.dist)[0] for ep in found}
        for name in sorted(unknown):
            registry._fail(
                _Source(name, None, None),
                f"no installed plugin or distribution has this name ({ENV_ONLY} names it)",
            )
    for name, plugin in plugins:
        registry.add(plugin, name)
    return registry


#: The values of ``MACHINECTL_STRICT`` (any case): on, and off. An empty value is off.
_TRUE = ("1", "yes", "on", "true")
_FALSE = ("", "0", "no", "off", "false")


def strict_from_env() -> bool:
    """``MACHINECTL_STRICT`` as a switch: ``1``/``yes``/``on``/``true`` or ``0``/``no``/
    ``off``/``false`` (empty or unset: off); any other value is an error."""
    value = os.environ.get(ENV_STRICT, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise MachineError(
        f"{ENV_STRICT}={os.environ.get(ENV_STRICT)!r}: expected one of "
        + ", ".join(v for v in (*_TRUE, *_FALSE) if v)
    )


_default_lock = threading.Lock()
#: The default registry, the environment it was built for and when that was last checked.
_default: tuple[object, Registry] | None = None
_default_checked = 0.0
#: How often, at most, the directories on ``sys.path`` are looked at again (seconds).
RECHECK_INTERVAL = 1.0


def default_registry(*, refresh: bool = False) -> Registry:
    """The registry the library uses when a program passes none: built once per process.

    It is built again when the environment's plugins may have changed: at once when
    ``sys.path`` or one of the plugin environment variables (``MACHINECTL_PLUGINS``,
    ``MACHINECTL_ENTRY_POINT_GROUP``, ``MACHINECTL_STRICT``) changes, and within
    :data:`RECHECK_INTERVAL` seconds when a distribution is installed, upgraded or removed
    (the directories on ``sys.path`` are looked at no more often than that, so building a
    machine stays cheap); and when ``refresh`` is true. Programs that need isolation create
    their own registries with :func:`create_registry`; those never share anything with this
    one.
    """
    global _default, _default_checked  # noqa: PLW0603 - the one process-wide cache
    environ = os.environ
    cheap = (
        tuple(sys.path),
        environ.get(ENV_ONLY),
        environ.get(ENV_GROUP),
        environ.get(ENV_STRICT),
    )
    now = time.monotonic()
    current = _default
    if not refresh and current is not None and now - _default_checked < RECHECK_INTERVAL:
        # The common case, without the lock: the registry of a moment ago, same settings.
        key, registry = current
        if isinstance(key, tuple) and key[0] == cheap:
            return registry
    from .index import environment_state

    with _default_lock:
        key = (cheap, environment_state())
        _default_checked = now
        if refresh or _default is None or _default[0] != key:
            _default = (key, create_registry())
        return _default[1]


def reset_default_registry() -> None:
    """Forget the default registry; the next machine built without one loads the plugins."""
    global _default  # noqa: PLW0603
    with _default_lock:
        _default = None


def create_registry_from(
    entry_points: Iterable[tuple[str, str, str | None, str | None]],
    *,
    core_version: str | None = None,
    strict: bool | None = None,
) -> Registry:
    """A registry of the built-ins and the given plugins, loaded from ``module:attribute``.

    ``entry_points`` are ``(name, value, distribution, version)``, in registration order. No
    distribution metadata is read: this is how the board index loads only what a command
    needs.
    """
    if strict is None:
        strict = strict_from_env()
    registry = Registry(strict=strict)
    from . import builtin

    registry.add(builtin, BUILTIN, distribution=CORE_DISTRIBUTION, version=core_version)
    for name, value, distribution, version in entry_points:
        try:
            plugin = _instantiate(_load(value))
        except PLUGIN_BUGS as exc:
            registry._failed_import(_Source(name, distribution, version, value), exc)
            continue
        registry.add(plugin, name, distribution=distribution, version=version, entry_point=value)
    return registry


def _files_of(exc: BaseException) -> set[str]:
    """The source files an exception went through (and the file a SyntaxError is in), with
    those of the exceptions it chains to."""
    files: set[str] = set()
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, SyntaxError) and current.filename:
            files.add(current.filename)
        tb = current.__traceback__
        while tb is not None:
            files.add(tb.tb_frame.f_code.co_filename)
            tb = tb.tb_next
        current = current.__cause__ or current.__context__
    return {f for f in files if os.path.isabs(f) and os.path.exists(f)}


def import_error(value: str) -> str | None:
    """What loading the entry point ``value`` (``module:attribute``) fails with now, worded as
    a skipped plugin's reason; None when it loads."""
    try:
        _instantiate(_load(value))
    except PLUGIN_BUGS as exc:
        return _describe(exc)
    return None


def _load(value: str) -> object:
    """What an entry point's value names: ``module``, or ``module:attr.attr [extras]``."""
    import importlib

    module_name, _, attributes = value.split("[", 1)[0].strip().partition(":")
    target: object = importlib.import_module(module_name.strip())
    for attribute in filter(None, attributes.strip().split(".")):
        target = getattr(target, attribute)
    return target


def _is_builtin(ep: importlib.metadata.EntryPoint) -> bool:
    """The core's own entry point for its built-in plugin (registered first, by hand)."""
    return ep.name == BUILTIN and _name_and_version(ep.dist)[0] == CORE_DISTRIBUTION


def _name_and_version(
    dist: importlib.metadata.Distribution | None,
) -> tuple[str | None, str | None]:
    """A distribution's name and version, read from the head of its metadata.

    ``Distribution.name`` and ``.version`` parse the whole metadata file as an e-mail message
    each time; both fields are one-line headers at its top, so reading up to them suffices.
    Metadata that does not have them there is left to ``importlib.metadata`` to parse, and a
    header missing from it gives ``None`` (the metadata mapping itself warns, or raises, on one).
    """
    if dist is None:
        return None, None
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the end of the headers
        key, colon, value = line.partition(":")
        if colon and not line[0].isspace():
            fields.setdefault(key.strip().lower(), value.strip())
        if "name" in fields and "version" in fields:
            return fields["name"], fields["version"]
    metadata = dist.metadata
    if metadata is None:  # no metadata file at all (newer ``importlib.metadata`` say so)
        return None, None
    return _header(metadata, "Name"), _header(metadata, "Version")


def _header(metadata: importlib.metadata.PackageMetadata, name: str) -> str | None:
    # PackageMetadata has get() from 3.12 on; indexing a missing header warns (3.12, 3.13) or
    # raises KeyError (later), so membership is checked first.
    return metadata[name] if name in metadata else None  # noqa: SIM401


def _instantiate(plugin: object) -> object:
    # An entry point may name a module, an object, or a class to instantiate without arguments.
    if isinstance(plugin, type):
        return plugin()
    return plugin


def _core_version() -> str | None:
    import importlib.metadata

    try:
        return _name_and_version(importlib.metadata.distribution(CORE_DISTRIBUTION))[1]
    except importlib.metadata.PackageNotFoundError:
        return None


def installed_versions(group: str | None = None) -> list[tuple[str, str | None]]:
    """Each distribution with plugins in the entry-point group, and its version.

    Nothing is imported and only the head of each distribution's metadata is read, so that
    ``machinectl --version`` stays fast; the core comes first.
    """
    import importlib.metadata

    group = group or os.environ.get(ENV_GROUP) or ENTRY_POINT_GROUP
    found: dict[str, str | None] = {CORE_DISTRIBUTION: _core_version()}
    for ep in importlib.metadata.entry_points(group=group):
        name, version = _name_and_version(ep.dist)
        found.setdefault(name or ep.name, version)
    core = found.pop(CORE_DISTRIBUTION)
    return [(CORE_DISTRIBUTION, core), *sorted(found.items())]


__all__ = [
    "PluginFailure",
    "PluginInfo",
    "Registry",
    "create_registry",
    "create_registry_from",
    "default_registry",
    "installed_versions",
    "reset_default_registry",
]
