"""parse_python must read newer-than-host syntax with the user's positions intact.

Each source below is one file using one construct an older host cannot parse (3.11 in CI,
3.9 for ``match``).
Names starting with ``keep_`` mark expressions that survive lowering: every one of them
must come back at exactly the line and UTF-8 column where the original text has it, and
every ``@app.task(...)`` decorator call too, since findings point at those.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import warnings

import libcst
import pytest

from celerylint.parsing import lowering
from celerylint.parsing.lowering import lower_source
from celerylint.parsing.parse import ParseFailure, SourceDecodeError, decode_source, parse_python

HOST = (sys.version_info[0], sys.version_info[1])
needs_old_host = pytest.mark.skipif(HOST >= (3, 12), reason="the host parses this natively")

EXCEPT_COMMA = """\
from proj.celery import app


@app.task(bind=True, max_retries=3)
def fetch(self):
    try:
        keep_call()
    except ConnectionError, TimeoutError: keep_one_liner()
    except (KeyError), ValueError:
        keep_body()
    except (OSError, IOError) as error:
        raise self.retry(exc=keep_error)


@app.task(ignore_result=True)
def keep_after():
    keep_last = 1
"""

EXCEPT_STAR_COMMA = """\
from proj.celery import app

try:
    keep_run()
except* ConnectionError, TimeoutError:
    keep_handle()


@app.task(acks_late=True)
def after():
    return keep_value
"""

TYPE_PARAMETERS = """\
from proj.celery import app


def first[T](items: list[T]) -> keep_ret: return keep_items


class Box[T: (int, str) = int, *Ts, **P](keep_base): keep_body


class Multi[
    K,  # the key
    V = f"{d["x"]}",
](keep_base2):
    pass


def pick[Τ](x: Τ) -> keep_greek: ...


@app.task(name="pick")
async def run[T](value: T) -> keep_run: return keep_value
"""

TYPE_ALIAS = """\
from proj.celery import app

type Payload = dict[str, keep_any]
type Pair[K, V = str] = tuple[K, V]; keep_same_line = 1
type Spread = (
    keep_first
    | keep_second
)
kind = type(keep_arg)


class Holder:
    type Inner = keep_inner


@app.task(serializer="json")
def use(payload: Payload) -> keep_result: ...
"""

FSTRINGS = """\
from proj.celery import app

BROKER = f"redis://{cfg["host"]}:6379/0" + keep_tail
PLAIN = f"amqp://guest@localhost//"
COMMENT = f\"\"\"{
    lost_x  # a comment
}\"\"\" + keep_after_triple
SLASH = f"{"\\n".join(items)}" + keep_slash
SPLIT = f"before {
    lost_inner
} after" + keep_after_split
GREEK = f"é{"é"}é" + keep_greek
NESTED = f"{f"{f"{x}"}"}" + keep_nested


@app.task(name=f"{PREFIX["app"]}.send")
def send():
    return keep_done
"""

TSTRINGS = """\
from proj.celery import app

message = t"hello {name!r:>10}" + keep_tail
quoted = t"{d["k"]}" + keep_quoted


@app.task
def after():
    return keep_value
"""

MATCH = """\
from proj.celery import app


@app.task(bind=True)
def route(self, event):
    match keep_event["type"]:
        case "order" | "refund" if keep_guard(event):
            return keep_order
        case {"id": order_id, **rest}: keep_one_liner(order_id)
        case (
            Point(x=0)  # origin: skip
            | [_, *_]
        ):
            keep_multi = 1
        case _:
            match keep_a, keep_b:
                case (1, 2): pass
            keep_default()


@app.task(ignore_result=True)
def after():
    try:
        keep_run()
    except* (TimeoutError, keep_error):
        return keep_partial
