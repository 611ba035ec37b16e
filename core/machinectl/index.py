"""The board index: every installed machine type's facts, without importing any plugin.

``list-boards``, ``describe``, ``-M help`` and the choice of the board for ``run`` are
answered from one file per environment, built from the plugins when it is missing or
stale. ``run`` then imports only the plugin that provides the selected board, plus every
plugin that is more than a :class:`~machinectl.BoardTable` (a plugin with hooks of its own, a
site policy, answers for any board, so it always runs).

The file lives in ``$MACHINECTL_CACHE_DIR``, else ``$XDG_CACHE_HOME/machinectl``, else
``~/.cache/machinectl``; ``MACHINECTL_CACHE_DIR=off`` (or an empty value) keeps no file. Its
name is derived from the interpreter, the environment's prefix, ``sys.path`` and the plugin
environment variables; inside it records what it was built from, and it is stale as soon as
any of that changes:

* the interpreter, its version, ``sys.prefix`` or ``sys.path``;
* ``MACHINECTL_PLUGINS``, ``MACHINECTL_ENTRY_POINT_GROUP`` or ``MACHINECTL_STRICT``;
* the modification time of any directory on ``sys.path`` (a distribution installed, removed
  or upgraded there changes it);
* the modification time or size of any source file the plugins and the core were imported
  from (an edited editable plugin);
* any file of a plugin's package directory outside ``site-packages`` (an editable install),
  data files included: one added, removed, or changed in modification time or size;
* what loading a plugin that failed to import gives now: such plugins are tried again by
  every command (what fixes an import may lie anywhere), and a plugin that loads now, or
  fails otherwise, makes the index stale. With no failed plugin this costs nothing.

A file that cannot be read, does not parse, fails its checksum or was written by another
version is ignored and rebuilt; a cache directory that cannot be written is not an error
(the index is then built in memory for each command). Two processes rebuilding at once each
write a temporary file and rename it into place: readers see one whole index or the other.

Each file's first line is the checksum of the rest and, in JSON, the interpreter and
environment the file belongs to. The rest is in :mod:`marshal`'s format (the file belongs to
one interpreter, and reading it takes a fraction of parsing JSON, without importing
``json``): the length of the record, the record, and the ``describe`` part of every board,
which only ``describe`` reads.

Whenever an index is written, the other index files of the directory are pruned: those whose
environment is gone (its prefix or interpreter no longer exists, as with a removed virtual
environment), those left unused for :data:`UNUSED_DAYS` days (a file in use has its
modification time refreshed at most once a day), those of an older format, and the
temporary files of writers that died more than a day ago.

This module imports nothing heavy: reading a warm index needs ``marshal`` and ``zlib`` only.
"""

from __future__ import annotations

import errno
import marshal
import os
import stat
import sys
import time
import zlib

from ._bytecode import cache_dir
from .errors import MachineError, PluginError

# Not typing.TYPE_CHECKING: importing typing costs more than reading the whole index.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import io
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from .plugins import Registry

#: Bumped whenever the layout of the file changes.
FORMAT = 8
#: Index files not used for this many days are removed when another index is written.
UNUSED_DAYS = 30
_DAY = 86400.0
ENV_TARGET = "MACHINECTL_TARGET"
_ENV_KEYS = ("MACHINECTL_PLUGINS", "MACHINECTL_ENTRY_POINT_GROUP", "MACHINECTL_STRICT")
EVERY_TARGET = "*"
#: QEMU's advice below "unsupported machine type".
UNSUPPORTED_HINT = "Use -machine help to list supported machines"
#: The targets of QEMU 7.2's system emulators (``qemu-system-TARGET``). A ``--target`` is one
#: of them or one an installed board declares; anything else is a mistake, even where the
#: machine type (``none``) exists for every target.
QEMU_TARGETS = frozenset(
    [
        "aarch64",
        "alpha",
        "arm",
        "avr",
        "cris",
        "hppa",
        "i386",
        "loongarch64",
        "m68k",
        "microblaze",
        "microblazeel",
        "mips",
        "mips64",
        "mips64el",
        "mipsel",
        "nios2",
        "or1k",
        "ppc",
        "ppc64",
        "riscv32",
        "riscv64",
        "rx",
        "s390x",
        "sh4",
        "sh4eb",
        "sparc",
        "sparc64",
        "tricore",
        "x86_64",
        "xtensa",
        "xtensaeb",
    ]
)


