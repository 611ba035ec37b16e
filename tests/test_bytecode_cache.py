"""The ``machinectl`` command's bytecode cache (``bytecode/`` of the cache directory).

Every test runs the real console script, or a fresh interpreter, with
``PYTHONDONTWRITEBYTECODE=1`` and its own cache directory. Modules whose edits the tests make
are a throwaway package in ``tmp_path``, never the repository's sources.
"""

from __future__ import annotations

import importlib.util
import json
import marshal
import os
import py_compile
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import machinectl
import pytest

MACHINECTL = Path(sys.executable).parent / "machinectl"
PACKAGE = Path(machinectl.__file__).parent  # as the subprocesses find it
TAG = sys.implementation.cache_tag
#: Modules of the core that ``list-boards`` imports when its board index is warm.
LISTING = ("cli.py", "index.py")
#: Where the subprocesses look for Python's own .pyc files unless told otherwise: nowhere, so
#: that every module is compiled (and kept), whether or not the checkout has __pycache__.
NO_PYC = os.path.join(os.devnull, "no-pyc")

#: Installs the cache as the command does, counts the sources compiled after that, imports the
#: modules named by its arguments and prints what happened as JSON.
PROBE = """
import importlib, json, sys
hooks = list(sys.path_hooks)
from machinectl import _bytecode
_bytecode.install()
compiled = []
original = _bytecode.SourceFileLoader.source_to_code
def counting(self, data, path, *args, **kwargs):
    if isinstance(self, _bytecode.CachedSourceLoader):
        compiled.append(path)
    return original(self, data, path, *args, **kwargs)
_bytecode.SourceFileLoader.source_to_code = counting
modules = {name: importlib.import_module(name) for name in sys.argv[1:]}
print(json.dumps({
    "installed": sys.path_hooks != hooks,
    "loaders": {name: type(m.__spec__.loader).__name__ for name, m in modules.items()},
    "values": {name: getattr(m, "VALUE", None) for name, m in modules.items()},
    "compiled": compiled,
}))
"""


