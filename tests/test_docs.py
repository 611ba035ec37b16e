"""The documentation covers what the code offers, and its examples work.

Nothing here runs Sphinx (``.ci/run`` builds the docs with warnings as errors). These tests
read the reStructuredText sources and the code they describe:

* every hookspec has a docstring that states its contract, and an entry with an example in the
  hook reference; every example registers against the real specs and does what it says;
* every subcommand, flag and QEMU option of the command line is in the command-line reference;
* every file the docs include exists and holds what the include asks for;
* the embedding guide's example programs run.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import re
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from machinectl import (
    BoardFacts,
    BoardSpec,
    BoardTable,
    GiB,
    Machine,
    MachineError,
    MiB,
    Registry,
    create_registry,
    hooks,
)
from machinectl.cli import COMMANDS, USAGE
from machinectl.hostmem import BACKEND_TYPES
from machinectl.machine import GENERIC_PROPERTIES
from machinectl.numa import NODE_KEYS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"


def hookspecs() -> dict[str, Callable[..., Any]]:
    marker = f"{hooks.PROJECT}_spec"
    specs: dict[str, Callable[..., Any]] = {
        name: func
        for name, func in inspect.getmembers(hooks, inspect.isfunction)
        if hasattr(func, marker)
    }
    assert specs, "found no hookspecs in machinectl.hooks"
    return specs


def is_first_result(func: Callable[..., Any]) -> bool:
    return bool(getattr(func, f"{hooks.PROJECT}_spec").get("firstresult"))


def read(name: str) -> str:
    return (DOCS / name).read_text()


# -- hooks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(hookspecs()))
def test_hookspec_docstring_states_the_contract(name: str) -> None:
    func = hookspecs()[name]
    doc = inspect.getdoc(func)
    assert doc, f"hookspec {name} has no docstring"
    summary = doc.splitlines()[0]
    assert summary.endswith("."), f"{name}: the first line should be a one-sentence summary"
    for param in inspect.signature(func).parameters:
        assert f":param {param}:" in doc, f"{name}: parameter '{param}' is not documented"
    assert ".. versionadded::" in doc, f"{name}: no versionadded"
    if is_first_result(func):
        assert "first result" in doc.lower(), f"{name}: does not say that the first result wins"
    else:
        assert re.search(r"(all|every) implementations? runs?", doc.lower()), (
            f"{name}: does not say that every implementation runs"
        )


def hook_sections() -> dict[str, str]:
    """``autofunction`` name -> the reST that follows it up to the next one."""
    text = read("hooks.rst")
    parts = re.split(r"^\.\. autofunction:: (\S+)\s*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_hookspec_has_an_entry_in_the_reference() -> None:
    assert ".. currentmodule:: machinectl.hooks" in read("hooks.rst")
    assert set(hook_sections()) == set(hookspecs())


def python_blocks(text: str) -> Iterator[str]:
    """The bodies of ``.. code-block:: python`` directives, dedented."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() != ".. code-block:: python":
            continue
        body: list[str] = []
        for following in lines[i + 1 :]:
            if following.strip() and not following.startswith("   "):
                break
            body.append(following[3:])
        code = [b for b in body if not b.lstrip().startswith(":")]  # directive options
        yield "\n".join(code).strip() + "\n"


@pytest.mark.parametrize("name", sorted(hookspecs()))
def test_every_hook_entry_has_an_example(name: str) -> None:
    section = hook_sections().get(name, "")
    blocks = list(python_blocks(section))
    assert blocks, f"hook {name} has no python example in docs/hooks.rst"
    assert f"def {name}(" in blocks[0], f"the example of {name} does not implement it"


#: The board every hook example is written for, as some other plugin would declare it.
DEMO = BoardTable(
    [
        BoardFacts(
            spec=BoardSpec(name="demo", family="demo"),
            default_ram_size=128 * MiB,
            default_ram_id="table.ram",
        )
    ]
)


