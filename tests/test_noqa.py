"""noqa parsing must match flake8's, so the CLI and the flake8 plugin silence the same findings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from celerylint.engine.noqa import (
    NoqaCode,
    NoqaComment,
    matching_codes,
    noqa_for_row,
    scan_noqa,
    suppresses,
)


def only_comment(source: str) -> NoqaComment:
    comments = scan_noqa(source).comments
    assert len(comments) == 1, comments
    return next(iter(comments.values()))


def codes_of(line: str) -> list[str] | None:
    comment = only_comment(line)
    return None if comment.codes is None else [c.code for c in comment.codes]


def test_bare_noqa_suppresses_everything() -> None:
    comment = only_comment("x = 1  # noqa\n")
    assert comment.codes is None
    assert suppresses(comment, "CEL101")
    assert suppresses(comment, "E501")
    assert matching_codes(comment, "CEL101") == []


def test_single_code_with_positions() -> None:
    comment = only_comment("x = 1  # noqa: CEL101\n")
    assert comment == NoqaComment(
        row=1,
        column=8,
        end_column=22,
        codes=(NoqaCode("CEL101", 16, 22),),
        text="# noqa: CEL101",
    )
    assert suppresses(comment, "CEL101")
    assert not suppresses(comment, "CEL102")


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa: CEL101,E501",
        "# noqa: CEL101, E501",
        "# noqa: CEL101 E501",
        "# noqa:CEL101 ,  E501,",
        "# NOQA: CEL101,E501",
        "# NoQa:CEL101\tE501",
    ],
)
def test_separators_and_casing_of_noqa(comment: str) -> None:
    assert codes_of(f"x = 1  {comment}\n") == ["CEL101", "E501"]


def test_code_columns_and_directive_end_exclude_trailing_text() -> None:
    line = "call()  # noqa:CEL101, E501 -- broker is mocked here\n"
    comment = only_comment(line)
    assert comment.codes is not None
    assert [line[c.column - 1 : c.end_column - 1] for c in comment.codes] == ["CEL101", "E501"]
    assert line[comment.column - 1 : comment.end_column - 1] == "# noqa:CEL101, E501"


def test_explanation_after_codes_is_not_a_code() -> None:
    assert codes_of("x = 1  # noqa: CEL101 because the broker is mocked\n") == ["CEL101"]
    # Only letter+digit words continue the list: a later code-shaped word is not read.
    assert codes_of("x = 1  # noqa: E501 because CEL101\n") == ["E501"]


def test_no_space_after_hash_is_not_a_directive() -> None:
    assert scan_noqa("x = 1  #noqa:CEL101\n").comments == {}


def test_no_space_after_colon_is_a_code_list() -> None:
    assert codes_of("x = 1  # noqa:CEL101\n") == ["CEL101"]


@pytest.mark.parametrize(
    "comment", ["# noqa : CEL101", "# noqa:  CEL101", "# noqanything", "# noqa: -CEL101"]
)
def test_unreadable_code_list_makes_a_blanket_noqa(comment: str) -> None:
    assert codes_of(f"x = 1  {comment}\n") is None


def test_codes_without_separator_form_one_code() -> None:
    comment = only_comment("x = 1  # noqa: E501CEL101\n")
    assert [c.code for c in comment.codes or ()] == ["E501CEL101"]
    assert not suppresses(comment, "CEL101")


def test_codes_compare_case_sensitively_like_flake8() -> None:
    comment = only_comment("x = 1  # NOQA: cel101\n")
    assert [c.code for c in comment.codes or ()] == ["cel101"]
    assert not suppresses(comment, "CEL101")


@pytest.mark.parametrize(
    ("listed", "code", "expected"),
    [
        ("CEL1", "CEL101", True),
        ("CEL10", "CEL101", True),
        ("CEL101", "CEL101", True),
        ("CEL1011", "CEL101", False),
        ("CEL2", "CEL101", False),
        ("E501", "CEL101", False),
    ],
)
def test_listed_code_silences_codes_it_prefixes(listed: str, code: str, expected: bool) -> None:
    comment = only_comment(f"x = 1  # noqa: {listed}\n")
    assert suppresses(comment, code) is expected
    assert [c.code for c in matching_codes(comment, code)] == ([listed] if expected else [])


def test_matching_codes_reports_each_listed_match() -> None:
    comment = only_comment("x = 1  # noqa: CEL1, E501, CEL101\n")
    assert [c.code for c in matching_codes(comment, "CEL101")] == ["CEL1", "CEL101"]
    assert [c.code for c in matching_codes(comment, "E501")] == ["E501"]


def test_other_tools_codes_are_kept() -> None:
    comment = only_comment("import os  # noqa: F401,E501\n")
    assert [c.code for c in comment.codes or ()] == ["F401", "E501"]
    assert not suppresses(comment, "CEL101")


def test_first_directive_in_a_comment_wins() -> None:
    assert codes_of("x = 1  # noqa: E501 # noqa: CEL101\n") == ["E501"]


def test_directive_after_other_comment_text() -> None:
    line = "x = 1  # type: ignore  # noqa: CEL101\n"
    comment = only_comment(line)
    assert comment.text == "# type: ignore  # noqa: CEL101"
    assert line[comment.column - 1 :].startswith("# noqa")


def test_noqa_inside_a_string_is_ignored() -> None:
    source = 'x = "# noqa"\ny = """\n# noqa: CEL101\n"""\nz = 1  # noqa: CEL2\n'
    noqa = scan_noqa(source)
    assert list(noqa.comments) == [5]
    assert noqa_for_row(noqa, 1) is None
    assert noqa_for_row(noqa, 3) is None


