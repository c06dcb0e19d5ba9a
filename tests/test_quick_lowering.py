"""The quick lowering path gives exactly the libcst path's result whenever it answers.

On a host before 3.12, generic definitions, ``type`` statements and PEP 701 f-strings are
lowered without libcst (``celerylint.parsing.quick_lowering``). Proved here: a
differential test over every lowering case of the suite and a generated set of 3.12
statements (the quick path's edits equal libcst's, statement by statement and for whole
files); that it answers for the common forms and leaves libcst unimported; and that the
real command prints byte-identical output with it and without it
(``CELERYLINT_NO_QUICK_LOWERING=1``), cold and warm, with one or two jobs.
"""

from __future__ import annotations

import io
import itertools
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest
from conftest import corpus_projects, run_celerylint, write_tree
from test_parsing import CASES
from test_speed_fixes import NEWER_TEXTS, _bench

from celerylint.parsing.construct_edits import host_accepts
from celerylint.parsing.cst_lowering import cst_edits
from celerylint.parsing.lowering import NO_QUICK_LOWERING_ENV, lower_source, quick_lowered
from celerylint.parsing.quick_lowering import quick_edits
from celerylint.parsing.text_edits import Edit

HOST = (sys.version_info[0], sys.version_info[1])
pytestmark = pytest.mark.skipif(HOST >= (3, 12),
                                reason="the quick path lowers for hosts before 3.12")

# -- a generated set of 3.12 statements ---------------------------------------------------

_FIELDS = [
    "{x}", "{d[Qk Q]}", "{d['k']}", '{d["k"]}', "{x!r}", "{x=}", "{x = !r:>10}", "{x:{w}}",
    "{x:>{w}.{p}f}", "{{lit}}", "{fQ{y}Q}", "{Q\\nQ.join(z)}", "{a[QbQ][QcQ]!s:^{w}}",
    "{x:#x}", "{ {1: 2}[1] }", "{when:%Y-%m-%d}", "{(lambda: 1)()}", "{a if b else c}",
    "{x,}", "{fQ{fQ{x}Q}Q}", "{x!a:{fQ{w}Q}}", "{rQ\\dQ}", "{bQxQ}", "{a!=b}", "{(y:=2)}",
    "{cache.get(QkQ, default=lambda: now())}",
]
_QUOTES = ['"', "'", '"""', "'''"]
_PREFIXES = ["f", "F", "rf", "fR", "Rf"]


def _fstring_statements() -> list[str]:
    """f-strings of every quote and prefix, with two fields each (``Q`` in a field
    stands for the enclosing string's own quote), around literal text with escapes."""
    out = []
    for (quote, prefix), (first, second) in itertools.product(
            itertools.product(_QUOTES, _PREFIXES), zip(_FIELDS, _FIELDS[3:] + _FIELDS[:3])):
        own = quote[0]
        body = f"a\\t{first.replace('Q', own)} \\N{{EM DASH}} {second.replace('Q', own)}z"
        if "r" in prefix.lower():
            body = body.replace("\\N{EM DASH}", "\\d")
        out.append(f"label = {prefix}{quote}{body}{quote} + tail\n")
    return out


