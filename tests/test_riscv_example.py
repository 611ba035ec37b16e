"""A new architecture beside an existing one: the RISC-V example plugin next to machinectl-arm.

A fresh virtual environment gets the core, ``plugins/arm`` and ``examples/riscv-plugin`` and
nothing else. Both declare a machine type answering to ``virt`` (arm's is an alias of
``virt-7.2``), for different QEMU targets: both load, ``--target`` picks one, and a name
only one target has needs no target.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from freshenv import create, machinectl, user_env

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "riscv-plugin"
ARM = ROOT / "plugins" / "arm"
TUTORIAL = ROOT / "docs" / "tutorial.rst"
QEMU_HELP = json.loads((ROOT / "tests" / "data" / "machine_help_qemu72.json").read_text())

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("new-architecture") / "venv"
    return create(
        path,
        [str(ROOT), str(ARM), f"{EXAMPLE}[test]"],
        refresh=["machinectl", "machinectl-arm", "machinectl-riscv-example"],
    )


def test_only_the_core_arm_and_the_example_are_installed(venv: Path) -> None:
    listing = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; print(*sorted(d.name for d in m.distributions()))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=user_env(),
    ).stdout.split()
    ours = sorted(name for name in listing if name.startswith("machinectl"))
    assert ours == ["machinectl", "machinectl-arm", "machinectl-riscv-example"]


def test_list_boards_shows_both_virts_with_their_targets(venv: Path) -> None:
    proc = machinectl(venv, "list-boards", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    rows = json.loads(proc.stdout)
    virts = sorted(
        (r["name"], r["targets"], r["distribution"])
        for r in rows
        if "virt" in (r["name"], r["alias"])
    )
    assert virts == [
        ("virt", ["riscv32"], "machinectl-riscv-example"),
        ("virt", ["riscv64"], "machinectl-riscv-example"),
        ("virt-7.2", ["arm", "aarch64"], "machinectl-arm"),
    ]
    text = machinectl(venv, "list-boards", "--target", "riscv64")
    assert text.returncode == 0, text.stderr
    names = [line.split()[0] for line in text.stdout.splitlines()[1:]]
    assert sorted(names) == ["none", "sifive_e", "spike", "virt"]
    by_family = machinectl(venv, "list-boards", "--family", "riscv", "--json")
    assert {r["name"] for r in json.loads(by_family.stdout)} == {"sifive_e", "spike", "virt"}
    _shown_in_tutorial(machinectl(venv, "list-boards", "--family", "riscv").stdout)


def _shown_in_tutorial(output: str) -> None:
    tutorial = TUTORIAL.read_text()
    for line in output.splitlines():
        assert f"   {line}\n" in tutorial, f"docs/tutorial.rst does not show: {line}"


@pytest.mark.parametrize(
    ("target", "ram_id", "base"),
    [("riscv64", "riscv_virt_board.ram", 0x8000_0000), ("aarch64", "mach-virt.ram", 0x4000_0000)],
)
def test_run_with_a_target_builds_that_targets_virt(
    venv: Path, target: str, ram_id: str, base: int
) -> None:
    proc = machinectl(venv, "run", "--target", target, "-M", "virt", "-m", "256M", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [(d["id"], d["size"]) for d in data["memdev"]] == [(ram_id, 256 << 20)]
    ram = [r for r in data["mtree"]["flat"] if r["region"] == ram_id]
    assert [(r["start"], r["size"]) for r in ram] == [(base, 256 << 20)]
    if target == "riscv64":
        text = machinectl(venv, "run", "--target", target, "-M", "virt", "-m", "256M")
        flat = [line for line in text.stdout.splitlines() if "(prio " in line]
        _shown_in_tutorial("\n".join(flat))


def test_machinectl_target_in_the_environment(venv: Path) -> None:
    proc = subprocess.run(
        [str(venv / "bin" / "machinectl"), "run", "-M", "virt", "--dry-run", "--json"],
        capture_output=True,
        text=True,
        env={**user_env(), "MACHINECTL_TARGET": "riscv32"},
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert [d["id"] for d in json.loads(proc.stdout)["memdev"]] == ["riscv_virt_board.ram"]


def test_virt_without_a_target_is_one_line_naming_both(venv: Path) -> None:
    proc = machinectl(venv, "run", "-M", "virt")
    assert proc.returncode == 1
    assert proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("machinectl: machine type 'virt' exists for several targets: ")
    for part in ("arm,aarch64", "machinectl-arm", "riscv32", "riscv64", "--target"):
        assert part in line, part
    _shown_in_tutorial(proc.stderr)


def test_a_name_of_one_target_needs_no_target(venv: Path) -> None:
    proc = machinectl(venv, "run", "-M", "raspi3b", "-m", "1G", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["machine"]["type"] == "raspi3b"


@pytest.mark.parametrize("target", ["riscv32", "riscv64"])
def test_machine_help_of_a_riscv_target(venv: Path, target: str) -> None:
    listed = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import json, machinectl_riscv_example as m; print(json.dumps(list(m.NOT_SHIPPED)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=user_env(),
    )
    not_shipped = set(json.loads(listed.stdout))
    proc = machinectl(venv, "run", "--target", target, "-M", "help")
    assert proc.returncode == 0, proc.stderr
    qemu = [line for line in QEMU_HELP["targets"][target] if line.split()[0] not in not_shipped]
    assert proc.stdout.splitlines() == qemu
    if target == "riscv64":
        _shown_in_tutorial(proc.stdout)


def test_the_examples_own_tests_pass_beside_arm(venv: Path) -> None:
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        env=user_env(),
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "TestConformance::test_no_overlapping_ram[virt@riscv64]" in proc.stdout
    assert "TestConformance::test_allocated_ram_is_writable[virt@riscv32]" in proc.stdout
