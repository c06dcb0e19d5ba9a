"""The rule specs load and are well formed, and docs/rules.md is generated from them.

The spec-driven test that runs `celerylint check` on every example lives elsewhere; these
tests only prove the catalog is complete and self-consistent, and that the published
documentation is exactly what the generator produces from it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import libcst
import pytest
from test_rule_specs import NO_TEXT_BAD_EXAMPLE

from celerylint.catalog import docs
from celerylint.catalog.docs import render_catalog, render_rule, sync_docs
from celerylint.catalog.specs import Example, RuleSpec, load_catalog, load_spec, rules_dir
from celerylint.checks import registry

# Every registered rule ships a spec and nothing else does (the registry test checks the
# registered codes against the catalog).
EXPECTED_CODES = set(registry.all_rules())


@pytest.fixture(scope="module")
def catalog() -> dict[str, RuleSpec]:
    load_catalog.cache_clear()
    return load_catalog()


def _examples(catalog: dict[str, RuleSpec]) -> Iterator[tuple[RuleSpec, Example]]:
    for spec in catalog.values():
        for example in spec.examples:
            yield spec, example


def test_docs_rules_md_is_up_to_date(catalog: dict[str, RuleSpec]) -> None:
    committed = docs.DOCS_PATH.read_bytes().decode("utf-8")
    assert committed == render_catalog(catalog), (
        "docs/rules.md is stale: regenerate it with `python -m celerylint.catalog.docs`"
    )


def test_every_spec_file_loads() -> None:
    paths = sorted(rules_dir().glob("*.toml"))
    assert {load_spec(path).code for path in paths} == EXPECTED_CODES


def test_catalog_holds_exactly_the_shipped_codes(catalog: dict[str, RuleSpec]) -> None:
    assert set(catalog) == EXPECTED_CODES


def test_every_anchor_is_in_the_docs(catalog: dict[str, RuleSpec]) -> None:
    text = docs.DOCS_PATH.read_text(encoding="utf-8")
    for spec in catalog.values():
        assert f'<a id="{spec.anchor}"></a>' in text
        assert f"](#{spec.anchor})" in text


@pytest.mark.parametrize("kind", ["bad", "good"])
def test_every_rule_has_bad_and_good_examples(catalog: dict[str, RuleSpec], kind: str) -> None:
    missing = [code for code, spec in catalog.items() if not _has_kind(spec, kind)
               and not (kind == "bad" and code in NO_TEXT_BAD_EXAMPLE)]
    assert missing == []


def _has_kind(spec: RuleSpec, kind: str) -> bool:
    return any(example.kind == kind for example in spec.examples)


def test_only_rules_with_a_fix_have_fixed_examples(catalog: dict[str, RuleSpec]) -> None:
    for spec in catalog.values():
        if spec.fix == "none":
            assert not _has_kind(spec, "fixed"), spec.code


def test_expected_findings_point_at_real_lines(catalog: dict[str, RuleSpec]) -> None:
    """Every ``file:line`` names a file of the example and a non-blank line in it."""
    for spec, example in _examples(catalog):
        where = f"{spec.code} {example.title!r}"
        if example.kind == "bad":
            assert example.expect, f"{where}: a bad example must expect a finding"
        else:
            assert not example.expect, f"{where}: only bad examples expect findings"
        for item in example.expect:
            name, _, line = item.rpartition(":")
            assert name in example.files, f"{where}: {name} is not one of its files"
            lines = example.files[name].splitlines()
            assert 1 <= int(line) <= len(lines), f"{where}: {item} is past the end"
            assert lines[int(line) - 1].strip(), f"{where}: {item} is a blank line"


def test_fixed_examples_change_their_files(catalog: dict[str, RuleSpec]) -> None:
    for spec, example in _examples(catalog):
        if example.kind != "fixed":
            continue
        assert example.fixed, f"{spec.code} {example.title!r} has no fixed files"
        for name, text in example.fixed.items():
            assert name in example.files
            assert text != example.files[name]


# Good examples showing that a module which no longer parses is not taken for gone: the
# working-tree file that is broken on purpose.
BROKEN_ON_PURPOSE = {("CEL406", "a module that no longer parses: its tasks are not gone"):
                     "proj/tasks.py"}


def test_example_python_parses_except_cel001_bad(catalog: dict[str, RuleSpec]) -> None:
    """Examples are real code: only CEL001's examples may hold files that fail to parse
    (its bad examples at the lines they expect; a good one shows a broken file that
    celerylint does not read, named `legacy.py`), and the working-tree file named in
    `BROKEN_ON_PURPOSE` (the base of those examples parses)."""
    for spec, example in _examples(catalog):
        expected = {item.rpartition(":")[0] for item in example.expect}
        broken_file = BROKEN_ON_PURPOSE.get((spec.code, example.title))
        for current, files in ((False, example.base), (True, {**example.files, **example.fixed})):
            for name, text in files.items():
                if not name.endswith(".py"):
                    continue
                unread = example.kind == "good" and name.endswith("legacy.py")
                broken = current and name == broken_file
                if (spec.code == "CEL001" and (name in expected or unread)) or broken:
                    with pytest.raises(libcst.ParserSyntaxError):
                        libcst.parse_module(text)
                else:
                    libcst.parse_module(text)


def test_render_rule_puts_the_anchor_before_the_heading(catalog: dict[str, RuleSpec]) -> None:
    text = render_rule(catalog["CEL101"])
    assert text.startswith('<a id="cel101-pickle-serializer"></a>\n\n## CEL101 pickle-serializer\n')
    assert "| error | on | unsafe (applied by `--fix --unsafe-fixes`) |" in text
    assert "### Stays silent" in text


def test_render_rule_marks_finding_lines(catalog: dict[str, RuleSpec]) -> None:
    text = render_rule(catalog["CEL101"])
    assert "CEL101 reports: `celeryconfig.py:2`." in text
    assert '`celeryconfig.py`, finding on line 2: `task_serializer = "pickle"`' in text


def test_render_rule_shows_off_by_default_and_extra_args(
    catalog: dict[str, RuleSpec],
) -> None:
    assert "| warning | off (enable with `--extend-select CEL211`) | none |" in render_rule(
        catalog["CEL211"]
    )
    assert "Checked with `celerylint check --select CEL203 --celery-version 5.6`." in (
        render_rule(catalog["CEL203"])
    )


def _spec(example: Example) -> RuleSpec:
    return RuleSpec(
        code="CEL999",
        name="demo-rule",
        severity="note",
        default_enabled=True,
        fix="safe",
        summary="Demo | summary.",
        rationale="Why.",
        silent=(),
        fix_description="",
        examples=(example,),
    )


def test_render_rule_fences_survive_backticks_and_empty_files() -> None:
    example = Example(
        kind="fixed",
        title="demo",
        files={"pkg/__init__.py": "", "README.md": "```py\nx = 1\n```"},
        fixed={"README.md": "x = 2\n"},
    )
    text = render_rule(_spec(example))
    assert "````text\n```py\nx = 1\n```\n````" in text
    assert "Empty: `pkg/__init__.py`." in text
    assert "After `celerylint check --select CEL999 --fix`:" in text
    assert "### Stays silent" not in text


def test_render_catalog_links_every_rule_and_escapes_cells() -> None:
    example = Example(kind="good", title="demo", files={"a.py": "x = 1\n"})
    text = render_catalog({"CEL999": _spec(example)})
    assert (
        "| [CEL999](#cel999-demo-rule) | demo-rule | note | on | safe | Demo \\| summary. |" in text
    )
    assert "python -m celerylint.catalog.docs" in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_sync_docs_writes_then_reports_up_to_date(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "rules.md"
    assert sync_docs(target, "# rules\n", check=True) == 1
    assert not target.exists()
    assert sync_docs(target, "# rules\n", check=False) == 0
    assert target.read_bytes() == b"# rules\n"
    assert sync_docs(target, "# rules\n", check=True) == 0


def test_sync_docs_check_names_the_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "rules.md"
    target.write_text("old\n", encoding="utf-8")
    assert sync_docs(target, "new\n", check=True) == 1
    assert target.read_text(encoding="utf-8") == "old\n"
    assert f"{target} is stale" in capsys.readouterr().err


def test_module_check_passes_on_the_committed_docs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "celerylint.catalog.docs", "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
