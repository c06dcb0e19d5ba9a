"""Concrete edits of one file: replace a string literal, drop entries of a literal list,
add a setting or a task option beside a related one, remove dead noqa codes.

Every builder starts from a report span (where a finding or its provenance points),
finds the node there with ``FileView``, and returns exact edits, or None when the code is
not in a shape it can change without guessing (then the finding simply has no fix).
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from celerylint.engine.noqa import NoqaCode, NoqaComment
from celerylint.findings import Edit, Span
from celerylint.fixes import brackets
from celerylint.fixes.minimal import minimal_edit
from celerylint.fixes.view import FileView

_SIMPLE_STRING = re.compile(r"([A-Za-z]*)('''|\"\"\"|'|\")(.*)\2", re.DOTALL)

PlaceKind = Literal["keyword", "entry", "name", "attribute", "subscript"]


# -- literals ------------------------------------------------------------------------


def replace_string(view: FileView, span: Span, old: str, new: str) -> Edit | None:
    """Replace the one string literal ``old`` inside `span` by ``new``, keeping its
    quotes and prefix. The span may be the literal itself or an expression holding it,
    such as the default of ``os.environ.get("X", "pickle")``."""
    literals = [node for node in _nodes_within(view, span)
                if isinstance(node, ast.Constant) and node.value == old]
    if len(literals) != 1:
        return None
    literal_span = view.span_of(literals[0])
    match = _SIMPLE_STRING.fullmatch(view.slice(literal_span))
    if match is None or match.group(3) != old or "b" in match.group(1).lower():
        return None
    start = view.offset(literal_span.row, literal_span.column) + match.start(3)
    return Edit(new, Span(*view.position(start), *view.position(start + len(old))))


def _nodes_within(view: FileView, span: Span) -> Iterator[ast.AST]:
    for outer in view.nodes_at(span):
        yield from ast.walk(outer)


def drop_strings(view: FileView, entry: Span, values: Sequence[str], empty: str) -> Edit | None:
    """Remove every string entry among `values` from the list, tuple or set holding the
    entry at `entry`; a sequence left empty holds the string `empty` instead (written with
    the quotes of the first entry removed)."""
    holder = _sequence_holding(view, entry)
    if holder is None:
        return None
    span = view.span_of(holder)
    node = brackets.parse(view.slice(span), call=False)
    if node is None:
        return None
    chosen = [i for i, item in enumerate(node.items) if brackets.string_value(item) in values]
    if not chosen:
        return None
    quote = brackets.quote_of(node.items[chosen[0]].text)
    replacement = f"{quote[0]}{quote[1]}{empty}{quote[1]}" if quote else None
    changed = brackets.drop(node, chosen, replacement, keep_tuple=isinstance(holder, ast.Tuple))
    return _rewritten(view, span, changed)


def _rewritten(view: FileView, span: Span, changed: brackets.Bracketed | None) -> Edit | None:
    """The minimal edit from the text at `span` to `changed`, if no comment is lost."""
    if changed is None:
        return None
    old = view.slice(span)
    new = changed.render()
    if _comments(old) != _comments(new):
        return None
    return minimal_edit(view, view.offset(span.row, span.column), old, new)


def _comments(text: str) -> Counter[str]:
    try:
        tokens = tokenize.generate_tokens(io.StringIO(text, newline="").readline)
        return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)
    except (tokenize.TokenError, SyntaxError):
        return Counter({"(untokenizable)": 1})


def _sequence_holding(view: FileView, entry: Span) -> ast.AST | None:
    for node in view.nodes_at(entry):
        parent = view.parent(node)
        if isinstance(parent, (ast.List, ast.Tuple, ast.Set)) and any(
            element is node for element in parent.elts
        ):
            return parent
    return None


# -- adding beside -------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a value is written, and so where a related key can be added beside it.

    kind: ``keyword`` (``f(key=value)``), ``entry`` (``{"key": value}``), ``name``
    (``key = value`` in a module or class body), ``attribute`` (``app.conf.key = value``),
    ``subscript`` (``app.conf["key"] = value``). `node` is the call, dict or statement;
    `key` the anchor's key as written; `keys` every key already written in the same call,
    dict or body (for the naming style, and so that nothing is written twice).
    """

    kind: PlaceKind
    node: ast.AST
    key: str
    keys: tuple[str, ...]


