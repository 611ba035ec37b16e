"""Records: the classes of the core, built the way ``attrs`` builds them, without its cost.

The core's modules declare their classes with ``attrs``' decorators, and type checkers see
them as such (``attrs`` is what they import when ``TYPE_CHECKING``). At run time the same
names come from here: :func:`define`, :func:`frozen`, :func:`field`, :func:`evolve` and the
few :mod:`validators` the core uses. A class is built from its annotations as ``attrs.define``
builds it (slots, an ``__init__`` that takes the fields in order, with converters, defaults
and validators, then ``__attrs_post_init__``; ``__repr__``, ``__eq__`` and, for a frozen
class, ``__hash__``, each unless the class writes its own), but nothing is generated when the
class is made: one ``__init__`` serves every class from the class's field table, and only a
class made :data:`SPECIALIZE_AFTER` times gets generated code of its own. Importing ``attrs``
and generating its methods cost more than the rest of a command's start-up.

Other code keeps working with ``attrs``: ``__attrs_attrs__`` holds ``attrs.Attribute``
objects, made (and ``attrs`` imported) the first time something asks, so ``attrs.fields``,
``attrs.evolve``, ``attrs.asdict`` and ``attrs.has`` take these classes, and a plugin may
subclass one with ``attrs.frozen``.
"""

from __future__ import annotations

import _thread
import sys

#: False; imported instead of ``typing.TYPE_CHECKING`` by the modules a command imports,
#: which then need not import :mod:`typing` (type checkers go by the name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["NOTHING", "FrozenInstanceError", "define", "evolve", "field", "frozen", "validators"]