def check_target(target: str, declared: Iterable[str]) -> None:
    """Refuse a target that is neither QEMU's nor declared by an installed board."""
    known = sorted(QEMU_TARGETS.union(declared))
    if target not in known:
        from .errors import did_you_mean, with_hint

        raise MachineError(
            f"unknown target '{target}'",
            hint=with_hint(did_you_mean(target, known), f"known targets: {', '.join(known)}"),
        )


class _Describes:
    """The ``describe`` part of an index file, parsed when a board's is first asked for."""

    __slots__ = ("_boards", "_parsed", "_raw")

    def __init__(self, raw: bytes, boards: list[IndexedBoard]):
        self._raw = raw
        self._boards = boards
        self._parsed: list[Any] | None = None

    def get(self, board: IndexedBoard) -> dict[str, Any] | None:
        """``board``'s part; None when the stored part is not what it should be."""
        if self._parsed is None:
            try:
                parsed = marshal.loads(self._raw)
            except (ValueError, EOFError, TypeError, MemoryError, RecursionError):
                parsed = None
            ok = isinstance(parsed, list) and len(parsed) == len(self._boards)
            self._parsed = parsed if ok else []
        if not self._parsed:
            return None
        found = self._parsed[self._boards.index(board)]
        return found if isinstance(found, dict) else None


class IndexedBoard:
    """A machine type as the index knows it: its declaration and its default facts."""

    __slots__ = (
        "_describe",
        "_describes",
        "alias",
        "default_for",
        "default_ram_id",
        "default_ram_size",
        "deprecated",
        "description",
        "distribution",
        "entry_point",
        "error",
        "family",
        "machine_family",
        "name",
        "numa",
        "numa_mem_supported",
        "plugin",
        "properties",
        "targets",
        "version",
    )

    def __init__(self, data: dict[str, Any], describes: _Describes | None = None):
        self.name: str = data["name"]
        self.alias: str | None = data["alias"]
        self.description: str = data["description"]
        self.family: str = data["family"]
        self.targets: tuple[str, ...] = tuple(data["targets"])
        self.machine_family: str | None = data["machine_family"]
        self.default_for: tuple[str, ...] = tuple(data["default_for"])
        self.deprecated: bool = data["deprecated"]
        self.numa: bool = data["numa"]
        self.numa_mem_supported: bool = data["numa_mem_supported"]
        self.properties: dict[str, str] = data["properties"]
        self.plugin: str = data["plugin"]
        self.distribution: str | None = data["distribution"]
        self.version: str | None = data["version"]
        #: The entry point (``module:attribute``) of the plugin; None for the core's own.
        self.entry_point: str | None = data["entry_point"]
        self.default_ram_size: int | None = data["default_ram_size"]
        self.default_ram_id: str | None = data["default_ram_id"]
        #: The plugin's error while answering the default facts, if it failed.
        self.error: str | None = data["error"]
        self._describe: dict[str, Any] | None = data.get("describe")
        self._describes = describes

    @property
    def describe(self) -> dict[str, Any]:
        """``describe``'s rules and the memory map at the default size.

        Stored apart in the index file and read only by the commands that need it; a part
        that turns out to be damaged is built again from the plugins.
        """
        if self._describe is None:
            found = None if self._describes is None else self._describes.get(self)
            if found is None:
                fresh = load_index(rebuild=True)
                found = next(
                    b.describe
                    for b in fresh.boards
                    if (b.name, b.targets, b.plugin) == (self.name, self.targets, self.plugin)
                )
            self._describe = found
        return self._describe

    @property
    def spec(self) -> IndexedBoard:
        """The declaration: the entry itself (it has :class:`~machinectl.BoardSpec`'s fields
        that listings read), so code written for registered boards reads it alike."""
        return self

    @property
    def machine_properties(self) -> dict[str, str]:
        """The machine type's ``-machine`` properties, as :attr:`BoardSpec.machine_properties`."""
        return self.properties

    @property
    def qom_type(self) -> str:
        """QEMU's class name for the machine type."""
        return f"{self.name}-machine"

    def belongs_to(self, target: str) -> bool:
        """Whether ``qemu-system-TARGET`` has this machine type."""
        return target in self.targets or EVERY_TARGET in self.targets

    def answers_to(self, name: str) -> bool:
        """Whether ``-M name`` selects this board."""
        return name == self.name or (self.alias is not None and name == self.alias)

    def __repr__(self) -> str:
        return f"<IndexedBoard {self.name} {','.join(self.targets)} ({self.plugin})>"


