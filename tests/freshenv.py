"""Environments for tests that run machinectl as a user would.

:func:`clean_env` is the process environment without any ``MACHINECTL_`` setting of the caller
(the test session's index directory excepted, so that nothing is written to the user's cache).
:func:`create` builds a fresh virtual environment with uv and installs the given
distributions into it from the working tree, as a third party installs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_KEPT = ("MACHINECTL_CACHE_DIR",)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment with no ``MACHINECTL_`` variable but the index directory, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MACHINECTL_") or k in _KEPT}
    env.update(extra)
    return env


def user_env() -> dict[str, str]:
    """:func:`clean_env` outside any activated environment, strict about plugins that fail to
    load (an error here, not a warning), and without bytecode written."""
    env = clean_env(MACHINECTL_STRICT="1", PYTHONDONTWRITEBYTECODE="1")
    for name in ("VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(name, None)
    return env


def uv() -> str:
    """The uv that runs the tests (``uv run`` says where it is), else the one on PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    if found is None:
        pytest.fail("uv is needed to build a fresh environment (https://docs.astral.sh/uv/)")
    return found


def create(path: Path, sources: Sequence[str], refresh: Sequence[str]) -> Path:
    """A new virtual environment at ``path`` with ``sources`` installed (paths, with extras).

    ``refresh`` names the distributions to rebuild from the working tree, never from a wheel
    cached for older sources.
    """
    tool, env = uv(), user_env()
    python = str(path / "bin" / "python")
    refreshing = [arg for name in refresh for arg in ("--refresh-package", name)]
    steps = [
        [tool, "venv", "--quiet", "--python", sys.executable, str(path)],
        [tool, "pip", "install", "--quiet", "--python", python, *refreshing, *sources],
    ]
    for step in steps:
        proc = subprocess.run(
            step, capture_output=True, text=True, env=env, timeout=300, check=False
        )
        assert proc.returncode == 0, f"{' '.join(step)}\n{proc.stdout}{proc.stderr}"
    return path


def machinectl(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``machinectl ARGS`` from the environment ``venv``."""
    return subprocess.run(
        [str(venv / "bin" / "machinectl"), *args],
        capture_output=True,
        text=True,
        env=user_env(),
        timeout=60,
        check=False,
    )


def plugin_project(where: Path, distribution: str, entry_points: Mapping[str, str]) -> Path:
    """Write the ``pyproject.toml`` of a plugin distribution at ``where`` (hatchling, its
    package under ``src/``, depending on machinectl, with ``entry_points`` in the group
    ``machinectl``); returns the package directory, created."""
    package = where / "src" / distribution.replace("-", "_")
    package.mkdir(parents=True)
    points = "".join(f'{name} = "{value}"\n' for name, value in entry_points.items())
    (where / "pyproject.toml").write_text(
        f"""[project]
name = "{distribution}"
version = "0.1.0"
dependencies = ["machinectl"]

[project.entry-points.machinectl]
{points}
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["src/{package.name}"]
"""
    )
    return package
