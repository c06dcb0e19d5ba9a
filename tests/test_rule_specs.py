"""The spec-driven test of DESIGN.md: every example in rules/*.toml, through the
`celerylint` command. A bad example fires exactly its rule on the expected lines; a good
example (the "stays silent" traps among them) fires nothing for that rule; a fixed
example is what `--fix` writes, and fixing it again changes nothing.

The examples run in this process through the click command (`invoke_celerylint`, with
``--jobs 1`` and the facts cache inside each example's own project); a few run again as
real subprocesses of the installed console script, which must print exactly the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Callable

import pytest
from conftest import (
    Run,
    example_project,
    invoke_celerylint,
    locations,
    run_celerylint,
    write_tree,
)

from celerylint.catalog.specs import Example, RuleSpec, load_catalog

Runner = Callable[[Sequence[str], Path], Run]
IN_PROCESS = ["--jobs", "1"]  # no process pool per example


def _in_process(args: Sequence[str], cwd: Path) -> Run:
    return invoke_celerylint([*args, *IN_PROCESS], cwd)


def _cases(kind: str) -> list[tuple[RuleSpec, Example]]:
    return [(spec, ex) for spec in load_catalog().values() for ex in spec.examples
            if ex.kind == kind]


def _id(case: tuple[RuleSpec, Example]) -> str:
    spec, example = case
    return f"{spec.code}-{example.title}"


def _check_args(spec: RuleSpec, example: Example) -> list[str]:
    return ["check", "--output-format", "json", "--select", spec.code,
            *example.command_args]


def _check(spec: RuleSpec, example: Example, tmp_path: Path,
           runner: Runner = _in_process) -> list[str]:
    project = example_project(example, tmp_path / "project")
    run = runner(_check_args(spec, example), project)
    assert run.code in (0, 1), run.stderr
    return sorted(locations(run, spec.code))


@pytest.mark.parametrize("case", _cases("bad"), ids=_id)
def test_bad_example_fires_on_expected_lines(case: tuple[RuleSpec, Example],
                                             tmp_path: Path) -> None:
    spec, example = case
    assert example.expect, f"{spec.code} bad example {example.title!r} expects nothing"
    assert _check(spec, example, tmp_path) == sorted(example.expect)


@pytest.mark.parametrize("case", _cases("good"), ids=_id)
def test_good_example_stays_silent(case: tuple[RuleSpec, Example], tmp_path: Path) -> None:
    spec, example = case
    assert _check(spec, example, tmp_path) == []


# Rules whose bad cases (symlinks, FIFOs, permissions) cannot be written as text files:
# their own test files prove them through the command (tests/test_unreadable_file.py).
NO_TEXT_BAD_EXAMPLE = {"CEL003"}


def test_every_rule_has_bad_and_good_examples() -> None:
    for spec in load_catalog().values():
        kinds = {example.kind for example in spec.examples}
        wanted = {"good"} if spec.code in NO_TEXT_BAD_EXAMPLE else {"bad", "good"}
        assert wanted <= kinds, spec.code


def _tree(root: Path, names: Iterable[str]) -> dict[str, str]:
    return {name: (root / name).read_text(encoding="utf-8") for name in names}


def _fix_args(spec: RuleSpec, example: Example) -> list[str]:
    return ["check", "--fix", "--unsafe-fixes", "--select", spec.code, *example.args]


def _assert_fix_writes_fixed(spec: RuleSpec, example: Example, tmp_path: Path,
                             runner: Runner = _in_process) -> None:
    assert set(example.fixed) <= set(example.files), "fixed names a file the example lacks"
    project = write_tree(tmp_path / "project", example.files)
    args = _fix_args(spec, example)
    first = runner(args, project)
    assert first.code in (0, 1), first.stderr
    assert "warning" not in first.stderr, first.stderr
    expected = {name: example.fixed.get(name, text) for name, text in example.files.items()}
    assert expected != dict(example.files), "a fixed example must change something"
    assert _tree(project, example.files) == expected
    again = runner(args, project)
    assert again.code in (0, 1), again.stderr
    assert _tree(project, example.files) == expected


@pytest.mark.parametrize("case", _cases("fixed"), ids=_id)
def test_fixed_example_is_what_fix_writes(case: tuple[RuleSpec, Example], tmp_path: Path
                                          ) -> None:
    """`check --fix --unsafe-fixes --select CODE` leaves exactly the `fixed` files (the
    others untouched), and fixing the result again changes nothing."""
    spec, example = case
    _assert_fix_writes_fixed(spec, example, tmp_path)


def test_fixable_rules_have_fixed_examples() -> None:
    """A rule with a fix shows it; a rule without one has no fixed example."""
    for spec in load_catalog().values():
        has_fixed = any(example.kind == "fixed" for example in spec.examples)
        assert has_fixed == (spec.fix != "none"), spec.code


# --- the real console script, on a few examples --------------------------------------

def _smoke_cases() -> list[tuple[RuleSpec, Example]]:
    """The first bad example, the last good one (of another rule), and the first
    example with extra command-line arguments."""
    bad, good = _cases("bad"), _cases("good")
    with_args = next(case for case in bad + good if case[1].args)
    return [bad[0], good[-1], with_args]


@pytest.mark.parametrize("case", _smoke_cases(), ids=_id)
def test_subprocess_prints_what_the_in_process_run_prints(
    case: tuple[RuleSpec, Example], tmp_path: Path
) -> None:
    """The console script and the click command agree byte for byte, exit code included;
    and the example passes its own check through the console script."""
    spec, example = case
    project = example_project(example, tmp_path / "project")
    args = [*_check_args(spec, example), "--no-cache"]
    real = run_celerylint(args, project)
    in_process = invoke_celerylint([*args, *IN_PROCESS], project)
    assert (real.code, real.stdout, real.stderr) == (
        in_process.code, in_process.stdout, in_process.stderr)
    expected = sorted(example.expect) if example.kind == "bad" else []
    assert real.code in (0, 1), real.stderr
    assert sorted(locations(real, spec.code)) == expected


def test_subprocess_fix_writes_the_fixed_example(tmp_path: Path) -> None:
    """`--fix` through the console script, on the first fixed example."""
    spec, example = _cases("fixed")[0]
    _assert_fix_writes_fixed(spec, example, tmp_path, run_celerylint)
