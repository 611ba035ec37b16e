"""The QMP commands of a machine: a table of plain functions, with QEMU 7.2's argument checks.

:func:`execute` runs one command against a :class:`~machinectl.Machine`; the server and
``Machine.qmp`` both go through it, so a command behaves the same on a socket and in-process.
Each command checks its arguments as QEMU's generated QAPI code does (unknown, missing and
wrongly typed members, in QEMU's words) before it runs.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import MachineError
from ..plugins import BUILTIN
from . import hmp, qom

if TYPE_CHECKING:
    from ..hostmem import HostMemoryBackend
    from ..machine import Machine
    from ..memdev import MemoryDevice
    from ..threadctx import ThreadContext

#: The QEMU release whose protocol machinectl speaks.
QEMU_VERSION = {"micro": 0, "minor": 2, "major": 7}
#: QEMU target (``qemu-system-TARGET``) that answers for a machinectl target that is no QEMU
#: target name: the binary that has every machine type of the family.
QEMU_TARGETS = {
    "arm": "aarch64",
    "x86": "x86_64",
    "ppc": "ppc64",
    "mips": "mips64el",
}
#: The target of a board of every target (``none``) when none was asked for.
DEFAULT_TARGET = "x86"
#: QEMU binaries built with memory devices: every machine type of theirs reports
#: ``plugged-memory`` in ``query-memory-size-summary`` (the others have QEMU's stub).
MEMORY_DEVICE_TARGETS = frozenset({"aarch64", "arm", "i386", "x86_64", "ppc", "ppc64"})
#: ``query-memdev`` members in the order QEMU 7.2 prints them.
MEMDEV_KEYS = (
    "share", "reserve", "prealloc", "host-nodes", "size", "merge", "dump", "policy", "id",
)  # fmt: skip


class QmpError(MachineError):
    """A command refused: QEMU's error ``class`` and its ``desc`` (the message)."""

    def __init__(self, desc: str, error_class: str = "GenericError"):
        super().__init__(desc)
        self.error_class = error_class

    def response(self) -> dict[str, str]:
        return {"class": self.error_class, "desc": self.message}


Handler = Callable[["Machine", dict[str, Any]], Any]


