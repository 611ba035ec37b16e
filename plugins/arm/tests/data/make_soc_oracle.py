"""Regenerate ``qemu72_soc.json``: QEMU 7.2 on the arm machine types of ``soc_boards``.

    python3 plugins/arm/tests/data/make_soc_oracle.py

Runs Debian's ``qemu-system-aarch64`` (it lists every arm machine type) through
``tools/qemu_oracle.py`` (``record_machine_types``): each machine type without ``-m``, at the
common sizes and at its own limits and splits, and once with ``-machine memory-backend=``.
connex and verdex only start with a flash image: they get 16 MiB or 32 MiB of zeros.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "tools"))

import qemu_oracle  # noqa: E402

NPCM = ["1020M", "1044472K", "1044488K", "2G", "2097160K"]
REALVIEW = ["256M", "262136K", "262152K", "512M", "524280K", "524296K", "768M", "1536M"]
#: machine type -> more -m values
MACHINES: dict[str, list[str]] = {
    **{m: [] for m in (
        "akita", "borzoi", "connex", "emcraft-sf2", "fby35", "lm3s6965evb", "lm3s811evb",
        "mainstone", "microbit", "musca-a", "musca-b1", "netduino2", "netduinoplus2", "nuri",
        "smdkc210", "spitz", "stm32vldiscovery", "terrier", "tosa", "verdex", "z2",
    )},
    **{m: NPCM for m in ("kudo-bmc", "mori-bmc", "npcm750-evb", "quanta-gbs-bmc", "quanta-gsj")},
    "orangepi-pc": ["1048568K", "1048584K"],
    **{m: REALVIEW for m in ("realview-eb", "realview-eb-mpcore", "realview-pb-a8",
                             "realview-pbx-a9")},
}  # fmt: skip
BOOT = {"connex": ["-pflash", "flash16.img"], "verdex": ["-pflash", "flash32.img"]}
FILES = {"flash16.img": 16 << 20, "flash32.img": 32 << 20}

if __name__ == "__main__":
    raise SystemExit(
        qemu_oracle.record_machine_types(
            HERE / "qemu72_soc.json", "qemu-system-aarch64", MACHINES, boot=BOOT, files=FILES
        )
    )
