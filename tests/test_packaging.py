"""Every distribution of the repository declares the same supported Python versions.

The core, each board plugin and the example plugin say the same ``requires-python`` and the same
``Programming Language :: Python :: 3.X`` classifiers, which run without a gap from the lowest
version ``requires-python`` allows, and the README names the same versions.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECTS = sorted(
    [
        ROOT / "pyproject.toml",
        ROOT / "examples" / "board-plugin" / "pyproject.toml",
        *(ROOT / "plugins").glob("*/pyproject.toml"),
    ]
)
VERSION_CLASSIFIER = re.compile(r"Programming Language :: Python :: (3\.\d+)")


def project(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        table: dict[str, Any] = tomllib.load(f)["project"]
    return table


def versions(path: Path) -> list[str]:
    found = (VERSION_CLASSIFIER.fullmatch(c) for c in project(path).get("classifiers", []))
    return [m.group(1) for m in found if m]


def test_every_plugin_distribution_is_checked() -> None:
    assert len(PYPROJECTS) >= 3
    assert all((p.parent / "src").is_dir() for p in PYPROJECTS if p.parent != ROOT)


@pytest.mark.parametrize("path", PYPROJECTS, ids=lambda p: str(p.parent.relative_to(ROOT)))
def test_the_same_python_versions_everywhere(path: Path) -> None:
    root = project(ROOT / "pyproject.toml")
    assert project(path)["requires-python"] == root["requires-python"]
    assert versions(path) == versions(ROOT / "pyproject.toml")
    assert "Programming Language :: Python :: 3 :: Only" in project(path)["classifiers"]


def test_the_classifiers_start_at_requires_python_and_have_no_gap() -> None:
    root = project(ROOT / "pyproject.toml")
    lowest = re.fullmatch(r">=\s*3\.(\d+)", root["requires-python"])
    assert lowest is not None
    minors = [int(v.split(".")[1]) for v in versions(ROOT / "pyproject.toml")]
    assert minors == list(range(int(lowest.group(1)), int(lowest.group(1)) + len(minors)))
    assert len(minors) >= 2


def test_the_readme_names_the_supported_versions() -> None:
    *earlier, last = versions(ROOT / "pyproject.toml")
    readme = (ROOT / "README.md").read_text()
    assert f"CPython {', '.join(earlier)} and {last}," in readme
