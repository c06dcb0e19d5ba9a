"""A parsed source file and the conversion of `ast` positions to report positions.

`ast` counts columns in UTF-8 bytes; reports count characters. Most lines are ASCII, so
the conversion only decodes a line when it holds other characters.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from celerylint.findings import Span

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
Position = tuple[int, int]  # (lineno, col_offset) as ast counts them


def split_lines(text: str) -> list[str]:
    """Lines as Python counts them (\\n, \\r\\n, \\r), so rows match `ast` rows."""
    return _LINE_BREAK.split(text)


def node_start(node: ast.AST) -> Position:
    """Where `node` starts, in ast's own units (for ordering nodes, not for reports)."""
    return (int(getattr(node, "lineno", 0)), int(getattr(node, "col_offset", 0)))


def node_end(node: ast.AST) -> Position:
    """Where `node` ends, in ast's own units; its start when the tree has no end."""
    row = getattr(node, "end_lineno", None)
    col = getattr(node, "end_col_offset", None)
    return node_start(node) if row is None or col is None else (int(row), int(col))


@dataclass
class SourceFile:
    """One Python file: its project-relative path, text and lines."""

    path: str
    text: str

    def __post_init__(self) -> None:
        # Python's own line breaks only: str.splitlines() also splits on \f and \x1c-\x1e,
        # which would shift every later row against the rows `ast` reports.
        self.lines: list[str] = split_lines(self.text)

    def char_column(self, row: int, byte_offset: int) -> int:
        """1-based character column of a 0-based UTF-8 byte offset on a 1-based row."""
        if row < 1 or row > len(self.lines):
            return byte_offset + 1
        line = self.lines[row - 1]
        if line.isascii():
            return byte_offset + 1
        return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1

    def span(self, node: ast.AST) -> Span:
        """The report span of an `ast` node (expression or statement)."""
        row = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        end_row = getattr(node, "end_lineno", None) or row
        end_col = getattr(node, "end_col_offset", None)
        if end_col is None:
            end_col = col
        return Span(
            row,
            self.char_column(row, col),
            end_row,
            self.char_column(end_row, end_col),
        )
