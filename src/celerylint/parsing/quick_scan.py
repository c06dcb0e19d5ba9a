"""A character scanner for Python text in 3.12 syntax, for the quick lowering path.

The host's :mod:`tokenize` cannot read PEP 701 f-strings before 3.12 (a field may reuse
the string's quotes: ``f"{data["key"]}"``), and libcst costs 0.3 s to import, so the
quick path (:mod:`celerylint.parsing.quick_lowering`) reads the text itself (a file or
one statement): names, operators with their bracket depth, comments, logical line ends,
and strings with their prefixes and quotes; for each f-string outside any other string,
its replacement fields, nested per PEP 701 (strings inside fields, format specs with
fields inside).

It only has to be right about text it accepts: whatever it is not sure of raises
:class:`Unsure` (t-strings, unknown prefixes, unterminated text, a field holding a
backslash continuation or a ``lambda`` outside brackets, a format spec holding a quote,
a backslash, a line break or ``{{``, ``\\{`` in literal text, deep nesting...), and the
text goes to libcst. Every field's expression must also parse alone with the host's
``ast``, so a field the quick path would neutralise is known to be valid Python, as
libcst requires.
"""

from __future__ import annotations

import ast
import re
import warnings
from typing import NamedTuple

from celerylint.parsing.construct_edits import Span

NAME, OP, STRING, COMMENT, NEWLINE = "name", "op", "string", "comment", "newline"

# One token and the blanks before it (the end of the text counts as a token).
_CODE = re.compile(
    r"""
    [ \t\f]*
    (?:
      (?P<continuation>\\(?:\r\n|\r|\n))
    | (?P<newline>\r\n|\r|\n)
    | (?P<comment>\#[^\r\n]*)
    | (?P<string>(?P<prefix>[A-Za-z]{0,2})(?P<quote>'''|\"\"\"|'|"))
    | (?P<name>\w+)
    | (?P<op>\*\*=?|//=?|>>=?|<<=?|\.\.\.|->|:=|[=!<>]=|[-+*/%&|^@]=|[^\s\w\\])
    | (?P<end>\Z)
    )
    """,
    re.VERBOSE,
)
_PLAIN_PREFIXES = frozenset({"", "r", "u", "b", "br", "rb"})
_FSTRING_PREFIXES = frozenset({"f", "fr", "rf"})
# The rest of a string that is not an f-string (a backslash escapes any character, the
# quote and line breaks included, also in raw strings), by opening quote.
_STRING_REST = {
    quote: re.compile(body + re.escape(quote))
    for quote, body in (
        ("'", r"(?:[^'\\\r\n]|\\(?:\r\n|[\s\S]))*"),
        ('"', r'(?:[^"\\\r\n]|\\(?:\r\n|[\s\S]))*'),
        ("'''", r"(?:[^'\\]|\\[\s\S]|'(?!''))*"),
        ('"""', r'(?:[^"\\]|\\[\s\S]|"(?!""))*'),
    )
}
# Literal text of an f-string up to the next character that needs a decision.
_LITERAL = {
    "'": re.compile(r"[^{}\\'\r\n]*"),
    '"': re.compile(r'[^{}\\"\r\n]*'),
    "'''": re.compile(r"[^{}\\']*"),
    '"""': re.compile(r'[^{}\\"]*'),
}
_NAMED_ESCAPE = re.compile(r"\\N\{[^{}'\"\\\r\n]*\}")
_SPEC_TEXT = re.compile(r"[^{}\\'\"\r\n]*")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(_OPENERS.values())
_MAX_NESTING = 4  # f-strings and format specs inside fields; deeper text goes to libcst


class Unsure(Exception):
    """The scanner or the quick path met text it does not read with certainty."""


class Token(NamedTuple):
    """One token outside strings; ``depth`` counts the brackets open at it."""

    kind: str
    start: int
    end: int
    depth: int


class FString(NamedTuple):
    """An f-string outside any other string: its span, prefix and top-level fields."""

    span: Span
    prefix_length: int
    fields: list[Span]


class Scanned(NamedTuple):
    """What the scanner read: tokens (a ``newline`` only where a logical line ends), the
    closing bracket of each opening one (by the opener's token index), the f-strings."""

    tokens: list[Token]
    closers: dict[int, int]
    fstrings: list[FString]


def scan_text(text: str) -> Scanned:
    """Read ``text``; raises :class:`Unsure` rather than guess."""
    return _Scanner(text).scanned()


