"""Find the constructs to lower with libcst, which reads Python 3.0-3.14 whatever the host.

This is the general path of :mod:`celerylint.parsing.lowering`: it knows every construct
listed there, and costs the import of libcst (about 0.3 s) plus about a millisecond per
line. The edits themselves are computed by :mod:`celerylint.parsing.construct_edits`,
shared with the quick path, or here for the constructs only this path lowers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Union

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from celerylint.parsing.construct_edits import Span, alias_edit, blanked, string_edits
from celerylint.parsing.text_edits import NEWLINE, Edit, name_over_blank

_COMMENT = re.compile(r"#[^\r\n]*")
_AnyString = Union[cst.FormattedString, cst.TemplatedString]
_AnyExcept = Union[cst.ExceptHandler, cst.ExceptStarHandler]
_FIELD_TYPES = (cst.FormattedStringExpression, cst.TemplatedStringExpression)


def cst_edits(source: str, host: tuple[int, int]) -> list[Edit] | None:
    """The edits lowering ``source``; None when libcst cannot read or walk it."""
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


class _EditCollector(cst.CSTVisitor):
    """Walk the libcst tree and record the text edits that lowering needs."""

    def __init__(
        self, source: str, positions: Mapping[cst.CSTNode, CodeRange], host: tuple[int, int]
    ) -> None:
        super().__init__()
        self._source = source
        self._positions = positions
        self._host = host
        self._line_starts = [0] + [m.end() for m in NEWLINE.finditer(source)]
        self.edits: list[Edit] = []

    # -- positions -------------------------------------------------------------------

    def _span(self, node: cst.CSTNode) -> Span:
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
            self.edits.append(Edit(star, star + 1, " "))
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

    def _open_paren(self, start: int) -> Edit:
        if start > 0 and self._source[start - 1] in " \t":
            return Edit(start - 1, start, "(")
        return Edit(start, start, "(")

    def _close_paren(self, end: int) -> Iterator[Edit]:
        """Insert ``)`` and, where a space allows, keep the rest of the line in place."""
        source = self._source
        if end < len(source) and source[end] in " \t":
            yield Edit(end, end + 1, ")")
            return
        yield Edit(end, end, ")")
        after_colon = end + 1
        if source.startswith(":", end) and source[after_colon : after_colon + 1] in (" ", "\t"):
            yield Edit(after_colon, after_colon + 1, "")

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
            self.edits.append(Edit(start, keyword_end, "if   "))
            return
        self.edits.append(Edit(start, keyword_end, "if  ("))  # `match` leaves room for `(`
        _, end = self._span(subject)
        self.edits.extend(self._close_paren(end))

    def _lower_case_header(self, case: cst.MatchCase, keyword: str) -> None:
        """``case pattern:`` -> ``elif 1:``; ``case pattern if guard:`` -> ``elif guard:``."""
        start, _ = self._span(case)
        if case.guard is None:
            end = self._find(self._span(case.pattern)[1], ":")
        else:
            end, _ = self._span(case.guard.lpar[0] if case.guard.lpar else case.guard)
        header = name_over_blank(keyword, self._source[start:end])
        if case.guard is None:
            header = _with_neutral_condition(header, keyword)
        self.edits.append(Edit(start, end, header))

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
        self.edits.append(blanked(self._source, start, end))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._drop_type_parameters(node.type_parameters)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._drop_type_parameters(node.type_parameters)

    def _drop_type_parameters(self, parameters: cst.TypeParameters | None) -> None:
        if parameters is None or self._host >= (3, 12):
            return
        self.edits.append(blanked(self._source, *self._span(parameters)))

    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        if self._host >= (3, 12):
            return
        start, _ = self._span(node)
        value_start, _ = self._span(node.value)
        self.edits.append(alias_edit(self._source, start, value_start, node.name.value))

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
        """Record the edits that make one f-string or t-string acceptable to the host."""
        fields = [self._span(part) for part in node.parts if isinstance(part, _FIELD_TYPES)]
        prefix_length = len(node.start.rstrip("'\""))
        self.edits.extend(string_edits(self._source, self._span(node), prefix_length, fields))


def _with_neutral_condition(header: str, keyword: str) -> str:
    """Write ``1`` into the first blank column after ``keyword`` in a blanked case header.

    There is always one: a header on one line is at least ``case _`` wide, and a header
    over several lines keeps a blank column on the line of the pattern's last character
    (before its ``\\`` continuation) or on the line of the colon. When that column is on
    a later line, the backslash continuations join it to the keyword.
    """
    slot = header.index(" ", len(keyword) + 1)
    return header[:slot] + "1" + header[slot + 1 :]
