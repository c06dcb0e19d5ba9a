"""Lower the common 3.12 forms without libcst.

Importing libcst costs about 0.3 s, far more than checking a file, and most files in
newer syntax use only three 3.12 forms: generic ``def``/``class`` (PEP 695), ``type``
aliases, and f-strings whose fields reuse the string's quotes (PEP 701). For a host
before 3.12, this module finds those in the top-level statements the host parser
rejects, from :mod:`celerylint.parsing.quick_scan`'s reading of the characters, and asks
:mod:`celerylint.parsing.construct_edits` for the edits, as the libcst collector does
with the same positions; so whenever it answers, the edits are the libcst path's.
:func:`quick_file_edits` reads a whole file (the usual case: libcst is then never
imported); :func:`quick_edits` one statement, beside libcst for the others.

It answers only what it is sure of. Anything else raises :class:`Unsure` inside and
returns None: the scanner's doubts, a type parameter with a default or that is not a
plain name, ``type`` used after a compound statement's colon, an f-string inside a type
parameter list. Constructs it does not look for (``match``, ``except*``,
``except A, B``) stay in the text, so the final parse of the lowered statement fails and
libcst takes over; that parse is part of the contract.
"""

from __future__ import annotations

import ast
import bisect
import keyword
import warnings
from collections.abc import Callable, Iterator, Sequence

from celerylint.parsing.construct_edits import (
    Span,
    alias_edit,
    blanked,
    host_accepts,
    string_edits,
)
from celerylint.parsing.quick_scan import (
    COMMENT,
    NAME,
    NEWLINE,
    OP,
    STRING,
    Scanned,
    Token,
    Unsure,
    scan_text,
)
from celerylint.parsing.text_edits import Edit, apply_edits


def quick_file_edits(source: str, too_deep: Callable[[], bool]) -> list[Edit] | None:
    """The edits lowering the 3.12 forms of a whole file, for a host before 3.12; None
    when unsure or when there is nothing to lower.

    Unchecked: the caller parses the lowered file, and asks the libcst path when that
    fails. That parse checks every top-level statement at once, so no statement is
    parsed alone; and a statement the host accepts yields no edit here (it holds no
    generic definition or ``type`` statement, and each of its f-strings parses alone),
    so the result is the one lowering only the rejected statements gives.

    None too when ``too_deep`` (the libcst path's own check) says the file nests too
    deeply for libcst, so that such a file reads as it does on that path; it is only
    called when a cheap bound cannot rule that out (see ``_may_be_too_deep``).
    """
    try:
        scanned = scan_text(source)
        if _may_be_too_deep(source, scanned) and too_deep():
            return None
        return _Finder(source, scanned).edits() or None
    except Unsure:
        return None


def quick_edits(text: str) -> list[Edit] | None:
    """The edits lowering the 3.12 forms in one top-level statement that the running
    parser (before 3.12) rejects, checked to parse once lowered; None when unsure: what
    the quick path does not look for (``match``, ``except*``, ``except A, B``) or got
    wrong is left to libcst."""
    try:
        edits = _Finder(text, scan_text(text)).edits()
    except Unsure:
        return None
    if not edits or not host_accepts(apply_edits(text, edits)):
        return None
    return edits


_DEPTH_MARGIN = 800  # under lowering's limit of 1000: token counts differ a little
_CLOSING = frozenset({")", "]", "}"})


def _may_be_too_deep(text: str, scanned: Scanned) -> bool:
    """Whether ``lowering._scan`` might call the file too deep for libcst.

    The quick path never calls libcst, but a file that the libcst path refuses as too
    deep must read the same either way. That check tokenizes the whole file (about 10 ms
    per 1,000 lines), so this first bounds its estimate from above with the scanner's
    tokens. A logical line of ``n`` tokens cannot be estimated
    deeper than ``2n + 1``; only longer lines are followed token by token (see
    ``_line_depth``). Every ``elif`` of the file counts as consecutive, and a string as
    one token unless the host tokenizer may cut it up (see ``_host_token_count``).
    """
    if text.count("elif") > _DEPTH_MARGIN:
        return True
    tokens = scanned.tokens
    ends = [index for index, token in enumerate(tokens) if token.kind == NEWLINE]
    ends.append(len(tokens))
    sizes = [ends[0] + 1] + [after - before for before, after in zip(ends, ends[1:])]
    newline_offsets = [tokens[index].start for index in ends[:-1]]
    for fstring in scanned.fstrings:
        start, end = fstring.span
        line = bisect.bisect_left(newline_offsets, start)
        sizes[line] += _host_token_count(text[start:end]) - 1
    starts = [0] + [index + 1 for index in ends[:-1]]
    return any(2 * size + 1 > _DEPTH_MARGIN
               and _line_depth(text, tokens[start : end]) > _DEPTH_MARGIN
               for size, start, end in zip(sizes, starts, ends))