def example_plugin(name: str) -> tuple[Registry, types.ModuleType]:
    """The hook's example as a module, registered after DEMO against the real hookspecs."""
    module = types.ModuleType(f"hook_example_{name}")
    code = next(python_blocks(hook_sections()[name]))
    exec(compile(code, f"docs/hooks.rst ({name})", "exec"), module.__dict__)
    registry = create_registry(
        load_entrypoints=False, plugins=[("demo", DEMO), ("example", module)], strict=True
    )
    (info,) = [p for p in registry.plugins() if p.name == "example"]
    assert name in info.hooks
    return registry, module


def dry(registry: Registry, *argv: str) -> Machine:
    return Machine.from_argv(["-M", "demo", *argv], registry=registry, allocate=False)


def test_example_register_boards() -> None:
    registry, _ = example_plugin("register_boards")
    assert registry.board("blinky").name == "blinky-2.0"
    assert registry.board("blinky-2.0").plugin == "example"


def test_example_default_ram_size() -> None:
    registry, _ = example_plugin("default_ram_size")
    assert dry(registry).state.ram_size == 256 * MiB
    assert dry(registry, "-m", "64M").state.ram_size == 64 * MiB


def test_example_default_ram_id() -> None:
    registry, _ = example_plugin("default_ram_id")
    assert [b.id for b in dry(registry).backends] == ["demo.ram"]


def test_example_fixup_ram_size() -> None:
    registry, _ = example_plugin("fixup_ram_size")
    machine = dry(registry, "-m", "10M")
    assert machine.state.ram_size == 8 * MiB
    assert any("rounded down" in w for w in machine.warnings)
    assert dry(registry, "-m", "12M").warnings == []


def _unaccounted(size: str) -> list[str]:
    """RAM of ``size`` in memory the kernel does not account for (``reserve=off``): a host
    of any size maps it, so only the policy decides."""
    return [
        *("-object", f"memory-backend-ram,id=big,size={size},reserve=off"),
        *("-machine", "memory-backend=big", "-m", size),
    ]


def test_example_validate_ram() -> None:
    registry, _ = example_plugin("validate_ram")
    dry(registry, *_unaccounted("64G"))
    with pytest.raises(MachineError, match="at most 64 GiB of RAM, not 65 GiB"):
        dry(registry, *_unaccounted("65G"))
    # A policy plugin applies to every board, the core's own included.
    with pytest.raises(MachineError, match="at most 64 GiB of RAM, not 128 GiB"):
        Machine.from_argv(["-M", "none", *_unaccounted("128G")], registry=registry, allocate=False)


def test_example_init_board() -> None:
    registry, _ = example_plugin("init_board")
    flat = dry(registry).query()["mtree"]["flat"]
    assert [(r["start"], r["size"], r["region"]) for r in flat] == [
        (0x1000_0000, 0x1000, "demo.uart"),
        (0x8000_0000, 128 * MiB, "table.ram"),
    ]


def test_example_memory_devices() -> None:
    registry, _ = example_plugin("memory_devices")
    argv = ["-m", "1G,slots=2,maxmem=4G", "-object", "memory-backend-ram,id=m1,size=1G"]
    machine = dry(registry, *argv, "-device", "pc-dimm,id=d1,memdev=m1")
    (device,) = machine.query()["memory-devices"]
    assert device["data"]["addr"] == 3 * GiB
    assert device["data"]["slot"] == 0
    with pytest.raises(MachineError, match="not a valid device model name"):
        dry(registry, *argv, "-device", "nvdimm,id=d1,memdev=m1,label-size=128K")


def test_example_describe_board() -> None:
    registry, _ = example_plugin("describe_board")
    lines = registry.describe_board(registry.board("demo"))
    assert "a 4 KiB UART window at 0x10000000" in lines
    assert "RAM base 0x0" in lines  # the table's own lines are still there


# -- command line --------------------------------------------------------------------------


