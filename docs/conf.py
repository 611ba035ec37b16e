"""Sphinx configuration for the machinectl documentation.

Build with warnings as errors::

    uv run --group docs sphinx-build -W --keep-going -b html docs build/docs
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

project = "machinectl"
author = "the machinectl authors"
copyright = "the machinectl authors"
release = "0.1"

extensions = ["sphinx.ext.autodoc", "hookspec_call", "machine_coverage"]

root_doc = "index"
exclude_patterns = ["_build"]
templates_path: list[str] = []

# Signatures show the names as written in the source (``Board``, ``MachineState``).
autodoc_typehints = "signature"
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": False}
add_module_names = False

html_theme = "alabaster"
html_title = "machinectl"
html_theme_options = {
    "description": "Board definitions as plugins, guest RAM from real host memory backends",
    "fixed_sidebar": True,
}