def who(plugin: str, distribution: str | None, version: str | None) -> str:
    """A plugin as error messages name it: ``arm (machinectl-arm 0.1.0)``."""
    if not distribution:
        return plugin
    return f"{plugin} ({distribution} {version or '?'})"


def choose(
    candidates: Sequence[Any],
    name: str,
    target: str | None,
    known: Callable[[str | None], Iterable[str]] | None = None,
    targets: Callable[[], Iterable[str]] | None = None,
) -> Any:
    """The one board ``-M name`` selects among ``candidates`` (boards answering to ``name``).

    Shared by the index and :meth:`machinectl.Registry.board`: with ``target`` (or
    ``MACHINECTL_TARGET``), the board of that target; without, the only candidate, or an
    error naming each candidate's targets and plugin. ``known(target)`` gives the names a
    near miss is compared with, for a suggestion after QEMU's message; ``targets()`` the
    targets the installed boards declare, beside QEMU's (:func:`check_target`).
    """
    if target is None:
        target = os.environ.get(ENV_TARGET) or None
    if target is not None and targets is not None:
        check_target(target, targets())
    found = list(candidates)
    if target is not None:
        found = [board for board in found if board.belongs_to(target)]
    if len(found) > 1:
        # A board of one target beside the built-in of every target: the specific one wins.
        found = [b for b in found if EVERY_TARGET not in b.targets] or found
    if len(found) == 1:
        return found[0]
    if not found:
        from .errors import did_you_mean

        elsewhere = sorted({t for b in candidates for t in b.targets if t != EVERY_TARGET})
        suggestion: str | None
        if elsewhere:
            # The name exists, for other targets than the one asked for.
            suggestion = f"'{name}' is a machine type of {', '.join(elsewhere)}, not of '{target}'"
        else:
            suggestion = None if known is None else did_you_mean(name, known(target))
        raise MachineError("unsupported machine type", hint=UNSUPPORTED_HINT, suggestion=suggestion)
    choices = "; ".join(
        f"{','.join(b.targets)} ({who(b.plugin, b.distribution, b.version)})"
        for b in sorted(found, key=lambda b: b.targets)
    )
    raise MachineError(
        f"machine type '{name}' exists for several targets: {choices}; "
        "choose one with --target TARGET (or MACHINECTL_TARGET)"
    )


class BoardIndex:
    """The index of one environment: boards, plugins and the failures of loading them."""

    def __init__(self, data: dict[str, Any], describe_part: bytes | None = None):
        self.boards: list[IndexedBoard] = []
        describes = None if describe_part is None else _Describes(describe_part, self.boards)
        self.boards.extend(IndexedBoard(b, describes) for b in data["boards"])
        #: Plugins as ``machinectl plugins`` shows them, with what loading them needs.
        self.plugins: list[dict[str, Any]] = data["plugins"]
        #: Plugins skipped at load, as :class:`machinectl.plugins.PluginFailure` fields.
        self.failures: list[dict[str, Any]] = data["failures"]
        self.strict: bool = data["strict"]
        self._names: dict[str, list[IndexedBoard]] = {}
        for board in self.boards:
            for key in (board.name, board.alias):
                if key is not None:
                    self._names.setdefault(key, []).append(board)

    def boards_for(self, target: str | None = None) -> list[IndexedBoard]:
        """The boards of ``target`` (all when None), in the order plugins declared them."""
        if target is None:
            return list(self.boards)
        return [board for board in self.boards if board.belongs_to(target)]

    def targets(self) -> list[str]:
        """Every QEMU target some board belongs to, sorted (``*`` is not a target)."""
        return sorted({t for b in self.boards for t in b.targets} - {EVERY_TARGET, ""})

    def candidates(self, name: str) -> list[IndexedBoard]:
        """Every board that ``-M name`` could mean, whatever its target."""
        return list(self._names.get(name, ()))

    def board(self, name: str, target: str | None = None) -> IndexedBoard:
        """The board ``-M name`` selects; see :func:`choose`."""
        board: IndexedBoard = choose(
            self._names.get(name, ()),
            name,
            target,
            lambda target: (
                key for b in self.boards_for(target) for key in (b.name, b.alias) if key is not None
            ),
            self.targets,
        )
        return board

    def failure_lines(self) -> list[str]:
        """Each skipped plugin as one line, as the registry reports it."""
        return [
            f"plugin {who(f['name'], f['distribution'], f['version'])} skipped: {f['error']}"
            for f in self.failures
        ]

    def check_strict(self) -> None:
        """In strict mode a plugin that failed to load is an error, as with the registry."""
        if self.strict and self.failures:
            raise PluginError(self.failure_lines()[0])

    def registry_for(self, board: IndexedBoard) -> Registry:
        """A registry with only what building ``board`` needs.

        The core's built-in plugin, the plugin that provides ``board``, and every plugin that
        is not a plain :class:`~machinectl.BoardTable` (it may answer for any board), in the
        order a full registry registers them. Plugins that failed to load are reported as
        they were when the index was built.
        """
        from .plugins import PluginFailure, create_registry_from

        wanted = [
            p
            for p in self.plugins
            if p["entry_point"] is not None and (p["name"] == board.plugin or not p["board_only"])
        ]
        core = next((p for p in self.plugins if p["entry_point"] is None), None)
        registry = create_registry_from(
            ((p["name"], p["entry_point"], p["distribution"], p["version"]) for p in wanted),
            core_version=None if core is None else core["version"],
            strict=self.strict,
        )
        registry.failures.extend(
            PluginFailure(f["name"], f["distribution"], f["version"], f["error"])
            for f in self.failures
        )
        return registry


