"""``machinectl list-boards`` starts fast: it loads only what listing needs.

The time itself is measured by ``benchmarks/startup.py``; these tests pin down what makes
it fast, so that a change that brings the machine pipeline or a full metadata parse back into
the listing fails here.
"""

from __future__ import annotations

import email.message
import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from machinectl.plugins import _name_and_version

#: Runs a command (its arguments after the output file) in a fresh interpreter and writes the
#: names of the modules loaded before it and after it to the file.
PROBE = """
import sys
before = sorted(sys.modules)
from machinectl.cli import main
status = main(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    out.write(" ".join(before) + "\\n" + " ".join(sorted(sys.modules)))
sys.exit(status)
"""


def probe(out: Path, env: dict[str, str], *command: str) -> tuple[set[str], set[str], str]:
    """The modules loaded before and after ``machinectl COMMAND``, and what it printed."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    before, after = out.read_text().split("\n")
    return set(before.split()), set(after.split()), proc.stdout


#: What building a machine needs and listing boards does not.
PIPELINE = ("machinectl.machine", "machinectl.hostmem", "machinectl.numa", "machinectl.options")


def loaded_modules(tmp_path: Path, plugins: str | None) -> tuple[set[str], str]:
    """The modules a listing loads from a warm board index (the first run builds it)."""
    env = dict(os.environ)
    env.pop("MACHINECTL_PLUGINS", None)
    env["MACHINECTL_CACHE_DIR"] = str(tmp_path / "cache")
    if plugins is not None:
        env["MACHINECTL_PLUGINS"] = plugins
    out = tmp_path / "modules.json"
    probe(out, env, "list-boards")  # builds the index
    before, after, listing = probe(out, env, "list-boards")
    return after - before, listing


def test_core_only_listing_loads_neither_pipeline_nor_memory_model(tmp_path: Path) -> None:
    modules, listing = loaded_modules(tmp_path, "")
    assert listing.splitlines()[1].split()[0] == "none"
    absent = (*PIPELINE, "machinectl.memory", "machinectl.state", "machinectl.mapping")
    assert not modules & set(absent)
    # No distribution's metadata is parsed as an e-mail message when no plugin loads.
    assert "email.parser" not in modules
    assert "machinectl.index" in modules  # the check itself works


def test_listing_every_plugin_parses_no_metadata_and_builds_no_machine(tmp_path: Path) -> None:
    modules, listing = loaded_modules(tmp_path, None)
    assert len(listing.splitlines()) > 2
    assert not modules & set(PIPELINE)
    assert "email.parser" not in modules
    # Nor any plugin, pluggy, attrs or the metadata machinery.
    assert not modules & {"pluggy", "attr", "attrs", "importlib.metadata", "machinectl.plugins"}
    assert not [m for m in modules if m.startswith("machinectl_")]
    # Nor the standard library's costlier modules: the index is read with marshal, the
    # command line without argparse, signals through _signal (the interpreter's own start-up
    # may have loaded some of these already; only what the listing added counts).
    heavy = {"argparse", "json", "re", "enum", "signal", "contextlib", "collections", "typing"}
    assert not modules & heavy


def test_a_machine_without_nodes_or_devices_loads_no_numa_model(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MACHINECTL_")}
    env["MACHINECTL_CACHE_DIR"] = str(tmp_path / "cache")
    out = tmp_path / "modules"

    def modules(*command: str) -> set[str]:
        return probe(out, env, *command)[1]

    modules("list-boards")  # the index, warm from now on
    plain = modules("run", "--quiet", "-M", "none", "-m", "64M")
    assert "machinectl.machine" in plain and "machinectl.numa" not in plain
    assert not [m for m in plain if m.startswith("machinectl_")]  # none is built in
    # NUMA nodes load it.
    with_nodes = (
        *("run", "--quiet", "--target", "x86_64", "-M", "pc", "-m", "128M"),
        *("-object", "memory-backend-ram,id=n0,size=128M", "-numa", "node,memdev=n0"),
    )
    assert "machinectl.numa" in modules(*with_nodes)


def test_run_of_a_plain_board_imports_neither_pluggy_nor_attrs_nor_typing(tmp_path: Path) -> None:
    """Building a machine whose plugins are the core's own and plain BoardTables needs no
    validation by pluggy, no attrs (the core's records are built without it) and no typing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MACHINECTL_")}
    env["MACHINECTL_CACHE_DIR"] = str(tmp_path / "cache")
    out = tmp_path / "modules"
    probe(out, env, "list-boards")  # the index, warm from now on
    before, after, shown = probe(out, env, "run", "-M", "none", "-m", "64M")
    assert "memory backend: ram" in shown
    loaded = after - before
    assert "machinectl.machine" in loaded  # the check itself works
    heavy = {"pluggy", "attr", "attrs", "typing", "inspect", "importlib.metadata", "email"}
    assert not loaded & heavy


class _Dist(importlib.metadata.Distribution):
    """A distribution whose metadata file is given as text."""

    def __init__(self, metadata: str) -> None:
        self._text = metadata

    def read_text(self, filename: str) -> str | None:
        return self._text if filename == "METADATA" else None

    def locate_file(self, path: str | os.PathLike[str]) -> Path:
        raise NotImplementedError


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        (
            "Metadata-Version: 2.1\nName: acme\nVersion: 1.2\n\nName: not-a-header\n",
            ("acme", "1.2"),
        ),
        ("Name:  spaced-name \nVersion:2.0\nSummary: x\n", ("spaced-name", "2.0")),
        # Past the headers, or folded into another header, a "Name:" is not the name.
        ("Summary: a\n Name: folded\nName: real\nVersion: 3\n", ("real", "3")),
        # Headers that are not where the quick reader looks: importlib.metadata parses them.
        ("Metadata-Version: 2.1\nVersion: 4\n\nName: body", (None, "4")),
        # A header missing altogether is None, without the warning (or, later, the KeyError)
        # importlib.metadata gives for indexing it.
        ("Metadata-Version: 2.1\nName: nameless-version\n", ("nameless-version", None)),
        ("", (None, None)),
    ],
)
def test_name_and_version_read_from_the_metadata_head(
    metadata: str, expected: tuple[str | None, str | None]
) -> None:
    assert _name_and_version(_Dist(metadata)) == expected


class _StrictHeaders(email.message.Message):
    """Metadata headers that raise KeyError for a missing one, as announced for Python 3.15."""

    def __getitem__(self, name: str) -> str:
        if name not in self:
            raise KeyError(name)
        return str(super().__getitem__(name))


class _StrictDist(_Dist):
    @property
    def metadata(self) -> _StrictHeaders:  # type: ignore[override]
        return email.message_from_string(self._text, _class=_StrictHeaders)


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ("Metadata-Version: 2.1\nVersion: 4\n", (None, "4")),
        ("Metadata-Version: 2.1\nName: acme\nSummary: no version\n", ("acme", None)),
        ("Summary: x\n\nName: body\nVersion: body\n", (None, None)),
    ],
)
def test_name_and_version_when_a_missing_header_raises(
    metadata: str, expected: tuple[str | None, str | None]
) -> None:
    assert _name_and_version(_StrictDist(metadata)) == expected


def test_name_and_version_of_real_distributions() -> None:
    names: Iterable[str] = ("machinectl", "pluggy", "attrs")
    for name in names:
        dist = importlib.metadata.distribution(name)
        assert _name_and_version(dist) == (dist.metadata["Name"], dist.version)
    assert _name_and_version(None) == (None, None)
