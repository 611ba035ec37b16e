"""The arm machine types of ``soc_boards`` against QEMU 7.2.

``data/qemu72_soc.json`` is what QEMU 7.2 did (``data/make_soc_oracle.py`` writes it): each
machine type at the common sizes and its own limits, and once with ``-machine memory-backend=``.
Every RAM and ROM line of the flat view is compared, the board's own memory included.
"""

from __future__ import annotations

import re

import machinectl_arm
from machinectl.oracle import DEVICE_NOISE, OracleConformance
from machinectl_arm import soc_boards

SOC = frozenset(facts.name for facts in soc_boards.RECORDS)


class TestAgainstQemu(OracleConformance):
    distribution = "machinectl-arm"
    oracle_files = ("data/qemu72_soc.json",)
    unrecorded = frozenset(f.name for f in machinectl_arm.RECORDS) - SOC
    whole_ram_map = True
    #: The flash image connex and verdex need to start.
    dropped_options = OracleConformance.dropped_options | {"-pflash"}
    #: What QEMU prints about devices, flash images and timers: nothing about RAM.
    ignored_warnings = re.compile(
        rf"{DEVICE_NOISE.pattern}|missing SecureDigital|Timer with period zero|"
        r"Image format was not specified|Automatically detecting the format|"
        r"Specify the 'raw' format|^ALSA lib |^alsa: |^audio: "
    )


def test_every_soc_board_is_in_both_arm_targets() -> None:
    for facts in soc_boards.RECORDS:
        assert facts.spec.resolved_targets == ("aarch64", "arm")