_DEFINITIONS = [
    "def f[T](x: T) -> T:\n    return x\n",
    "async def f[T, *Ts, **P](x: T, *a: *Ts) -> T:\n    return x\n",
    "class C[T](Base, metaclass=Meta):\n    pass\n",
    "class C[T: int, *Ts, **P]:\n    x: T\n",
    "class C [T: (int, str)] (Base): pass\n",
    'def f[T: "Forward"](x): pass\n',
    "def f[T: dict[str, int],](x): pass\n",
    "class Multi[\n    K,  # the key\n    V: (int,\n        str),\n](Base):\n    pass\n",
    "class C:\n    def m[T](self, x: T) -> T:\n        return f\"{x[\"a\"]}\"\n"
    "    async def n[U](self): ...\n",
    "@app.task(bind=True)\ndef run[T](self, value: T) -> T:\n    return value\n",
    "def outer():\n    def inner[T](x: T): return x\n    class Local[U]: pass\n",
    "def f[T](x=f\"{d[\"k\"]}\"): pass\n",
    "type A = int\n",
    "type A[T] = list[T]\n",
    "type A[T: int, *Ts, **P] = tuple[T, *Ts]\n",
    "type A = (\n    int\n    | str\n)\n",
    "type A = int; type B = str\n",
    "type A = int  # a comment = here\n",
    "type   A   [ T ]   =   dict[str, T]\n",
    "type match = int\n",
    "class Holder:\n    type Inner = int\n    type Pair[K] = tuple[K, K]\n",
    "if TYPE_CHECKING:\n    type A = int\nelse:\n    A = int\n",
    "type A = Callable[[int], str]\n",
    'type A = dict[str, f"{d["k"]}"]\n',
    "kind = type(x)\ntype = 3\n",
    "match command:\n    case [x]:\n        label = f\"{x[\"k\"]}\"\n    case _:\n        pass\n",
    "try:\n    pass\nexcept* ValueError:\n    label = f\"{d[\"k\"]}\"\n",
]
# Text the quick path must never read differently from libcst: it is unsure (libcst
# lowers it), or both refuse it (a real syntax error).
_DOUBTFUL = [
    "def f[](x): pass\n",
    "def f[*](x): pass\n",
    "def f[T = int](x): pass\n",
    "class C[T: int = int]: pass\n",
    "type A[] = int\n",
    "type A = a, b\n",
    "type A = B = int\n",
    "type A = yield\n",
    "type A = (  # a = b\n    int)\n",
    "class C: type A = int\n",
    "x: type A = 1\n",
    'label = f"{a b}{d["k"]}"\n',
    'label = f"{}{d["k"]}"\n',
    'label = f"{x!z}{d["k"]}"\n',
    'label = f"{x!r }{d["k"]}"\n',
    'label = f"{d["k"]}\n',
    'label = f"{d["k"]} }"\n',
    'label = f"{x:{{w}}}{d["k"]}"\n',
    'label = f"{lambda: 1}{d["k"]}"\n',
    'label = f"{\n    d["k"]\n}"\n',
    'label = f"{d["k"]  # note\n}"\n',
    'label = t"{d["k"]}"\n',
    'label = f"\\{d["k"]}"\n',
    'label = bf"{d["k"]}"\n',
    'label = f"{f"{f"{f"{f"{x}"}"}"}"}"\n',
    "try:\n    pass\nexcept A, B:\n    pass\ntype A = int\n",
    "def f[T](x): pass\n  oops = 1\n",
    "def f[T](x) pass\n",
    'type A = int\nlabel = "unterminated\n',
]
# The forms the quick path exists for: it must answer each of them.
COMMON = [
    "type Alias = list[int]\n",
    "type Pair[K, V] = tuple[K, V]\n",
    "def generic[T](x: T) -> T:\n    return x\n",
    "class Box[T: (int, str)](Base):\n    def get[U](self, key: U) -> T: ...\n",
    'label = f"{data["key"]}"\n',
    "label = f'{d['k']!r:>{width}}' + f'{x}'\n",
    'label = f"{"\\n".join(lines)}"\n',
    'label = f"{row["id"]=} {row["name"]:^{width}.{precision}}"\n',
    "@app.task(name=f\"{PREFIX[\"app\"]}.send\")\ndef send[T](x: T): ...\n",
]


GENERATED = _fstring_statements() + _DEFINITIONS + _DOUBTFUL


def _sorted(edits: list[Edit]) -> list[tuple[int, int, str]]:
    return sorted((e.start, e.end, e.text) for e in edits)


@pytest.mark.parametrize("text", GENERATED)
def test_a_statement_gets_the_libcst_edits_whenever_the_quick_path_answers(text: str) -> None:
    quick = quick_edits(text)
    if quick is None:
        return
    libcst = cst_edits(text, HOST)
    assert libcst is not None, "the quick path lowered text libcst refuses"
    assert _sorted(quick) == _sorted(libcst)


FILES = {
    **{f"case-{name}": text for name, text in CASES.items()},
    **{f"newer-{name}": text for name, text in NEWER_TEXTS.items()},
    "generated-statements": "".join(_fstring_statements() + _DEFINITIONS),
    "common": "".join(COMMON),
    **{f"generated-{index}": "from x import y\n\n" + text + "\nz = 1\n"
       for index, text in enumerate(GENERATED)},
}


