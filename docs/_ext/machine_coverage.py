"""Render what each family plugin covers of QEMU's machine types, from the plugins' own data.

``.. machine-coverage::`` emits, for every installed family plugin, its targets, the machine
types QEMU 7.2 lists that the plugin does not ship (its ``NOT_SHIPPED`` mapping, with each
reason) and the QEMU 5.0 machine types it keeps (``QEMU_5_0_ONLY``). The page cannot drift
from the data: ``tests/test_machine_help.py`` checks the same data against QEMU's output.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def _lines() -> list[str]:
    from machinectl.plugins import BUILTIN, ENTRY_POINT_GROUP, create_registry

    eps = [
        ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name != BUILTIN
    ]
    registry = create_registry(only=[ep.name for ep in eps])
    out: list[str] = []
    for ep in sorted(eps, key=lambda e: e.name):
        module = importlib.import_module(ep.module.partition(".")[0])
        boards = [board for board in registry.boards if board.plugin == ep.name]
        targets = sorted({t for board in boards for t in board.targets})
        dist = ep.dist.name if ep.dist is not None else ep.name
        out += [ep.name, "-" * len(ep.name), ""]
        out.append(
            f"``{dist}``: {len(boards)} machine type{'' if len(boards) == 1 else 's'} for "
            + ", ".join(f"``{t}``" for t in targets)
            + "."
        )
        out.append("")
        not_shipped: dict[str, str] = dict(module.NOT_SHIPPED)
        if not_shipped:
            out += ["Not shipped:", ""]
            out += [f"* ``{name}``: {why}" for name, why in sorted(not_shipped.items())]
        elif {board.name for board in boards} <= module.QEMU_5_0_ONLY:
            out.append("QEMU 7.2 no longer has these targets; every machine type is QEMU 5.0's.")
        else:
            out.append("Every machine type QEMU 7.2 lists for these targets is shipped.")
        out.append("")
        old = sorted(module.QEMU_5_0_ONLY)
        if old:
            out.append(
                "From QEMU 5.0, no longer in QEMU 7.2: "
                + ", ".join(f"``{name}``" for name in old)
                + "."
            )
            out.append("")
    return out


class MachineCoverage(SphinxDirective):
    """``.. machine-coverage::``: the coverage sections of every family plugin."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(
            self.state, StringList(_lines(), source="machine-coverage"), container
        )
        return list(container.children)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("machine-coverage", MachineCoverage)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
