"""``-overcommit mem-lock=on|off|on-fault``: guest RAM locked into host memory.

``mem-lock=on`` is QEMU 7.2's ``mlockall(MCL_CURRENT | MCL_FUTURE)`` before any guest RAM
is mapped, so that every later mapping is locked (and populated) as it is made.
``mem-lock=on-fault`` (QEMU 10) adds ``MCL_ONFAULT``: pages are locked as they are first
touched, not populated up front. A failure carries QEMU's two lines, ``locking memory
failed`` with ``mlockall: <reason>`` as its hint.

QEMU finds out that ``RLIMIT_MEMLOCK`` is too small only when ``mlockall`` or a later mapping
fails. machinectl first checks, before anything is allocated, that what is mapped now plus
guest RAM plus the preallocation threads' stacks fits the limit (:func:`check_limit`), and
says so in one line. A process with ``CAP_IPC_LOCK`` (or an unlimited limit) has no limit.

On the command line a later ``-overcommit`` without ``mem-lock`` keeps the earlier value (QEMU
10; QEMU 7.2 turned it off again).
"""

from __future__ import annotations

import os
import resource

from . import syscalls
from .errors import MachineError

OFF, ON, ON_FAULT = "off", "on", "on-fault"
MODES = (ON, OFF, ON_FAULT)
#: CAP_IPC_LOCK: its holder may lock any amount of memory.
CAP_IPC_LOCK = 14
#: Stack size of a thread when RLIMIT_STACK is unlimited (glibc's default then).
DEFAULT_STACK = 2 * 1024 * 1024


def parse_mode(text: str) -> str:
    """``mem-lock=``: QEMU 10's values, and its message for any other."""
    if text in ("on", "off", "on-fault"):
        return text
    raise MachineError("parameter 'mem-lock' expects one of 'on', 'off', 'on-fault'")


def lock_flags(mode: str) -> int:
    flags = syscalls.MCL_CURRENT | syscalls.MCL_FUTURE
    return flags | syscalls.MCL_ONFAULT if mode == ON_FAULT else flags


def has_ipc_lock(status: str = "/proc/self/status") -> bool:
    """Whether the process holds CAP_IPC_LOCK in its effective set."""
    try:
        with open(status, encoding="ascii") as lines:
            for line in lines:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> CAP_IPC_LOCK & 1)
    except (OSError, ValueError):
        pass
    return False


def mapped_now(status: str = "/proc/self/status") -> int:
    """Bytes the process maps now (``VmSize``): what ``MCL_CURRENT`` would lock."""
    with open(status, encoding="ascii") as lines:
        for line in lines:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def thread_stack_size() -> int:
    """The stack a new thread maps (RLIMIT_STACK, as glibc sizes thread stacks)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_STACK)
    return DEFAULT_STACK if soft == resource.RLIM_INFINITY else soft


def _mib(value: int) -> str:
    return f"{-(-value // (1 << 20))} MiB"


def check_limit(
    mode: str,
    guest_ram: int,
    threads: int,
    *,
    limit: int | None = None,
    mapped: int | None = None,
    privileged: bool | None = None,
) -> None:
    """Refuse, before any allocation, a lock that RLIMIT_MEMLOCK cannot hold.

    ``guest_ram`` is the bytes of every backend's mapping, ``threads`` the threads that will
    be started after locking (each maps a stack). The other arguments default to the
    process's own soft limit, ``VmSize`` and CAP_IPC_LOCK.
    """
    if mode == OFF:
        return
    if privileged if privileged is not None else has_ipc_lock():
        return
    if limit is None:
        limit, _ = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    if limit == resource.RLIM_INFINITY:
        return
    current = mapped_now() if mapped is None else mapped
    stacks = threads * thread_stack_size()
    need = current + guest_ram + stacks
    if need <= limit:
        return
    raise MachineError(
        f"-overcommit mem-lock={mode}: locking needs {_mib(need)} ({_mib(guest_ram)} of guest "
        f"RAM, {_mib(current)} mapped now, {_mib(stacks)} of thread stacks) but "
        f"RLIMIT_MEMLOCK is {_mib(limit)}; raise it (ulimit -l) or grant CAP_IPC_LOCK"
    )


def lock(mode: str) -> bool:
    """Lock the process's memory as ``mode`` asks; whether anything was locked."""
    if mode == OFF:
        return False
    try:
        syscalls.mlockall(lock_flags(mode))
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise MachineError("locking memory failed", hint=f"mlockall: {reason}") from None
    return True


def unlock() -> None:
    """Undo :func:`lock` (when the machine is closed)."""
    syscalls.munlockall()
