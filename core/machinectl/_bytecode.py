"""The ``machinectl`` command's own bytecode cache, for a Python that writes no ``.pyc`` files.

:func:`install` (called by the command's entry point only, never on import of the library)
gives the standard path hook a source loader that keeps the compiled code of each module it has
to compile (one without a valid ``.pyc`` of Python's own, as the standard library has) under
``bytecode/CACHE_TAG/`` of the cache directory, at the source's absolute path (as
``sys.pycache_prefix`` does). A cache file is the magic number, the source's modification and
change times in nanoseconds, size and inode (an edit is seen also when a copy keeps the old
modification time, as the board index sees it), then the marshalled code: any other header, or
a body that does not load, is ignored, and the module is compiled again and its file rewritten.
Failing to write is not an error.

This module is compiled at every start: it imports only what the interpreter has loaded
(:mod:`importlib.machinery` names the import system's own classes).
"""

from __future__ import annotations

import marshal
import os
import sys
from importlib._bootstrap_external import MAGIC_NUMBER
from importlib.machinery import (
    BYTECODE_SUFFIXES,
    EXTENSION_SUFFIXES,
    SOURCE_SUFFIXES,
    ExtensionFileLoader,
    FileFinder,
    SourceFileLoader,
    SourcelessFileLoader,
)

# Not typing.TYPE_CHECKING: importing typing costs more than this module's own work.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any

#: The qualified name of the hooks that FileFinder.path_hook makes.
_HOOK = "FileFinder.path_hook.<locals>.path_hook_for_FileFinder"


#: Names machinectl's cache directory (the board index's and this cache's).
ENV_CACHE_DIR = "MACHINECTL_CACHE_DIR"


def cache_dir() -> str | None:
    """machinectl's cache directory (index files, ``bytecode/``); None when caching is off.

    It lives here, not in :mod:`machinectl.index`, because this module runs first.
    """
    value = os.environ.get(ENV_CACHE_DIR)
    if value is not None:
        return None if value in ("", "off") else value
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "machinectl")


def bytecode_dir() -> str | None:
    """``bytecode`` of :func:`cache_dir`; None when caching is off."""
    value = cache_dir()
    return None if value is None else os.path.join(os.path.abspath(value), "bytecode")


_CODE = type(cache_dir.__code__)


class CachedSourceLoader(SourceFileLoader):
    """A source loader that reads and writes compiled code under :attr:`root`."""

    #: ``bytecode/CACHE_TAG`` of the cache directory (set by :func:`install`).
    root = ""
    #: What follows the source's path in its cache file's name.
    suffix = ".pyc"
    #: Whether the last code made was compiled (not read from a .pyc of Python's own).
    compiled = False

    def get_code(self, fullname: str) -> CodeType | None:
        path = self.get_filename(fullname)
        try:
            st = os.stat(path)
        except OSError:
            st = None
        # A relative path or one with ".." could name a file outside the root.
        if st is None or not path.startswith("/") or ".." in path:
            return super().get_code(fullname)
        cached = self.root + path + self.suffix
        key = (
            MAGIC_NUMBER
            + st.st_mtime_ns.to_bytes(8, "little", signed=True)
            + st.st_ctime_ns.to_bytes(8, "little", signed=True)
            + st.st_size.to_bytes(8, "little")
            + st.st_ino.to_bytes(8, "little")
        )
        try:
            with open(cached, "rb", buffering=0) as f:
                data = f.read()
            if data[:36] == key:
                code = marshal.loads(memoryview(data)[36:])
                if isinstance(code, _CODE):
                    return code
        except Exception:
            pass  # missing, damaged, truncated or foreign: made again
        # Compiled, or read from a valid .pyc of Python's own (as the standard library's are,
        # which are not kept again).
        self.compiled = False
        made = super().get_code(fullname)
        if made is not None and self.compiled:
            _write(cached, key + marshal.dumps(made))
        return made

    # Whatever the arguments of the Python version (3.15 adds one).
    def source_to_code(self, *args: Any, **kwargs: Any) -> CodeType:  # type: ignore[override]
        self.compiled = True
        return super().source_to_code(*args, **kwargs)


def _write(cached: str, blob: bytes) -> None:
    """Store atomically (a whole file or none); failing to is not an error."""
    tmp = f"{cached}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        try:
            fd = os.open(tmp, flags, 0o600)
        except FileNotFoundError:
            _makedirs(os.path.dirname(cached))
            fd = os.open(tmp, flags, 0o600)
        try:
            view = memoryview(blob)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, cached)
    except OSError:
        try:  # noqa: SIM105 (contextlib is not loaded yet)
            os.unlink(tmp)
        except OSError:
            pass


def _makedirs(path: str, parents: bool = True) -> None:
    """Make a directory and its missing parents, each for the user only; one there is kept."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except FileNotFoundError:
        if not parents:
            raise
        _makedirs(os.path.dirname(path))
        _makedirs(path, parents=False)  # unless another process has made it meanwhile


def install() -> None:
    """Load source modules through the cache, when Python writes no bytecode of its own.

    Nothing changes when ``sys.dont_write_bytecode`` is false, caching is off, or the
    ``bytecode`` directory cannot be made or is not the user's alone (owned by another user,
    or writable by its group or others).
    """
    root = bytecode_dir()
    tag = sys.implementation.cache_tag
    if not sys.dont_write_bytecode or root is None or tag is None or os.name != "posix":
        return
    try:
        st = os.stat(root)
    except FileNotFoundError:
        try:
            _makedirs(root)
            st = os.stat(root)
        except OSError:
            return
    except OSError:
        return
    # A directory (file type 0o040000) that neither its group nor others may write.
    if st.st_uid != os.getuid() or st.st_mode & 0o170022 != 0o040000:
        return
    # The hook that Python installs: a FileFinder with the standard loaders, for their suffixes.
    standard = (
        (ExtensionFileLoader, EXTENSION_SUFFIXES),
        (SourceFileLoader, SOURCE_SUFFIXES),
        (SourcelessFileLoader, BYTECODE_SUFFIXES),
    )
    CachedSourceLoader.root = os.path.join(root, tag)
    if sys.flags.optimize:
        CachedSourceLoader.suffix = f".opt-{sys.flags.optimize}.pyc"
    for i, hook in enumerate(sys.path_hooks):
        if getattr(hook, "__qualname__", None) != _HOOK:
            continue
        cells = getattr(hook, "__closure__", None) or ()
        found = [cell.cell_contents for cell in cells if cell.cell_contents == standard]
        if found:
            # The same suffix lists, the source loader replaced.
            sys.path_hooks[i] = FileFinder.path_hook(
                *[
                    (CachedSourceLoader if loader is SourceFileLoader else loader, suffixes)
                    for loader, suffixes in found[0]
                ]
            )
            break
    else:
        return  # another import system than the standard one: left as it is
    # The directories already seen, the package's own included, get the new loader.
    for entry, finder in list(sys.path_importer_cache.items()):
        if type(finder) is FileFinder:
            del sys.path_importer_cache[entry]
