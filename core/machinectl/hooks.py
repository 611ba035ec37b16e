"""The hook specifications every board plugin implements.

A plugin is any object or module with functions marked ``@machinectl.hookimpl`` whose names
are those below. Plugins are found through the entry-point group ``machinectl``. The core's
own ``none`` machine and its fallbacks come through these same hooks.

Hooks marked *first result* stop at the first implementation that returns something other than
None; ``0`` and ``""`` are results. Return None to defer to the next plugin. Plugins registered
later are asked first; the core's fallbacks are ``trylast`` so that any plugin can override them.

Hooks only ever gain new arguments: an implementation may accept fewer arguments than the
specification lists, so plugins written against an older core keep working.
"""

from __future__ import annotations

# Not typing.TYPE_CHECKING: the run path imports neither typing nor pluggy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

    import pluggy

    from .boards import Board, BoardSpec
    from .memdev import DeviceMemory
    from .state import MachineState

PROJECT = "machinectl"


class _SpecMarker:
    """pluggy's ``HookspecMarker``: the same options, in the same attribute."""

    def __init__(self, project_name: str) -> None:
        self.project_name = project_name

    def __call__(
        self,
        function: Callable[..., Any] | None = None,
        firstresult: bool = False,
        historic: bool = False,
        warn_on_impl: Warning | None = None,
        warn_on_impl_args: Mapping[str, Warning] | None = None,
    ) -> Any:
        def mark(func: Callable[..., Any]) -> Callable[..., Any]:
            if historic and firstresult:
                raise ValueError("cannot have a historic firstresult hook")
            opts = {
                "firstresult": firstresult,
                "historic": historic,
                "warn_on_impl": warn_on_impl,
                "warn_on_impl_args": warn_on_impl_args,
            }
            setattr(func, self.project_name + "_spec", opts)
            return func

        return mark if function is None else mark(function)


class _ImplMarker:
    """pluggy's ``HookimplMarker``: the same options, in the same attribute, so that pluggy
    reads them, without importing pluggy where no plugin of a command needs it."""

    def __init__(self, project_name: str) -> None:
        self.project_name = project_name

    def __call__(
        self,
        function: Callable[..., Any] | None = None,
        hookwrapper: bool = False,
        optionalhook: bool = False,
        tryfirst: bool = False,
        trylast: bool = False,
        specname: str | None = None,
        wrapper: bool = False,
    ) -> Any:
        def mark(func: Callable[..., Any]) -> Callable[..., Any]:
            opts = {
                "wrapper": wrapper,
                "hookwrapper": hookwrapper,
                "optionalhook": optionalhook,
                "tryfirst": tryfirst,
                "trylast": trylast,
                "specname": specname,
            }
            setattr(func, self.project_name + "_impl", opts)
            return func

        return mark if function is None else mark(function)


# Type checkers see pluggy's markers, whose options these take.
if TYPE_CHECKING:
    hookspec = pluggy.HookspecMarker(PROJECT)
    #: The decorator that marks a plugin's hook implementations (``@hookimpl``, or
    #: ``@hookimpl(tryfirst=True)`` and pluggy's other options).
    hookimpl = pluggy.HookimplMarker(PROJECT)
else:
    hookspec = _SpecMarker(PROJECT)
    #: The decorator that marks a plugin's hook implementations (``@hookimpl``, or
    #: ``@hookimpl(tryfirst=True)`` and pluggy's other options).
    hookimpl = _ImplMarker(PROJECT)


@hookspec
def register_boards() -> Sequence[BoardSpec]:
    """Declare the machine types this plugin provides.

    All implementations run; each returns a sequence of :class:`machinectl.BoardSpec`. A name
    or alias that another plugin already declared is an error naming both plugins, and the
    later plugin is skipped as a whole.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def default_ram_size(board: Board) -> int | None:
    """Return the RAM size in bytes used when ``-m`` is absent or 0.

    First result wins; ``0`` is a result (the board has no RAM unless asked). The core's
    fallback returns QEMU's 128 MiB.

    :param board: the selected machine type.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def default_ram_id(board: Board) -> str | None:
    """Return the id of the automatic main-RAM backend (QEMU's ``default_ram_id``).

    First result wins. When every implementation defers, the board has no default RAM id: then
    ``-m`` is recorded but no backend is created and ``-mem-path`` is ignored, as in QEMU.

    :param board: the selected machine type.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def fixup_ram_size(machine: MachineState, size: int) -> int | None:
    """Adjust the RAM size before any backend exists (QEMU's ``fixup_ram_size``).

    First result wins; return None to keep ``size``. Called with the size already rounded up
    to 8 KiB, whether it came from ``-m`` or from the default. Use ``machine.notice()`` to
    tell the user as QEMU does on standard output (s390x rounds down to its storage increment
    on old machine types), ``machine.warn()`` for a warning.

    :param machine: the machine being built (``machine.board`` is final).
    :param size: the RAM size in bytes so far.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec
def validate_ram(machine: MachineState) -> None:
    """Refuse a RAM configuration by raising :class:`machinectl.MachineError`.

    Every implementation runs, for every board, so a site-policy plugin can veto any machine
    (for example "no machine above 64 GiB"). It runs after the size and backend checks and
    before any host memory is allocated: ``machine.ram`` is None.

    The order is fixed, and the first refusal is the one reported: the plugin that provides
    the selected board runs first, so a size QEMU refuses gets QEMU's message; then every
    other implementation, by tier (``tryfirst``, plain, ``trylast``). Within a tier all run,
    and when several refuse, the message that sorts first wins. Entry-point and distribution
    names never change the outcome.

    :param machine: the machine being built; ``machine.board``, ``ram_size``,
        ``maxram_size``, ``ram_slots`` and ``properties`` are final.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def init_board(machine: MachineState) -> bool | None:
    """Place main RAM into the guest address space; return True when done.

    First result wins. ``machine.ram`` is the allocated main-RAM region (or None when the
    board has no default RAM id and no backend was given, or the size is 0). Map it, or
    aliases of it, into ``machine.system_memory``; add I/O or ROM windows that hide parts of
    it. Never allocate RAM here.

    :param machine: the machine being built.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def memory_devices(machine: MachineState) -> DeviceMemory | None:
    """Declare the board's device-memory area and its memory-device rules.

    First result wins. Return a :class:`machinectl.DeviceMemory`: the area's ``base`` and
    ``size`` (size 0 when ``maxmem`` leaves none), the drivers the board's hotplug handler
    takes (``pc-dimm``, ``nvdimm``, ``virtio-mem-pci`` ...), the texts it refuses others
    with, and alignment rules. Return None (or leave the hook out) for a board without a
    memory hotplug handler: there, as in QEMU, a DIMM is created but never mapped.

    Called after ``validate_ram`` and before any host memory is allocated, so every device
    is checked and placed before anything is mapped. The core maps the area as the
    container ``device-memory`` after ``init_board``; boards never map it themselves.

    :param machine: the machine being built (sizes, slots, properties and NUMA are final).

    .. versionadded:: 0.2
    """
    raise NotImplementedError


@hookspec
def describe_board(board: Board) -> Sequence[str] | None:
    """Explain the board's RAM rules and layout in words, one sentence per item.

    All implementations run; their lines are shown in order by ``machinectl describe``.

    :param board: the machine type being described.

    .. versionadded:: 0.1
    """
