#!/usr/bin/env python3
"""Record what QEMU 7.2 does with memory devices, for ``tests/test_memdev.py``.

Two kinds of records:

* command lines: ``qemu-system-X ARGS -display none -S -nodefaults -qmp stdio``, then
  ``query-memory-devices``, ``query-memory-size-summary``, ``info mtree -f`` (the lines of the
  ``memory`` address space), ``info numa``, ``info memory-devices`` and the ``device-memory``
  subtree of ``info mtree``; or the error line when QEMU refuses the command line (without
  the program name). Warnings are kept too.
* QMP sessions: a list of commands sent one after the other; each answer is kept (``return``
  or the error's ``desc``), and events are kept without their timestamps.

    python3 tools/record_memdev.py --out tests/data/memdev_qemu72.json

Needs the QEMU 7.2 binaries (Debian's qemu-system-*); the tests only read the JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

GiB = 1 << 30
MiB = 1 << 20
#: The aarch64 UEFI firmware of Debian's qemu-efi-aarch64 package.
AAVMF = "/usr/share/AAVMF/AAVMF_CODE.fd"

#: (binary suffix, arguments).
COMMAND_LINES: list[tuple[str, str]] = [
    # The examples of the documentation.
    ("x86_64", "-M q35 -m 2G,slots=4,maxmem=16G -object memory-backend-memfd,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1"),
    ("x86_64", "-M q35 -m 2G,slots=4,maxmem=16G -object memory-backend-memfd,id=m1,size=1G "
               "-device virtio-mem-pci,id=vm1,memdev=m1,requested-size=512M"),
    ("ppc64", "-M pseries -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=1G "
              "-device pc-dimm,id=d1,memdev=m1"),
    ("aarch64", "-M virt -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=1G "
                "-device virtio-mem-pci,id=vm1,memdev=m1"),
    ("arm", "-M virt -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=1G "
            "-device virtio-mem-pci,id=vm1,memdev=m1"),
    ("arm", f"-M virt -bios {AAVMF} -m 1G,slots=4,maxmem=8G "
            "-object memory-backend-ram,id=m1,size=1G -device pc-dimm,id=d1,memdev=m1"),
    ("i386", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
             "-device virtio-mem-pci,id=vm1,memdev=m1"),
    ("aarch64", "-M virt -m 4G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=1G "
                "-device virtio-mem-pci,id=vm1,memdev=m1"),
    ("aarch64", "-M virt -m 1G,slots=4,maxmem=8G -object memory-backend-memfd,id=m1,size=1G "
                "-device pc-dimm,id=d1,memdev=m1"),
    # DIMMs on virt need the ACPI GED: firmware and a 64-bit CPU.
    ("aarch64", f"-M virt -cpu max -bios {AAVMF} -m 1G,slots=4,maxmem=8G "
                "-object memory-backend-memfd,id=m1,size=1G -device pc-dimm,id=d1,memdev=m1"),
    ("aarch64", f"-M virt -cpu cortex-a57 -bios {AAVMF} -m 1G,slots=4,maxmem=8G "
                "-object memory-backend-ram,id=m1,size=1G -object memory-backend-ram,id=m2,"
                "size=512M -device pc-dimm,id=d1,memdev=m1,addr=0x100000000 "
                "-device pc-dimm,id=d2,memdev=m2 -object memory-backend-ram,id=m3,size=1G "
                "-device virtio-mem-pci,id=vm1,memdev=m3"),
    ("aarch64", f"-M virt,nvdimm=on -cpu max -bios {AAVMF} -m 1G,slots=4,maxmem=8G "
                "-object memory-backend-ram,id=m1,size=1G -device nvdimm,id=d1,memdev=m1"),
    ("aarch64", f"-M virt,acpi=off -cpu max -bios {AAVMF} -m 1G,slots=4,maxmem=8G "
                "-object memory-backend-ram,id=m1,size=1G -device pc-dimm,id=d1,memdev=m1"),
    ("aarch64", f"-M virt-4.1 -cpu max -bios {AAVMF} -m 1G,slots=4,maxmem=8G "
                "-object memory-backend-ram,id=m1,size=1G -device pc-dimm,id=d1,memdev=m1"),
    ("aarch64", f"-M virt -cpu cortex-a15 -bios {AAVMF} -m 1G,slots=4,maxmem=8G "
                "-object memory-backend-ram,id=m1,size=1G -device pc-dimm,id=d1,memdev=m1"),
    ("aarch64", "-M virt -cpu max -bios /nonexistent/firmware.fd -m 1G,slots=4,maxmem=8G "
                "-object memory-backend-ram,id=m1,size=1G -device pc-dimm,id=d1,memdev=m1"),
    # First fit, slots, hints.
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-object memory-backend-ram,id=m2,size=512M -device pc-dimm,id=d1,memdev=m1 "
               "-device pc-dimm,id=d2,memdev=m2"),
    ("x86_64", "-M pc -m 1G,slots=3,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-object memory-backend-ram,id=m2,size=1G "
               "-device pc-dimm,id=d1,memdev=m1,addr=0x140000000 -device pc-dimm,id=d2,memdev=m2"),
    ("x86_64", "-M pc -m 1G,slots=3,maxmem=4G -object memory-backend-ram,id=m1,size=512M "
               "-object memory-backend-ram,id=m2,size=512M "
               "-object memory-backend-ram,id=m3,size=1G -device pc-dimm,id=d1,memdev=m1,slot=2 "
               "-device pc-dimm,id=d2,memdev=m2,addr=0x160000000 -device pc-dimm,id=d3,memdev=m3"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1,addr=0x140200000"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-memfd,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1,addr=0x140001000"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-memfd,id=m1,size=1028K "
               "-device pc-dimm,id=d1,memdev=m1"),
    ("x86_64", "-M pc-i440fx-2.1 -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,"
               "size=512M -device pc-dimm,id=d1,memdev=m1,addr=0x100001000"),
    ("x86_64", "-M q35 -m 2G,slots=1,maxmem=16G -object memory-backend-memfd,id=m1,size=1G "
               "-object memory-backend-memfd,id=m2,size=1G -device pc-dimm,id=d1,memdev=m2 "
               "-device virtio-mem-pci,id=vm1,memdev=m1"),
    ("x86_64", "-M q35 -m 2G,slots=4,maxmem=16G -object memory-backend-memfd,id=m1,size=1G "
               "-device virtio-mem-pci,id=vm1,memdev=m1,memaddr=0x140000000,block-size=1G"),
    ("x86_64", "-M q35 -m 2G,slots=4,maxmem=16G -object memory-backend-memfd,id=m1,size=1G "
               "-device virtio-mem-pci,id=vm1,memdev=m1,block-size=1M"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-device virtio-pmem-pci,id=p1,memdev=m1"),
    ("x86_64", "-M pc,nvdimm=on -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,"
               "size=1G -device nvdimm,id=d1,memdev=m1,label-size=128K"),
    ("x86_64", "-M pc,nvdimm=on -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,"
               "size=1G -device nvdimm,id=d1,memdev=m1"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=r0,size=512M "
               "-object memory-backend-ram,id=r1,size=512M -numa node,memdev=r0 "
               "-numa node,memdev=r1 -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1,node=1"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=r0,size=512M "
               "-object memory-backend-ram,id=r1,size=512M -numa node,memdev=r0 "
               "-numa node,memdev=r1 -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1,node=2"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=r0,size=512M "
               "-object memory-backend-ram,id=r1,size=512M -numa node,memdev=r0 "
               "-numa node,memdev=r1 -device pc-dimm,id=d1,memdev=r1"),
    ("x86_64", "-M microvm -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1"),
    ("ppc64", "-M pseries -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=512M "
              "-device pc-dimm,id=d1,memdev=m1,addr=0x50000000"),
    ("x86_64", "-M none -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1"),
    ("x86_64", "-M none -m 1G -object memory-backend-ram,id=m1,size=1G "
               "-device virtio-mem-pci,id=d1,memdev=m1"),
    ("x86_64", "-M microvm -m 1G -object memory-backend-ram,id=m1,size=1G "
               "-device virtio-mem-pci,id=d1,memdev=m1"),
    ("ppc64", "-M mac99 -m 1G -object memory-backend-ram,id=m1,size=512M "
              "-device pc-dimm,id=d1,memdev=m1"),
    ("aarch64", "-M raspi3b -m 1G -object memory-backend-ram,id=m1,size=256M "
                "-device pc-dimm,id=d1,memdev=m1"),
    # Refusals.
    ("x86_64", "-M pc -m 1G -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1"),
    ("x86_64", "-M q35 -m 2G -object memory-backend-memfd,id=m1,size=1G "
               "-device virtio-mem-pci,id=vm1,memdev=m1"),
    ("x86_64", "-M pc -m 1G,slots=1,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-object memory-backend-ram,id=m2,size=512M -device pc-dimm,id=d1,memdev=m1 "
               "-device pc-dimm,id=d2,memdev=m2"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=2G -object memory-backend-ram,id=m1,size=1G "
               "-object memory-backend-ram,id=m2,size=512M -device pc-dimm,id=d1,memdev=m1 "
               "-device pc-dimm,id=d2,memdev=m2"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1 -device pc-dimm,id=d2,memdev=m1"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-machine memory-backend=m1 -object memory-backend-ram,id=m2,size=1G "
               "-device pc-dimm,id=d1,memdev=m1"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1,node=1"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1,slot=5"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1,slot=1 -object memory-backend-ram,id=m2,size=1G "
               "-device pc-dimm,id=d2,memdev=m2,slot=1"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1,addr=0x140001000"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1,addr=0x40000000"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1000K "
               "-device pc-dimm,id=d1,memdev=m1"),
    ("x86_64", "-M pc -m 1G,slots=3,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-object memory-backend-ram,id=m2,size=1G -object memory-backend-ram,id=m3,size=2G "
               "-device pc-dimm,id=d1,memdev=m1,addr=0x100000000 -device pc-dimm,id=d2,"
               "memdev=m2,addr=0x180000000 -device pc-dimm,id=d3,memdev=m3"),
    ("x86_64", "-M pc -m 1G,slots=3,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-object memory-backend-ram,id=m2,size=1G -device pc-dimm,id=d1,memdev=m1,"
               "addr=0x140000000 -device pc-dimm,id=d2,memdev=m2,addr=0x120000000"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -device pc-dimm,id=d1"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -device pc-dimm,id=d1,memdev=nope"),
    ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
               "-device nvdimm,id=d1,memdev=m1"),
    ("x86_64", "-M pc,nvdimm=on -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,"
               "size=1G -device nvdimm,id=d1,memdev=m1,label-size=64K"),
    ("x86_64", "-M pc,nvdimm=on -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,"
               "size=2M -device nvdimm,id=d1,memdev=m1,label-size=128K"),
    ("x86_64", "-M q35 -m 2G,slots=4,maxmem=16G -object memory-backend-memfd,id=m1,size=1G "
               "-device virtio-mem-pci,id=vm1,memdev=m1,requested-size=3M"),
    ("x86_64", "-M q35 -m 2G,slots=4,maxmem=16G -object memory-backend-memfd,id=m1,size=1G "
               "-device virtio-mem-pci,id=vm1,memdev=m1,block-size=3M"),
    ("x86_64", "-M q35 -m 2G,slots=4,maxmem=16G -object memory-backend-memfd,id=m1,size=1G "
               "-device virtio-mem-pci,id=vm1,memdev=m1,block-size=2G"),
    ("x86_64", "-M q35 -m 2G,slots=4,maxmem=16G -object memory-backend-memfd,id=m1,size=5M "
               "-device virtio-mem-pci,id=vm1,memdev=m1"),
    ("x86_64", "-M q35 -m 2G,slots=4,maxmem=16G -object memory-backend-memfd,id=m1,size=1G "
               "-device virtio-mem-pci,id=vm1,memdev=m1,node=2"),
    ("x86_64", "-M q35 -m 2G,slots=4,maxmem=16G -object memory-backend-memfd,id=m1,size=1G "
               "-device virtio-mem-pci,id=vm1,memdev=m1,memaddr=0x140100000"),
    ("x86_64", "-M q35 -m 2G,slots=4,maxmem=16G -object memory-backend-memfd,id=m1,size=1G "
               "-device virtio-mem-pci,id=vm1,memdev=m1 -device virtio-mem-pci,id=vm2,memdev=m1"),
    # Property values, as -device parses them.
    *(
        ("x86_64", "-M pc -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=1G "
                   "-object memory-backend-ram,id=m2,size=1G " + devices)
        for devices in (
            "-device pc-dimm,id=d1,memdev=m1 -device pc-dimm,id=d1,memdev=m2",
            "-device pc-dimm,id=d1,memdev=m1,foo=1",
            "-device pc-dimm,id=d1,memdev=m1,slot=abc",
            "-device pc-dimm,id=d1,memdev=m1,slot=1.5",
            "-device pc-dimm,id=d1,memdev=m1,slot=-2",
            "-device pc-dimm,id=d1,memdev=m1,addr=xyz",
            "-device pc-dimm,id=d1,memdev=m1,node=-1",
            "-device pc-dimm,id=d1,memdev=m1,unarmed=on",
            "-device pc-dimm,memdev=m1,addr=0x100000000 -device pc-dimm,memdev=m2,"
            "addr=0x100000000",
            "-device virtio-mem-pci,id=v1,memdev=m1,requested-size=abc",
            "-device virtio-mem-pci,id=v1,memdev=m1,block-size=512K",
            "-device virtio-mem-pci,id=v1,memdev=m1,block-size=0",
            "-device pc-dimm,id=d1,memdev=m1,size=1G",
            "-device virtio-mem-pci,id=v1,memdev=m1,unplugged-inaccessible=maybe",
            "-device virtio-mem-pci,id=v1,memdev=m1,unplugged-inaccessible=off",
        )
    ),
    ("s390x", "-M s390-ccw-virtio -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,"
              "size=1G -device pc-dimm,id=d1,memdev=m1"),
    ("x86_64", "-M isapc -m 1G -object memory-backend-ram,id=m1,size=1G "
               "-device pc-dimm,id=d1,memdev=m1"),
    ("ppc64", "-M pseries -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=128M "
              "-device pc-dimm,id=d1,memdev=m1"),
    ("ppc64", "-M pseries -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=512M "
              "-device pc-dimm,id=d1,memdev=m1,addr=0x40001000"),
    ("ppc64", "-M pseries -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=512M "
              "-device nvdimm,id=d1,memdev=m1"),
    ("ppc64", "-M pseries -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=512M "
              "-device virtio-mem-pci,id=d1,memdev=m1"),
    ("ppc64", "-M pseries -m 1G,slots=4,maxmem=3G -object memory-backend-ram,id=m1,size=512M "
              "-object memory-backend-ram,id=m2,size=1536M "
              "-device pc-dimm,id=d1,memdev=m1,addr=0x60000000 -device pc-dimm,id=d2,memdev=m2"),
    ("ppc64", "-M pseries -m 1G,slots=4,maxmem=3G -object memory-backend-ram,id=m1,size=512M "
              "-object memory-backend-ram,id=m2,size=1G "
              "-device pc-dimm,id=d1,memdev=m1,addr=0x60000000 -device pc-dimm,id=d2,memdev=m2"),
    ("ppc64", "-M pseries -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=512M "
              "-device nvdimm,id=d1,memdev=m1,label-size=128K"),
    ("ppc64", "-M pseries -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=513M "
              "-device nvdimm,id=d1,memdev=m1,label-size=1M"),
    ("ppc64", "-M pseries -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=513M "
              "-device spapr-nvdimm,id=d1,memdev=m1,label-size=1M,uuid=zzz"),
    ("ppc64", "-M pseries -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,size=513M "
              "-device nvdimm,id=d1,memdev=m1,label-size=1M,"
              "uuid=a3d2bd0e-3c3d-4b0e-9b2f-123456789abc"),
    ("ppc64", "-M pseries-2.4 -m 1G,slots=4,maxmem=8G -object memory-backend-ram,id=m1,"
              "size=512M -device pc-dimm,id=d1,memdev=m1"),
    ("ppc64", "-M pseries -m 1G -object memory-backend-ram,id=m1,size=512M "
              "-device pc-dimm,id=d1,memdev=m1"),
]  # fmt: skip


def _dimm_session() -> list[dict[str, Any]]:
    def cmd(name: str, **arguments: Any) -> dict[str, Any]:
        return {"execute": name, "arguments": arguments} if arguments else {"execute": name}

    return [
        cmd("object-add", **{"qom-type": "memory-backend-memfd", "id": "m1", "size": GiB}),
        cmd("object-add", **{"qom-type": "memory-backend-ram", "id": "m2", "size": 512 * MiB}),
        cmd("object-add", **{"qom-type": "memory-backend-ram", "id": "m3", "size": GiB}),
        cmd("device_add", driver="pc-dimm", id="d1", memdev="m1"),
        cmd("device_add", driver="pc-dimm", id="d2", memdev="m2"),
        cmd("device_add", driver="virtio-mem-pci", id="vm1", memdev="m3"),
        cmd("query-memory-devices"),
        cmd("query-memory-size-summary"),
        cmd("qom-set", path="vm1", property="requested-size", value=512 * MiB),
        cmd("qom-set", path="vm1", property="requested-size", value=3 * MiB),
        cmd("qom-set", path="vm1", property="requested-size", value=2 * GiB),
        cmd("qom-get", path="vm1", property="requested-size"),
        cmd("qom-get", path="vm1", property="size"),
        cmd("device_add", driver="pc-dimm", id="d3", memdev="m2"),
        cmd("object-del", id="m2"),
        cmd("device_del", id="d1"),
        cmd("device_del", id="vm1"),
        cmd("device_del", id="nope"),
        cmd("query-memory-devices"),
        cmd("query-memory-size-summary"),
        cmd("human-monitor-command", **{"command-line": "info memory-devices"}),
    ]


#: (binary suffix, arguments, commands).
SESSIONS: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("x86_64", "-M pc -m 1G,slots=4,maxmem=16G", _dimm_session()),
    ("x86_64", "-M q35 -m 2G,slots=4,maxmem=16G", _dimm_session()),
]


def _qmp(
    binary: str, args: Sequence[str], commands: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str]:
    argv = [binary, *args, "-display", "none", "-S", "-nodefaults", "-qmp", "stdio"]
    text = "".join(
        json.dumps(c) + "\n"
        for c in [{"execute": "qmp_capabilities"}, *commands, {"execute": "quit"}]
    )
    proc = subprocess.run(
        argv, input=text, capture_output=True, text=True, timeout=120, check=False
    )
    messages = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return messages, proc.stderr


def _strip(stderr: str, binary: str) -> list[str]:
    prefix = f"{binary}: "
    return [line.removeprefix(prefix) for line in stderr.splitlines() if line.strip()]


def _flat_memory(mtree: str) -> list[str]:
    for block in mtree.split("FlatView #"):
        if 'AS "memory"' in block:
            return [line.strip() for line in block.splitlines() if line.startswith("  0")]
    return []


def device_tree(mtree: str) -> list[str]:
    """The ``device-memory`` subtree of ``info mtree`` (its first occurrence), dedented."""
    lines = mtree.replace("\r\n", "\n").splitlines()
    for i, line in enumerate(lines):
        if line.endswith("): device-memory"):
            indent = len(line) - len(line.lstrip())
            out = [line.strip()]
            for following in lines[i + 1 :]:
                if len(following) - len(following.lstrip()) <= indent:
                    break
                out.append(" " * (len(following) - len(following.lstrip()) - indent)
                           + following.strip())  # fmt: skip
            return out
    return []


def record_command_line(target: str, args: str) -> dict[str, Any]:
    binary = f"qemu-system-{target}"
    commands = [
        {"execute": "query-memory-devices"},
        {"execute": "query-memory-size-summary"},
        {"execute": "human-monitor-command", "arguments": {"command-line": "info mtree -f"}},
        {"execute": "human-monitor-command", "arguments": {"command-line": "info numa"}},
        {"execute": "human-monitor-command",
         "arguments": {"command-line": "info memory-devices"}},
        {"execute": "human-monitor-command", "arguments": {"command-line": "info mtree"}},
    ]  # fmt: skip
    messages, stderr = _qmp(binary, args.split(), commands)
    returns = [m["return"] for m in messages if "return" in m]
    lines = _strip(stderr, binary)
    # Only warnings about memory devices: pseries under TCG warns about its capabilities.
    warnings = [line for line in lines if "-device" in line]
    record: dict[str, Any] = {"target": target, "args": args}
    if len(returns) < 7:
        record["error"] = lines[0] if lines else ""
        return record
    record.update(
        {
            "memory-devices": returns[1],
            "memory-size-summary": returns[2],
            "flat": _flat_memory(returns[3]),
            "numa": returns[4].replace("\r\n", "\n"),
            "info-memory-devices": returns[5].replace("\r\n", "\n"),
            "device-tree": device_tree(returns[6]),
            "warnings": warnings,
        }
    )
    return record


def record_session(target: str, args: str, commands: list[dict[str, Any]]) -> dict[str, Any]:
    binary = f"qemu-system-{target}"
    messages, _ = _qmp(binary, args.split(), commands)
    answers = []
    events: list[dict[str, Any]] = []
    replies = iter(messages[2:])  # the greeting and qmp_capabilities
    for command in commands:
        for message in replies:
            if "event" in message:
                events.append({k: v for k, v in message.items() if k != "timestamp"})
                continue
            if "return" in message:
                reply: dict[str, Any] = {"return": message["return"]}
            else:
                reply = {"error": message["error"]}
            if isinstance(reply.get("return"), str):
                reply["return"] = reply["return"].replace("\r\n", "\n")
            answers.append({"command": command, "reply": reply, "events": events})
            events = []
            break
    return {"target": target, "args": args, "transcript": answers}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("tests/data/memdev_qemu72.json"))
    options = parser.parse_args(argv)
    data = {
        "qemu": "7.2",
        "command-lines": [record_command_line(t, a) for t, a in COMMAND_LINES],
        "sessions": [record_session(t, a, c) for t, a, c in SESSIONS],
    }
    options.out.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    print(f"{options.out}: {len(data['command-lines'])} command lines, "
          f"{len(data['sessions'])} sessions")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
