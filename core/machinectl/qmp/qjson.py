"""JSON as QEMU 7.2's monitor reads and writes it.

QEMU does not read QMP with a standard JSON parser. Its lexer takes single-quoted strings
and ``\\'`` escapes, rejects control characters inside strings, and after a lexical error
skips input up to the next structural character or line end. Its streamer cuts messages by
counting braces and brackets, and gives up on a message at a size, token-count or nesting
limit. Its parser stops at the first error. Clients see all of this: they get one error
reply per error, and the session carries on after the error. :class:`MessageParser`
reproduces each stage, with QEMU's error text.

The writer matters just as much. QEMU keeps objects in hash tables of 512 buckets, so an
object's members come out in bucket order, not in the order they were written.
:func:`dumps` writes members in that order. Strings are ASCII with upper-case ``\\uXXXX``
escapes, and floating-point numbers use 17 significant digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..qdict import bucket, qdict_order

__all__ = [
    "MAX_NESTING",
    "MAX_TOKEN_COUNT",
    "MAX_TOKEN_SIZE",
    "JsonError",
    "MessageParser",
    "dumps",
    "parse_one",
]

#: QEMU's limits on one message (``json-streamer.c``) and on one token (``json-lexer.c``).
MAX_TOKEN_SIZE = 64 << 20
MAX_TOKEN_COUNT = 2 << 20
MAX_NESTING = 1 << 10

# Token kinds.
LCURLY, RCURLY, LSQUARE, RSQUARE, COMMA, COLON = b"{", b"}", b"[", b"]", b",", b":"
STRING, INTEGER, FLOAT, KEYWORD, ERROR = "string", "integer", "float", "keyword", "error"
_STRUCTURAL = {ord(c): c for c in (LCURLY, RCURLY, LSQUARE, RSQUARE, COMMA, COLON)}

_WHITESPACE = re.compile(rb"[ \t\r\n]*")
#: What error recovery skips: everything but structural characters, control characters other
#: than tab, and the bytes 0xFE and 0xFF.
_RECOVERY = re.compile(rb"[^\x00-\x08\x0a-\x1f\xfe\xff\[\]{}:,]*")
_KEYWORD = re.compile(rb"[a-z]*")
_DIGITS = re.compile(rb"[0-9]*")
#: The plain characters of a string body (not the quote, not a backslash).
_BODY = {
    ord('"'): re.compile(rb"[\x20\x21\x23-\x5b\x5d-\xfd]*"),
    ord("'"): re.compile(rb"[\x20-\x26\x28-\x5b\x5d-\xfd]*"),
}


class JsonError(Exception):
    """One error QEMU reports for the input: its ``desc``, as the client gets it."""


Token = tuple[Any, bytes]
Parsed = tuple[Any, "JsonError | None"]


class MessageParser:
    """QEMU's lexer, streamer and parser over a byte stream.

    :meth:`feed` returns, in order, one ``(value, None)`` for each complete message and one
    ``(None, error)`` for each error QEMU would answer.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._recovering = False
        #: How far the token at the start of the buffer has been read (resumed on more input).
        self._scan = 0
        self._tokens: list[Token] = []
        self._size = 0
        self._braces = 0
        self._brackets = 0
        self._out: list[Parsed] = []

    def feed(self, data: bytes) -> list[Parsed]:
        self._buffer += data
        self._lex()
        out, self._out = self._out, []
        return out

    def flush(self) -> list[Parsed]:
        """The end of the input: a token cut short is finished or refused, and the tokens
        of an unfinished message are parsed (``premature EOI``), as QEMU's flush does."""
        buf = self._buffer
        if buf and not self._recovering:
            text = bytes(buf)
            char = buf[0]
            kind: Any = ERROR
            if 0x61 <= char <= 0x7A:
                kind = KEYWORD
            elif char == 0x2D or 0x30 <= char <= 0x39:
                end, ended = _number(bytearray(text + b" "), 0)
                kind = ended if end == len(text) else ERROR
            self._token(kind, text)
        buf.clear()
        self._recovering = False
        self._scan = 0
        if self._tokens:
            self._parse_message()
        out, self._out = self._out, []
        return out

    # -- the lexer --------------------------------------------------------------------------

    def _lex(self) -> None:
        buf = self._buffer
        end = len(buf)
        pos = 0
        while True:
            if self._recovering:
                pos = _RECOVERY.match(buf, pos).end()  # type: ignore[union-attr]
                if pos == end:
                    break
                self._recovering = False
            pos = _WHITESPACE.match(buf, pos).end()  # type: ignore[union-attr]
            if pos == end:
                break
            char = buf[pos]
            kind: Any
            if char in _STRUCTURAL:
                self._token(_STRUCTURAL[char], bytes(buf[pos : pos + 1]))
                pos += 1
                continue
            if char in _BODY:
                stop, kind = self._string(buf, pos, char)
            elif char == 0x2D or 0x30 <= char <= 0x39:
                stop, kind = _number(buf, pos)
            elif 0x61 <= char <= 0x7A:
                stop = _KEYWORD.match(buf, pos).end()  # type: ignore[union-attr]
                kind = KEYWORD if stop < end else None
            else:
                stop, kind = pos + 1, ERROR
            if stop - pos > MAX_TOKEN_SIZE:
                # The lexer hands on a token that grew too large and starts afresh after it.
                self._limit("JSON token size limit exceeded")
                pos += MAX_TOKEN_SIZE + 1
                self._scan = 0
                continue
            if kind is None:  # the token goes on past the input so far
                break
            self._token(kind, bytes(buf[pos:stop]))
            self._scan = 0
            pos = stop
            if kind is ERROR:
                self._recovering = True
        del buf[:pos]

    def _string(self, buf: bytearray, start: int, quote: int) -> tuple[int, Any]:
        body = _BODY[quote]
        end = len(buf)
        pos = max(start + 1, start + self._scan)
        while True:
            pos = body.match(buf, pos).end()  # type: ignore[union-attr]
            if pos == end:
                break
            char = buf[pos]
            if char == quote:
                return pos + 1, STRING
            if char == 0x5C:  # backslash: any character but a control character follows
                if pos + 1 == end:
                    break
                if 0x20 <= buf[pos + 1] <= 0xFD:
                    pos += 2
                    continue
                return pos + 2, ERROR
            return pos + 1, ERROR
        self._scan = pos - start
        return end, None

    # -- the streamer -----------------------------------------------------------------------

    def _token(self, kind: Any, text: bytes) -> None:
        if kind is ERROR:
            self._emit(None, JsonError(f"JSON parse error, stray '{_text(text)}'"))
            return
        if kind is LCURLY:
            self._braces += 1
        elif kind is RCURLY:
            self._braces -= 1
        elif kind is LSQUARE:
            self._brackets += 1
        elif kind is RSQUARE:
            self._brackets -= 1
        if self._size + len(text) + 1 > MAX_TOKEN_SIZE:
            self._limit("JSON token size limit exceeded")
            return
        if len(self._tokens) + 1 > MAX_TOKEN_COUNT:
            self._limit("JSON token count limit exceeded")
            return
        if self._braces + self._brackets > MAX_NESTING:
            self._limit("JSON nesting depth limit exceeded")
            return
        self._tokens.append((kind, text))
        self._size += len(text)
        if (self._braces > 0 or self._brackets > 0) and self._braces >= 0 and self._brackets >= 0:
            return
        self._parse_message()

    def _parse_message(self) -> None:
        try:
            value = parse(self._tokens)
        except JsonError as exc:
            self._emit(None, exc)
        else:
            self._emit(value, None)

    def _limit(self, message: str) -> None:
        self._emit(None, JsonError(message))

    def _emit(self, value: Any, error: JsonError | None) -> None:
        self._tokens = []
        self._size = self._braces = self._brackets = 0
        self._out.append((value, error))