"""

CASES = {
    "match": MATCH,
    "except-comma": EXCEPT_COMMA,
    "except-star-comma": EXCEPT_STAR_COMMA,
    "type-parameters": TYPE_PARAMETERS,
    "type-alias": TYPE_ALIAS,
    "fstrings": FSTRINGS,
    "tstrings": TSTRINGS,
}


def _parse(source: str) -> ast.Module:
    tree = parse_python(source, "case.py")
    assert isinstance(tree, ast.Module), tree
    return tree


def _byte_column(line: str, column: int) -> int:
    return len(line[:column].encode("utf-8"))


@pytest.mark.parametrize("source", list(CASES.values()), ids=list(CASES))
def test_keep_names_stay_where_the_original_has_them(source: str) -> None:
    _assert_keep_names_in_place(source, _parse(source))


def _assert_keep_names_in_place(source: str, tree: ast.Module) -> None:
    lines = source.split("\n")
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id.startswith("keep_"):
            assert node.end_lineno == node.lineno
            line = lines[node.lineno - 1].encode("utf-8")
            assert line[node.col_offset : node.end_col_offset].decode() == node.id
            found.add(node.id)
    assert found == set(re.findall(r"\bkeep_\w+", source)) - _DEFINED_NAMES


_DEFINED_NAMES = {"keep_after"}  # a def name, not a Name node


@pytest.mark.parametrize("source", list(CASES.values()), ids=list(CASES))
def test_task_decorators_keep_their_span(source: str) -> None:
    _assert_task_decorators_in_place(source, _parse(source))


def _assert_task_decorators_in_place(source: str, tree: ast.Module) -> None:
    lines = source.split("\n")
    expected = []
    for row, line in enumerate(lines, start=1):
        if line.startswith("@app.task("):
            expected.append((row, 1, row, _byte_column(line, line.rindex(")") + 1)))
    calls = [
        (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "app.task"
    ]
    assert sorted(calls) == expected


CHANGED_LINES = {
    "match": {6, 7, 9, 10, 11, 12, 13, 15, 16, 17, 25},
    "except-comma": {8, 9},
    "except-star-comma": {5},
    "type-parameters": {4, 7, 10, 11, 12, 13, 17, 21},
    "type-alias": {3, 4, 5, 13},
    "fstrings": {3, 5, 6, 8, 9, 10, 11, 12, 13, 16},
    "tstrings": {3, 4},
}


LOWERING_HOST = {"match": (3, 9)}


@pytest.mark.parametrize("case", list(CASES))
def test_lowering_keeps_every_line_and_changes_only_construct_lines(case: str) -> None:
    if case == "fstrings" and HOST >= (3, 12):
        pytest.skip("f-string lowering asks the running parser, which accepts these")
    source = CASES[case]
    lowered = lower_source(source, LOWERING_HOST.get(case, (3, 11)))
    assert lowered is not None
    original_lines = source.split("\n")
    lowered_lines = lowered.split("\n")
    assert len(lowered_lines) == len(original_lines)
    changed = {
        row
        for row, (before, after) in enumerate(zip(original_lines, lowered_lines), start=1)
        if before != after
    }
    assert changed == CHANGED_LINES[case]


@needs_old_host
def test_except_comma_becomes_a_tuple_handler() -> None:
    tree = _parse(EXCEPT_COMMA)
    handlers = [node for node in ast.walk(tree) if isinstance(node, ast.ExceptHandler)]
    assert [ast.unparse(h.type) for h in handlers if h.type] == [
        "(ConnectionError, TimeoutError)",
        "(KeyError, ValueError)",
        "(OSError, IOError)",
    ]
    assert [h.lineno for h in handlers] == [8, 9, 11]


@needs_old_host
def test_except_star_comma_keeps_the_star_handler() -> None:
    tree = _parse(EXCEPT_STAR_COMMA)
    try_type = getattr(ast, "TryStar", ast.Try)  # hosts before 3.11 lower except* too
    (node,) = [node for node in ast.walk(tree) if isinstance(node, try_type)]
    handler_type = node.handlers[0].type
    assert handler_type is not None
    assert ast.unparse(handler_type) == "(ConnectionError, TimeoutError)"


@needs_old_host
def test_type_parameters_are_dropped_from_defs_and_classes() -> None:
    tree = _parse(TYPE_PARAMETERS)
    defs = {
        node.name: node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    assert set(defs) == {"first", "Box", "Multi", "pick", "run"}
    assert (defs["Multi"].lineno, defs["Multi"].end_lineno) == (10, 14)
    multi, run = defs["Multi"], defs["run"]
    assert isinstance(multi, ast.ClassDef) and ast.unparse(multi.bases[0]) == "keep_base2"
    assert isinstance(run, ast.AsyncFunctionDef)
    assert [a.arg for a in run.args.args] == ["value"]


@needs_old_host
def test_type_statement_becomes_an_assignment_on_the_same_lines() -> None:
    tree = _parse(TYPE_ALIAS)
    assigns = {
        ast.unparse(node.targets[0]): (node.lineno, node.end_lineno, ast.unparse(node.value))
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
    }
    assert assigns["Payload"] == (3, 3, "dict[str, keep_any]")
    assert assigns["Pair"] == (4, 4, "tuple[K, V]")
    assert assigns["Spread"] == (5, 8, "keep_first | keep_second")
    assert assigns["Inner"] == (13, 13, "keep_inner")
    assert assigns["kind"] == (9, 9, "type(keep_arg)")


@needs_old_host
def test_fstring_literal_text_survives_and_fields_are_neutralised() -> None:
    tree = _parse(FSTRINGS)
    values = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    broker = values["BROKER"]
    assert isinstance(broker, ast.BinOp) and isinstance(broker.left, ast.JoinedStr)
    assert ast.unparse(broker.left) == "f'redis://{0}:6379/0'"
    plain = values["PLAIN"]
    assert isinstance(plain, ast.JoinedStr)
    assert ast.unparse(plain) == "f'amqp://guest@localhost//'"
    split = values["SPLIT"]
    assert isinstance(split, ast.BinOp)
    assert ast.unparse(split.left) == "f'before {0} after'"


@needs_old_host
def test_fstring_fields_the_old_grammar_accepts_are_kept() -> None:
    source = 'x = f"{keep_ok!r:>{width}}" + f"{d["k"]}"\n'
    tree = _parse(source)
    assert ast.unparse(tree.body[0]) == "x = f'{keep_ok!r:>{width}}' + f'{0}'"


@needs_old_host
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('v = f"a{{b{"c"}}}d"', "v = f'a{{b{0}}}d'"),
        ('v = rf"{"\\d"}\\d"', "v = f'{0}\\\\d'"),
        ('v = rf"{\n  x\n}\\d"', "v = f'{0}\\\\d'"),
        ('v = f"{\n  x\n}{y}!"', "v = f'{0}{y}!'"),
        ('v = f"""a\n{x["b"]}\nc"""', "v = f\"a\\n{x['b']}\\nc\""),
        ('v = t"{x!r} {\n  y\n}"', "v = f'{x!r} {0}'"),
    ],
)
def test_fstring_lowering_keeps_literal_text(source: str, expected: str) -> None:
    assert ast.unparse(_parse(source + "\n")) == expected


@needs_old_host
def test_tstrings_read_as_fstrings() -> None:
    tree = _parse(TSTRINGS)
    first = tree.body[1]
    assert isinstance(first, ast.Assign)
    assert ast.unparse(first.value) == "f'hello {name!r:>10}' + keep_tail"


def _lowered_for_39(source: str) -> ast.Module:
    """Lower for a 3.9 host and parse with this host: every host from 3.9 reads the result."""
    lowered = lower_source(source, (3, 9))
    assert lowered is not None
    assert lowered.count("\n") == source.count("\n")
    return ast.parse(lowered)


def test_match_lowered_for_39_keeps_names_and_task_decorators_in_place() -> None:
    tree = _lowered_for_39(MATCH)
    _assert_keep_names_in_place(MATCH, tree)
    _assert_task_decorators_in_place(MATCH, tree)
    handlers = [node for node in ast.walk(tree) if isinstance(node, ast.ExceptHandler)]
    assert [ast.unparse(h.type) for h in handlers if h.type] == ["(TimeoutError, keep_error)"]


def _if_chain(node: ast.stmt) -> list[tuple[int, str]]:
    """The ``(line, test)`` of an if/elif chain."""
    chain = []
    while isinstance(node, ast.If):
        chain.append((node.lineno, ast.unparse(node.test)))
        node = node.orelse[0] if node.orelse else ast.Pass()
    return chain


def test_match_becomes_an_if_chain_with_every_case_body() -> None:
    route = _lowered_for_39(MATCH).body[1]
    assert isinstance(route, ast.FunctionDef)
    (match,) = route.body
    assert _if_chain(match) == [(6, "keep_event['type']")]
    assert isinstance(match, ast.If) and len(match.body) == 1
    cases = match.body[0]
    assert _if_chain(cases) == [(7, "keep_guard(event)"), (9, "1"), (10, "1"), (15, "1")]
    bodies = []
    while isinstance(cases, ast.If):
        bodies.append([ast.unparse(stmt) for stmt in cases.body])
        cases = cases.orelse[0] if cases.orelse else ast.Pass()
    inner, default = bodies[3]
    assert bodies[:3] == [["return keep_order"], ["keep_one_liner(order_id)"], ["keep_multi = 1"]]
    assert inner.startswith("if (keep_a, keep_b):") and default == "keep_default()"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("match(x):\n    case[]: pass\n", "if   (x):\n    if 1  : pass\n"),
        ("match x:\n case 1:\n  pass\n case 2 if(y): pass\n",
         "if    x:\n if 1  :\n  pass\n elif     (y): pass\n"),
        ("match x:\n case\\\n_\\\n:\n  pass\n", "if    x:\n if 1\\\n \\\n:\n  pass\n"),
        ("match a, b:  # two\n case _: pass\n", "if  ( a, b): # two\n if 1  : pass\n"),
        ("match *a, b :\n case _: pass\n", "if  ( *a, b):\n if 1  : pass\n"),
        ("match x:\r\n case (\r\n  1 | 2  # one: 1\r\n ):\r\n  pass\r\n",
         "if    x:\r\n if 1 \\\r\n                \\\r\n  :\r\n  pass\r\n"),
    ],
)
def test_match_headers_are_lowered_on_their_own_lines(source: str, expected: str) -> None:
    assert lower_source(source, (3, 9)) == expected
    ast.parse(expected)


def test_match_is_left_alone_for_hosts_that_have_it() -> None:
    assert lower_source("match x:\n    case 1: pass\n", (3, 10)) is None


def test_parenthesized_with_needs_no_lowering_on_any_supported_host() -> None:
    """3.9's parser already accepts it (officially a 3.10 feature), so it is never lowered."""
    source = "with (\n    open(a) as keep_a,  # first\n    open(b) as keep_b,\n):\n    pass\n"
    assert lower_source(source, (3, 9)) is None
    tree = _parse(source)
    (statement,) = tree.body
    assert isinstance(statement, ast.With)
    assert [ast.unparse(item) for item in statement.items] == [
        "open(a) as keep_a",
        "open(b) as keep_b",
    ]


