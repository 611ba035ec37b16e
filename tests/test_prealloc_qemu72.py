"""Thread contexts, ``-overcommit`` and ``-numa dist|cpu|hmat-*`` against QEMU 7.2's answers.

``data/prealloc_qemu72.json`` holds what QEMU 7.2 answered for each command line (see
``data/record_prealloc.py``). Every record is built here without allocating memory: a refused
command line must fail with QEMU's message, an accepted one must build, with the thread
contexts' affinity read back from their threads as ``qom-get`` reads it. Where machinectl
follows a newer QEMU on purpose, :data:`NEWER` says what it does instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from machinectl import Machine, MachineError

DATA = json.loads((Path(__file__).parent / "data" / "prealloc_qemu72.json").read_text())
#: Command lines where machinectl follows QEMU 10 (mem-lock=on-fault and its message).
NEWER: dict[str, str | None] = {
    "-M none -overcommit mem-lock=on-fault": None,
    "-M none -overcommit mem-lock=x": (
        "-overcommit mem-lock=x: parameter 'mem-lock' expects one of 'on', 'off', 'on-fault'"
    ),
}


def _key(record: dict[str, Any]) -> str:
    return " ".join(record["argv"])


@pytest.mark.parametrize("record", DATA["cases"], ids=_key)
def test_outcome_as_qemu(record: dict[str, Any]) -> None:
    expected = NEWER.get(_key(record), record.get("error"))
    if expected is None:
        with Machine.from_argv(record["argv"], allocate=False) as machine:
            contexts = {c["id"]: c for c in machine.query()["thread-contexts"]}
            tids = {int(tid) for tid in os.listdir("/proc/self/task")}
            for name, wanted in record.get("thread-contexts", {}).items():
                assert contexts[name]["thread-id"] in tids
                if sorted(os.sched_getaffinity(0)) == DATA["host-cpus"]:
                    assert contexts[name]["cpu-affinity"] == wanted["cpu-affinity"]
        assert all(c.thread_id == -1 for c in machine.contexts)
        return
    with pytest.raises(MachineError) as info:
        Machine.from_argv(record["argv"], allocate=False).close()
    assert str(info.value) == expected


def test_the_records_cover_each_kind() -> None:
    text = " ".join(_key(record) for record in DATA["cases"])
    for word in ("thread-context", "prealloc-context", "mem-lock", "dist,", "cpu,", "hmat-lb"):
        assert word in text
    assert "hmat-cache" in text
