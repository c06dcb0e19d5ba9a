"""The layout of one bracketed expression (a call's arguments, a dict, list, tuple or
set literal), and the two changes fixes make to it: add an item after another, drop items.

The expression's text is cut into pieces with ``tokenize``: the text up to the opening
bracket; for each item the whitespace before it (line breaks, indentation, comment lines),
the item, the text between the item and its comma, the comma; then the whitespace before
the closing bracket and the bracket. Joining the pieces gives the text back, character for
character, so a change rebuilds the text from the pieces it keeps and every space, comment
and line break it does not touch stays as it was. New items copy their neighbours' layout:
the separator before them (one item per line, or all on one line), the trailing-comma
habit, the spacing around ``=`` or ``:``. A comment ending an item's line stays on that
line; a change that would separate a comment from its subject gives up (returns None).

libcst could do the same, but importing it takes longer than checking a small project,
and every check computes every fix (JSON output shows them), so fixes are built from
tokens; libcst still parses files written in syntax newer than the running Python.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Collection
from dataclasses import dataclass, replace

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = frozenset(_OPEN.values())
_LAYOUT = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENDMARKER)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_PREFIX = re.compile(r"([A-Za-z]*)('''|\"\"\"|'|\")")


@dataclass(frozen=True)
class Token:
    """One token of an item: its type, text and offsets in the item's text."""

    type: int
    string: str
    start: int
    end: int


@dataclass(frozen=True)
class Item:
    """One argument or element: `lead` is the whitespace before it, `between` the text
    from its end to its comma, `comma` ``","`` or ``""``."""

    lead: str
    text: str
    between: str = ""
    comma: str = ""
    tokens: tuple[Token, ...] = ()

    def render(self) -> str:
        return f"{self.lead}{self.text}{self.between}{self.comma}"


@dataclass(frozen=True)
class Bracketed:
    """`head` (callee and opening bracket), the items, `tail` (whitespace after the last
    item or its comma) and `close` (the closing bracket, or nothing)."""

    head: str
    items: tuple[Item, ...]
    tail: str
    close: str

    def render(self) -> str:
        return self.head + "".join(i.render() for i in self.items) + self.tail + self.close


def parse(text: str, call: bool) -> Bracketed | None:
    """Cut a call (`call`) or a literal into pieces; None when the text is not one."""
    offsets = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]
    try:
        code = [
            Token(t.type, t.string, offsets[t.start[0] - 1] + t.start[1],
                  offsets[t.end[0] - 1] + t.end[1])
            for t in tokenize.generate_tokens(io.StringIO(text, newline="").readline)
            if t.type not in _LAYOUT
        ]
    except (tokenize.TokenError, SyntaxError, IndexError):
        return None
    if not code:
        return None
    bounds = _brackets(code, call)
    if bounds is None:
        return None
    first, last = bounds
    start = code[first].end if first is not None else 0
    end = code[last].start if last is not None else len(text)
    inner = code[first + 1:last] if first is not None else code
    found = _items(text, inner, start)
    if found is None:
        return None
    items, cursor = found
    return Bracketed(text[:start], tuple(items), text[cursor:end], text[end:])


def _brackets(code: list[Token], call: bool) -> tuple[int | None, int | None] | None:
    """Indexes of the brackets around the items: a call's last group, a literal's own
    brackets; (None, None) for a tuple written without parentheses."""
    if code[-1].type != tokenize.OP or code[-1].string not in _CLOSE:
        return None if call else (None, None)
    depth = 0
    for index in range(len(code) - 1, -1, -1):
        token = code[index]
        if token.type == tokenize.OP and token.string in _CLOSE:
            depth += 1
        elif token.type == tokenize.OP and token.string in _OPEN:
            depth -= 1
            if depth == 0:
                if call or index == 0:
                    return index, len(code) - 1
                return None if call else (None, None)
    return None


def _items(text: str, inner: list[Token], start: int) -> tuple[list[Item], int] | None:
    """The items between the brackets, and where the closing whitespace starts."""
    found: list[Item] = []
    cursor = start
    depth = 0
    current: list[Token] = []
    for token in [*inner, None]:
        at_comma = token is not None and depth == 0 and token.string == ","
        if token is not None and not at_comma:
            depth += (token.string in _OPEN) - (token.string in _CLOSE)
            current.append(token)
            continue
        if not current:
            return (found, cursor) if token is None else None
        first, last = current[0].start, current[-1].end
        tokens = tuple(replace(t, start=t.start - first, end=t.end - first) for t in current)
        if token is None:
            found.append(Item(text[cursor:first], text[first:last], tokens=tokens))
            return found, last
        found.append(Item(text[cursor:first], text[first:last], text[last:token.start], ",",
                          tokens))
        cursor = token.end
        current = []
    return found, cursor


# -- whitespace ------------------------------------------------------------------------


def has_comment(whitespace: str) -> bool:
    """Whitespace pieces hold only spaces, line breaks, backslashes and comments."""
    return "#" in whitespace