def test_words_type_and_except_in_strings_and_comments_are_untouched() -> None:
    source = (
        '"""type X = int\nexcept A, B: pass"""\n'
        "# type: ignore  except A, B:\n"
        "label = 'def f[T](x): type Y = 1'\n"
        "type Alias = int\n"
    )
    lowered = lower_source(source, (3, 11))
    assert lowered is not None
    assert lowered.split("\n")[:4] == source.split("\n")[:4]
    tree = _parse(source)
    docstring = tree.body[0]
    assert isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)
    assert docstring.value.value == "type X = int\nexcept A, B: pass"


def test_other_newline_conventions_keep_line_numbers() -> None:
    source = 'x = f"{d["k"]}"\r\ny = 1\rtype Z = int\r\nkeep_last = 2\n'
    tree = _parse(source)
    assert [node.lineno for node in tree.body] == [1, 2, 3, 4]


def test_host_version_decides_what_is_lowered() -> None:
    source = 'def f[T](x): pass\ny = f"{d["k"]}"\ntry: pass\nexcept A, B: pass\n'
    on_312 = lower_source(source, (3, 12))
    assert on_312 == source.replace("except A, B: pass", "except(A, B):pass")
    assert lower_source(source, (3, 14)) is None
    star = "try: pass\nexcept* A: pass\n"
    assert lower_source(star, (3, 10)) == "try: pass\nexcept  A: pass\n"
    assert lower_source('x = t"{a}"\n', (3, 12)) == 'x = f"{a}"\n'