class _Scanner:
    """One left-to-right reading: tokens at the text's own level, strings whole (their
    fields read recursively), raising :class:`Unsure` at the first doubt."""

    def __init__(self, text: str) -> None:
        self._text = text

    def scanned(self) -> Scanned:
        text = self._text
        tokens: list[Token] = []
        closers: dict[int, int] = {}
        fstrings: list[FString] = []
        opened: list[tuple[int, str]] = []  # index of each open bracket, its closer
        match_at, append = _CODE.match, tokens.append  # the loop runs once per token
        pos = 0
        while True:
            match = match_at(text, pos)
            if match is None:
                raise Unsure
            kind = str(match.lastgroup)  # every alternative is a named group
            pos, end = match.span(kind)
            if kind in (NAME, COMMENT) or (kind == NEWLINE and not opened):
                append(Token(kind, pos, end, len(opened)))
            elif kind == OP:
                token = text[pos:end]
                if token in _OPENERS:
                    append(Token(OP, pos, end, len(opened)))
                    opened.append((len(tokens) - 1, _OPENERS[token]))
                elif token in _CLOSERS:
                    if not opened or opened[-1][1] != token:
                        raise Unsure
                    append(Token(OP, pos, end, len(opened) - 1))
                    closers[opened.pop()[0]] = len(tokens) - 1
                else:
                    append(Token(OP, pos, end, len(opened)))
            elif kind == STRING:
                end, fstring = self._string(match, 0)
                if fstring is not None:
                    fstrings.append(fstring)
                append(Token(STRING, pos, end, len(opened)))
            elif kind == "end":
                break
            pos = end
        if opened:
            raise Unsure
        return Scanned(tokens, closers, fstrings)

    # -- strings ---------------------------------------------------------------------

    def _string(self, match: re.Match[str], nesting: int) -> tuple[int, FString | None]:
        """Where the string opened by ``match`` ends, and its fields if an f-string."""
        prefix, quote = match.group("prefix").lower(), match.group("quote")
        if prefix in _PLAIN_PREFIXES:
            rest = _STRING_REST[quote].match(self._text, match.end())
            if rest is None:
                raise Unsure
            return rest.end(), None
        if prefix not in _FSTRING_PREFIXES:
            raise Unsure  # t-strings, byte f-strings, or a name glued to a string
        end, fields = self._fstring_rest(match.end(), quote, "r" in prefix, nesting)
        return end, FString((match.start("string"), end), len(prefix), fields)

    def _fstring_rest(self, pos: int, quote: str, raw: bool, nesting: int
                      ) -> tuple[int, list[Span]]:
        text = self._text
        literal = _LITERAL[quote]
        fields: list[Span] = []
        while True:
            pos = literal.match(text, pos).end()  # type: ignore[union-attr]
            char = text[pos : pos + 1]
            if text.startswith(quote, pos):
                return pos + len(quote), fields
            if char == quote[0]:  # one quote inside a triple-quoted string
                pos += 1
            elif char in ("{", "}") and text.startswith(char * 2, pos):
                pos += 2
            elif char == "{":
                end = self._field(pos, nesting)
                fields.append((pos, end))
                pos = end
            elif char == "\\":
                pos = self._escape(pos, raw)
            else:  # a lone `}`, a line break in a single-quoted string, or the end
                raise Unsure

    def _escape(self, pos: int, raw: bool) -> int:
        text = self._text
        following = text[pos + 1 : pos + 2]
        if following in ("", "{", "}"):
            raise Unsure
        if text.startswith("\r\n", pos + 1):  # a line continued inside the string
            return pos + 3
        if following == "N" and not raw:
            named = _NAMED_ESCAPE.match(text, pos)
            if named is None:
                raise Unsure
            return named.end()
        return pos + 2

    # -- replacement fields ----------------------------------------------------------

    def _field(self, pos: int, nesting: int) -> int:
        """Read the field whose ``{`` is at ``pos``; return the offset after its ``}``."""
        if nesting >= _MAX_NESTING:
            raise Unsure
        text = self._text
        start = pos + 1
        pos = self._expression(start, nesting)
        if not _is_field_expression(text[start:pos]):
            raise Unsure
        if text[pos] == "=":  # `{x=}`: the debugging form, blanks may follow
            pos += 1
            while text[pos : pos + 1] in (" ", "\t"):
                pos += 1
        if text[pos : pos + 1] == "!":
            if text[pos + 1 : pos + 2] not in ("r", "s", "a") or text[pos + 2 : pos + 3] not in (
                    ":", "}"):
                raise Unsure
            pos += 2
        if text[pos : pos + 1] == ":":
            pos = self._format_spec(pos + 1, nesting)
        if text[pos : pos + 1] != "}":
            raise Unsure
        return pos + 1

    def _expression(self, pos: int, nesting: int) -> int:
        """The offset where a field's expression stops: ``}``, ``!``, ``=`` or ``:``
        outside brackets."""
        text = self._text
        opened: list[str] = []
        while True:
            match = _CODE.match(text, pos)
            if match is None:
                raise Unsure
            kind = str(match.lastgroup)  # every alternative is a named group
            if kind == "string":
                pos, _ = self._string(match, nesting + 1)
                continue
            token = match.group(kind)
            if kind in ("continuation", "end") or (token == "lambda" and not opened):
                raise Unsure  # a bare lambda's `:` would read as a format spec
            if kind == "op":
                if not opened and (token in ("}", "!", "=") or token.startswith(":")):
                    return match.start(kind)
                if token in _OPENERS:
                    opened.append(_OPENERS[token])
                elif token in _CLOSERS and (not opened or opened.pop() != token):
                    raise Unsure
            pos = match.end()

    def _format_spec(self, pos: int, nesting: int) -> int:
        """The offset of the ``}`` that ends a format spec starting at ``pos``."""
        text = self._text
        while True:
            pos = _SPEC_TEXT.match(text, pos).end()  # type: ignore[union-attr]
            char = text[pos : pos + 1]
            if char not in ("{", "}") or text.startswith(char * 2, pos):
                raise Unsure  # quotes, backslashes, line breaks, `{{` or `}}`, the end
            if char == "}":
                return pos
            pos = self._field(pos, nesting + 1)


def _is_field_expression(text: str) -> bool:
    """Whether a field's expression parses alone with the host's ``ast``.

    Alone, the PEP 701 relaxations do not matter (``data["key"]`` is valid anywhere);
    what fails here is invalid in an f-string of every version, or nested text (an inner
    f-string that itself needs the new grammar) that the quick path leaves to libcst.
    """
    if not text.strip():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse("(" + text + "\n)", mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True
