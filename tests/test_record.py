"""The core's records behave as the ``attrs`` classes they are declared as.

Each class below is built twice from the same source: once by ``attrs`` itself and once by
:mod:`machinectl._record`, and both are put through the same uses. The core's own classes are
also checked against what ``attrs`` would make of them, and code that asks ``attrs`` about a
record (``fields``, ``evolve``, ``asdict``, a subclass made with ``attrs.frozen``) is served.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import pickle
import weakref
from collections.abc import Callable
from typing import Any

import attrs
import machinectl
import pytest
from machinectl import _record

SOURCE = """
from typing import ClassVar

def _tuple(value):
    return tuple(value)

def _positive(inst, attribute, value):
    if value < 0:
        raise ValueError(f"{attribute.name} is negative")

@attrs.frozen
class Point:
    x: int
    y: int = 0
    tags: tuple = attrs.field(default=(), converter=_tuple)
    kind: str = attrs.field(default="io", validator=attrs.validators.in_(("io", "ram")))
    size: int = attrs.field(default=1, kw_only=True, validator=attrs.validators.gt(0))
    label: str = attrs.field(default="", eq=False, repr=False)
    counter: ClassVar[int] = 0

    def moved(self, dx):
        return attrs.evolve(self, x=self.x + dx)

@attrs.frozen
class Point3(Point):
    z: int = attrs.field(default=0, kw_only=True)

    def total(self):
        return super().moved(0).x + self.z

@attrs.define(eq=False)
class Box:
    items: list = attrs.field(factory=list)
    _secret: int = 7
    count: int = attrs.field(default=0, validator=_positive)
    cache: dict = attrs.field(factory=dict, init=False, repr=False)
    seen: list = attrs.field(init=False, factory=list)

    def __attrs_post_init__(self):
        self.seen.append(self.count)

@attrs.define
class Mutable:
    name: str = attrs.field(validator=attrs.validators.matches_re(r"[a-z]+"))
    ids: tuple = attrs.field(
        default=(), converter=_tuple, validator=attrs.validators.min_len(0)
    )
    low: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    each: tuple = attrs.field(
        default=(), validator=attrs.validators.deep_iterable(attrs.validators.gt(0))
    )

@attrs.frozen(eq=False)
class Identity:
    value: int

@attrs.define(eq=False, repr=False)
class Custom:
    value: int

    def __repr__(self):
        return f"<custom {self.value}>"
