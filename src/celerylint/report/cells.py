"""Where a character of a source line lands on a terminal, so the ``^^^`` under an
excerpt sits under the text it marks.

Finding columns count characters; a terminal counts cells: an East Asian wide character
or an emoji takes two, a combining accent none, and a tab runs to the next tab stop. The
excerpt shows tabs as spaces (the terminal's own tab stops would not match the gutter's
offset) and the marker is placed by cells, never by characters."""

from __future__ import annotations

from dataclasses import dataclass

TAB_SIZE = 4


@dataclass(frozen=True)
class DisplayLine:
    """A source line as shown (`text`) and the cell where each character starts
    (`starts`, one more entry for the end of the line)."""

    text: str
    starts: tuple[int, ...]

    def cell(self, column: int) -> int:
        """The cell (0-based) where the 1-based character `column` starts; past the end
        of the line, the cell after its last character."""
        index = min(max(column - 1, 0), len(self.starts) - 1)
        return self.starts[index]

    @property
    def width(self) -> int:
        """The cells the whole line takes."""
        return self.starts[-1]


def display_line(line: str) -> DisplayLine:
    """`line` with tabs expanded to the next multiple of ``TAB_SIZE`` cells and, per
    character, the cell where it starts."""
    from rich.cells import cell_len  # rich loads only where text is rendered

    parts: list[str] = []
    starts: list[int] = []
    cell = 0
    for char in line:
        starts.append(cell)
        if char == "\t":
            width = TAB_SIZE - cell % TAB_SIZE
            parts.append(" " * width)
        else:
            width = cell_len(char)
            parts.append(char)
        cell += width
    starts.append(cell)
    return DisplayLine("".join(parts), tuple(starts))
