"""The glob dialect of the configuration, so every option that takes a glob reads it the
same way.

``exclude``, ``extend-exclude``, ``per-file-ignores`` and ``test-patterns`` take
'/'-separated path globs relative to the project root: ``*`` may cross '/' (as in fnmatch
and ruff), ``**/`` matches zero or more folders, ``{a,b}`` are alternatives, and a leading
``./`` or ``/`` anchors at the root. ``.gitignore`` lines use the same translation in the
gitignore dialect, where ``*`` and ``?`` stop at '/'. Globs compile to regular expressions
meant for ``fullmatch``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from re import Pattern


def glob_hits(pattern: str, relpath: str, name: str) -> bool:
    """Does the configuration glob `pattern` match the project-relative file `relpath`?

    The glob matches the whole '/'-separated path; a glob without '/' also matches the
    file's `name` alone (``"conftest.py"`` anywhere).
    """
    regex = _compiled_glob(pattern)
    if regex.fullmatch(relpath):
        return True
    return "/" not in pattern and regex.fullmatch(name) is not None


@lru_cache(maxsize=1024)
def _compiled_glob(pattern: str) -> Pattern[str]:
    return re.compile(glob_to_regex(strip_dot_slash(pattern)), re.DOTALL)


def strip_dot_slash(pattern: str) -> str:
    """``./src`` and ``/src`` both mean the project's top-level ``src``."""
    if pattern.startswith("./"):
        return pattern[2:]
    return pattern.lstrip("/")


def glob_to_regex(pattern: str, *, gitignore: bool = False) -> str:
    """The regular expression (for ``fullmatch``) of a '/'-separated path glob.

    ``**/`` matches zero or more folders, a trailing ``/**`` everything inside, ``?``
    one character, ``[...]`` a class (``[!...]`` negated) and ``\\x`` a literal x.
    In the configuration dialect ``*`` may cross '/' (as in fnmatch and ruff) and
    ``{a,b}`` are alternatives; in the gitignore dialect ``*`` and ``?`` stop at '/'.
    """
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        text, index = _glob_token(pattern, index, gitignore)
        parts.append(text)
    return "".join(parts)


def _glob_token(pattern: str, index: int, gitignore: bool) -> tuple[str, int]:
    """Translate the glob token at `index`; return its regex and the next index."""
    char = pattern[index]
    if pattern.startswith("**", index):
        return _double_star(pattern, index, gitignore)
    if char == "*":
        return ("[^/]*" if gitignore else ".*"), index + 1
    if char == "?":
        return ("[^/]" if gitignore else "."), index + 1
    if char == "[":
        return _char_class(pattern, index)
    if char == "\\" and index + 1 < len(pattern):
        return re.escape(pattern[index + 1]), index + 2
    if char == "{" and not gitignore:
        return _alternatives(pattern, index)
    return re.escape(char), index + 1


def _double_star(pattern: str, index: int, gitignore: bool) -> tuple[str, int]:
    at_start = index == 0 or pattern[index - 1] == "/"
    after = index + 2
    if at_start and pattern.startswith("/", after):
        return "(?:.*/)?", after + 1
    if at_start and after == len(pattern):
        return ".*", after
    return ("[^/]*" if gitignore else ".*"), after


def _char_class(pattern: str, index: int) -> tuple[str, int]:
    end = index + 1
    if end < len(pattern) and pattern[end] in "!^":
        end += 1
    if end < len(pattern) and pattern[end] == "]":
        end += 1
    end = pattern.find("]", end)
    if end < 0:
        return re.escape("["), index + 1
    body = pattern[index + 1 : end]
    negated = body[:1] in ("!", "^")
    if negated:
        body = body[1:]
    escaped = "".join(char if char == "-" else re.escape(char) for char in body)
    return f"[{'^' if negated else ''}{escaped}]", end + 1


def _alternatives(pattern: str, index: int) -> tuple[str, int]:
    depth, cut, options = 0, index + 1, []
    for position in range(index, len(pattern)):
        char = pattern[position]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                options.append(pattern[cut:position])
                body = "|".join(glob_to_regex(option) for option in options)
                return f"(?:{body})", position + 1
        elif char == "," and depth == 1:
            options.append(pattern[cut:position])
            cut = position + 1
    return re.escape("{"), index + 1
