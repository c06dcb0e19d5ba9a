"""Rewrite syntax newer than the host interpreter into text the host's ``ast`` accepts.

celerylint extracts facts with :mod:`ast`, whose grammar is the grammar of the Python that
runs celerylint. Audited projects already use newer syntax, so when ``ast.parse`` fails,
:func:`lower_source` reads the file with libcst (which knows Python 3.0-3.14 whatever the
host), locates the newer constructs there, and edits only their text:

* ``except A, B:`` / ``except* A, B:`` (3.14, PEP 758) become ``except(A, B):``;
* ``except*`` (3.11) becomes ``except`` on older hosts;
* ``match`` statements (3.10, PEP 634) become ``if`` chains: ``match subject:`` becomes
  ``if subject:`` and each ``case pattern:`` an ``if 1:`` / ``elif 1:`` header, or
  ``elif guard:`` when the case has a guard. The subject, the guard and every body
  statement survive; patterns (and the names they capture) are gone, and no rule reads
  an ``if`` test as true or false, so the bodies only look conditional, as they are;
* type parameter lists of ``def``/``class`` (3.12, PEP 695/696) are blanked out; a 3.12
  host only loses the parameters' defaults (3.13, PEP 696);
* ``type X[T] = v`` (3.12) becomes the assignment ``X = v``, so the name stays bound;
* f-string replacement fields that only the PEP 701 grammar (3.12) accepts become the
  constant field ``{0}``; the literal text of the f-string is kept, so the expression
  stays a ``JoinedStr`` whose static parts a rule can still read (the names used inside
  a neutralised field are gone, so rules see less there, never something wrong);
* t-strings (3.14, PEP 750) become f-strings with the same text.

Why text edits instead of regenerating code from a transformed tree: findings must point at
the user's lines. Every edit keeps the line structure of the text it replaces (newlines
inside removed code survive as backslash continuations or as newlines inside brackets), so
every statement and expression that survives has its original ``lineno``/``end_lineno``.
Removed text is replaced by spaces of the same UTF-8 width, so ``col_offset`` (which
``ast`` counts in UTF-8 bytes) stays exact too when read against the *original* line.
Known column shifts, all confined to the rest of one line:

* ``except A, B:`` gains a ``)``; it takes the place of a following space when there is
  one (before the colon, else right after it), otherwise the rest of that line moves right
  by one; so does ``match a, b:``, whose bare tuple subject needs parentheses;
* the target ``X`` of a lowered ``type`` statement starts where ``type`` started;
* after a replacement field that spans lines inside a single-quoted f-string, the
  lowered text reopens a string on the field's last line; when more braces (or, in a raw
  string, backslashes) follow in that string, the reopening needs its prefix and the rest
  of that line moves right by a column or two unless the ``}`` was indented.

The ``ExceptHandler.type`` tuple of a lowered ``except A, B:`` includes the added
parenthesis in its span, as a parenthesised tuple always does in ``ast``.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Union

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

_NEWLINE = re.compile(r"\r\n|\r|\n")
_COMMENT = re.compile(r"#[^\r\n]*")
_AnyString = Union[cst.FormattedString, cst.TemplatedString]
_AnyExcept = Union[cst.ExceptHandler, cst.ExceptStarHandler]


@dataclass(frozen=True)
class _Edit:
    """Replace ``source[start:end]`` (character offsets) with ``text``."""

    start: int
    end: int
    text: str


def lower_source(source: str, host: tuple[int, int], by_statement: bool = True) -> str | None:
    """Return ``source`` with the constructs newer than ``host`` lowered.

    ``host`` is the ``(major, minor)`` version whose grammar the result must fit; only the
    constructs that grammar lacks are touched, so a 3.12 host keeps its f-strings intact.
    Whether an f-string needs lowering is asked of the running parser, so for f-strings
    ``host`` must be the running version: a 3.12+ parser accepts them all.
    Returns None when libcst cannot read the text either (a real syntax error), when the
    text nests too deeply to hand to libcst (see ``_scan``) or when there is
    nothing to lower, so the caller can report the original error at once.

    ``by_statement`` (for the running version only) hands libcst just the top-level
    statements the running parser rejects (see ``_edits_by_statement``); False reads the
    whole file with libcst, as every other host needs.
    """
    scan = _scan(source)
    if scan.too_deep:
        return None
    edits = None
    if by_statement and scan.starts is not None and len(scan.starts) > 1 and (
            host == sys.version_info[:2]):
        edits = _edits_by_statement(source, scan.starts, host)
    if edits is None:
        edits = _edits_of(source, host)
    return _apply(source, edits) if edits else None


def _edits_of(source: str, host: tuple[int, int]) -> list[_Edit] | None:
    """The edits lowering ``source`` needs; None when libcst cannot read or walk it."""
    try:
        module = cst.parse_module(source, cst.PartialParserConfig(python_version="3.14"))
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
    except Exception:  # noqa: BLE001 - any libcst failure means "cannot lower", not a crash
        return None
    collector = _EditCollector(source, positions, host)
    try:
        wrapper.module.visit(collector)
    except RecursionError:  # libcst visits recursively; absurd nesting must not crash a run
        return None
    return collector.edits


def _edits_by_statement(source: str, starts: Sequence[int], host: tuple[int, int]
                        ) -> list[_Edit] | None:
    """The edits lowering the top-level statements that the running parser rejects.

    libcst costs about a millisecond per line (parse, positions, visit): read whole, a
    1,000-line file took 0.85 s to lower for a handful of newer constructs. Every edit
    stays inside the statement that holds its construct, and a statement the running
    parser accepts holds no construct newer than it, so each rejected statement is lowered
    alone and its edits shifted by where it starts. None when libcst cannot read one of
    them: then the whole file is asked, so a failure reads exactly as before.
    """
    edits: list[_Edit] = []
    bounds = [*starts, len(source)]
    for start, end in zip(bounds, bounds[1:]):
        text = source[start:end]
        if _host_accepts(text):
            continue
        found = _edits_of(text, host)
        if found is None:
            return None
        edits.extend(_Edit(e.start + start, e.end + start, e.text) for e in found)
    return edits


def _host_accepts(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


_MAX_DEPTH = 1000
_TOO_MANY_BRACKETS = "too many nested parentheses"


@dataclass(frozen=True)
class _Scan:
    """What one pass of the host's tokenizer says about a text (see ``_scan``)."""

    too_deep: bool
    starts: list[int] | None


