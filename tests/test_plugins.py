"""Plugin loading: real entry points of real installed distributions, failures isolated."""

from __future__ import annotations

import importlib.metadata
import re
from typing import Any

import pytest
from machinectl import (
    BoardFacts,
    BoardSpec,
    BoardTable,
    MachineError,
    MiB,
    PluginError,
    create_registry,
    hookimpl,
)
from machinectl.state import MachineState

TEST_GROUP = "machinectl.tests"


def test_builtin_none_comes_through_the_hooks() -> None:
    registry = create_registry(load_entrypoints=False)
    board = registry.board("none")
    assert board.plugin == "builtin"
    assert board.distribution == "machinectl"
    assert registry.default_ram_size(board) == 0  # 0 is a result, not "defer"
    assert registry.default_ram_id(board) == "ram"


def test_test_distribution_is_really_installed() -> None:
    dist = importlib.metadata.distribution("machinectl-testplugins")
    names = {ep.name for ep in dist.entry_points if ep.group == TEST_GROUP}
    assert names == {"testboards", "broken-import", "unknown-hook", "x-clash"}


def test_entry_points_load_one_by_one_and_failures_are_reported() -> None:
    registry = create_registry(group=TEST_GROUP)
    assert "testboard" in {b.name for b in registry.boards}
    assert registry.board("testnuma").name == "testnuma-1.0"
    failures = {f.name: f for f in registry.failures}
    assert set(failures) == {"broken-import", "unknown-hook", "x-clash"}
    broken = failures["broken-import"]
    assert broken.distribution == "machinectl-testplugins"
    assert broken.version == "0.0.1"
    assert "this plugin needs a library" in broken.error
    assert "default_ram_sizes" in failures["unknown-hook"].error
    clash = failures["x-clash"].error
    assert "'testboard'" in clash and "testboards" in clash and "x-clash" in clash
    # Nothing of a skipped plugin stays registered: its other board is absent too.
    assert "clashfree" not in {b.name for b in registry.boards}
    assert {p.name for p in registry.plugins()} == {"builtin", "testboards"}


def test_restriction_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MACHINECTL_PLUGINS", "testboards")
    registry = create_registry(group=TEST_GROUP)
    assert registry.failures == []
    assert {b.name for b in registry.boards} == {"none", "testboard", "testnuma-1.0"}
    monkeypatch.setenv("MACHINECTL_PLUGINS", "")
    assert {b.name for b in create_registry(group=TEST_GROUP).boards} == {"none"}


def test_strict_mode_turns_failures_into_errors() -> None:
    with pytest.raises(PluginError, match="broken-import"):
        create_registry(group=TEST_GROUP, strict=True)


def test_two_registries_do_not_interfere() -> None:
    extra = BoardTable(
        [BoardFacts(spec=BoardSpec(name="only-here"), default_ram_size=MiB, default_ram_id="r")]
    )
    first = create_registry(load_entrypoints=False, plugins=[("extra", extra)])
    second = create_registry(load_entrypoints=False)
    assert "only-here" in {b.name for b in first.boards}
    assert "only-here" not in {b.name for b in second.boards}
    with pytest.raises(MachineError, match=r"^unsupported machine type$"):
        second.board("only-here")


class SitePolicy:
    """A site-policy plugin: vetoes any board above 64 MiB, whoever provides it."""

    @hookimpl
    def validate_ram(self, machine: MachineState) -> None:
        if machine.ram_size > 64 * MiB:
            raise MachineError("site policy: at most 64 MiB per machine")


def test_validate_ram_runs_every_implementation() -> None:
    from machinectl import Machine

    registry = create_registry(group=TEST_GROUP, plugins=[("policy", SitePolicy())])
    with pytest.raises(MachineError, match="site policy"):
        Machine.from_argv(["-M", "none", "-m", "128M"], registry=registry, allocate=False)
    # The board's own rule still applies too.
    with pytest.raises(MachineError, match="Invalid RAM size, should be 64 MiB"):
        Machine.from_argv(["-M", "testboard", "-m", "32M"], registry=registry, allocate=False)


