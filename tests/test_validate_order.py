"""The order of ``validate_ram``: the board's own rules, then site policies by tier and message.

The policies are real plugins of the installed test distribution (entry-point group
``machinectl.tests.policies``: ``a-quota``, ``b-audit``, ``z-cap``); the board rule is
``testboard``'s ``Invalid RAM size, should be 64 MiB``. Whatever the names the plugins are
registered under and whatever order they are registered in, a user gets the same message.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from freshenv import clean_env
from machinectl import GiB, Machine, MachineError, MiB, Registry, create_registry
from machinectl_testplugins import good, policies

GROUP = "machinectl.tests.policies"
BOARD_RULE = "Invalid RAM size, should be 64 MiB"
POLICIES = {"quota": policies.quota, "audit": policies.audit, "cap": policies.cap}


def refusal(registry: Registry, board: str, size: int) -> str | None:
    """The message a dry run of ``-M board -m size`` is refused with (None: accepted)."""
    try:
        Machine.create(board, size, registry=registry, allocate=False).close()
    except MachineError as exc:
        return str(exc)
    return None


def registries() -> list[tuple[str, Registry]]:
    """The same plugins under every order of registration and two sets of names."""
    made = [("entry points", create_registry(group=GROUP, strict=True))]
    for order in itertools.permutations(POLICIES):
        for prefix in ("", "zz-"):
            plugins = [("testboards", good.plugin)]
            # The board's plugin registered last as well as first: it still checks first.
            named = [(f"{prefix}{name}", POLICIES[name]) for name in order]
            for listing in (plugins + named, named + plugins):
                made.append(
                    (
                        f"{'+'.join(n for n, _ in listing)}",
                        create_registry(load_entrypoints=False, plugins=listing, strict=True),
                    )
                )
    return made


REGISTRIES = registries()


@pytest.mark.parametrize(("how", "registry"), REGISTRIES, ids=[how for how, _ in REGISTRIES])
def test_the_same_refusal_whatever_the_names_and_order(how: str, registry: Registry) -> None:
    # The board refuses every size but 64 MiB: its message comes first, before any policy's.
    for size in (32 * MiB, 768 * MiB, 1536 * MiB, 4 * GiB):
        assert refusal(registry, "testboard", size) == BOARD_RULE
    assert refusal(registry, "testboard", 64 * MiB) is None
    # No board rule: the policies decide, by tier (tryfirst first), then by message.
    assert refusal(registry, "testnuma", 512 * MiB) is None
    assert refusal(registry, "testnuma", 768 * MiB) == "site quota: at most 512 MiB per machine"
    # quota and cap both refuse, in the same tier: the message that sorts first is given.
    assert refusal(registry, "testnuma", 1536 * MiB) == "site policy: at most 1 GiB of guest RAM"
    # audit is tryfirst: its tier is asked before the plain one.
    assert (
        refusal(registry, "testnuma", 4 * GiB) == "site audit: machines above 2 GiB need approval"
    )


def test_policies_apply_to_the_cores_own_board() -> None:
    registry = create_registry(group=GROUP, strict=True)
    assert refusal(registry, "none", 4 * GiB) == "site audit: machines above 2 GiB need approval"
    assert refusal(registry, "none", 256 * MiB) is None


def test_the_command_line_prints_the_board_message() -> None:
    """``machinectl run`` with the policies installed: one line, the board's, exit status 1."""
    proc = subprocess.run(
        [sys.executable, "-m", "machinectl.cli", "run", "-M", "testboard", "-m", "4G"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean_env(MACHINECTL_ENTRY_POINT_GROUP=GROUP),
    )
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == f"machinectl: {BOARD_RULE}\n"