def _line_depth(text: str, tokens: Sequence[Token]) -> int:
    """``lowering._DepthGauge``'s estimate for one logical line, from the scanner's
    tokens: chained tokens summed over the open brackets, plus their number."""
    runs, total, deepest = [0], 0, 0
    for token in tokens:
        word = text[token.start : token.end]
        if token.kind == OP and word in _CLOSING:
            total -= runs.pop() if len(runs) > 1 else 0
        elif token.kind == OP and word in (",", ";"):
            total -= runs[-1]
            runs[-1] = 0
        elif token.kind != COMMENT:
            weight = _host_token_count(word) if token.kind == STRING else 1
            runs[-1] += weight
            total += weight
            if token.kind == OP and word in ("(", "[", "{"):
                runs.append(0)
            deepest = max(deepest, total + len(runs))
    return deepest


def _host_token_count(string: str) -> int:
    """At most how many tokens the host tokenizer reads in ``string``: one, unless it is
    an f-string holding its quote character (PEP 701), which that tokenizer cuts up."""
    body = string.lstrip("rRbBuUfF")
    if "f" not in string[: len(string) - len(body)].lower():
        return 1
    return 2 * len(string) if body[0] in body.strip(body[0]) else 1


class _Finder:
    """Walk the scanned tokens for generic definitions, ``type`` statements and
    f-strings."""

    def __init__(self, text: str, scanned: Scanned) -> None:
        self._text = text
        self._scanned = scanned
        # Type parameter lists and alias headers, blanked with what they hold; found in
        # token order, so sorted and disjoint.
        self._removed: list[Span] = []

    def edits(self) -> list[Edit]:
        edits = list(self._definition_edits())
        for fstring in self._scanned.fstrings:
            if self._inside_removed(fstring.span[0]):
                raise Unsure  # libcst never looks inside type parameters
            edits += string_edits(self._text, fstring.span, fstring.prefix_length,
                                  fstring.fields)
        return edits

    def _inside_removed(self, offset: int) -> bool:
        index = bisect.bisect_right(self._removed, (offset, len(self._text) + 1))
        return index > 0 and offset < self._removed[index - 1][1]

    def _definition_edits(self) -> Iterator[Edit]:
        tokens = self._scanned.tokens
        line_start = True
        for index, token in enumerate(tokens):
            if token.kind == NEWLINE:
                line_start = True
                continue
            if token.kind == COMMENT:
                continue
            word, at_start = self._word(token), line_start
            line_start = token.kind == OP and token.depth == 0 and word == ";"
            if token.kind != NAME or word not in ("def", "class", "type"):
                continue
            name = self._next(index)
            if word == "type":
                if name is None or not self._is_name(tokens[name]):
                    continue  # `type` as a plain name: `type(x)`, `type = 1`
                if not at_start:
                    raise Unsure  # `class C: type X = int`, or invalid text
                yield self._alias(token, name)
            else:
                if name is None or not self._is_name(tokens[name]):
                    raise Unsure
                yield from self._definition_parameters(word, name)

    def _definition_parameters(self, word: str, name: int) -> Iterator[Edit]:
        """``def f[T](...)`` / ``class C[T](...):`` lose the list; others are left alone."""
        opener = self._next(name)
        if opener is None or self._word(self._scanned.tokens[opener]) != "[":
            return
        closer = self._type_parameters(opener)
        after = self._next(closer)
        follows = "" if after is None else self._word(self._scanned.tokens[after])
        if follows not in (("(",) if word == "def" else ("(", ":")):
            raise Unsure
        yield self._blank_parameters(opener, closer)

    def _alias(self, keyword_token: Token, name: int) -> Edit:
        """``type X[T] = value`` -> ``X = value`` (see ``alias_edit``)."""
        tokens = self._scanned.tokens
        equals = self._next(name)
        if equals is not None and self._word(tokens[equals]) == "[":
            equals = self._next(self._type_parameters(equals))
        if equals is None or self._word(tokens[equals]) != "=":
            raise Unsure
        self._check_value(equals)
        self._removed.append((keyword_token.start, tokens[equals].start))
        name_text = self._word(tokens[name])
        return alias_edit(self._text, keyword_token.start, tokens[equals].end, name_text)

    def _check_value(self, equals: int) -> None:
        """The value must be one expression (``type X = a, b`` is invalid, ``X = a, b``
        is not), and no comment may come before its first token: libcst's position of a
        parenthesised value leaves the parentheses out, and its edit ends at the last
        ``=`` before that position."""
        tokens = self._scanned.tokens
        end = equals + 1
        while end < len(tokens) and not self._ends_line(tokens[end]):
            end += 1
        value = [token for token in tokens[equals + 1 : end] if token.kind != COMMENT]
        if not value:
            raise Unsure
        first_word = next((t for t in tokens[equals + 1 : end] if self._word(t) != "("), None)
        if first_word is None or first_word.kind == COMMENT:
            raise Unsure
        if not _is_expression(self._text[value[0].start : value[-1].end]):
            raise Unsure

    def _type_parameters(self, opener: int) -> int:
        """Check the list opened at token ``opener`` holds only plain parameters (``T``,
        ``T: bound``, ``*Ts``, ``**P``; no defaults) and return its closer's index."""
        closer = self._scanned.closers[opener]
        inside = [t for t in self._scanned.tokens[opener + 1 : closer] if t.kind != COMMENT]
        depth = self._scanned.tokens[opener].depth + 1
        parameters: list[list[Token]] = [[]]
        for token in inside:
            if token.depth == depth and self._word(token) == ",":
                parameters.append([])
            else:
                parameters[-1].append(token)
        if not parameters[-1] and len(parameters) > 1:
            parameters.pop()  # a trailing comma
        for parameter in parameters:
            self._check_parameter(parameter)
        return closer

    def _check_parameter(self, tokens: Sequence[Token]) -> None:
        """``T``, ``*Ts``, ``**P`` or ``T: bound``; anything else (a default) is unsure."""
        if len(tokens) == 1 and self._is_name(tokens[0]):
            return
        if len(tokens) == 2 and self._word(tokens[0]) in ("*", "**") and self._is_name(tokens[1]):
            return
        bounded = len(tokens) > 2 and self._is_name(tokens[0]) and self._word(tokens[1]) == ":"
        if not (bounded and _is_expression(self._text[tokens[2].start : tokens[-1].end])):
            raise Unsure

    def _blank_parameters(self, opener: int, closer: int) -> Edit:
        span = (self._scanned.tokens[opener].start, self._scanned.tokens[closer].end)
        self._removed.append(span)
        return blanked(self._text, *span)

    # -- tokens ----------------------------------------------------------------------

    def _word(self, token: Token) -> str:
        return self._text[token.start : token.end]

    def _is_name(self, token: Token) -> bool:
        word = self._word(token)
        return token.kind == NAME and word.isidentifier() and not keyword.iskeyword(word)

    def _next(self, index: int) -> int | None:
        """The index of the next token that is not a comment, within the logical line."""
        tokens = self._scanned.tokens
        for following in range(index + 1, len(tokens)):
            if tokens[following].kind == NEWLINE:
                return None
            if tokens[following].kind != COMMENT:
                return following
        return None

    def _ends_line(self, token: Token) -> bool:
        return token.kind == NEWLINE or (
            token.kind == OP and token.depth == 0 and self._word(token) == ";")


def _is_expression(text: str) -> bool:
    """Whether ``text`` is one ``expression`` of the grammar, as a type parameter's bound
    and a ``type`` statement's value must be: an annotation is one too, so it must make
    ``def _(_: text): pass`` a function of one plain annotated parameter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse("def _(_: " + text + "\n): pass")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return False
    function = tree.body[0]
    arguments = function.args
    return (len(arguments.args) == 1 and not arguments.posonlyargs and not arguments.defaults
            and arguments.vararg is None and not arguments.kwonlyargs
            and arguments.kwarg is None and function.returns is None
            and not function.decorator_list and len(function.body) == 1)