@attrs.frozen
class Command:
    """A command: its function and its arguments (name -> QAPI type) as QEMU declares them."""

    name: str
    run: Handler
    arguments: Mapping[str, str] = attrs.field(factory=dict)
    required: tuple[str, ...] = ()
    #: The arguments are the members of a union checked by the command itself (object-add).
    open_arguments: bool = False

    def check(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments as QAPI visits them: each declared member in order (a required one
        missing is reported at its place), then any left over."""
        checked = dict(arguments)
        for key, kind in self.arguments.items():
            if key in checked:
                checked[key] = convert(key, kind, checked[key])
            elif key in self.required:
                raise QmpError(f"Parameter '{key}' is missing")
        if not self.open_arguments:
            check_leftover(list(arguments), self.arguments)
        return checked


def check_leftover(keys: Sequence[str], visited: Collection[str]) -> None:
    """QAPI's check that nothing is left over: the first left in the order of the hash table
    QEMU keeps the arguments in (``keys`` in the order QEMU read them)."""
    key = qom.first_leftover(keys, visited)
    if key is not None:
        raise QmpError(f"Parameter '{key}' is unexpected")


_JSON_KINDS = {"str": (str, "string"), "bool": (bool, "boolean"), "any": (object, "")}


def convert(name: str, kind: str, value: Any, element: bool = False) -> Any:
    """A QAPI input visitor's check of one member: its value, or QEMU's error.

    Every unsigned type is read as a uint64 first (a wrong type is ``expects uint64``), then
    checked for its range under the member's name, which a list element lacks: QEMU 7.2
    says ``Parameter 'null' expects uint16_t`` there.
    """
    if kind == "int":
        # A number that is no int64 (a double, one too large) is a type error too.
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not -(1 << 63) <= value < 1 << 63
        ):
            raise QmpError(f"Invalid parameter type for '{name}', expected: integer")
        return value
    if kind in ("uint64", "uint32", "uint16"):
        bits = {"uint64": 64, "uint32": 32, "uint16": 16}[kind]
        if not isinstance(value, int) or isinstance(value, bool):
            raise QmpError(f"Parameter '{name}' expects uint64")
        # QEMU takes a negative number for an unsigned one, as its two's complement.
        if not -(1 << 63) <= value < 1 << 64:
            raise QmpError(f"Parameter '{name}' expects uint64")
        value %= 1 << 64
        if value >= 1 << bits:
            raise QmpError(f"Parameter '{'null' if element else name}' expects {kind}_t")
        return value
    if kind.startswith("list:"):
        if not isinstance(value, list):
            raise QmpError(f"Invalid parameter type for '{name}', expected: array")
        return [
            convert(f"{name}[{i}]", kind[5:], item, element=True) for i, item in enumerate(value)
        ]
    if kind.startswith("enum:"):
        if not isinstance(value, str):
            raise QmpError(f"Invalid parameter type for '{name}', expected: string")
        if value not in kind[5:].split("|"):
            # A list element has no name of its own there: QEMU 7.2 prints 'null'.
            raise QmpError(
                f"Parameter '{'null' if element else name}' does not accept value '{value}'"
            )
        return value
    python_type, shown = _JSON_KINDS[kind]
    if not isinstance(value, python_type):
        raise QmpError(f"Invalid parameter type for '{name}', expected: {shown}")
    return value


COMMANDS: dict[str, Command] = {}


def command(
    name: str,
    arguments: Mapping[str, str] | None = None,
    required: tuple[str, ...] = (),
    *,
    open_arguments: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a function as the QMP command ``name``."""

    def register(function: Handler) -> Handler:
        COMMANDS[name] = Command(name, function, dict(arguments or {}), required, open_arguments)
        return function

    return register


def execute(machine: Machine, name: str, arguments: Mapping[str, Any] | None = None) -> Any:
    """Run the command ``name``; its ``return`` value, or :class:`QmpError`."""
    entry = COMMANDS.get(name)
    if entry is None:
        raise QmpError(f"The command {name} has not been found", "CommandNotFound")
    checked = entry.check(arguments or {})
    try:
        return entry.run(machine, checked)
    except QmpError:
        raise
    except MachineError as exc:
        raise QmpError(exc.message, exc.qmp_class) from None


# -- facts -------------------------------------------------------------------------------------


def qemu_target(machine: Machine) -> str:
    """The QEMU target (binary suffix) whose answers the machine gives."""
    target = machine.target or DEFAULT_TARGET
    return QEMU_TARGETS.get(target, target)


@functools.cache
def recorded_machines() -> dict[str, dict[str, dict[str, Any]]]:
    """QEMU 7.2's ``query-machines`` per binary (``tools/qmp_recorder.py --machines``)."""
    text = resources.files(__package__).joinpath("qemu72_machines.json").read_text()
    data: dict[str, list[dict[str, Any]]] = json.loads(text)
    return {target: {m["name"]: m for m in machines} for target, machines in data.items()}


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"machinectl {version('machinectl')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "machinectl"


def ordered_objects(machine: Machine) -> list[HostMemoryBackend | ThreadContext]:
    """The children of ``/objects`` (backends and thread contexts) in QEMU's order."""
    table = qom.ChildTable()
    for action, object_id in machine.object_log:
        if action == "add":
            table.insert(object_id)
        else:
            table.remove(object_id)
    objects: list[HostMemoryBackend | ThreadContext] = [*machine.contexts]
    objects += machine.backends
    by_id = {obj.id: obj for obj in objects}
    ordered = [by_id[i] for i in qom.qemu_order(table) if i in by_id]
    return ordered + [obj for obj in objects if obj not in ordered]


def ordered_backends(machine: Machine) -> list[HostMemoryBackend]:
    """The machine's backends in the order QEMU lists ``/objects``."""
    backends = {id(backend): backend for backend in machine.backends}
    return [backends[id(obj)] for obj in ordered_objects(machine) if id(obj) in backends]


def memdev(backend: HostMemoryBackend) -> dict[str, Any]:
    info = backend.query()
    return {key: info[key] for key in MEMDEV_KEYS}


def memory_size_summary(machine: Machine) -> dict[str, int]:
    summary: dict[str, int] = machine.query()["memory-size-summary"]
    if qemu_target(machine) in MEMORY_DEVICE_TARGETS:
        summary.setdefault("plugged-memory", 0)
    return summary


def qom_parts(path: str) -> tuple[bool, tuple[str, ...]]:
    """Whether ``path`` is absolute, and its components: QEMU skips empty ones, so that
    ``//objects//m0/`` is ``/objects/m0``."""
    return path.startswith("/"), tuple(part for part in path.split("/") if part)


def qom_matches(path: str, canonical: tuple[str, ...]) -> bool:
    """Whether ``path`` names the object at ``canonical`` (its components from the root):
    all of them when absolute, its last ones when partial (as QEMU resolves a path that
    does not start with ``/``)."""
    absolute, parts = qom_parts(path)
    if absolute:
        return parts == canonical
    return bool(parts) and canonical[len(canonical) - len(parts) :] == parts


def _object(machine: Machine, path: str) -> HostMemoryBackend | ThreadContext | None:
    """The backend or thread context a QOM path names; None for ``/objects`` itself."""
    objects: list[HostMemoryBackend | ThreadContext] = [*machine.contexts, *machine.backends]
    if qom_matches(path, ("objects",)):
        return None
    found = next((o for o in objects if qom_matches(path, ("objects", o.id))), None)
    if found is None:
        raise QmpError(f"Device '{path}' not found", "DeviceNotFound")
    return found


def _context(
    machine: Machine, obj: HostMemoryBackend | ThreadContext | None
) -> ThreadContext | None:
    """``obj`` if it is one of the machine's thread contexts."""
    return next((c for c in machine.contexts if c is obj), None)


def _as_backend(
    machine: Machine, obj: HostMemoryBackend | ThreadContext | None
) -> HostMemoryBackend:
    """``obj``, one of the machine's backends."""
    return next(b for b in machine.backends if b is obj)


# -- the commands ------------------------------------------------------------------------------


@command("qmp_capabilities", {"enable": "list:enum:oob"})
def qmp_capabilities(machine: Machine, args: dict[str, Any]) -> Any:
    # The server negotiates; a machine used in-process has nothing left to negotiate.
    raise QmpError(
        "Capabilities negotiation is already complete, command ignored", "CommandNotFound"
    )


@command("query-version")
def query_version(machine: Machine, args: dict[str, Any]) -> Any:
    return {"qemu": dict(QEMU_VERSION), "package": package_version()}


@command("query-commands")
def query_commands(machine: Machine, args: dict[str, Any]) -> Any:
    return [{"name": name} for name in COMMANDS]


@command("query-target")
def query_target(machine: Machine, args: dict[str, Any]) -> Any:
    return {"arch": qemu_target(machine)}


@command("query-status")
def query_status(machine: Machine, args: dict[str, Any]) -> Any:
    # machinectl runs no CPU: the machine stays where QEMU's -S leaves it.
    return {"status": "prelaunch", "singlestep": False, "running": False}


@command("query-machines")
def query_machines(machine: Machine, args: dict[str, Any]) -> Any:
    target = machine.target or DEFAULT_TARGET
    recorded = recorded_machines().get(qemu_target(machine), {})
    registry = machine.registry
    entries = []
    for board in registry.boards_for(target):
        spec = board.spec
        known = recorded.get(board.name, {})
        entry: dict[str, Any] = {
            "hotpluggable-cpus": known.get("hotpluggable-cpus", False),
            "name": board.name,
            "numa-mem-supported": spec.numa_mem_supported,
        }
        if target in spec.default_for or known.get("is-default"):
            entry["is-default"] = True
        if "default-cpu-type" in known:
            entry["default-cpu-type"] = known["default-cpu-type"]
        entry["cpu-max"] = known.get("cpu-max", spec.max_cpus or 1)
        entry["deprecated"] = spec.deprecated
        ram_id = registry.default_ram_id(board)
        if ram_id is not None:
            entry["default-ram-id"] = ram_id
        if spec.alias:
            entry["alias"] = spec.alias
        entries.append(entry)
    return entries


@command("query-memdev")
def query_memdev(machine: Machine, args: dict[str, Any]) -> Any:
    return [memdev(backend) for backend in ordered_backends(machine)]


@command("query-memory-size-summary")
def query_memory_size_summary(machine: Machine, args: dict[str, Any]) -> Any:
    return memory_size_summary(machine)


@command("query-memory-devices")
def query_memory_devices(machine: Machine, args: dict[str, Any]) -> Any:
    return machine.query_memory_devices()


#: Where QEMU puts the devices that have an id.
PERIPHERAL = "/machine/peripheral/"


def memory_device(machine: Machine, path: str) -> MemoryDevice | None:
    """The memory device an id or a ``/machine/peripheral/ID`` path names."""
    return next(
        (
            d
            for d in machine.memory_devices
            if d.id is not None and qom_matches(path, ("machine", "peripheral", d.id))
        ),
        None,
    )


def _device_property(device: MemoryDevice, name: str) -> Any:
    data = {k: v for k, v in device.query()["data"].items() if k != "id"}
    data.pop("hotpluggable", None)
    data.pop("hotplugged", None)
    if device.driver == "virtio-mem-pci":
        data.pop("max-size", None)
    if device.driver == "virtio-pmem-pci":
        data.pop("size", None)  # QEMU's virtio-pmem-pci has no such property
    if device.driver in ("nvdimm", "spapr-nvdimm"):
        data.update({"label-size": device.label_size, "uuid": device.uuid})
        data["unarmed"] = device.unarmed
    if device.devfn is not None:
        data["addr"] = device.devfn  # the PCI slot and function, as QEMU's property reads
    if name in data:
        return data[name]
    raise QmpError(f"Property '{device.driver}.{name}' not found")


@command("device_add", {}, open_arguments=True)
def device_add(machine: Machine, args: dict[str, Any]) -> Any:
    # QEMU takes the arguments untyped (its schema does not generate their checks) and makes
    # -device options of them: a string id is checked first, then every value becomes text.
    from ..options import check_id

    device_id = args.get("id")
    if isinstance(device_id, str):
        check_id(device_id)
    options = _device_options(args)
    if not isinstance(device_id, str):
        options.pop("id", None)
    if "driver" not in options:
        raise QmpError("Parameter 'driver' is missing")
    try:
        machine.device_add(options)
    except MachineError as exc:
        memdev = args.get("memdev")
        if isinstance(memdev, str) and exc.message == f"Device '{memdev}' not found":
            # A link to an object that does not exist: QEMU's class for it.
            raise QmpError(exc.message, "DeviceNotFound") from None
        raise
    return {}


def _device_options(args: dict[str, Any]) -> dict[str, Any]:
    """The arguments as QEMU 7.2 turns them into ``-device`` options (``qemu_opts_from_qdict``):
    numbers and booleans become their text (doubles with 17 digits), and a member that is
    null, a list or an object is left out; each value is then parsed as on the command line.
    """
    options: dict[str, Any] = {}
    for key, value in args.items():
        if isinstance(value, float):
            options[key] = f"{value:.17g}"
        elif isinstance(value, (str, int)):  # bool is an int: "on" or "off"
            options[key] = value
    return options


#: QOM containers every machine has (their paths from the root).
_CONTAINERS = frozenset(
    {(), ("machine",), ("machine", "peripheral"), ("machine", "peripheral-anon"),
     ("machine", "unattached"), ("objects",)}
)  # fmt: skip


@command("device_del", {"id": "str"}, ("id",))
def device_del(machine: Machine, args: dict[str, Any]) -> Any:
    # QEMU resolves the id as a path below /machine/peripheral (from the root when it starts
    # with "/"), empty components skipped; an object there that is no device is refused.
    target = args["id"]
    absolute, parts = qom_parts(target)
    full = parts if absolute else ("machine", "peripheral", *parts)
    device = next(
        (
            d
            for d in machine.memory_devices
            if d.id is not None and ("machine", "peripheral", d.id) == full
        ),
        None,
    )
    if device is None or device.id is None:
        ids = [context.id for context in machine.contexts]
        objects = {("objects", i) for i in [*ids, *(b.id for b in machine.backends)]}
        if full in _CONTAINERS or full in objects:
            raise QmpError(f"{target} is not a hotpluggable device")
        raise QmpError(f"Device '{target}' not found", "DeviceNotFound")
    machine.device_del(device.id)
    return {}


@command(
    "qom-set", {"path": "str", "property": "str", "value": "any"}, ("path", "property", "value")
)
def qom_set(machine: Machine, args: dict[str, Any]) -> Any:
    path, name = args["path"], args["property"]
    device = memory_device(machine, path)
    if device is None:
        found = _object(machine, path)
        if found is not None and _context(machine, found) is None:
            _set_backend_property(machine, _as_backend(machine, found), name, args["value"])
            return {}
        if found is None:  # the /objects container: its one property, read-only
            state = "is not writable" if name == "type" else "not found"
            raise QmpError(f"Property 'container.{name}' {state}")
        context = _context(machine, found)
        if context is not None:
            if name == "type":
                raise QmpError("Property 'thread-context.type' is not writable")
            value = args["value"]
            if name in ("cpu-affinity", "node-affinity"):
                value = convert(name, "list:uint16", value)
            context.set_affinity(name, value)
            return {}
    if device is None or device.id is None:
        raise QmpError(f"Device '{path}' not found", "DeviceNotFound")
    if device.driver != "virtio-mem-pci" or name != "requested-size":
        raise QmpError(f"Property '{device.driver}.{name}' not found")
    value = args["value"]
    if not isinstance(value, int) or isinstance(value, bool):
        raise QmpError("Invalid parameter type for 'requested-size', expected: integer")
    machine.set_requested_size(device.id, convert("requested-size", "uint64", value))
    return {}


def _set_backend_property(
    machine: Machine, backend: HostMemoryBackend, name: str, value: Any
) -> None:
    """``qom-set`` of a backend's property, with QEMU's checks in its order."""
    kinds = type(backend).properties
    if name == "type":
        raise QmpError(f"Property '{backend.qom_type}.type' is not writable")
    if name not in kinds:
        raise QmpError(f"Property '{backend.qom_type}.{name}' not found")
    # The plain boolean and string properties read the value before their setter refuses a
    # change; the others refuse before reading it.
    if name in ("share", "reserve", "readonly", "pmem", "mem-path"):
        typed = convert(name, _PROPERTY_TYPES[kinds[name]], value)
    frozen = backend.frozen_message(name)
    if frozen is not None:
        raise QmpError(frozen)
    typed = convert(name, _PROPERTY_TYPES[kinds[name]], value)
    if name == "prealloc-context":
        machine.set_prealloc_context(backend, typed)
    backend.set_property(name, typed)


@command("qom-list", {"path": "str"}, ("path",))
def qom_list(machine: Machine, args: dict[str, Any]) -> Any:
    found = _object(machine, args["path"])
    context = _context(machine, found)
    if context is not None:
        from ..threadctx import QOM_PROPERTIES

        return [{"name": name, "type": kind} for name, kind in QOM_PROPERTIES]
    if found is not None:
        return qom.properties(_as_backend(machine, found))
    children = [
        {"name": obj.id, "type": f"child<{obj.qom_type}>"} for obj in ordered_objects(machine)
    ]
    return [{"name": "type", "type": "string"}, *children]


@command("qom-get", {"path": "str", "property": "str"}, ("path", "property"))
def qom_get(machine: Machine, args: dict[str, Any]) -> Any:
    path, name = args["path"], args["property"]
    device = memory_device(machine, path)
    if device is not None:
        return _device_property(device, name)
    found = _object(machine, path)
    if found is None:
        if name == "type":
            return "container"
        if any(obj.id == name for obj in ordered_objects(machine)):
            return f"/objects/{name}"
        raise QmpError(f"Property 'container.{name}' not found")
    context = _context(machine, found)
    if context is not None:
        return context.qom_value(name)
    backend = _as_backend(machine, found)
    if name == "prealloc-context":
        linked = machine.prealloc_context_of(backend)
        return f"/objects/{linked.id}" if linked is not None else ""
    try:
        return qom.value(backend, name)
    except KeyError:
        raise QmpError(f"Property '{backend.qom_type}.{name}' not found") from None


@command("qom-list-types", {"implements": "str", "abstract": "bool"})
def qom_list_types(machine: Machine, args: dict[str, Any]) -> Any:
    return qom.type_list(args.get("implements"), args.get("abstract", False), machine.target)


#: QAPI types of the backend properties ``object-add`` takes, by machinectl's property kind.
_PROPERTY_TYPES = {
    "bool": "bool",
    "size": "uint64",
    "u32": "uint32",
    "nodes": "list:uint16",
    "policy": "enum:default|preferred|bind|interleave",
    "str": "str",
    "link": "str",  # prealloc-context: an object's id or QOM path
}


def object_property_types(qom_type: str) -> dict[str, str]:
    """The QAPI type of each property ``object-add`` (or a JSON ``-object``) takes for a
    memory backend or a thread context; empty for other types."""
    from ..hostmem import BACKEND_TYPES
    from ..options import THREAD_CONTEXT

    if qom_type == THREAD_CONTEXT:
        return {"cpu-affinity": "list:uint16", "node-affinity": "list:uint16"}
    backend_type = BACKEND_TYPES.get(qom_type)
    if backend_type is None:
        return {}
    return {key: _PROPERTY_TYPES[kind] for key, kind in backend_type.properties.items()}


@command("object-add", {}, open_arguments=True)
def object_add(machine: Machine, args: dict[str, Any]) -> Any:
    from ..hostmem import BACKEND_TYPES, HostMemoryBackend
    from ..options import EPC_BACKEND, THREAD_CONTEXT

    keys = list(args)  # in the order QEMU read them
    if "qom-type" not in args:
        raise QmpError("Parameter 'qom-type' is missing")
    # The members in QAPI's order: the type (its value too), then the id, then the rest.
    qom_type = convert("qom-type", "str", args.pop("qom-type"))
    if qom_type == THREAD_CONTEXT:
        if "id" not in args:
            raise QmpError("Parameter 'id' is missing")
        context_id = convert("id", "str", args.pop("id"))
        types = object_property_types(THREAD_CONTEXT)
        typed = {key: convert(key, kind, args[key]) for key, kind in types.items() if key in args}
        check_leftover(keys, {"qom-type", "id", *typed})
        # Set in the order given, as the setters' checks depend on it (mixing affinities).
        machine.add_thread_context(context_id, {key: typed[key] for key in args})
        return {}
    backend_type = BACKEND_TYPES.get(qom_type)
    if backend_type is None and qom_type == EPC_BACKEND:
        backend_type = HostMemoryBackend  # known to QAPI, then refused: no SGX
    if backend_type is None:
        raise QmpError(f"Parameter 'qom-type' does not accept value '{qom_type}'")
    if "id" not in args:
        raise QmpError("Parameter 'id' is missing")
    backend_id = convert("id", "str", args.pop("id"))
    # As QAPI visits them: the members in the schema's order (a required one missing is
    # reported at its place), then whatever is left over.
    values = {}
    for key, kind in backend_type.properties.items():
        if key in args:
            values[key] = convert(key, _PROPERTY_TYPES[kind], args[key])
        elif key in backend_type.required:
            raise QmpError(f"Parameter '{key}' is missing")
    check_leftover(keys, {"qom-type", "id", *values})
    if qom_type == EPC_BACKEND:
        raise QmpError(f"invalid object type: {EPC_BACKEND}")
    machine.add_backend(qom_type, backend_id, values)
    return {}


@command("object-del", {"id": "str"}, ("id",))
def object_del(machine: Machine, args: dict[str, Any]) -> Any:
    machine.object_del(args["id"])
    return {}


@command("human-monitor-command", {"command-line": "str", "cpu-index": "int"}, ("command-line",))
def human_monitor_command(machine: Machine, args: dict[str, Any]) -> Any:
    index = args.get("cpu-index")
    if index is not None and not 0 <= index < _cpus_present(machine):
        raise QmpError("Parameter 'cpu-index' expects a CPU number")
    return hmp.run(machine, args["command-line"]).replace("\n", "\r\n")


def _cpus_present(machine: Machine) -> int:
    """The CPUs the guest has: those of ``-smp``; the built-in ``none`` creates one only
    for ``-cpu``, as QEMU's does."""
    state = machine.state
    if state.board.plugin == BUILTIN and state.board.name == "none":
        return 1 if state.cpu_type is not None else 0
    return state.topology.cpus if state.topology is not None else 1


@command("quit")
def quit_(machine: Machine, args: dict[str, Any]) -> Any:
    # The server ends the session and the machine; in-process, the owner closes it.
    return {}