class _Nothing:
    """The marker of a field without a default."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOTHING"

    def __bool__(self) -> bool:
        return False


NOTHING: Any = _Nothing()


class FrozenInstanceError(AttributeError):
    """A field of a frozen record was assigned or deleted."""

    def __init__(self) -> None:
        super().__init__("can't set attribute")


class _Field:
    """One field of a record: what :func:`field` declared, completed by the class."""

    __slots__ = (
        "alias",
        "converter",
        "default",
        "eq",
        "factory",
        "inherited",
        "init",
        "kw_only",
        "name",
        "repr",
        "validator",
    )

    def __init__(
        self,
        default: Any = NOTHING,
        factory: Callable[[], Any] | None = None,
        converter: Callable[[Any], Any] | None = None,
        validator: Callable[[Any, Any, Any], None] | None = None,
        init: bool = True,
        repr: bool = True,
        eq: bool = True,
        kw_only: bool = False,
    ) -> None:
        if default is not NOTHING and factory is not None:
            raise ValueError("The `default` and `factory` arguments are mutually exclusive.")
        self.default = default
        self.factory = factory
        self.converter = converter
        self.validator = validator
        self.init = init
        self.repr = repr
        self.eq = eq
        self.kw_only = kw_only
        self.name = ""
        self.alias = ""
        self.inherited = False

    def named(self, name: str, inherited: bool) -> _Field:
        copy = _Field.__new__(_Field)
        for slot in _Field.__slots__:
            setattr(copy, slot, getattr(self, slot))
        copy.name = name
        copy.alias = name.lstrip("_")
        copy.inherited = inherited
        return copy

    def __repr__(self) -> str:
        return f"Attribute(name={self.name!r})"


def field(**options: Any) -> Any:
    """A field with more than a plain default (``attrs.field``'s arguments: ``default``,
    ``factory``, ``converter``, ``validator``, ``init``, ``repr``, ``eq``, ``kw_only``)."""
    return _Field(**options)


# -- the class's field table ---------------------------------------------------------------

_CLASSVAR = ("ClassVar", "typing.ClassVar", "t.ClassVar", "typing_extensions.ClassVar")


def _is_classvar(annotation: object) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(_CLASSVAR)
    return str(annotation).startswith("typing.ClassVar")


class _Table:
    """What the shared methods need of a record class, computed once when it is built."""

    __slots__ = (
        "cls",
        "eq_names",
        "fields",
        "init",
        "later",
        "positional",
        "post_init",
        "repr_names",
        "uses",
        "validated",
    )

    def __init__(self, cls: type, fields: list[_Field]) -> None:
        self.cls = cls
        self.fields = tuple(fields)
        self.init = tuple(f for f in fields if f.init and not f.kw_only) + tuple(
            f for f in fields if f.init and f.kw_only
        )
        self.positional = sum(1 for f in fields if f.init and not f.kw_only)
        self.later = tuple(f for f in fields if not f.init)
        self.validated = tuple(f for f in fields if f.validator is not None)
        self.eq_names = tuple(f.name for f in fields if f.eq)
        self.repr_names = tuple(f.name for f in fields if f.repr)
        self.post_init = getattr(cls, "__attrs_post_init__", None)
        self.uses = 0


def _table(cls: type) -> _Table:
    table = cls.__dict__.get("__record_table__")
    if table is None:
        raise TypeError(f"{cls.__qualname__} is not a record class")
    return table  # type: ignore[no-any-return]


def _initial(f: _Field) -> Any:
    value = f.factory() if f.factory is not None else f.default
    return value if f.converter is None else f.converter(value)


#: Instances of a class made with the shared ``__init__`` before it gets one of its own.
SPECIALIZE_AFTER = 16


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    table: _Table = type(self).__record_table__
    table.uses += 1
    if table.uses == SPECIALIZE_AFTER:  # for the class and plain subclasses that share it
        table.cls.__init__ = _specialized(table)  # type: ignore[misc]
    setter = object.__setattr__
    fields = table.init
    if len(args) > table.positional:
        raise TypeError(
            f"{type(self).__qualname__}.__init__() takes {table.positional + 1} positional "
            f"arguments but {len(args) + 1} were given"
        )
    missing = []
    for index, f in enumerate(fields):
        if index < len(args):
            if f.alias in kwargs:
                raise TypeError(
                    f"{type(self).__qualname__}.__init__() got multiple values for "
                    f"argument '{f.alias}'"
                )
            value = args[index]
        elif f.alias in kwargs:
            value = kwargs.pop(f.alias)
        elif f.factory is not None:
            value = f.factory()
        elif f.default is not NOTHING:
            value = f.default
        else:
            missing.append(f.alias)
            continue
        setter(self, f.name, value if f.converter is None else f.converter(value))
    if missing or kwargs:
        if kwargs:
            name = next(iter(kwargs))
            raise TypeError(
                f"{type(self).__qualname__}.__init__() got an unexpected keyword argument '{name}'"
            )
        names = " and ".join(", ".join(repr(n) for n in missing).rsplit(", ", 1))
        raise TypeError(
            f"{type(self).__qualname__}.__init__() missing {len(missing)} required "
            f"argument{'s' if len(missing) > 1 else ''}: {names}"
        )
    for f in table.later:
        setter(self, f.name, _initial(f))
    for f in table.validated:
        f.validator(self, f, getattr(self, f.name))  # type: ignore[misc]
    if table.post_init is not None:
        table.post_init(self)


def _specialized(table: _Table) -> Callable[..., None]:
    """An ``__init__`` of the class's own, for a class made often: generated code runs faster
    than the shared loop, and generating it (about a third of a millisecond) pays only then.
    """
    namespace: dict[str, Any] = {
        "_rec_setattr": object.__setattr__,
        "_rec_NOTHING": NOTHING,
        "_rec_initial": _initial,
    }
    params: list[str] = ["self"]
    kw_params: list[str] = []
    body: list[str] = []
    for index, f in enumerate(table.init):
        arg = f.alias
        if f.factory is not None:
            namespace[f"_rec_f{index}"] = f.factory
            default = "=_rec_NOTHING"
            body.append(f"    if {arg} is _rec_NOTHING:\n        {arg} = _rec_f{index}()")
        elif f.default is not NOTHING:
            namespace[f"_rec_d{index}"] = f.default
            default = f"=_rec_d{index}"
        else:
            default = ""
        value = arg
        if f.converter is not None:
            namespace[f"_rec_c{index}"] = f.converter
            value = f"_rec_c{index}({arg})"
        body.append(f"    _rec_setattr(self, {f.name!r}, {value})")
        (kw_params if f.kw_only else params).append(f"{arg}{default}")
    for index, f in enumerate(table.later):
        namespace[f"_rec_l{index}"] = f
        body.append(f"    _rec_setattr(self, {f.name!r}, _rec_initial(_rec_l{index}))")
    for index, f in enumerate(table.validated):
        namespace[f"_rec_v{index}"] = f
        body.append(f"    _rec_v{index}.validator(self, _rec_v{index}, self.{f.name})")
    if table.post_init is not None:
        namespace["_rec_post"] = table.post_init
        body.append("    _rec_post(self)")
    signature = ", ".join(params + (["*", *kw_params] if kw_params else []))
    source = f"def __init__({signature}):\n" + ("\n".join(body) or "    pass") + "\n"
    qualname = table.cls.__qualname__
    exec(compile(source, f"<record {qualname}.__init__>", "exec"), namespace)
    function: Callable[..., None] = namespace["__init__"]
    function.__qualname__ = f"{qualname}.__init__"
    return function


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError


def _checked_setattr(self: Any, name: str, value: Any) -> None:
    """Assignment to a field of a mutable record runs its converter and validator."""
    f = type(self).__record_checked__.get(name)
    if f is not None:
        if f.converter is not None:
            value = f.converter(value)
        if f.validator is not None:
            f.validator(self, f, value)
    object.__setattr__(self, name, value)


_repr_running: set[tuple[int, int]] = set()


def _repr(self: Any) -> str:
    key = (id(self), _thread.get_ident())
    if key in _repr_running:
        return "..."
    _repr_running.add(key)
    try:
        table: _Table = type(self).__record_table__
        fields = ", ".join(f"{name}={getattr(self, name, NOTHING)!r}" for name in table.repr_names)
    finally:
        _repr_running.discard(key)
    return f"{type(self).__qualname__.rsplit('>.', 1)[-1]}({fields})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = type(self).__record_table__.eq_names
    return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)


def _ne(self: Any, other: Any) -> Any:
    result = _eq(self, other)
    return result if result is NotImplemented else not result


def _hash(self: Any) -> int:
    names = type(self).__record_table__.eq_names
    return hash((type(self).__qualname__, *(getattr(self, n) for n in names)))


def _getstate(self: Any) -> dict[str, Any]:
    return {f.name: getattr(self, f.name) for f in type(self).__record_table__.fields}


def _setstate(self: Any, state: dict[str, Any]) -> None:
    for name, value in state.items():
        object.__setattr__(self, name, value)


class _AttrsAttributes:
    """``__attrs_attrs__``: ``attrs.Attribute`` objects of a class's fields, made when asked."""

    def __init__(self) -> None:
        self.made: dict[type, Any] = {}

    def __get__(self, instance: object, owner: type) -> Any:
        made = self.made.get(owner)
        if made is None:
            made = self.made[owner] = _attrs_attributes(owner)
        return made


