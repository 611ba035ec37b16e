"""QEMU's option syntax, parsed the way QEMU 7.2 parses it, with QEMU's error texts.

Three parsers meet here, as in QEMU:

* **QemuOpts** (``-m``, ``-object``, ``-numa``, ``-smp``): ``key=value`` items separated by
  ``,``; ``,,`` is a literal comma; the first item may omit its key (the *implied* key); later
  items without ``=`` are short-form booleans (``prealloc`` / ``noprealloc``).
* **keyval** (``-machine``): the same, but no short-form booleans and dotted keys.
* **sizes** (``qemu_strtosz``): one optional suffix letter (B, K, M, G, T, P, E; base 1024),
  hex with ``0x``, fractions only with a suffix, computed exactly and rounded half up.

Each caller reports bad values with its own wording (QEMU's three wordings for the same size
error are kept), and errors found while parsing an option carry the option as location.
"""

from __future__ import annotations

import functools
import math
import os
import re

from .errors import MachineError, UsageError, did_you_mean

# Not typing.TYPE_CHECKING, and no attrs here: QEMU's help forms need this module, and
# importing either costs more than answering them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from .memdev import DeviceOption

    Warn = Callable[[str], None]

U64_LIMIT = 1 << 64
SIZE_HINT = (
    "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
    "and exabytes, respectively."
)
_SUFFIXES = {"B": 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}
_TRUE = ("on", "yes", "true", "y")
_FALSE = ("off", "no", "false", "n")
MEM_LOCK_MODES = ("on", "off", "on-fault")
#: The ``-object`` type of a thread context (:mod:`machinectl.threadctx`).
THREAD_CONTEXT = "thread-context"
#: A type QEMU 7.2's option parser knows (its values are checked as any backend's) but whose
#: creation fails: the binaries are built without SGX.
EPC_BACKEND = "memory-backend-epc"
_ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9._-]*\Z")
#: A keyval key: QAPI names (a letter, then letters, digits, '-', '_'), dotted; list indexes.
_KEYVAL_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(?:\.(?:[A-Za-z][A-Za-z0-9_-]*|[0-9]+))*")
#: Digits of 2**64 - 1 in each base strtoull is used with.
_U64_DIGITS = {10: 20, 16: 16}


class SizeSyntaxError(ValueError):
    """``qemu_strtosz`` failed; ``out_of_range`` distinguishes ERANGE from EINVAL."""

    def __init__(self, out_of_range: bool = False):
        super().__init__("out of range" if out_of_range else "invalid")
        self.out_of_range = out_of_range


# -- sizes -----------------------------------------------------------------------------------


def _strtou64(text: str, pos: int, base: int) -> tuple[int, int]:
    """C's strtoull as QEMU's qemu_strtou64 uses it: (value, end index); EINVAL if no digits."""
    i = pos
    while i < len(text) and text[i] in " \t\n\v\f\r":
        i += 1
    sign = 1
    if i < len(text) and text[i] in "+-":
        sign = -1 if text[i] == "-" else 1
        i += 1
    if base == 16 and text[i : i + 2] in ("0x", "0X") and _is_digit(text, i + 2, 16):
        i += 2
    start = i
    while i < len(text) and _is_digit(text, i, base):
        i += 1
    if i == start:
        raise SizeSyntaxError()
    # Past the leading zeros, more digits than 2**64 - 1 has is out of range whatever they
    # are (and would be a slow conversion, or one Python refuses, for megabytes of digits).
    digits = text[start:i].lstrip("0") or "0"
    if len(digits) > _U64_DIGITS[base]:
        raise SizeSyntaxError(out_of_range=True)
    value = int(digits, base)
    if value >= U64_LIMIT:
        raise SizeSyntaxError(out_of_range=True)
    if sign < 0:
        value = (U64_LIMIT - value) % U64_LIMIT
    return value, i


def _is_digit(text: str, i: int, base: int) -> bool:
    if i >= len(text):
        return False
    ch = text[i].lower()
    return ch.isascii() and (ch.isdigit() if base == 10 else ch in "0123456789abcdef")


def _strtod_fraction(text: str, pos: int) -> tuple[float, int] | None:
    """strtod over ``.digits[exponent]`` starting at ``pos`` (a '.'); None when nothing parses."""
    match = re.compile(r"\.[0-9]*(?:[eE][+-]?[0-9]+)?").match(text, pos)
    if match is None or match.group() == ".":
        return None
    # C's strtod does not take an exponent without digits before it (".e5").
    if match.group()[1:2] in ("e", "E"):
        return None
    return float("0" + match.group()), match.end()


