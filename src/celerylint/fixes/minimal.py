"""The smallest edit between two versions of a piece of text.

Builders print a whole expression again after changing it; what a fix should carry is
only the part that differs, placed where a person would put it: between tokens, with a
leading comma, or as whole lines.
"""

from __future__ import annotations

import io
import re
import tokenize

from celerylint.findings import Edit, Span
from celerylint.fixes.view import FileView, line_starts


def minimal_edit(view: FileView, start: int, old: str, new: str) -> Edit | None:
    """The one edit that turns `old` (the text at offset `start`) into `new`, with the
    common head and tail left out; None when nothing changes.

    A pure insertion or deletion can often sit at several places (inserting ``, b=2``
    after ``a=1`` or ``b=2, `` before the next argument); the one chosen starts and ends
    between tokens, and reads best: a leading comma, else whole lines.
    """
    if old == new:
        return None
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    removed = old[head:len(old) - tail]
    added = new[head:len(new) - tail]
    if not (removed and added):
        head, segment = _best_rotation(old, head, removed or added, bool(removed))
        if removed:
            removed = segment
        else:
            added = segment
    first = start + head
    last = first + len(removed)
    return Edit(added, Span(*view.position(first), *view.position(last)))


def _best_rotation(old: str, at: int, segment: str, deleting: bool) -> tuple[int, str]:
    """Among the equivalent places of a pure insertion/deletion, the best one."""
    places = [(at, segment)]
    while at > 0 and old[at - 1] == segment[-1]:
        at -= 1
        segment = old[at] + segment[:-1]
        places.append((at, segment))
    inside = _inside_tokens(old)
    fitting = [(p, s) for p, s in places
               if p not in inside and (not deleting or p + len(s) not in inside)]
    for wanted in (_leading_comma, _whole_lines):
        for place, text in fitting:
            if wanted(old, place, text):
                return place, text
    return fitting[0] if fitting else places[0]


def _leading_comma(old: str, place: int, text: str) -> bool:
    return text.startswith(",")


def _whole_lines(old: str, place: int, text: str) -> bool:
    starts_line = place == 0 or old[place - 1] in "\r\n"
    return starts_line and text.endswith(("\n", "\r"))


def _inside_tokens(text: str) -> set[int]:
    """Offsets strictly inside a token (and inside a ``\\r\\n``) of `text`."""
    starts = line_starts(text)
    inside = {m.start() + 1 for m in re.finditer("\r\n", text)}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text, newline="").readline):
            begin = starts[token.start[0] - 1] + token.start[1]
            end = starts[token.end[0] - 1] + token.end[1] if token.end[0] <= len(starts) else begin
            inside.update(range(begin + 1, end))
    except (tokenize.TokenError, SyntaxError, IndexError):
        pass
    return inside