def _attrs_attributes(cls: type) -> Any:
    import attr

    table = cls.__dict__.get("__record_table__")
    if table is None:  # a subclass made otherwise (attrs) answers for itself
        raise AttributeError("__attrs_attrs__")
    made: list[Any] = []
    for f in table.fields:
        default = attr.Factory(f.factory) if f.factory is not None else f.default
        made.append(
            attr.Attribute(  # type: ignore[call-arg]
                name=f.name,
                default=attr.NOTHING if default is NOTHING else default,
                validator=f.validator,
                repr=f.repr,
                cmp=None,
                hash=None,
                init=f.init,
                inherited=f.inherited,
                converter=f.converter,
                kw_only=f.kw_only,
                eq=f.eq,
                order=False,
                alias=f.alias,
            )
        )
    # The tuple attrs makes, whose items are also its attributes by name.
    make = getattr(sys.modules.get("attr._make"), "_make_attr_tuple_class", None)
    return tuple(made) if make is None else make(cls.__name__, [a.name for a in made])(made)


class _Signature:
    """``__signature__``: the ``__init__`` arguments, made (and :mod:`inspect` imported) when
    asked, for ``help()`` and the reference's signatures."""

    def __get__(self, instance: object, owner: type) -> Any:
        import inspect

        table = _table(owner)
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        params = []
        for f in table.init:
            if f.factory is not None:
                default: Any = f.factory()
            else:
                default = inspect.Parameter.empty if f.default is NOTHING else f.default
            params.append(
                inspect.Parameter(
                    f.alias, inspect.Parameter.KEYWORD_ONLY if f.kw_only else kind, default=default
                )
            )
        return inspect.Signature(params)


