"""Edits of one written setting key, shared by the configuration rules: rename the key
(CEL702, CEL703) or remove the whole setting (CEL701).

A binding's span is its value expression; ``edits.find_place`` finds the statement,
keyword or dict entry around it, and the key as written there. Every builder returns
None when the code is not in a shape it can change without guessing.
"""

from __future__ import annotations

import ast
from pathlib import Path

from celerylint.findings import Edit, Span
from celerylint.fixes import brackets, edits
from celerylint.fixes.minimal import minimal_edit
from celerylint.fixes.view import FileView, load_view


def rename_key(view: FileView, value: Span, old: str, new: str) -> Edit | None:
    """The key `old` of the setting whose value is at `value`, written as `new`."""
    place = edits.find_place(view, value)
    if place is None or place.key != old:
        return None
    node = place.node
    if place.kind == "keyword":
        assert isinstance(node, ast.Call)
        found = next((k for k in node.keywords if k.arg == old), None)
        return _leading(view, view.span_of(found), old, new) if found is not None else None
    if place.kind == "entry":
        assert isinstance(node, ast.Dict)
        key = next((k for k, v in zip(node.keys, node.values)
                    if isinstance(k, ast.Constant) and k.value == old), None)
        return edits.replace_string(view, view.span_of(key), old, new) if key else None
    assert isinstance(node, (ast.Assign, ast.AnnAssign))
    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
    if place.kind == "name":
        return _leading(view, view.span_of(target), old, new)
    if place.kind == "attribute":
        return _trailing(view, view.span_of(target), old, new)
    assert isinstance(target, ast.Subscript)
    return edits.replace_string(view, view.span_of(target.slice), old, new)


def _leading(view: FileView, span: Span, old: str, new: str) -> Edit | None:
    """`old` written at the start of `span` (a name, or a keyword's ``name=``)."""
    start = view.offset(span.row, span.column)
    if view.text[start:start + len(old)] != old:
        return None
    return Edit(new, Span(*view.position(start), *view.position(start + len(old))))


def _trailing(view: FileView, span: Span, old: str, new: str) -> Edit | None:
    """`old` written at the end of `span` (the attribute of ``app.conf.old``)."""
    end = view.offset(span.end_row, span.end_column)
    if view.text[end - len(old):end] != old:
        return None
    return Edit(new, Span(*view.position(end - len(old)), *view.position(end)))


def remove_setting(root: Path, path: str, value: Span) -> Edit | None:
    """The edit removing the setting whose value is at `value`: its statement (with its
    line), its keyword or its dict entry. None when something else shares the line, a
    comment would be lost, or the statement is alone in its block."""
    view = load_view(root, path)
    place = edits.find_place(view, value) if view is not None else None
    if view is None or place is None:
        return None
    if place.kind in ("keyword", "entry"):
        return _dropped_item(view, place)
    assert isinstance(place.node, ast.stmt)
    return _removed_statement(view, place.node)


def _dropped_item(view: FileView, place: edits.Place) -> Edit | None:
    span = view.span_of(place.node)
    node = brackets.parse(view.slice(span), call=place.kind == "keyword")
    if node is None:
        return None
    for index, item in enumerate(node.items):
        key = (brackets.keyword_of(item) if place.kind == "keyword"
               else (brackets.entry_key(item) or (None,))[0])
        if key != place.key:
            continue
        if "#" in item.lead + item.text + item.between:
            return None
        changed = brackets.drop(node, [index], None)
        if changed is None:
            return None
        return minimal_edit(view, view.offset(span.row, span.column), view.slice(span),
                            changed.render())
    return None


def _removed_statement(view: FileView, statement: ast.stmt) -> Edit | None:
    """The statement's whole lines, when it alone fills them and its block keeps another
    statement (an emptied ``if`` body would not parse)."""
    parent = view.parent(statement)
    block = next((b for b in (getattr(parent, f, None) for f in ("body", "orelse", "finalbody"))
                  if isinstance(b, list) and any(s is statement for s in b)), None)
    if block is None or len(block) < 2:
        return None
    span = view.span_of(statement)
    first, last = view.line(span.row), view.line(span.end_row)
    if first[:span.column - 1].strip() or last[span.end_column - 1:].strip():
        return None
    if span.end_row < view.rows:
        return Edit("", Span(span.row, 1, span.end_row + 1, 1))
    return Edit("", Span(span.row, 1, span.end_row, len(last) + 1))
