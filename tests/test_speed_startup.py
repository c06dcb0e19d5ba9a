"""Issue 14, start-up and the one-file case: the rule catalog read without its examples,
fixes built only for the files a run reports, the cache decoded and saved faster, and the
modules a plain check never uses left unimported. None of it may change the output:
proved through the real command, with each lever's switch where it has one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import invoke_celerylint, run_celerylint
from test_speed_levers import many_module_project

from celerylint.catalog.specs import load_catalog, load_header, load_spec, rules_dir
from celerylint.findings import Span
from celerylint.fixes import view
from celerylint.model.codec import DecodeError, encode, loads

HEADER_FIELDS = ("code", "name", "severity", "default_enabled", "fix", "summary", "rationale",
                 "silent", "fix_description")


@pytest.mark.parametrize("path", sorted(rules_dir().glob("CEL*.toml")), ids=lambda p: p.stem)
def test_a_spec_header_reads_as_the_whole_spec(path: Path) -> None:
    whole, header = load_spec(path), load_header(path)
    assert [getattr(header, f) for f in HEADER_FIELDS] == [
        getattr(whole, f) for f in HEADER_FIELDS]
    assert list(header.examples) == list(whole.examples)  # read from the file on first use


def test_the_catalog_reads_no_example_until_asked() -> None:
    load_catalog.cache_clear()
    spec = load_catalog()["CEL203"]
    assert spec.examples._examples is None  # type: ignore[attr-defined]
    assert len(spec.examples) == len(load_spec(rules_dir() / "CEL203.toml").examples)


def test_a_cut_inside_a_multi_line_string_falls_back_to_the_whole_file(
        tmp_path: Path) -> None:
    spec = tmp_path / "CEL999.toml"
    spec.write_text(
        'code = "CEL999"\nname = "demo"\nseverity = "note"\nsummary = "S."\n'
        'rationale = """\nWhy.\n[[examples]]\nstill the rationale\n"""\n\n'
        '[[examples]]\nkind = "good"\ntitle = "t"\n[examples.files]\n"a.py" = ""\n')
    header, whole = load_header(spec), load_spec(spec)
    assert header.rationale == whole.rationale == "Why.\n[[examples]]\nstill the rationale"
    assert [e.title for e in header.examples] == ["t"]


# --- fixes only for the reported files ---------------------------------------------------

FORMATS = ("text", "json", "sarif")


def _output(project: Path, fmt: str, paths: tuple[str, ...], *extra: str,
            eager: bool = False) -> str:
    env = {"CELERYLINT_EAGER_FIXES": "1"} if eager else {}
    run = run_celerylint(["check", *paths, "--select", "ALL", "--exit-zero",
                          "--output-format", fmt, *extra], project, env=env)
    assert run.code == 0, run.stderr
    return run.stdout + run.stderr


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return many_module_project(tmp_path_factory.mktemp("scope") / "big", modules=20)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("paths", [(), ("big/tasks_03.py",),
                                   ("big/celeryconfig.py", "big/tasks_11.py"),
                                   ("big/plain_02.py",)], ids=str)
def test_fixes_for_the_reported_files_only_change_no_output(big: Path, fmt: str,
                                                            paths: tuple[str, ...]) -> None:
    scoped = _output(big, fmt, paths, "--no-cache")
    assert scoped == _output(big, fmt, paths, "--no-cache", eager=True)
    if paths == ("big/tasks_03.py",):
        assert ("fixable" if fmt == "text" else "reject_on_worker_lost=True") in scoped


@pytest.mark.parametrize("paths", [("big/tasks_03.py",), ()], ids=str)
def test_fix_scope_with_jobs_and_a_warm_cache(big: Path, tmp_path: Path,
                                              paths: tuple[str, ...]) -> None:
    cache = str(tmp_path / "cache")
    runs = {
        "eager, jobs 1, cold": _output(big, "json", paths, "--jobs", "1", "--no-cache",
                                       eager=True),
        "jobs 2, filling": _output(big, "json", paths, "--jobs", "2", "--cache-dir", cache),
        "jobs 2, warm": _output(big, "json", paths, "--jobs", "2", "--cache-dir", cache),
        "jobs 1, warm": _output(big, "json", paths, "--jobs", "1", "--cache-dir", cache),
    }
    assert len(set(runs.values())) == 1, runs.keys()


def test_only_the_reported_file_is_parsed_for_fixes(big: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real = view._view

    def counting(path: str, data: bytes) -> view.FileView | None:
        parsed.append(path)
        return real(path, data)

    monkeypatch.setattr(view, "_view", counting)
    view._LAST_READ.clear()
    run = invoke_celerylint(["check", "big/tasks_05.py", "--select", "ALL", "--exit-zero",
                             "--no-cache", "--jobs", "1", "--output-format", "json"], big)
    assert any(f["fix"] for f in json.loads(run.stdout))
    assert set(parsed) == {"big/tasks_05.py"}


# --- the cache codec ---------------------------------------------------------------------

def test_the_codec_round_trips_the_cached_facts_of_a_project(big: Path, tmp_path: Path
                                                             ) -> None:
    cache = tmp_path / "cache"
    _output(big, "json", (), "--jobs", "1", "--cache-dir", str(cache))
    [cache_file] = cache.glob("facts-*.json")
    saved = json.loads(cache_file.read_text())
    assert saved["entries"] and saved["stats"]
    for entry in saved["entries"].values():
        result = loads(entry["text"])
        assert json.loads(json.dumps(encode(result))) == json.loads(entry["text"])
        again = loads(json.dumps(encode(result)))
        assert again == result
        if result.facts is not None:  # built as __init__ builds it, fields in order
            assert list(vars(again.facts)) == list(vars(result.facts))


@pytest.mark.parametrize("text", [
    '{"@S": [1, 2, 3]}', '{"@S": [1, 2, 3, "4"]}', '{"@S": "abcd"}', '{"@t": 5}',
    '{"@S": [1, 2, 3, 4], "x": 1}', '{"@": "NoSuchFacts"}', '{"@": "Span", "row": 1}',
    '{"@set": [[1]]}', '{"@d": [[1]]}',
])
def test_the_codec_rejects_what_it_never_writes(text: str) -> None:
    with pytest.raises(DecodeError):
        loads(text)


def test_the_codec_revives_tags_and_plain_objects() -> None:
    assert loads('{"@S": [1, 2, 3, 4]}') == Span(1, 2, 3, 4)
    assert loads('{"@t": [1, {"@t": []}]}') == (1, ())
    assert loads('{"a": {"b": 1}, "c": {"@set": [2, 1]}}') == {"a": {"b": 1}, "c": {1, 2}}
    assert loads('{"@d": [[{"@t": [1]}, 2]]}') == {(1,): 2}


# --- start-up ----------------------------------------------------------------------------

def test_a_plain_check_imports_no_process_pool_nor_git_runner() -> None:
    """The pool's modules (~25 ms) load only when a pool runs; subprocess only for git."""
    code = ("import sys, celerylint.cli; print(sorted(m for m in sys.modules if m in "
            "('concurrent.futures.process', 'multiprocessing', 'subprocess', 'rich')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(("fmt", "rich"), [("json", False), ("sarif", False),
                                           ("text", True)])
def test_rich_loads_only_where_text_is_rendered(big: Path, fmt: str, rich: bool) -> None:
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print('rich' in sys.modules, file=sys.stderr))\n"
            "from celerylint.cli import main\n"
            f"sys.argv = ['celerylint', 'check', '--select', 'ALL', '--exit-zero', "
            f"'--no-cache', '--jobs', '1', '--output-format', '{fmt}', 'big/tasks_01.py']\n"
            "main()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=big, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == str(rich)
