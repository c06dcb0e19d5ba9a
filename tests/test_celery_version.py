"""The target Celery version: stated by the user, or the lowest the project's requirements allow."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from celerylint.model.celery_version import (
    TargetVersion,
    detect_target_version,
    parse_version,
    resolve_target_version,
)


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def lowest_from_requirement(tmp_path: Path, line: str) -> tuple[int, int] | None:
    write(tmp_path, "requirements.txt", line + "\n")
    return detect_target_version(tmp_path).version


# --- parse_version ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("5.6", (5, 6)), ("5.6.2", (5, 6)), (" 5.10 ", (5, 10))]
)
def test_parse_version(text: str, expected: tuple[int, int]) -> None:
    assert parse_version(text) == expected


@pytest.mark.parametrize("text", ["5", "5.x", "v5.6", "5.6.2.1", "5.6rc1", "", ">=5.6"])
def test_parse_version_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected MAJOR\.MINOR or MAJOR\.MINOR\.PATCH"):
        parse_version(text)


def test_stated_version_wins_over_requirements(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "celery==5.2.7\n")
    assert resolve_target_version(tmp_path, "5.6") == TargetVersion((5, 6), "--celery-version")
    assert resolve_target_version(tmp_path, "5.5.1", "pyproject.toml [tool.celerylint]") == (
        TargetVersion((5, 5), "pyproject.toml [tool.celerylint]")
    )
    assert resolve_target_version(tmp_path, None).version == (5, 2)


def test_stated_version_must_parse(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        resolve_target_version(tmp_path, "latest")


# --- specifiers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("celery==5.3.1", (5, 3)),
        ("celery==5.3.*", (5, 3)),
        ("celery===5.3.1", (5, 3)),
        ("celery>=5.2,<6", (5, 2)),
        ("celery >= 5.2 , < 6", (5, 2)),
        ("celery<6,>=5.2", (5, 2)),
        ("celery~=5.3.0", (5, 3)),
        ("celery~=5.3", (5, 3)),
        ("celery>5.3", (5, 3)),
        ("celery>=5", (5, 0)),
        ("celery>=5.4.0rc1", (5, 4)),
        ("celery>=5.2,!=5.2.1", (5, 2)),
        ("celery>=5.2,==5.3.*", (5, 3)),
        ("celery (>=5.3)", (5, 3)),
        ("celery[redis,sqs]>=5.3", (5, 3)),
        ("celery [redis] >= 5.3", (5, 3)),
        ('celery>=5.3; python_version >= "3.8"', (5, 3)),
        ('celery[redis]>=5.4 ; sys_platform != "win32" and python_version>"3.8"', (5, 4)),
        ("Celery>=5.1", (5, 1)),
        ("CELERY==5.0.5", (5, 0)),
        ("celery<6", None),
        ("celery<=5.4", None),
        ("celery!=5.3.0", None),
        ("celery", None),
        ("celery[redis]", None),
        ("celery @ https://example.com/celery-5.3.0.tar.gz", None),
        ("celery>=1!5.3", None),
    ],
)
def test_lowest_allowed_version(
    tmp_path: Path, line: str, expected: tuple[int, int] | None
) -> None:
    assert lowest_from_requirement(tmp_path, line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "django-celery-beat>=2.5",
        "celery-redbeat==2.0",
        "pytest-celery>=0.0.0",
        "django_celery_results==2.5",
        "celery_singleton>=0.3",
        "flower>=2.0  # celery>=5.3 monitoring",
    ],
)
def test_only_the_celery_distribution_counts(tmp_path: Path, line: str) -> None:
    assert detect_target_version(tmp_path) == TargetVersion(None, "unknown")
    write(tmp_path, "requirements.txt", line + "\n")
    assert detect_target_version(tmp_path) == TargetVersion(None, "unknown")


@pytest.mark.parametrize("name", ["Celery", "CELERY", "celery"])
def test_names_are_normalised(tmp_path: Path, name: str) -> None:
    assert lowest_from_requirement(tmp_path, f"{name}>=5.3") == (5, 3)


# --- requirements files -------------------------------------------------------------------


def test_requirements_source_names_file_line_and_requirement(tmp_path: Path) -> None:
    write(
        tmp_path,
        "requirements.txt",
        """\
        # the worker
        redis>=4

        celery>=5.3,<6  # pinned below 6 until we migrate
        """,
    )
    assert detect_target_version(tmp_path) == TargetVersion(
        (5, 3), "requirements.txt:4 (celery>=5.3,<6)"
    )


def test_requirements_hashes_and_continuations(tmp_path: Path) -> None:
    write(
        tmp_path,
        "requirements.txt",
        """\
        kombu==5.3.4 \\
            --hash=sha256:abc
        celery==5.3.6 \\
            --hash=sha256:0123 \\
            --hash=sha256:4567
        """,
    )
    assert detect_target_version(tmp_path) == TargetVersion(
        (5, 3), "requirements.txt:3 (celery==5.3.6)"
    )


def test_commented_out_requirement_is_ignored(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "# celery==4.4.7\ncelery==5.3.6\n")
    assert detect_target_version(tmp_path).version == (5, 3)


def test_requirements_variants_and_folder_take_the_lowest(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "celery==5.4.0\n")
    write(tmp_path, "requirements-dev.txt", "celery>=5.3\n")
    write(tmp_path, "requirements/base.txt", "celery>=5.2.7,<6\n")
    assert detect_target_version(tmp_path) == TargetVersion(
        (5, 2), "requirements/base.txt:1 (celery>=5.2.7,<6)"
    )


def test_includes_are_followed_relative_to_the_including_file(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "-r deps/common.txt\n")
    write(tmp_path, "deps/common.txt", "--requirement=../pins/celery.txt\nredis\n")
    write(tmp_path, "pins/celery.txt", "-r ../requirements.txt\ncelery==5.1.2\n")
    assert detect_target_version(tmp_path) == TargetVersion(
        (5, 1), "pins/celery.txt:2 (celery==5.1.2)"
    )


def test_short_include_without_space(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "-rother.txt\n")
    write(tmp_path, "other.txt", "celery>=5.3\n")
    assert detect_target_version(tmp_path).version == (5, 3)


def test_missing_include_and_constraints_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "-r missing.txt\n-c constraints.txt\ncelery>=5.4\n")
    write(tmp_path, "constraints.txt", "celery==5.0.0\n")
    assert detect_target_version(tmp_path).version == (5, 4)


def test_files_elsewhere_are_not_read(tmp_path: Path) -> None:
    write(tmp_path, "docs/requirements.txt", "celery==4.4\n")
    write(tmp_path, "requirements/sub/extra.txt", "celery==4.4\n")
    write(tmp_path, "reqs.txt", "celery==4.4\n")
    assert detect_target_version(tmp_path) == TargetVersion(None, "unknown")


def test_undecodable_requirements_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "requirements-old.txt").write_bytes(b"celery==4.4\n\xff\xfe\n")
    write(tmp_path, "requirements.txt", "celery>=5.3\n")
    assert detect_target_version(tmp_path).version == (5, 3)


def test_unbounded_declaration_gives_unknown_with_a_reason(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "celery[redis]\n")
    assert detect_target_version(tmp_path) == TargetVersion(
        None, "unknown: requirements.txt:1 (celery[redis]) sets no lower bound"
    )


def test_unbounded_declaration_does_not_hide_a_bounded_one(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "celery\n")
    write(tmp_path, "requirements-prod.txt", "celery==5.4.0\n")
    assert detect_target_version(tmp_path).version == (5, 4)


# --- pyproject.toml -----------------------------------------------------------------------


def test_pep621_dependencies(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        """\
        [project]
        name = "app"
        dependencies = [
            "django>=4.2",
            "django-celery-beat>=2.0",
            "celery[redis,sqs] >=5.3.4, <6 ; python_version >= '3.8'",
        ]
        [project.optional-dependencies]
        old = ["celery==4.4.7"]
        """,
    )
    assert detect_target_version(tmp_path) == TargetVersion(
        (5, 3),
        "pyproject.toml [project].dependencies "
        "(celery[redis,sqs] >=5.3.4, <6 ; python_version >= '3.8')",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"^5.3"', (5, 3)),
        ('"~5.2"', (5, 2)),
        ('"5.3.1"', (5, 3)),
        ('"=5.3.1"', (5, 3)),
        ('">=5.2 <6"', (5, 2)),
        ('"^4.4 || ^5.0"', (4, 4)),
        ('"<5 || >=5.3"', None),
        ('"*"', None),
        ('{version = ">=5.2", extras = ["redis"]}', (5, 2)),
        ('{git = "https://github.com/celery/celery.git"}', None),
        ('[{version = "^5.3", python = ">=3.8"}, {version = "^5.2", python = "<3.8"}]', (5, 2)),
    ],
)
def test_poetry_dependencies(tmp_path: Path, value: str, expected: tuple[int, int] | None) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        f'[tool.poetry.dependencies]\npython = "^3.9"\ncelery = {value}\n',
    )
    assert detect_target_version(tmp_path).version == expected


def test_poetry_source_text(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.poetry.dependencies]\nCelery = "^5.3"\n')
    assert detect_target_version(tmp_path) == TargetVersion(
        (5, 3), 'pyproject.toml [tool.poetry.dependencies] (Celery = "^5.3")'
    )


def test_poetry_dev_group_is_not_read(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.poetry.group.dev.dependencies]\ncelery = "^4.4"\n')
    assert detect_target_version(tmp_path).version is None


@pytest.mark.parametrize(
    "text",
    [
        "[project\ndependencies = ['celery==4.4']\n",
        "project = 3\n",
        "[project]\ndependencies = 'celery==4.4'\n",
        "[project]\ndependencies = [4, {a = 1}]\n",
        "[tool]\npoetry = [1]\n",
    ],
)
def test_malformed_pyproject_is_skipped(tmp_path: Path, text: str) -> None:
    write(tmp_path, "pyproject.toml", text)
    write(tmp_path, "requirements.txt", "celery>=5.3\n")
    assert detect_target_version(tmp_path).version == (5, 3)


# --- setup.cfg and Pipfile ----------------------------------------------------------------


def test_setup_cfg_multiline_install_requires(tmp_path: Path) -> None:
    write(
        tmp_path,
        "setup.cfg",
        """\
        [metadata]
        name = app

        [options]
        install_requires =
            kombu>=5.3
            # celery==4.4
            celery[redis]>=5.2.3,<6; python_version>="3.8"
        """,
    )
    assert detect_target_version(tmp_path) == TargetVersion(
        (5, 2),
        'setup.cfg [options] install_requires (celery[redis]>=5.2.3,<6; python_version>="3.8")',
    )


def test_setup_cfg_single_line_is_split_on_semicolons(tmp_path: Path) -> None:
    write(tmp_path, "setup.cfg", "[options]\ninstall_requires = kombu; celery>=5.1\n")
    assert detect_target_version(tmp_path).version == (5, 1)


@pytest.mark.parametrize(
    "text", ["[options\ninstall_requires = celery==4.4\n", "no section\n", "[metadata]\nname = x\n"]
)
def test_setup_cfg_malformed_or_without_requirements(tmp_path: Path, text: str) -> None:
    write(tmp_path, "setup.cfg", text)
    assert detect_target_version(tmp_path) == TargetVersion(None, "unknown")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"==5.3.1"', (5, 3)),
        ('">=5.2,<6"', (5, 2)),
        ('"*"', None),
        ('{version = "~=5.4.0", extras = ["redis"]}', (5, 4)),
        ('{extras = ["redis"]}', None),
    ],
)
def test_pipfile_packages(tmp_path: Path, value: str, expected: tuple[int, int] | None) -> None:
    write(tmp_path, "Pipfile", f"[packages]\ncelery = {value}\n[dev-packages]\ncelery = '==4.0'\n")
    assert detect_target_version(tmp_path).version == expected


def test_malformed_pipfile_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "Pipfile", "[packages\ncelery = '==4.0'\n")
    assert detect_target_version(tmp_path) == TargetVersion(None, "unknown")


# --- several sources ----------------------------------------------------------------------


def test_lowest_across_every_kind_of_source(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\ndependencies = ["celery>=5.4"]\n')
    write(tmp_path, "setup.cfg", "[options]\ninstall_requires =\n    celery>=5.3\n")
    write(tmp_path, "Pipfile", '[packages]\ncelery = ">=5.5"\n')
    write(tmp_path, "requirements.txt", "celery==5.6.0\n")
    assert detect_target_version(tmp_path) == TargetVersion(
        (5, 3), "setup.cfg [options] install_requires (celery>=5.3)"
    )


def test_empty_project_is_unknown(tmp_path: Path) -> None:
    assert detect_target_version(tmp_path) == TargetVersion(None, "unknown")