_ATTRS_ATTRIBUTES = _AttrsAttributes()
_SIGNATURE = _Signature()


def _build(cls: type, *, frozen: bool, eq: bool, repr: bool) -> type:
    own = cls.__dict__
    inherited: list[_Field] = []
    base_slots: set[str] = set()
    weakref = False
    for base in cls.__mro__[1:-1]:
        base_slots.update(base.__dict__.get("__slots__", ()))
        weakref = weakref or "__weakref__" in base.__dict__
    for base in reversed(cls.__mro__[1:-1]):
        table = base.__dict__.get("__record_table__")
        if table is not None:
            for f in table.fields:
                if not f.inherited:
                    inherited = [g for g in inherited if g.name != f.name]
                    inherited.append(f.named(f.name, True))
    fields: list[_Field] = []
    for name, annotation in own.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        value = own.get(name, NOTHING)
        declared = value if isinstance(value, _Field) else _Field(default=value)
        fields.append(declared.named(name, False))
    names = {f.name for f in fields}
    all_fields = [f for f in inherited if f.name not in names] + fields

    body = {k: v for k, v in own.items() if k not in names and k not in ("__dict__", "__weakref__")}
    body["__slots__"] = tuple(f.name for f in fields if f.name not in base_slots) + (
        () if weakref else ("__weakref__",)
    )
    body["__qualname__"] = cls.__qualname__
    if "__init__" not in own:
        body["__init__"] = _init
    if repr and "__repr__" not in own:
        body["__repr__"] = _repr
    if eq and "__eq__" not in own:
        body["__eq__"] = _eq
        body["__ne__"] = _ne
        if "__hash__" not in own or own["__hash__"] is None:
            body["__hash__"] = _hash if frozen else None
    if frozen:
        body["__setattr__"] = _frozen_setattr
        body["__delattr__"] = _frozen_delattr
    else:
        checked = {f.name: f for f in all_fields if f.converter or f.validator}
        if checked:
            body["__record_checked__"] = checked
            body["__setattr__"] = _checked_setattr
    body["__getstate__"] = _getstate
    body["__setstate__"] = _setstate
    body["__attrs_attrs__"] = _ATTRS_ATTRIBUTES
    body["__signature__"] = _SIGNATURE
    body["__match_args__"] = tuple(f.name for f in all_fields if f.init and not f.kw_only)

    built = type(cls)(cls.__name__, cls.__bases__, body)
    built.__record_table__ = _Table(built, all_fields)  # type: ignore[attr-defined]
    _point_cells(built, cls, body)
    return built


def _point_cells(built: type, old: type, body: dict[str, Any]) -> None:
    """Point the ``__class__`` cells of the methods (zero-argument ``super()``) at ``built``."""
    for value in body.values():
        functions: list[Any] = []
        if isinstance(value, (classmethod, staticmethod)):
            functions.append(value.__func__)
        elif isinstance(value, property):
            functions += [value.fget, value.fset, value.fdel]
        else:
            functions.append(value)
        for function in functions:
            for cell in getattr(function, "__closure__", None) or ():
                try:
                    if cell.cell_contents is old:
                        cell.cell_contents = built
                except ValueError:  # an empty cell
                    pass


