"""``machinectl run``'s command line: its own flags, QEMU's options, and QEMU's help forms.

``run`` takes QEMU's options as QEMU users write them, single-dash long options included
(``-M``, ``-object``, ``-mem-path``), so they never go through a generic option parser: this
module walks the arguments with QEMU's own table of options (which take a value, which do
not; recorded from the binaries in :mod:`machinectl.qemu_options`) and sorts them into

* machinectl's own flags (``--json``, ``--target TARGET``, ...), parsed by the caller;
* the RAM options machinectl models (``-M``, ``-m``, ``-object memory-backend-*``, ``-numa``,
  ``-smp``, ``-mem-path``, ``-mem-prealloc``);
* QEMU's other options (``-cpu max``, ``-nographic``, ``-drive ...``, ``-object iothread``):
  accepted and ignored, so that a whole QEMU command line can be pasted; the caller says on
  one line which ones it ignored;
* options that could change guest RAM in ways machinectl does not model (``-readconfig``,
  ``-set``, a memory ``-device``): refused, naming the option.

It also renders QEMU 7.2's help forms: ``-machine TYPE,help``, ``-object help`` and
``-object TYPE,help``, line for line as QEMU prints them, for the properties machinectl has.
"""

from __future__ import annotations

from . import qemu_options
from .errors import MachineError, UsageError, did_you_mean
from .options import THREAD_CONTEXT, option_takes_value, split_keyval, split_qemu_opts

# Not typing.TYPE_CHECKING (nor NamedTuple): QEMU's help forms are answered from here, and
# importing typing costs more than answering them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
    from typing import Any

#: QEMU's options of run, for 'run --help'.
RUN_EPILOG = """\
QEMU options (as QEMU spells them; each may also be written with two dashes):
  -M, -machine [type=]TYPE[,memory-backend=ID][,mem-merge=on|off][,dump-guest-core=on|off]
  -m [size=]SIZE[,slots=N][,maxmem=SIZE]
  -object memory-backend-{ram,file,memfd},id=ID,size=SIZE[,PROPERTY=VALUE...]
  -numa node[,nodeid=N][,cpus=A[-B]][,memdev=ID][,mem=SIZE][,initiator=N]
  -numa cpu,node-id=N[,socket-id=N][,die-id=N][,cluster-id=N][,core-id=N][,thread-id=N]
  -smp [cpus=]N[,sockets=N][,dies=N][,clusters=N][,cores=N][,threads=N][,maxcpus=N]
  -mem-path PATH, -mem-prealloc

QEMU's help forms: -M help, -M TYPE,help, -object help, -object TYPE,help.

QEMU's other options (-cpu, -nographic, -display, -drive, -kernel, -append, -serial,
-netdev, -device, -object iothread, ...) are accepted and ignored, with one warning line
that lists them, so that a QEMU command line can be pasted whole. Refused, because ignoring
them would misstate the guest's memory: -readconfig, -set, a memory -device (pc-dimm,
nvdimm, virtio-mem, virtio-pmem).
"""

#: machinectl's own flags of ``run``, and whether each takes a value.
OWN_FLAGS = {
    "--json": False,
    "--dry-run": False,
    "--hold": False,
    "--quiet": False,
    "--progress": False,
    "--target": True,
    "-h": False,
    "--help": False,
}
#: QEMU's ways of asking for help and the version: the ``run`` command's help and version.
QEMU_HELP = {"-help": "--help", "--h": "--help", "-version": "--version", "--version": "--version"}

#: QEMU options that would be a lie to ignore, with the reason.
REFUSED = {
    "-readconfig": "a configuration file may hold RAM options machinectl would not read",
    "-set": "it may change RAM options machinectl would not see",
}
#: ``-device`` drivers that add guest memory (QEMU's memory devices).
MEMORY_DEVICES = ("pc-dimm", "nvdimm", "virtio-mem", "virtio-pmem", "sgx-epc", "spapr-nvdimm")
NOT_MODELLED = "machinectl does not model it yet"


class RunArgs:
    """``run``'s arguments, sorted."""

    def __init__(self, own: list[str], ram: list[str], ignored: list[str]) -> None:
        self.own = own
        self.ram = ram
        #: The ignored options as written, one string each (``-cpu max``).
        self.ignored = ignored


