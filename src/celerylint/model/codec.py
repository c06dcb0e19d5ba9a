"""Facts to JSON and back, for the on-disk cache.

The cache lives in the checked project's directory, which may be untrusted, so it is
never unpickled: it is JSON, decoded only into the dataclasses registered here. A file
that does not decode into them is treated as corrupt and ignored.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from celerylint import findings
from celerylint.engine import noqa
from celerylint.facts import filework, schema, values
from celerylint.model import config, config_module
from celerylint.parsing import parse

_TYPES: dict[str, type] = {}
for _module in (config, config_module, schema, findings, filework, noqa, parse, values):
    for _name in dir(_module):
        _candidate = getattr(_module, _name)
        if isinstance(_candidate, type) and dataclasses.is_dataclass(_candidate):
            _TYPES[_candidate.__name__] = _candidate


def revivable_types() -> tuple[type, ...]:
    """Every dataclass a cache file may hold, in registry order: the facts schema, which
    the cache key digests so that a change to any of these classes orphans old files."""
    return tuple(_TYPES.values())


class DecodeError(ValueError):
    """The data is not an encoding of celerylint facts."""


_MISSING = dataclasses.MISSING


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not _MISSING:
        return field.default
    if field.default_factory is not _MISSING:
        return field.default_factory()
    return _MISSING


def encode(obj: Any) -> Any:
    """JSON-compatible data with type tags for dataclasses, tuples and non-str keys.

    Fields equal to their default are left out (the dataclass restores them), and spans,
    the most numerous objects, are plain 4-lists: the cache stays small and quick to load.
    """
    if isinstance(obj, findings.Span):
        return {"@S": [obj.row, obj.column, obj.end_row, obj.end_column]}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        data = {}
        for field in dataclasses.fields(obj):
            value = getattr(obj, field.name)
            default = _default(field)
            if value is not default and value != default:
                data[field.name] = encode(value)
        data["@"] = type(obj).__name__
        return data
    if isinstance(obj, tuple):
        return {"@t": [encode(v) for v in obj]}
    if isinstance(obj, (set, frozenset)):
        return {"@set": sorted(encode(v) for v in obj)}
    if isinstance(obj, list):
        return [encode(v) for v in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("@") for k in obj):
            return {k: encode(v) for k, v in obj.items()}
        return {"@d": [[encode(k), encode(v)] for k, v in obj.items()]}
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    raise TypeError(f"cannot encode {type(obj).__name__}")


def loads(text: str) -> Any:
    """Parse and decode in one go: the JSON parser calls `_revive` on every object as it
    builds it, which is much faster than walking the parsed data again."""
    try:
        return json.loads(text, object_hook=_revive)
    except ValueError as exc:  # JSONDecodeError is a ValueError, so is DecodeError
        raise DecodeError(str(exc)) from None


def _revive(data: dict[str, Any]) -> Any:
    """One JSON object, its members already revived, back to what was encoded.

    Tags come alone (``{"@t": [...]}``, ``{"@S": [...]}``, a dataclass with all its
    defaults as ``{"@": name}``): most objects of a cache are spans and tuples, so a
    one-member object is looked up by its key at once."""
    if len(data) == 1:
        if "@t" in data:
            items = data["@t"]
            if type(items) is not list:
                raise DecodeError("tuple tag without a list")
            return tuple(items)
        if "@S" in data:
            return _span(data["@S"])
        [(key, value)] = data.items()
        revive = _TAGGED.get(key)
        return data if revive is None else revive(value)
    tag = data.pop("@", None)
    if tag is None:
        if not _TAG_KEYS.isdisjoint(data):
            raise DecodeError("a tag beside other members")
        return data
    return _dataclass(tag, data)


def _span(parts: Any) -> findings.Span:
    """A span from its 4-list (spans are the most numerous objects of a cache)."""
    if type(parts) is not list or len(parts) != 4:
        raise DecodeError("a span is four integers")
    row, column, end_row, end_column = parts
    if not (type(row) is int and type(column) is int and type(end_row) is int
            and type(end_column) is int):
        raise DecodeError("a span is four integers")
    return findings.Span(row, column, end_row, end_column)


def _dataclass(tag: Any, fields: dict[str, Any]) -> Any:
    cls = _TYPES.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise DecodeError(f"unknown type {tag!r}")
    try:
        return cls(**fields)
    except TypeError as exc:
        raise DecodeError(str(exc)) from None


_TAGGED: dict[str, Callable[[Any], Any]] = {
    "@set": lambda value: {_key(v) for v in _items(value)},
    "@d": lambda value: {_key(k): v for k, v in _pairs(value)},
    "@": lambda tag: _dataclass(tag, {}),
}
_TAG_KEYS = frozenset(("@t", "@S", *_TAGGED))


def _items(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise DecodeError("tuple tag without a list")
    return data


def _pairs(data: Any) -> list[tuple[Any, Any]]:
    if not isinstance(data, list) or not all(isinstance(p, list) and len(p) == 2 for p in data):
        raise DecodeError("dict tag without pairs")
    return [(p[0], p[1]) for p in data]


def _key(key: Any) -> Any:
    try:
        hash(key)
    except TypeError:
        raise DecodeError("unhashable dict key") from None
    return key
