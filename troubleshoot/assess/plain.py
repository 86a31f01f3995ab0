"""Dataclasses to JSON-shaped data (dicts, lists, atoms), fast.

Storing a batch turns every result into its plain form, so this is on the hot path. A
converter is compiled once per dataclass from its type hints: a field hinted as an atom is
copied as it is, a tuple of strings becomes a list in one call, nested dataclasses use their
own converter. Anything the hints do not pin down (`Any`, `dict[str, Any]`) takes the generic
walk, which gives the same output for every value, only slower.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any

Converter = Callable[[Any], Any]

_ATOMS = (str, int, float, bool, type(None))
_FIELDS: dict[type, tuple[str, ...]] = {}
_CONVERTERS: dict[type, Converter] = {}
_COMPILING: set[type] = set()


def plain(value: Any) -> Any:
    """JSON-shaped data in one walk (no `asdict`, which deep-copies first): dataclasses become
    dicts, tuples lists, so a stored copy compares equal."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is tuple or kind is list:
        return [item if type(item) in _ATOMS else plain(item) for item in value]
    if kind is dict:
        return {k: item if type(item) in _ATOMS else plain(item) for k, item in value.items()}
    names = _FIELDS.get(kind)
    if names is None:
        if not is_dataclass(value):
            return value
        names = _FIELDS[kind] = tuple(f.name for f in fields(value))
    return {
        name: item if type(item := getattr(value, name)) in _ATOMS else plain(item)
        for name in names
    }


def converter(kind: type) -> Converter:
    """The compiled converter of a dataclass type: same output as `plain`, a few times faster."""
    found = _CONVERTERS.get(kind)
    if found is None:
        found = _CONVERTERS[kind] = _compile(kind)
    return found


def _is_atom(hint: Any) -> bool:
    if hint in _ATOMS:
        return True
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return all(_is_atom(arg) for arg in typing.get_args(hint))
    return False


def _expression(hint: Any, value: str, helpers: dict[str, Any]) -> str:
    """Python source that converts `value`, an instance of `hint`."""
    if _is_atom(hint):
        return value
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = args[0]
        if _is_atom(item):
            return f"list({value})"
        if isinstance(item, type) and is_dataclass(item):
            name = _helper(item, helpers)
            return f"[{name}(item) for item in {value}]"
    if isinstance(hint, type) and is_dataclass(hint):
        return f"{_helper(hint, helpers)}({value})"
    present = [arg for arg in args if arg is not type(None)]
    inner = present[0] if len(args) == 2 and len(present) == 1 else None
    if isinstance(inner, type) and is_dataclass(inner):  # an optional dataclass
        return f"(None if {value} is None else {_helper(inner, helpers)}({value}))"
    return f"plain({value})"


def _helper(kind: type, helpers: dict[str, Any]) -> str:
    name = f"convert_{kind.__name__}_{id(kind)}"
    if kind in _COMPILING:
        # Late-bound: a dataclass that holds its own type would recurse while compiling.
        helpers[name] = lambda value: converter(kind)(value)
    else:
        helpers[name] = converter(kind)
    return name


def _compile(kind: type) -> Converter:
    if not is_dataclass(kind):
        return plain
    _COMPILING.add(kind)
    try:
        return _compiled(kind)
    finally:
        _COMPILING.discard(kind)


def _compiled(kind: type) -> Converter:
    hints = typing.get_type_hints(kind)
    helpers: dict[str, Any] = {"plain": plain}
    entries = [
        f"{name!r}: {_expression(hints[name], f'value.{name}', helpers)}"
        for name in (f.name for f in fields(kind))
    ]
    source = "def convert(value):\n    return {" + ", ".join(entries) + "}\n"
    exec(compile(source, f"<plain converter of {kind.__name__}>", "exec"), helpers)
    compiled: Converter = helpers["convert"]
    return compiled