def split_run_args(args: Sequence[str]) -> RunArgs:
    """Sort ``run``'s arguments; an unknown option is QEMU's ``invalid option``."""
    own: list[str] = []
    ram: list[str] = []
    ignored: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        flag = QEMU_HELP.get(arg, arg)
        if flag in OWN_FLAGS or flag.split("=", 1)[0] in OWN_FLAGS or flag == "--version":
            takes = OWN_FLAGS.get(flag, False)
            own.extend(args[i : i + 2] if takes else [flag])
            i += 2 if takes else 1
            continue
        name = arg[1:] if arg.startswith("--") else arg
        ram_value = option_takes_value(arg)
        if ram_value is not None:
            takes = ram_value
        elif name in qemu_options.WITH_VALUE or name in qemu_options.WITHOUT_VALUE:
            takes = name in qemu_options.WITH_VALUE
        elif arg.startswith("-") and arg != "-":
            suggestion = did_you_mean(arg, _known_options())
            raise UsageError(f"{arg}: invalid option", suggestion=suggestion)
        else:
            raise UsageError(f"{arg}: unexpected argument: QEMU options start with '-'")
        if takes and i + 1 >= len(args):
            raise UsageError(f"{arg}: requires an argument")
        words = list(args[i : i + 2]) if takes else [arg]
        i += len(words)
        value = words[1] if len(words) == 2 else None
        foreign = (name == "-object" and _foreign_object(value)) or (
            name == "-device" and _foreign_device(value)
        )
        if ram_value is not None and not foreign:
            ram.extend(words)
            continue
        _refuse_if_unmodelled(name, words, value)
        ignored.append(" ".join(words))
    return RunArgs(own, ram, ignored)


def drop_foreign_machine_properties(
    ram: Sequence[str], modelled: Callable[[], Collection[str]]
) -> tuple[list[str], list[str]]:
    """Take QEMU's ``-machine`` properties that machinectl does not model out of ``ram``.

    ``-machine q35,accel=kvm,vmport=off`` becomes ``-machine type=q35``, and
    ``-machine accel=kvm,vmport=off`` is returned as ignored. A property is foreign when some
    QEMU machine type has it and ``modelled()`` (called only when needed) does not list it;
    any other unknown property stays, for the machine to refuse as QEMU does.
    """
    out: list[str] = []
    ignored: list[str] = []
    i = 0
    while i < len(ram):
        option = ram[i]
        takes = bool(option_takes_value(option))
        words = list(ram[i : i + 2]) if takes else [option]
        i += len(words)
        if option.lstrip("-") not in ("M", "machine") or len(words) < 2:
            out.extend(words)
            continue
        try:
            items = split_keyval(words[1], "type")
        except MachineError:
            out.extend(words)  # the machine reports the syntax error
            continue
        known = qemu_options.MACHINE_PROPERTIES
        candidates = [key for key, _ in items if key in known]
        foreign = set(candidates) - set(modelled()) if candidates else set()
        if not foreign:
            out.extend(words)
            continue
        kept = [_keyval_item(k, v) for k, v in items if k not in foreign]
        if kept:
            out.extend([option, ",".join(kept)])
        ignored.append(
            f"{option} " + ",".join(_keyval_item(k, v) for k, v in items if k in foreign)
        )
    return out, ignored


def _keyval_item(key: str, value: str) -> str:
    return f"{key}={value.replace(',', ',,')}"


def _known_options() -> list[str]:
    return [*OWN_FLAGS, *qemu_options.WITH_VALUE, *qemu_options.WITHOUT_VALUE]


def _foreign_object(value: str | None) -> bool:
    """Whether ``-object value`` is a QEMU object machinectl does not model (``iothread``):
    neither a memory backend nor a thread context."""
    if value is None:
        return False
    if value.startswith("{"):
        qom_type = _json_object_type(value)
    elif any(item in ("help", "?") for item in _raw_items(value)):
        return False  # the help form answers
    else:
        qom_type = _first_item(value, "qom-type")
    modelled = qom_type.startswith("memory-backend") or qom_type == THREAD_CONTEXT
    return qom_type in qemu_options.OBJECT_TYPES and not modelled


