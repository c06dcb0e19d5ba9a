"""The benchmark harness's pure helpers: medians, ratios, verdicts and the report layout.

Nothing here times, downloads or runs a peer: bench/run.py is loaded as a module and only
its functions that turn numbers into text are called, on made-up results.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

RUN_PY = Path(__file__).resolve().parents[1] / "bench" / "run.py"


def _load() -> ModuleType:
    # bench/ is not a package; dataclasses need the module registered while it loads.
    spec = importlib.util.spec_from_file_location("bench_run", RUN_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    return module


bench = _load()


def _outcome(*samples: float, note: str = "") -> Any:
    return bench.Outcome(list(samples), note)


def _project(name: str, files: int, **medians: float) -> Any:
    """A project result whose tools each ran once with the given seconds."""
    names = {"cold": bench.COLD, "warm": bench.WARM, "ruff": bench.RUFF,
             "flake8": bench.FLAKE8, "audit": bench.AUDIT}
    result = bench.ProjectResult(name, files)
    result.outcomes = {names[key]: _outcome(value) for key, value in medians.items()}
    return result


def _env(quick: bool = False) -> Any:
    return bench.Environment(2, "3.11.7", "Linux x86_64", "0.1.0", "abc1234",
                             ("--no-cache",), (("ruff", "0.17.5"),), 5, quick)


def _results() -> Any:
    pretix = _project("pretix", 1000, cold=0.9, warm=0.3, ruff=0.6, flake8=30.0,
                      audit=20.0)
    whole = _project("corpus", 5000, cold=6.0, warm=1.0, ruff=2.0, flake8=60.0,
                     audit=50.0)
    whole.memory = bench.Memory(tree=250_000_000, largest=120_000_000)
    scaling = [bench.ScaleResult(1, 100, _outcome(1.0)),
               bench.ScaleResult(2, 200, _outcome(2.1)),
               bench.ScaleResult(4, 400, _outcome(5.0),
                                 bench.Memory(tree=320_000_000, largest=100_000_000))]
    one_file = bench.PairResult("pretix/pretix/base/services/mail.py", _outcome(0.2),
                                _outcome(0.5))
    newer = bench.PairResult("tasks.py (generated)", _outcome(0.33), _outcome(0.31))
    mix = bench.MixResult(300, _outcome(2.5), {"a": _outcome(1.25), "b": _outcome(1.25)},
                          _outcome(0.5))
    return bench.Results(_env(), [pretix, whole], scaling, "the corpus",
                         ["ruff check --isolated --no-cache pretix"], one_file, newer, mix)


def test_summarize_takes_the_median_and_the_range() -> None:
    summary = bench.summarize([5.0, 1.0, 3.0, 100.0, 2.0])
    assert (summary.median, summary.low, summary.high) == (3.0, 1.0, 100.0)
    assert bench.summarize([1.0, 2.0]).median == 1.5
    assert bench.summarize([]) is None


def test_a_failed_or_inapplicable_tool_has_no_summary() -> None:
    assert _outcome(1.0, 2.0, note="error (exit 2)").summary is None
    assert _outcome(note="n/a").summary is None
    assert _outcome(1.0, 3.0).summary == bench.Summary(2.0, 1.0, 3.0)


def test_ratio_of_medians_and_missing_sides() -> None:
    assert bench.ratio(bench.Summary(1.0, 0.5, 2.0), bench.Summary(4.0, 1.0, 9.0)) == 0.25
    assert bench.ratio(None, bench.Summary(1.0, 1.0, 1.0)) is None
    assert bench.ratio(bench.Summary(1.0, 1.0, 1.0), None) is None


@pytest.mark.parametrize(("value", "expected"), [(0.1, "PASS"), (0.1001, "FAIL"),
                                                 (None, "n/a")])
def test_verdict_against_an_upper_limit(value: float | None, expected: str) -> None:
    assert bench.verdict(value, 0.1) == expected


def test_render_table_pads_columns() -> None:
    table = bench.render_table(["a", "long header"], [["wide cell", "x"]])
    assert table.splitlines() == [
        "| a         | long header |",
        "|-----------|-------------|",
        "| wide cell | x           |",
    ]


def test_scaling_deviation_is_relative_to_one_copy() -> None:
    devs = bench.deviations(_results().scaling)
    assert devs[0] == 0.0
    assert devs[1] == pytest.approx(0.05)
    assert devs[2] == pytest.approx(0.25)


def test_targets_are_judged_from_the_measured_ratios() -> None:
    rows = {row[0]: row[1:] for row in bench.targets_rows(_results())}
    assert rows["pretix, cold: celerylint / flake8"] == ["0.03x", "<= 0.05x", "PASS"]
    assert rows["pretix, cold: celerylint / ruff"] == ["1.50x", "<= 2x", "PASS"]
    assert rows["corpus, cold: celerylint / ruff"] == ["3.00x", "<= 1.7x", "FAIL"]
    assert rows["corpus, warm: celerylint / ruff"] == ["0.50x", "<= 0.4x", "FAIL"]
    assert rows["4x copies, peak RSS of celerylint (process tree)"] == [
        "320 MB", "<= 300 MB", "FAIL"]
    assert rows["2x copies: time per file vs 1x"] == ["+5%", "+/- 20%", "PASS"]
    assert rows["4x copies: time per file vs 1x"] == ["+25%", "+/- 20%", "FAIL"]
    assert rows["one file after an edit, warm (wheel): celerylint"] == [
        "0.200 s", "<= 0.25 s", "PASS"]
    assert rows["one file after an edit: celerylint / flake8 --select CEL"] == [
        "0.40x", "<= 0.5x", "PASS"]
    assert rows["newer-syntax file: seconds over its 3.11 twin"] == [
        "+20 ms", "<= 30 ms", "PASS"]
    assert rows["mixed tree: time vs its projects checked alone"] == [
        "+25%", "<= +20%", "FAIL"]


def test_targets_without_their_project_are_not_applicable() -> None:
    results = _results()
    results.projects = results.projects[1:]
    rows = {row[0]: row[1:] for row in bench.targets_rows(results)}
    assert rows["pretix, cold: celerylint / flake8"] == ["n/a", "<= 0.05x", "n/a"]


def test_cases_not_measured_are_not_applicable() -> None:
    results = _results()
    results.one_file = results.newer_syntax = results.mix = None
    results.scaling = []
    rows = {row[0]: row[1:] for row in bench.targets_rows(results)}
    assert rows["one file after an edit, warm (wheel): celerylint"][-1] == "n/a"
    assert rows["newer-syntax file: seconds over its 3.11 twin"][-1] == "n/a"
    assert rows["4x copies, peak RSS of celerylint (process tree)"][-1] == "n/a"
    assert rows["mixed tree: time vs its projects checked alone"][-1] == "n/a"
    assert "| n/a  | n/a  | n/a" in bench.render_report(results)


def test_a_mixed_tree_is_compared_with_the_sum_of_its_parts() -> None:
    mix = _results().mix
    assert mix.parts_seconds() == 2.0
    assert mix.deviation() == pytest.approx(0.25)
    mix.parts["b"] = _outcome(note="error (exit 2)")
    assert mix.parts_seconds() is None and mix.deviation() is None
    assert bench.mix_rows(mix)[-2:] == [["sum of the projects, one start-up", "n/a"],
                                        ["all together (300 .py files)", "2.50 (2.50-2.50)"]]


def test_the_newer_syntax_file_needs_lowering_and_its_twin_does_not() -> None:
    twin = bench.newer_syntax_source(False)
    newer = bench.newer_syntax_source(True)
    ast.parse(twin)
    assert len(newer.splitlines()) == len(twin.splitlines()) > 700
    if sys.version_info < (3, 12):
        with pytest.raises(SyntaxError):
            ast.parse(newer)


def test_the_edited_file_of_the_one_file_case_defines_a_task(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def helper():\n    pass\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "tasks.py").write_text("@app.task(bind=True)\ndef t(self):\n    pass\n")
    (tmp_path / "c.py").write_text("@shared_task\ndef u():\n    pass\n")
    assert bench.task_module(tmp_path) == tmp_path / "b" / "tasks.py"
    assert bench.task_module(tmp_path / "b" / "missing") is None


def test_report_layout_is_fixed() -> None:
    text = bench.render_report(_results())
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# celerylint benchmark",
        "## Targets",
        "## Times (seconds)",
        "## Ratios celerylint / peer (medians)",
        "## Peak memory of celerylint, cold",
        "## Scaling: celerylint cold on copies of the corpus",
        "## One file, and a file in newer syntax",
        "## Mixed tree: several real projects together",
        "## Commands",
        "## How this is measured",
    ]
    assert "2 cores" in text and "Python 3.11.7" in text and "ruff 0.17.5" in text
    assert "| pretix  | 1000      | 0.90 (0.90-0.90)" in text
    assert "0.03x PASS (<= 0.05x)" in text
    assert "| 4x     | 400       | 5.00 (5.00-5.00) | 12.50       | +25%           | 320 MB" in text
    assert "Quick smoke run" not in text
    assert bench.render_report(_results()) == text


def test_failed_cells_show_why() -> None:
    results = _results()
    results.projects[0].outcomes[bench.COLD] = _outcome(note="error (exit 2)")
    text = bench.render_report(results)
    assert "| pretix  | 1000      | error (exit 2)" in text
    rows = {row[0]: row[1:] for row in bench.targets_rows(results)}
    assert rows["pretix, cold: celerylint / ruff"][-1] == "n/a"


def test_header_tells_how_busy_the_machine_was() -> None:
    env = bench.Environment(2, "3.11.7", "Linux x86_64", "0.1.0", "abc1234", (), (), 1,
                            True, (4.07, 5.5))
    lines = bench.header_lines(env)
    assert "- Load average (1 min) at start / end: 4.1 / 5.5" in lines
    assert ("- celerylint 0.1.0 (HEAD abc1234, plus any uncommitted edits), flags available: "
            "none") in lines
    assert any(line.startswith("**Quick smoke run") for line in lines)


def test_ratio_cells_mark_only_measured_targets() -> None:
    results = _results()
    pretix = results.projects[0]
    assert bench.ratio_cell(results, pretix, bench.COLD, bench.RUFF) == "1.50x PASS (<= 2x)"
    assert bench.ratio_cell(results, pretix, bench.WARM, bench.RUFF) == "0.50x"
    pretix.outcomes[bench.RUFF] = _outcome(note="error (exit 2)")
    assert bench.ratio_cell(results, pretix, bench.COLD, bench.RUFF) == "n/a"
