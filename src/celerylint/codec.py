"""Facts to JSON and back, for the on-disk cache.

The cache lives in the checked project's directory, which may be untrusted, so it is
never unpickled: it is JSON, decoded only into the dataclasses registered here. A file
that does not decode into them is treated as corrupt and ignored.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from celerylint import facts, findings, loader, noqa, parsing, values

_TYPES: dict[str, type] = {}
for _module in (facts, findings, loader, noqa, parsing, values):
    for _name in dir(_module):
        _candidate = getattr(_module, _name)
        if isinstance(_candidate, type) and dataclasses.is_dataclass(_candidate):
            _TYPES[_candidate.__name__] = _candidate


class DecodeError(ValueError):
    """The data is not an encoding of celerylint facts."""


def encode(obj: Any) -> Any:
    """JSON-compatible data with type tags for dataclasses, tuples and non-str keys."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        data = {f.name: encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        data["@"] = type(obj).__name__
        return data
    if isinstance(obj, tuple):
        return {"@t": [encode(v) for v in obj]}
    if isinstance(obj, list):
        return [encode(v) for v in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("@") for k in obj):
            return {k: encode(v) for k, v in obj.items()}
        return {"@d": [[encode(k), encode(v)] for k, v in obj.items()]}
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    raise TypeError(f"cannot encode {type(obj).__name__}")


def decode(data: Any) -> Any:
    """The inverse of `encode` for already-parsed JSON; raises DecodeError on anything
    it did not produce."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if isinstance(data, dict):
        return _revive({k: decode(v) for k, v in data.items()})
    if data is None or isinstance(data, (str, int, float, bool)):
        return data
    raise DecodeError(f"unexpected {type(data).__name__}")


def loads(text: str) -> Any:
    """Parse and decode in one go: the JSON parser calls `_revive` on every object as it
    builds it, which is much faster than walking the parsed data again."""
    try:
        return json.loads(text, object_hook=_revive)
    except ValueError as exc:  # JSONDecodeError is a ValueError, so is DecodeError
        raise DecodeError(str(exc)) from None


def _revive(data: dict[str, Any]) -> Any:
    """One JSON object, its members already revived, back to what was encoded."""
    if "@t" in data:
        return tuple(_items(data["@t"]))
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
