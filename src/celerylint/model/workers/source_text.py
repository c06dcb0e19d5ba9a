"""A process file's text with its line table.

Every reader reports words as offsets into the file's text, while findings need 1-based
rows and columns and the line-oriented formats (Procfile, systemd, supervisord, Dockerfile)
walk the text line by line. This class holds both views, so no reader converts by hand.
"""

from __future__ import annotations

from bisect import bisect_right


class SourceText:
    """A file's text (newlines already `\\n`) with the offset where each line starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.starts: list[int] = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line) + 1

    def offset(self, row: int, column: int) -> int:
        """Offset of a 0-based (row, column)."""
        return self.starts[row] + column

    def line_end(self, row: int) -> int:
        """Offset of the end of a 0-based row, before its newline."""
        return self.offset(row, len(self.lines[row]))

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (row, column) of an offset."""
        row = bisect_right(self.starts, offset) - 1
        return row + 1, offset - self.starts[row] + 1

    def continued_rows(self, row: int, skip_comments: bool) -> int:
        """Last row of a logical line continued with trailing backslashes.

        Dockerfiles and systemd drop comment lines inside a continuation, so those neither
        end it nor need a backslash of their own.
        """
        lines = self.lines
        while lines[row].rstrip().endswith("\\") and row + 1 < len(lines):
            row += 1
            while (skip_comments and row + 1 < len(lines)
                   and lines[row].lstrip().startswith(("#", ";"))):
                row += 1
        return row
