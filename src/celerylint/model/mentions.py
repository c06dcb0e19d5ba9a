"""Which Python files of a project hold a word, as a whole word, in their bytes.

Rules ask this of setting names (CEL702 and CEL703: does some file read
``settings.CELERY_X`` as code?), and the answer takes every Python file read: on a warm
run, where unchanged files are taken from the facts cache by their signature, the one
step that still reads them all. So the answers are kept in the facts cache with a
fingerprint of every file's path and content hash (`Project.digests`, the hashes of the
very bytes a search reads); a run whose files all hold what they held then takes the
answers without reading anything, any other run searches again. A literal ``in`` test
comes before the whole-word regex, which only a file holding the word at all needs.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from typing import Any

from celerylint.engine.readable import read_regular
from celerylint.model.project import Project

# The facts cache's name for the answers (`FactsCache.keep`).
NOTE = "mentions"
# Set to search every file, neither taking nor keeping answers in the cache (tests and
# the bench compare the output both ways).
NO_CACHE_ENV = "CELERYLINT_NO_MENTIONS_CACHE"


def search(project: Project, words: Sequence[str]) -> dict[str, frozenset[str]]:
    """Each of `words` -> the project's Python files holding it as a whole word; from
    the facts cache when the project's files are those the answers were found in."""
    if not words:
        return {}
    cache = project.cache
    if cache is None or os.environ.get(NO_CACHE_ENV):
        return _scan(project, words)
    fingerprint = _fingerprint(project)
    known = _recalled(cache.recall(NOTE), fingerprint)
    missing = [word for word in words if word not in known]
    if missing:
        known.update(_scan(project, missing))
        cache.keep(NOTE, {"files": fingerprint,
                          "words": [[word, sorted(known[word])] for word in sorted(known)]})
    return {word: known[word] for word in words}


def _scan(project: Project, words: Sequence[str]) -> dict[str, frozenset[str]]:
    """Read every Python file once for all `words`."""
    wanted = [(word, word.encode()) for word in words]
    patterns: dict[str, re.Pattern[bytes]] = {}
    found: dict[str, set[str]] = {word: set() for word in words}
    top = str(project.root)
    for path in project.names:
        try:
            data = read_regular(os.path.join(top, path))
        except OSError:
            continue
        for word, literal in wanted:
            if literal not in data:
                continue
            pattern = patterns.get(word)
            if pattern is None:
                pattern = patterns[word] = re.compile(rb"\b" + re.escape(literal) + rb"\b")
            if pattern.search(data):
                found[word].add(path)
    return {word: frozenset(paths) for word, paths in found.items()}


def _fingerprint(project: Project) -> str:
    """A digest of every Python file's path and content hash (empty for a file that
    could not be read): equal only when a search would read the same bytes."""
    digests = project.digests
    text = "\n".join(f"{path}\0{digests.get(path, '')}" for path in sorted(project.names))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _recalled(note: Any, fingerprint: str) -> dict[str, frozenset[str]]:
    """The answers of a kept note made for these very files; none when it was made for
    others or is not what `search` keeps (the cache lives in the checked project)."""
    if not isinstance(note, dict) or note.get("files") != fingerprint:
        return {}
    words = note.get("words")
    if not isinstance(words, list):
        return {}
    known: dict[str, frozenset[str]] = {}
    for item in words:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], list) and all(isinstance(p, str) for p in item[1])):
            return {}
        known[item[0]] = frozenset(item[1])
    return known