def _number(buf: bytearray, start: int) -> tuple[int, Any]:
    """End and kind of the number at ``start``: ``ERROR`` where QEMU's lexer fails (the
    failing character is part of the error), None where the input ends first."""
    end = len(buf)
    pos = start
    if buf[pos] == 0x2D:
        pos += 1
        if pos == end:
            return end, None
        if not 0x30 <= buf[pos] <= 0x39:
            return pos + 1, ERROR
    if buf[pos] == 0x30:
        pos += 1
        if pos == end:
            return end, None
        if 0x30 <= buf[pos] <= 0x39:
            return pos + 1, ERROR
        if buf[pos] != 0x2E:
            return pos, INTEGER
    else:
        pos = _DIGITS.match(buf, pos).end()  # type: ignore[union-attr]
        if pos == end:
            return end, None
        if buf[pos] not in b".eE":
            return pos, INTEGER
    if buf[pos] == 0x2E:
        pos = _digit_run(buf, pos + 1)
        if pos < 0:
            return -pos, ERROR
        if pos == end:
            return end, None
        if buf[pos] not in b"eE":
            return pos, FLOAT
    pos += 1  # the exponent's e
    if pos < end and buf[pos] in b"+-":
        pos += 1
    pos = _digit_run(buf, pos)
    if pos < 0:
        return -pos, ERROR
    if pos == end:
        return end, None
    return pos, FLOAT


def _digit_run(buf: bytearray, pos: int) -> int:
    """The end of the digits that must start at ``pos``; the end of the input when it ends
    first; minus the end of the error token when a digit is missing."""
    if pos == len(buf):
        return pos
    if not 0x30 <= buf[pos] <= 0x39:
        return -(pos + 1)
    return _DIGITS.match(buf, pos).end()  # type: ignore[union-attr]


