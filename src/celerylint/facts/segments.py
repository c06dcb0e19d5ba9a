"""The source text of a node, cut from the lines a `SourceFile` already holds.

`ast.get_source_segment` splits the whole text into lines again at every call, in a
character-by-character Python loop: quoting a few arguments of a large module cost more
than extracting all of its facts.
"""

from __future__ import annotations

import ast

from celerylint.parsing.source import SourceFile


def source_segment(source: SourceFile, node: ast.AST) -> str | None:
    """Exactly ``ast.get_source_segment(source.text, node)``."""
    row: int | None = getattr(node, "lineno", None)
    col: int | None = getattr(node, "col_offset", None)
    end_row: int | None = getattr(node, "end_lineno", None)
    end_col: int | None = getattr(node, "end_col_offset", None)
    if end_row is None or end_col is None or row is None or col is None:
        return None
    lines = source.lines
    if row == end_row:
        return lines[row - 1].encode()[col:end_col].decode()
    if "\r" in source.text:  # the segment keeps each line's own break: let `ast` cut it
        return ast.get_source_segment(source.text, node)
    first = lines[row - 1].encode()[col:].decode()
    last = lines[end_row - 1].encode()[:end_col].decode()
    return "\n".join([first, *lines[row:end_row - 1], last])
