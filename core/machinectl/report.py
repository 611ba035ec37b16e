"""What the ``machinectl`` commands print: tables, QEMU's machine list, the text of
``describe`` and of ``run``, and the preallocation progress bar.

Only the standard library is imported here; the commands hand in the data.
"""

from __future__ import annotations

import sys
import time

from .units import human

# Not typing.TYPE_CHECKING: importing typing costs more than printing a listing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from typing import Any, TextIO


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Columns padded to their widest cell, two spaces apart."""
    table = [tuple(map(str, row)) for row in [header, *rows]]
    line = "  ".join(f"{{:<{max(map(len, column))}}}" for column in zip(*table, strict=True))
    sys.stdout.write("".join(line.format(*row).rstrip() + "\n" for row in table))


def print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2) + "\n")


#: ``list-boards``: the header's words have no spaces, and the one column with spaces is last.
BOARD_HEADER = (
    "NAME",
    "ALIAS",
    "FAMILY",
    "TARGETS",
    "DEFAULT-RAM",
    "BYTES",
    "RAM-ID",
    "PLUGIN",
    "DESCRIPTION",
)


def print_boards(rows: Iterable[Mapping[str, Any]]) -> None:
    """``list-boards`` as a table to cut: ``-`` for an empty cell, sizes without a space."""
    size = "default-ram-size"
    print_table(
        BOARD_HEADER,
        [
            (
                r["name"],
                r["alias"] or "-",
                r["family"] or "-",
                ",".join(r["targets"]) or "-",
                r[f"{size}-human"].replace(" ", ""),
                "?" if r[size] is None else str(r[size]),
                r["default-ram-id"] or "-",
                r["distribution"] or r["plugin"],
                r["description"] or "-",
            )
            for r in rows
        ],
    )


def describe_text(info: Mapping[str, Any], memory_map: str) -> str:
    """``describe`` in words; ``info`` is what ``describe --json`` prints."""
    size = info["default-ram-size"]
    out = [f"{info['name']}: {info['description']}".rstrip(": ")]
    if info["alias"]:
        out.append(f"  alias: {info['alias']}")
    out.append(f"  family: {info['family']}")
    out.append(f"  targets: {', '.join(info['targets']) or '-'}")
    out.append(
        f"  plugin: {info['plugin']} ({info['distribution'] or '-'} {info['version'] or ''})"
    )
    out.append(f"  default RAM: {human(size)} ({size} bytes)")
    out.append(
        f"  default RAM id: {info['default-ram-id']}"
        if info["default-ram-id"]
        else "  default RAM id: - (RAM not from a backend: the board allocates its own memory)"
    )
    numa = "yes" if info["numa"] else "no"
    if info["numa"]:
        numa += ", legacy mem= " + ("accepted" if info["numa-mem-supported"] else "refused")
    out.append(f"  NUMA: {numa}")
    if info["properties"]:
        props = ", ".join(f"{k} ({v})" for k, v in info["properties"].items())
        out.append(f"  machine properties: {props}")
    out.append("  RAM rules:")
    out.extend(f"    - {line}" for line in info["rules"])
    out.append(f"  memory map at the default size ({human(size)}), as 'info mtree' and '-f':")
    if memory_map:
        out.extend(f"    {line}".rstrip() for line in memory_map.rstrip("\n").splitlines())
    else:
        out.append(f"    {info.get('memory-map-error')}")
    return "\n".join(out) + "\n"


def summary(machine: Any) -> str:
    """``run``'s text: QEMU's ``info memdev``, ``info mtree -f``, ``info numa`` and
    ``info memory_size_summary``."""
    board = machine.board
    out = [f"machine: {board.name} ({board.distribution or board.plugin})"]
    out.append("")
    out.extend(backend.info_text() for backend in machine.backends)
    out.append("")
    out.append(machine.mtree_text(flat=True))
    out.append(machine.numa_text(distances=True))
    # QEMU's 'info memory_size_summary': plugged memory only where memory devices can be.
    sizes = machine.query()["memory-size-summary"]
    out.append(f"base memory: {sizes['base-memory']}")
    if "plugged-memory" in sizes:
        out.append(f"plugged memory: {sizes['plugged-memory']}")
    if machine.memory_devices:
        # QEMU's 'info memory-devices'.
        out.append("")
        out.append(machine.memory_devices_text().rstrip("\n"))
    if not machine.allocated:
        out.append("(dry run: nothing allocated)")
    return "\n".join(out) + "\n"


def print_plugins(data: Mapping[str, list[dict[str, Any]]]) -> None:
    """``plugins``: one row per loaded plugin, then a line per plugin that was skipped."""
    rows = [
        (
            p["name"],
            p["distribution"] or "-",
            p["version"] or "-",
            str(len(p["boards"])),
            ", ".join(p["hooks"]),
        )
        for p in data["plugins"]
    ]
    print_table(("PLUGIN", "DISTRIBUTION", "VERSION", "BOARDS", "HOOKS"), rows)


# -- QEMU's -machine help ----------------------------------------------------------------------


def machine_list(boards: Iterable[Any], target: str | None = None) -> str:
    """QEMU's ``-machine help`` text: each machine type, an alias on a line of its own first.

    The order is QEMU's: machine-class families first, by family name, each family's types
    newest first (by class name, descending); then the types of no family by class name
    (``NAME-machine``). ``(default)`` marks the default machine type of ``target``.
    """
    lines = ["Supported machines are:"]
    import functools

    boards = sorted(boards, key=functools.cmp_to_key(_machine_class_cmp))
    # Without a target, a name that several targets' types share is followed by the targets
    # of each (QEMU's list is one binary's, where names are unique).
    seen: dict[str, int] = {}
    for board in boards:
        for name in {board.spec.name, board.spec.alias} - {None}:
            seen[str(name)] = seen.get(str(name), 0) + 1
    for board in boards:
        spec = board.spec
        where = ""
        if target is None and (seen[spec.name] > 1 or (spec.alias and seen[spec.alias] > 1)):
            where = f" [{', '.join(board.targets)}]"
        if spec.alias:
            lines.append(f"{spec.alias:<20} {spec.description} (alias of {spec.name}){where}")
        default = " (default)" if target is not None and target in spec.default_for else ""
        deprecated = " (deprecated)" if spec.deprecated else ""
        lines.append(f"{spec.name:<20} {spec.description}{default}{deprecated}{where}")
    return "\n".join(lines) + "\n"


def _machine_class_cmp(a: Any, b: Any) -> int:
    fa, fb = a.spec.machine_family, b.spec.machine_family
    if fa is None or fb is None:
        if fa is None and fb is None:
            return _strcmp(f"{a.name}-machine", f"{b.name}-machine")
        return 1 if fa is None else -1
    return _strcmp(fa, fb) or _strcmp(f"{b.name}-machine", f"{a.name}-machine")


def _strcmp(a: str, b: str) -> int:
    ka, kb = a.encode(), b.encode()
    return (ka > kb) - (ka < kb)


# -- progress ----------------------------------------------------------------------------------


class ProgressBar:
    """Preallocation progress on a terminal, for each backend that takes over a second."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.clock = clock
        self.backend: str | None = None
        self.start = 0.0
        #: A line of the current backend is on the terminal.
        self.shown = False

    def __call__(self, backend_id: str, done: int, total: int) -> None:
        now = self.clock()
        if backend_id != self.backend:
            self.finish()
            self.backend, self.start = backend_id, now
        elapsed = now - self.start
        if elapsed < 1.0 and not self.shown:
            return
        self.shown = True
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate > 0 else 0.0
        width = 30
        filled = width * done // total if total else width
        self.stream.write(
            f"\rpreallocating {backend_id} [{'#' * filled}{'.' * (width - filled)}] "
            f"{done / 2**30:.1f}/{total / 2**30:.1f} GiB {rate / 2**30:.2f} GiB/s "
            f"{left:.0f}s left "
        )
        self.stream.flush()

    def finish(self) -> None:
        """End the line of the bar, if one is shown."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False
