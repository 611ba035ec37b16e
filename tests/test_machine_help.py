"""``machinectl run --target T -M help`` lists what ``qemu-system-T -M help`` lists.

For every target of every family plugin installed here, the output must equal QEMU 7.2's
(names, aliases, descriptions, ``(default)``, ``(deprecated)``, order), except for exactly:

* the machine types QEMU lists that a plugin does not ship: its ``NOT_SHIPPED`` mapping
  (name → reason), rendered in ``docs/coverage.rst``;
* the machine types a plugin ships from QEMU 5.0 that QEMU 7.2 no longer has: its
  ``QEMU_5_0_ONLY`` set.

QEMU's output is recorded in ``tests/data/machine_help_qemu72.json``::

    python3 tools/qemu_oracle.py --machine-help aarch64 alpha arm cris hppa i386 m68k mips \\
        mips64 mips64el mipsel ppc ppc64 riscv32 riscv64 s390x sparc sparc64 x86_64 \\
        --out tests/data/machine_help_qemu72.json
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

import pytest
from freshenv import clean_env
from machinectl.cli import main
from machinectl.plugins import BUILTIN, ENTRY_POINT_GROUP, create_registry

ROOT = Path(__file__).resolve().parent.parent
RECORDED = json.loads((ROOT / "tests" / "data" / "machine_help_qemu72.json").read_text())
QEMU: dict[str, list[str]] = RECORDED["targets"]


def _family_plugins() -> dict[str, ModuleType]:
    """The installed family plugins by entry-point name, each as its top-level module."""
    found = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == BUILTIN:
            continue
        found[ep.name] = importlib.import_module(ep.module.partition(".")[0])
    return found


PLUGINS = _family_plugins()
REGISTRY = create_registry(only=list(PLUGINS))


def _targets(plugin: str) -> set[str]:
    return {t for board in REGISTRY.boards if board.plugin == plugin for t in board.targets}


def _names(plugin: str, target: str) -> set[str]:
    return {
        board.name
        for board in REGISTRY.boards
        if board.plugin == plugin and board.belongs_to(target)
    }


def _listed(lines: list[str]) -> set[str]:
    """The machine types (not aliases) of ``-M help`` output lines."""
    return {line.split()[0] for line in lines[1:] if "(alias of " not in line}


def _without(lines: list[str], names: Iterable[str]) -> list[str]:
    """``-M help`` lines without those of ``names``: their own lines and their alias lines."""
    drop = set(names)
    kept = []
    for line in lines:
        first = line.split()[0]
        alias_of = line.rpartition("(alias of ")[2].rstrip(")") if "(alias of " in line else None
        if first in drop or alias_of in drop:
            continue
        kept.append(line)
    return kept


def _exceptions(target: str) -> tuple[set[str], set[str]]:
    """The not-shipped and the QEMU-5.0-only names of the plugins of ``target``."""
    not_shipped: set[str] = set()
    old: set[str] = set()
    for name, module in PLUGINS.items():
        if target in _targets(name):
            not_shipped |= set(module.NOT_SHIPPED)
            old |= set(module.QEMU_5_0_ONLY)
    return not_shipped, old


TARGETS = sorted({t for name in PLUGINS for t in _targets(name)} & set(QEMU))


def test_every_family_plugin_declares_its_exceptions() -> None:
    assert PLUGINS, "no family plugin installed"
    for name, module in PLUGINS.items():
        not_shipped: Mapping[str, str] = module.NOT_SHIPPED
        old: frozenset[str] = module.QEMU_5_0_ONLY
        assert all(isinstance(r, str) and r for r in not_shipped.values()), name
        assert isinstance(old, frozenset), name


def test_every_target_of_every_family_plugin_is_recorded() -> None:
    """A target without a recording is only one whose machine types QEMU 7.2 dropped."""
    for name, module in PLUGINS.items():
        for target in _targets(name) - set(QEMU):
            assert _names(name, target) <= module.QEMU_5_0_ONLY, (name, target)


@pytest.mark.parametrize("target", TARGETS)
def test_machine_help_equals_qemu(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    not_shipped, old = _exceptions(target)
    assert main(["run", "--target", target, "-M", "help"]) == 0
    ours = capsys.readouterr().out.splitlines()
    expected = _without(QEMU[target], not_shipped)
    assert _without(ours, old) == expected
    # The exceptions are exact: every not-shipped type is one QEMU lists and we do not, and
    # every QEMU 5.0 type is one we list and QEMU 7.2 does not.
    assert not_shipped & _listed(ours) == set()
    assert old & _listed(QEMU[target]) == set()


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_exceptions_are_current(plugin: str) -> None:
    """The lists shrink as boards are added: a stale entry fails here."""
    module = PLUGINS[plugin]
    targets = _targets(plugin)
    qemu_names = set().union(*(_listed(QEMU[t]) for t in targets if t in QEMU))
    shipped = set().union(*(_names(plugin, t) for t in targets))
    for name in module.NOT_SHIPPED:
        assert name in qemu_names, f"{plugin}: {name} is not a QEMU 7.2 machine type here"
        assert name not in shipped, f"{plugin}: {name} is shipped now; drop it from NOT_SHIPPED"
    for name in module.QEMU_5_0_ONLY:
        assert name in shipped, f"{plugin}: {name} is not shipped"
        assert name not in qemu_names, f"{plugin}: QEMU 7.2 still lists {name}"


def test_machine_help_of_the_command() -> None:
    """The installed command, with ``MACHINECTL_TARGET`` instead of ``--target``."""
    target = "ppc64"
    not_shipped, old = _exceptions(target)
    proc = subprocess.run(
        [sys.executable, "-m", "machinectl.cli", "run", "-M", "help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**_env(), "MACHINECTL_TARGET": target},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    ours = proc.stdout.splitlines()
    assert _without(ours, old) == _without(QEMU[target], not_shipped)


def test_coverage_page_renders_the_exceptions() -> None:
    text = (ROOT / "docs" / "coverage.rst").read_text()
    assert ".. machine-coverage::" in text


def _env() -> dict[str, str]:
    return clean_env()
