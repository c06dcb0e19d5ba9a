"""The spec-driven test of DESIGN.md: every example in rules/*.toml, through the real
`celerylint` command. A bad example fires exactly its rule on the expected lines; a good
example (the "stays silent" traps among them) fires nothing for that rule."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from conftest import locations, run_celerylint, write_tree

from celerylint.catalog.specs import Example, RuleSpec, load_catalog


def _cases(kind: str) -> list[tuple[RuleSpec, Example]]:
    return [(spec, ex) for spec in load_catalog().values() for ex in spec.examples
            if ex.kind == kind]


def _id(case: tuple[RuleSpec, Example]) -> str:
    spec, example = case
    return f"{spec.code}-{example.title}"


def _check(spec: RuleSpec, example: Example, tmp_path: Path) -> list[str]:
    project = write_tree(tmp_path / "project", example.files)
    run = run_celerylint(
        ["check", "--output-format", "json", "--select", spec.code, *example.args], project
    )
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


def test_every_rule_has_bad_and_good_examples() -> None:
    for spec in load_catalog().values():
        kinds = {example.kind for example in spec.examples}
        assert {"bad", "good"} <= kinds, spec.code


def _tree(root: Path, names: Iterable[str]) -> dict[str, str]:
    return {name: (root / name).read_text(encoding="utf-8") for name in names}


@pytest.mark.parametrize("case", _cases("fixed"), ids=_id)
def test_fixed_example_is_what_fix_writes(case: tuple[RuleSpec, Example], tmp_path: Path
                                          ) -> None:
    """`check --fix --unsafe-fixes --select CODE` leaves exactly the `fixed` files (the
    others untouched), and fixing the result again changes nothing."""
    spec, example = case
    assert set(example.fixed) <= set(example.files), "fixed names a file the example lacks"
    project = write_tree(tmp_path / "project", example.files)
    args = ["check", "--fix", "--unsafe-fixes", "--select", spec.code, *example.args]
    first = run_celerylint(args, project)
    assert first.code in (0, 1), first.stderr
    assert "warning" not in first.stderr, first.stderr
    expected = {name: example.fixed.get(name, text) for name, text in example.files.items()}
    assert expected != dict(example.files), "a fixed example must change something"
    assert _tree(project, example.files) == expected
    again = run_celerylint(args, project)
    assert again.code in (0, 1), again.stderr
    assert _tree(project, example.files) == expected


def test_fixable_rules_have_fixed_examples() -> None:
    """A rule with a fix shows it; a rule without one has no fixed example."""
    for spec in load_catalog().values():
        has_fixed = any(example.kind == "fixed" for example in spec.examples)
        assert has_fixed == (spec.fix != "none"), spec.code
