"""The per-file facts cache in ``.celerylint_cache/`` (or ``--cache-dir``).

One JSON file per tool version and settings, holding each file's FileResult under a key
made of its content hash and what else shapes its facts (its import name). Writes go to a
temporary file renamed into place, so concurrent runs never leave a torn file (the last
one wins); a file that cannot be read or decoded is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from celerylint import __version__
from celerylint.facts.filework import FileResult
from celerylint.model.codec import DecodeError, encode, loads
from celerylint.model.config_module import ModuleState

FORMAT = 1
_GITIGNORE = "# created by celerylint\n*\n"


class FactsCache:
    """Cached FileResults of one project for one tool version and one settings salt."""

    def __init__(self, directory: Path, salt: str) -> None:
        self.directory = directory
        key = hashlib.blake2b(f"{FORMAT}|{__version__}|{salt}".encode(),
                              digest_size=8).hexdigest()
        self.path = directory / f"facts-{key}.json"
        self._entries: dict[str, Any] = {}
        self._fresh: dict[str, Any] = {}
        self._states: dict[str, Any] = {}
        self._fresh_states: dict[str, Any] = {}
        self._dirty = False
        self._load()

    def _load(self) -> None:
        """Read the whole file, reviving every result as it parses; any doubt about its
        contents (torn, foreign, older) leaves the cache empty."""
        try:
            raw = loads(self.path.read_text(encoding="utf-8"))
        except (OSError, DecodeError, RecursionError, UnicodeDecodeError):
            return
        if not isinstance(raw, dict) or raw.get("version") != __version__:
            return
        entries = raw.get("entries")
        if isinstance(entries, dict):
            self._entries = {path: entry for path, entry in entries.items()
                             if _valid(path, entry)}
        states = raw.get("states")
        if isinstance(states, dict):
            self._states = {module: entry for module, entry in states.items()
                            if _valid_state(entry)}

    @staticmethod
    def entry_key(digest: str, module: str, is_package: bool) -> str:
        return f"{digest}:{module}:{int(is_package)}"

    def get(self, path: str, key: str) -> FileResult | None:
        """The cached result of a file whose content and import name are unchanged."""
        stored = self._fresh.get(path) or self._entries.get(path)
        if stored is None or stored["key"] != key:
            return None
        self._fresh[path] = stored
        result: FileResult = stored["result"]
        return result

    def put(self, key: str, result: FileResult) -> None:
        if result.internal_error is None:
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
        self._fresh_states[module] = {"deps": dict(deps), "state": state}
        self._dirty = True

    def save(self) -> None:
        """Write the entries of this run (files gone from the project are dropped)."""
        if not self._dirty and self._fresh.keys() == self._entries.keys() and (
                self._fresh_states.keys() == self._states.keys()):
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text(_GITIGNORE, encoding="utf-8")
            data = json.dumps(encode({"version": __version__, "entries": self._fresh,
                                      "states": self._fresh_states}),
                              separators=(",", ":"), sort_keys=True)
            handle, temp = tempfile.mkstemp(dir=self.directory, prefix=".facts-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(data)
            os.chmod(temp, 0o644)
            os.replace(temp, self.path)
        except OSError:
            return  # a read-only checkout still gets its findings


def _valid(path: str, entry: Any) -> bool:
    """An entry as `put` stores it: a string key and the FileResult of that very path."""
    return (isinstance(entry, dict) and isinstance(entry.get("key"), str)
            and isinstance(entry.get("result"), FileResult) and entry["result"].path == path)


def _valid_state(entry: Any) -> bool:
    """A state entry as `put_state` stores it."""
    return (isinstance(entry, dict) and isinstance(entry.get("deps"), dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in entry["deps"].items())
            and isinstance(entry.get("state"), ModuleState))
