#!/usr/bin/env python3
"""Record the device windows a QEMU machine type maps over RAM, as Python data for a plugin.

    python3 tools/qemu_windows.py --binary qemu-system-aarch64 --machine raspi3b -m 1G \
        --name RASPI3B --below 0x40000000 >> plugins/arm/src/machinectl_arm/windows_qemu72.py

QEMU runs the machine type (``-display none -S -nodefaults``); the regions of its system
address space (``info mtree``) other than main RAM (the backends of ``query-memdev`` and the
aliases of them) that start below ``--below`` (default: the end of main RAM) and end after
``--above`` become :class:`machinectl.boards.Window` records, nested as QEMU nests them, with
QEMU's names, sizes, priorities and types. ``info mtree`` prints containers and I/O regions
alike as ``i/o``; the flat view (``info mtree -f``) tells them apart: a region that never shows
in it under its own name is a container, whose gaps let RAM through. An alias of a region that
is not main RAM becomes a window of the alias's type named after its target. ``--memory`` keeps
only the memory of the board (``ram``, ``rom`` and ``romd`` regions: on-chip SRAM, video RAM,
SDRAM the board allocates itself, firmware, flash) and the containers that hold it.

The output is a Python assignment ``NAME: tuple[Window, ...] = (...)`` to append to a module
that imports ``Window``. Needs QEMU (Debian's qemu-system-* 7.2); not used by the tests.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_TREE_LINE = re.compile(
    r"^(?P<indent> *)(?P<start>[0-9a-f]+)-(?P<end>[0-9a-f]+) "
    r"\(prio (?P<prio>-?\d+), (?P<kind>[a-z/]+)\): (?P<rest>.*)$"
)
_FLAT_LINE = re.compile(
    r"^ *(?P<start>[0-9a-f]+)-(?P<end>[0-9a-f]+) \(prio -?\d+, [a-z/]+\): "
    r"(?P<name>.+?)(?: @[0-9a-f]+)?$"
)
_ALIAS = re.compile(r"^alias (?P<name>.+?) @(?P<target>.+?) (?P<offset>[0-9a-f]+)-[0-9a-f]+$")


@dataclass
class Node:
    """One region of ``info mtree``: absolute ``[start, end]``, its priority, type and name."""

    start: int
    end: int
    priority: int
    kind: str
    name: str
    alias_of: str | None = None
    alias_offset: int = 0
    children: list[Node] = field(default_factory=list)


def qmp(binary: str, argv: Sequence[str], commands: Sequence[dict[str, Any]]) -> list[Any]:
    """Run QEMU with ``argv`` and the QMP ``commands``; their return values, in order."""
    script = [{"execute": "qmp_capabilities"}, *commands, {"execute": "quit"}]
    proc = subprocess.run(
        [binary, *argv, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"],
        input="".join(json.dumps(c) + "\n" for c in script),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    replies = []
    for line in proc.stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "return" in message:
            replies.append(message["return"])
    if len(replies) < len(commands) + 1:
        raise SystemExit(f"{binary} {' '.join(argv)}: {proc.stderr.strip()}")
    return replies[1 : len(commands) + 1]


def hmp(line: str) -> dict[str, Any]:
    return {"execute": "human-monitor-command", "arguments": {"command-line": line}}


def system_section(text: str, flat: bool) -> list[str]:
    """The lines of the system address space of ``info mtree`` (or of its flat view)."""
    text = text.replace("\r\n", "\n")
    if flat:
        for section in text.split("\n\n"):
            if 'AS "memory", root: system' in section:
                return section.splitlines()
        return []
    return text.split("address-space: memory\n", 1)[1].split("\n\n", 1)[0].splitlines()


def parse_tree(lines: Sequence[str]) -> Node:
    """The system region and everything below it."""
    stack: list[tuple[int, Node]] = []
    root: Node | None = None
    for line in lines:
        match = _TREE_LINE.match(line)
        if match is None:
            continue
        rest = match["rest"]
        alias = _ALIAS.match(rest)
        node = Node(
            start=int(match["start"], 16),
            end=int(match["end"], 16),
            priority=int(match["prio"]),
            kind=match["kind"],
            name=alias["name"] if alias else rest,
            alias_of=alias["target"] if alias else None,
            alias_offset=int(alias["offset"], 16) if alias else 0,
        )
        depth = len(match["indent"])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            stack[-1][1].children.append(node)
        else:
            root = node
        stack.append((depth, node))
    if root is None:
        raise SystemExit("no system address space in info mtree")
    return root


def shown_names(flat_lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """``(start, end, region)`` of each line of the flat view."""
    shown = []
    for line in flat_lines:
        match = _FLAT_LINE.match(line)
        if match is not None:
            shown.append((int(match["start"], 16), int(match["end"], 16), match["name"]))
    return shown


def region_sizes(text: str) -> dict[str, int]:
    """The size of every region ``info mtree`` shows that is not an alias, by name."""
    sizes: dict[str, int] = {}
    for line in text.replace("\r\n", "\n").splitlines():
        match = _TREE_LINE.match(line)
        if match is not None and not match["rest"].startswith("alias "):
            sizes.setdefault(match["rest"], int(match["end"], 16) - int(match["start"], 16) + 1)
    return sizes


def clip_aliases(node: Node, sizes: dict[str, int]) -> None:
    """Cut each alias to the part of its target that exists (only that part shows)."""
    if node.alias_of is not None and node.alias_of in sizes:
        length = min(node.end - node.start + 1, sizes[node.alias_of] - node.alias_offset)
        node.end = node.start + length - 1
    for child in node.children:
        clip_aliases(child, sizes)


def window_kind(node: Node, shown: list[tuple[int, int, str]]) -> str:
    """QEMU's type of a region as a window kind; ``i/o`` that never shows is a container."""
    if node.kind != "i/o":
        return node.kind
    own = any(
        name == node.name and start >= node.start and end <= node.end for start, end, name in shown
    )
    return "io" if own else "container"