def parse_size(text: str, default_suffix: str = "B", warn: Warn | None = None) -> int:
    """``qemu_strtosz``: a byte count, or :class:`SizeSyntaxError`."""
    # The usual form, decimal digits and perhaps a suffix ("64M", "4096"), directly.
    digits, suffix = (text[:-1], text[-1].upper()) if text[-1:].isalpha() else (text, "")
    if len(digits) < 19 and digits.isascii() and digits.isdigit():
        shift = _SUFFIXES.get(suffix or default_suffix)
        if shift is not None and (size := int(digits) << (10 * shift)) < U64_LIMIT:
            return size
    value, end = _size_integer(text, 10)
    if "-" in text[:end]:
        raise SizeSyntaxError()
    fraction_bits = 0
    hex_number = False
    if value == 0 and end < len(text) and text[end] in "xX":
        value, end = _size_integer(text, 16)
        if end < len(text) and text[end] == ".":
            raise SizeSyntaxError()
        hex_number = True
    elif end < len(text) and text[end] == ".":
        parsed = _strtod_fraction(text, end)
        if parsed is None:
            end += 1
        else:
            fraction, frac_end = parsed
            if any(c in "eE" for c in text[end:frac_end]):
                raise SizeSyntaxError()
            if not math.isfinite(fraction):
                raise SizeSyntaxError()
            scaled = fraction * 2.0**64
            # A double at or above 2**64 converts to 0 on the hosts QEMU targets.
            fraction_bits = int(scaled) if scaled < 2.0**64 else 0
            end = frac_end
    suffix = text[end].upper() if end < len(text) else ""
    if suffix in _SUFFIXES:
        if hex_number and warn is not None:
            warn(f"Using a multiplier suffix on hex numbers is deprecated: {text}")
        end += 1
    else:
        suffix = default_suffix
    if end != len(text):
        raise SizeSyntaxError()
    multiplier = 1 << (10 * _SUFFIXES[suffix])
    if multiplier == 1:
        if fraction_bits:
            raise SizeSyntaxError()
        return value
    product = value * multiplier + ((fraction_bits * multiplier) >> 64)
    product += ((fraction_bits * multiplier) & (U64_LIMIT - 1)) >> 63
    if product >= U64_LIMIT:
        raise SizeSyntaxError(out_of_range=True)
    return product


def _size_integer(text: str, base: int) -> tuple[int, int]:
    """The integer part of a size. Too large, it is out of range only when nothing follows
    it: QEMU's size parser turns the range error into a syntax error when characters are
    left (``18446744073709551616B``)."""
    try:
        return _strtou64(text, 0, base)
    except SizeSyntaxError as exc:
        if not exc.out_of_range:
            raise
        i = len(text) - len(text.lstrip(" \t\n\v\f\r"))
        i += text[i : i + 1] in ("+", "-")
        if base == 16 and text[i : i + 2] in ("0x", "0X"):
            i += 2
        while _is_digit(text, i, base):
            i += 1
        if i < len(text):
            raise SizeSyntaxError() from None
        raise


def opts_size(name: str, text: str, warn: Warn | None = None) -> int:
    """A QemuOpts size (``-m``): QEMU's QemuOpts wording."""
    try:
        return parse_size(text, warn=warn)
    except SizeSyntaxError as exc:
        if exc.out_of_range:
            raise MachineError(f"Value '{text}' is out of range for parameter '{name}'") from None
        raise MachineError(
            f"Parameter '{name}' expects a non-negative number below 2^64", hint=SIZE_HINT
        ) from None


def visitor_size(name: str, text: str, warn: Warn | None = None) -> int:
    """A size given to ``-object``: the options visitor's wording."""
    try:
        return parse_size(text, warn=warn)
    except SizeSyntaxError:
        raise MachineError(f"Parameter '{name}' expects a size value") from None


def keyval_size(name: str, text: str, warn: Warn | None = None) -> int:
    """A size given through keyval (``-machine memory.size=``): QAPI's wording."""
    try:
        return parse_size(text, warn=warn)
    except SizeSyntaxError:
        raise MachineError(f"Parameter '{name}' expects size") from None


# -- scalars ---------------------------------------------------------------------------------