def find_place(view: FileView, value: Span) -> Place | None:
    """The place of the value expression at `value`, when it is one a fix can extend."""
    for node in view.nodes_at(value):
        parent = view.parent(node)
        if isinstance(parent, ast.keyword) and parent.arg is not None:
            call = view.parent(parent)
            if isinstance(call, ast.Call):
                keys = tuple(k.arg for k in call.keywords if k.arg is not None)
                return Place("keyword", call, parent.arg, keys)
        if isinstance(parent, ast.Dict):
            place = _entry_place(parent, node)
            if place is not None:
                return place
        if isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is node:
            return _statement_place(view, parent)
    return None


def _entry_place(holder: ast.Dict, value: ast.AST) -> Place | None:
    keys = tuple(k.value for k in holder.keys
                 if isinstance(k, ast.Constant) and isinstance(k.value, str))
    for key, entry in zip(holder.keys, holder.values):
        if entry is value and isinstance(key, ast.Constant) and isinstance(key.value, str):
            return Place("entry", holder, key.value, keys)
    return None


def _statement_place(view: FileView, statement: ast.Assign | ast.AnnAssign) -> Place | None:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    if len(targets) != 1:
        return None
    target = targets[0]
    if isinstance(target, ast.Name):
        return Place("name", statement, target.id, tuple(_body_names(view, statement)))
    if isinstance(target, ast.Attribute):
        return Place("attribute", statement, target.attr, (target.attr,))
    if isinstance(target, ast.Subscript):
        key = target.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return Place("subscript", statement, key.value, (key.value,))
    return None


def _body_names(view: FileView, statement: ast.AST) -> Iterator[str]:
    """Names assigned in the module or class body that holds `statement` (descending into
    if/try/with/for blocks, not into functions or nested classes)."""
    scope = view.parent(statement)
    while scope is not None and not isinstance(scope, (ast.Module, ast.ClassDef)):
        scope = view.parent(scope)
    if scope is None:
        return
    pending: list[ast.AST] = list(scope.body)
    while pending:
        current = pending.pop(0)
        if isinstance(current, ast.Assign):
            yield from (t.id for t in current.targets if isinstance(t, ast.Name))
        elif isinstance(current, ast.AnnAssign) and isinstance(current.target, ast.Name):
            yield current.target.id
        elif not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                block = getattr(current, field, None)
                if isinstance(block, list):
                    pending.extend(s for s in block if isinstance(s, (ast.stmt,
                                                                      ast.excepthandler)))


def add_beside(view: FileView, place: Place, key: str, value: str) -> Edit | None:
    """Write ``key`` = ``value`` (Python source) right after the anchor, in its syntax."""
    if key in place.keys:
        return None
    node = place.node
    if place.kind in ("keyword", "entry"):
        return _added_item(view, place, key, value)
    assert isinstance(node, (ast.Assign, ast.AnnAssign))
    line = _statement_text(view, node, key, value)
    return insert_statement(view, node, line) if line is not None else None


def _added_item(view: FileView, place: Place, key: str, value: str) -> Edit | None:
    """A keyword added to a call, or an entry to a dict literal, after the anchor's."""
    span = view.span_of(place.node)
    node = brackets.parse(view.slice(span), call=place.kind == "keyword")
    if node is None:
        return None
    for index, item in enumerate(node.items):
        if place.kind == "keyword" and brackets.keyword_of(item) == place.key:
            if not key.isidentifier() or keyword.iskeyword(key):
                return None
            text = f"{key}{brackets.equals_of(item)}{value}"
            return _rewritten(view, span, brackets.insert_after(node, index, text))
        entry = brackets.entry_key(item) if place.kind == "entry" else None
        if entry is not None and entry[0] == place.key:
            quote = brackets.quote_of(entry[1])
            if quote is None or quote[1] in key or "\\" in key:
                return None
            text = f"{quote[0]}{quote[1]}{key}{quote[1]}{entry[2]}{value}"
            return _rewritten(view, span, brackets.insert_after(node, index, text))
    return None