def _libcst_lowered(source: str, monkeypatch: pytest.MonkeyPatch) -> str | None:
    monkeypatch.setenv(NO_QUICK_LOWERING_ENV, "1")
    try:
        return lower_source(source, HOST)
    finally:
        monkeypatch.delenv(NO_QUICK_LOWERING_ENV)


@pytest.mark.parametrize("name", list(FILES))
def test_a_file_lowers_as_on_the_libcst_path_whenever_the_quick_path_answers(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole-file answer counts when the lowered file parses (``parse_python`` asks
    the libcst path otherwise); so does every statement's answer inside the mixed path."""
    source = FILES[name]
    libcst = _libcst_lowered(source, monkeypatch)
    quick = quick_lowered(source)
    if quick is not None and host_accepts(quick):
        assert quick == libcst
    assert lower_source(source, HOST) == libcst


@pytest.mark.parametrize("text", COMMON)
def test_the_common_forms_are_answered_by_the_quick_path(text: str) -> None:
    assert not host_accepts(text)
    assert quick_edits(text) is not None
    source = "from x import y\n\n" + text + "\nz = 1\n"
    assert quick_lowered(source) is not None


def test_the_bench_file_and_the_common_forms_together_are_answered() -> None:
    bench = _bench().newer_syntax_source(True)  # type: ignore[attr-defined]
    for source in (bench, "".join(COMMON), "".join(COMMON) + bench):
        lowered = quick_lowered(source)
        assert lowered is not None and host_accepts(lowered)


def test_a_file_the_quick_path_lowers_never_imports_libcst() -> None:
    script = (
        "import sys\nfrom celerylint.parsing.parse import parse_python\n"
        "tree = parse_python(sys.stdin.read(), 'tasks.py')\n"
        "print(type(tree).__name__, 'libcst' in sys.modules)\n"
    )
    bench = _bench().newer_syntax_source(True)  # type: ignore[attr-defined]
    for source, imported in ((bench, "False"), ("try: pass\nexcept A, B: pass\n", "True")):
        done = subprocess.run([sys.executable, "-c", script], input=source, text=True,
                              capture_output=True, check=True, timeout=120)
        assert done.stdout.split()[1] == imported, done.stdout + done.stderr


def test_a_file_too_deep_for_libcst_reads_the_same_either_way(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The libcst path refuses a file its depth gauge finds too deep; the quick path asks
    that gauge whenever its own cheap bound cannot rule it out."""
    deep = "type A = int\nx = " + " + ".join(["1"] * 700) + "\n"
    assert quick_lowered(deep) is None
    assert _libcst_lowered(deep, monkeypatch) is None
    assert lower_source(deep, HOST) is None
    long_but_shallow = "type A = int\nx = " + " + ".join(["1"] * 450) + "\n"
    lowered = quick_lowered(long_but_shallow)
    assert lowered is not None
    assert lowered == _libcst_lowered(long_but_shallow, monkeypatch)


# -- the real command on a project in 3.12 syntax -------------------------------------------

PROJECT = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "shop/__init__.py": "",
    "shop/celery.py": (
        "from celery import Celery\n\n"
        "type Conf = dict[str, object]\n"
        'app = Celery("shop", broker=f"redis://{env["HOST"]}:6379/0")\n'
        "app.conf.task_serializer = 'pickle'\n"
    ),
    "shop/tasks.py": (
        "from shop.celery import app\n\n"
        "type Payload[T] = dict[str, T]\n\n\n"
        "def pick[T](items: list[T]) -> T:\n    return items[0]\n\n\n"
        "@app.task(acks_late=True)\n"
        "def charge(order_id):\n"
        '    label = f"{order_id["key"]!r:>{10}}"\n'
        "    charge.delay(order_id)\n"
        "    return label\n\n\n"
        "@app.task(bind=True, max_retries=3)\n"
        "def refund[T](self, order_id: T):\n"
        "    try:\n        pass\n    except Exception as exc:\n"
        "        raise self.retry(exc=exc, countdown=f\"{'x'}\")\n\n\n"
        "class Box[T]:\n"
        "    def get[U](self, key: U) -> T: ...\n"
    ),
    "shop/mixed.py": (
        "from shop.celery import app\n\n"
        "type Alias = int\n\n\n"
        "@app.task(acks_late=True)\n"
        "def late(x):\n"
        "    try:\n        return x\n    except ValueError, TypeError:\n"
        '        return f"{x["a"]}"\n'
    ),
    "shop/broken.py": ("from shop.celery import app\n\ntype A = int\n\n\n"
                       "@app.task\ndef broken(:\n    pass\n"),
}


def _outputs(root: Path, args: list[str], quick: bool) -> str:
    env = {} if quick else {NO_QUICK_LOWERING_ENV: "1"}
    run = run_celerylint(["check", "--select", "ALL", "--exit-zero", *args], root, env)
    assert run.code == 0, run.stderr
    return run.stdout + run.stderr


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_the_command_prints_the_same_with_and_without_the_quick_path(
        fmt: str, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "shop", PROJECT)
    results = set()
    for jobs, quick in itertools.product(("1", "2"), (True, False)):
        cache = tmp_path / f"cache-{jobs}-{quick}"
        args = [".", "--output-format", fmt, "--jobs", jobs]
        cold = _outputs(root, [*args, "--no-cache"], quick)
        first = _outputs(root, [*args, "--cache-dir", str(cache)], quick)
        warm = _outputs(root, [*args, "--cache-dir", str(cache)], quick)
        results.update({cold, first, warm})
    assert len(results) == 1, results
    (output,) = results
    assert "CEL001" in output and "broken.py" in output  # the real syntax error is reported
    for code in ("CEL", "tasks.py", "mixed.py"):
        assert code in output


# -- the real corpus, rewritten into 3.12 syntax (opt-in: pytest -m corpus) ----------------

_DEFINITION = re.compile(r"^(\s*(?:async\s+)?(?:def|class)\s+\w+)(?=[(:])", re.MULTILINE)


def _reuse_quotes(text: str) -> str:
    """Rewrite each f-string whose fields use the other quote to reuse its own (PEP 701);
    strings the host tokenizer cannot read, or with backslashes, stay as they are."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    out, cursor = [], 0
    for token in tokens:
        string = token.string
        opening = re.match(r"[fF](['\"])(?!\1\1)", string)
        if token.type != tokenize.STRING or not opening or "\\" in string:
            continue
        own = opening.group(1)
        other = "'" if own == '"' else '"'
        body, depth = [], 0
        for char in re.split(r"(\{\{|\}\}|[{}'\"])", string[2:-1]):
            depth += {"{": 1, "}": -1}.get(char, 0)
            body.append(own if char == other and depth > 0 else char)
        if depth or other not in string:
            continue
        start = starts[token.start[0] - 1] + token.start[1]
        out += [text[cursor:start], string[:2], "".join(body), own]
        cursor = starts[token.end[0] - 1] + token.end[1]
    return "".join(out) + text[cursor:]


def _in_312_syntax(text: str) -> str:
    """PEP 701 f-strings, a type parameter on every third def and class, and an alias."""
    count = itertools.count(1)
    text = _DEFINITION.sub(lambda m: m.group(1) + ("[T_]" if next(count) % 3 == 0 else ""),
                           _reuse_quotes(text))
    return text + "\ntype CorpusAlias[K] = dict[str, K]\n"


@pytest.mark.corpus
def test_the_corpus_in_312_syntax_lowers_as_on_the_libcst_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every third file of the corpus, rewritten into 3.12 syntax: the quick path's
    answer (when the lowered file parses) is the libcst path's, and it answers for
    nearly all of them."""
    corpus, names = corpus_projects()
    files = sorted(path for name in names for path in (corpus / name).rglob("*.py"))[::3]
    answered = rejected = 0
    for path in files:
        try:
            source = _in_312_syntax(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, OSError):
            continue
        if host_accepts(source):
            continue
        rejected += 1
        quick = quick_lowered(source)
        if quick is not None and host_accepts(quick):
            answered += 1
            assert quick == _libcst_lowered(source, monkeypatch), path
    assert rejected and answered >= 0.95 * rejected, (answered, rejected)