def _scan(source: str) -> _Scan:
    """Whether libcst's parser might overflow the machine stack on ``source``, and the
    offsets where its top-level statements start (None when the tokenizer cannot read it).

    libcst parses in native code that recurses once per level of nesting: a few thousand
    levels crash the whole process with a segmentation fault instead of raising, and long
    chains of unary operators take minutes. Lowering could not help such text anyway:
    walking a libcst tree more than about 400 levels deep raises RecursionError, and no
    CPython accepts more than 200 nested brackets. So the host's tokenizer estimates the
    depth first. When it cannot read the text (an older host meeting a PEP 701 f-string
    can be thrown off), libcst is left to decide, unless the tokenizer refused the text
    for nesting brackets too deeply.
    """
    gauge = _DepthGauge()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source, newline=None).readline):
            gauge.feed(token)
    except tokenize.TokenError as error:
        return _Scan(_TOO_MANY_BRACKETS in str(error), None)
    except SyntaxError:  # 3.12+ tokenizers raise IndentationError and the like directly
        return _Scan(False, None)
    if gauge.deepest > _MAX_DEPTH:
        return _Scan(True, None)
    line_starts = [0] + [m.end() for m in _NEWLINE.finditer(source)]
    return _Scan(False, [0] + [line_starts[row - 1] for row in gauge.statement_rows[1:]])


def _token_types(*names: str) -> frozenset[int]:
    """Token numbers by name, skipping names the host's tokenizer does not have."""
    numbers = {name: number for number, name in tokenize.tok_name.items()}
    return frozenset(numbers[name] for name in names if name in numbers)


_IGNORED = _token_types("NL", "COMMENT", "ENCODING", "ENDMARKER")
_STRING_OPENERS = _token_types("FSTRING_START", "TSTRING_START")  # 3.12+ split f-strings
_STRING_CLOSERS = _token_types("FSTRING_END", "TSTRING_END")
_STRING_SEPARATORS = _token_types("FSTRING_MIDDLE", "TSTRING_MIDDLE")
_OPENERS, _CLOSERS, _SEPARATORS = {"(", "[", "{"}, {")", "]", "}"}, {",", ";"}
_CLAUSES = {"else", "elif", "except", "finally"}


