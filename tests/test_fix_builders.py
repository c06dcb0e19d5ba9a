"""The fix builders in-process: the layouts calls and literals can have, the names added
settings get, where a minimal edit lands, and dead noqa codes. The end-to-end behaviour
is in test_fix.py and the rules' fixed examples."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from celerylint.engine.noqa import scan_noqa
from celerylint.findings import Span
from celerylint.fixes import brackets, edits
from celerylint.fixes.settings_style import added_setting_name
from celerylint.fixes.view import FileView, load_view
from celerylint.pipeline.apply import apply_edits


def _insert(text: str, anchor: str, new: str) -> str | None:
    node = brackets.parse(text, call=True)
    assert node is not None and node.render() == text
    index = next(i for i, item in enumerate(node.items) if brackets.keyword_of(item) == anchor)
    changed = brackets.insert_after(node, index, new)
    return changed.render() if changed is not None else None


@pytest.mark.parametrize(("before", "after"), [
    ("f(a=1)", "f(a=1, b=2)"),
    ("f(a=1, c=3)", "f(a=1, b=2, c=3)"),
    ("f(a=1,c=3)", "f(a=1,b=2,c=3)"),
    ("f(x, a=1,)", "f(x, a=1, b=2,)"),
    ("f(\n    a=1,\n)", "f(\n    a=1,\n    b=2,\n)"),
    ("f(\n    a=1\n)", "f(\n    a=1,\n    b=2\n)"),
    ("f(\n    a=1,  # why\n    c=3,\n)", "f(\n    a=1,  # why\n    b=2,\n    c=3,\n)"),
    ("f(\n    x,\n    a=1  # why\n)", "f(\n    x,\n    a=1,  # why\n    b=2\n)"),
    ("f(\n    x,\n    a=1,  # why\n)", "f(\n    x,\n    a=1,  # why\n    b=2,\n)"),
    ("g(h(1, 2))(a=[1, (2, 3)], c={'k': 4})", "g(h(1, 2))(a=[1, (2, 3)], b=2, c={'k': 4})"),
    ("f(a=1  # why\n)", None),  # the new item would have to share the comment's line
])
def test_keyword_inserted_in_the_call_s_layout(before: str, after: str | None) -> None:
    assert _insert(before, "a", "b=2") == after


@pytest.mark.parametrize(("before", "after"), [
    ('["json", "pickle"]', '["json"]'),
    ('["pickle", "json"]', '["json"]'),
    ("['pickle']", "['json']"),
    ('("pickle", "application/x-python-serialize")', '("json",)'),
    ('"pickle", "json"', '"json",'),
    ('{"pickle", "yaml"}', '{"yaml"}'),
    ('[\n    "json",\n    "pickle",\n]', '[\n    "json",\n]'),
    ('[\n    "pickle",\n    # safe\n    "json",\n]', '[\n    # safe\n    "json",\n]'),
    ('[\n    "json",\n    "pickle",  # legacy\n]', None),
    ('[\n    "json",\n    "pickle"  # legacy\n]', None),
])
def test_entries_dropped_keeping_the_layout(before: str, after: str | None) -> None:
    node = brackets.parse(before, call=False)
    assert node is not None and node.render() == before
    chosen = [i for i, item in enumerate(node.items)
              if brackets.string_value(item) in ("pickle", "application/x-python-serialize")]
    quote = brackets.quote_of(node.items[chosen[0]].text)
    assert quote is not None
    changed = brackets.drop(node, chosen, f"{quote[1]}json{quote[1]}",
                            keep_tuple=before.startswith("(") or not before.startswith(("[", "{")))
    assert (changed.render() if changed else None) == after


@pytest.mark.parametrize(("text", "value"), [
    ('"pickle"', "pickle"), ("u'pickle'", "pickle"), ('b"pickle"', None),
    ('f"pickle"', None), ('"pic" "kle"', None), ("name", None),
])
def test_only_plain_string_items_have_a_value(text: str, value: str | None) -> None:
    node = brackets.parse(f"[{text}]", call=False)
    assert node is not None
    assert brackets.string_value(node.items[0]) == value


@pytest.mark.parametrize(("target", "anchor", "namespace", "origin", "keys", "expected"), [
    ("result_expires", "result_backend", None, "settings", ["broker_url", "result_backend"],
     "result_expires"),
    ("result_expires", "CELERY_RESULT_BACKEND", None, "settings",
     ["BROKER_URL", "CELERY_RESULT_BACKEND"], "CELERY_TASK_RESULT_EXPIRES"),
    ("task_reject_on_worker_lost", "CELERY_ACKS_LATE", None, "settings",
     ["CELERY_ACKS_LATE", "broker_url"], "task_reject_on_worker_lost"),  # a tie is new style
    ("task_reject_on_worker_lost", "CELERY_TASK_ACKS_LATE", "CELERY", "settings",
     ["CELERY_TASK_ACKS_LATE"], "CELERY_TASK_REJECT_ON_WORKER_LOST"),
    ("result_expires", "CELERY_RESULT_BACKEND", "CELERY", "settings",
     ["CELERY_RESULT_BACKEND"], "CELERY_RESULT_EXPIRES"),
    ("result_expires", "result_backend", "CELERY", "app.conf", ["result_backend"],
     "result_expires"),
    ("result_expires", "result_backend", None, "Celery()", [], "result_expires"),
])
def test_added_settings_follow_the_naming_style(target: str, anchor: str,
                                                namespace: str | None, origin: str,
                                                keys: list[str], expected: str) -> None:
    setting = "result_backend" if "BACKEND" in anchor.upper() else "task_acks_late"
    assert added_setting_name(target, anchor, setting, namespace, origin, keys) == expected


def _view(tmp_path: Path, text: str) -> FileView:
    (tmp_path / "m.py").write_text(text, encoding="utf-8")
    view = load_view(tmp_path, "m.py")
    assert view is not None
    return view


@pytest.mark.parametrize(("line", "dead", "fixed"), [
    ("x = 1  # noqa: CEL101\n", ["CEL101"], "x = 1\n"),
    ("x = 1  # noqa: CEL302, CEL101\n", ["CEL101"], "x = 1  # noqa: CEL302\n"),
    ("x = 1  # noqa: CEL101, CEL302\n", ["CEL101"], "x = 1  # noqa: CEL302\n"),
    ("x = 1  # noqa:CEL101,E501,CEL9\n", ["CEL101", "CEL9"], "x = 1  # noqa:E501\n"),
    ("x = 1  # type: ignore  # noqa: CEL101\n", ["CEL101"], "x = 1  # type: ignore\n"),
    ("x = 1  # noqa: CEL101 -- why\n", ["CEL101"], "x = 1  # -- why\n"),
    ("# noqa: CEL101\nx = 1\n", ["CEL101"], "x = 1\n"),
])
def test_dead_noqa_codes_removed(tmp_path: Path, line: str, dead: list[str], fixed: str
                                 ) -> None:
    view = _view(tmp_path, line)
    comment = next(iter(scan_noqa(line).comments.values()))
    codes = [c for c in comment.codes or () if c.code in dead]
    edit = edits.remove_noqa_codes(view, comment, codes)
    assert edit is not None
    assert apply_edits(line, [edit]) == fixed


def test_a_minimal_edit_reads_like_a_person_wrote_it(tmp_path: Path) -> None:
    text = "app.conf.update(task_acks_late=True, task_time_limit=600)\n"
    view = _view(tmp_path, text)
    call = next(n for n in ast.walk(view.tree) if isinstance(n, ast.Call))
    keyword_value = call.keywords[0].value
    place = edits.find_place(view, view.span_of(keyword_value))
    assert place is not None and place.kind == "keyword" and place.key == "task_acks_late"
    edit = edits.add_beside(view, place, "task_reject_on_worker_lost", "True")
    assert edit is not None
    assert (edit.content, edit.span) == (", task_reject_on_worker_lost=True",
                                         Span(1, 36, 1, 36))


def test_statements_are_added_at_the_anchor_s_indentation_after_its_logical_line(
        tmp_path: Path) -> None:
    text = "class C:\n\tx = 1; y = (\n\t\t2)\n\tz = 3\n"
    view = _view(tmp_path, text)
    value = next(n for n in ast.walk(view.tree) if isinstance(n, ast.Constant) and n.value == 1)
    place = edits.find_place(view, view.span_of(value))
    assert place is not None and place.kind == "name"
    edit = edits.add_beside(view, place, "w", "4")
    assert edit is not None
    assert apply_edits(text, [edit]) == "class C:\n\tx = 1; y = (\n\t\t2)\n\tw = 4\n\tz = 3\n"


def test_no_setting_is_written_twice(tmp_path: Path) -> None:
    view = _view(tmp_path, "a = 1\nb = 2\n")
    value = next(n for n in ast.walk(view.tree) if isinstance(n, ast.Constant) and n.value == 1)
    place = edits.find_place(view, view.span_of(value))
    assert place is not None
    assert edits.add_beside(view, place, "b", "3") is None
    assert edits.add_beside(view, place, "c", "3") is not None


def test_one_line_compound_statements_are_left_alone(tmp_path: Path) -> None:
    view = _view(tmp_path, "if DEBUG: a = 5\n")
    value = next(n for n in ast.walk(view.tree) if isinstance(n, ast.Constant) and n.value == 5)
    place = edits.find_place(view, view.span_of(value))
    assert place is not None and edits.add_beside(view, place, "b", "2") is None


def test_decorator_keywords_are_found_above_their_function(tmp_path: Path) -> None:
    text = "@app.task(\n    acks_late=True,\n)\ndef ping():\n    return 1\n"
    view = _view(tmp_path, text)
    value = next(n for n in ast.walk(view.tree) if isinstance(n, ast.Constant) and n.value is True)
    place = edits.find_place(view, view.span_of(value))
    assert place is not None and place.kind == "keyword"
    edit = edits.add_beside(view, place, "reject_on_worker_lost", "True")
    assert edit is not None
    assert apply_edits(text, [edit]) == ("@app.task(\n    acks_late=True,\n"
                                         "    reject_on_worker_lost=True,\n)\n"
                                         "def ping():\n    return 1\n")