def parse_bool(name: str, text: str) -> bool:
    """QEMU's booleans: on/yes/true/y and off/no/false/n, case-sensitive."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise MachineError(f"Parameter '{name}' expects 'on' or 'off'")


def opts_number(name: str, text: str) -> int:
    """A QemuOpts number (``-m slots=``): strtoull with base detection."""
    try:
        value, end = _strtou64_auto(text)
    except SizeSyntaxError as exc:
        if exc.out_of_range:
            raise MachineError(f"Value '{text}' is too large for parameter '{name}'") from None
        raise MachineError(f"Parameter '{name}' expects a number") from None
    if end != len(text):
        raise MachineError(f"Parameter '{name}' expects a number")
    return value


def _strtou64_auto(text: str) -> tuple[int, int]:
    stripped = text.lstrip(" \t\n\v\f\r")
    body = stripped.lstrip("+-")
    if body[:2] in ("0x", "0X") and _is_digit(body, 2, 16):
        return _strtou64(text, 0, 16)
    if body[:1] == "0" and len(body) > 1 and body[1] in "01234567":
        offset = len(text) - len(body)
        end = offset
        while _is_digit(text, end, 10):
            end += 1
        digits = text[offset:end]
        if not set(digits) <= set("01234567"):
            value, length = _strtou64(digits, 0, 10)
            return value, offset + length
        value = int(digits, 8)
        if value >= U64_LIMIT:
            raise SizeSyntaxError(out_of_range=True)
        return value, end
    return _strtou64(text, 0, 10)


def keyval_uint(name: str, text: str) -> int:
    """An unsigned integer given through keyval (``-machine memory.slots=``): QAPI's wording."""
    try:
        value, end = _strtou64_auto(text)
        if end != len(text):
            raise SizeSyntaxError()
    except SizeSyntaxError:
        raise MachineError(f"Parameter '{name}' expects integer") from None
    return value


def visitor_uint(name: str, text: str, bits: int) -> int:
    """An unsigned integer given to ``-object`` (options visitor), range-checked to ``bits``."""
    try:
        value, end = _strtou64_auto(text)
        if end != len(text) or text.lstrip().startswith("-"):
            raise SizeSyntaxError()
    except SizeSyntaxError:
        raise MachineError(f"Parameter '{name}' expects a uint64 value") from None
    if value >= 1 << bits:
        raise MachineError(f"Parameter '{name}' expects uint{bits}_t")
    return value


def visitor_int(name: str, text: str) -> int:
    """A signed 64-bit integer given to an options-visitor struct (``-numa cpu,node-id=``)."""
    body = text.lstrip(" \t\n\v\f\r")
    sign = -1 if body[:1] == "-" else 1
    body = body[1:] if body[:1] in ("+", "-") else body
    try:
        if not body or body[:1] in "+-" or body[:1].isspace():
            raise SizeSyntaxError()
        value, end = _strtou64_auto(body)
        if end != len(body) or not -(1 << 63) <= sign * value < 1 << 63:
            raise SizeSyntaxError()
    except SizeSyntaxError:
        raise MachineError(f"Parameter '{name}' expects an int64 value") from None
    return sign * value


def visitor_uint_list(name: str, texts: Sequence[str], bits: int) -> list[int]:
    """A repeated integer list with ``A-B`` ranges (``host-nodes=0-1,host-nodes=3``)."""
    values: list[int] = []
    for text in texts:
        low_text, dash, high_text = text.partition("-")
        try:
            low = _list_number(low_text)
            high = _list_number(high_text) if dash else low
        except SizeSyntaxError:
            raise MachineError(f"Parameter '{name}' expects a uint64 value or range") from None
        if high < low or high - low >= 65536:
            raise MachineError(f"Parameter '{name}' expects a uint64 value or range")
        for value in range(low, high + 1):
            if value >= 1 << bits:
                raise MachineError(f"Parameter 'null' expects uint{bits}_t")
            values.append(value)
    return values


def _list_number(text: str) -> int:
    if not text or text != text.strip() or text.startswith(("+", "-")):
        raise SizeSyntaxError()
    value, end = _strtou64_auto(text)
    if end != len(text):
        raise SizeSyntaxError()
    return value


def parse_enum(name: str, text: str, choices: Iterable[str]) -> str:
    if text not in tuple(choices):
        raise MachineError(f"Parameter '{name}' does not accept value '{text}'")
    return text


def check_id(text: str) -> str:
    if not _ID_RE.match(text):
        raise MachineError(
            "Parameter 'id' expects an identifier",
            hint="Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.",
        )
    return text


# -- -smp ---------------------------------------------------------------------------------------

#: ``-smp`` members in QEMU's schema order (the order their errors come in).
SMP_KEYS = ("cpus", "sockets", "dies", "clusters", "cores", "threads", "maxcpus")
#: The most CPUs machinectl accepts, and the limit of ``maxcpus`` on boards that declare no
#: limit of their own (:attr:`BoardSpec.max_cpus`): as many as QEMU 7.2's largest boards.
MAX_SMP_CPUS = 4096
SMP_ZERO = (
    "Deprecated CPU topology (considered invalid): CPU topology parameters must be greater "
    "than zero"
)


def _smp_integer(key: str, text: str) -> int:
    """A ``-smp`` member: QAPI's ``int`` from keyval, i.e. ``qemu_strtoi64`` in base 0."""
    body = text.lstrip(" \t\n\v\f\r")
    sign = -1 if body[:1] == "-" else 1
    body = body[1:] if body[:1] in ("+", "-") else body
    try:
        if body[:1] in ("", "+", "-") or body[:1].isspace():
            raise SizeSyntaxError()
        value, end = _strtou64_auto(body)
        if end != len(body) or not -(1 << 63) <= sign * value < 1 << 63:
            raise SizeSyntaxError()
    except SizeSyntaxError:
        raise MachineError(f"Parameter 'smp.{key}' expects integer", location="") from None
    return sign * value


