"""Set-up shared by every test of the repository (the core's, the plugins' and the examples').

The board index of every command the tests run goes to a cache directory of the test session,
removed at its end: a test run leaves nothing in the user's own cache. With
``PYTHONDONTWRITEBYTECODE`` set, a run that leaves bytecode in the source tree (a test that
started a process without the variable) fails, naming the directories. With
``MACHINECTL_TEST_TIMES=FILE`` the seconds each test file took are written to FILE as JSON
(``.ci/run`` plans the runs of the other interpreters with them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_CACHE = "MACHINECTL_CACHE_DIR"
_saved: list[tuple[str | None, str]] = []
_ROOT = Path(__file__).resolve().parent
#: The source trees of the repository (not its environments).
_SOURCES = ("core", "plugins", "tests", "examples", "tools", "benchmarks")
_bytecode_before: set[Path] = set()
_file_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::", 1)[0]
    _file_seconds[path] = _file_seconds.get(path, 0.0) + report.duration


def _bytecode_dirs() -> set[Path]:
    found = set()
    for top in _SOURCES:
        for folder, subfolders, _ in os.walk(_ROOT / top):
            if "__pycache__" in subfolders:
                found.add(Path(folder, "__pycache__"))
            subfolders[:] = [d for d in subfolders if not d.startswith(".")]
    return found


def pytest_configure(config: pytest.Config) -> None:
    directory = tempfile.mkdtemp(prefix="machinectl-test-cache-")
    _saved.append((os.environ.get(_CACHE), directory))
    os.environ[_CACHE] = directory
    _bytecode_before.update(_bytecode_dirs())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    times = os.environ.get("MACHINECTL_TEST_TIMES")
    if times:
        import json

        Path(times).write_text(json.dumps(_file_seconds, indent=1, sort_keys=True))
    if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return
    written = sorted(_bytecode_dirs() - _bytecode_before)
    if written:
        names = ", ".join(str(path.relative_to(_ROOT)) for path in written)
        print(f"\nbytecode written into the source tree despite PYTHONDONTWRITEBYTECODE: {names}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    while _saved:
        previous, directory = _saved.pop()
        if previous is None:
            os.environ.pop(_CACHE, None)
        else:
            os.environ[_CACHE] = previous
        shutil.rmtree(directory, ignore_errors=True)