def test_a_plugin_added_after_machines_were_built_takes_part_in_the_next() -> None:
    """What a registry worked out about its hooks for one machine is not kept past a plugin
    added later: the next machine asks the new plugin too."""
    from machinectl import Machine

    registry = create_registry(load_entrypoints=False)
    for _ in range(2):
        Machine.from_argv(["-M", "none", "-m", "128M"], registry=registry, allocate=False)
    assert registry.default_ram_size(registry.board("none")) == 0
    assert registry.add(SitePolicy(), "policy")
    assert registry.add(Override(), "override")
    with pytest.raises(MachineError, match="site policy"):
        Machine.from_argv(["-M", "none", "-m", "128M"], registry=registry, allocate=False)
    assert registry.default_ram_size(registry.board("none")) == 32 * MiB
    # A plugin that cannot be added leaves the hooks as they were.
    assert not registry.add(Override(), "override")
    assert registry.default_ram_size(registry.board("none")) == 32 * MiB


class Override:
    """Answers before the built-in fallbacks: defaults are overridable."""

    @hookimpl(tryfirst=True)
    def default_ram_size(self, board: object) -> int:
        return 32 * MiB


def test_builtin_defaults_are_overridable() -> None:
    registry = create_registry(load_entrypoints=False, plugins=[("override", Override())])
    assert registry.default_ram_size(registry.board("none")) == 32 * MiB


class Exploding:
    @hookimpl
    def validate_ram(self, machine: MachineState) -> None:
        raise ZeroDivisionError("boom")


def test_a_plugin_bug_becomes_a_plugin_error() -> None:
    from machinectl import Machine

    registry = create_registry(load_entrypoints=False, plugins=[("exploding", Exploding())])
    with pytest.raises(PluginError, match="failed in validate_ram for 'none': ZeroDivisionError"):
        Machine.from_argv(["-M", "none"], registry=registry, allocate=False)


class WrongType:
    @hookimpl
    def register_boards(self) -> str:
        return "not a list"


def test_wrong_return_type_skips_the_plugin() -> None:
    registry = create_registry(load_entrypoints=False, plugins=[("wrong", WrongType())])
    assert [f.name for f in registry.failures] == ["wrong"]
    assert "expected a list of BoardSpec" in registry.failures[0].error


@pytest.mark.parametrize(
    ("value", "strict"),
    [
        ("", False),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("1", True),
        ("yes", True),
        ("ON", True),
        ("true", True),
    ],
)
def test_strict_takes_the_usual_switch_words(
    monkeypatch: pytest.MonkeyPatch, value: str, strict: bool
) -> None:
    monkeypatch.setenv("MACHINECTL_STRICT", value)
    assert create_registry(load_entrypoints=False).strict is strict


def test_strict_refuses_other_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MACHINECTL_STRICT", "maybe")
    with pytest.raises(MachineError, match="MACHINECTL_STRICT='maybe': expected one of"):
        create_registry(load_entrypoints=False)


def test_an_unknown_plugin_name_is_reported_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MACHINECTL_STRICT", raising=False)
    monkeypatch.setenv("MACHINECTL_PLUGINS", "arm,arn")
    registry = create_registry()
    assert [(f.name, f.error) for f in registry.failures] == [
        ("arn", "no installed plugin or distribution has this name (MACHINECTL_PLUGINS names it)")
    ]
    assert "raspi3b" in {b.name for b in registry.boards}
    # Distribution names select too, and are not reported.
    monkeypatch.setenv("MACHINECTL_PLUGINS", "machinectl-arm")
    assert create_registry().failures == []