def test_a_312_host_only_loses_type_parameter_defaults() -> None:
    source = (
        "class Box[T: (int, str) = int, *Ts = *tuple[int], **P = [int]](Base): pass\n"
        "type Pair[K, V = (  # the value\n    str)] = tuple[K, V]\n"
        "def f[T](x: T) -> T: return x\n"
    )
    assert lower_source(source, (3, 12)) == (
        "class Box[T: (int, str)      , *Ts              , **P        ](Base): pass\n"
        "type Pair[K, V " + " " * 15 + "\\\n" + " " * 8 + "] = tuple[K, V]\n"
        "def f[T](x: T) -> T: return x\n"
    )
    assert lower_source(source, (3, 13)) is None


def test_valid_file_never_reaches_libcst(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def record(source: str, *args: object, **kwargs: object) -> libcst.Module:
        calls.append(source)
        raise libcst.ParserSyntaxError("refused", lines=[source], raw_line=1, raw_column=0)

    monkeypatch.setattr(libcst, "parse_module", record)
    tree = _parse("from proj.celery import app\nkind = type(x)\n\n@app.task\ndef t(): pass\n")
    assert len(tree.body) == 3
    assert calls == []
    # The same hook does see the fallback, so the check above can fail.
    newer = "try: pass\nexcept A, B: pass\n"
    assert isinstance(parse_python(newer, "new.py"), ParseFailure)
    assert calls == [newer]


def test_lowered_text_that_still_fails_reports_the_original_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lowering, "lower_source", lambda source, host: "x = (\n")
    failure = parse_python("a = 1\nb = = 2\n", "bad.py")
    assert failure == ParseFailure("invalid syntax", 2, 5)


