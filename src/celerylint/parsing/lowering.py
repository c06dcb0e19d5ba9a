"""Rewrite syntax newer than the host interpreter into text the host's ``ast`` accepts.

celerylint extracts facts with :mod:`ast`, whose grammar is the grammar of the Python that
runs celerylint. Audited projects already use newer syntax, so when ``ast.parse`` fails,
the newer constructs are located and only their text is edited. The quick path
(:mod:`celerylint.parsing.quick_lowering`: generic definitions, ``type`` aliases and
PEP 701 f-strings, on a host before 3.12, without importing libcst) first reads the
whole file (:func:`quick_lowered`); when it is unsure or its result does not parse,
:func:`lower_source` takes each top-level statement the host rejects to the quick path
when it is sure of it, else to libcst (:mod:`celerylint.parsing.cst_lowering`, which
knows Python 3.0-3.14 whatever the host). Both compute the edits with
:mod:`celerylint.parsing.construct_edits`, so they agree. What is lowered:

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

``CELERYLINT_NO_QUICK_LOWERING=1`` sends every rejected statement to libcst, so tests can
show both paths give the same output.
"""

from __future__ import annotations

import io
import os
import sys
import tokenize
from collections.abc import Sequence
from typing import NamedTuple

from celerylint.parsing.construct_edits import host_accepts
from celerylint.parsing.quick_lowering import quick_edits, quick_file_edits
from celerylint.parsing.text_edits import NEWLINE, Edit, apply_edits, shifted

#: Set to any value, this environment variable turns the quick path off, so that every
#: rejected statement goes to libcst (tests and the corpus check compare both ways).
NO_QUICK_LOWERING_ENV = "CELERYLINT_NO_QUICK_LOWERING"


def lower_source(source: str, host: tuple[int, int], by_statement: bool = True) -> str | None:
    """Return ``source`` with the constructs newer than ``host`` lowered.

    ``host`` is the ``(major, minor)`` version whose grammar the result must fit; only the
    constructs that grammar lacks are touched, so a 3.12 host keeps its f-strings intact.
    Whether an f-string needs lowering is asked of the running parser, so for f-strings
    ``host`` must be the running version: a 3.12+ parser accepts them all.
    Returns None when libcst cannot read the text either (a real syntax error), when the
    text nests too deeply to hand to libcst (see ``_scan``) or when there is
    nothing to lower, so the caller can report the original error at once.

    ``by_statement`` (for the running version only) hands the quick path or libcst just
    the top-level statements the running parser rejects (see ``_edits_by_statement``);
    False reads the whole file with libcst, as every other host needs.
    """
    scan = _scan(source)
    if scan.too_deep:
        return None
    edits = None
    if by_statement and scan.starts is not None and host == sys.version_info[:2]:
        edits = _edits_by_statement(source, scan.starts, host)
    if edits is None:
        edits = _cst_edits(source, host)
    return apply_edits(source, edits) if edits else None


def quick_lowered(source: str) -> str | None:
    """``source`` lowered for the running version by the quick path alone, unchecked; None
    when the quick path is unsure, switched off, or the host needs none of its forms.

    The caller parses the result, and calls :func:`lower_source` when that fails (see
    :func:`celerylint.parsing.quick_lowering.quick_file_edits`): one parse of the file,
    and no libcst, for the usual file in 3.12 syntax.
    """
    host = (sys.version_info[0], sys.version_info[1])
    if not _quick_allowed(host):
        return None
    edits = quick_file_edits(source, lambda: _scan(source).too_deep)
    return apply_edits(source, edits) if edits else None


def _cst_edits(source: str, host: tuple[int, int]) -> list[Edit] | None:
    from celerylint.parsing.cst_lowering import cst_edits  # imports libcst: only when needed

    return cst_edits(source, host)


def _edits_by_statement(source: str, starts: Sequence[int], host: tuple[int, int]
                        ) -> list[Edit] | None:
    """The edits lowering the top-level statements that the running parser rejects.

    libcst costs about a millisecond per line (parse, positions, visit): read whole, a
    1,000-line file took 0.85 s to lower for a handful of newer constructs. Every edit
    stays inside the statement that holds its construct, and a statement the running
    parser accepts holds no construct newer than it, so each rejected statement is lowered
    alone and its edits shifted by where it starts: by the quick path when it is sure,
    else by libcst. None when libcst cannot read one of them: then the whole file is
    asked, so a failure reads exactly as before.
    """
    edits: list[Edit] = []
    bounds = [*starts, len(source)]
    for start, end in zip(bounds, bounds[1:]):
        text = source[start:end]
        if host_accepts(text):
            continue
        found = _quick_edits(text, host)
        if found is None and len(starts) > 1:  # else the caller asks libcst for the file
            found = _cst_edits(text, host)
        if found is None:
            return None
        edits.extend(shifted(found, start))
    return edits


def _quick_edits(text: str, host: tuple[int, int]) -> list[Edit] | None:
    """The quick path's edits for one rejected statement (see
    :mod:`celerylint.parsing.quick_lowering`); None sends it to libcst."""
    return quick_edits(text) if _quick_allowed(host) else None


def _quick_allowed(host: tuple[int, int]) -> bool:
    """The quick path lowers for hosts before 3.12 only, unless switched off."""
    return host < (3, 12) and not os.environ.get(NO_QUICK_LOWERING_ENV)


_MAX_DEPTH = 1000
_TOO_MANY_BRACKETS = "too many nested parentheses"


class _Scan(NamedTuple):
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
    line_starts = [0] + [m.end() for m in NEWLINE.finditer(source)]
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
