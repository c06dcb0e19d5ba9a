"""Finding fingerprints: the same finding keeps its fingerprint when code moves."""

from __future__ import annotations

from pathlib import Path

from celerylint.findings import Finding, Span
from celerylint.integrations.fingerprints import fingerprints

SOURCE = 'broker_url = "redis://"\ntask_serializer = "pickle"\n'


def _at(row: int, column: int = 19, code: str = "CEL101", path: str = "conf.py",
        message: str = "pickle") -> Finding:
    return Finding(code, message, path, Span(row, column, row, column + 8))


def _prints(tmp_path: Path, text: str, *found: Finding) -> list[str]:
    (tmp_path / "conf.py").write_text(text)
    return fingerprints(tmp_path, list(found))


def test_line_number_reindentation_and_message_do_not_count(tmp_path: Path) -> None:
    [first] = _prints(tmp_path, SOURCE, _at(2))
    moved = "# header\n\n" + SOURCE.replace("task_serializer =", "task_serializer  =")
    assert _prints(tmp_path, moved, _at(4, column=20, message="other words")) == [first]
    indented = "if True:\n    " + SOURCE.replace("\n", "\n    ").rstrip() + "\n"
    assert _prints(tmp_path, indented, _at(3, column=23)) == [first]


def test_code_path_and_text_count(tmp_path: Path) -> None:
    [first] = _prints(tmp_path, SOURCE, _at(2))
    assert _prints(tmp_path, SOURCE, _at(2, code="CEL102")) != [first]
    assert _prints(tmp_path, SOURCE.replace('"pickle"', "'pickle'"), _at(2)) != [first]
    (tmp_path / "other.py").write_text(SOURCE)
    assert fingerprints(tmp_path, [_at(2, path="other.py")]) != [first]


def test_identical_findings_are_numbered_in_file_order(tmp_path: Path) -> None:
    text = SOURCE + SOURCE
    forward = _prints(tmp_path, text, _at(2), _at(4))
    assert len(set(forward)) == 2
    assert _prints(tmp_path, text, _at(4), _at(2)) == forward[::-1]


def test_two_findings_on_one_line_differ_by_where_they_start(tmp_path: Path) -> None:
    text = 'accept_content = ["pickle", "application/x-python-serialize"]\n'
    left, right = _prints(tmp_path, text, _at(1, column=19), _at(1, column=29))
    assert left != right


def test_unreadable_file_still_gets_a_fingerprint(tmp_path: Path) -> None:
    [value] = fingerprints(tmp_path, [_at(3, path="gone.py")])
    assert len(value) == 32