@pytest.mark.parametrize(
    ("source", "message", "row", "column"),
    [
        ("import os\n\ndef broken(:\n    pass\n", "invalid syntax", 3, 12),
        ("x = 1\n  y = 2\n", "unexpected indent", 2, 2),
        ("ééé = = 1\n", "invalid syntax", 1, 7),
        ("a = 1\nwith a as f(): pass\n", "cannot assign to function call", 2, 11),
        ("x = 1\ny = 'a\0'\n", "source code string cannot contain null bytes", 2, 7),
    ],
)
def test_real_syntax_errors_are_failures(source: str, message: str, row: int, column: int) -> None:
    failure = parse_python(source, "bad.py")
    assert isinstance(failure, ParseFailure)
    assert message in failure.message
    assert (failure.row, failure.column) == (row, column)


@pytest.mark.parametrize(
    "source", ['a = f"{d["k"]}"\n\n\nwith a as f(): pass\n', 'a = f"{d["k"]}"\nb = (\n']
)
def test_an_error_beside_newer_syntax_is_reported_as_the_host_parser_reports_it(
    source: str,
) -> None:
    """Before 3.12 that is the f-string, not the error left in the lowered text."""
    with pytest.raises(SyntaxError) as caught:
        ast.parse(source)
    error = caught.value
    assert error.lineno is not None and error.offset is not None
    expected = ParseFailure(error.msg, error.lineno, error.offset)
    assert parse_python(source, "bad.py") == expected
    assert HOST >= (3, 12) or "f-string: unmatched '['" in error.msg