def _statement_text(view: FileView, statement: ast.Assign | ast.AnnAssign, key: str,
                    value: str) -> str | None:
    """``key = value`` written like the anchor statement (its target form and its
    spacing around ``=``)."""
    target = statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
    assert statement.value is not None
    between = view.text[view.offset(*_end(view.span_of(target))):
                        view.offset(*_start(view.span_of(statement.value)))]
    equals = between if isinstance(statement, ast.Assign) and between.strip() == "=" and (
        "\n" not in between and "\r" not in between) else " = "
    if isinstance(target, ast.Name):
        if not key.isidentifier() or keyword.iskeyword(key):
            return None
        return f"{key}{equals}{value}"
    receiver = view.slice(view.span_of(target.value)) if isinstance(
        target, (ast.Attribute, ast.Subscript)) else None
    if receiver is None or "\n" in receiver or "\r" in receiver:
        return None
    if isinstance(target, ast.Attribute):
        return f"{receiver}.{key}{equals}{value}" if key.isidentifier() else None
    assert isinstance(target, ast.Subscript)
    match = _SIMPLE_STRING.fullmatch(view.slice(view.span_of(target.slice)))
    if match is None or match.group(2) in key or "\\" in key:
        return None
    quote = match.group(1) + match.group(2)
    return f"{receiver}[{quote}{key}{match.group(2)}]{equals}{value}"


def _start(span: Span) -> tuple[int, int]:
    return span.row, span.column


def _end(span: Span) -> tuple[int, int]:
    return span.end_row, span.end_column


def insert_statement(view: FileView, statement: ast.stmt, line: str) -> Edit | None:
    """A new line holding `line` right after the logical line of `statement`, at its
    indentation; None when the statement does not start its line (``if x: a = 1``)."""
    span = view.span_of(statement)
    indent = view.line(span.row)[:span.column - 1]
    if indent.strip():
        return None
    last = _logical_end_row(view, statement)
    if last < view.rows:
        at = view.offset(last + 1, 1)
        content = f"{indent}{line}{view.newline}"
    else:
        at = view.offset(last, len(view.line(last)) + 1)
        content = f"{view.newline}{indent}{line}"
    position = view.position(at)
    return Edit(content, Span(*position, *position))


def _logical_end_row(view: FileView, statement: ast.stmt) -> int:
    """The last row of the logical line: statements after ``;`` on the same line count."""
    parent = view.parent(statement)
    siblings: list[ast.stmt] = []
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and any(s is statement for s in block):
            siblings = block
    end = view.span_of(statement).end_row
    after = False
    for sibling in siblings:
        if sibling is statement:
            after = True
        elif after and view.span_of(sibling).row == end:
            end = view.span_of(sibling).end_row
        elif after:
            break
    return end


# -- noqa comments -------------------------------------------------------------------


def remove_noqa_codes(view: FileView, comment: NoqaComment, dead: Sequence[NoqaCode]
                      ) -> Edit | None:
    """Drop the `dead` codes from a noqa directive; drop the directive when no code is
    left. Other comment text around the directive stays."""
    codes = comment.codes or ()
    dead_columns = {code.column for code in dead}
    kept = [code for code in codes if code.column not in dead_columns]
    line = view.line(comment.row)
    if kept:
        first, last = codes[0], codes[-1]
        separator = line[codes[0].end_column - 1:codes[1].column - 1] if len(codes) > 1 else ", "
        old = line[first.column - 1:last.end_column - 1]
        new = separator.join(code.code for code in kept)
        start = view.offset(comment.row, first.column)
        return minimal_edit(view, start, old, new)
    return _remove_directive(view, comment, line)


def _remove_directive(view: FileView, comment: NoqaComment, line: str) -> Edit | None:
    comment_start = line.rfind(comment.text)
    if comment_start < 0:
        return None
    directive_start = comment.column - 1
    directive_end = comment.end_column - 1
    rest = line[directive_end:].strip()
    before = line[comment_start:directive_start].rstrip()
    if rest:
        # The explanation after the codes stays a comment.
        start, end = directive_start, directive_end + (len(line[directive_end:]) -
                                                       len(line[directive_end:].lstrip()))
        keep_hash = not before and not rest.startswith("#")
        return _line_edit(comment.row, start, end, "# " if keep_hash else "")
    if before:
        start = comment_start + len(before)
        return _line_edit(comment.row, start, len(line), "")
    code = line[:comment_start]
    if code.strip():
        return _line_edit(comment.row, len(code.rstrip()), len(line), "")
    return _whole_line_removed(view, comment.row)


def _line_edit(row: int, start: int, end: int, content: str) -> Edit:
    return Edit(content, Span(row, start + 1, row, end + 1))


def _whole_line_removed(view: FileView, row: int) -> Edit:
    if row < view.rows:
        return Edit("", Span(row, 1, row + 1, 1))
    return Edit("", Span(row, 1, row, len(view.line(row)) + 1))
