"""Text edits that keep lines and columns: the vocabulary every lowering path shares.

Lowering rewrites newer syntax by editing text, never by regenerating code (see
:mod:`celerylint.parsing.lowering`), so the libcst collector and the libcst-free quick
path both describe their work as :class:`Edit` objects and lay removed code out with the
same helpers here; that is what lets them produce exactly the same result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

NEWLINE = re.compile(r"\r\n|\r|\n")


class Edit(NamedTuple):
    """Replace ``source[start:end]`` (character offsets) with ``text``."""

    start: int
    end: int
    text: str


def apply_edits(source: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits; an edit nested inside an earlier one is dropped.

    Nesting happens when a construct sits inside text that is removed anyway, such as an
    f-string in a type parameter default.
    """
    pieces: list[str] = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < cursor:
            continue
        pieces.append(source[cursor : edit.start])
        pieces.append(edit.text)
        cursor = edit.end
    pieces.append(source[cursor:])
    return "".join(pieces)


def shifted(edits: Sequence[Edit], by: int) -> list[Edit]:
    """The same edits, moved ``by`` characters (negative to make them relative)."""
    return [Edit(e.start + by, e.end + by, e.text) for e in edits]


def utf8_width(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def split_lines(text: str) -> list[tuple[str, str]]:
    """Split into ``(line, newline)`` pairs keeping the exact newline sequences."""
    parts: list[tuple[str, str]] = []
    start = 0
    for match in NEWLINE.finditer(text):
        parts.append((text[start : match.start()], match.group()))
        start = match.end()
    parts.append((text[start:], ""))
    return parts


def blank(text: str) -> str:
    """Turn code into whitespace of the same UTF-8 width and the same lines.

    A line break inside the removed code becomes a backslash continuation, which is legal
    between any two tokens, inside brackets or not.
    """
    out: list[str] = []
    for line, newline in split_lines(text):
        spaces = " " * utf8_width(line)
        if newline:
            spaces = spaces[:-1] + "\\"
        out.append(spaces + newline)
    return "".join(out)


def name_over_blank(name: str, removed: str) -> str:
    """Blank ``removed`` and write ``name`` where it began, keeping the lines.

    Used for ``type X[T] `` (``X`` goes where ``type`` began) and for ``case`` headers
    (``if`` or ``elif`` goes where ``case`` began).
    """
    blanked = blank(removed)
    first_line = split_lines(blanked)[0][0]
    room = len(first_line) - (1 if first_line.endswith("\\") else 0)
    return name + blanked[min(len(name), room) :]
