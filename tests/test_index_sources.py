"""The board index follows every source a plugin's answers come from, not only its modules.

Throwaway plugins are installed (editable) into a fresh virtual environment with the core: a
plugin whose own module does not exist yet, one that needs a file outside its package, and
one that reads its records from data files of its package. After each change the commands
answer from the index exactly as the library answers without one.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from freshenv import clean_env, create, plugin_project, uv

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("index-sources") / "venv"
    return create(path, [str(ROOT)], refresh=["machinectl"])


def plugin(venv: Path, where: Path, name: str, files: dict[str, str]) -> Path:
    """An editable distribution ``mctl-NAME`` with the entry point ``NAME`` naming
    ``mctl_NAME:plugin``, made of ``files`` (paths inside its package), installed into
    ``venv``; the package directory."""
    package = plugin_project(where, f"mctl-{name}", {name: f"mctl_{name}:plugin"})
    for path, text in files.items():
        (package / path).write_text(textwrap.dedent(text))
    python = str(venv / "bin" / "python")
    step = [uv(), "pip", "install", "--quiet", "--python", python, "--no-deps", "-e", str(where)]
    proc = subprocess.run(
        step, capture_output=True, text=True, env=_env(), timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return package


def _env(**extra: str) -> dict[str, str]:
    env = clean_env(PYTHONDONTWRITEBYTECODE="1", **extra)
    for name in ("VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(name, None)
    return env


def machinectl(venv: Path, cache: Path, name: str, *args: str) -> tuple[int, str, str]:
    """``machinectl ARGS`` in ``venv`` with only plugin ``name``, and its own index."""
    proc = subprocess.run(
        [str(venv / "bin" / "machinectl"), *args],
        capture_output=True,
        text=True,
        env=_env(MACHINECTL_CACHE_DIR=str(cache), MACHINECTL_PLUGINS=name),
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def listed(venv: Path, cache: Path, name: str) -> dict[str, int | None]:
    """``list-boards``: each board's default RAM size."""
    status, out, err = machinectl(venv, cache, name, "list-boards", "--json")
    assert status == 0, err
    return {row["name"]: row["default-ram-size"] for row in json.loads(out)}


def library(venv: Path, name: str, board: str) -> int:
    """The default RAM size the library gives ``board``, with no index at all."""
    code = (
        "import sys, machinectl\n"
        "with machinectl.Machine.from_argv(['-M', sys.argv[1]], allocate=False) as m:\n"
        "    print(m.state.ram_size)\n"
    )
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code, board],
        capture_output=True,
        text=True,
        env=_env(MACHINECTL_CACHE_DIR="off", MACHINECTL_PLUGINS=name),
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout)


def index_identity(cache: Path) -> list[tuple[str, int, int]]:
    """Which index files there are, and whether one was written again (a new inode)."""
    return [(p.name, p.stat().st_ino, p.stat().st_mtime_ns) for p in cache.glob("index-*.idx")]


RECORD = """\
    from machinectl import BoardFacts, BoardSpec, BoardTable, MiB
    {before}
    plugin = BoardTable([
        BoardFacts(
            spec=BoardSpec(name="{board}", family="t", targets=("xtensa",)),
            default_ram_size={size} * MiB,
            default_ram_id="{board}.ram",
        )
    ])
    """