def plain(whitespace: str) -> str:
    """The same line break and indentation, without comments or blank lines."""
    lines = _LINE_BREAK.split(whitespace)
    newline = _LINE_BREAK.search(whitespace)
    return whitespace if newline is None else newline.group() + lines[-1]


def _first_line(whitespace: str) -> str:
    match = _LINE_BREAK.search(whitespace)
    return whitespace[:match.start()] if match else whitespace


def continued(whitespace: str, separator: str) -> str | None:
    """What follows an item whose line ends in `whitespace` when a new item comes next,
    placed `separator`-style: a comment ending the line stays there. None when the comment
    would need the new item on its line."""
    if not has_comment(whitespace):
        return separator
    first = _LINE_BREAK.search(whitespace)
    if first is None or _LINE_BREAK.search(separator) is None:
        return None
    return whitespace[:first.end()] + _LINE_BREAK.split(separator)[-1]


def separator(node: Bracketed, index: int) -> str:
    """What separates items here: the whitespace before item `index` (one space when the
    first item directly follows the bracket)."""
    lead = plain(node.items[index].lead)
    return " " if index == 0 and lead == "" else lead


# -- changes -----------------------------------------------------------------------------


def insert_after(node: Bracketed, index: int, text: str) -> Bracketed | None:
    """`node` with the item `text` right after item number `index`."""
    items = list(node.items)
    if not 0 <= index < len(items):
        return None
    if index < len(items) - 1:
        following = items[index + 1]
        items[index + 1] = replace(following, lead=plain(following.lead))
        items.insert(index + 1, Item(following.lead, text, "", ","))
        return replace(node, items=tuple(items))
    anchor = items[-1]
    after_anchor = continued(node.tail, separator(node, index))
    if after_anchor is None:
        return None
    items[-1] = replace(anchor, comma=",")
    items.append(Item(after_anchor, text, "", anchor.comma))
    tail = plain(node.tail) if has_comment(node.tail) else node.tail
    return replace(node, items=tuple(items), tail=tail)


def drop(node: Bracketed, chosen: Collection[int], replacement: str | None,
         keep_tuple: bool = False) -> Bracketed | None:
    """`node` without the items at the `chosen` indexes. When none would be left, the
    first chosen item's text becomes `replacement` (None: give up). `keep_tuple` keeps a
    one-item tuple a tuple (its trailing comma). A comment ending a dropped item's line
    would lose its subject: give up then."""
    items = node.items
    last = len(items) - 1
    for index in chosen:
        ending = items[index].between + (items[index + 1].lead if index < last else node.tail)
        if has_comment(_first_line(ending)):
            return None
    kept: list[Item] = []
    lead: str | None = None  # the whitespace before the first item of a dropped run
    for index, item in enumerate(items):
        if index in chosen:
            lead = item.lead if lead is None else lead
            continue
        if lead is not None and not has_comment(item.lead):
            item = replace(item, lead=lead)
        lead = None
        kept.append(item)
    if not kept:
        if replacement is None:
            return None
        first = items[min(chosen)]
        kept = [replace(first, lead=items[0].lead, text=replacement)]
    if last in chosen:
        kept[-1] = replace(kept[-1], comma=items[last].comma,
                           between=kept[-1].between if items[last].comma else "")
    if keep_tuple and len(kept) == 1 and not kept[0].comma:
        kept[0] = replace(kept[0], comma=",")
    return replace(node, items=tuple(kept))


# -- what an item is -------------------------------------------------------------------


def keyword_of(item: Item) -> str | None:
    """``name`` of a ``name=value`` argument."""
    tokens = item.tokens
    if len(tokens) > 2 and tokens[0].type == tokenize.NAME and tokens[1].string == "=":
        return tokens[0].string
    return None


def equals_of(item: Item) -> str:
    """The ``=`` of a keyword argument with the spaces around it (on one line)."""
    text = item.text[item.tokens[0].end:item.tokens[2].start]
    return text if _LINE_BREAK.search(text) is None else "="


def string_value(item: Item) -> str | None:
    """The value of an item that is one plain string literal (not an f-string, bytes, or
    an implicit concatenation)."""
    if len(item.tokens) != 1 or item.tokens[0].type != tokenize.STRING:
        return None
    if quote_of(item.text) is None:
        return None
    try:
        value = ast.literal_eval(item.text)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def quote_of(literal: str) -> tuple[str, str] | None:
    """(prefix, quote) of a str literal's text; None for bytes and f-strings."""
    match = _PREFIX.match(literal)
    if match is None or set(match.group(1).lower()) & {"b", "f", "t"}:
        return None
    return match.group(1), match.group(2)


def entry_key(item: Item) -> tuple[str, str, str] | None:
    """(key, the key's literal text, the colon with its spaces) of ``"key": value``."""
    tokens = item.tokens
    if len(tokens) < 3 or tokens[0].type != tokenize.STRING or tokens[1].string != ":":
        return None
    try:
        key = ast.literal_eval(tokens[0].string)
    except (ValueError, SyntaxError):
        return None
    colon = item.text[tokens[0].end:tokens[2].start]
    if not isinstance(key, str) or _LINE_BREAK.search(colon) is not None:
        return None
    return key, tokens[0].string, colon
