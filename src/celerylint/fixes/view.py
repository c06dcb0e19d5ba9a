"""The one file a fix edits: its text, its ``ast`` and the mapping between positions.

Findings carry report positions (1-based rows, 1-based character columns). A builder
finds the node a finding points at by comparing spans computed exactly as the extractor
computes them, then turns positions into string offsets to slice and edit the text.
Rows follow Python's own line breaks (``\\r\\n``, ``\\r``, ``\\n``), so CRLF files map
the same way as LF files.
"""

from __future__ import annotations

import ast
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from celerylint.findings import Span
from celerylint.parsing.parse import ParseFailure, SourceDecodeError, decode_source, parse_python
from celerylint.parsing.source import SourceFile

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def newline_of(text: str) -> str:
    """The file's line ending: the first one it uses, ``\\n`` when it has none."""
    match = _LINE_BREAK.search(text)
    return match.group() if match else "\n"


def line_starts(text: str) -> list[int]:
    """Offset of the first character of every row."""
    return [0] + [match.end() for match in _LINE_BREAK.finditer(text)]


class FileView:
    """A parsed file, with lookups by report span."""

    def __init__(self, path: str, text: str, tree: ast.Module) -> None:
        self.path = path
        self.text = text
        self.tree = tree
        self.source = SourceFile(path, text)
        self.newline = newline_of(text)
        self._starts = line_starts(text)
        self._parents: dict[int, ast.AST] = {}

    def offset(self, row: int, column: int) -> int:
        """String offset of a report position; ValueError when it is outside the text."""
        if not 1 <= row <= len(self._starts):
            raise ValueError(f"row {row} is outside {self.path}")
        start = self._starts[row - 1]
        end = self._starts[row] if row < len(self._starts) else len(self.text)
        if not 1 <= column <= end - start + 1:
            raise ValueError(f"column {column} is outside row {row} of {self.path}")
        return start + column - 1

    def position(self, offset: int) -> tuple[int, int]:
        """Report position (row, column) of a string offset."""
        row = _row_of(self._starts, offset)
        return row, offset - self._starts[row - 1] + 1

    def span_offsets(self, span: Span) -> tuple[int, int]:
        return self.offset(span.row, span.column), self.offset(span.end_row, span.end_column)

    def slice(self, span: Span) -> str:
        start, end = self.span_offsets(span)
        return self.text[start:end]

    def line(self, row: int) -> str:
        """The text of a row, without its line break."""
        start = self._starts[row - 1]
        end = self._starts[row] if row < len(self._starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    @property
    def rows(self) -> int:
        return len(self._starts)

    def span_of(self, node: ast.AST) -> Span:
        """The report span of a node, as the extractor computes it."""
        return self.source.span(node)

    def nodes_at(self, span: Span) -> list[ast.AST]:
        """Every expression, statement or keyword node whose span is exactly `span`.

        Only the branches of the tree whose rows enclose the span are walked; the parents
        met on the way are remembered for `parent`.
        """
        found: list[ast.AST] = []
        pending: list[ast.AST] = [self.tree]
        while pending:
            node = pending.pop()
            for child in ast.iter_child_nodes(node):
                rows = _rows(child)
                if rows is not None and (rows[0] > span.row or rows[1] < span.end_row):
                    continue
                self._parents[id(child)] = node
                if isinstance(child, (ast.expr, ast.stmt, ast.keyword)) and (
                        self.span_of(child) == span):
                    found.append(child)
                pending.append(child)
        return found

    def parent(self, node: ast.AST) -> ast.AST | None:
        """The node that directly holds `node`, for nodes on the way to a node that
        `nodes_at` found (None for the module, and for nodes it never walked)."""
        return self._parents.get(id(node))


def _rows(node: ast.AST) -> tuple[int, int] | None:
    """First and last row of a node, decorators included; None for nodes without rows."""
    first = getattr(node, "lineno", None)
    if first is None:
        return None
    for decorator in getattr(node, "decorator_list", ()):
        first = min(first, decorator.lineno)
    return first, getattr(node, "end_lineno", None) or first


def _row_of(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low + 1


_CHECKED: dict[str, bytes] = {}


def load_view(root: Path, path: str) -> FileView | None:
    """The current content of a project file, parsed; None when it cannot be read or
    parsed (such a file is never fixed). What was read is remembered (`checked_digest`)
    so that edits are never applied to other content than they were computed on."""
    try:
        data = (root / path).read_bytes()
    except OSError:
        return None
    _CHECKED[path] = digest(data)
    return _view(path, data)


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def checked_digest(path: str) -> bytes | None:
    """The digest of the content fixes for the project file `path` were last computed on."""
    return _CHECKED.get(path)


@lru_cache(maxsize=16)
def _view(path: str, data: bytes) -> FileView | None:
    """Cached by content: the rules of one run ask for the same file several times, and a
    file rewritten by a fix round is read afresh."""
    try:
        text = decode_source(data)
    except SourceDecodeError:
        return None
    tree = parse_python(text, path)
    if isinstance(tree, ParseFailure):
        return None
    return FileView(path, text, tree)