# -- option strings ----------------------------------------------------------------------------


def _take_value(text: str, pos: int) -> tuple[str, int]:
    """Read a value up to the next lone ',' (',,' is a literal comma)."""
    out = []
    while pos < len(text):
        if text[pos] == ",":
            if text[pos + 1 : pos + 2] == ",":
                out.append(",")
                pos += 2
                continue
            break
        out.append(text[pos])
        pos += 1
    return "".join(out), pos


def object_from_json(value: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """The type, id and properties (as option text) of a JSON ``-object``; QEMU's errors."""
    from .qmp.commands import QmpError, convert, object_property_types
    from .qmp.qjson import JsonError, parse_one

    try:
        members = parse_one(os.fsencode(value))
    except JsonError as exc:
        raise MachineError(str(exc)) from None
    assert isinstance(members, dict)  # the text starts with "{"
    qom_type = _string_member(members, "qom-type")
    _check_object_type(qom_type)
    object_id = _string_member(members, "id")
    check_id(object_id)
    kinds = object_property_types(qom_type)
    props: list[tuple[str, str]] = []
    try:
        for key, member in members.items():
            if key in ("qom-type", "id"):
                continue
            kind = kinds.get(key)
            if kind is None:
                raise MachineError(f"Parameter '{key}' is unexpected")
            typed = convert(key, kind, member)
            for item in typed if isinstance(typed, list) else [typed]:
                text = ("on" if item else "off") if isinstance(item, bool) else str(item)
                props.append((key, text))
    except QmpError as exc:
        raise MachineError(exc.message) from None
    return qom_type, object_id, tuple(props)


def _string_member(members: dict[str, Any], name: str) -> str:
    value = members.get(name)
    if value is None:
        raise MachineError(f"Parameter '{name}' is missing")
    if not isinstance(value, str):
        raise MachineError(f"Invalid parameter type for '{name}', expected: string")
    return value


def _check_object_type(qom_type: str) -> None:
    """An ``-object`` type QEMU does not have is refused before anything else is looked at."""
    from .hostmem import BACKEND_TYPES

    if qom_type in BACKEND_TYPES or qom_type in (THREAD_CONTEXT, EPC_BACKEND):
        return
    from . import qemu_options  # only now: the usual types need no module loaded

    if qom_type not in qemu_options.OBJECT_TYPES:
        raise MachineError(
            f"Parameter 'qom-type' does not accept value '{qom_type}'",
            suggestion=did_you_mean(qom_type, BACKEND_TYPES),
        )


def _parse_object(option: ObjectOption, warn: Warn, keys: Sequence[str]) -> dict[str, Any] | None:
    """Check an ``-object``'s values as QEMU does when it reads the option; a memory
    backend's values, typed (None for other objects)."""
    if option.qom_type == THREAD_CONTEXT:
        from .threadctx import ThreadContext

        ThreadContext.parse(option, keys)
        return None
    from .hostmem import BACKEND_TYPES, HostMemoryBackend

    backend_type = BACKEND_TYPES.get(option.qom_type)
    if backend_type is None and option.qom_type == EPC_BACKEND:
        backend_type = HostMemoryBackend  # the common members only
    if backend_type is None:
        return None
    return backend_type._parse_props(option.props, warn, keys)


def split_qemu_opts(
    text: str,
    implied: str | None,
    warn: Warn | None = None,
    check: Callable[[str, str], object] | None = None,
) -> list[tuple[str, str]]:
    """QemuOpts' ``key=value,...`` items in order (keys may repeat; the last one wins).

    ``check`` is called with each item as it is read, for an option list that declares its
    keys: QEMU checks each value as it reads it, so an error stops the reading (and the
    warnings of the items after it).
    """
    items: list[tuple[str, str]] = []
    pos = 0
    first = True
    while pos < len(text):
        name_end = _first_of(text, pos, "=,")
        if name_end < len(text) and text[name_end] == "=":
            key = text[pos:name_end]
            value, pos = _take_value(text, name_end + 1)
        elif first and implied is not None:
            key = implied  # even when empty: QemuOpts' get_opt_name_value
            value, pos = _take_value(text, pos)
        else:
            key = text[pos:name_end]
            pos = name_end
            value, prefix = "on", ""
            if key.startswith("no"):
                key, value, prefix = key[2:], "off", "no"
            if key not in ("help", "?") and warn is not None:
                # QEMU's advice, on a line of its own there, is kept on the same line here.
                advice = f"{key}={value}"
                if key == "delay":  # QEMU names the option as it is really spelt
                    advice = f"nodelay={'on' if prefix else 'off'}"
                warn(
                    f"short-form boolean option '{prefix}{key}' deprecated "
                    f"(Please use {advice} instead)"
                )
        if check is not None:
            check(key, value)
        items.append((key, value))
        first = False
        if pos < len(text):
            pos += 1  # the separating comma
    return items


def split_keyval(text: str, implied: str | None) -> list[tuple[str, str]]:
    """keyval's ``key=value,...`` (``-machine``, ``-smp``): no short-form booleans.

    As in QEMU, the implied key's value ends at the first comma (``,,`` escapes a comma only
    after ``key=``), and a key is a dotted QAPI name (``memory.size``).
    """
    items: list[tuple[str, str]] = []
    pos = 0
    first = True
    while pos < len(text):
        name_end = _first_of(text, pos, "=,")
        if name_end < len(text) and text[name_end] == "=":
            key = text[pos:name_end]
            if not _KEYVAL_KEY.fullmatch(key):
                raise MachineError(f"Invalid parameter '{key}'")
            value, pos = _take_value(text, name_end + 1)
        elif first and implied is not None and name_end > pos:
            # An empty first item is an empty key, not the implied one (keyval_parse_one).
            key = implied
            value, pos = text[pos:name_end], name_end
        else:
            key = text[pos:name_end]
            if not _KEYVAL_KEY.fullmatch(key):
                raise MachineError(f"Invalid parameter '{key}'")
            raise MachineError(f"Expected '=' after parameter '{key}'")
        items.append((key, value))
        first = False
        if pos < len(text):
            pos += 1
    return items


def _first_of(text: str, pos: int, chars: str) -> int:
    for i in range(pos, len(text)):
        if text[i] in chars:
            return i
    return len(text)


# -- the command line --------------------------------------------------------------------------


class _Value:
    """A small immutable value: its fields are its ``__slots__``, given in order to the
    constructor, and it compares, hashes and shows itself by them."""

    __slots__: tuple[str, ...] = ()

    def __init__(self, *values: Any) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Value)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({values})"


