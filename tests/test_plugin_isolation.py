"""Plugin isolation: misbehaving plugins are named, skipped or refused, and the rest works.

The plugins are real entry points of the installed ``machinectl-testplugins`` distribution,
group ``machinectl.tests.hostile`` (``tests/plugins/testplugins``): ones that fail to import or
to construct, exit, raise in each hook, return the wrong type from each hook, declare a board
twice or one that is taken, pass half of pluggy's validation, or declare a board after loading.
The command line selects the group with ``MACHINECTL_ENTRY_POINT_GROUP``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from freshenv import clean_env
from machinectl import Machine, MachineError, MiB, PluginError, Registry, create_registry

GROUP = "machinectl.tests.hostile"
DIST = "(machinectl-testplugins 0.0.1)"
#: Every plugin of the group except h-rogue, which breaks every board on purpose.
ALL_BUT_ROGUE = [
    "testboards",
    "h-import-error",
    "h-import-exit",
    "h-constructor",
    "h-register-raises",
    "h-register-midway",
    "h-register-wrong",
    "h-declares-twice",
    "h-claims-none",
    "h-half-valid",
    "h-raising",
    "h-wrong-type",
    "h-exiting",
    "h-late",
]
#: Plugins skipped at load time, and a piece of the reason each one gets.
SKIPPED = {
    "h-import-error": "RuntimeError: this plugin breaks while being imported",
    "h-import-exit": "SystemExit: this plugin exits when imported",
    "h-constructor": "RuntimeError: cannot construct the plugin",
    "h-register-raises": "RuntimeError: cannot list my boards",
    "h-register-midway": "RuntimeError: failed after the first board",
    "h-register-wrong": "register_boards returned str, expected BoardSpec",
    "h-declares-twice": "machine type 'twice' is declared twice",
    "h-claims-none": (
        "machine type 'none' is declared for target 'hostile' by both builtin (machinectl "
    ),
    "h-half-valid": "PluginValidationError: Plugin 'h-half-valid' for hook 'validate_ram'",
}
HOOKS = [
    "default_ram_size",
    "default_ram_id",
    "fixup_ram_size",
    "validate_ram",
    "init_board",
    "describe_board",
]
CLI = [sys.executable, "-m", "machinectl.cli"]


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Registry:
    monkeypatch.setenv("MACHINECTL_PLUGINS", ",".join(ALL_BUT_ROGUE))
    monkeypatch.delenv("MACHINECTL_STRICT", raising=False)
    return create_registry(group=GROUP)


def cli(
    *args: str, plugins: list[str] | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = clean_env()
    environment["MACHINECTL_ENTRY_POINT_GROUP"] = GROUP
    environment["MACHINECTL_PLUGINS"] = ",".join(ALL_BUT_ROGUE if plugins is None else plugins)
    environment.update(env)
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=60, check=False, env=environment
    )


def exercise(registry: Registry, board: str, hook: str) -> None:
    """Make the registry call ``hook`` for ``board``, as the command line would."""
    if hook == "describe_board":
        registry.describe_board(registry.board(board))
        return
    # Without -m the default size is asked for; the rest of the pipeline asks the others.
    with Machine.from_argv(["-M", board], registry=registry, allocate=False):
        pass


# -- loading ---------------------------------------------------------------------------------


def test_every_failure_at_load_is_reported_with_its_distribution(hostile: Registry) -> None:
    failures = {f.name: f for f in hostile.failures}
    assert set(failures) == set(SKIPPED)
    for name, reason in SKIPPED.items():
        failure = failures[name]
        assert (failure.distribution, failure.version) == ("machinectl-testplugins", "0.0.1")
        assert reason in failure.error, failure.error
        assert str(failure).startswith(f"plugin {name} {DIST} skipped: ")
        assert "\n" not in str(failure)


def test_nothing_of_a_skipped_plugin_stays(hostile: Registry) -> None:
    # The first board of h-register-midway, the board of h-declares-twice ...
    assert "midway-first" not in {b.name for b in hostile.boards}
    assert "twice" not in {b.name for b in hostile.boards}
    # ... and the hooks: h-claims-none and h-half-valid would answer 1 byte for every board.
    assert hostile.board("none").plugin == "builtin"
    assert hostile.default_ram_size(hostile.board("none")) == 0
    assert hostile.default_ram_size(hostile.board("testboard")) == 64 * MiB
    loaded = {p.name for p in hostile.plugins()}
    assert loaded == {"builtin", "testboards", "h-raising", "h-wrong-type", "h-exiting", "h-late"}


def test_strict_mode_makes_the_first_failure_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MACHINECTL_PLUGINS", ",".join(ALL_BUT_ROGUE))
    with pytest.raises(PluginError) as info:
        create_registry(group=GROUP, strict=True)
    assert str(info.value).startswith(f"plugin h-claims-none {DIST} skipped: ")
    monkeypatch.setenv("MACHINECTL_STRICT", "1")
    with pytest.raises(PluginError):
        create_registry(group=GROUP)
    # Only the good plugin: strict mode has nothing to complain about.
    monkeypatch.setenv("MACHINECTL_PLUGINS", "testboards")
    assert create_registry(group=GROUP).failures == []


def test_the_group_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MACHINECTL_ENTRY_POINT_GROUP", GROUP)
    monkeypatch.setenv("MACHINECTL_PLUGINS", "testboards,h-raising")
    registry = create_registry()
    assert {p.name for p in registry.plugins()} == {"builtin", "testboards", "h-raising"}
    assert "pc" not in {b.name for b in registry.boards}
    # An explicit group wins over the environment.
    assert "testboard" not in {
        b.name for b in create_registry(group="machinectl.no-such-group").boards
    }


# -- misbehaving hooks ---------------------------------------------------------------------


def _board(prefix: str, hook: str) -> str:
    return f"{prefix}-{hook.replace('_', '-')}"


WRONG = {
    "default_ram_size": "returned '64M', expected a size in bytes",
    "default_ram_id": "returned 5, expected a non-empty string",
    "fixup_ram_size": "returned -1, expected a size in bytes",
    "validate_ram": "returned MachineError('returned instead of raised'), expected None "
    "(raise MachineError to refuse)",
    "init_board": "returned 'done', expected True or None",
    "describe_board": "returned 42, expected a list of lines",
}


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize("prefix", ["raise", "wrong", "exit"])
def test_a_hook_that_misbehaves_is_a_plugin_error_naming_the_plugin(
    hostile: Registry, prefix: str, hook: str
) -> None:
    board = _board(prefix, hook)
    with pytest.raises(PluginError) as info:
        exercise(hostile, board, hook)
    plugin = {"raise": "h-raising", "wrong": "h-wrong-type", "exit": "h-exiting"}[prefix]
    if prefix == "wrong":
        expected = f"{hook} for '{board}' {WRONG[hook]} (answered by plugin {plugin} {DIST})"
    else:
        cause = "SystemExit: 7" if prefix == "exit" else f"RuntimeError: {hook} is broken"
        expected = f"plugin {plugin} {DIST} failed in {hook} for '{board}': {cause}"
    assert str(info.value) == expected
    # The other boards, of the same plugin and of the others, keep working.
    if hook != "describe_board":
        exercise(hostile, _board(prefix, "describe_board"), "validate_ram")
    assert hostile.describe_board(hostile.board(_board(prefix, "validate_ram")))
    for other in ("testboard", "none"):
        exercise(hostile, other, "validate_ram")
        assert hostile.describe_board(hostile.board(other))
    with Machine.from_argv(["-M", "testboard"], registry=hostile) as machine:
        assert machine.ram is not None and machine.ram.size == 64 * MiB


def test_a_board_declared_after_loading_is_never_seen(hostile: Registry) -> None:
    exercise(hostile, "late-first", "default_ram_size")  # the plugin appends late-second now
    with pytest.raises(MachineError, match=r"^unsupported machine type$"):
        hostile.board("late-second")
    (late,) = [p for p in hostile.plugins() if p.name == "h-late"]
    assert late.boards == ("late-first",)


def test_a_plugin_that_breaks_every_board_is_the_one_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MACHINECTL_PLUGINS", "testboards,h-rogue")
    registry = create_registry(group=GROUP)
    for board in ("testboard", "none"):
        with pytest.raises(PluginError) as info:
            exercise(registry, board, "validate_ram")
        assert str(info.value) == (
            f"plugin h-rogue {DIST} failed in validate_ram for '{board}': KeyError: 'rogue'"
        )
    # The way out: leave it out.
    monkeypatch.setenv("MACHINECTL_PLUGINS", "testboards")
    exercise(create_registry(group=GROUP), "testboard", "validate_ram")


# -- the command line ------------------------------------------------------------------------


def _warnings(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    assert all(line.startswith("machinectl: warning: ") for line in lines), stderr
    return [line.removeprefix("machinectl: warning: ") for line in lines]


def test_list_boards_lists_every_board_and_reports_every_failure() -> None:
    proc = cli("list-boards", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    assert rows["testboard"]["default-ram-size"] == 64 * MiB
    assert rows["raise-validate-ram"]["default-ram-size"] == 64 * MiB
    for board in ("raise-default-ram-size", "wrong-default-ram-id", "exit-default-ram-size"):
        assert rows[board]["default-ram-size"] is None
    warnings = _warnings(proc.stderr)
    for name in SKIPPED:
        assert any(w.startswith(f"plugin {name} {DIST} skipped: ") for w in warnings), name
    broken = [w for w in warnings if "skipped" not in w]
    assert len(broken) == 6  # default_ram_size and default_ram_id of each misbehaving plugin
    assert all(DIST in w for w in broken)
    text = cli("list-boards")
    assert text.returncode == 0 and "Traceback" not in text.stderr
    assert any(
        line.split()[:3] == ["raise-default-ram-size", "-", "hostile"]
        for line in text.stdout.splitlines()
    )


def test_plugins_command_reports_loaded_and_failed() -> None:
    proc = cli("plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {f["name"] for f in data["failed"]} == set(SKIPPED)
    assert all(f["distribution"] == "machinectl-testplugins" for f in data["failed"])
    assert "h-raising" in {p["name"] for p in data["plugins"]}
    text = cli("plugins")
    assert text.returncode == 0
    assert sum(line.startswith("failed: plugin ") for line in text.stdout.splitlines()) == 9


@pytest.mark.parametrize(
    ("args", "status", "line"),
    [
        (["run", "-M", "testboard", "--dry-run"], 0, None),
        (
            ["run", "-M", "raise-init-board"],
            1,
            f"plugin h-raising {DIST} failed in init_board for 'raise-init-board': "
            "RuntimeError: init_board is broken",
        ),
        (
            ["run", "-M", "exit-validate-ram", "--dry-run"],
            1,
            f"plugin h-exiting {DIST} failed in validate_ram for 'exit-validate-ram': "
            "SystemExit: 7",
        ),
        (
            ["describe", "wrong-describe-board"],
            1,
            f"describe_board for 'wrong-describe-board' returned 42, expected a list of lines "
            f"(answered by plugin h-wrong-type {DIST})",
        ),
        (["describe", "raise-validate-ram"], 0, None),
    ],
)
def test_run_and_describe(args: list[str], status: int, line: str | None) -> None:
    proc = cli(*args, plugins=["testboards", "h-raising", "h-wrong-type", "h-exiting"])
    assert proc.returncode == status, proc.stderr
    if line is None:
        assert proc.stderr == ""
    else:
        assert proc.stderr == f"machinectl: {line}\n"


def test_strict_mode_on_the_command_line() -> None:
    proc = cli("list-boards", MACHINECTL_STRICT="1")
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"machinectl: plugin h-claims-none {DIST} skipped: ")
    assert proc.stderr.count("\n") == 1
    # A board whose hook fails is an error in strict mode too.
    proc = cli("list-boards", plugins=["testboards", "h-raising"], MACHINECTL_STRICT="1")
    assert proc.returncode == 1
    assert proc.stderr == (
        f"machinectl: plugin h-raising {DIST} failed in default_ram_id for "
        "'raise-default-ram-id': RuntimeError: default_ram_id is broken\n"
    )
    assert cli("list-boards", plugins=["testboards"], MACHINECTL_STRICT="1").returncode == 0


def test_no_plugins_at_all() -> None:
    proc = cli("list-boards", "--json", plugins=[])
    assert proc.returncode == 0 and proc.stderr == ""
    assert [row["name"] for row in json.loads(proc.stdout)] == ["none"]
