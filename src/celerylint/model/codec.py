"""Facts to JSON and back, for the on-disk cache.

The cache lives in the checked project's directory, which may be untrusted, so it is
never unpickled: it is JSON, decoded only into the dataclasses registered here. A file
that does not decode into them is treated as corrupt and ignored.
"""

from __future__ import annotations

import dataclasses
import json
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
    """One JSON object, its members already revived, back to what was encoded."""
    if "@S" in data:
        parts = _items(data["@S"])
        if len(parts) != 4 or not all(isinstance(p, int) for p in parts):
            raise DecodeError("a span is four integers")
        return findings.Span(*parts)
    if "@t" in data:
        return tuple(_items(data["@t"]))
    if "@set" in data:
        return {_key(v) for v in _items(data["@set"])}
    if "@d" in data:
        return {_key(k): v for k, v in _pairs(data["@d"])}
    tag = data.get("@")
    if tag is None:
        return data
    cls = _TYPES.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise DecodeError(f"unknown type {tag!r}")
    fields = {k: v for k, v in data.items() if k != "@"}
    try:
        return cls(**fields)
    except TypeError as exc:
        raise DecodeError(str(exc)) from None


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