# -- the parser ----------------------------------------------------------------------------------


def parse(tokens: list[Token]) -> Any:
    """The value of one message's tokens, or the first error QEMU's parser meets."""
    stack: list[list[Any]] = []  # [container, key or None, expecting a key]
    index = 0
    count = len(tokens)

    def take() -> Token:
        nonlocal index
        if index >= count:
            raise JsonError("JSON parse error, premature EOI")
        index += 1
        return tokens[index - 1]

    while True:
        # A value starts here.
        kind, text = take()
        value: Any
        if kind is LCURLY or kind is LSQUARE:
            if index >= count:
                raise JsonError("JSON parse error, premature EOI")
            closer = RCURLY if kind is LCURLY else RSQUARE
            if tokens[index][0] is closer:
                index += 1
                value = {} if kind is LCURLY else []
            else:
                stack.append([{} if kind is LCURLY else [], None, kind is LCURLY])
                continue
        elif kind is STRING:
            value = _string_value(text)
        elif kind is INTEGER:
            value = _integer(text)
        elif kind is FLOAT:
            value = float(text)
        elif kind is KEYWORD:
            value = _KEYWORDS.get(text, _KEYWORDS)
            if value is _KEYWORDS:
                raise JsonError(f"JSON parse error, invalid keyword '{_text(text)}'")
        else:
            raise JsonError("JSON parse error, expecting value")
        # A value is complete: it goes into the container it belongs to.
        while True:
            if not stack:
                return value
            frame = stack[-1]
            container = frame[0]
            if isinstance(container, list):
                container.append(value)
                kind, _ = take()
                if kind is RSQUARE:
                    stack.pop()
                    value = container
                    continue
                if kind is not COMMA:
                    raise JsonError("JSON parse error, expected separator in list")
                break
            if frame[2]:
                if not isinstance(value, str):
                    raise JsonError("JSON parse error, key is not a string in object")
                kind, _ = take()
                if kind is not COLON:
                    raise JsonError("JSON parse error, missing : in object pair")
                frame[1], frame[2] = value, False
                break
            if frame[1] in container:
                raise JsonError("JSON parse error, duplicate key")
            container[frame[1]] = value
            kind, _ = take()
            if kind is RCURLY:
                stack.pop()
                value = qdict_order(container)
                continue
            if kind is not COMMA:
                raise JsonError("JSON parse error, expected separator in dict")
            frame[2] = True
            break


_KEYWORDS: dict[bytes, Any] = {b"true": True, b"false": False, b"null": None}
_INT64 = (-(1 << 63), (1 << 63) - 1)


def _integer(text: bytes) -> int | float:
    if len(text.lstrip(b"-")) > 20:  # beyond any 64-bit integer: a double, as in QEMU
        return float(text)
    value = int(text)
    if _INT64[0] <= value <= _INT64[1] or (0 <= value < 1 << 64 and text[:1] != b"-"):
        return value
    return float(text)


_ESCAPES = {
    ord('"'): '"',
    ord("'"): "'",
    ord("\\"): "\\",
    ord("/"): "/",
    ord("b"): "\b",
    ord("f"): "\f",
    ord("n"): "\n",
    ord("r"): "\r",
    ord("t"): "\t",
}
_HEX4 = re.compile(rb"[0-9A-Fa-f]{4}")
_NONCHARACTER = re.compile("[\ufdd0-\ufdef\ufffe\uffff]|[\U0001fffe-\U0010ffff]")


def _hex4(text: bytes, pos: int) -> int:
    return int(text[pos : pos + 4], 16) if _HEX4.fullmatch(text, pos, pos + 4) else -1


def _valid_codepoint(cp: int) -> bool:
    return (
        0 <= cp <= 0x10FFFF
        and not 0xD800 <= cp <= 0xDFFF
        and not 0xFDD0 <= cp <= 0xFDEF
        and (cp & 0xFFFE) != 0xFFFE
    )


def _string_value(token: bytes) -> str:
    """A string token's text, checked as QEMU's parser checks it (escapes, then modified
    UTF-8: ``C0 80`` is NUL; surrogates, overlong forms and noncharacters are refused)."""
    end = len(token) - 1
    parts: list[str] = []
    pos = 1
    while pos < end:
        stop = token.find(b"\\", pos, end)
        if stop < 0:
            stop = end
        if stop > pos:
            parts.append(_utf8(token[pos:stop]))
        if stop == end:
            break
        begin = stop
        escape = token[stop + 1]
        pos = stop + 2
        if escape != 0x75:  # not \u
            char = _ESCAPES.get(escape)
            if char is None:
                raise JsonError("JSON parse error, invalid escape sequence in string")
            parts.append(char)
            continue
        cp = _hex4(token, pos)
        pos += 4
        if 0xD800 <= cp <= 0xDBFF and token[pos : pos + 2] == b"\\u":
            trailing = _hex4(token, pos + 2)
            if 0xDC00 <= trailing <= 0xDFFF:
                cp = 0x10000 + ((cp & 0x3FF) << 10) + (trailing & 0x3FF)
                pos += 6
            else:
                cp = -1
        if not _valid_codepoint(cp):
            shown = token[begin:pos] if pos <= len(token) else token[begin:]
            raise JsonError(f"JSON parse error, {_text(shown)} is not a valid Unicode character")
        parts.append(chr(cp))
    return "".join(parts)