def in_mapping_order(nodes: list[Node]) -> list[Node]:
    """Siblings in the order they are to be mapped: ``info mtree`` lists siblings at the same
    address and priority newest first, and of those the one mapped last wins."""
    ordered: list[Node] = []
    run: list[Node] = []
    for node in nodes:
        if run and (run[0].start, run[0].priority) != (node.start, node.priority):
            ordered += reversed(run)
            run = []
        run.append(node)
    return ordered + list(reversed(run))


def source(node: Node, parent_start: int, shown: list[tuple[int, int, str]], depth: int) -> str:
    """The Python expression of one window and its parts."""
    pad = "    " * depth
    kind = window_kind(node, shown)
    name = node.alias_of if node.alias_of is not None else node.name
    args = [json.dumps(name), f"{node.start - parent_start:#x}", f"{node.end - node.start + 1:#x}"]
    if kind != "io":
        args.append(json.dumps(kind))
    if node.priority:
        args.append(f"priority={node.priority}")
    if node.children and node.alias_of is None:
        children = in_mapping_order(node.children)
        parts = "".join(source(c, node.start, shown, depth + 1) for c in children)
        args.append(f"parts=(\n{parts}{pad})")
    return f"{pad}Window({', '.join(args)}),\n"


def memory_only(node: Node, ram_ids: set[str]) -> Node | None:
    """The node with only its memory regions (and the containers holding them) that are not
    main RAM, or None."""
    if node.name in ram_ids or node.alias_of in ram_ids:
        return None
    if node.kind != "i/o":
        return node
    kept = [c for c in (memory_only(child, ram_ids) for child in node.children) if c]
    if not kept:
        return None
    return Node(node.start, node.end, node.priority, node.kind, node.name, node.alias_of, kept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--machine", required=True)
    parser.add_argument("-m", dest="size", help="the -m value QEMU runs with")
    parser.add_argument("--extra", default="", help="more QEMU arguments, space-separated")
    parser.add_argument("--name", required=True, help="the Python name of the tuple")
    parser.add_argument("--above", type=lambda t: int(t, 0), default=0)
    parser.add_argument("--below", type=lambda t: int(t, 0), help="default: the end of RAM")
    parser.add_argument("--memory", action="store_true", help="only the board's own memory")
    args = parser.parse_args(argv)
    qemu_argv = ["-M", args.machine, *(["-m", args.size] if args.size else []), *args.extra.split()]
    memdev, tree_text, flat_text = qmp(
        args.binary,
        qemu_argv,
        [{"execute": "query-memdev"}, hmp("info mtree"), hmp("info mtree -f")],
    )
    ram_ids = {d["id"] for d in memdev}
    system = parse_tree(system_section(tree_text, flat=False))
    clip_aliases(system, region_sizes(tree_text))
    shown = shown_names(system_section(flat_text, flat=True))
    ram = [n for n in system.children if n.name in ram_ids or n.alias_of in ram_ids]
    below = args.below if args.below is not None else max((n.end + 1 for n in ram), default=1 << 64)
    windows = [
        n for n in system.children if n not in ram and n.start < below and n.end >= args.above
    ]
    if args.memory:
        windows = [m for m in (memory_only(n, ram_ids) for n in windows) if m is not None]
    size = f" -m {args.size}" if args.size else ""
    count = f"{len(windows)} region{'' if len(windows) == 1 else 's'}"
    print(f"#: {args.binary} -M {args.machine}{size}: {count} besides main RAM.")
    body = "".join(source(n, 0, shown, 1) for n in in_mapping_order(windows))
    print(f"{args.name}: tuple[Window, ...] = (\n{body})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
