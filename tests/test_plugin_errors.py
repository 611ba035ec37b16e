"""Each way a plugin can be wrong is one clear line that says what is wrong.

A throwaway distribution with one misbehaving entry point per mistake is installed into a
fresh virtual environment with the core. The command line (cold and warm index) and the
library word every failure alike, each on one line, with the reason.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from freshenv import clean_env, create, plugin_project

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

DIST = "(mctl-odd 0.1.0)"
FILES = {
    "__init__.py": "",
    "hooks.py": """\
        from machinectl import hookimpl

        class Args:
            @hookimpl
            def default_ram_size(self, board, bogus):
                return None

        class RegisterDict:
            @hookimpl
            def register_boards(self):
                return {"name": "bdict"}

        oargs = Args()
        oregdict = RegisterDict()
        """,
    "values.py": """\
        NOTHING = None
        NUMBER = 42
        ITEMS = [1, 2]
        """,
    "empty.py": "X = 1\n",
    "table.py": """\
        from machinectl import BoardFacts, BoardSpec, BoardTable, Check, MiB

        plugin = BoardTable([
            BoardFacts(
                spec=BoardSpec(name="kc-str", family="odd", targets=("xtensa",)),
                default_ram_size=16 * MiB,
                default_ram_id="kc.ram",
                rules=[Check("returns a str", test=lambda machine: "not an error")],
            ),
            BoardFacts(
                spec=BoardSpec(name="kc-ok", family="odd", targets=("xtensa",)),
                default_ram_size=16 * MiB,
                default_ram_id="kcok.ram",
                rules=[Check("refuses properly", test=lambda machine: None)],
            ),
        ])
        """,
}
ENTRY_POINTS = {
    "oargs": "mctl_odd.hooks:oargs",
    "oregdict": "mctl_odd.hooks:oregdict",
    "onone": "mctl_odd.values:NOTHING",
    "oint": "mctl_odd.values:NUMBER",
    "olist": "mctl_odd.values:ITEMS",
    "oempty": "mctl_odd.empty",
    "ocheck": "mctl_odd.table:plugin",
}
#: The plugins skipped at load, and the whole reason each one gets.
SKIPPED = {
    "oargs": (
        "PluginValidationError: Plugin 'oargs' for hook 'default_ram_size'; hookimpl "
        "definition: default_ram_size(board, bogus); Argument(s) {'bogus'} are declared in "
        "the hookimpl but can not be found in the hookspec"
    ),
    "oregdict": "register_boards returned dict {'name': 'bdict'}, expected a list of BoardSpec",
    "onone": "None (NoneType) is not a plugin: it has no function marked @hookimpl",
    "oint": "42 (int) is not a plugin: it has no function marked @hookimpl",
    "olist": "[1, 2] (list) is not a plugin: it has no function marked @hookimpl",
    "oempty": "module 'mctl_odd.empty' is not a plugin: it has no function marked @hookimpl",
}
LINES = {name: f"plugin {name} {DIST} skipped: {reason}" for name, reason in SKIPPED.items()}
CHECK_LINE = (
    "Check test for 'kc-str' returned 'not an error', expected a MachineError or None "
    f"(answered by plugin ocheck {DIST})"
)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("plugin-errors")
    package = plugin_project(where / "odd", "mctl-odd", ENTRY_POINTS)
    for path, text in FILES.items():
        (package / path).write_text(textwrap.dedent(text))
    return create(where / "venv", [str(ROOT), str(where / "odd")], refresh=["machinectl"])


def _env(**extra: str) -> dict[str, str]:
    env = clean_env(PYTHONDONTWRITEBYTECODE="1", **extra)
    for name in ("VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(name, None)
    return env


def machinectl(venv: Path, cache: Path, *args: str, **extra: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [str(venv / "bin" / "machinectl"), *args],
        capture_output=True,
        text=True,
        env=_env(MACHINECTL_CACHE_DIR=str(cache), **extra),
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def library(venv: Path, code: str, **extra: str) -> str:
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=_env(MACHINECTL_CACHE_DIR="off", **extra),
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_library_words_each_failure_on_one_line(venv: Path) -> None:
    out = library(
        venv,
        """\
        import json
        from machinectl.plugins import create_registry
        registry = create_registry()
        print(json.dumps({f.name: str(f) for f in registry.failures}))
        """,
    )
    assert json.loads(out) == LINES


@pytest.mark.parametrize("name", sorted(SKIPPED))
def test_strict_mode_raises_the_same_line(venv: Path, name: str) -> None:
    out = library(
        venv,
        f"""\
        from machinectl.errors import PluginError
        from machinectl.plugins import create_registry
        try:
            create_registry(only=[{name!r}], strict=True)
        except PluginError as exc:
            print(exc)
        """,
    )
    assert out == LINES[name] + "\n"


def test_the_command_line_words_each_failure_alike(venv: Path, tmp_path: Path) -> None:
    for _ in range(2):  # cold, then from the warm index
        status, out, err = machinectl(venv, tmp_path, "list-boards")
        assert status == 0
        warnings = {line for line in err.splitlines() if line}
        assert warnings == {f"machinectl: warning: {line}" for line in LINES.values()}
        assert {"kc-str", "kc-ok"} <= set(out.split())
    status, out, err = machinectl(venv, tmp_path, "plugins", "--json")
    assert status == 0
    loaded = {p["name"] for p in json.loads(out)["plugins"]}
    assert loaded == {"builtin", "ocheck"}


def test_a_check_that_returns_no_error_is_named(venv: Path, tmp_path: Path) -> None:
    status, out, err = machinectl(
        venv, tmp_path, "run", "-M", "kc-str", "--dry-run", MACHINECTL_PLUGINS="ocheck"
    )
    assert status == 1
    assert err == f"machinectl: {CHECK_LINE}\n"
    status, out, err = machinectl(
        venv, tmp_path, "run", "-M", "kc-ok", "--dry-run", MACHINECTL_PLUGINS="ocheck"
    )
    assert status == 0, err
    out = library(
        venv,
        """\
        from machinectl import Machine
        from machinectl.errors import PluginError
        try:
            Machine.from_argv(["-M", "kc-str"], allocate=False)
        except PluginError as exc:
            print(exc)
        """,
        MACHINECTL_PLUGINS="ocheck",
    )
    assert out == CHECK_LINE + "\n"