def _json_object_type(value: str) -> str:
    """The ``qom-type`` of a JSON ``-object`` ("" when it has none, or is not JSON)."""
    import os

    from .qmp.qjson import JsonError, parse_one

    try:
        members = parse_one(os.fsencode(value))
    except JsonError:
        return ""
    qom_type = members.get("qom-type") if isinstance(members, dict) else None
    return qom_type if isinstance(qom_type, str) else ""


def _foreign_device(value: str | None) -> bool:
    """Whether ``-device value`` is a device that is no memory device (``virtio-net-pci``)."""
    if value is None:
        return False
    driver = _first_item(value, "driver")
    if not driver:
        return False  # no driver, or an empty one: QEMU's error, not an ignored device
    if any(item in ("help", "?") for item in _raw_items(value)) and driver in DEVICE_HELP:
        return False  # the help form answers
    if driver in ("help", "?") or driver.startswith(MEMORY_DEVICES):
        return False
    from .options import is_qemu_device

    return is_qemu_device(driver)  # a name no QEMU has: QEMU's error, not an ignored device


def _refuse_if_unmodelled(name: str, words: list[str], value: str | None) -> None:
    option = " ".join(words)
    if name in REFUSED:
        raise UsageError(f"{option}: not supported: {REFUSED[name]}")


def _first_item(value: str, implied: str) -> str:
    """The implied first item of a QemuOpts value (``-device DRIVER,...``), or its key."""
    try:
        items = split_qemu_opts(value, implied)
    except MachineError:
        return ""
    return next((v for k, v in items if k == implied), "")


# -- help requests ---------------------------------------------------------------------------


class HelpRequest:
    """``-machine help`` and its kin, found among the RAM options."""

    def __init__(self, kind: str, name: str, position: int) -> None:
        #: ``machines``, ``machine``, ``objects``, ``object`` or ``device``.
        self.kind = kind
        #: The machine type, object type or device driver asked about.
        self.name = name
        #: Where the asking option is: the options before it are checked first, as in QEMU.
        self.position = position


def help_request(ram: Sequence[str]) -> HelpRequest | None:
    """The first help form among ``ram`` (options with their values), if any."""
    i = 0
    while i + 1 < len(ram):
        option, value = ram[i], ram[i + 1]
        name = option[1:] if option.startswith("--") else option
        if name == "-device":
            items = _raw_items(value)
            if any(item in ("help", "?") for item in items[1:]):
                named = [item.split("=", 1)[1] for item in items if item.startswith("driver=")]
                driver = named[-1] if named else items[0]
                if driver in DEVICE_HELP:
                    return HelpRequest("device", driver, i)
        if name in ("-M", "-machine", "-object"):
            items = _raw_items(value)
            first = items[0] if items else ""
            asks = any(item in ("help", "?") for item in items)
            machine = name != "-object"
            if machine and value.startswith(","):
                asks = False  # an empty first key: keyval refuses it before any help
            if first in ("help", "?"):
                return HelpRequest("machines" if machine else "objects", "", i)
            if asks:
                key = "type" if machine else "qom-type"
                named = [item.split("=", 1)[1] for item in items if item.startswith(key + "=")]
                asked = named[-1] if named else first
                return HelpRequest("machine" if machine else "object", asked, i)
        i += 2 if option_takes_value(option) else 1
    return None


