"""Tests for ``[tool.celerylint]`` loading, rule selection and per-file ignores."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from celerylint.engine.globs import glob_to_regex
from celerylint.engine.options import (
    FileOptions,
    OptionsError,
    find_pyproject,
    ignored_for_file,
    is_code_ignored,
    load_options,
    merge,
    select_codes,
)

CODES = ("CEL001", "CEL002", "CEL101", "CEL102", "CEL201", "CEL202", "CEL210", "CEL605")
DEFAULTS = ("CEL001", "CEL101", "CEL102", "CEL201", "CEL202", "CEL210")  # off: CEL002, CEL605


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, section: str) -> FileOptions:
    return load_options(write(tmp_path, "[tool.celerylint]\n" + section), CODES)


def error_of(tmp_path: Path, section: str) -> str:
    with pytest.raises(OptionsError) as caught:
        load(tmp_path, section)
    return str(caught.value)


# --- loading -------------------------------------------------------------------------


def test_every_key_is_read(tmp_path: Path) -> None:
    options = load(
        tmp_path,
        """
select = ["CEL1", "cel201"]
ignore = ["CEL102"]
extend-select = ["CEL605"]
exclude = ["legacy"]
extend-exclude = ["src/generated/*.py"]
task-decorators = ["myproj.utils.celery_task"]
test-patterns = ["qa/**"]
django-settings-module = "myproj.settings.prod"
celery-version = "5.3"

