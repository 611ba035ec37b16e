"""Say how each hook is called, read from its pluggy marker so the text cannot drift.

For every function of ``machinectl.hooks`` that carries a hookspec marker, autodoc gets one
more line after the summary: whether the call stops at the first result or runs every
implementation.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

FIRST_RESULT = (
    "**Call:** first result: implementations are asked in turn until one returns something "
    "other than None."
)
ALL_RUN = "**Call:** all run: every implementation is called."


def _add_call_kind(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    if what != "function" or not name.startswith("machinectl.hooks."):
        return
    opts = getattr(obj, "machinectl_spec", None)
    if opts is None:
        return
    text = FIRST_RESULT if opts.get("firstresult") else ALL_RUN
    # After the summary paragraph, before the details.
    end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    lines[end:end] = ["", text]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("autodoc-process-docstring", _add_call_kind)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
