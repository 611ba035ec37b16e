"""The single exception root of machinectl.

``str(error)`` is exactly the text the command line prints after ``machinectl: ``.
Where QEMU has a message for the same mistake, the message is QEMU's, word for word,
including QEMU's habit of naming the offending option first (``-m foo: ...``).
"""

from __future__ import annotations

# Not typing.TYPE_CHECKING (nor collections.abc): every command imports this module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


class MachineError(Exception):
    """Any failure a user can cause: bad options, refused sizes, host resources.

    ``message`` is the text, ``location`` the command-line option it belongs to (QEMU prints
    it first, followed by a colon; an empty location means QEMU names no option for this
    error, and none is attached later), and ``hint`` an optional second line QEMU prints below.
    ``suggestion`` is machinectl's own advice for a near miss (``did you mean 'raspi3b'?``),
    kept apart from QEMU's words.
    """

    exit_status = 1
    #: The ``class`` of QMP's error reply when a command fails with this error.
    qmp_class = "GenericError"
    #: Warnings given before the error (QEMU prints them as they come, so before it); the
    #: command line prints them first.
    warnings: tuple[str, ...] = ()

    def __init__(
        self,
        message: str,
        *,
        location: str | None = None,
        hint: str | None = None,
        suggestion: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint
        self.suggestion = suggestion

    def __str__(self) -> str:
        if self.location:
            return f"{self.location}: {self.message}"
        return self.message

    def at(self, location: str) -> MachineError:
        """Attach the command-line option the error belongs to (first one wins)."""
        if self.location is None:
            self.location = location
        return self


class UsageError(MachineError):
    """The command line is wrong: an unknown command, flag or option, a missing value (exit
    status 1, as for every refused input; the message ends with a pointer to the help)."""

    exit_status = 1


class PluginError(MachineError):
    """A plugin could not be loaded, or misbehaved inside a hook."""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """``did you mean 'X'?`` for the choice closest to a mistyped ``word``, if one is close."""
    import difflib

    close = difflib.get_close_matches(word, sorted(set(choices)), n=1)
    return f"did you mean '{close[0]}'?" if close else None


def with_hint(hint: str | None, more: str | None) -> str | None:
    """``hint`` with the line ``more`` added below it (either may be None)."""
    return "\n".join(line for line in (hint, more) if line) or None
