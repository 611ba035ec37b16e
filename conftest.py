"""Set-up shared by every test of the repository (the core's, the plugins' and the examples').

The board index of every command the tests run goes to a cache directory of the test session,
removed at its end: a test run leaves nothing in the user's own cache.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_CACHE = "MACHINECTL_CACHE_DIR"
_saved: list[tuple[str | None, str]] = []


def pytest_configure(config: pytest.Config) -> None:
    directory = tempfile.mkdtemp(prefix="machinectl-test-cache-")
    _saved.append((os.environ.get(_CACHE), directory))
    os.environ[_CACHE] = directory


def pytest_unconfigure(config: pytest.Config) -> None:
    while _saved:
        previous, directory = _saved.pop()
        if previous is None:
            os.environ.pop(_CACHE, None)
        else:
            os.environ[_CACHE] = previous
        shutil.rmtree(directory, ignore_errors=True)
