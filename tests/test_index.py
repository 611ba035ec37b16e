"""The board index goes stale exactly when it must, and a damaged one is never an answer.

A fresh virtual environment with only the core is given plugins one after the other (a
regular install, an editable one, an upgrade, a removal); every command's answer must follow at
once. The environment variables that choose plugins, a damaged or truncated file, a cache
directory that cannot be written and several processes rebuilding at once are tried in the
workspace's own environment, each with a cache directory of its own.
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "board-plugin"
CLI = [sys.executable, "-m", "machinectl.cli"]


def _env(cache: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MACHINECTL_")}
    env["MACHINECTL_CACHE_DIR"] = str(cache)
    env.update(extra)
    return env


def run(
    cache: Path, *args: str, exe: list[str] | None = None, **extra: str
) -> tuple[int, str, str]:
    proc = subprocess.run(
        [*(exe or CLI), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=_env(cache, **extra),
    )
    return proc.returncode, proc.stdout, proc.stderr


def names(cache: Path, *args: str, exe: list[str] | None = None, **extra: str) -> set[str]:
    status, out, err = run(cache, "list-boards", "--json", *args, exe=exe, **extra)
    assert status == 0, err
    return {row["name"] for row in json.loads(out)}


def index_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("index-*.idx"))


# -- the workspace environment ---------------------------------------------------------------


def test_warm_index_gives_the_same_answers_as_a_cold_one(tmp_path: Path) -> None:
    cold = run(tmp_path, "list-boards", "--json")
    assert len(index_files(tmp_path)) == 1
    warm = run(tmp_path, "list-boards", "--json")
    assert cold == warm
    for args in (("describe", "raspi3b", "--json"), ("run", "-M", "help"), ("plugins",)):
        first = run(tmp_path / "other", *args)
        assert first == run(tmp_path / "other", *args), args
        assert first[0] == 0


def test_each_plugin_variable_has_its_own_index(tmp_path: Path) -> None:
    everything = names(tmp_path)
    assert {"raspi3b", "pc-i440fx-7.2", "none"} <= everything
    assert names(tmp_path, MACHINECTL_PLUGINS="") == {"none"}
    only_arm = names(tmp_path, MACHINECTL_PLUGINS="arm")
    assert "raspi3b" in only_arm and "pc-i440fx-7.2" not in only_arm
    assert names(tmp_path, MACHINECTL_ENTRY_POINT_GROUP="machinectl.tests") >= {"testboard"}
    # Back to the first answers, from their own files.
    assert names(tmp_path) == everything
    assert names(tmp_path, MACHINECTL_PLUGINS="") == {"none"}
    assert len(index_files(tmp_path)) == 4


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"garbage",
        b"00000000\n{}",
        "truncated",
        "wrong-content",
    ],
)
def test_a_damaged_index_is_rebuilt(tmp_path: Path, damage: bytes | str) -> None:
    good = names(tmp_path)
    (path,) = index_files(tmp_path)
    raw = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "wrong-content":
        # A well-formed file with a valid checksum whose content is not an index.
        import zlib

        body = json.dumps({"key": {}, "index": {"boards": 3}}).encode()
        path.write_bytes(f"{zlib.crc32(body):08x}\n".encode() + body)
    else:
        assert isinstance(damage, bytes)
        path.write_bytes(damage)
    status, out, err = run(tmp_path, "list-boards", "--json")
    assert (status, err) == (0, "")
    assert {row["name"] for row in json.loads(out)} == good
    assert path.read_bytes() == raw  # rebuilt whole


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_an_index_that_is_no_regular_file_is_replaced_without_waiting(
    tmp_path: Path, kind: str
) -> None:
    """A FIFO where the index belongs would block a reader forever: it is skipped as damaged."""
    good = names(tmp_path)
    (path,) = index_files(tmp_path)
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    status, out, err = run(tmp_path, "list-boards", "--json")  # run() has a timeout
    assert (status, err) == (0, "")
    assert {row["name"] for row in json.loads(out)} == good
    assert path.is_file() or kind == "directory"


@pytest.mark.parametrize(
    "part", [marshal.dumps([]), b"not marshal", marshal.dumps([{"x": 1}]), b"", b"[\xff"]
)
def test_a_damaged_describe_part_is_built_again(tmp_path: Path, part: bytes) -> None:
    """``describe`` reads its own part of the file, apart from the rest: a part that passed
    the checksum but is not what was written is built again from the plugins."""
    import zlib

    expected = run(tmp_path / "reference", "describe", "raspi3b", "--json")
    assert expected[0] == 0
    names(tmp_path)
    (path,) = index_files(tmp_path)
    head, _, body = path.read_bytes().partition(b"\n")
    end = 8 + int.from_bytes(body[:8], "little")
    body = body[:end] + part
    path.write_bytes(f"{zlib.crc32(body):08x}".encode() + head[8:] + b"\n" + body)
    assert run(tmp_path, "describe", "raspi3b", "--json") == expected
    # list-boards never reads that part: the file is used as it is.
    assert names(tmp_path) >= {"raspi3b"}


def test_an_unwritable_cache_directory_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    for cache in (blocker / "cache", blocker):
        status, out, err = run(cache, "list-boards")
        assert (status, err) == (0, "")
        assert "raspi3b" in out
    assert blocker.read_text() == "not a directory"
    status, out, err = run(tmp_path, "list-boards", MACHINECTL_CACHE_DIR="off")
    assert (status, err) == (0, "") and "raspi3b" in out
    assert not list(tmp_path.glob("index-*"))


def _aged(path: Path, days: float) -> None:
    past = path.stat().st_mtime - days * 86400
    os.utime(path, (past, past))


def test_index_files_nobody_can_use_are_pruned(tmp_path: Path) -> None:
    """Writing an index removes the files of environments that are gone, of an older format,
    unused for 30 days, and the temporary files of writers that died; nothing else."""
    names(tmp_path)
    (mine,) = index_files(tmp_path)
    raw = mine.read_bytes()
    head, _, body = raw.partition(b"\n")
    crc, _, owner_text = head.partition(b" ")
    owner = json.loads(owner_text)
    assert owner["prefix"] == sys.prefix and owner["executable"] == sys.executable

    def sibling(name: str, **changes: object) -> Path:
        path = tmp_path / name
        data = json.dumps({**owner, **changes}).encode()
        path.write_bytes(crc + b" " + data + b"\n" + body)
        return path

    gone_prefix = sibling("index-00000001.idx", prefix=str(tmp_path / "removed-venv"))
    gone_python = sibling("index-00000002.idx", executable=str(tmp_path / "no-python"))
    old_format = tmp_path / "index-00000003.json"  # the name and header of older formats
    old_format.write_bytes(crc + b"\n" + body)
    other_format = sibling("index-00000004.idx", format=-1)
    unused = sibling("index-00000005.idx")
    _aged(unused, 31)
    in_use = sibling("index-00000006.idx")
    _aged(in_use, 29)
    dead_writer = tmp_path / ".index-dead.tmp"
    dead_writer.write_bytes(b"partial")
    _aged(dead_writer, 2)
    live_writer = tmp_path / ".index-live.tmp"
    live_writer.write_bytes(b"partial")
    stranger = tmp_path / "notes.txt"
    stranger.write_text("not an index")

    # A warm read writes nothing and prunes nothing.
    names(tmp_path)
    assert gone_prefix.exists() and dead_writer.exists()
    # Writing another index prunes.
    names(tmp_path, MACHINECTL_PLUGINS="arm")
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {
        mine.name,
        in_use.name,
        live_writer.name,
        stranger.name,
        *(p.name for p in index_files(tmp_path) if p not in (mine, in_use)),
    }
    for path in (gone_prefix, gone_python, old_format, other_format, unused, dead_writer):
        assert not path.exists(), path
    assert len(index_files(tmp_path)) == 3  # mine, in_use and the new one for arm


def test_an_index_in_use_is_kept_fresh_for_pruning(tmp_path: Path) -> None:
    names(tmp_path)
    (path,) = index_files(tmp_path)
    _aged(path, 29.5)
    before = path.stat().st_mtime
    names(tmp_path)  # read warm: its modification time is refreshed
    assert path.stat().st_mtime > before + 29 * 86400
    mtime = path.stat().st_mtime
    names(tmp_path)  # refreshed at most once a day
    assert path.stat().st_mtime == mtime


def test_processes_rebuilding_at_once_all_answer_and_leave_one_whole_file(
    tmp_path: Path,
) -> None:
    procs = [
        subprocess.Popen(
            [*CLI, "list-boards", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(tmp_path),
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len({out for out, _ in outputs}) == 1
    assert all(err == b"" for _, err in outputs)
    assert len(index_files(tmp_path)) == 1
    assert not list(tmp_path.glob(".index-*"))  # no temporary file left
    assert names(tmp_path) == {row["name"] for row in json.loads(outputs[0][0])}


def test_plugin_failures_are_reported_from_a_warm_index(tmp_path: Path) -> None:
    group = {"MACHINECTL_ENTRY_POINT_GROUP": "machinectl.tests.hostile"}
    first = run(tmp_path, "list-boards", **group)
    second = run(tmp_path, "list-boards", **group)
    assert first == second
    assert "skipped" in second[2]
    # Every command answers from the warm index exactly as without any index.
    for args in (
        ("run", "-M", "testboard", "--dry-run"),
        ("run", "-M", "testboard", "-m", "1G", "--json", "--dry-run"),
        ("describe", "testboard"),
        ("plugins", "--json"),
        ("run", "-M", "help"),
    ):
        warm = run(tmp_path, *args, **group)
        assert warm == run(tmp_path, *args, **group, MACHINECTL_CACHE_DIR="off"), args
    assert "skipped" in run(tmp_path, "describe", "testboard", **group)[2]
    strict = run(tmp_path, "list-boards", MACHINECTL_STRICT="1", **group)
    assert strict[0] == 1 and strict[2].count("\n") == 1


def test_run_loads_only_the_plugin_of_its_board(tmp_path: Path) -> None:
    probe = (
        "import json, sys\n"
        "from machinectl.cli import main\n"
        "status = main(sys.argv[2:])\n"
        "open(sys.argv[1], 'w').write(json.dumps(sorted(sys.modules)))\n"
        "sys.exit(status)\n"
    )
    out = tmp_path / "modules.json"

    def modules(*args: str) -> set[str]:
        status, _, err = run(tmp_path, str(out), *args, exe=[sys.executable, "-c", probe])
        assert status == 0, err
        return set(json.loads(out.read_text()))

    modules("list-boards")  # builds the index
    listing = modules("list-boards")
    heavy = {"pluggy", "attr", "attrs", "importlib.metadata", "email", "zipfile"}
    assert not listing & heavy
    assert not {m for m in listing if m.startswith("machinectl_")}
    arm = modules("run", "-M", "raspi3b", "-m", "1G", "--dry-run")
    assert "machinectl_arm" in arm
    assert not {m for m in arm if m.startswith("machinectl_") and m != "machinectl_arm"} - {
        m for m in arm if m.startswith("machinectl_arm.")
    }
    assert not arm & {"importlib.metadata", "email", "zipfile", "csv"}


# -- a fresh environment ---------------------------------------------------------------------


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is needed to build a fresh environment")
    return uv


def _uv_run(*args: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    proc = subprocess.run(
        [_uv(), *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert proc.returncode == 0, f"{args}\n{proc.stdout}{proc.stderr}"


@pytest.mark.slow
def test_installs_upgrades_edits_and_removals_are_seen_at_once(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = str(venv / "bin" / "python")
    _uv_run("venv", "--quiet", "--python", sys.executable, str(venv))
    _uv_run(
        "pip",
        "install",
        "--quiet",
        "--python",
        python,
        "--refresh-package",
        "machinectl",
        str(ROOT),
    )
    exe = [str(venv / "bin" / "machinectl")]
    cache = tmp_path / "cache"
    assert names(cache, exe=exe) == {"none"}
    # An editable install of a plugin: listed, then edits to its records are seen.
    plugin = tmp_path / "acme"
    shutil.copytree(EXAMPLE, plugin, ignore=shutil.ignore_patterns("tests", "*.egg-info"))
    _uv_run("pip", "install", "--quiet", "--python", python, "--no-deps", "-e", str(plugin))
    assert names(cache, exe=exe) == {"none", "widget-1.0"}
    source = plugin / "src" / "machinectl_acme" / "__init__.py"
    text = source.read_text()
    assert '"widget-1.0"' in text
    source.write_text(text.replace('"widget-1.0"', '"widget-2.0"'))
    assert names(cache, exe=exe) == {"none", "widget-2.0"}
    # A plugin that fails to import, then is fixed: the fix is seen (its files are watched
    # although none of its modules could be loaded).
    fixed = source.read_text()
    source.write_text(fixed + '\nraise ImportError("broken on purpose")\n')
    status, out, err = run(cache, "list-boards", exe=exe)
    assert status == 0 and "broken on purpose" in err and "widget-2.0" not in out
    source.write_text(fixed)
    assert names(cache, exe=exe) == {"none", "widget-2.0"}
    # An edit that keeps the size and the modification time (cp -p, touch -r) is seen too.
    kept = source.stat()
    source.write_text(fixed.replace('"widget-2.0"', '"widget-4.0"'))
    os.utime(source, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    assert source.stat().st_size == kept.st_size
    assert names(cache, exe=exe) == {"none", "widget-4.0"}
    source.write_text(fixed)
    # A regular install replacing it (an upgrade of the same distribution), then a removal.
    source.write_text(text.replace('"widget-1.0"', '"widget-3.0"'))
    _uv_run(
        "pip", "install", "--quiet", "--python", python, "--no-deps", "--reinstall", str(plugin)
    )
    assert names(cache, exe=exe) == {"none", "widget-3.0"}
    _uv_run("pip", "uninstall", "--quiet", "--python", python, "machinectl-acme")
    assert names(cache, exe=exe) == {"none"}
