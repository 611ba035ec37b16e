"""The conformance kit against the test plugin distribution and the built-in ``none``."""

from __future__ import annotations

from machinectl.testing import BoardConformance


class TestBuiltinConformance(BoardConformance):
    distribution = "machinectl"
