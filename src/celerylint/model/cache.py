"""The per-file facts cache in ``.celerylint_cache/`` (or ``--cache-dir``).

One JSON file per tool version, settings and *code*, holding each file's FileResult under
a key made of its content hash and what else shapes its facts (its import name), and
beside it the file's signature (`engine.pool.file_signature`: size, mtime, inode, inode
change time) and whether it may hold a CEL noqa, so that a warm run takes a file whose
signature is unchanged without reading or hashing it. Each result is kept as its own JSON
text, decoded when a run takes it and written back as read when unchanged: a run after
one edit encodes one result, not the project's thousands. Writes go
to a temporary file renamed into place, so concurrent runs never leave a torn file (the
last one wins); a file that cannot be read or decoded is ignored and rebuilt.

Why the file is keyed on the code: a cached result is only as good as the extractor that
produced it. A hand-bumped format number was forgotten as soon as the extractor changed,
and then a warm run reported something else than a cold one, silently. So the key is
derived from what decides the cached data (see `code_key`): the facts schema (every class
the codec revives, with its fields) and the source text of every module that extracts
facts or computes a cached state. Any edit there, even to a comment, starts a new cache
file; an unchanged install keeps the same key in every process, so warm runs stay warm.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import hashlib
import importlib.util
import json
import os
import pkgutil
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from celerylint import __version__
from celerylint.engine.leftovers import remove_stale
from celerylint.engine.pool import Signature
from celerylint.facts.filework import FileResult
from celerylint.model.codec import DecodeError, encode, loads, revivable_types
from celerylint.model.config_module import ModuleState

_GITIGNORE = "# created by celerylint\n*\n"
# The cache's temporary file while it is saved: `.facts-<mkstemp's 8 characters>.tmp`;
# one a killed run left is removed by the next (only this exact shape, never other files).
_TEMP_PREFIX, _TEMP_SUFFIX = ".facts-", ".tmp"
_LEFTOVER = re.compile(re.escape(_TEMP_PREFIX) + r"[a-z0-9_]{8}" + re.escape(_TEMP_SUFFIX))

#: Packages whose every module decides what facts a file yields. They are listed on disk,
#: not named module by module, so a new extraction module is covered without a thought.
_EXTRACTION_PACKAGES = ("celerylint.facts", "celerylint.parsing")
#: Single modules whose code shapes what is cached: the settings-module interpreter (its
#: states are cached), the noqa scanner (its maps are cached in each FileResult), the
#: codec (the on-disk encoding) and this module (the file layout and its validation).
_CACHED_MODULES = ("celerylint.model.config_module", "celerylint.engine.noqa",
                   "celerylint.model.mentions",
                   "celerylint.model.codec", "celerylint.model.cache")


@functools.lru_cache(maxsize=1)
def code_key() -> str:
    """A digest of the code that decides what the cache holds, computed once per process.

    It covers the facts schema (`schema_text` of every class the codec can revive) and
    the bytes of every module named by `code_modules`, each read from the file it is
    loaded from (never importing anything, and nothing of the checked project). It is the
    same in every process running the same code, and changes with any edit to that code.
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(schema_text(revivable_types()).encode())
    for name in code_modules():
        data = _module_bytes(name)
        digest.update(f"\0{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def code_modules() -> list[str]:
    """The modules whose source is part of the key, sorted: every module (and subpackage)
    of the extraction packages, as found on disk, and the single modules above."""
    names = set(_CACHED_MODULES)
    for package in _EXTRACTION_PACKAGES:
        names.update(_package_modules(package))
    return sorted(names)


def _package_modules(package: str) -> Iterator[str]:
    """The package and every module below it, found by listing its directories."""
    yield package
    spec = importlib.util.find_spec(package)
    locations = spec.submodule_search_locations if spec is not None else None
    for info in pkgutil.iter_modules(list(locations or ()), prefix=f"{package}."):
        if info.ispkg:
            yield from _package_modules(info.name)
        else:
            yield info.name


def _module_bytes(name: str) -> bytes:
    """The file a module is (or would be) loaded from: its source in a checkout or a wheel,
    whatever the loader reads in a zip. Empty when there is no such file (a frozen
    module), and then the tool version alone stands for that module's code."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return b""
    try:
        return Path(spec.origin).read_bytes()
    except OSError:
        pass
    get_data = getattr(spec.loader, "get_data", None)
    try:
        data = get_data(spec.origin) if callable(get_data) else None
    except OSError:
        data = None
    return data if isinstance(data, bytes) else b""


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def schema_text(types: Iterable[type]) -> str:
    """One line per dataclass: its qualified name and, per field, its name, annotation
    and default. Defaults count, not only their presence: `encode` leaves out a field equal
    to its default, so a changed default would change what an old file decodes to."""
    lines = []
    for cls in types:
        if not dataclasses.is_dataclass(cls):
            continue
        fields = ", ".join(f"{field.name}: {_annotation(field.type)}{_default_text(field)}"
                           for field in dataclasses.fields(cls))
        lines.append(f"{cls.__module__}.{cls.__qualname__}({fields})")
    return "\n".join(sorted(lines))


def _annotation(annotation: object) -> str:
    """The annotation as written (a string under postponed evaluation), else its repr."""
    return annotation if isinstance(annotation, str) else _ADDRESS.sub("", repr(annotation))


def _default_text(field: dataclasses.Field[Any]) -> str:
    """`` = repr`` of a default, `` = factory()`` of a default factory, else nothing;
    memory addresses are dropped so the text is the same in every process."""
    if field.default is not dataclasses.MISSING:
        return " = " + _ADDRESS.sub("", repr(field.default))
    factory = field.default_factory
    if factory is not dataclasses.MISSING:
        name = getattr(factory, "__qualname__", None) or type(factory).__qualname__
        return f" = {getattr(factory, '__module__', '')}.{name}()"
    return ""


class FactsCache:
    """Cached FileResults of one project for one tool version, one settings salt and
    one version of the extraction code (`code_key`)."""

    def __init__(self, directory: Path, salt: str) -> None:
        self.directory = directory
        self.key = hashlib.blake2b(f"{code_key()}|{__version__}|{salt}".encode(),
                                   digest_size=8).hexdigest()
        self.path = directory / f"facts-{self.key}.json"
        self._entries: dict[str, Any] = {}
        self._fresh: dict[str, Any] = {}
        self._states: dict[str, Any] = {}
        self._fresh_states: dict[str, Any] = {}
        # name -> plain JSON data of project-wide answers (`keep`), as loaded and as kept
        self._notes: dict[str, Any] = {}
        self._fresh_notes: dict[str, Any] = {}
        # path -> [entry key, *signature, may hold a CEL noqa (0/1)]
        self._stats: dict[str, list[Any]] = {}
        self._fresh_stats: dict[str, list[Any]] = {}
        self._dirty = False
        self.writable = True
        self.hits: set[str] = set()  # files taken from the cache (``--verbose`` counts them)
        remove_stale(directory, _LEFTOVER)  # a run killed while saving left its file
        self._load()

    def _load(self) -> None:
        """Read the whole file (each result stays text until a run takes it, `_result`);
        any doubt about its contents (torn, foreign, older) leaves the cache empty."""
        try:
            raw = loads(self.path.read_text(encoding="utf-8"))
        except (OSError, DecodeError, RecursionError, UnicodeDecodeError):
            return
        if not isinstance(raw, dict) or raw.get("version") != __version__ or (
                raw.get("key") != self.key):
            return
        entries = raw.get("entries")
        if isinstance(entries, dict):
            self._entries = {path: entry for path, entry in entries.items()
                             if _valid(path, entry)}
        states = raw.get("states")
        if isinstance(states, dict):
            self._states = {module: entry for module, entry in states.items()
                            if _valid_state(entry)}
        stats = raw.get("stats")
        if isinstance(stats, dict):
            self._stats = {path: entry for path, entry in stats.items() if _valid_stat(entry)}
        notes = raw.get("notes")
        if isinstance(notes, dict):
            self._notes = notes

    @staticmethod
    def entry_key(digest: str, module: str, is_package: bool) -> str:
        return f"{digest}:{module}:{int(is_package)}"

    def get(self, path: str, key: str) -> FileResult | None:
        """The cached result of a file whose content and import name are unchanged."""
        stored = self._fresh.get(path) or self._entries.get(path)
        if stored is None or stored["key"] != key:
            return None
        result = self._result(path, stored)
        if result is None:
            return None
        self._fresh[path] = stored
        if self._entries.get(path) is stored:  # read from disk, not put by this run
            self.hits.add(path)
        return result

    def _result(self, path: str, stored: dict[str, Any]) -> FileResult | None:
        """The entry's result, decoded from its text the first time it is asked for; an
        entry whose text does not decode into a FileResult of `path` is dropped."""
        result = stored.get("result")
        if result is None:
            try:
                result = loads(stored["text"])
            except (DecodeError, RecursionError):
                result = None
            if not isinstance(result, FileResult) or result.path != path:
                self._entries.pop(path, None)
                return None
            stored["result"] = result
        return result if isinstance(result, FileResult) else None

    def unchanged(self, path: str, signature: Signature, module: str, is_package: bool
                  ) -> tuple[FileResult, bool] | None:
        """(the cached result, may it hold a CEL noqa) of a file whose signature, and
        import name, are those its entry was made with: the file need not be read."""
        stat = self._stats.get(path)
        stored = self._entries.get(path)
        if stat is None or stored is None or tuple(stat[1:5]) != signature or (
                stat[0] != stored["key"]):
            return None
        result = self._result(path, stored)
        if result is None or stored["key"] != self.entry_key(result.digest, module,
                                                             is_package):
            return None
        self._fresh[path] = stored
        self._fresh_stats[path] = stat
        self.hits.add(path)
        return result, bool(stat[5])

    def note(self, path: str, key: str, signature: Signature, cel_noqa: bool) -> None:
        """Remember the signature of a file read with entry `key` (kept only while the
        entry saved for the path has that key)."""
        if self.writable:
            stat = [key, *signature, int(cel_noqa)]
            if self._stats.get(path) != stat:
                self._dirty = True
            self._fresh_stats[path] = stat

    def reader(self) -> FactsCache:
        """This cache for reading only: another version of the project (``--base-ref``)
        takes the entries its files match and never replaces those of the working tree
        (entries are kept per path, so a base version written back would evict them)."""
        view = copy.copy(self)
        view.writable = False
        view.hits = set()
        return view

    def put(self, key: str, result: FileResult) -> None:
        if self.writable and result.internal_error is None:
            self._fresh[result.path] = {"key": key, "result": result}
            self._dirty = True

    def get_state(self, module: str) -> tuple[dict[str, str], ModuleState] | None:
        """(the digests it was built from, the state) of an interpreted config module."""
        stored = self._states.get(module)
        if stored is None:
            return None
        self._fresh_states[module] = stored
        deps, state = stored["deps"], stored["state"]
        return dict(deps), state

    def put_state(self, module: str, deps: dict[str, str], state: ModuleState) -> None:
        if not self.writable:
            return
        self._fresh_states[module] = {"deps": dict(deps), "state": state}
        self._dirty = True

    def recall(self, name: str) -> Any:
        """What this run, else the saved file, keeps under `name` (`keep`): data from the
        checked project's folder, for the caller to check; None when there is none."""
        return self._fresh_notes.get(name, self._notes.get(name))

    def keep(self, name: str, data: Any) -> None:
        """Save plain JSON data (no codec tags) under `name`: a project-wide answer a
        later run may take (`model.mentions`, which checks it still holds). Notes this
        run does not keep are saved as they were loaded."""
        if self.writable and self.recall(name) != data:
            self._fresh_notes[name] = data
            self._dirty = True

    def save(self) -> None:
        """Write the entries of this run (files gone from the project are dropped)."""
        if not self.writable:
            return
        if not self._dirty and self._fresh.keys() == self._entries.keys() and (
                self._fresh_states.keys() == self._states.keys()):
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text(_GITIGNORE, encoding="utf-8")
            # Entries and signatures are plain JSON already (a path never is a codec
            # tag): only the states hold dataclasses to encode.
            entries = {path: {"key": entry["key"], "text": _text(entry)}
                       for path, entry in self._fresh.items()}
            data = json.dumps({"version": __version__, "key": self.key,
                               "entries": entries,
                               "states": encode(self._fresh_states),
                               "notes": {**self._notes, **self._fresh_notes},
                               "stats": self._saved_stats()},
                              separators=(",", ":"), sort_keys=True)
            handle, temp = tempfile.mkstemp(dir=self.directory, prefix=_TEMP_PREFIX,
                                            suffix=_TEMP_SUFFIX)
            try:
                self._write(handle, temp, data)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError:
            return  # a read-only checkout still gets its findings

    def _saved_stats(self) -> dict[str, list[Any]]:
        """The signature of each saved entry: noted this run, else the one loaded (a run
        that took no signatures keeps them); only while it belongs to the entry's key."""
        stats = {}
        for path, entry in self._fresh.items():
            stat = self._fresh_stats.get(path) or self._stats.get(path)
            if stat is not None and stat[0] == entry["key"]:
                stats[path] = stat
        return stats

    def _write(self, handle: int, temp: str, data: str) -> None:
        """Fill the temporary file and rename it over the cache file."""
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, self.path)


def _text(entry: dict[str, Any]) -> str:
    """The JSON text of an entry's result: as read when the run left it alone (`put`
    replaces the entry), else encoded now."""
    text = entry.get("text")
    if isinstance(text, str):
        return text
    return json.dumps(encode(entry["result"]), separators=(",", ":"), sort_keys=True)


def _valid(path: str, entry: Any) -> bool:
    """An entry as `save` writes it: a string key and its result's JSON text (decoded and
    checked to be the FileResult of that very path when a run takes it)."""
    return (isinstance(entry, dict) and isinstance(entry.get("key"), str)
            and isinstance(entry.get("text"), str))


def _valid_stat(entry: Any) -> bool:
    """A signature entry as `note` stores it: the entry key, four integers, a flag."""
    return (isinstance(entry, list) and len(entry) == 6 and isinstance(entry[0], str)
            and all(type(value) is int for value in entry[1:]))


def _valid_state(entry: Any) -> bool:
    """A state entry as `put_state` stores it."""
    return (isinstance(entry, dict) and isinstance(entry.get("deps"), dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in entry["deps"].items())
            and isinstance(entry.get("state"), ModuleState))