class _DepthGauge:
    """Over-estimate, token by token, how deep a libcst tree of the text nests.

    Tokens chained without a separator nest in the tree (``a.b.c``, ``1 + 2 + 3``,
    ``not not x``, ``"a" "b"``), so each bracket level counts the tokens since its last
    comma or semicolon, and the estimate is the sum over the open brackets plus their
    number. A logical line ends every run. Consecutive ``elif`` clauses nest too, so
    each indentation level counts them.
    """

    def __init__(self) -> None:
        self.deepest = 0
        self._runs = [0]
        self._total = 0
        self._elifs = [0]
        self._line_start = True
        self._previous_first = ""
        self.statement_rows: list[int] = []  # rows where a top-level statement starts

    def feed(self, token: tokenize.TokenInfo) -> None:
        kind = token.type
        if kind == tokenize.INDENT:
            self._elifs.append(0)
        elif kind == tokenize.DEDENT:
            self._elifs.pop()
        elif kind == tokenize.NEWLINE:
            self._runs, self._total, self._line_start = [0], 0, True
        elif kind not in _IGNORED:
            if self._line_start:
                self._clause(token.string)
                self._statement(token)
            self._chain(kind, token.string)

    def _clause(self, first_word: str) -> None:
        self._line_start = False
        if first_word == "elif":
            self._elifs[-1] += 1
            self.deepest = max(self.deepest, self._elifs[-1])
        elif first_word != "else":
            self._elifs[-1] = 0

    def _statement(self, first: tokenize.TokenInfo) -> None:
        """Note the row of a logical line that starts a top-level statement: not indented,
        not a clause continuing a compound statement, not the definition a decorator
        line before it belongs to."""
        if (first.start[1] == 0 and len(self._elifs) == 1 and first.string not in _CLAUSES
                and self._previous_first != "@"):
            self.statement_rows.append(first.start[0])
        self._previous_first = first.string

    def _chain(self, kind: int, text: str) -> None:
        is_op = kind == tokenize.OP
        if (is_op and text in _CLOSERS) or kind in _STRING_CLOSERS:
            if len(self._runs) > 1:  # more closers than openers: the parse fails anyway
                self._total -= self._runs.pop()
        elif (is_op and text in _SEPARATORS) or kind in _STRING_SEPARATORS:
            self._total -= self._runs[-1]
            self._runs[-1] = 0
        else:
            self._runs[-1] += 1
            self._total += 1
            if (is_op and text in _OPENERS) or kind in _STRING_OPENERS:
                self._runs.append(0)
            self.deepest = max(self.deepest, self._total + len(self._runs))


def _apply(source: str, edits: Sequence[_Edit]) -> str:
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