def options_by_program() -> dict[str, set[str]]:
    """``.. program::`` name -> the option names documented under it."""
    options: dict[str, set[str]] = {}
    program = ""
    for line in read("cli.rst").splitlines():
        if line.startswith(".. program:: "):
            program = line.removeprefix(".. program:: ").strip()
            options.setdefault(program, set())
        elif line.startswith(".. option:: "):
            for form in line.removeprefix(".. option:: ").split(", "):
                options.setdefault(program, set()).add(form.split()[0])
    return options


def usage_flags() -> dict[str, set[str]]:
    """Subcommand -> its ``--flags``, as ``machinectl --help`` lists them."""
    flags: dict[str, set[str]] = {}
    for line in USAGE.splitlines():
        words = line.split()
        if "machinectl" in words[:2] and len(words) > words.index("machinectl") + 1:
            command = words[words.index("machinectl") + 1]
            flags[command] = set(re.findall(r"\[(--[a-z-]+)\]", line))
    assert flags, "could not read the subcommands from the usage text"
    return flags


def run_qemu_options() -> set[str]:
    """The QEMU options the usage text says ``run`` understands."""
    paragraph = USAGE[USAGE.index("QEMU options understood by run") :]
    names = set(re.findall(r"(?<![\w{,=-])(-[A-Za-z][\w-]*)", paragraph))
    assert {"-m", "-object"} <= names, names
    return names


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_is_documented(command: str) -> None:
    documented = options_by_program()
    assert f"machinectl {command}" in documented, f"'machinectl {command}' is not in cli.rst"
    assert f"machinectl {command}" in read("cli.rst").split(".. program::")[0], (
        "the synopsis at the top of cli.rst does not show it"
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_flag_is_documented(command: str) -> None:
    flags = usage_flags()
    assert command in flags, f"the usage text does not show '{command}'"
    missing = flags[command] - options_by_program()[f"machinectl {command}"]
    assert not missing, f"'machinectl {command}' flags missing from cli.rst: {missing}"


def test_usage_lists_exactly_the_commands() -> None:
    assert set(usage_flags()) == set(COMMANDS)


def test_every_qemu_option_of_run_is_documented() -> None:
    missing = run_qemu_options() - options_by_program()["machinectl run"]
    assert not missing, f"QEMU options of run missing from cli.rst: {missing}"


def test_every_backend_type_and_property_is_documented() -> None:
    text = read("cli.rst")
    documented = options_by_program()["machinectl run"]
    assert "-object" in documented
    for qom_type, backend in BACKEND_TYPES.items():
        assert f".. option:: -object {qom_type}," in text, f"{qom_type} is not documented"
        for prop in backend.properties:
            assert f"``{prop}``" in text, f"{qom_type} property '{prop}' is not documented"


def test_machine_and_numa_properties_are_documented() -> None:
    text = read("cli.rst")
    for prop in GENERIC_PROPERTIES:
        assert f"``{prop}``" in text, f"-machine property '{prop}' is not documented"
    numa = next(line for line in text.splitlines() if line.startswith(".. option:: -numa"))
    for key in NODE_KEYS:
        assert f"{key}=" in numa, f"-numa node key '{key}' is not documented"


# -- includes and examples -----------------------------------------------------------------


def literalincludes() -> Iterator[tuple[str, Path, dict[str, str]]]:
    for page in sorted(DOCS.glob("*.rst")):
        lines = page.read_text().splitlines()
        for i, line in enumerate(lines):
            if not line.startswith(".. literalinclude:: "):
                continue
            options: dict[str, str] = {}
            for following in lines[i + 1 :]:
                match = re.match(r"   :([\w-]+):\s*(.*)$", following)
                if not match:
                    break
                options[match[1]] = match[2]
            target = (page.parent / line.removeprefix(".. literalinclude:: ").strip()).resolve()
            yield page.name, target, options


def test_every_include_exists_and_finds_its_anchors() -> None:
    includes = list(literalincludes())
    assert includes
    for page, target, options in includes:
        assert target.is_file(), f"{page}: {target} does not exist"
        source = target.read_text()
        for key in ("start-at", "start-after", "end-at", "end-before"):
            if key in options:
                assert options[key] in source, f"{page}: '{options[key]}' not in {target.name}"
        if "pyobject" in options:
            tree = ast.parse(source)
            names = {getattr(node, "name", None) for node in ast.walk(tree)}
            assert options["pyobject"] in names, f"{page}: no {options['pyobject']} in {target}"


def test_the_tutorial_shows_the_example_plugin() -> None:
    tutorial = read("tutorial.rst")
    for part in ("pyproject.toml", "src/machinectl_acme/__init__.py", "tests/test_widget.py"):
        assert f".. literalinclude:: ../examples/board-plugin/{part}" in tutorial


def run_example(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_embed_basic_runs() -> None:
    proc = run_example("embed_basic.py")
    assert proc.returncode == 0, proc.stderr
    assert "first bytes: b'\\x7fELF'" in proc.stdout
    assert "refused: can't open backing store /nonexistent/dir/ram" in proc.stdout


def test_share_ram_runs() -> None:
    proc = run_example("share_ram.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "the other process read: b'hello'" in proc.stdout
    assert "this process reads back: b'world'" in proc.stdout


def test_hold_shares_memory_with_other_processes() -> None:
    """The guide's shell session: ``run --hold``, then two other processes use the memory."""
    argv = [
        *(sys.executable, "-m", "machinectl.cli", "run", "-M", "none", "-m", "64M"),
        *("-object", "memory-backend-memfd,id=m0,size=64M", "-machine", "memory-backend=m0"),
        "--hold",
    ]
    with subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stderr is not None
            deadline = time.monotonic() + 30
            path = None
            while path is None and time.monotonic() < deadline:
                line = holder.stderr.readline()
                assert line, "machinectl run --hold ended before printing a path"
                match = re.match(r"\s+m0: (\S+)$", line)
                path = match[1] if match else None
            assert path is not None
            wrote = run_example("peek_ram.py", path, "--offset", "0x2000", "--write", "hello")
            assert wrote.returncode == 0, wrote.stderr
            seen = run_example("peek_ram.py", path, "--offset", "0x2000", "--length", "5")
            assert seen.stdout == "b'hello'\n", seen.stderr
        finally:
            holder.terminate()
            rc = holder.wait(timeout=30)
    assert rc == 0  # SIGTERM is how --hold is meant to end


# -- the library reference ---------------------------------------------------------------------

#: Modules whose ``__all__`` is the public API: the reference documents each of these names,
#: and every public member of their classes.
PUBLIC_MODULES = ("machinectl", "machinectl.testing", "machinectl.oracle")
#: Directives of ``docs/api.rst`` that document one object each.
_AUTODOC = re.compile(
    r"^\.\. auto(class|function|data|exception|attribute|method|property|module):: (\S+)\s*$"
)


def _module_name(module: str) -> str:
    return "machinectl" if module == "machinectl" else module


def _attribute_doc(owner: object, name: str) -> str | None:
    """The ``#:`` comment before (or on) an attribute's assignment, or the string after it,
    as Sphinx's autodoc reads them."""
    try:
        lines, _ = inspect.getsourcelines(owner)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return None
    pattern = re.compile(rf"^(\s*){re.escape(name)}\s*(:[^=]+)?(=|$)")
    for i, line in enumerate(lines):
        match = pattern.match(line)
        if match is None or (inspect.isclass(owner) and not match[1]):
            continue
        if "#: " in line:
            return line.split("#: ", 1)[1].strip()
        comments = []
        for before in reversed(lines[:i]):
            if not before.strip().startswith("#:"):
                break
            comments.append(before.strip().removeprefix("#:").strip())
        if comments:
            return " ".join(reversed(comments))
        after = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if after.startswith('"""'):
            return after
    return None


def _member_doc(cls: type, name: str) -> str | None:
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, (staticmethod, classmethod)):
        raw = raw.__func__
    if isinstance(raw, property) or inspect.isfunction(raw):
        return inspect.getdoc(raw)
    if hasattr(raw, "_pytestfixturefunction") or type(raw).__name__.startswith("Fixture"):
        return inspect.getdoc(getattr(raw, "__wrapped__", raw)) or inspect.getdoc(raw)
    return _attribute_doc(cls, name)


def _public_members(cls: type) -> Iterator[str]:
    """The members a class defines itself (fields, methods, properties, class attributes)."""
    names = list(vars(cls))
    if attrs.has(cls):
        names += [field.name for field in attrs.fields(cls) if field.name in vars(cls)]
    for name in dict.fromkeys(names):
        if name.startswith("_") or name in {"pytest_generate_tests"}:
            continue
        yield name


@functools.cache
def public_api() -> dict[str, str | None]:
    """Every public name, qualified as the reference names it, with its documentation."""
    found: dict[str, str | None] = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            qualified = f"{_module_name(module_name)}.{name}"
            if inspect.isclass(obj) or inspect.isfunction(obj) or hasattr(obj, "__wrapped__"):
                found[qualified] = inspect.getdoc(obj) if obj.__doc__ else None
            else:  # data: its ``#:`` comment where the name is assigned
                home = importlib.import_module(_defining_module(module_name, name))
                found[qualified] = _attribute_doc(home, name)
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                for member in _public_members(obj):
                    found[f"{qualified}.{member}"] = _member_doc(obj, member)
    return found


def _defining_module(module_name: str, name: str) -> str:
    """The module whose source assigns ``name`` (``machinectl.units`` for ``MiB``)."""
    package = Path(importlib.import_module("machinectl").__file__ or "").parent
    # At the top level first, then in a block (``if TYPE_CHECKING:`` for type checkers).
    for indent in ("", r"[ ]{4}"):
        for path in sorted(package.glob("*.py")):
            pattern = rf"^{indent}{re.escape(name)}\s*(:[^=]+)?="
            if re.search(pattern, path.read_text(), re.MULTILINE):
                return f"machinectl.{path.stem}"
    return module_name


@functools.cache
def documented_in_reference() -> frozenset[str]:
    """The names ``docs/api.rst`` renders: each autodoc directive, and its members."""
    names: set[str] = set()
    current = "machinectl"
    lines = read("api.rst").splitlines()
    for i, line in enumerate(lines):
        if line.startswith(".. currentmodule:: "):
            current = line.removeprefix(".. currentmodule:: ").strip()
            continue
        match = _AUTODOC.match(line)
        if match is None:
            continue
        target = match[2] if match[2].startswith("machinectl.") else f"{current}.{match[2]}"
        names.add(target)
        options: list[str] = []
        for following in lines[i + 1 :]:
            if not following.startswith("   ") or not following.strip():
                break
            options.append(following.strip())
        text = " ".join(options)
        members = re.search(r":members:(.*?)(?=\s:[\w-]+:|$)", text)
        if members is None:
            continue
        listed = [m.strip() for m in members[1].split(",") if m.strip()]
        if listed:
            names.update(f"{target}.{m}" for m in listed)
        else:
            names.update(
                name
                for name in public_api()
                if name.startswith(f"{target}.") and "." not in name.removeprefix(f"{target}.")
            )
    return frozenset(names)


@pytest.mark.parametrize("name", sorted(public_api()))
def test_every_public_name_has_a_docstring(name: str) -> None:
    assert public_api()[name], f"{name} has no docstring (or #: comment)"


def test_every_public_name_is_in_the_reference() -> None:
    missing = sorted(set(public_api()) - documented_in_reference())
    assert not missing, f"public names missing from docs/api.rst: {missing}"
