"""The commands' own arguments: the fast path without argparse gives argparse's answer."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from machinectl import UsageError, cli

TOKENS = [
    "--json",
    "--target",
    "--target=x86_64",
    "--target=",
    "--family",
    "--family=arm",
    "--dry-run",
    "--hold",
    "--quiet",
    "--progress",
    "--jso",
    "--json=1",
    "-h",
    "--help",
    "--",
    "-",
    "-x",
    "",
    "virt",
    "arm",
    "x86_64",
    "pc q35",
]


def argparse_answer(command: str, args: list[str]) -> dict[str, Any] | str:
    try:
        return dict(vars(cli._parse_with_argparse(command, args)))
    except UsageError as exc:
        return f"error: {exc}"
    except cli._Exit as done:
        return f"exit {done.status}"


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(cli._ARGUMENTS)), st.lists(st.sampled_from(TOKENS), max_size=5))
def test_the_fast_path_agrees_with_argparse(command: str, args: list[str]) -> None:
    quick = cli._quick_parse(command, args)
    if quick is not None:
        assert vars(quick) == argparse_answer(command, args)


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("list-boards", []),
        ("list-boards", ["virt", "--json", "--target", "aarch64", "--family=arm"]),
        ("describe", ["pc", "--target=x86_64"]),
        ("run", ["--dry-run", "--quiet", "--json"]),
        ("plugins", ["--json"]),
    ],
)
def test_plain_command_lines_take_the_fast_path(command: str, args: list[str]) -> None:
    quick = cli._quick_parse(command, args)
    assert quick is not None
    assert vars(quick) == argparse_answer(command, args)


def test_list_boards_without_arguments_imports_no_argparse() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from machinectl.cli import main; main(['list-boards']); "
        "sys.stderr.write(str('argparse' in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stderr == "False"