# -- the file ----------------------------------------------------------------------------------


def _base_key() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "executable": sys.executable,
        "python": sys.version,
        "prefix": sys.prefix,
        "path": list(sys.path),
        "env": {name: os.environ.get(name) for name in _ENV_KEYS},
    }


def _mtime(path: str) -> list[int] | None:
    """What changes when a file is written or replaced: its modification time and size, and
    also its change time and inode (a copy that keeps the modification time, ``cp -p`` or
    ``touch -r``, cannot set those back)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_ino]


def _path_state() -> dict[str, list[int] | None]:
    """The modification time of every directory on ``sys.path``.

    The first entry (the script's directory, or the working directory) is left out: it
    changes with every file written there, and plugins are installed elsewhere.
    """
    return {entry: _mtime(entry) for entry in sys.path[1:] if entry}


def environment_state() -> tuple[object, ...]:
    """A cheap fingerprint of what decides which plugins load (a few ``stat`` calls)."""
    state: list[object] = [os.environ.get(name) for name in _ENV_KEYS]
    stat = os.stat
    for entry in sys.path[1:]:
        try:
            state.append(stat(entry).st_mtime_ns)
        except (OSError, ValueError):
            state.append(None)
    state.append(tuple(sys.path))
    return tuple(state)


def _file_name(key: dict[str, Any]) -> str:
    return f"index-{zlib.crc32(repr(key).encode()):08x}.idx"


def _watched_files(modules: Iterable[Any]) -> list[str]:
    """Source files of the modules the index depends on (outside the standard library)."""
    stdlib = os.path.dirname(os.__file__)
    files = set()
    for module in modules:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and not path.startswith(stdlib):
            files.add(path)
    return sorted(files)


def _package_dirs(entry_points: Iterable[str]) -> list[str]:
    """The package directories of the plugins loaded from ``entry_points`` that lie outside
    ``site-packages`` (an installed one changes only by an install, which the directories
    on ``sys.path`` show)."""
    found = set()
    core = os.path.dirname(os.path.abspath(__file__))
    for value in entry_points:
        top = value.split("[", 1)[0].partition(":")[0].strip().split(".")[0]
        module = sys.modules.get(top)
        paths = getattr(module, "__path__", None) if module is not None else None
        if paths is None and module is None:
            # Not imported (it failed): where it would be imported from.
            import importlib.util

            try:
                spec = importlib.util.find_spec(top)
            except (ImportError, ValueError):
                spec = None
            paths = None if spec is None else spec.submodule_search_locations
        for path in map(os.path.abspath, paths or ()):
            parent = os.path.basename(os.path.dirname(path))
            if path != core and parent not in ("site-packages", "dist-packages"):
                found.add(path)
    return sorted(found)


def _tree_state(top: str) -> dict[str, list[int]]:
    """Every file under the directory ``top`` (``__pycache__`` left out), with what changes
    when it is written or replaced (see :func:`_mtime`)."""
    state: dict[str, list[int]] = {}
    pending = [top]
    while pending:
        try:
            entries = os.scandir(pending.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                if entry.name == "__pycache__":
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                        continue
                    st = entry.stat()
                except OSError:
                    continue
                state[entry.path] = [st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_ino]
    return state


def _imports_fail_alike(failed: list[list[str]]) -> bool:
    """Whether every entry point that failed to import still fails, with the same error."""
    if not failed:
        return True
    from .plugins import import_error

    return all(import_error(value) == error for value, error in failed)


def _is_fresh(stored: dict[str, Any], key: dict[str, Any]) -> bool:
    if stored.get("key") != key:
        return False
    if stored.get("paths") != _path_state():
        return False
    if not all(_mtime(path) == state for path, state in stored["files"]):
        return False
    if not all(_tree_state(top) == state for top, state in stored["trees"].items()):
        return False
    return _imports_fail_alike(stored["failed_imports"])


def _open_regular(path: str) -> io.BufferedReader:
    """``path`` opened for reading if it is a regular file; anything else (a FIFO, which
    would block, a device, a directory) is refused with OSError, as a damaged file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return open(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read(path: str) -> tuple[dict[str, Any], bytes] | None:
    """The stored record and its ``describe`` part (unparsed), or None if the file is
    missing, damaged or of another format.

    A file is a line with the checksum of the rest and the environment it belongs to, then
    the record's length (8 bytes), the record and the ``describe`` part of every board, in
    :mod:`marshal`'s format. A file in use has its modification time
    refreshed once a day, so that pruning (:func:`_prune`) knows it is used.
    """
    try:
        with _open_regular(path) as f:
            raw = f.read()
            mtime = os.fstat(f.fileno()).st_mtime
        head, _, body = raw.partition(b"\n")
        if head[:8] != f"{zlib.crc32(body):08x}".encode():
            return None
        end = 8 + int.from_bytes(body[:8], "little")
        data = marshal.loads(memoryview(body)[8:end])
        describe_part = body[end:]
    except (OSError, ValueError, EOFError, TypeError, MemoryError, RecursionError):
        return None  # unreadable, or bytes that pass the checksum but are no record
    if not isinstance(data, dict):
        return None
    if time.time() - mtime > _DAY:
        try:
            os.utime(path)
        except OSError:
            return data, describe_part  # a cache this process may read but not write
    return data, describe_part


def _owner() -> dict[str, Any]:
    """What the first line of an index file names: the environment it belongs to."""
    return {"format": FORMAT, "executable": sys.executable, "prefix": sys.prefix}


def _is_abandoned(path: str, now: float) -> bool:
    """Whether the index file at ``path`` can no longer be of use to anyone."""
    try:
        with _open_regular(path) as f:
            head = f.readline(65536)
            mtime = os.fstat(f.fileno()).st_mtime
    except OSError:
        return False  # gone already, or not ours to judge
    if now - mtime > UNUSED_DAYS * _DAY:
        return True
    import json

    try:
        owner = json.loads(head[9:])
        if owner["format"] != FORMAT:
            return True
        return not (os.path.exists(owner["prefix"]) and os.path.exists(owner["executable"]))
    except (ValueError, TypeError, KeyError):
        return True  # an older format, or damaged


def _prune(directory: str, keep: str) -> None:
    """Remove the index files of ``directory`` that nobody can use any more (not ``keep``)."""
    import contextlib

    now = time.time()
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name)
        if name.startswith(".index-") and name.endswith(".tmp"):
            # A writer that died before its rename; one still writing is younger than a day.
            try:
                abandoned = now - os.stat(path).st_mtime > _DAY
            except OSError:
                continue
        elif name != keep and name.startswith("index-") and name.endswith((".idx", ".json")):
            abandoned = _is_abandoned(path, now)
        else:
            continue
        if abandoned:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _write(directory: str, name: str, data: dict[str, Any], describes: list[Any]) -> None:
    """Store atomically; any failure leaves no file behind and is not an error."""
    import contextlib
    import json

    record = marshal.dumps(data)
    body = len(record).to_bytes(8, "little") + record + marshal.dumps(describes)
    owner = json.dumps(_owner(), separators=(",", ":"))
    blob = f"{zlib.crc32(body):08x} {owner}\n".encode() + body
    tmp = None
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        import tempfile

        fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, os.path.join(directory, name))
        tmp = None
        _prune(directory, name)
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def load_index(*, rebuild: bool = False) -> BoardIndex:
    """The index of this environment: read when fresh, else built and stored."""
    key = _base_key()
    directory = cache_dir()
    name = _file_name(key)
    if directory is not None and not rebuild:
        found = _read(os.path.join(directory, name))
        if found is not None:
            stored, describe_part = found
            try:
                if _is_fresh(stored, key):
                    return BoardIndex(stored["index"], describe_part)
            except (KeyError, TypeError, ValueError, AttributeError):
                pass  # a damaged file that passed its checksum: rebuild it
    data = build_index_data()
    failed_files = data.pop("failed_files")
    failed_imports = data.pop("failed_imports")
    entry_points = data.pop("entry_points")
    index = BoardIndex(data)
    if directory is not None:
        # The state is read after the build: what the build imported is what is watched.
        # ``describe`` is stored apart: only ``describe`` reads it.
        boards = [{k: v for k, v in b.items() if k != "describe"} for b in data["boards"]]
        trees = {top: _tree_state(top) for top in _package_dirs(entry_points)}
        # A file of a package directory is watched there already.
        inside = tuple(os.path.join(top, "") for top in trees)
        files = {*_watched_files(list(sys.modules.values())), *failed_files}
        record = {
            "key": key,
            "paths": _path_state(),
            "files": [[p, _mtime(p)] for p in sorted(files) if not p.startswith(inside)],
            "trees": trees,
            "failed_imports": failed_imports,
            "index": {**data, "boards": boards},
        }
        _write(directory, name, record, [b["describe"] for b in data["boards"]])
    return index