class ObjectOption(_Value):
    """One ``-object TYPE,id=ID,...`` as written: validated later by the backend type."""

    __slots__ = ("qom_type", "id", "props", "text")  # noqa: RUF023 (the order of __init__)
    qom_type: str
    id: str
    props: tuple[tuple[str, str], ...]
    text: str

    def __init__(
        self, qom_type: str, id: str, props: tuple[tuple[str, str], ...], text: str
    ) -> None:
        super().__init__(qom_type, id, props, text)

    @property
    def location(self) -> str:
        return f"-object {self.text}"


class NumaOption(_Value):
    """One ``-numa TYPE,...`` as written; the NUMA module gives it meaning."""

    __slots__ = ("props", "text")
    props: tuple[tuple[str, str], ...]
    text: str

    def __init__(self, props: tuple[tuple[str, str], ...], text: str) -> None:
        super().__init__(props, text)

    @property
    def location(self) -> str:
        return f"-numa {self.text}"


class MonitorOption(_Value):
    """A QMP monitor (``-qmp``, or ``-chardev`` with ``-mon mode=control``): where it listens.

    ``transport`` is ``unix`` (``address`` a path), ``tcp`` (``address`` a host, ``port``) or
    ``stdio``; ``location`` the option that asked for it, for error messages.
    """

    __slots__ = ("transport", "address", "port", "location")  # noqa: RUF023 (the order of __init__)
    transport: str
    address: str
    port: int
    location: str

    def __init__(
        self, transport: str, address: str = "", port: int = 0, location: str = ""
    ) -> None:
        super().__init__(transport, address, port, location)

    def at(self, location: str) -> MonitorOption:
        """The same monitor, asked for by the option ``location``."""
        return MonitorOption(self.transport, self.address, self.port, location)


#: Socket options of a listening chardev machinectl takes (others are refused).
_SOCKET_KEYS = ("server", "wait", "nodelay", "path", "host", "port", "id")


def parse_chardev(items: Sequence[tuple[str, str]], text: str) -> MonitorOption:
    """A ``-chardev``/``-qmp`` socket or stdio as a :class:`MonitorOption` (no location)."""
    backend = items[0][1] if items else ""
    props = dict(items[1:])
    if backend == "stdio":
        for key in props:
            if key not in ("id", "signal", "logfile", "logappend", "mux"):
                raise MachineError(f"Invalid parameter '{key}'")
        return MonitorOption("stdio")
    if backend != "socket":
        raise MachineError(f"'{backend}' is not a valid char driver")
    for key in props:
        if key not in _SOCKET_KEYS:
            raise MachineError(f"Invalid parameter '{key}'")
    server = parse_bool("server", props.get("server", "off"))
    wait = parse_bool("wait", props.get("wait", "on"))
    parse_bool("nodelay", props.get("nodelay", "off"))
    if not server:
        raise MachineError("machinectl only listens for QMP clients: add server=on,wait=off")
    if wait:
        raise MachineError(
            "machinectl does not wait for a QMP client before starting: add wait=off"
        )
    if "path" in props:
        if not props["path"]:
            raise MachineError("chardev: socket: no path given")
        return MonitorOption("unix", props["path"])
    if "port" not in props:
        raise MachineError("chardev: socket: no host given")
    port = props["port"]
    if not port.isdigit() or int(port) > 65535:
        raise MachineError(f"Parameter 'port' expects a port number: {port}")
    return MonitorOption("tcp", props.get("host", ""), int(port))


