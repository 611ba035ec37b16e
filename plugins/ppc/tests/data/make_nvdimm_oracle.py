"""Regenerate ``qemu72_nvdimm.json``: what QEMU 7.2 does with pseries' NVDIMM options.

    cd /work/main && python3 plugins/ppc/tests/data/make_nvdimm_oracle.py

Every pseries version is started with the ``nvdimm`` machine property (which exists from
pseries-5.0), and a few versions on each side of the feature's
boundaries with an ``nvdimm``, an ``spapr-nvdimm`` and a ``pc-dimm`` device, with NVDIMMs left
at their default, turned on and turned off. The file backend's ``mem-path`` is relative: QEMU
runs in a scratch folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "tools"))

import qemu_oracle  # noqa: E402

PPC64 = "qemu-system-ppc64"
#: The properties alone, on every version.
PROPERTIES = ["nvdimm=on", "nvdimm=off", "nvdimm=bogus"]
#: Versions also run with memory devices: without hotplug, without NVDIMMs, with them.
WITH_DEVICES = ("2.4", "2.5", "4.2", "5.0", "6.0", "7.2")
HOTPLUG = "1G,slots=4,maxmem=8G"
#: 256 MiB of persistent memory after a 128 KiB label.
NVDIMM_SIZE = "262272K"
UUID = "uuid=01234567-89ab-cdef-0123-456789abcdef"
DEVICES = [
    [
        "-object",
        f"memory-backend-file,id=m1,size={NVDIMM_SIZE},mem-path=nv.img",
        "-device",
        f"spapr-nvdimm,id=d1,memdev=m1,label-size=128K,{UUID}",
    ],
    [
        "-object",
        f"memory-backend-ram,id=m1,size={NVDIMM_SIZE}",
        "-device",
        f"nvdimm,id=d1,memdev=m1,label-size=128K,{UUID}",
    ],
    ["-object", "memory-backend-ram,id=m1,size=256M", "-device", "pc-dimm,id=d1,memdev=m1"],
]
SWITCHES: list[list[str]] = [[], ["-machine", "nvdimm=on"], ["-machine", "nvdimm=off"]]
#: These versions ask for hardware transactional memory, which TCG refuses.
NO_HTM = {f"pseries-{v}": ["-machine", "cap-htm=off"] for v in ("2.8", "2.9", "2.10", "2.11")}


def main() -> int:
    jobs: list[qemu_oracle.Job] = []
    for machine in qemu_oracle.machine_types(PPC64, r"pseries-.*"):
        base = NO_HTM.get(machine, [])
        jobs += [(PPC64, machine, None, [*base, "-machine", p]) for p in PROPERTIES]
        if machine.removeprefix("pseries-") in WITH_DEVICES:
            jobs += [
                (PPC64, machine, HOTPLUG, [*base, *devices, *switch])
                for devices in DEVICES
                for switch in SWITCHES
            ]
    with qemu_oracle.zero_files() as scratch:
        records = qemu_oracle.probe_all(jobs, tree=True, cwd=scratch)
    qemu_oracle.write_records(HERE / "qemu72_nvdimm.json", records)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