TOO_DEEP = ParseFailure("too deeply nested for the parser", 1, 1)


def test_nesting_no_parser_can_build_is_a_failure_not_a_crash() -> None:
    assert parse_python("x = " + "-" * 100_000 + "1\n", "deep.py") == TOO_DEEP


def test_a_deep_chain_is_read_exactly_when_the_host_parser_can() -> None:
    """3.9 and 3.10 build this tree; later parsers stop at a recursion limit."""
    source = "x" + ".a" * 100_000 + "\n"
    result = parse_python(source, "deep.py")
    try:
        ast.parse(source)
    except RecursionError:
        assert result == TOO_DEEP
    else:
        assert isinstance(result, ast.Module)
        assert [type(statement) for statement in result.body] == [ast.Expr]


NEWER = "try:\n    pass\nexcept A, B:\n    pass\n"  # lowered on every host before 3.14
DEEP = {
    "brackets": "x = " + "(" * 5_000 + "1" + ")" * 5_000 + "\n",
    "chain": "x = y" + ".a" * 20_000 + "\n",
    "elif": "if a: pass\n" + "elif a: pass\n" * 20_000,
}


@pytest.mark.parametrize("deep", list(DEEP.values()), ids=list(DEEP))
def test_deep_nesting_is_not_lowered_rather_than_crashing_libcst(deep: str) -> None:
    """libcst's native parser dies of a stack overflow on these (a segfault, so the check
    runs in a child process); celerylint must not hand them to it."""
    script = (
        "import sys\nfrom celerylint.parsing.lowering import lower_source\n"
        "print(lower_source(sys.stdin.read(), (3, 11)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=NEWER + deep, capture_output=True, text=True,
        timeout=300, check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "None\n", "")


def test_long_but_shallow_text_is_still_lowered() -> None:
    source = (
        NEWER
        + "DATA = [\n" + "    {'id': 1, 'tags': ('a', 'b')},\n" * 3_000 + "]\n"
        + "if a: pass\n" + "elif b: pass\n" * 100
        + "x = y" + ".a" * 100 + "\n"
    )
    lowered = lower_source(source, (3, 11))
    assert lowered is not None
    assert len(ast.parse(lowered).body) == 4


def test_text_an_old_tokenizer_misreads_is_still_lowered() -> None:
    """Before 3.12 the tokenizer reads ``"("`` inside this f-string as an open bracket."""
    assert lower_source('label = f"{x or "("}"\n' + NEWER, (3, 11)) is not None


def test_compile_warnings_are_silenced_even_under_error_filters() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(parse_python('pattern = "\\d+"\n', "warn.py"), ast.Module)


def test_decode_drops_a_utf8_bom() -> None:
    assert decode_source(b"\xef\xbb\xbfname = '\xc3\xa9'\n") == "name = 'é'\n"


def test_decode_follows_a_coding_cookie() -> None:
    data = b"# -*- coding: latin-1 -*-\nname = '\xe9'\r\n"
    assert decode_source(data) == "# -*- coding: latin-1 -*-\nname = 'é'\r\n"


def test_decode_defaults_to_utf8() -> None:
    assert decode_source("x = 'ü'\n".encode()) == "x = 'ü'\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"x = 1\n\n\ny = '\xff'\n", "line 4 as utf-8: byte 0xff"),
        (b"x = '\xe9'\n", "line 1 as utf-8: byte 0xe9"),
        (b"# coding: no-such-codec\nx = 1\n", "unknown encoding: no-such-codec"),
        (b"\xef\xbb\xbf# coding: latin-1\nx = 1\n", "encoding problem: utf-8"),
    ],
)
def test_undecodable_bytes_raise_source_decode_error(data: bytes, expected: str) -> None:
    with pytest.raises(SourceDecodeError, match=expected) as caught:
        decode_source(data)
    assert isinstance(caught.value, ValueError)
