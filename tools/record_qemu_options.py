"""Record which QEMU 7.2 command-line options take a value, from the installed binaries.

Writes ``core/machinectl/qemu_options.py``: every option some ``qemu-system-*`` binary knows,
with whether it takes a value, every ``-object`` type and every ``-machine`` property. The option
names come from each binary's ``-help`` text; each name is then asked of the binary itself:
``qemu -M help -NAME`` fails with "requires an argument" when the option takes a value,
prints the machine list when it does not, and says "invalid option" when the binary does
not know it. Run it again after a QEMU upgrade.
"""

from __future__ import annotations

import glob
import re
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "core" / "machinectl" / "qemu_options.py"
#: Options QEMU accepts but leaves out of ``-help``.
#: Accelerator options ``-machine`` takes although no machine type lists them.
LEGACY_MACHINE_OPTIONS = (
    "accel",
    "kernel-irqchip",
    "kernel_irqchip",
    "kvm-shadow-mem",
    "kvm_shadow_mem",
)
HIDDEN = ("M", "hdb", "hdc", "hdd", "fdb", "help", "h", "preconfig", "qtest", "qtest-log")


def names(binary: str) -> set[str]:
    text = subprocess.run([binary, "-help"], capture_output=True, text=True, check=False).stdout
    found = set(HIDDEN)
    for line in text.splitlines():
        for token in re.findall(r"(?:^|[ /])-([a-zA-Z][a-zA-Z0-9_-]*)", line.split("  ")[0]):
            found.add(token)
    return found


def takes_value(binary: str, name: str) -> bool | None:
    proc = subprocess.run(
        [binary, "-M", "help", f"-{name}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    if "requires an argument" in proc.stderr:
        return True
    if "invalid option" in proc.stderr:
        return None
    return False


def object_types(binary: str) -> set[str]:
    text = subprocess.run(
        [binary, "-object", "help"], capture_output=True, text=True, check=False
    ).stdout
    return {line.strip() for line in text.splitlines()[1:] if line.startswith("  ")}


def machine_properties(binary: str) -> set[str]:
    """The ``-machine`` properties of every machine type of ``binary``."""
    listing = subprocess.run([binary, "-M", "help"], capture_output=True, text=True, check=False)
    found: set[str] = set()
    for line in listing.stdout.splitlines()[1:]:
        name = line.split()[0] if line.strip() else ""
        if not name:
            continue
        text = subprocess.run(
            [binary, "-M", f"{name},help"], capture_output=True, text=True, check=False
        ).stdout
        found |= {m.group(1) for m in re.finditer(r"^  ([a-z0-9_.-]+)=<", text, re.M)}
    return found


def main() -> None:
    options: dict[str, bool] = {}
    objects: set[str] = set()
    properties: set[str] = set(LEGACY_MACHINE_OPTIONS)
    for binary in sorted(glob.glob("/usr/bin/qemu-system-*")):
        objects |= object_types(binary)
        properties |= machine_properties(binary)
        for name in sorted(names(binary) - set(options)):
            if name in ("daemonize",):  # would fork; it takes no value
                options[name] = False
                continue
            answer = takes_value(binary, name)
            if answer is not None:
                options[name] = answer
    with_value = sorted(n for n, v in options.items() if v)
    without = sorted(n for n, v in options.items() if not v)
    version = subprocess.run(
        ["qemu-system-x86_64", "-version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[0]
    OUT.write_text(
        '"""QEMU\'s command-line options and whether each takes a value (generated).\n\n'
        f"Recorded from the installed binaries by ``tools/record_qemu_options.py``\n({version});"
        ' do not edit by hand.\n"""\n\n'
        "WITH_VALUE = frozenset(\n    {\n"
        + "".join(f'        "-{n}",\n' for n in with_value)
        + "    }\n)\nWITHOUT_VALUE = frozenset(\n    {\n"
        + "".join(f'        "-{n}",\n' for n in without)
        + "    }\n)\n"
        + "#: The ``-machine`` properties of every machine type of every binary, and the legacy\n"
        + "#: accelerator options ``-machine`` still takes.\n"
        + "MACHINE_PROPERTIES = frozenset(\n    {\n"
        + "".join(f'        "{n}",\n' for n in sorted(properties))
        + "    }\n)\n"
        + "#: The ``-object`` types of ``-object help`` of every binary.\n"
        + "OBJECT_TYPES = frozenset(\n    {\n"
        + "".join(f'        "{n}",\n' for n in sorted(objects))
        + "    }\n)\n"
    )
    print(f"{OUT}: {len(with_value)} with a value, {len(without)} without", file=sys.stderr)


if __name__ == "__main__":
    main()
