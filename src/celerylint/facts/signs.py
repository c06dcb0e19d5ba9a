"""Finding the signs of a fact in a module's text, literals first.

Collectors look at the text before walking a tree: a scope whose text shows no sign of
what a collector wants is never visited. A regex that opens with ``\\b`` or with an
alternation cannot be searched for by its first character, so Python's `re` tries it at
every position of the text, which made these searches as costly as the walks they save.
Every such sign here names the literals its matches begin with: the regex runs only
where one of them is, and finds exactly the matches `finditer` finds (its ``\\b`` still
sees the character before, since `Pattern.match` at a position looks behind it).

A sign made of several branches finds what `finditer` of their alternation (in that
order) finds: each branch lists every position where it matches, then, in the order of
the text, a match hides every later one that starts inside it, and at one position the
first branch wins, as in the alternation.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

Span = tuple[int, int]  # offsets in the text, end exclusive


# Set, every sign is searched for with its plain regex (the alternation of its branches)
# at every position, as before literals came first: the reference the tests compare with.
NO_LITERALS = "CELERYLINT_NO_LITERAL_SIGNS"


@dataclass(frozen=True)
class Branch:
    """A regex, and the literals every match of it begins with; none when the regex
    itself opens with a literal (`re` then scans for it quickly)."""

    regex: re.Pattern[str]
    starts: tuple[str, ...] = ()

    def spans(self, text: str) -> list[Span]:
        """The span of its match at every position where the regex matches, in order
        (overlapping ones included)."""
        if not self.starts:
            found: list[Span] = []
            match = self.regex.search(text)
            while match is not None:
                found.append(match.span())
                match = self.regex.search(text, match.start() + 1)
            return found
        positions = {at for literal in self.starts for at in _occurrences(text, literal)}
        return [match.span() for match in (self.regex.match(text, at) for at in sorted(positions))
                if match is not None]


# A sign: the branches of an alternation, in order.
Sign = tuple[Branch, ...]


def sign(pattern: str, *starts: str) -> Sign:
    """A one-branch sign: `pattern`, whose matches begin with one of `starts`."""
    return (Branch(re.compile(pattern), starts),)


def spans(text: str, branches: Sign) -> list[Span]:
    """The spans `finditer` of the alternation of `branches` finds, in order."""
    if os.environ.get(NO_LITERALS):
        return [match.span() for match in _alternation(branches).finditer(text)]
    candidates = sorted((span[0], order, span[1]) for order, branch in enumerate(branches)
                        for span in branch.spans(text))
    found: list[Span] = []
    end = 0
    for start, _, stop in candidates:
        if start >= end:
            found.append((start, stop))
            end = stop
    return found


@cache
def _alternation(branches: Sign) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{branch.regex.pattern})" for branch in branches))


def line_matches(text: str, literal: str, regex: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """The matches of `regex` at the start of each line that holds `literal`: all those
    of a MULTILINE regex opening with ``^`` that never crosses a line break and whose
    every match holds `literal`, without trying it on every line."""
    line = -1
    for at in _occurrences(text, literal):
        start = text.rfind("\n", 0, at) + 1
        if start != line:
            line = start
            match = regex.match(text, start)
            if match is not None:
                yield match


def _occurrences(text: str, literal: str) -> list[int]:
    found: list[int] = []
    at = text.find(literal)
    while at >= 0:
        found.append(at)
        at = text.find(literal, at + 1)
    return found


class Rows:
    """The 1-based rows (as `ast` counts them: ``\\n``, ``\\r\\n`` and ``\\r`` end a line)
    of the first and last character of each of some spans, for asking which of them lie
    within a range of rows."""

    def __init__(self, text: str, found: list[Span]) -> None:
        self.first: list[int] = []
        self.last: list[int] = []
        row, counted = 1, 0
        crlf = "\r" in text
        for start, stop in found:  # no span starts or ends inside a line break
            row += _breaks(text, counted, start, crlf)
            self.first.append(row)
            last = row + _breaks(text, start, stop - 1, crlf)
            self.last.append(last)
            row, counted = last, stop - 1

    def __bool__(self) -> bool:
        return bool(self.first)

    def within(self, first: int, last: int) -> bool:
        """Whether some span lies wholly in rows `first` to `last`: the earliest span
        starting there does if any does, since spans do not overlap."""
        index = bisect_left(self.first, first)
        return index < len(self.first) and self.last[index] <= last


def _breaks(text: str, start: int, stop: int, crlf: bool) -> int:
    """Line breaks in ``text[start:stop]``."""
    count = text.count("\n", start, stop)
    if crlf:
        count += text.count("\r", start, stop) - text.count("\r\n", start, stop)
    return count