def _utf8(raw: bytes) -> str:
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        text = _mod_utf8(raw, strict=True)
    if _NONCHARACTER.search(text) is not None:
        raise JsonError("JSON parse error, invalid UTF-8 sequence in string")
    return text


_MIN_CODEPOINT = (0x80, 0x800, 0x10000, 0x200000, 0x4000000)


def _mod_utf8(raw: bytes, strict: bool) -> str:
    """Modified UTF-8 decoded character by character, as QEMU does: each invalid sequence is
    an error (``strict``) or U+FFFD."""
    out: list[str] = []
    pos, end = 0, len(raw)
    while pos < end:
        byte = raw[pos]
        pos += 1
        cp: int
        if byte < 0x80:
            cp = byte
        elif byte >= 0xFE or not byte & 0x40:
            cp = -1
        else:
            length, mask = 0, 0x80
            while byte & mask:
                length += 1
                mask >>= 1
            cp = byte & (mask - 1)
            for _ in range(1, length):
                if pos >= end or raw[pos] & 0xC0 != 0x80:
                    cp = -1
                    break
                cp = (cp << 6) | (raw[pos] & 0x3F)
                pos += 1
            else:
                if not _valid_codepoint(cp) or (
                    cp < _MIN_CODEPOINT[length - 2] and not (cp == 0 and length == 2)
                ):
                    cp = -1
        if cp < 0:
            if strict:
                raise JsonError("JSON parse error, invalid UTF-8 sequence in string")
            cp = 0xFFFD
        out.append(chr(cp))
    return "".join(out)


def _text(raw: bytes) -> str:
    """Bytes QEMU puts into a message with ``%s``: up to the first NUL, invalid UTF-8 shown
    as U+FFFD when the message is written."""
    raw = raw.split(b"\0", 1)[0]
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return _mod_utf8(raw, strict=False)


# -- the writer ----------------------------------------------------------------------------------


_SPECIAL = re.compile(r'[\x00-\x1f"\\\x7f-\U0010ffff]')
_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
_SHORT["\t"] = "\\t"


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT.get(char)
    if short is not None:
        return short
    cp = ord(char)
    if not _valid_codepoint(cp):
        return "\\uFFFD"  # as QEMU writes what is not a valid character
    if cp > 0xFFFF:
        cp -= 0x10000
        return f"\\u{0xD800 + (cp >> 10):04X}\\u{0xDC00 + (cp & 0x3FF):04X}"
    return f"\\u{cp:04X}"


def _dump_string(text: str) -> str:
    return '"' + _SPECIAL.sub(_escape, text) + '"'


def dumps(value: Any) -> str:
    """``value`` as QEMU writes a QObject: members of objects in QDict bucket order (in
    the order given within a bucket), ASCII strings, doubles with ``%.17g``."""
    parts: list[str] = []
    _dump(value, parts.append)
    return "".join(parts)


def _dump(value: Any, write: Callable[[str], object]) -> None:
    if isinstance(value, str):
        write(_dump_string(value))
    elif value is None:
        write("null")
    elif value is True:
        write("true")
    elif value is False:
        write("false")
    elif isinstance(value, int):
        write(str(int(value)))
    elif isinstance(value, float):
        write(f"{value:.17g}")
    elif isinstance(value, dict):
        if not value:
            write("{}")
            return
        write("{")
        first = True
        for key in sorted(value, key=bucket):
            if not first:
                write(", ")
            first = False
            write(_dump_string(str(key)))
            write(": ")
            _dump(value[key], write)
        write("}")
    elif isinstance(value, (list, tuple)):
        if not value:
            write("[]")
            return
        write("[")
        for i, item in enumerate(value):
            if i:
                write(", ")
            _dump(item, write)
        write("]")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def parse_one(data: bytes) -> Any:
    """The one JSON value of ``data`` (QEMU's ``qobject_from_json``): the first error, or
    ``Expecting at most one JSON value``."""
    parser = MessageParser()
    results = [*parser.feed(data), *parser.flush()]
    found: Any = None
    seen = False
    for value, error in results:
        if seen:  # anything after a value, even an error
            raise JsonError("Expecting at most one JSON value")
        if error is not None:
            raise error
        found, seen = value, True
    return found
