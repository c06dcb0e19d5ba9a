"""The edits that lower one 3.12 construct, given where its parts are.

Both ways of finding constructs call these: the libcst collector
(:mod:`celerylint.parsing.cst_lowering`, positions from libcst's tree) and the quick path
(:mod:`celerylint.parsing.quick_lowering`, positions from a character scanner). Keeping
every decision here, and only the finding there, is what makes the two produce the same
edits whenever both answer.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from typing import NamedTuple

from celerylint.parsing.text_edits import (
    NEWLINE,
    Edit,
    apply_edits,
    blank,
    name_over_blank,
    shifted,
    split_lines,
    utf8_width,
)

Span = tuple[int, int]  # start and end offsets in the source


def blanked(source: str, start: int, end: int) -> Edit:
    """Remove ``source[start:end]`` (a type parameter list, say), keeping its lines."""
    return Edit(start, end, blank(source[start:end]))


def alias_edit(source: str, start: int, value_start: int, name: str) -> Edit:
    """``type X[T] = v`` -> ``X = v``: the header up to the last ``=`` before the value
    (which starts at ``value_start``) is blanked and the name written where ``type`` was."""
    equals = source.rindex("=", start, value_start)
    return Edit(start, equals, name_over_blank(name, source[start:equals]))


def string_edits(source: str, span: Span, prefix_length: int, fields: Sequence[Span]
                 ) -> list[Edit]:
    """The edits that make one f-string or t-string acceptable to the running parser.

    ``span`` covers the whole string with its prefix and quotes, ``fields`` its top-level
    replacement fields from ``{`` to ``}``. A t-string is first renamed to an f-string.
    Then fields that hit a PEP 701 relaxation are neutralised; if the string still does
    not parse alone, every field is. The final parse of the whole file is the real check.
    """
    start, end = span
    text = source[start:end]
    old_prefix = text[:prefix_length]
    prefix = old_prefix.replace("t", "f").replace("T", "F")
    edits = [] if prefix == old_prefix else [Edit(start, start + prefix_length, prefix)]
    if _parses_as_expression(_relative_apply(text, start, edits)):
        return edits
    quote = text[prefix_length : prefix_length + 3]
    shape = StringShape(prefix, quote if quote in ('"""', "'''") else quote[:1])

    def placeholder(field: Span) -> Edit:
        field_start, field_end = field
        rest = source[field_end:end]
        return Edit(field_start, field_end, shape.placeholder(source[field_start:field_end], rest))

    chosen = [placeholder(f) for f in fields if shape.needs_new_grammar(source[f[0] : f[1]])]
    if not _parses_as_expression(_relative_apply(text, start, edits + chosen)):
        chosen = [placeholder(field) for field in fields]
    return edits + chosen


def _relative_apply(text: str, origin: int, edits: Sequence[Edit]) -> str:
    return apply_edits(text, shifted(edits, -origin))


def host_accepts(text: str) -> bool:
    """Whether the running parser reads ``text`` as a module (warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def _parses_as_expression(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse("(" + text + "\n)", mode="eval")
        except (SyntaxError, ValueError):
            return False
    return True


class StringShape(NamedTuple):
    """What a replacement field must look like inside one particular f-string."""

    prefix: str
    quote: str

    @property
    def triple(self) -> bool:
        return len(self.quote) == 3

    def needs_new_grammar(self, field: str) -> bool:
        """True when a field uses a PEP 701 relaxation the old f-string grammar rejects.

        Before 3.12 a field could not contain a backslash, a ``#``, the enclosing quote,
        or (in a single-quoted string) a line break.
        """
        if "\\" in field or "#" in field or self.quote in field:
            return True
        return not self.triple and NEWLINE.search(field) is not None

    def placeholder(self, field: str, rest: str) -> str:
        """Return ``{0}`` laid out over the same lines and widths as ``field``.

        ``rest`` is the string's text after the field, which decides how a single-quoted
        string continues after a multi-line field (see ``_restart``).
        """
        lines = split_lines(field)
        if len(lines) == 1:
            return "{0" + " " * (utf8_width(field) - 3) + "}"
        last_width = utf8_width(lines[-1][0])
        if self.triple:
            body = ["{0" + lines[0][1]] + [newline for _, newline in lines[1:-1]]
            return "".join(body) + " " * (last_width - 1) + "}"
        body = ["{0}" + self.quote + " \\" + lines[0][1]]
        body += ["\\" + newline for _, newline in lines[1:-1]]
        return "".join(body) + self._restart(rest).rjust(last_width)

    def _restart(self, rest: str) -> str:
        """Open the string that carries on after a field that spanned lines.

        A single-quoted string cannot hold a line break, so the lowered string closes
        after ``{0}`` and a new one, joined by backslash continuations, takes over on the
        field's last line. When no brace is left, that new string needs no ``f`` (a plain
        string concatenated to an f-string joins its JoinedStr), which lets it fit where
        the ``}`` was and keeps the rest of the line in place.
        """
        if "{" in rest or "}" in rest:
            return self.prefix + self.quote
        raw = "r" if "\\" in rest and "r" in self.prefix.lower() else ""
        return raw + self.quote