def test_columns_count_characters_not_bytes() -> None:
    comment = only_comment('s = "é😀"  # noqa: CEL101\n')
    assert comment.column == 11
    assert comment.codes is not None and comment.codes[0].column == 19


def test_file_without_noqa_is_not_tokenized() -> None:
    # Broken source would stop tokenize; without "noqa" the text is not even looked at.
    noqa = scan_noqa('x = """unterminated\n')
    assert noqa.comments == {} and not noqa.skip_file


@pytest.mark.parametrize(
    "comment", ["# celerylint: noqa", "#celerylint:noqa", "# CeleryLint : NOQA  generated code"]
)
def test_celerylint_noqa_skips_the_file(comment: str) -> None:
    assert scan_noqa(f"import os\n\n{comment}\nx = 1\n").skip_file
    assert scan_noqa(f"x = 1  {comment}\n").skip_file


@pytest.mark.parametrize(
    "source",
    [
        'x = "# celerylint: noqa"\n',
        '"""\n# celerylint: noqa\n"""\n',
        "# celerylint: noqa: CEL101\n",
        "# celerylint: noqa  :CEL101\n",
        "# celerylint: noqa-later\n",
        "# noqa\n",
    ],
)
def test_celerylint_noqa_needs_the_exact_comment(source: str) -> None:
    assert not scan_noqa(source).skip_file


def test_multiline_string_range_uses_its_last_line_comment() -> None:
    source = 'x = hit() + """\nabc\n"""  # noqa: CEL101\ny = 1\n'
    noqa = scan_noqa(source)
    governing = noqa.comments[3]
    assert [noqa_for_row(noqa, row) for row in (1, 2, 3)] == [governing] * 3
    assert noqa_for_row(noqa, 4) is None


def test_backslash_continuation_shares_the_comment() -> None:
    noqa = scan_noqa("v = hit() + \\\n    2  # noqa: CEL101\n")
    assert noqa_for_row(noqa, 1) is noqa.comments[2]


