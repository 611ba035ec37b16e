"""Plugin loading and the typed facade over the board hooks.

There is no global plugin manager: :func:`create_registry` builds a fresh one, so a program can
hold two differently configured registries and tests never share state. Nothing outside this
module calls ``pm.hook.*``.

Entry points of the group ``machinectl`` are loaded one at a time. A plugin that fails to
import, declares unknown hooks, returns bad board declarations or repeats a board name is
reported (with its distribution and version) and skipped as a whole; the others keep working.
``MACHINECTL_PLUGINS`` restricts which external plugins load (comma-separated entry-point or
distribution names; empty means none). ``strict=True`` (or ``MACHINECTL_STRICT=1``) turns those
reports into errors, for CI.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import pluggy

from . import hooks
from .boards import Board, BoardSpec
from .errors import MachineError, PluginError
from .state import MachineState

ENTRY_POINT_GROUP = "machinectl"
BUILTIN = "builtin"
CORE_DISTRIBUTION = "machinectl"
ENV_ONLY = "MACHINECTL_PLUGINS"
ENV_STRICT = "MACHINECTL_STRICT"


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


class Registry:
    """One plugin manager and the boards its plugins declared."""

    def __init__(self, *, strict: bool = False) -> None:
        self._pm = pluggy.PluginManager(hooks.PROJECT)
        self._pm.add_hookspecs(hooks)
        self._strict = strict
        self._boards: dict[str, Board] = {}
        self._aliases: dict[str, Board] = {}
        self._sources: dict[str, _Source] = {}
        self.failures: list[PluginFailure] = []

    # -- registration --------------------------------------------------------------------------

    def add(
        self,
        plugin: object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> bool:
        """Register ``plugin`` and its boards, all or nothing; False when it was skipped."""
        source = _Source(name, distribution, version)
        try:
            if name in self._sources or self._pm.has_plugin(name):
                raise PluginError(f"a plugin named '{name}' is already registered")
            self._pm.register(plugin, name=name)
        except (ValueError, PluginError, pluggy.PluginValidationError) as exc:
            return self._fail(source, _describe(exc))
        try:
            self._pm.check_pending()
            specs = self._declared_boards(plugin, name)
            boards = self._add_boards(specs, source)
        except Exception as exc:
            self._pm.unregister(plugin)
            return self._fail(source, _describe(exc))
        self._sources[name] = source
        for board in boards:
            self._boards[board.name] = board
            if board.spec.alias:
                self._aliases[board.spec.alias] = board
        return True

    def _declared_boards(self, plugin: object, name: str) -> list[BoardSpec]:
        impl = next(
            (i for i in self._pm.hook.register_boards.get_hookimpls() if i.plugin is plugin), None
        )
        if impl is None:
            return []
        result = impl.function()
        if result is None:
            return []
        if isinstance(result, (str, bytes)) or not isinstance(result, Iterable):
            raise PluginError(
                f"register_boards returned {type(result).__name__}, expected a list of BoardSpec"
            )
        specs = list(result)
        for spec in specs:
            if not isinstance(spec, BoardSpec):
                raise PluginError(
                    f"register_boards returned {type(spec).__name__}, expected BoardSpec"
                )
        return specs

    def _add_boards(self, specs: Sequence[BoardSpec], source: _Source) -> list[Board]:
        seen: dict[str, str] = {}
        boards = []
        for spec in specs:
            for key in (spec.name, spec.alias):
                if key is None:
                    continue
                other = self._boards.get(key) or self._aliases.get(key)
                if other is not None:
                    raise PluginError(
                        f"machine type '{key}' is declared by both {_who(other)} and "
                        f"{_who_source(source)}"
                    )
                if key in seen:
                    raise PluginError(f"machine type '{key}' is declared twice")
                seen[key] = spec.name
            boards.append(Board(spec, source.name, source.distribution, source.version))
        return boards

    def _fail(self, source: _Source, error: str) -> bool:
        failure = PluginFailure(source.name, source.distribution, source.version, error)
        if self._strict:
            raise PluginError(str(failure))
        self.failures.append(failure)
        return False

    # -- the typed facade --------------------------------------------------------------------

    @property
    def boards(self) -> Mapping[str, Board]:
        """Registered boards by name (aliases not included)."""
        return self._boards

    def board(self, name: str) -> Board:
        """The board called ``name`` (or with that alias)."""
        board = self._boards.get(name) or self._aliases.get(name)
        if board is None:
            raise MachineError(
                "unsupported machine type", hint="Use -machine help to list supported machines"
            )
        return board

    def default_ram_size(self, board: Board) -> int:
        value = self._call(board, "default_ram_size", board=board)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self._bad_result(board, "default_ram_size", value, "a size in bytes")
        return value

    def default_ram_id(self, board: Board) -> str | None:
        value = self._call(board, "default_ram_id", board=board)
        if value is not None and (not isinstance(value, str) or not value):
            raise self._bad_result(board, "default_ram_id", value, "a non-empty string")
        return value

    def fixup_ram_size(self, machine: MachineState, size: int) -> int:
        value = self._call(machine.board, "fixup_ram_size", machine=machine, size=size)
        if value is None:
            return size
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self._bad_result(machine.board, "fixup_ram_size", value, "a size in bytes")
        return value

    def validate_ram(self, machine: MachineState) -> None:
        self._call(machine.board, "validate_ram", machine=machine)

    def init_board(self, machine: MachineState) -> None:
        self._call(machine.board, "init_board", machine=machine)

    def describe_board(self, board: Board) -> list[str]:
        lines: list[str] = []
        for result in reversed(self._call(board, "describe_board", board=board) or []):
            if result:
                lines.extend(str(line) for line in result)
        return lines

    def _call(self, board: Board, hook_name: str, /, **kwargs: Any) -> Any:
        caller = getattr(self._pm.hook, hook_name)
        try:
            return caller(**kwargs)
        except MachineError:
            raise
        except Exception as exc:
            raise PluginError(
                f"plugin {_who(board)} failed in {hook_name} for '{board.name}': {_describe(exc)}"
            ) from exc

    def _bad_result(self, board: Board, hook_name: str, value: object, want: str) -> PluginError:
        return PluginError(
            f"{hook_name} for '{board.name}' returned {value!r}, expected {want} "
            f"(board from {_who(board)})"
        )

    def plugins(self) -> list[PluginInfo]:
        infos = []
        for name, source in self._sources.items():
            plugin = self._pm.get_plugin(name)
            infos.append(
                PluginInfo(
                    name=name,
                    distribution=source.distribution,
                    version=source.version,
                    hooks=tuple(sorted(_hook_names(self._pm, plugin))),
                    boards=tuple(b.name for b in self._boards.values() if b.plugin == name),
                )
            )
        return infos


def _who(board: Board) -> str:
    return _who_source(_Source(board.plugin, board.distribution, board.version))


def _who_source(source: _Source) -> str:
    if not source.distribution:
        return source.name
    return f"{source.name} ({source.distribution} {source.version or '?'})"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, MachineError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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
    group: str = ENTRY_POINT_GROUP,
    plugins: Iterable[tuple[str, object]] = (),
    only: Iterable[str] | None = None,
    strict: bool | None = None,
) -> Registry:
    """Build a registry: the core's built-ins, then entry points, then ``plugins``.

    :param load_entrypoints: load the external plugins of the entry-point group.
    :param group: the entry-point group (``machinectl``; another name for isolated setups).
    :param plugins: extra ``(name, plugin)`` pairs to register (for programs and tests).
    :param only: restrict external plugins to these entry-point or distribution names; default
        from ``MACHINECTL_PLUGINS`` (unset: all).
    :param strict: make any plugin failure an error; default from ``MACHINECTL_STRICT``.
    """
    if strict is None:
        strict = os.environ.get(ENV_STRICT, "") not in ("", "0")
    registry = Registry(strict=strict)
    from . import builtin

    registry.add(builtin, BUILTIN, distribution=CORE_DISTRIBUTION, version=_core_version())
    if load_entrypoints:
        allowed = frozenset(only) if only is not None else _only_from_env()
        for ep in sorted(importlib.metadata.entry_points(group=group), key=lambda e: e.name):
            dist = ep.dist
            dist_name = dist.name if dist is not None else None
            if dist_name == CORE_DISTRIBUTION and ep.name == BUILTIN:
                continue
            if allowed is not None and ep.name not in allowed and dist_name not in allowed:
                continue
            version = dist.version if dist is not None else None
            try:
                plugin = ep.load()
            except Exception as exc:
                registry._fail(_Source(ep.name, dist_name, version), _describe(exc))
                continue
            registry.add(_instantiate(plugin), ep.name, distribution=dist_name, version=version)
    for name, plugin in plugins:
        registry.add(plugin, name)
    return registry


def _instantiate(plugin: object) -> object:
    # An entry point may name a module, an object, or a class to instantiate without arguments.
    if isinstance(plugin, type):
        return plugin()
    return plugin


def _core_version() -> str | None:
    try:
        return importlib.metadata.version(CORE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


__all__ = ["PluginFailure", "PluginInfo", "Registry", "create_registry"]
