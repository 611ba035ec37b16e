"""The machinectl command, run as a user runs it: a real process, real exit codes."""

from __future__ import annotations

import importlib.metadata
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from machinectl.cli import COMMANDS
from machinectl.plugins import create_registry

CLI = [sys.executable, "-m", "machinectl.cli"]
RUN_HELP = "(see 'machinectl run --help')"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=60, check=False, env=env
    )


def test_run_none_json() -> None:
    proc = run("run", "-M", "none", "-m", "1G", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {
        "machine", "memdev", "memory-size-summary", "numa", "mtree", "notices",
        "thread-contexts", "mem-lock", "memory-devices",
    }  # fmt: skip
    assert data["notices"] == []
    assert [(d["id"], d["size"]) for d in data["memdev"]] == [("ram", 1073741824)]
    assert data["machine"]["allocated"] is True


def test_run_text_summary_shows_info_memdev_and_flat_map() -> None:
    proc = run("run", "-M", "none", "-m", "64M")
    assert proc.returncode == 0, proc.stderr
    assert "memory backend: ram\n  size:  67108864\n" in proc.stdout
    assert "0000000000000000-0000000003ffffff (prio 0, ram): ram" in proc.stdout
    assert "base memory: 67108864" in proc.stdout


def test_dry_run_allocates_nothing() -> None:
    # 8 TiB of memory the kernel does not account for (reserve=off): a real run maps it.
    backend = "memory-backend-ram,id=m,size=8T,reserve=off"
    args = ["-M", "none,memory-backend=m", "-m", "8T", "-object", backend]
    proc = run("run", *args, "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["machine"]["allocated"] is False


def test_dry_run_refuses_memory_the_host_never_commits() -> None:
    """As a real run would, and QEMU does: more than the kernel's overcommit policy allows."""
    if Path("/proc/sys/vm/overcommit_memory").read_text().strip() != "0":
        pytest.skip("the host does not use the default overcommit policy")
    proc = run("run", "-M", "none", "-m", "64T", "--dry-run")
    assert (proc.returncode, proc.stderr) == (
        1,
        "machinectl: cannot set up guest memory 'ram': Cannot allocate memory\n",
    )


@pytest.mark.parametrize(
    ("args", "line", "status"),
    [
        (
            ["run", "-M", "none", "-m", "foo"],
            "machinectl: -m foo: Parameter 'size' expects a non-negative number below 2^64 "
            "(Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta- "
            "and exabytes, respectively.)",
            1,
        ),
        (
            ["run", "-M", "nosuch"],
            "machinectl: unsupported machine type (Use -machine help to list supported machines)",
            1,
        ),
        (
            ["run", "-M", "none", "-m", "1T"],
            "machinectl: cannot set up guest memory 'ram': Cannot allocate memory",
            1,
        ),
        (["run", "-bogux"], f"machinectl: -bogux: invalid option {RUN_HELP}", 1),
        (
            ["frobnicate"],
            "machinectl: unknown command 'frobnicate' (see 'machinectl --help')",
            1,
        ),
        (
            ["--frobnicate"],
            "machinectl: unknown option '--frobnicate' (see 'machinectl --help')",
            1,
        ),
        (
            ["describe"],
            "machinectl: describe: the following arguments are required: BOARD "
            "(see 'machinectl describe --help')",
            1,
        ),
        (
            ["describe", "nosuch"],
            "machinectl: unsupported machine type ('machinectl list-boards' lists them)",
            1,
        ),
        (
            ["plugins", "--jsn"],
            "machinectl: plugins: unrecognized arguments: --jsn (see 'machinectl plugins --help')",
            1,
        ),
        (
            ["list-boards", "--target"],
            "machinectl: list-boards: argument --target: expected one argument "
            "(see 'machinectl list-boards --help')",
            1,
        ),
    ],
)
def test_errors_are_one_line(args: list[str], line: str, status: int) -> None:
    proc = run(*args)
    assert proc.returncode == status
    assert proc.stderr == line + "\n"
    assert "Traceback" not in proc.stderr


def test_garbage_never_gives_a_traceback() -> None:
    for args in (
        ["run", "-object", "\udcff"],
        ["run", "-M", ",,,", "-m", "\x01"],
        ["run", "-numa", "node,mem=x", "-M", "none"],
        ["run", "-m", "9" * 5000],
    ):
        proc = subprocess.run([*CLI, *args], capture_output=True, timeout=60, check=False)
        assert proc.returncode in (1, 2), proc.stderr
        assert b"Traceback" not in proc.stderr
        assert proc.stderr.count(b"\n") == 1


def test_list_boards_and_json() -> None:
    proc = run("list-boards")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].split() == [
        "NAME",
        "ALIAS",
        "FAMILY",
        "TARGETS",
        "DEFAULT-RAM",
        "BYTES",
        "RAM-ID",
        "PLUGIN",
        "DESCRIPTION",
    ]
    rows = json.loads(run("list-boards", "--json").stdout)
    none = next(r for r in rows if r["name"] == "none")
    assert none["default-ram-size"] == 0 and none["default-ram-id"] == "ram"
    assert none["distribution"] == "machinectl"


def test_describe_none() -> None:
    proc = run("describe", "none")
    assert proc.returncode == 0, proc.stderr
    assert "default RAM id: ram" in proc.stdout
    info = json.loads(run("describe", "none", "--json").stdout)
    assert info["default-ram-size"] == 0 and info["numa"] is False


def test_plugins_lists_the_builtin() -> None:
    data = json.loads(run("plugins", "--json").stdout)
    builtin = next(p for p in data["plugins"] if p["name"] == "builtin")
    assert builtin["distribution"] == "machinectl"
    assert "none" in builtin["boards"] and "init_board" in builtin["hooks"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_hold_ends_cleanly_on_a_signal(signum: int) -> None:
    proc = subprocess.Popen(
        [
            *CLI,
            "run",
            "-M",
            "none",
            "-m",
            "32M",
            "-object",
            "memory-backend-memfd,id=shared,size=4M",
            "--hold",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    banner = proc.stderr.readline()
    assert banner.startswith("holding none (pid ")
    hint = proc.stderr.readline()
    assert hint.startswith(f"  shared: /proc/{proc.pid}/fd/")
    path = hint.split(": ", 1)[1].strip()
    assert os.path.exists(path)
    time.sleep(0.1)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_the_program_dies_by_an_early_interrupt_until_its_handlers_are_in_place() -> None:
    (script,) = [
        e
        for e in importlib.metadata.entry_points(group="console_scripts")
        if e.name == "machinectl"
    ]
    assert script.value == "machinectl._entry:main"
    code = (
        "import signal, sys; import machinectl._entry as e; "
        "print(signal.getsignal(signal.SIGINT) is signal.SIG_DFL); "
        "sys.argv = ['machinectl', 'run', '-M', 'none', '-m', '32M', '--hold']; sys.exit(e.main())"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == "True\n"  # before machinectl.cli: ended by the signal
    assert proc.stderr.readline().startswith("holding none (pid ")
    proc.send_signal(signal.SIGINT)  # then the command's own handling: a clean release
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


# -- help, version, usage errors ---------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("form", [["--help"], ["-h"], ["help"]])
def test_every_command_has_help(command: str, form: list[str]) -> None:
    args = ["help", command] if form == ["help"] else [command, *form]
    proc = run(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: machinectl {command} ")
    assert proc.stderr == ""


@pytest.mark.parametrize("form", [[], ["-h"], ["--help"], ["help"]])
def test_the_usage_lists_every_command(form: list[str]) -> None:
    proc = run(*form)
    assert proc.returncode == (2 if not form else 0)
    for command in COMMANDS:
        assert f"machinectl {command} " in proc.stdout


def test_run_help_takes_qemu_s_spelling_and_lists_qemu_options() -> None:
    text = run("run", "--help").stdout
    assert run("run", "-help").stdout == text
    for option in ("-machine", "-object", "-numa", "-mem-path", "--quiet", "--progress"):
        assert option in text
    assert "ignored" in text  # the policy for QEMU's other options


def test_version_names_the_core_and_every_plugin() -> None:
    proc = run("--version")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"machinectl {importlib.metadata.version('machinectl')}"
    shown = dict(line.split() for line in lines[1:])
    distributions = {
        board.distribution for board in create_registry().boards if board.distribution
    } - {"machinectl"}
    assert distributions <= set(shown)
    for name, version in shown.items():
        assert version == importlib.metadata.version(name)
    assert run("run", "--version").stdout == proc.stdout
    assert run("run", "-version").stdout == proc.stdout


def test_a_usage_error_is_one_line_that_points_to_help() -> None:
    for args in (["list-boards", "--bogus"], ["describe", "a", "b"], ["run", "--target"]):
        proc = run(*args)
        assert proc.returncode == 1
        assert proc.stderr.count("\n") == 1
        assert proc.stderr.endswith(f"(see 'machinectl {args[0]} --help')\n"), proc.stderr


# -- suggestions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "line", "status"),
    [
        (
            ["run", "-M", "rasp3b"],
            "unsupported machine type (Use -machine help to list supported machines; "
            "did you mean 'raspi3b'?)",
            1,
        ),
        (
            ["describe", "rasp3b"],
            "unsupported machine type ('machinectl list-boards' lists them; "
            "did you mean 'raspi3b'?)",
            1,
        ),
        (
            ["run", "-M", "none", "-object", "memory-backend-rom,id=m,size=1M"],
            "-object memory-backend-rom,id=m,size=1M: Parameter 'qom-type' does not accept "
            "value 'memory-backend-rom' (did you mean 'memory-backend-ram'?)",
            1,
        ),
        (
            ["run", "-M", "none", "-object", "memory-backend-ram,id=m,size=1M,sahre=on"],
            "-object memory-backend-ram,id=m,size=1M,sahre=on: Invalid parameter 'sahre' "
            "(did you mean 'share'?)",
            1,
        ),
        (
            ["run", "--target", "aarch64", "-M", "virt,highmen=off"],
            "Property 'virt-7.2-machine.highmen' not found (did you mean 'highmem'?)",
            1,
        ),
        (
            ["run", "-M", "none", "-m", "1G,slot=2"],
            "-m 1G,slot=2: Invalid parameter 'slot' (did you mean 'slots'?)",
            1,
        ),
        (
            ["lst-boards"],
            "unknown command 'lst-boards' (did you mean 'list-boards'? see 'machinectl --help')",
            1,
        ),
        (
            ["run", "-mem-prealoc"],
            f"-mem-prealoc: invalid option (did you mean '-mem-prealloc'? {RUN_HELP[1:]}",
            1,
        ),
        (
            ["list-boards", "--family", "amr"],
            "list-boards: no machine type has family 'amr' (did you mean 'arm'? known: alpha, arm",
            1,
        ),
    ],
)
def test_near_misses_get_a_suggestion_after_qemu_s_words(
    args: list[str], line: str, status: int
) -> None:
    proc = run(*args)
    assert proc.returncode == status
    assert proc.stderr.startswith(f"machinectl: {line}"), proc.stderr
    assert proc.stderr.count("\n") == 1


def test_no_suggestion_when_nothing_is_close() -> None:
    proc = run("run", "-M", "qqqqqq")
    assert proc.stderr == (
        "machinectl: unsupported machine type (Use -machine help to list supported machines)\n"
    )


# -- QEMU's other options -----------------------------------------------------------------------


def test_a_pasted_qemu_command_line_builds_and_names_what_it_ignored() -> None:
    proc = run(
        *("run", "-machine", "q35,accel=kvm,vmport=off", "-cpu", "host", "-enable-kvm"),
        *("-m", "256M", "-smp", "2", "-nographic", "-drive", "file=disk.img,if=virtio"),
        *("-object", "iothread,id=io0", "-device", "virtio-net-pci,netdev=n0"),
        *("-netdev", "user,id=n0", "-serial", "mon:stdio", "--dry-run"),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        "machinectl: warning: ignored, not about RAM: -enable-kvm; -nographic; "
        "-drive file=disk.img,if=virtio; -object iothread,id=io0; "
        "-device virtio-net-pci,netdev=n0; -netdev user,id=n0; -serial mon:stdio; "
        "-machine accel=kvm,vmport=off\n"
    )
    assert "machine: pc-q35-7.2 " in proc.stdout
    assert "base memory: 268435456\n" in proc.stdout
    assert run("run", "-M", "none", "-nographic", "--quiet", "--dry-run").stderr == ""


def test_objects_machinectl_models_are_not_ignored() -> None:
    """Thread contexts and memory backends are built, whatever other objects are ignored."""
    proc = run(
        *("run", "-M", "none", "-object", "iothread,id=io0"),
        *("-object", "thread-context,id=tc,cpu-affinity=0"),
        *("-object", "memory-backend-ram,id=m0,size=8M,prealloc=on,prealloc-context=tc"),
        *("-object", "memory-backend-memfd,id=m1,size=8M"),
        *("-machine", "memory-backend=m0", "-m", "8M", "--json"),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "machinectl: warning: ignored, not about RAM: -object iothread,id=io0\n"
    memdevs = {m["id"]: m for m in json.loads(proc.stdout)["memdev"]}
    assert set(memdevs) == {"m0", "m1"} and memdevs["m0"]["prealloc"] is True


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["-readconfig", "vm.cfg"],
            "-readconfig vm.cfg: not supported: a configuration file may hold RAM options "
            "machinectl would not read",
        ),
    ],
)
def test_options_that_would_misstate_ram_are_refused(args: list[str], line: str) -> None:
    proc = run("run", "-M", "pc", *args)
    assert (proc.returncode, proc.stderr) == (1, f"machinectl: {line} {RUN_HELP}\n")


def test_an_ignored_option_without_its_value_is_qemu_s_error() -> None:
    proc = run("run", "-M", "none", "-drive")
    assert (proc.returncode, proc.stderr) == (
        1,
        f"machinectl: -drive: requires an argument {RUN_HELP}\n",
    )


def test_a_machine_property_qemu_lacks_is_still_refused() -> None:
    proc = run("run", "-M", "pc,highmem=off")
    assert proc.stderr == "machinectl: Property 'pc-i440fx-7.2-machine.highmem' not found\n"


# -- list-boards --------------------------------------------------------------------------------


def test_list_boards_filters() -> None:
    every = json.loads(run("list-boards", "--json").stdout)
    arm = json.loads(run("list-boards", "arm", "--json").stdout)
    assert arm and all(
        "arm"
        in " ".join(
            [r["name"], r["alias"] or "", r["family"], r["description"], *r["targets"]]
        ).lower()
        for r in arm
    )
    assert len(arm) < len(every)
    family = json.loads(run("list-boards", "--family", "x86", "--json").stdout)
    assert family and {r["family"] for r in family} == {"x86"}
    target = json.loads(run("list-boards", "--target", "ppc", "--json").stdout)
    assert {r["name"] for r in target} == {
        r["name"] for r in every if "ppc" in r["targets"] or "*" in r["targets"]
    }
    both = json.loads(run("list-boards", "RASPI", "--family", "arm", "--json").stdout)
    assert {r["name"] for r in both} >= {"raspi3b"}
    assert all("raspi" in r["name"] for r in both)


def test_list_boards_text_is_easy_to_cut() -> None:
    lines = run("list-boards").stdout.splitlines()
    rows = json.loads(run("list-boards", "--json").stdout)
    assert len(lines) == len(rows) + 1
    for line, row in zip(lines[1:], rows, strict=True):
        fields = line.split(None, 8)
        assert len(fields) == 9, line  # no empty cell: '-' stands for nothing
        assert fields[0] == row["name"] and fields[1] == (row["alias"] or "-")
        assert fields[8] == (row["description"] or "-")


# -- output --------------------------------------------------------------------------------------


def test_text_summary_is_info_memory_size_summary() -> None:
    # QEMU 7.2 (qemu-system-aarch64 -M virt -m 1G, 'info memory_size_summary').
    proc = run("run", "--target", "aarch64", "-M", "virt", "-m", "1G", "--dry-run")
    assert proc.stdout.endswith(
        "base memory: 1073741824\nplugged memory: 0\n(dry run: nothing allocated)\n"
    )
    summary = json.loads(
        run("run", "--target", "aarch64", "-M", "virt", "-m", "1G", "--dry-run", "--json").stdout
    )
    assert summary["memory-size-summary"] == {"base-memory": 1 << 30, "plugged-memory": 0}


def test_describe_shows_the_map_run_shows_aliases_included() -> None:
    text = run("describe", "raspi3b").stdout
    built = run("run", "-M", "raspi3b", "--dry-run").stdout
    # The tree with the VideoCore aliases, as 'info mtree' shows them ...
    assert (
        "0000000000000000-000000003bffffff (prio 0, ram): alias ram-arm @ram "
        "0000000000000000-000000003bffffff"
    ) in text
    assert "alias ram-videocore @ram 000000003c000000-000000003fffffff" in text
    # ... and the flat view, line for line what run prints.
    flat = built[built.index("FlatView #0") : built.index("\n\n", built.index("FlatView #0"))]
    assert "\n".join("    " + line for line in flat.splitlines()) in text
    info = json.loads(run("describe", "raspi3b", "--json").stdout)
    names = [r["name"] for r in info["memory-tree"]["subregions"]]
    assert {"ram-arm", "ram-videocore"} <= set(names)


def test_plugins_lists_each_hook_once() -> None:
    data = json.loads(run("plugins", "--json").stdout)
    for plugin in data["plugins"]:
        assert plugin["hooks"] == sorted(set(plugin["hooks"])), plugin["name"]
    builtin = next(p for p in data["plugins"] if p["name"] == "builtin")
    assert builtin["hooks"].count("default_ram_size") == 1
    text = run("plugins").stdout
    assert "default_ram_size, default_ram_size" not in text


def test_guest_ram_repr_shows_no_internals() -> None:
    from machinectl import Machine

    with Machine.from_argv(["-M", "none", "-m", "8M"]) as machine:
        assert repr(machine.ram) == "GuestRam(id='ram', size=8388608, backends=['ram'])"
        assert "_memory" not in repr(machine.backends[0])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["-M", "-m", "-object", "-cpu", "-device", "--json", "--target", "-h", "help"]
            ),
            st.text(max_size=12),
        ),
        max_size=8,
    )
)
def test_sorting_run_s_arguments_raises_only_usage_errors(args: list[str]) -> None:
    from machinectl.cmdline import help_request, split_run_args
    from machinectl.errors import MachineError
    from machinectl.qemu_options import WITH_VALUE

    try:
        split = split_run_args(args)
    except MachineError:
        return
    # Every argument lands in exactly one place.
    names = [i.split(" ", 1)[0] for i in split.ignored]
    ignored = sum(2 if n.removeprefix("-") in WITH_VALUE or n in WITH_VALUE else 1 for n in names)
    assert len(split.own) + len(split.ram) + ignored == len(args)
    help_request(split.ram)


def test_boards_whose_ram_is_not_from_a_backend_are_marked() -> None:
    rows = {r["name"]: r for r in json.loads(run("list-boards", "--json").stdout)}
    assert rows["akita"]["ram-from-backend"] is False
    assert rows["raspi3b"]["ram-from-backend"] is True
    described = json.loads(run("describe", "akita", "--json").stdout)
    assert described["ram-from-backend"] is False
    assert "RAM not from a backend" in run("describe", "akita").stdout