def answer_help(
    request: HelpRequest,
    ram: Sequence[str],
    target: str | None,
    registry: Callable[[], Any],
    report: Callable[[Any], None],
) -> str:
    """QEMU's answer to ``-M help``, ``-M TYPE,help``, ``-object help``, ``-object TYPE,help``.

    As in QEMU, the options before the one that asks are checked (and their errors reported);
    those after it only need to be known options. ``registry()`` gives the board data (only
    the machine forms read it: a registry or the board index), ``report`` is handed it to
    report the plugins that failed to load.
    """
    from .options import CommandLine
    from .report import machine_list

    CommandLine.from_argv(ram[: request.position])
    location = f"{ram[request.position]} {ram[request.position + 1]}"
    if request.kind in ("machines", "machine"):
        boards = registry()
        report(boards)
        if target is not None:
            from .index import check_target

            check_target(target, boards.targets())
        if request.kind == "machine" and boards.candidates(request.name):
            from .machine import GENERIC_PROPERTIES

            board = boards.board(request.name, target)
            properties = {**GENERIC_PROPERTIES, **board.spec.machine_properties}
            return machine_help(board.qom_type, properties)
        # QEMU lists the machine types when it does not know the one asked about.
        return machine_list(boards.boards_for(target), target)
    if request.kind == "device":
        lines = DEVICE_HELP[request.name]
        return f"{request.name} options:\n" + "".join(f"  {line}\n" for line in lines)
    from .hostmem import BACKEND_TYPES, HostMemoryBackend

    if request.kind == "objects":
        return object_types_help([*BACKEND_TYPES, THREAD_CONTEXT])
    if request.name == THREAD_CONTEXT:
        from .threadctx import PROPERTIES

        return object_help(THREAD_CONTEXT, PROPERTIES)
    types: dict[str, type[HostMemoryBackend]] = {
        HostMemoryBackend.qom_type: HostMemoryBackend,
        **BACKEND_TYPES,
    }
    backend = types.get(request.name)
    if backend is not None:
        return object_help(request.name, backend.properties)
    if request.name in qemu_options.OBJECT_TYPES:
        raise UsageError(
            f"{location}: '{request.name}' is neither a memory backend nor a thread context: "
            "machinectl ignores it, and has no help for it"
        )
    raise MachineError(
        f"Parameter 'qom-type' does not accept value '{request.name}'",
        suggestion=did_you_mean(request.name, BACKEND_TYPES),
    ).at(location)


def _raw_items(value: str) -> list[str]:
    return [item.replace("\0", ",") for item in value.replace(",,", "\0").split(",")]


# -- QEMU's help texts -----------------------------------------------------------------------

_DIMM_HELP = (
    "addr=<uint64>          -  (default: 0)",
    "memdev=<link<memory-backend>>",
    "node=<uint32>          -  (default: 0)",
    "size=<uint64>",
    "slot=<int32>           -  (default: -1)",
)
_PCI_ADDR_HELP = (
    "addr=<int32>           - Slot and optional function number, example: 06.0 or 06 (default: -1)"
)
_NVDIMM_EXTRA = (
    "label-size=<int>",
    "unarmed=<bool>         -  (default: false)",
    "uuid=<QemuUUID>",
)
#: ``-device DRIVER,help`` of the memory devices, as QEMU 7.2 words each property machinectl
#: models (the virtio devices' PCI and virtio transport properties are not modelled).
DEVICE_HELP: Mapping[str, tuple[str, ...]] = {
    "pc-dimm": _DIMM_HELP,
    "nvdimm": tuple(sorted(_DIMM_HELP + _NVDIMM_EXTRA)),
    "spapr-nvdimm": tuple(
        sorted((*_DIMM_HELP, *_NVDIMM_EXTRA, "pmem-override=<bool>   -  (default: false)"))
    ),
    "virtio-mem-pci": (
        _PCI_ADDR_HELP,
        "block-size=<size>",
        "memaddr=<uint64>       -  (default: 0)",
        "memdev=<link<memory-backend>>",
        "node=<uint32>          -  (default: 0)",
        "prealloc=<bool>        -  (default: false)",
        "requested-size=<size>",
        "size=<size>",
        'unplugged-inaccessible=<OnOffAuto> - on/off/auto (default: "auto")',
    ),
    "virtio-pmem-pci": (
        _PCI_ADDR_HELP,
        "memaddr=<uint64>       -  (default: 0)",
        "memdev=<link<memory-backend>>",
    ),
}