def parse_qmp_address(text: str) -> MonitorOption:
    """``-qmp``'s shorthand: ``unix:PATH[,...]``, ``tcp:[HOST]:PORT[,...]`` or ``stdio``."""
    if text == "stdio":
        return MonitorOption("stdio")
    if text.startswith("unix:"):
        # QemuOpts with "path" implied: ",," is a comma of the path.
        return parse_chardev([("backend", "socket"), *split_qemu_opts(text[5:], "path")], text)
    spec, _, rest = text.partition(",")
    opts = split_qemu_opts(rest, None) if rest else []
    if spec.startswith("tcp:") and ":" in spec[4:]:
        host, _, port = spec[4:].rpartition(":")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        items = [("backend", "socket"), ("host", host), ("port", port), *opts]
    else:
        name = spec.split(":", 1)[0]
        raise MachineError(f"'{name}' is not a valid char driver")
    return parse_chardev(items, text)


class CommandLine:
    """QEMU's RAM-related options, parsed but not yet interpreted against a board."""

    def __init__(self) -> None:
        #: Merged ``-machine`` keyval items (``type`` and properties), later ones win.
        self.machine: dict[str, str] = {}
        #: Merged ``-m`` items: ``size``, ``slots``, ``maxmem`` as strings (validated).
        self.memory: dict[str, str] = {}
        self.objects: list[ObjectOption] = []
        #: The typed values of each memory backend's ``-object`` (by id), read with the
        #: command line as QEMU reads them.
        self.object_values: dict[str, dict[str, Any]] = {}
        self.numa: list[NumaOption] = []
        #: ``-device`` options of memory devices, in command-line order.
        self.devices: list[DeviceOption] = []
        #: ``-cpu`` (the model name) and ``-bios``: some boards plug memory devices only with
        #: firmware and a 64-bit CPU (arm ``virt``).
        self.cpu: str | None = None
        self.bios: str | None = None
        self.mem_path: str | None = None
        self.mem_prealloc = False
        self.smp_cpus = 1
        self.smp_given = False
        #: ``-overcommit mem-lock=``: ``off``, ``on`` or ``on-fault``.
        self.mem_lock = "off"
        #: ``-overcommit cpu-pm=`` (accepted; it concerns no memory).
        self.cpu_pm = False
        #: Merged ``-smp`` keyval items as written.
        self.smp: dict[str, str] = {}
        #: The merged ``-smp`` members as numbers (name -> value), for the board's topology.
        self.smp_config: dict[str, int] = {}
        self.warnings: list[str] = []
        #: ``-chardev`` sockets by id, and the QMP monitors of ``-qmp`` and ``-mon``.
        self.chardevs: dict[str, MonitorOption] = {}
        self.monitors: list[MonitorOption] = []
        #: ``-mon`` options as written: (chardev id, location), resolved once all are read.
        self.mons: list[tuple[str, str]] = []

    @classmethod
    def from_argv(cls, argv: Sequence[str]) -> CommandLine:
        """Parse QEMU-style arguments; every error names its option as QEMU does."""
        line = cls()
        try:
            line._parse(list(argv))
        except MachineError as exc:
            exc.warnings = (*line.warnings, *exc.warnings)
            raise
        return line

    def _parse(self, args: list[str]) -> None:
        line = self
        i = 0
        while i < len(args):
            arg = args[i]
            name = arg[1:] if arg.startswith("--") else arg
            handler = _OPTIONS.get(name)
            if handler is None:
                if not arg.startswith("-"):
                    raise UsageError(f"{arg}: unexpected argument (options start with '-')")
                raise UsageError(f"{arg}: invalid option")
            takes_value, method = handler
            if takes_value:
                if i + 1 >= len(args):
                    raise UsageError(f"{arg}: requires an argument")
                value = args[i + 1]
                i += 2
                location = f"{arg} {value}"

                def warn(text: str, location: str = location) -> None:
                    line.warnings.append(f"{location}: warning: {text}")

                try:
                    method(line, value, warn)
                except MachineError as exc:
                    raise exc.at(location) from None
            else:
                i += 1
                method(line, "", line.warnings.append)
        line._resolve_monitors()

    def _resolve_monitors(self) -> None:
        for chardev_id, location in self.mons:
            found = self.chardevs.get(chardev_id)
            if found is None:
                raise MachineError(f'chardev "{chardev_id}" not found').at(location)
            self.monitors.append(found.at(location))
        if sum(m.transport == "stdio" for m in self.monitors) > 1:
            raise MachineError("cannot use stdio by multiple character devices")

    # -- one method per option ---------------------------------------------------------------

    def _machine(self, value: str, warn: Warn) -> None:
        for key, item in split_keyval(value, "type"):
            self.machine[key] = item

    def _memory(self, value: str, warn: Warn) -> None:
        def check(key: str, item: str) -> None:
            if key in ("size", "maxmem"):
                opts_size(key, item)
            elif key == "slots":
                opts_number(key, item)
            else:
                suggestion = did_you_mean(key, ("size", "slots", "maxmem"))
                raise MachineError(f"Invalid parameter '{key}'", suggestion=suggestion)

        for key, item in split_qemu_opts(value, "size", warn, check):
            self.memory[key] = item

    def _object(self, value: str, warn: Warn) -> None:
        if value.startswith("{"):
            self._object_json(value)
            return
        items = split_qemu_opts(value, "qom-type", warn)
        props = [(k, v) for k, v in items if k not in ("qom-type", "id")]
        qom_type = next((v for k, v in reversed(items) if k == "qom-type"), None)
        # QemuOpts takes the first id=; of other repeated keys, the last one counts.
        object_id = next((v for k, v in items if k == "id"), None)
        if object_id is not None:
            check_id(object_id)
            if any(o.id == object_id for o in self.objects):
                raise MachineError(f"Duplicate ID '{object_id}' for object")
        if qom_type is None:
            raise MachineError("Parameter 'qom-type' is missing")
        _check_object_type(qom_type)
        if object_id is None:
            raise MachineError("Parameter 'id' is missing")
        option = ObjectOption(qom_type, object_id, tuple(props), value)
        # QEMU reads the option's values here, as it meets the option: their errors come
        # before any that later stages find. The visitor's table holds the keys in the
        # option's order, with the id last.
        keys = [*dict.fromkeys(k for k, _ in items if k != "id"), "id"]
        values = _parse_object(option, warn, keys)
        if values is not None:
            self.object_values[object_id] = values
        self.objects.append(option)

    def _object_json(self, value: str) -> None:
        """``-object '{"qom-type": ..., "id": ..., ...}'`` (libvirt's form): typed members,
        checked as QMP's ``object-add`` checks them, kept as the option text would give them."""
        qom_type, object_id, props = object_from_json(value)
        if any(o.id == object_id for o in self.objects):
            raise MachineError(
                f"attempt to add duplicate property '{object_id}' to object (type 'container')"
            )
        self.objects.append(ObjectOption(qom_type, object_id, props, value))

    def _numa(self, value: str, warn: Warn) -> None:
        self.numa.append(NumaOption(tuple(split_qemu_opts(value, "type", warn)), value))

    def _smp(self, value: str, warn: Warn) -> None:
        # keyval syntax; several -smp options merge, later values win (QEMU's merge_lists).
        for key, item in split_keyval(value, "cpus"):
            self.smp[key] = item
        # QEMU checks the merged values as a QAPI struct, later and without the option.
        counts: dict[str, int] = {}
        for key in SMP_KEYS:
            if key in self.smp:
                counts[key] = _smp_integer(key, self.smp[key])
        for key in self.smp:
            if key not in SMP_KEYS:
                name = key.split(".")[0]
                raise MachineError(f"Parameter 'smp.{name}' is unexpected", location="")
        if 0 in counts.values() and SMP_ZERO not in self.warnings:
            self.warnings.append(SMP_ZERO)
        # QEMU's machine_parse_smp_config: the count is an unsigned int; without cpus= it is
        # maxcpus=, without that the product of the topology (0 and absent mean 1).
        cpus = counts.get("cpus", 0) % (1 << 32) or counts.get("maxcpus", 0) % (1 << 32)
        if not cpus:
            cpus = 1
            for key in ("sockets", "dies", "clusters", "cores", "threads"):
                cpus *= counts.get(key, 0) % (1 << 32) or 1
        # Bounded by the board's limit (or MAX_SMP_CPUS) once the board is known.
        self.smp_cpus = cpus
        self.smp_config = counts
        self.smp_given = True

    def _overcommit(self, value: str, warn: Warn) -> None:
        # QemuOpts without an implied key; a later -overcommit keeps what it does not set
        # (QEMU 10), and mem-lock also takes on-fault (QEMU 10's values and message).
        items = split_qemu_opts(value, None, warn)
        for key, item in items:
            if key == "cpu-pm":
                parse_bool(key, item)
            elif key != "mem-lock":
                raise MachineError(f"Invalid parameter '{key}'")
        values = dict(items)
        if "cpu-pm" in values:
            self.cpu_pm = parse_bool("cpu-pm", values["cpu-pm"])
        if "mem-lock" in values:
            if values["mem-lock"] not in MEM_LOCK_MODES:
                raise MachineError("parameter 'mem-lock' expects one of 'on', 'off', 'on-fault'")
            self.mem_lock = values["mem-lock"]

    def _device(self, value: str, warn: Warn) -> None:
        self.devices.append(parse_device(value, warn))

    def _cpu(self, value: str, warn: Warn) -> None:
        if value == "":
            # QEMU checks this once every option is read: the message names no option.
            raise MachineError("-cpu option cannot be empty").at("")
        self.cpu = value.split(",", 1)[0]

    def _bios(self, value: str, warn: Warn) -> None:
        self.bios = value

    def _mem_path(self, value: str, warn: Warn) -> None:
        self.mem_path = value

    def _mem_prealloc(self, value: str, warn: Warn) -> None:
        self.mem_prealloc = True

    def _qmp(self, value: str, warn: Warn) -> None:
        self.monitors.append(parse_qmp_address(value).at(f"-qmp {value}"))

    def _chardev(self, value: str, warn: Warn) -> None:
        items = split_qemu_opts(value, "backend")
        chardev_id = dict(items).get("id")
        if not chardev_id:
            raise MachineError("chardev: no id specified")
        check_id(chardev_id)
        if chardev_id in self.chardevs:
            raise MachineError(f"Duplicate ID '{chardev_id}' for chardev")
        self.chardevs[chardev_id] = parse_chardev(items, value)

    def _mon(self, value: str, warn: Warn) -> None:
        props = dict(split_qemu_opts(value, "chardev"))
        for key in props:
            if key not in ("chardev", "mode", "pretty", "id"):
                raise MachineError(f"Invalid parameter '{key}'")
        mode = parse_enum("mode", props.get("mode", "readline"), ("readline", "control"))
        if mode != "control":
            raise MachineError("machinectl has no human monitor: use mode=control (QMP)")
        if parse_bool("pretty", props.get("pretty", "off")):
            raise MachineError("machinectl's QMP monitor has no pretty=on")
        self.mons.append((props.get("chardev", ""), f"-mon {value}"))