def test_a_module_of_a_failed_plugin_written_later_is_seen(venv: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = "import mctl_pnew.later  # noqa: F401"
    package = plugin(
        venv,
        tmp_path / "pnew",
        "pnew",
        {"__init__.py": RECORD.format(before=before, board="pnew", size=16)},
    )
    for _ in range(2):  # cold, then warm
        status, out, err = machinectl(venv, cache, "pnew", "list-boards")
        assert status == 0
        assert "No module named 'mctl_pnew.later'" in err
        assert "pnew" not in out
    # A failure that has not changed is answered from the index, not rebuilt each time.
    kept = index_identity(cache)
    machinectl(venv, cache, "pnew", "list-boards")
    assert index_identity(cache) == kept
    (package / "later.py").write_text("X = 1\n")
    assert listed(venv, cache, "pnew") == {"none": 0, "pnew": 16 << 20}
    status, out, err = machinectl(venv, cache, "pnew", "run", "-M", "pnew", "--dry-run")
    assert status == 0 and not err, err
    assert library(venv, "pnew", "pnew") == 16 << 20
    # Removed again: the failure is back.
    (package / "later.py").unlink()
    status, out, err = machinectl(venv, cache, "pnew", "list-boards")
    assert "No module named 'mctl_pnew.later'" in err and "pnew" not in out


def test_a_failed_plugin_fixed_outside_its_package_is_seen(venv: Path, tmp_path: Path) -> None:
    # The import needs a file nobody watches: only trying the plugin again can tell.
    cache = tmp_path / "cache"
    needed = tmp_path / "elsewhere" / "settings.txt"
    before = f"SIZE = int(open({str(needed)!r}).read())"
    plugin(
        venv,
        tmp_path / "pout",
        "pout",
        {"__init__.py": RECORD.format(before=before, board="pout", size="SIZE")},
    )
    for _ in range(2):
        status, _, err = machinectl(venv, cache, "pout", "list-boards")
        assert status == 0 and "FileNotFoundError" in err
    # Still broken, otherwise: the new reason is reported, not the old one.
    needed.parent.mkdir()
    needed.write_text("lots")
    status, _, err = machinectl(venv, cache, "pout", "list-boards")
    assert "ValueError: invalid literal for int()" in err and "FileNotFoundError" not in err
    needed.write_text("32")
    assert listed(venv, cache, "pout") == {"none": 0, "pout": 32 << 20}
    status, _, err = machinectl(venv, cache, "pout", "run", "-M", "pout", "--dry-run")
    assert status == 0 and not err, err


def test_data_files_a_plugin_reads_are_watched(venv: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    code = """\
        import json, pathlib
        from machinectl import BoardFacts, BoardSpec, BoardTable, MiB
        HERE = pathlib.Path(__file__).parent
        plugin = BoardTable([
            BoardFacts(
                spec=BoardSpec(name=path.stem, family="d", targets=("xtensa",)),
                default_ram_size=json.loads(path.read_text())["mib"] * MiB,
                default_ram_id=f"{path.stem}.ram",
            )
            for path in sorted((HERE / "boards").glob("*.json"))
        ])
        """
    package = plugin(venv, tmp_path / "pdata", "pdata", {"__init__.py": code})
    boards = package / "boards"
    boards.mkdir()
    (boards / "da.json").write_text('{"mib": 16}')
    assert listed(venv, cache, "pdata") == {"none": 0, "da": 16 << 20}
    # An edit of a data file.
    (boards / "da.json").write_text('{"mib": 64}')
    assert listed(venv, cache, "pdata") == {"none": 0, "da": 64 << 20}
    status, out, _ = machinectl(venv, cache, "pdata", "describe", "da")
    assert status == 0 and "default RAM: 64 MiB" in out
    assert library(venv, "pdata", "da") == 64 << 20
    # An edit that keeps the size and the modification time.
    kept = (boards / "da.json").stat()
    (boards / "da.json").write_text('{"mib": 32}')
    os.utime(boards / "da.json", ns=(kept.st_atime_ns, kept.st_mtime_ns))
    assert listed(venv, cache, "pdata") == {"none": 0, "da": 32 << 20}
    # A data file added in a subdirectory, then removed.
    (boards / "db.json").write_text('{"mib": 8}')
    assert listed(venv, cache, "pdata") == {"none": 0, "da": 32 << 20, "db": 8 << 20}
    (boards / "db.json").unlink()
    assert listed(venv, cache, "pdata") == {"none": 0, "da": 32 << 20}
    # Nothing changed: the warm index is used as it is.
    kept_index = index_identity(cache)
    assert listed(venv, cache, "pdata") == {"none": 0, "da": 32 << 20}
    assert index_identity(cache) == kept_index