[tool.celerylint.per-file-ignores]
"tests/**" = ["CEL1", "CEL201"]
""",
    )
    assert options == FileOptions(
        path=tmp_path / "pyproject.toml",
        select=("CEL1", "CEL201"),
        ignore=("CEL102",),
        extend_select=("CEL605",),
        per_file_ignores={"tests/**": ("CEL1", "CEL201")},
        exclude=("legacy",),
        extend_exclude=("src/generated/*.py",),
        task_decorators=("myproj.utils.celery_task",),
        test_patterns=("qa/**",),
        django_settings_module="myproj.settings.prod",
        celery_version="5.3",
    )


def test_no_file_and_no_section_give_defaults(tmp_path: Path) -> None:
    assert load_options(None, CODES) == FileOptions()
    other_tool = write(tmp_path, '[project]\nname = "x"\n[tool.ruff]\nline-length = 90\n')
    assert load_options(other_tool, CODES) == FileOptions()


def test_empty_section_keeps_defaults_but_records_the_file(tmp_path: Path) -> None:
    options = load(tmp_path, "")
    assert options.path == tmp_path / "pyproject.toml"
    assert options.select is None and options.exclude is None
    assert options.ignore == () and options.per_file_ignores == {}


def test_three_part_version_is_accepted(tmp_path: Path) -> None:
    assert load(tmp_path, 'celery-version = "5.4.1"').celery_version == "5.4.1"


def test_invalid_toml_names_the_file_and_the_parser_message(tmp_path: Path) -> None:
    path = write(tmp_path, "[tool.celerylint]\nselect = ]\nignore = []\n")
    with pytest.raises(OptionsError) as caught:
        load_options(path, CODES)
    message = str(caught.value)
    assert "pyproject.toml is not valid TOML" in message
    assert "line 2" in message  # the parser's own position information survives


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, "[tool]\ncelerylint = 1\n")
    with pytest.raises(OptionsError, match=r"\[tool.celerylint\] in .*must be a table"):
        load_options(path, CODES)


def test_unknown_key_suggests_the_closest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    message = error_of(tmp_path, 'extend-selct = ["CEL1"]')
    assert message == (
        "unknown key 'extend-selct' in [tool.celerylint] of pyproject.toml; "
        "did you mean 'extend-select'?"
    )


def test_snake_case_key_suggests_the_kebab_case_key(tmp_path: Path) -> None:
    assert "did you mean 'per-file-ignores'?" in error_of(tmp_path, "per_file_ignores = {}")


def test_unknown_key_with_nothing_close_lists_the_valid_keys(tmp_path: Path) -> None:
    message = error_of(tmp_path, "colour = true")
    assert "unknown key 'colour'" in message
    assert "valid keys: select, ignore, extend-select, per-file-ignores" in message


@pytest.mark.parametrize(
    ("section", "key", "expected"),
    [
        ('select = "CEL1"', "select", "a list of strings, not a string ('CEL1')"),
        ("ignore = [1]", "ignore", "a list of strings, not a list"),
        ("extend-select = true", "extend-select", "a list of strings, not a boolean (True)"),
        ('per-file-ignores = ["x"]', "per-file-ignores", "a table of glob = [rule codes]"),
        ('per-file-ignores = {"" = ["CEL1"]}', "per-file-ignores", "with non-empty globs"),
        ('per-file-ignores = {"a.py" = "CEL1"}', 'per-file-ignores."a.py"', "a list of"),
        ('exclude = "build"', "exclude", "a list of strings"),
        ('extend-exclude = [""]', "extend-exclude", "a list of non-empty globs"),
        ("test-patterns = [1.5]", "test-patterns", "a list of strings"),
        ('task-decorators = ["celery_task"]', "task-decorators", "dotted import paths"),
        ('task-decorators = ["my-proj.task"]', "task-decorators", "dotted import paths"),
        ("django-settings-module = 5", "django-settings-module", "not an integer (5)"),
        ('django-settings-module = "my-proj.settings"', "django-settings-module", "dotted"),
        ("celery-version = 5.3", "celery-version", "not a float (5.3)"),
        ('celery-version = "5"', "celery-version", "a version string"),
        ('celery-version = "v5.3"', "celery-version", "a version string"),
    ],
)
def test_wrong_types_name_the_key_and_the_file(
    tmp_path: Path, section: str, key: str, expected: str
) -> None:
    message = error_of(tmp_path, section)
    assert message.startswith(f"'{key}' in [tool.celerylint] of ")
    assert "pyproject.toml must be " in message
    assert expected in message


@pytest.mark.parametrize(
    ("section", "where", "suggestion"),
    [
        ('select = ["CEL1O1"]', "'select'", "CEL101"),
        ('ignore = ["CEL2011"]', "'ignore'", "CEL201"),
        ('extend-select = ["CEL606"]', "'extend-select'", "CEL605"),
        ('per-file-ignores = {"t/*" = ["CEL6O5"]}', "'per-file-ignores.\"t/*\"'", "CEL605"),
    ],
)
def test_unknown_codes_are_errors_with_a_suggestion(
    tmp_path: Path, section: str, where: str, suggestion: str
) -> None:
    message = error_of(tmp_path, section)
    assert re.match(r"unknown rule selector '[^']+' in ", message), message
    assert f"in {where} in [tool.celerylint] of " in message
    assert message.endswith(f"; did you mean '{suggestion}'?")


def test_all_and_prefixes_are_valid_in_every_selector_key(tmp_path: Path) -> None:
    options = load(
        tmp_path,
        'select = ["ALL"]\nignore = ["CEL"]\nextend-select = ["CEL60"]\n'
        'per-file-ignores = {"x.py" = ["all"]}\n',
    )
    assert options.select == ("ALL",)
    assert options.per_file_ignores == {"x.py": ("ALL",)}


@pytest.mark.parametrize("selector", ["C", "CE", "CEL9", "cel-101", "", "ALLL", "CEL0011"])
def test_selectors_that_match_no_code_are_rejected(tmp_path: Path, selector: str) -> None:
    assert "unknown rule selector" in error_of(tmp_path, f'select = ["{selector}"]')


# --- find_pyproject --------------------------------------------------------------------


def test_find_pyproject_walks_up_from_a_folder_or_a_file(tmp_path: Path) -> None:
    top = write(tmp_path, "")
    nested = tmp_path / "src" / "pkg"
    nested.mkdir(parents=True)
    module = nested / "mod.py"
    module.write_text("")
    assert find_pyproject(nested) == top.resolve()
    assert find_pyproject(module) == top.resolve()
    inner = nested / "pyproject.toml"
    inner.write_text("")
    assert find_pyproject(module) == inner.resolve()


def test_find_pyproject_without_any(tmp_path: Path) -> None:
    if any((folder / "pyproject.toml").is_file() for folder in tmp_path.resolve().parents):
        pytest.skip("a pyproject.toml above the temporary folder")
    assert find_pyproject(tmp_path) is None


# --- select_codes ----------------------------------------------------------------------


def pick(
    select: list[str] | None, ignore: Sequence[str] = (), extend: Sequence[str] = ()
) -> list[str]:
    return sorted(select_codes(CODES, DEFAULTS, select, ignore, extend))


def test_defaults_when_nothing_is_selected() -> None:
    assert pick(None) == sorted(DEFAULTS)


def test_select_replaces_the_defaults() -> None:
    assert pick(["CEL1"]) == ["CEL101", "CEL102"]
    assert pick([]) == []


def test_all_includes_rules_that_are_off_by_default() -> None:
    assert pick(["ALL"]) == sorted(CODES)


def test_prefixes_include_rules_that_are_off_by_default() -> None:
    assert pick(["CEL6"]) == ["CEL605"]
    assert pick(["CEL00"]) == ["CEL001", "CEL002"]


def test_extend_select_adds_to_the_defaults_or_to_select() -> None:
    assert pick(None, extend=["CEL605"]) == sorted((*DEFAULTS, "CEL605"))
    assert pick(["CEL1"], extend=["CEL002"]) == ["CEL002", "CEL101", "CEL102"]


def test_ignore_removes() -> None:
    assert pick(None, ignore=["CEL2", "CEL001"]) == ["CEL101", "CEL102"]


def test_more_specific_ignore_wins_over_select() -> None:
    assert pick(["CEL2"], ignore=["CEL201"]) == ["CEL202", "CEL210"]
    assert pick(["CEL2"], ignore=["CEL20"]) == ["CEL210"]


def test_more_specific_select_wins_over_ignore() -> None:
    assert pick(["CEL201"], ignore=["CEL2"]) == ["CEL201"]
    assert pick(None, ignore=["CEL"], extend=["CEL102"]) == ["CEL102"]
    assert pick(["CEL"], ignore=["ALL"]) == sorted(CODES)


def test_ignore_wins_at_equal_specificity() -> None:
    assert pick(["CEL1"], ignore=["CEL1"]) == []
    assert pick(None, ignore=["CEL101"], extend=["CEL101"]) == [
        c for c in sorted(DEFAULTS) if c != "CEL101"
    ]


def test_selectors_are_case_insensitive() -> None:
    assert pick(["cel1"], ignore=[" cel102 "]) == ["CEL101"]


@pytest.mark.parametrize(
    ("select", "ignore", "extend", "label"),
    [
        (["NOPE123"], [], [], "select"),
        (None, ["CEL9"], [], "ignore"),
        (None, [], ["CEL7"], "extend-select"),
    ],
)
def test_unknown_selectors_name_their_option(
    select: list[str] | None, ignore: list[str], extend: list[str], label: str
) -> None:
    with pytest.raises(OptionsError, match=rf"unknown rule selector '\w+' in {label}\b"):
        pick(select, ignore, extend)


def test_suggestion_for_a_mistyped_code() -> None:
    with pytest.raises(OptionsError, match=r"did you mean 'CEL201'\?$"):
        pick(["CEL2O1"])


def test_known_codes_validate_but_all_codes_expand() -> None:
    known = (*CODES, "CEL999")
    assert select_codes(CODES, DEFAULTS, ["CEL999"], [], [], known) == frozenset()
    assert select_codes(CODES, DEFAULTS, ["CEL9"], [], [], known) == frozenset()
    with pytest.raises(OptionsError):
        select_codes(CODES, DEFAULTS, ["CEL999"], [], [])


def test_defaults_outside_all_codes_are_dropped() -> None:
    assert select_codes(["CEL101"], ["CEL101", "CEL102"], None, [], []) == {"CEL101"}


# --- per-file ignores ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("glob", "path", "hit"),
    [
        ("tests/**", "tests/test_a.py", True),
        ("tests/**", "tests/unit/deep/test_a.py", True),
        ("tests/**", "pkg/tests/test_a.py", False),
        ("tests/*", "tests/unit/test_a.py", True),  # '*' crosses '/', as in ruff
        ("**/tests/**", "pkg/tests/test_a.py", True),
        ("**/tests/**", "tests/test_a.py", True),
        ("**/settings/test*.py", "proj/settings/testing.py", True),
        ("conftest.py", "a/b/conftest.py", True),
        ("test_*.py", "pkg/test_models.py", True),
        ("test_*.py", "pkg/models.py", False),
        ("./scripts/*.py", "scripts/run.py", True),
        ("/scripts/*.py", "scripts/run.py", True),
        ("scripts/*.py", "other/scripts/run.py", False),
        ("{docs,examples}/**", "examples/app.py", True),
        ("{docs,examples}/**", "src/app.py", False),
        ("app[0-9].py", "app7.py", True),
        ("app[!0-9].py", "app7.py", False),
        ("!src/**", "tests/a.py", True),
        ("!src/**", "src/a.py", False),
    ],
)
def test_per_file_ignore_globs(glob: str, path: str, hit: bool) -> None:
    ignored = ignored_for_file(path, {glob: ["CEL1"]})
    assert ignored == (frozenset({"CEL1"}) if hit else frozenset())


def test_per_file_ignores_collect_every_matching_glob() -> None:
    table = {"tests/**": ["CEL1"], "*.py": ["cel201"], "docs/**": ["CEL6"]}
    assert ignored_for_file("tests/a.py", table) == {"CEL1", "CEL201"}


@pytest.mark.parametrize(
    ("code", "selectors", "ignored"),
    [
        ("CEL101", ["CEL101"], True),
        ("CEL101", ["CEL1"], True),
        ("CEL101", ["CEL"], True),
        ("CEL101", ["ALL"], True),
        ("CEL101", ["cel10"], True),
        ("CEL101", ["CEL2", "CEL102"], False),
        ("CEL101", [], False),
    ],
)
def test_is_code_ignored(code: str, selectors: list[str], ignored: bool) -> None:
    assert is_code_ignored(code, selectors) is ignored


# --- merge -----------------------------------------------------------------------------


def test_merge_replaces_only_given_values() -> None:
    file = FileOptions(path=Path("pyproject.toml"), select=("CEL1",), ignore=("CEL102",))
    merged = merge(file, select=["CEL2"], ignore=None, celery_version="5.4")
    assert merged.select == ("CEL2",)
    assert merged.ignore == ("CEL102",)
    assert merged.celery_version == "5.4"
    assert merged.path == Path("pyproject.toml")
    assert file.select == ("CEL1",)  # the original is untouched


def test_merge_turns_sequences_into_tuples() -> None:
    merged = merge(FileOptions(), per_file_ignores={"t/*": ["CEL1"]}, extend_exclude=["x"])
    assert merged.per_file_ignores == {"t/*": ("CEL1",)}
    assert merged.extend_exclude == ("x",)


def test_merge_rejects_unknown_fields() -> None:
    with pytest.raises(TypeError):
        merge(FileOptions(), selekt=["CEL1"])


# --- glob dialects ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("glob", "gitignore", "path", "hit"),
    [
        ("*.py", False, "a/b.py", True),
        ("*.py", True, "a/b.py", False),
        ("?", False, "/", True),
        ("?", True, "/", False),
        ("a/**/b", True, "a/b", True),
        ("a/**/b", True, "a/x/y/b", True),
        ("a/**", True, "a/x/y", True),
        ("a**b", True, "a/b", False),
        ("{a,b}", True, "a", False),
        ("{a,b", False, "{a,b", True),
        ("[ab", False, "[ab", True),
        (r"\*.py", True, "*.py", True),
        (r"\*.py", True, "x.py", False),
        ("[]]x", False, "]x", True),
    ],
)
def test_glob_dialects(glob: str, gitignore: bool, path: str, hit: bool) -> None:
    regex = re.compile(glob_to_regex(glob, gitignore=gitignore), re.DOTALL)
    assert (regex.fullmatch(path) is not None) is hit
