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

# Not typing.TYPE_CHECKING: the command line imports this module, and typing costs more.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from signal import Handlers
    from types import FrameType, TracebackType
    from typing import Any

    Handler = Callable[[int, FrameType | None], object] | int | Handlers | None

# The C functions, not the signal module: its wrappers turn every number of a mask into an
# enum member, which costs more than the system calls (a release holds signals back several
# times), and importing it (with enum) costs more than a warm ``list-boards``.
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
    found = {int(getattr(_signal, name)) for name in names if hasattr(_signal, name)}
    low, high = getattr(_signal, "SIGRTMIN", 0), getattr(_signal, "SIGRTMAX", -1)
    found |= {int(s) for s in _signal.valid_signals() if low <= s <= high}
    return frozenset(found)


#: The signals :func:`held` holds back.
TERMINATING = _terminating()


class _Sections:
    #: Depth of :func:`held` sections in the main thread (the outermost swaps handlers).
    depth = 0


class held:
    """Hold back :data:`TERMINATING` signals during the block; deliver them after it.

    In the main thread the Python handlers are also replaced for the length of the block, so
    that a signal whose handler was due to run when the block began waits too. Other threads
    only block the signals (Python runs handlers in the main thread anyway). Use it as
    ``with held():``.
    """

    __slots__ = ("_caught", "_interrupt", "_mask", "_outermost", "_previous")

    def __enter__(self) -> None:
        self._mask = _signal.pthread_sigmask(_signal.SIG_BLOCK, TERMINATING)
        self._outermost = not _Sections.depth and _in_main_thread()
        if not self._outermost:
            return
        _Sections.depth = 1
        caught: list[int] = []
        self._caught = caught
        self._previous: dict[int, Handler] = {}
        #: An exception a handler raised while the handlers were being swapped.
        self._interrupt: BaseException | None = None

        def hold(signum: int, frame: FrameType | None) -> None:
            caught.append(signum)

        for signum in sorted(TERMINATING):
            try:
                handler = _signal.getsignal(signum)
                if callable(handler):
                    self._previous[signum] = handler
                    _signal.signal(signum, hold)
            except BaseException as exc:  # a signal that came before the block: delivered after
                self._interrupt = self._interrupt or exc

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._outermost:
            _signal.pthread_sigmask(_signal.SIG_SETMASK, self._mask)
            return
        interrupt = self._interrupt
        _Sections.depth = 0
        for signum, handler in self._previous.items():
            try:
                _signal.signal(signum, handler)
            except BaseException as exc:
                interrupt = interrupt or exc
        for signum in dict.fromkeys(self._caught):
            # Still blocked here: raised now, each is delivered when the mask is restored.
            _signal.raise_signal(signum)
        try:
            _signal.pthread_sigmask(_signal.SIG_SETMASK, self._mask)
        except BaseException as exc:
            interrupt = interrupt or exc
        if interrupt is not None:
            raise interrupt


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