# -- building --------------------------------------------------------------------------------


def build_index_data() -> dict[str, Any]:
    """Load every plugin and record what the commands need to know of each board."""
    from .plugins import create_registry

    registry = create_registry()
    boards = [_board_data(registry, board) for board in registry.boards]
    return {
        "boards": boards,
        "plugins": registry.plugin_records(),
        "failures": [
            {"name": f.name, "distribution": f.distribution, "version": f.version, "error": f.error}
            for f in registry.failures
        ],
        "strict": registry.strict,
        # Not stored in the index: what :func:`load_index` watches besides the modules.
        "failed_files": sorted(registry._failed_files),
        "failed_imports": sorted([v, e] for v, e in registry._failed_imports.items()),
        "entry_points": sorted(registry._entry_points),
    }


def _board_data(registry: Registry, board: Any) -> dict[str, Any]:
    spec = board.spec
    size: int | None = None
    ram_id: str | None = None
    error: str | None = None
    try:
        size, ram_id = registry.default_ram_size(board), registry.default_ram_id(board)
    except PluginError as exc:
        error = str(exc)
    return {
        "name": spec.name,
        "alias": spec.alias,
        "description": spec.description,
        "family": spec.family,
        "targets": list(board.targets),
        "machine_family": spec.machine_family,
        "default_for": list(spec.default_for),
        "deprecated": spec.deprecated,
        "numa": spec.numa,
        "numa_mem_supported": spec.numa_mem_supported,
        "properties": dict(spec.machine_properties),
        "plugin": board.plugin,
        "distribution": board.distribution,
        "version": board.version,
        "entry_point": registry.entry_point_of(board.plugin),
        "default_ram_size": size,
        "default_ram_id": ram_id,
        "error": error,
        "describe": _describe_data(registry, board) if error is None else {},
    }


def _describe_data(registry: Registry, board: Any) -> dict[str, Any]:
    from .machine import Machine

    out: dict[str, Any] = {}
    try:
        out["rules"] = registry.describe_board(board)
    except PluginError as exc:
        out["rules-error"] = str(exc)
    target = next((t for t in board.targets if t not in (EVERY_TARGET, "")), None)
    try:
        with Machine.from_argv(
            ["-M", board.name], target=target, registry=registry, allocate=False
        ) as machine:
            mtree = machine.query()["mtree"]
            out["memory-tree"] = mtree["tree"]
            out["memory-map"] = mtree["flat"]
            out["mtree-flat"] = machine.mtree_text(flat=True)
            out["mtree"] = machine.mtree_text()
    except MachineError as exc:
        out["memory-map-error"] = str(exc)
    return out