def is_qemu_device(driver: str) -> bool:
    """Whether some QEMU 7.2 binary has a device model of that name (``-device help``)."""
    return driver in _qemu_devices()


@functools.cache
def _qemu_devices() -> frozenset[str]:
    import json
    from importlib import resources

    text = resources.files(__package__).joinpath("qemu72_devices.json").read_text()
    return frozenset(json.loads(text))


def parse_device(value: str, warn: Warn | None = None) -> DeviceOption:
    """One ``-device DRIVER,prop=value,...`` of a memory device (QEMU's QemuOpts syntax)."""
    from .memdev import DRIVER_PROPERTIES, DeviceOption

    items = split_qemu_opts(value, "driver", warn)
    driver = next((v for k, v in reversed(items) if k == "driver"), None)
    if driver is None:
        raise MachineError("Parameter 'driver' is missing")
    device_id = next((v for k, v in items if k == "id"), None)  # QemuOpts: the first id=
    if device_id is not None:
        check_id(device_id)
    if driver not in DRIVER_PROPERTIES:
        if not is_qemu_device(driver):
            raise MachineError(f"'{driver}' is not a valid device model name")
        raise MachineError(
            f"'{driver}' is not a memory device; machinectl models memory devices only "
            f"({', '.join(sorted(DRIVER_PROPERTIES))})"
        )
    props = tuple((k, v) for k, v in items if k != "driver")
    return DeviceOption(driver, props, value)


def option_takes_value(arg: str) -> bool | None:
    """Whether the option ``arg`` takes a value; None when it is no option machinectl knows."""
    handler = _OPTIONS.get(arg[1:] if arg.startswith("--") else arg)
    return None if handler is None else handler[0]


_OPTIONS: dict[str, tuple[bool, Callable[[CommandLine, str, Warn], None]]] = {
    "-M": (True, CommandLine._machine),
    "-machine": (True, CommandLine._machine),
    "-m": (True, CommandLine._memory),
    "-object": (True, CommandLine._object),
    "-numa": (True, CommandLine._numa),
    "-smp": (True, CommandLine._smp),
    "-device": (True, CommandLine._device),
    "-cpu": (True, CommandLine._cpu),
    "-bios": (True, CommandLine._bios),
    "-mem-path": (True, CommandLine._mem_path),
    "-mem-prealloc": (False, CommandLine._mem_prealloc),
    "-qmp": (True, CommandLine._qmp),
    "-chardev": (True, CommandLine._chardev),
    "-mon": (True, CommandLine._mon),
    "-overcommit": (True, CommandLine._overcommit),
}