def test_a_rule_template_with_a_field_it_does_not_have_is_refused_when_made() -> None:
    from machinectl import AtMost, Check, OneOf

    with pytest.raises(ValueError, match=r"OneOf template .*KeyError: 'value_str'"):
        OneOf("Invalid RAM size, should be {value_str}", sizes=[MiB])
    with pytest.raises(ValueError, match="expected '}' before end of string"):
        AtMost("at most {value_str", limit=MiB)
    with pytest.raises(ValueError, match="KeyError: 'limit'"):
        AtMost("fine", hint="at most {limit}", limit=MiB)
    AtMost("at most {value_str}, not {size_str}", hint="{value_hex} {size_mib}", limit=MiB)
    Check("free words {like this}", test=lambda machine: None)


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"x": "float"}, "the kind of 'x' is 'float'"),
        ({"type": "str"}, "'type' cannot be a -machine property"),
        ({"a=b": "str"}, "'a=b' cannot be a -machine property"),
        ({"": "bool"}, "'' cannot be a -machine property"),
    ],
)
def test_a_board_property_no_option_could_set_is_refused_with_the_record(
    properties: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        BoardSpec(name="b", description="d", family="f", properties=properties)


def _tables() -> list[BoardTable]:
    def facts(name: str, ram: int) -> BoardFacts:
        return BoardFacts(
            spec=BoardSpec(name=name, description=name, family="t", targets=("x86_64",)),
            default_ram_size=ram,
            default_ram_id="ram",
            ram_base=0,
        )

    return [BoardTable([facts("light-a", 16 * MiB)]), BoardTable([facts("light-b", 32 * MiB)])]


def _orders(registry: Any) -> dict[str, list[tuple[str, str, bool, bool]]]:
    hooks = (
        "register_boards",
        "default_ram_size",
        "default_ram_id",
        "fixup_ram_size",
        "validate_ram",
        "init_board",
        "memory_devices",
        "describe_board",
    )
    return {
        hook: [
            (i.plugin_name, i.function.__name__, i.tryfirst, i.trylast)
            for i in registry._impls(hook)
        ]
        for hook in hooks
    }


def test_plain_tables_are_called_in_pluggys_order_without_pluggy() -> None:
    """The core's plugin and plain BoardTables are kept without pluggy's manager; their
    implementations are called in the order pluggy would call them, and a plugin that needs
    pluggy later gets the same order for them."""
    registry = create_registry(load_entrypoints=False)
    for index, table in enumerate(_tables()):
        assert registry.add(table, f"table-{index}")
    assert registry._pm is None
    light = _orders(registry)
    assert light["default_ram_size"][0][3]  # the core's fallback is trylast: called last
    sizes = [registry.default_ram_size(registry.board(n)) for n in ("none", "light-a", "light-b")]
    assert sizes == [0, 16 * MiB, 32 * MiB]
    registry._manager()  # what a plugin that needs pluggy brings
    assert registry._pm is not None
    assert _orders(registry) == light

    class Policy:
        @hookimpl(tryfirst=True)
        def default_ram_id(self, board: Any) -> str | None:
            return "policy-ram" if board.name == "light-b" else None

    again = create_registry(load_entrypoints=False)
    for index, table in enumerate(_tables()):
        again.add(table, f"table-{index}")
    assert again.add(Policy(), "policy")  # pluggy from here on
    assert again.default_ram_id(again.board("light-b")) == "policy-ram"
    assert again.default_ram_id(again.board("light-a")) == "ram"
    assert [p.name for p in again.plugins()] == ["builtin", "table-0", "table-1", "policy"]
    assert again.plugins()[1].hooks == registry.plugins()[1].hooks


def test_a_plain_table_with_a_name_taken_is_refused_without_pluggy() -> None:
    registry = create_registry(load_entrypoints=False)
    first, second = _tables()
    assert registry.add(first, "t")
    assert not registry.add(second, "t")
    assert "already registered" in registry.failures[-1].error
    clash = _tables()[0]  # declares light-a again
    assert not registry.add(clash, "t2")  # its board is taken: skipped as a whole
    assert registry._pm is None
    assert [p.name for p in registry.plugins()] == ["builtin", "t"]
    assert all(i.plugin_name != "t2" for i in registry._impls("default_ram_size"))


def test_a_table_given_a_hook_of_its_own_is_checked_by_pluggy() -> None:
    table = _tables()[0]

    @hookimpl
    def default_ram_id(board: Any, nonsense: int) -> str:  # not an argument of the hook
        return "x"

    table.default_ram_id = default_ram_id  # type: ignore[method-assign]
    registry = create_registry(load_entrypoints=False)
    assert not registry.add(table, "patched")
    assert registry._pm is not None
    assert "nonsense" in registry.failures[-1].error