def _utf8_width(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _split_lines(text: str) -> list[tuple[str, str]]:
    """Split into ``(line, newline)`` pairs keeping the exact newline sequences."""
    parts: list[tuple[str, str]] = []
    start = 0
    for match in _NEWLINE.finditer(text):
        parts.append((text[start : match.start()], match.group()))
        start = match.end()
    parts.append((text[start:], ""))
    return parts


def _blank(text: str) -> str:
    """Turn code into whitespace of the same UTF-8 width and the same lines.

    A line break inside the removed code becomes a backslash continuation, which is legal
    between any two tokens, inside brackets or not.
    """
    out: list[str] = []
    for line, newline in _split_lines(text):
        spaces = " " * _utf8_width(line)
        if newline:
            spaces = spaces[:-1] + "\\"
        out.append(spaces + newline)
    return "".join(out)


def _parses_as_expression(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse("(" + text + "\n)", mode="eval")
        except (SyntaxError, ValueError):
            return False
    return True


class _EditCollector(cst.CSTVisitor):
    """Walk the libcst tree and record the text edits that lowering needs."""

    def __init__(
        self, source: str, positions: Mapping[cst.CSTNode, CodeRange], host: tuple[int, int]
    ) -> None:
        super().__init__()
        self._source = source
        self._positions = positions
        self._host = host
        self._line_starts = [0] + [m.end() for m in _NEWLINE.finditer(source)]
        self.edits: list[_Edit] = []

    # -- positions -------------------------------------------------------------------

    def _span(self, node: cst.CSTNode) -> tuple[int, int]:
        code_range = self._positions[node]
        return self._offset(code_range.start.line, code_range.start.column), self._offset(
            code_range.end.line, code_range.end.column
        )

    def _offset(self, line: int, column: int) -> int:
        return self._line_starts[line - 1] + column

    # -- except A, B: (3.14) and except* (3.11) --------------------------------------

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._lower_except(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        if self._host < (3, 11):
            start, _ = self._span(node)
            star = start + len("except") + len(node.whitespace_after_except.value)
            self.edits.append(_Edit(star, star + 1, " "))
        self._lower_except(node)

    def _lower_except(self, node: _AnyExcept) -> None:
        types = node.type
        if self._host >= (3, 14) or not isinstance(types, cst.Tuple) or types.lpar:
            return
        if node.name is not None:  # `except A, B as e:` is invalid even on 3.14
            return
        start, end = self._span(types)
        self.edits.append(self._open_paren(start))
        self.edits.extend(self._close_paren(end))

    def _open_paren(self, start: int) -> _Edit:
        if start > 0 and self._source[start - 1] in " \t":
            return _Edit(start - 1, start, "(")
        return _Edit(start, start, "(")

    def _close_paren(self, end: int) -> Iterator[_Edit]:
        """Insert ``)`` and, where a space allows, keep the rest of the line in place."""
        source = self._source
        if end < len(source) and source[end] in " \t":
            yield _Edit(end, end + 1, ")")
            return
        yield _Edit(end, end, ")")
        after_colon = end + 1
        if source.startswith(":", end) and source[after_colon : after_colon + 1] in (" ", "\t"):
            yield _Edit(after_colon, after_colon + 1, "")

    # -- match statements (3.10) -----------------------------------------------------

    def visit_Match(self, node: cst.Match) -> None:
        if self._host >= (3, 10):
            return
        self._lower_match_header(node)
        for index, case in enumerate(node.cases):
            self._lower_case_header(case, "elif" if index else "if")

    def _lower_match_header(self, node: cst.Match) -> None:
        """``match subject:`` -> ``if    subject:``, parenthesising a bare tuple subject."""
        start, _ = self._span(node)
        keyword_end = start + len("match")
        subject = node.subject
        if not isinstance(subject, cst.Tuple) or subject.lpar:
            self.edits.append(_Edit(start, keyword_end, "if   "))
            return
        self.edits.append(_Edit(start, keyword_end, "if  ("))  # `match` leaves room for `(`
        _, end = self._span(subject)
        self.edits.extend(self._close_paren(end))

    def _lower_case_header(self, case: cst.MatchCase, keyword: str) -> None:
        """``case pattern:`` -> ``elif 1:``; ``case pattern if guard:`` -> ``elif guard:``."""
        start, _ = self._span(case)
        if case.guard is None:
            end = self._find(self._span(case.pattern)[1], ":")
        else:
            end, _ = self._span(case.guard.lpar[0] if case.guard.lpar else case.guard)
        header = _name_over_blank(keyword, self._source[start:end])
        if case.guard is None:
            header = _with_neutral_condition(header, keyword)
        self.edits.append(_Edit(start, end, header))

    def _find(self, position: int, char: str) -> int:
        """The first ``char`` at or after ``position`` that is not inside a comment.

        For places where nothing else but brackets and blanks can come first: libcst's
        positions of expressions and patterns leave out their parentheses, and those
        may hold comments.
        """
        source = self._source
        while source[position] != char:
            comment = _COMMENT.match(source, position)
            position = comment.end() if comment else position + 1
        return position

    # -- PEP 695 / 696 type parameters and `type` statements (3.12, 3.13) -----------

    def visit_TypeParameters(self, node: cst.TypeParameters) -> bool:
        """Drop the defaults (3.13, PEP 696) for a 3.12 host, and never look further in.

        Older hosts lose the whole list (see ``_drop_type_parameters``).
        """
        if self._host == (3, 12):
            for parameter in node.params:
                self._drop_default(parameter)
        return False

    def _drop_default(self, parameter: cst.TypeParam) -> None:
        default = parameter.default
        if default is None:
            return
        start = self._find(self._span(parameter.param)[1], "=")
        _, end = self._span(default.rpar[-1] if default.rpar else default)
        self.edits.append(_Edit(start, end, _blank(self._source[start:end])))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._drop_type_parameters(node.type_parameters)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._drop_type_parameters(node.type_parameters)

    def _drop_type_parameters(self, parameters: cst.TypeParameters | None) -> None:
        if parameters is None or self._host >= (3, 12):
            return
        start, end = self._span(parameters)
        self.edits.append(_Edit(start, end, _blank(self._source[start:end])))

    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        if self._host >= (3, 12):
            return
        start, _ = self._span(node)
        value_start, _ = self._span(node.value)
        equals = self._source.rindex("=", start, value_start)
        removed = self._source[start:equals]
        self.edits.append(_Edit(start, equals, _name_over_blank(node.name.value, removed)))

    # -- f-strings (3.12, PEP 701) and t-strings (3.14, PEP 750) --------------------

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        if self._host < (3, 12):
            self._lower_string(node)
        return False

    def visit_TemplatedString(self, node: cst.TemplatedString) -> bool:
        if self._host < (3, 14):
            self._lower_string(node)
        return False

    def _lower_string(self, node: _AnyString) -> None:
        """Record the edits that make one f-string or t-string acceptable to the host.

        A t-string is first renamed to an f-string. Then fields that hit a PEP 701
        relaxation are neutralised; if the string still does not parse alone, every
        field is. The final parse of the whole file is the real check.
        """
        start, end = self._span(node)
        text = self._source[start:end]
        prefix_length = len(node.start.rstrip("'\""))
        old_prefix = node.start[:prefix_length]
        prefix = old_prefix.replace("t", "f").replace("T", "F")
        edits = [] if prefix == old_prefix else [_Edit(start, start + prefix_length, prefix)]
        if not _parses_as_expression(_relative_apply(text, start, edits)):
            shape = _StringShape(prefix, node.start[prefix_length:])
            fields = [part for part in node.parts if isinstance(part, _FIELD_TYPES)]
            chosen = [
                self._field_edit(field, shape, end)
                for field in fields
                if shape.needs_new_grammar(self._field_text(field))
            ]
            if not _parses_as_expression(_relative_apply(text, start, edits + chosen)):
                chosen = [self._field_edit(field, shape, end) for field in fields]
            edits += chosen
        self.edits.extend(edits)

    def _field_text(self, field: cst.CSTNode) -> str:
        start, end = self._span(field)
        return self._source[start:end]

    def _field_edit(self, field: cst.CSTNode, shape: _StringShape, string_end: int) -> _Edit:
        start, end = self._span(field)
        rest = self._source[end:string_end]
        return _Edit(start, end, shape.placeholder(self._source[start:end], rest))


_FIELD_TYPES = (cst.FormattedStringExpression, cst.TemplatedStringExpression)


def _relative_apply(text: str, origin: int, edits: Sequence[_Edit]) -> str:
    shifted = [_Edit(e.start - origin, e.end - origin, e.text) for e in edits]
    return _apply(text, shifted)


def _name_over_blank(name: str, removed: str) -> str:
    """Blank ``removed`` and write ``name`` where it began, keeping the lines.

    Used for ``type X[T] `` (``X`` goes where ``type`` began) and for ``case`` headers
    (``if`` or ``elif`` goes where ``case`` began).
    """
    blanked = _blank(removed)
    first_line = _split_lines(blanked)[0][0]
    room = len(first_line) - (1 if first_line.endswith("\\") else 0)
    return name + blanked[min(len(name), room) :]


def _with_neutral_condition(header: str, keyword: str) -> str:
    """Write ``1`` into the first blank column after ``keyword`` in a blanked case header.

    There is always one: a header on one line is at least ``case _`` wide, and a header
    over several lines keeps a blank column on the line of the pattern's last character
    (before its ``\\`` continuation) or on the line of the colon. When that column is on
    a later line, the backslash continuations join it to the keyword.
    """
    slot = header.index(" ", len(keyword) + 1)
    return header[:slot] + "1" + header[slot + 1 :]


@dataclass(frozen=True)
class _StringShape:
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
        return not self.triple and _NEWLINE.search(field) is not None

    def placeholder(self, field: str, rest: str) -> str:
        """Return ``{0}`` laid out over the same lines and widths as ``field``.

        ``rest`` is the string's text after the field, which decides how a single-quoted
        string continues after a multi-line field (see ``_restart``).
        """
        lines = _split_lines(field)
        if len(lines) == 1:
            return "{0" + " " * (_utf8_width(field) - 3) + "}"
        last_width = _utf8_width(lines[-1][0])
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
