"""The Acme Widget board: its own facts, and the standard checks every board plugin runs."""

from __future__ import annotations

import pytest
from machinectl import Machine, MachineError, create_registry
from machinectl.plugins import Registry
from machinectl.testing import BoardConformance
from machinectl_acme import BOOT_WINDOW, RAM_BASE, RAM_SIZE


class TestConformance(BoardConformance):
    distribution = "machinectl-acme"


@pytest.fixture(scope="module")
def registry() -> Registry:
    # Only this plugin (and the core's own `none`), and any loading problem is an error.
    return create_registry(only=["acme"], strict=True)


def test_declares_the_widget_under_its_name_and_alias(registry: Registry) -> None:
    assert {b.name for b in registry.boards} == {"none", "widget-1.0"}
    assert registry.board("widget").name == "widget-1.0"


def test_default_ram(registry: Registry) -> None:
    board = registry.board("widget")
    assert registry.default_ram_size(board) == RAM_SIZE
    assert registry.default_ram_id(board) == "widget.ram"


@pytest.mark.parametrize("size", ["8M", "32M", "1G"])
def test_refuses_any_other_size(registry: Registry, size: str) -> None:
    with pytest.raises(MachineError) as refused:
        Machine.from_argv(["-M", "widget", "-m", size], registry=registry, allocate=False)
    assert str(refused.value) == "Invalid RAM size, should be 16 MiB"


def test_accepts_its_size_written_any_way(registry: Registry) -> None:
    for argv in ([], ["-m", "16"], ["-m", "16M"], ["-m", "16384k"], ["-m", "0"]):
        machine = Machine.from_argv(["-M", "widget", *argv], registry=registry, allocate=False)
        assert machine.state.ram_size == RAM_SIZE


def test_ram_at_its_base_and_boot_window_at_zero(registry: Registry) -> None:
    with Machine.from_argv(["-M", "widget"], registry=registry) as machine:
        assert machine.ram is not None
        host = machine.ram.host_address
        ranges = [(r.guest_address, r.size, r.host_address) for r in machine.ram_ranges()]
        assert ranges == [(0, BOOT_WINDOW, host), (RAM_BASE, RAM_SIZE, host)]


def test_boot_window_is_the_same_memory(registry: Registry) -> None:
    with Machine.from_argv(["-M", "widget"], registry=registry) as machine:
        assert machine.ram is not None
        view = machine.ram.view
        view[0:4] = b"boot"
        boot, ram = machine.ram_ranges()
        assert boot.host_address == ram.host_address  # one host page, two guest addresses
        view.release()


def test_describe_explains_the_rule_and_the_window(registry: Registry) -> None:
    lines = registry.describe_board(registry.board("widget"))
    assert "RAM must be exactly 16 MiB" in lines
    assert "RAM base 0x80000000" in lines
    assert any("show again at 0" in line for line in lines)
