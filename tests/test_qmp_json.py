"""QMP's JSON as QEMU 7.2 reads and writes it: the lexer's extensions and error recovery, the
streamer's limits, the parser's first error, the writer's member order and escapes.

The differential tests send the same random streams to ``qemu-system-x86_64`` and to
``machinectl run`` over stdio and compare the replies byte for byte.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from machinectl.qmp.qjson import MessageParser, dumps

CLI = [sys.executable, "-m", "machinectl.cli"]

#: Pieces the random streams are made of: structure, both kinds of strings, every way a
#: number or keyword can end badly, escapes QEMU takes or refuses, bytes its lexer refuses,
#: modified UTF-8 (C0 80), noncharacters, and whole requests.
PIECES = [
    *(b"{", b"}", b"[", b"]", b",", b":", b" ", b"\t", b"\n", b"\r"),
    *(b'"execute"', b'"query-status"', b"'execute'", b"'query-status'", b'"id"', b"'id'"),
    *(b"'a\"b'", b'"a\\\'b"', b"'", b'"', b"\\", b"%", b"#", b"A", b"e", b"E", b".", b"+"),
    *(b"0", b"-", b"01", b"1.", b"1e", b"1e+", b"-0", b"0e5", b"0.1", b"1.5e3", b"1e400"),
    *(b"123456789012345678901234", b"18446744073709551615", b"-9223372036854775809"),
    *(b"true", b"tru", b"null", b"True", b"nul", b"false"),
    *(b'"\\u00e9"', b'"\\ud800"', b'"\\ud83d\\ude00"', b'"\\x"', b'"\\u12"', b'"\\\'"'),
    *(b'"\\uFFFE"', b'"\\u0000"', b'"\\/"', b"\x00", b"\x01", b"\x7f", b"\xfe", b"\xc3\xa9"),
    *(b'"\xc0\x80"', b'"\xed\xa0\x80"', b'"\xef\xbf\xbe"', b'"\xf4\x90\x80\x80"', b'"\xc3"'),
    b'{"execute":"query-status","id":1}',
    b'{"execute":"query-status","id":{"b":1,"a":[1,2,{"z":null,"y":1.5}],"execute":0}}',
    b'{"execute":"query-status","id":"\\u00e9\\u007f\\ud83d\\ude00"}',
    b"{'execute':'query-status','id':'\"'}",
    *(b'{"execute":"nope"}', b'{"execute":"query-status","arguments":{}}'),
    *(b'{"id":"x","execute":"query-status"}', b'"id": {"k": 1, "k": 2}'),
]


def random_streams(seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    return [b"".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12))) for _ in range(count)]


def replies(argv: list[str], streams: list[bytes]) -> list[list[bytes]]:
    """Each stream's replies, in one session. After each stream a 0xFF byte (a lexical error
    in every state of QEMU's lexer, so a reset) and a marked request close its group."""
    data = b'{"execute":"qmp_capabilities"}\n'
    for i, stream in enumerate(streams):
        data += stream + b"\xff\n" + b'{"execute":"query-status","id":"MARK%d"}\n' % i
    data += b'{"execute":"quit"}\n'
    env = {**os.environ, "MACHINECTL_CACHE_DIR": "off"}
    run = subprocess.run(argv, check=False, input=data, capture_output=True, timeout=300, env=env)
    out = run.stdout
    groups: list[list[bytes]] = [[]]
    for line in out.split(b"\r\n")[2:]:
        if b'"MARK' in line:
            groups.append([])
        else:
            groups[-1].append(line)
    return groups[:-1]


@pytest.mark.parametrize("seed", [1, 2])
def test_random_streams_answered_as_qemu_answers_them(seed: int) -> None:
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:
        pytest.skip("qemu-system-x86_64 is not installed")
    streams = random_streams(seed, 400)
    theirs = replies(
        [qemu, "-display", "none", "-S", "-nodefaults", "-M", "none", "-qmp", "stdio"], streams
    )
    ours = replies([*CLI, "run", "--target", "x86_64", "-M", "none", "-qmp", "stdio"], streams)
    assert len(theirs) == len(ours) == len(streams)
    different = [(s, t, o) for s, t, o in zip(streams, theirs, ours, strict=True) if t != o]
    assert different == []


def test_single_quotes_and_a_stray_quote_do_not_stall_the_session() -> None:
    # A double quote inside a single-quoted string, then a string that a line end cuts
    # short: QEMU answers both and reads on; a stream cut by brackets alone never would.
    data = (
        b'{"execute":"qmp_capabilities"}\n'
        b"{'execute':'query-status', 'id': 'a\"b'}\n"
        b"{'execute':'query-status','id':'unterminated}\n"
        b'{"execute":"quit"}\n'
    )
    out = subprocess.run(
        [*CLI, "run", "-M", "none", "--target", "x86_64", "-qmp", "stdio"],
        check=False,
        input=data,
        capture_output=True,
        timeout=60,
        env={**os.environ, "MACHINECTL_CACHE_DIR": "off"},
    )
    lines = out.stdout.split(b"\r\n")
    assert lines[2].endswith(b'"id": "a\\"b"}')
    assert lines[3] == (
        b'{"error": {"class": "GenericError", "desc": '
        b"\"JSON parse error, stray ''unterminated}\\n'\"}}"
    )
    assert b'"reason": "host-qmp-quit"' in lines[4]
    assert lines[5] == b'{"return": {}}'
    assert out.returncode == 0


def test_limits_and_what_follows_them() -> None:
    out = [str(e) if e else v for v, e in MessageParser().feed(b"[" * 1025 + b"1" + b"]" * 1025)]
    # The 1025th bracket is one too deep; the rest is read afresh: a value, then 1025
    # closing brackets that each close nothing.
    assert out[0] == "JSON nesting depth limit exceeded"
    assert out[1] == 1
    assert out[2:] == ["JSON parse error, expecting value"] * 1025


@settings(max_examples=200, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(PIECES), min_size=1, max_size=20),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_chunks_do_not_matter(pieces: list[bytes], cuts: list[int]) -> None:
    data = b"".join(pieces) + b"\xff"
    whole = MessageParser().feed(data)
    parser = MessageParser()
    pieces_out: list[tuple[object, object]] = []
    start = 0
    for cut in [*sorted(c % (len(data) + 1) for c in cuts), len(data)]:
        pieces_out += parser.feed(data[start:cut])
        start = max(start, cut)
    assert [(v, str(e)) for v, e in pieces_out] == [(v, str(e)) for v, e in whole]


def test_writer_order_and_escapes() -> None:
    # Members in QDict bucket order, within a bucket in the order given; what QEMU parsed
    # from a client comes back in its order (the last of a bucket first).
    greeting = {"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}}}
    assert dumps(greeting) == '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}}}'
    assert dumps({"id": 1, "return": {}}) == '{"return": {}, "id": 1}'
    ((value, _),) = MessageParser().feed(b'{"b":1,"a":2,"c":3,"zz":4,"execute":5}')
    assert dumps(value) == '{"a": 2, "execute": 5, "zz": 4, "b": 1, "c": 3}'
    assert dumps("\u00e9\x7f\U0001f600\ufffe\n/") == '"\\u00E9\\u007F\\uD83D\\uDE00\\uFFFD\\n/"'
    assert dumps([1.5, 1e400, 18446744073709551616.0, 0.1, True, None]) == (
        "[1.5, inf, 1.8446744073709552e+19, 0.10000000000000001, true, null]"
    )