def environment(cache: Path | str, **changes: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MACHINECTL_") and k not in ("PYTHONPYCACHEPREFIX", "PYTHONPATH")
    }
    env.update(
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONPYCACHEPREFIX=NO_PYC,
        MACHINECTL_PLUGINS="",
        MACHINECTL_CACHE_DIR=str(cache),
    )
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def machinectl_cmd(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    if not MACHINECTL.exists():
        pytest.skip(f"no console script at {MACHINECTL}")
    return subprocess.run(
        [str(MACHINECTL), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def python(env: dict[str, str], program: str, *args: str, flags: tuple[str, ...] = ()) -> str:
    """What ``python -c program args`` printed; it must succeed."""
    proc = subprocess.run(
        [sys.executable, *flags, "-c", program, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def probe(env: dict[str, str], *modules: str, flags: tuple[str, ...] = ()) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(python(env, PROBE, *modules, flags=flags))
    return result


def cache_file(cache: Path, source: Path, suffix: str = ".pyc") -> Path:
    return cache / "bytecode" / TAG / (str(source).lstrip("/") + suffix)


def key(source: Path) -> bytes:
    """The header a valid cache file of the source starts with."""
    st = source.stat()
    return (
        importlib.util.MAGIC_NUMBER
        + st.st_mtime_ns.to_bytes(8, "little", signed=True)
        + st.st_ctime_ns.to_bytes(8, "little", signed=True)
        + st.st_size.to_bytes(8, "little")
        + st.st_ino.to_bytes(8, "little")
    )


def assert_valid(cache: Path, source: Path) -> None:
    data = cache_file(cache, source).read_bytes()
    assert data[:36] == key(source)
    assert isinstance(marshal.loads(data[36:]), type(key.__code__))


def files(directory: Path) -> dict[Path, int]:
    """Every file under the directory, with its modification time."""
    return {p: p.stat().st_mtime_ns for p in directory.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A cache directory after one ``list-boards``, and what it printed."""
    cache = tmp_path_factory.mktemp("warm") / "cache"
    proc = machinectl_cmd(environment(cache), "list-boards")
    assert proc.returncode == 0, proc.stderr
    return cache, proc.stdout


@pytest.fixture
def cache(tmp_path: Path, warm: tuple[Path, str]) -> Path:
    """A copy of the warm cache directory."""
    shutil.copytree(warm[0], tmp_path / "cache", symlinks=True)
    return tmp_path / "cache"


@pytest.fixture
def throwaway(tmp_path: Path) -> Path:
    """``throwaway/value.py`` (``VALUE = 'aaa'``) of a package on ``PYTHONPATH``."""
    package = tmp_path / "src" / "throwaway"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    source = package / "value.py"
    source.write_text("VALUE = 'aaa'\n")
    return source


def test_warm_start_loads_the_compiled_code(warm: tuple[Path, str], cache: Path) -> None:
    listing = warm[1]
    assert listing.splitlines()[1].split()[0] == "none"
    for name in ("cli.py", "index.py", "cmdline.py"):
        assert_valid(cache, PACKAGE / name)
    before = files(cache / "bytecode")
    proc = machinectl_cmd(environment(cache), "list-boards")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, listing, "")
    assert files(cache / "bytecode") == before  # read, nothing written again
    # The modules come from the cache: none is compiled.
    found = probe(environment(cache), "machinectl.cli", "machinectl.index")
    assert found["installed"] is True
    assert found["loaders"] == dict.fromkeys(
        ("machinectl.cli", "machinectl.index"), "CachedSourceLoader"
    )
    assert found["compiled"] == []
    # While a cold cache compiles them (the probe counts what it should).
    assert (
        str(PACKAGE / "cli.py")
        in probe(environment(cache.parent / "cold"), "machinectl.cli")["compiled"]
    )


def test_an_edit_of_the_same_size_is_seen_by_its_times(tmp_path: Path, throwaway: Path) -> None:
    env = environment(
        tmp_path / "cache", PYTHONPATH=str(tmp_path / "src"), PYTHONPYCACHEPREFIX=None
    )
    moment = 1_700_000_000_000_000_100
    os.utime(throwaway, ns=(moment, moment))
    first = probe(env, "throwaway.value")
    assert first["values"] == {"throwaway.value": "aaa"}
    assert str(throwaway) in first["compiled"]
    assert_valid(tmp_path / "cache", throwaway)

    throwaway.write_text("VALUE = 'bbb'\n")  # the same size, 1 µs later, the same second
    os.utime(throwaway, ns=(moment + 1000, moment + 1000))
    if throwaway.stat().st_mtime_ns != moment + 1000:
        pytest.skip("the file system does not keep modification times in microseconds")
    second = probe(env, "throwaway.value")
    assert second["values"] == {"throwaway.value": "bbb"}
    assert second["compiled"] == [str(throwaway)]  # the package's __init__ is cached
    assert_valid(tmp_path / "cache", throwaway)

    third = probe(env, "throwaway.value")
    assert third["values"] == {"throwaway.value": "bbb"}
    assert third["compiled"] == []
    assert third["loaders"] == {"throwaway.value": "CachedSourceLoader"}

    # An edit that keeps the size and the modification time (cp -p, touch -r) is seen too:
    # by the change time, which no one can set.
    throwaway.write_text("VALUE = 'ccc'\n")
    os.utime(throwaway, ns=(moment + 1000, moment + 1000))
    fourth = probe(env, "throwaway.value")
    assert fourth["values"] == {"throwaway.value": "ccc"}
    assert fourth["compiled"] == [str(throwaway)]


def test_a_valid_pyc_of_pythons_own_is_used_and_not_kept_again(
    tmp_path: Path, throwaway: Path
) -> None:
    cache = tmp_path / "cache"
    pyc = throwaway.parent / "__pycache__" / f"value.{TAG}.pyc"
    py_compile.compile(str(throwaway), cfile=str(pyc), doraise=True)
    throwaway.write_text("VALUE = 'bbb'\n")  # the same size and, maybe, the same second
    st = throwaway.stat()
    os.utime(throwaway, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    py_compile.compile(str(throwaway), cfile=str(pyc), doraise=True)
    env = environment(cache, PYTHONPATH=str(tmp_path / "src"), PYTHONPYCACHEPREFIX=None)
    found = probe(env, "throwaway.value", "difflib")
    assert found["values"]["throwaway.value"] == "bbb"
    assert found["loaders"] == dict.fromkeys(("throwaway.value", "difflib"), "CachedSourceLoader")
    assert found["compiled"] == [str(throwaway.parent / "__init__.py")]  # it has no .pyc
    assert not cache_file(cache, throwaway).exists()
    assert cache_file(cache, throwaway.parent / "__init__.py").exists()
    import difflib

    stdlib = Path(difflib.__file__)
    if (stdlib.parent / "__pycache__" / f"difflib.{TAG}.pyc").exists():
        assert not cache_file(cache, stdlib).exists()


def _damage(kind: str, data: bytes) -> bytes:
    header, body = data[:36], data[36:]
    return {
        "empty": b"",
        "truncated-header": data[:10],
        "truncated-body": header + body[: len(body) // 2],
        "garbage": bytes(range(256)) * 4,
        "garbage-body": header + b"\xfe" * 64,
        "wrong-magic": bytes([data[0] ^ 0xFF]) + data[1:],
        "older-source": header[:4]
        + (int.from_bytes(header[4:12], "little") - 1).to_bytes(8, "little")
        + data[12:],
        "not-code": header + marshal.dumps(("not", "code")),
    }[kind]


@pytest.mark.parametrize(
    "kind",
    [
        "empty",
        "truncated-header",
        "truncated-body",
        "garbage",
        "garbage-body",
        "wrong-magic",
        "older-source",
        "not-code",
    ],
)
def test_a_damaged_cache_file_is_ignored_and_rewritten(
    kind: str, warm: tuple[Path, str], cache: Path
) -> None:
    damaged = {}
    for source in PACKAGE.glob("*.py"):
        path = cache_file(cache, source)
        if path.exists():
            damaged[source] = _damage(kind, path.read_bytes())
            path.write_bytes(damaged[source])
    assert len(damaged) >= 5
    proc = machinectl_cmd(environment(cache), "list-boards")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, warm[1], "")
    for name in LISTING:
        assert_valid(cache, PACKAGE / name)
    # What the listing did not import is left as it was; the rest is rewritten.
    for source, data in damaged.items():
        if cache_file(cache, source).read_bytes() != data:
            assert_valid(cache, source)
    assert not list((cache / "bytecode").rglob("*.tmp"))


def test_a_cache_directory_under_a_file_is_not_an_error(
    tmp_path: Path, warm: tuple[Path, str]
) -> None:
    (tmp_path / "file").write_text("")
    proc = machinectl_cmd(
        environment(tmp_path / "file" / "cache", PYTHONPYCACHEPREFIX=None), "list-boards"
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, warm[1], "")


@pytest.mark.parametrize("how", ["read-only", "blocked"])
def test_a_bytecode_directory_that_cannot_be_written_is_not_an_error(
    how: str, tmp_path: Path, warm: tuple[Path, str], cache: Path, throwaway: Path
) -> None:
    if how == "read-only" and os.geteuid() == 0:
        pytest.skip("root writes anyway")
    env = environment(cache, PYTHONPATH=str(tmp_path / "src"), PYTHONPYCACHEPREFIX=None)
    shutil.rmtree(cache / "bytecode")
    if how == "read-only":
        (cache / "bytecode").mkdir(mode=0o500)
    else:  # what root cannot write either: CACHE_TAG a file, not a directory
        (cache / "bytecode").mkdir(mode=0o700)
        (cache / "bytecode" / TAG).write_text("")
    try:
        proc = machinectl_cmd(env, "list-boards")
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, warm[1], "")
        found = probe(env, "throwaway.value")
        assert found["installed"] is True
        assert found["values"] == {"throwaway.value": "aaa"}
        assert [p.name for p in (cache / "bytecode").iterdir()] == (
            [] if how == "read-only" else [TAG]
        )
    finally:
        (cache / "bytecode").chmod(0o700)


def test_a_cache_file_that_cannot_be_replaced_is_not_an_error(
    tmp_path: Path, throwaway: Path
) -> None:
    cache = tmp_path / "cache"
    env = environment(cache, PYTHONPATH=str(tmp_path / "src"))
    (cache_file(cache, throwaway) / "in-the-way").mkdir(parents=True)  # even root cannot
    for _ in range(2):
        found = probe(env, "throwaway.value")
        assert found["values"] == {"throwaway.value": "aaa"}
        assert str(throwaway) in found["compiled"]
    assert cache_file(cache, throwaway).is_dir()
    assert not list((cache / "bytecode").rglob("*.tmp"))


@pytest.mark.parametrize("owner", ["group-writable", "another-user"])
def test_a_bytecode_directory_not_the_users_alone_is_not_used(
    owner: str, tmp_path: Path, throwaway: Path
) -> None:
    cache = tmp_path / "cache"
    (cache / "bytecode").mkdir(parents=True, mode=0o700)
    if owner == "group-writable":
        (cache / "bytecode").chmod(0o770)
    elif os.geteuid() == 0:
        os.chown(cache / "bytecode", 65534, 65534)
    else:
        pytest.skip("only root can give a directory away")
    found = probe(environment(cache, PYTHONPATH=str(tmp_path / "src")), "throwaway.value")
    assert found["installed"] is False
    assert found["loaders"] == {"throwaway.value": "SourceFileLoader"}
    assert not list((cache / "bytecode").iterdir())


@pytest.mark.parametrize("value", ["off", ""])
def test_caching_off_writes_nothing(value: str, tmp_path: Path) -> None:
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    home.mkdir()
    xdg.mkdir()
    env = environment(value, HOME=str(home), XDG_CACHE_HOME=str(xdg), PYTHONPYCACHEPREFIX=None)
    assert probe(env, "machinectl.cli")["installed"] is False
    if value == "off":
        proc = machinectl_cmd(env, "list-boards")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[1].split()[0] == "none"
    assert not list(home.iterdir()) and not list(xdg.iterdir())


def test_the_default_cache_directory(tmp_path: Path) -> None:
    env = environment("", XDG_CACHE_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path / "home"))
    del env["MACHINECTL_CACHE_DIR"]
    probe(env, "machinectl.cli")
    assert_valid(tmp_path / "xdg" / "machinectl", PACKAGE / "cli.py")
    del env["XDG_CACHE_HOME"]
    probe(env, "machinectl.cli")
    assert_valid(tmp_path / "home" / ".cache" / "machinectl", PACKAGE / "cli.py")


@pytest.mark.parametrize(
    "env",
    [
        {"MACHINECTL_CACHE_DIR": "/somewhere/else"},
        {"MACHINECTL_CACHE_DIR": "relative"},
        {"MACHINECTL_CACHE_DIR": "off"},
        {"MACHINECTL_CACHE_DIR": ""},
        {"XDG_CACHE_HOME": "/xdg"},
        {"XDG_CACHE_HOME": "", "HOME": "/home/someone"},
    ],
)
def test_the_cache_directory_is_the_board_indexs(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from machinectl import _bytecode, index

    for name in ("MACHINECTL_CACHE_DIR", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    directory = index.cache_dir()
    expected = None if directory is None else os.path.join(os.path.abspath(directory), "bytecode")
    assert _bytecode.bytecode_dir() == expected


def test_a_python_that_writes_bytecode_uses_its_own(
    tmp_path: Path, warm: tuple[Path, str], cache: Path
) -> None:
    shutil.rmtree(cache / "bytecode")
    pycache = tmp_path / "pycache"
    env = environment(cache, PYTHONDONTWRITEBYTECODE=None, PYTHONPYCACHEPREFIX=str(pycache))
    proc = machinectl_cmd(env, "list-boards")
    assert (proc.returncode, proc.stdout) == (0, warm[1])
    assert not (cache / "bytecode").exists()
    assert list(pycache.rglob("cli.*.pyc"))  # Python's own .pyc files, away from the sources


def test_optimized_code_is_kept_apart(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    probe(environment(cache), "machinectl.cli", flags=("-O",))
    assert cache_file(cache, PACKAGE / "cli.py", ".opt-1.pyc").exists()
    assert not cache_file(cache, PACKAGE / "cli.py").exists()


def test_importing_the_library_leaves_the_import_system_alone(cache: Path) -> None:
    shutil.rmtree(cache / "bytecode")  # the board index kept
    program = """
import sys
hooks = list(sys.path_hooks)
import machinectl
from machinectl import BoardSpec, _bytecode
from machinectl.cli import main
assert main(["list-boards"]) == 0
assert sys.path_hooks == hooks, sys.path_hooks
assert not any(
    isinstance(getattr(m, "__spec__", None) and m.__spec__.loader, _bytecode.CachedSourceLoader)
    for m in list(sys.modules.values())
)
"""
    python(environment(cache, PYTHONPYCACHEPREFIX=None), program)
    assert not (cache / "bytecode").exists()


def test_the_module_imports_nothing_the_entry_point_has_not(tmp_path: Path) -> None:
    program = """
import sys
import machinectl._entry
before = set(sys.modules)
import machinectl._bytecode
print(" ".join(sorted(set(sys.modules) - before)))
"""
    added = python(environment(tmp_path, PYTHONPYCACHEPREFIX=None), program)
    assert set(added.split()) <= {"machinectl._bytecode", "importlib.machinery"}


def test_processes_racing_on_a_cold_cache_all_succeed(
    tmp_path: Path, warm: tuple[Path, str]
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    for index in warm[0].glob("index-*"):  # the board index warm, the bytecode cold
        shutil.copy2(index, cache)
    if not MACHINECTL.exists():
        pytest.skip(f"no console script at {MACHINECTL}")
    procs = [
        subprocess.Popen(
            [str(MACHINECTL), "list-boards"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(cache),
        )
        for _ in range(4)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert (proc.returncode, out, err) == (0, warm[1], "")
    for name in LISTING:
        assert_valid(cache, PACKAGE / name)
    assert not list((cache / "bytecode").rglob("*.tmp"))