#: QEMU 7.2's type names and descriptions of the properties machinectl has.
MACHINE_PROPERTIES: Mapping[str, tuple[str, str | None]] = {
    "acpi": ("OnOffAuto", "Enable ACPI"),
    "dump-guest-core": ("bool", "Include guest memory in a core dump"),
    "mem-merge": ("bool", "Enable/disable memory merge support"),
    "memory-backend": (
        "link<memory-backend>",
        "Set RAM backendValid value is ID of hostmem based backend",
    ),
    "memory": ("MemorySizeConfiguration", "Memory size configuration"),
    "highmem": (
        "bool",
        "Set on/off to enable/disable using physical address space above 32 bits",
    ),
    "max-ram-below-4g": ("size", "Maximum ram below the 4G boundary (32bit boundary)"),
}
#: machinectl's machine properties that QEMU's help lists under another name.
_MACHINE_GROUPS = {"memory.size": "memory", "memory.slots": "memory", "memory.max-size": "memory"}
#: Properties QEMU has on the machine object but not on its class: its help leaves them out.
#: Properties QEMU 7.2 sets on the machine object itself: ``-M TYPE,help`` does not list them.
_INSTANCE_ONLY = ("type", "hmat", "nvdimm", "nvdimm-persistence")
_PROPERTY_KIND_TYPES = {
    "size": "size",
    "bool": "bool",
    "int": "int",
    "str": "string",
    "on-off-auto": "OnOffAuto",
}

BACKEND_PROPERTIES: Mapping[str, tuple[str, str | None]] = {
    "align": ("int", None),
    "discard-data": ("bool", None),
    "dump": ("bool", "Set to 'off' to exclude from core dump"),
    # thread-context's (QEMU's help shows its lists of numbers as int).
    "cpu-affinity": ("int", None),
    "node-affinity": ("int", None),
    "host-nodes": ("int", "Binds memory to the list of NUMA host nodes"),
    "hugetlb": ("bool", "Use huge pages"),
    "hugetlbsize": ("int", "Huge pages size (ex: 2M, 1G)"),
    "mem-path": ("string", None),
    "merge": ("bool", "Mark memory as mergeable"),
    "pmem": ("bool", None),
    "policy": ("HostMemPolicy", "Set the NUMA policy"),
    "prealloc-threads": ("int", "Number of CPU threads to use for prealloc"),
    "prealloc-context": (
        "link<thread-context>",
        "Context to use for creating CPU threads for preallocation",
    ),
    "prealloc": ("bool", "Preallocate memory"),
    "readonly": ("bool", None),
    "reserve": ("bool", "Reserve swap space (or huge pages) if applicable"),
    "seal": ("bool", "Seal growing & shrinking"),
    "share": ("bool", "Mark the memory as private to QEMU or shared"),
    "size": ("int", "Size of the memory region (ex: 500M)"),
    "x-use-canonical-path-for-ramblock-id": ("bool", None),
}


def property_line(name: str, qemu_type: str, description: str | None) -> str:
    """One property as QEMU's help prints it: name and type, the description from column 25."""
    line = f"  {name}=<{qemu_type}>"
    if description:
        line = f"{line.ljust(24)} - {description}"
    return line


def _options_text(title: str, lines: Iterable[str]) -> str:
    # QEMU sorts the lines as C strings.
    return f"{title} options:\n" + "".join(f"{line}\n" for line in sorted(lines))


def machine_help(qom_type: str, properties: Mapping[str, str]) -> str:
    """``-machine TYPE,help``: ``properties`` maps each property to its kind (``bool`` ...)."""
    lines = set()
    for name, kind in properties.items():
        if name in _INSTANCE_ONLY:
            continue
        shown = _MACHINE_GROUPS.get(name, name)
        qemu_type, description = MACHINE_PROPERTIES.get(
            shown, (_PROPERTY_KIND_TYPES.get(kind, kind), None)
        )
        lines.add(property_line(shown, qemu_type, description))
    return _options_text(qom_type, lines)


def object_types_help(types: Iterable[str]) -> str:
    """``-object help``: the object types, as QEMU lists them."""
    return "List of user creatable objects:\n" + "".join(f"  {t}\n" for t in sorted(types))


def object_help(qom_type: str, properties: Iterable[str]) -> str:
    """``-object TYPE,help``: each property with its type and description."""
    lines = []
    for name in properties:
        qemu_type, description = BACKEND_PROPERTIES.get(name, ("string", None))
        lines.append(property_line(name, qemu_type, description))
    return _options_text(qom_type, lines)