"""


def _build(module: Any) -> dict[str, Any]:
    namespace: dict[str, Any] = {"attrs": module}
    exec(compile(SOURCE, f"<records {module.__name__}>", "exec"), namespace)
    return namespace


REAL = _build(attrs)
OURS = _build(_record)


def both(test: Callable[[dict[str, Any]], object]) -> None:
    """``test`` gives the same outcome (its value, or its exception's type and text) with the
    classes ``attrs`` built and with ours; and with ours once they got their own __init__."""

    def outcome(namespace: dict[str, Any]) -> object:
        try:
            return ("value", test(namespace))
        except Exception as exc:  # the outcome compared
            # A call that does not bind gets Python's own words (from the generated
            # __init__) or the same facts in the shared one's: the type is compared.
            # A validator's message is its first argument (attrs adds more, which make its
            # text a tuple's; ours give the message alone).
            text = "" if isinstance(exc, TypeError) else str(exc.args[0] if exc.args else "")
            return ("raised", type(exc).__name__, text)

    want = outcome(REAL)
    assert outcome(OURS) == want
    for _ in range(_record.SPECIALIZE_AFTER + 1):  # every class gets its own __init__
        for name in ("Point", "Point3", "Box", "Mutable", "Identity", "Custom"):
            # Some need arguments: only the count of instances made matters.
            with contextlib.suppress(Exception):
                OURS[name]()
            with contextlib.suppress(Exception):
                OURS[name](1) if name != "Mutable" else OURS[name]("a")
    assert outcome(OURS) == want


CASES: dict[str, Callable[[dict[str, Any]], object]] = {
    "positional and defaults": lambda ns: repr(ns["Point"](1, 2, [3], "ram", size=4)),
    "keywords": lambda ns: repr(ns["Point"](y=5, x=1)),
    "kw_only is keyword only": lambda ns: ns["Point"](1, 2, (), "io", "label", 4),
    "missing argument": lambda ns: ns["Point"](),
    "unknown keyword": lambda ns: ns["Point"](1, nope=2),
    "converter on a value": lambda ns: ns["Point"](1, tags=[1, 2]).tags,
    "converter on the default": lambda ns: ns["Point"](1).tags,
    "in_ message": lambda ns: ns["Point"](1, kind="rom"),
    "gt message": lambda ns: ns["Point"](1, size=0),
    "eq ignores eq=False": lambda ns: ns["Point"](1, label="a") == ns["Point"](1, label="b"),
    "eq by value": lambda ns: (ns["Point"](1) == ns["Point"](1), ns["Point"](1) == ns["Point"](2)),
    "eq with another class": lambda ns: ns["Point"](1) == ns["Point3"](1),
    "ne": lambda ns: ns["Point"](1) != ns["Point"](1),
    "hash by value": lambda ns: hash(ns["Point"](1, 2)) == hash(ns["Point"](1, 2)),
    "frozen": lambda ns: setattr(ns["Point"](1), "x", 2),
    "frozen delete": lambda ns: delattr(ns["Point"](1), "x"),
    "slots": lambda ns: setattr(ns["Box"](), "other", 1),
    "no instance dict": lambda ns: hasattr(ns["Box"](), "__dict__"),
    "weakref": lambda ns: weakref.ref(ns["Box"]()) is not None,
    "ClassVar is no field": lambda ns: [f.name for f in attrs.fields(ns["Point"])],
    "subclass fields": lambda ns: repr(ns["Point3"](1, 2, z=3)),
    "super in a slotted subclass": lambda ns: ns["Point3"](4, z=1).total(),
    "evolve": lambda ns: repr(ns["Point"](1, tags=[1]).moved(2)),
    "evolve a subclass": lambda ns: repr(attrs.evolve(ns["Point3"](1, z=2), y=9)),
    "private field alias": lambda ns: (ns["Box"](secret=3)._secret, repr(ns["Box"]())),
    "factory is per instance": lambda ns: ns["Box"]().items is not ns["Box"]().items,
    "init=False fields and post_init": lambda ns: (ns["Box"](count=2).seen, ns["Box"]().cache),
    "custom validator": lambda ns: ns["Box"](count=-1),
    "mutable setattr validates": lambda ns: setattr(ns["Box"](), "count", -5),
    "mutable setattr converts": lambda ns: _set_and_get(ns["Mutable"]("a"), "ids", [1, 2]),
    "matches_re": lambda ns: ns["Mutable"]("A1"),
    "matches_re on assignment": lambda ns: setattr(ns["Mutable"]("a"), "name", "B"),
    "ge": lambda ns: ns["Mutable"]("a", low=-1),
    "deep_iterable": lambda ns: ns["Mutable"]("a", each=(1, 0)),
    "mutable eq": lambda ns: ns["Mutable"]("a") == ns["Mutable"]("a"),
    "mutable is unhashable": lambda ns: ns["Mutable"].__hash__ is None,
    "eq=False keeps identity": lambda ns: (
        ns["Identity"](1) == ns["Identity"](1),
        isinstance(hash(ns["Identity"](1)), int),
    ),
    "own repr kept": lambda ns: repr(ns["Custom"](3)),
    "copy": lambda ns: copy.copy(ns["Point"](1, 2)) == ns["Point"](1, 2),
    "deepcopy": lambda ns: repr(copy.deepcopy(ns["Box"]([1], count=3))),
    "match_args": lambda ns: ns["Point"].__match_args__,
    "asdict": lambda ns: attrs.asdict(ns["Point3"](1, z=2)),
    "has": lambda ns: attrs.has(ns["Point"]),
    "fields by name": lambda ns: attrs.fields(ns["Point"]).size.kw_only,
    "signature": lambda ns: [
        (p.name, p.kind, p.default) for p in inspect.signature(ns["Point3"]).parameters.values()
    ],
}


def _set_and_get(inst: Any, name: str, value: object) -> object:
    setattr(inst, name, value)
    return getattr(inst, name)


@pytest.mark.parametrize("case", list(CASES))
def test_records_behave_as_attrs_classes(case: str) -> None:
    both(CASES[case])


def test_pickling_keeps_every_field() -> None:
    box = OURS["Box"]([1], count=2)
    again = pickle.loads(pickle.dumps(box))
    assert (again.items, again.count, again.seen) == ([1], 2, [2])
    point = OURS["Point3"](1, z=3)
    assert pickle.loads(pickle.dumps(point)) == point


# Pickle finds the classes by module and name.
Point3 = OURS["Point3"]
Point3.__module__ = __name__
Point3.__qualname__ = "Point3"
Box = OURS["Box"]
Box.__module__ = __name__
Box.__qualname__ = "Box"


def test_a_subclass_made_by_attrs_of_a_record() -> None:
    @attrs.frozen
    class Rule(machinectl.FixedSize):
        note: str = attrs.field(default="n", kw_only=True)

    rule = Rule("too big", size=4)
    assert (rule.message, rule.size, rule.note) == ("too big", 4, "n")
    assert [f.name for f in attrs.fields(Rule)] == ["message", "hint", "size", "note"]
    assert _record.evolve(rule, size=8).size == 8
    with pytest.raises(ValueError, match="template"):
        Rule("{nope}", size=4)  # the record's __attrs_post_init__ still runs


def _core_records() -> list[type]:
    found = []
    for name in machinectl.__all__:
        value = getattr(machinectl, name)
        if isinstance(value, type) and "__record_table__" in vars(value):
            found.append(value)
    return found


@pytest.mark.parametrize("cls", _core_records(), ids=lambda cls: cls.__name__)
def test_core_records_declare_what_attrs_would(cls: type) -> None:
    """The fields, their order, aliases, kw_only flags and defaults ``attrs`` reports."""
    fields = attrs.fields(cls)
    table = vars(cls)["__record_table__"]
    assert [f.name for f in fields] == [f.name for f in table.fields]
    signature = inspect.signature(cls)
    assert [p.name for p in signature.parameters.values()] == [
        f.alias for f in fields if f.init and not f.kw_only
    ] + [f.alias for f in fields if f.init and f.kw_only]
    assert not hasattr(cls, "__dict__") or "__slots__" in vars(cls)


def test_core_record_classes_build_without_attrs() -> None:
    """Importing the pipeline builds every record without importing attrs."""
    import subprocess
    import sys

    code = (
        "import sys, machinectl.machine, machinectl.snapshot, machinectl.numa, "
        "machinectl.threadctx, machinectl.prealloc_pool\n"
        "print(sorted(m for m in ('attr', 'attrs', 'typing', 'inspect') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "attr" not in out and "'attrs'" not in out