def define(
    maybe_cls: type | None = None,
    *,
    frozen: bool = False,
    eq: bool = True,
    repr: bool = True,
) -> Any:
    """A record class (``attrs.define`` with the arguments of those names)."""

    def wrap(cls: type) -> type:
        return _build(cls, frozen=frozen, eq=eq, repr=repr)

    return wrap if maybe_cls is None else wrap(maybe_cls)


def frozen(
    maybe_cls: type | None = None,
    *,
    eq: bool = True,
    repr: bool = True,
) -> Any:
    """A frozen record class (``attrs.frozen``)."""
    return define(maybe_cls, frozen=True, eq=eq, repr=repr)


def evolve(inst: Any, **changes: Any) -> Any:
    """A copy of ``inst`` with ``changes`` (``attrs.evolve``)."""
    cls = type(inst)
    table = cls.__dict__.get("__record_table__")
    if table is None:
        import attrs

        return attrs.evolve(inst, **changes)
    for f in table.init:
        if f.alias not in changes:
            changes[f.alias] = getattr(inst, f.name)
    return cls(**changes)


# -- validators ----------------------------------------------------------------------------


class _Bound:
    __slots__ = ("bound", "op")

    def __init__(self, op: str, bound: int) -> None:
        self.op = op
        self.bound = bound

    def __call__(self, inst: Any, attribute: Any, value: Any) -> None:
        ok = value >= self.bound if self.op == ">=" else value > self.bound
        if not ok:
            raise ValueError(f"'{attribute.name}' must be {self.op} {self.bound}: {value}")


class _In:
    __slots__ = ("options",)

    def __init__(self, options: Any) -> None:
        self.options = options

    def __call__(self, inst: Any, attribute: Any, value: Any) -> None:
        try:
            found = value in self.options
        except TypeError:
            found = False
        if not found:
            raise ValueError(f"'{attribute.name}' must be in {self.options!r} (got {value!r})")


class _Matches:
    __slots__ = ("compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.compiled: Any = None

    def __call__(self, inst: Any, attribute: Any, value: Any) -> None:
        if self.compiled is None:
            import re

            self.compiled = re.compile(self.pattern)
        if not isinstance(value, str) or self.compiled.fullmatch(value) is None:
            raise ValueError(
                f"'{attribute.name}' must match regex {self.pattern!r} ({value!r} doesn't)"
            )


class _MinLen:
    __slots__ = ("length",)

    def __init__(self, length: int) -> None:
        self.length = length

    def __call__(self, inst: Any, attribute: Any, value: Any) -> None:
        if len(value) < self.length:
            raise ValueError(f"Length of '{attribute.name}' must be >= {self.length}: {len(value)}")


class _Each:
    __slots__ = ("member",)

    def __init__(self, member: Callable[[Any, Any, Any], None]) -> None:
        self.member = member

    def __call__(self, inst: Any, attribute: Any, value: Any) -> None:
        for item in value:
            self.member(inst, attribute, item)


class validators:
    """The validators of ``attrs.validators`` the core uses, with its messages."""

    @staticmethod
    def ge(bound: int) -> _Bound:
        return _Bound(">=", bound)

    @staticmethod
    def gt(bound: int) -> _Bound:
        return _Bound(">", bound)

    @staticmethod
    def in_(options: Any) -> _In:
        return _In(options)

    @staticmethod
    def matches_re(pattern: str) -> _Matches:
        return _Matches(pattern)

    @staticmethod
    def min_len(length: int) -> _MinLen:
        return _MinLen(length)

    @staticmethod
    def deep_iterable(member_validator: Callable[[Any, Any, Any], None]) -> _Each:
        return _Each(member_validator)
