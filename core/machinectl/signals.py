"""Signals that arrive while memory or files are being acquired or released.

Creating a file and recording that it must be removed, unmapping memory, closing a descriptor,
removing a file: each of these steps is either done completely or not begun when a signal
arrives. :func:`held` holds the signals that end a process back for the length of such a step
and delivers them when it is over, to the handler that was in force: a Python handler raises
its exception (``KeyboardInterrupt``, the command line's ``Interrupted``) after the step, and a
signal whose action is the default one ends the process after it.
"""

from __future__ import annotations

import importlib
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

# Not typing.TYPE_CHECKING: the command line imports this module, and typing costs more.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# The C functions: signal's wrappers turn every number of a mask into an enum member, which
# costs more than the system calls (a release holds signals back several times).
_signal: Any = importlib.import_module("_signal")

__all__ = ["TERMINATING", "held"]


def _terminating() -> frozenset[int]:
    """Signals sent from outside whose default action ends the process: SIGHUP, SIGINT,
    SIGQUIT, SIGUSR1/2, SIGPIPE, SIGALRM, SIGTERM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,
    SIGPWR, SIGSTKFLT and the real-time signals. Signals the running code causes itself
    (SIGSEGV, SIGBUS, ...) cannot wait, and SIGKILL cannot be held."""
    names = [
        *("SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGPIPE", "SIGALRM"),
        *("SIGTERM", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGIO", "SIGPWR"),
        "SIGSTKFLT",
    ]
    found = {int(getattr(signal, name)) for name in names if hasattr(signal, name)}
    low, high = getattr(signal, "SIGRTMIN", 0), getattr(signal, "SIGRTMAX", -1)
    found |= {int(s) for s in signal.valid_signals() if low <= s <= high}
    return frozenset(found)


#: The signals :func:`held` holds back.
TERMINATING = _terminating()

Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


class _Sections:
    #: Depth of :func:`held` sections in the main thread (the outermost swaps handlers).
    depth = 0


@contextmanager
def held() -> Iterator[None]:
    """Hold back :data:`TERMINATING` signals during the block; deliver them after it.

    In the main thread the Python handlers are also replaced for the length of the block, so
    that a signal whose handler was due to run when the block began waits too. Other threads
    only block the signals (Python runs handlers in the main thread anyway).
    """
    mask = _signal.pthread_sigmask(signal.SIG_BLOCK, TERMINATING)
    if _Sections.depth or threading.current_thread() is not threading.main_thread():
        try:
            yield
        finally:
            _signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        return
    _Sections.depth = 1
    caught: list[int] = []
    previous: dict[int, Handler] = {}
    #: An exception a handler raised while the handlers were being swapped.
    interrupt: BaseException | None = None

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    try:
        for signum in sorted(TERMINATING):
            try:
                handler = _signal.getsignal(signum)
                if callable(handler):
                    previous[signum] = handler
                    _signal.signal(signum, hold)
            except BaseException as exc:  # a signal that came before the block: delivered after
                interrupt = interrupt or exc
        yield
    finally:
        _Sections.depth = 0
        for signum, handler in previous.items():
            try:
                _signal.signal(signum, handler)
            except BaseException as exc:
                interrupt = interrupt or exc
        for signum in dict.fromkeys(caught):
            # Still blocked here: raised now, each is delivered when the mask is restored.
            signal.raise_signal(signum)
        try:
            _signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        except BaseException as exc:
            interrupt = interrupt or exc
        if interrupt is not None:
            raise interrupt