def test_bracketed_lines_stand_alone() -> None:
    source = "foo(  # noqa: CEL101\n    hit(),\n)\n"
    noqa = scan_noqa(source)
    assert noqa_for_row(noqa, 1) is noqa.comments[1]
    assert noqa_for_row(noqa, 2) is None
    assert noqa_for_row(noqa, 3) is None


def test_tokenize_error_keeps_comments_found_before_it() -> None:
    source = "x = 1  # noqa: CEL101\ny = (\n  2  # noqa: E501\n"  # unclosed bracket
    noqa = scan_noqa(source)
    assert noqa_for_row(noqa, 1) is noqa.comments[1]
    assert set(noqa.comments) == {1, 3}


def test_crlf_source() -> None:
    comment = only_comment("x = 1  # noqa: CEL101\r\n")
    assert comment.text == "# noqa: CEL101"


# --- agreement with flake8 itself -------------------------------------------------------

_PLUGIN = """
import ast


class Hit:
    name = "hit"
    version = "0"

    def __init__(self, tree):
        self.tree = tree

    def run(self):
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "hit":
                yield node.lineno, node.col_offset, "CEL101 hit", type(self)
"""

# Every `hit()` call is a CEL101 finding on its row. No noqa inside strings: that is the
# one documented difference from flake8.
_AGREEMENT_SOURCE = '''\
hit()  # NOQA: cel101
hit()  #noqa:CEL101
hit()  # noqa:CEL101
hit()  # noqa: CEL1
hit()  # noqa: CEL10
hit()  # noqa: CEL1011
hit()  # noqa : E501
hit()  # noqa:  E501
hit()  # noqa:E501CEL101
hit()  # noqa:E501,CEL101 because reasons
hit()  # noqa:E501 because CEL101
hit()  # noqanything
hit()  # noqa: E501 # noqa: CEL101
hit()  # type: ignore # noqa: CEL101
foo(  # noqa: CEL101
    hit(),
)
y = """
abc""" + hit()
z = hit() + """
abc"""  # noqa
w = hit() + \\
    1  # noqa: CEL1
foo(
    # noqa
    hit(),
)
'''


def _rows_flake8_reports(tmp_path: Path) -> set[int]:
    (tmp_path / "hitplugin.py").write_text(_PLUGIN)
    (tmp_path / "setup.cfg").write_text(
        "[flake8:local-plugins]\nextension =\n    CEL = hitplugin:Hit\npaths = .\n"
    )
    (tmp_path / "sample.py").write_text(_AGREEMENT_SOURCE)
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "CEL", "--format", "%(row)d", "sample.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return {int(line) for line in done.stdout.split()}


def _rows_we_report() -> set[int]:
    noqa = scan_noqa(_AGREEMENT_SOURCE)
    rows: set[int] = set()
    for row, line in enumerate(_AGREEMENT_SOURCE.splitlines(), start=1):
        if "hit()" not in line:
            continue
        comment = noqa_for_row(noqa, row)
        if comment is None or not suppresses(comment, "CEL101"):
            rows.add(row)
    return rows


def test_same_rows_survive_as_under_flake8(tmp_path: Path) -> None:
    pytest.importorskip("flake8")
    expected = _rows_flake8_reports(tmp_path)
    assert expected == {1, 2, 6, 9, 11, 13, 16, 19, 26}  # guard: the plugin really ran
    assert _rows_we_report() == expected


def test_relevant_noqa_skips_files_whose_directives_name_only_other_tools() -> None:
    from celerylint.engine.noqa import relevant_noqa

    assert relevant_noqa("import os  # noqa: F401,E501\nx = 1  # noqa:E731\n").comments == {}
    assert 2 in relevant_noqa("import os  # noqa: F401\nx = 1  # noqa\n").comments
    assert 1 in relevant_noqa("x = 1  # noqa: E501,CEL101\n").comments
    assert relevant_noqa("x = 1\n# celerylint: noqa\n").skip_file
    assert relevant_noqa("s = '# noqa'\n").comments == {}
