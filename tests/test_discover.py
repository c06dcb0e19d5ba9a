"""Tests for file discovery: shapes, excludes, .gitignore, symlinks and the project root."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from celerylint.engine.discover import DEFAULT_EXCLUDES, discover, find_project_root, under


def make(root: Path, files: Iterable[str], text: str = "") -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def ignore(folder: Path, *lines: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".gitignore").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(
    root: Path, excludes: Sequence[str] = DEFAULT_EXCLUDES, extend: Sequence[str] = ()
) -> list[str]:
    return discover(root, excludes, extend)


# --- file shapes -----------------------------------------------------------------------

READ = [
    "app/tasks.py",
    "Procfile",
    "Procfile.dev",
    "docker-compose.yml",
    "k8s/worker.yaml",
    "deploy/celery.service",
    "deploy/supervisord.conf",
    "tox.ini",
    "Dockerfile",
    "Dockerfile.prod",
    "worker.Dockerfile",
    "docker/beat.dockerfile",
    "entrypoint.sh",
    "s6/worker/run",
    "pyproject.toml",
    "setup.cfg",
    "Pipfile",
    "requirements.txt",
    "requirements-dev.txt",
    "requirements/base.txt",
]
NOT_READ = [
    "README.md",
    "notes.txt",
    "data.json",
    "ruff.toml",
    "app/tasks.pyc",
    "app/tasks.pyi",
    "Pipfile.lock",
    "running",
    "docs/requirements.md",
]


def test_only_files_of_known_shapes_are_returned(tmp_path: Path) -> None:
    make(tmp_path, READ + NOT_READ)
    assert run(tmp_path) == sorted(READ)


def test_paths_are_sorted_and_slash_separated(tmp_path: Path) -> None:
    make(tmp_path, ["b.py", "a/z.py", "a/b/c.py", "A.py"])
    assert run(tmp_path) == ["A.py", "a/b/c.py", "a/z.py", "b.py"]


# --- excludes --------------------------------------------------------------------------


def test_default_excludes_prune_at_any_depth(tmp_path: Path) -> None:
    make(
        tmp_path,
        [
            ".git/hooks/pre-commit.py",
            ".venv/lib/x.py",
            "venv/lib/x.py",
            ".tox/py311/x.py",
            "node_modules/pkg/x.py",
            "build/lib/x.py",
            "src/pkg/build/x.py",
            "dist/x.py",
            "pkg/__pycache__/x.py",
            "pkg.egg-info/x.py",
            ".eggs/x.py",
            "lib/site-packages/x.py",
            ".celerylint_cache/x.py",
            "src/pkg/builder.py",
        ],
    )
    assert run(tmp_path) == ["src/pkg/builder.py"]


def test_exclude_replaces_the_defaults(tmp_path: Path) -> None:
    make(tmp_path, ["build/x.py", "legacy/x.py", "ok.py"])
    assert run(tmp_path, excludes=["legacy"]) == ["build/x.py", "ok.py"]


def test_extend_exclude_adds_names_and_paths(tmp_path: Path) -> None:
    make(
        tmp_path,
        [
            "src/gen/a.py",
            "src/gen/sub/b.py",
            "src/keep/gen_c.py",
            "other/gen/d.py",
            "docs/conf.py",
            "pkg/docs/conf.py",
            "migrations/0001.py",
            "app/migrations/0001.py",
            "app/models.py",
            "build/x.py",
        ],
    )
    found = run(tmp_path, extend=["src/gen/*.py", "./docs", "**/migrations", "*_c.py"])
    assert found == ["app/models.py", "other/gen/d.py", "pkg/docs/conf.py"]


def test_trailing_slash_in_an_exclude_names_a_folder_anywhere(tmp_path: Path) -> None:
    make(tmp_path, ["a/generated/x.py", "generated.py"])
    assert run(tmp_path, extend=["generated/"]) == ["generated.py"]


def test_virtualenv_under_any_name_is_skipped(tmp_path: Path) -> None:
    make(tmp_path, ["myenv/pyvenv.cfg", "myenv/lib/python3.11/celery/app.py", "app.py"])
    assert run(tmp_path, excludes=[]) == ["app.py"]


def test_root_with_pyvenv_cfg_is_still_read(tmp_path: Path) -> None:
    make(tmp_path, ["pyvenv.cfg", "app.py"])
    assert run(tmp_path) == ["app.py"]


# --- .gitignore ------------------------------------------------------------------------


def test_root_gitignore(tmp_path: Path) -> None:
    ignore(
        tmp_path,
        "# generated code",
        "",
        "generated_*.py",
        "/local_settings.py",
        "run/",
        "cache/",
        "!cache/keep.py",
        "out/*",
        "!out/keep.py",
        "a/**/z.py",
        r"\#hash.py",
        "spaced.py   ",
    )
    make(
        tmp_path,
        [
            "generated_models.py",
            "pkg/generated_api.py",
            "local_settings.py",
            "pkg/local_settings.py",
            "run/x.py",
            "svc/run",
            "cache/keep.py",
            "out/drop.py",
            "out/keep.py",
            "a/z.py",
            "a/b/c/z.py",
            "b/z.py",
            "#hash.py",
            "spaced.py",
            "kept.py",
        ],
    )
    assert run(tmp_path) == [
        "b/z.py",
        "kept.py",
        "out/keep.py",
        "pkg/local_settings.py",
        "svc/run",
    ]


def test_nested_gitignore_applies_to_its_subtree_only(tmp_path: Path) -> None:
    ignore(tmp_path, "vendored.py")
    ignore(tmp_path / "pkg", "*.py", "!keep.py", "!vendored.py", "/only_here.yml")
    make(
        tmp_path,
        [
            "vendored.py",
            "top.py",
            "only_here.yml",
            "pkg/drop.py",
            "pkg/keep.py",
            "pkg/vendored.py",
            "pkg/only_here.yml",
            "pkg/sub/deep.py",
            "pkg/sub/only_here.yml",
            "other/drop.py",
        ],
    )
    assert run(tmp_path) == [
        "only_here.yml",
        "other/drop.py",
        "pkg/keep.py",
        "pkg/sub/only_here.yml",
        "pkg/vendored.py",
        "top.py",
    ]


def test_gitignore_in_an_ignored_folder_cannot_reinclude(tmp_path: Path) -> None:
    ignore(tmp_path, "secret/")
    ignore(tmp_path / "secret", "!*.py")
    make(tmp_path, ["secret/a.py", "b.py"])
    assert run(tmp_path) == ["b.py"]


def test_git_info_exclude_is_honoured(tmp_path: Path) -> None:
    make(tmp_path, [".git/info/exclude"], text="private.py\n")
    make(tmp_path, ["private.py", "public.py"])
    assert run(tmp_path) == ["public.py"]


def test_gitignore_files_above_the_root_apply_up_to_the_git_top(tmp_path: Path) -> None:
    top = tmp_path / "repo"
    (top / ".git").mkdir(parents=True)
    ignore(top, "*.gen.py", "/proj/skip.py", "/skip_top_only.py")
    ignore(top / "proj", "local.py")
    root = top / "proj" / "backend"
    make(root, ["a.gen.py", "skip.py", "local.py", "skip_top_only.py", "app.py"])
    assert run(root) == ["app.py", "skip.py", "skip_top_only.py"]
    assert run(top / "proj") == ["backend/app.py", "backend/skip.py", "backend/skip_top_only.py"]


def test_gitignore_above_a_root_outside_git_is_not_read(tmp_path: Path) -> None:
    if any((folder / ".git").exists() for folder in tmp_path.resolve().parents):
        pytest.skip("the temporary folder is inside a git repository")
    ignore(tmp_path, "*.py")
    make(tmp_path / "proj", ["app.py"])
    assert run(tmp_path / "proj") == ["app.py"]


# --- symlinks --------------------------------------------------------------------------


def test_symlinked_folders_are_not_followed_and_loops_end(tmp_path: Path) -> None:
    make(tmp_path, ["pkg/app.py", "real/lib.py"])
    try:
        (tmp_path / "pkg" / "loop").symlink_to(tmp_path, target_is_directory=True)
        (tmp_path / "pkg" / "self").symlink_to(tmp_path / "pkg", target_is_directory=True)
        (tmp_path / "linked_lib.py").symlink_to(tmp_path / "real" / "lib.py")
        (tmp_path / "broken.py").symlink_to(tmp_path / "missing.py")
        (tmp_path / "dir_named.py").symlink_to(tmp_path / "real", target_is_directory=True)
    except OSError:
        pytest.skip("symlinks are not available")
    # broken.py stays, to be reported as unreadable (CEL003)
    assert run(tmp_path) == ["broken.py", "linked_lib.py", "pkg/app.py", "real/lib.py"]


# --- speed -----------------------------------------------------------------------------


def test_five_thousand_files_are_fast(tmp_path: Path) -> None:
    ignore(tmp_path, *(f"pattern_{n}_*.py" for n in range(30)), "!keep_*.py", "/skip/")
    for folder in range(100):
        base = tmp_path / f"pkg{folder}" / "sub"
        base.mkdir(parents=True)
        for index in range(50):
            (base / f"mod_{index}.py").write_text("")
    make(tmp_path, [f"node_modules/m{n}/index.py" for n in range(200)])
    started = time.perf_counter()
    found = run(tmp_path)
    elapsed = time.perf_counter() - started
    assert len(found) == 5000
    assert elapsed < 2.0, f"discovery took {elapsed:.2f}s"


# --- project root ----------------------------------------------------------------------


def test_project_root_is_the_folder_of_the_nearest_pyproject(tmp_path: Path) -> None:
    make(tmp_path, ["pyproject.toml", "src/pkg/tasks.py"])
    assert find_project_root([tmp_path / "src" / "pkg"]) == tmp_path.resolve()
    assert find_project_root([tmp_path / "src" / "pkg" / "tasks.py"]) == tmp_path.resolve()
    make(tmp_path, ["src/pyproject.toml"])
    assert (
        find_project_root([tmp_path / "src" / "pkg" / "tasks.py"]) == (tmp_path / "src").resolve()
    )


def test_project_root_uses_the_first_path_only(tmp_path: Path) -> None:
    make(tmp_path, ["a/pyproject.toml", "b/pyproject.toml", "a/x.py", "b/y.py"])
    roots = find_project_root([tmp_path / "b" / "y.py", tmp_path / "a" / "x.py"])
    assert roots == (tmp_path / "b").resolve()


def test_project_root_without_pyproject(tmp_path: Path) -> None:
    if any((folder / "pyproject.toml").is_file() for folder in tmp_path.resolve().parents):
        pytest.skip("a pyproject.toml above the temporary folder")
    make(tmp_path, ["pkg/tasks.py"])
    assert find_project_root([tmp_path / "pkg"]) == (tmp_path / "pkg").resolve()
    assert find_project_root([tmp_path / "pkg" / "tasks.py"]) == (tmp_path / "pkg").resolve()


def test_project_root_defaults_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, ["pyproject.toml", "pkg/x.py"])
    monkeypatch.chdir(tmp_path / "pkg")
    assert find_project_root([]) == tmp_path.resolve()
    assert find_project_root([Path(".")]) == tmp_path.resolve()


def test_project_root_resolves_symlinks(tmp_path: Path) -> None:
    make(tmp_path, ["real/pyproject.toml", "real/x.py"])
    try:
        os.symlink(tmp_path / "real", tmp_path / "alias", target_is_directory=True)
    except OSError:
        pytest.skip("symlinks are not available")
    assert find_project_root([tmp_path / "alias" / "x.py"]) == (tmp_path / "real").resolve()


# --- under -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relpath", "targets", "expected"),
    [
        ("src/app/tasks.py", ["."], True),
        ("src/app/tasks.py", [""], True),
        ("src/app/tasks.py", ["./"], True),
        ("src/app/tasks.py", ["src"], True),
        ("src/app/tasks.py", ["src/"], True),
        ("src/app/tasks.py", ["./src/app"], True),
        ("src/app/tasks.py", ["src/app/tasks.py"], True),
        ("src/app/tasks.py", ["src/app/task"], False),
        ("src2/tasks.py", ["src"], False),
        ("src/app/tasks.py", ["docs", "src/app"], True),
        ("src/app/tasks.py", ["docs", "tests"], False),
        ("src/app/tasks.py", [], False),
    ],
)
def test_under(relpath: str, targets: list[str], expected: bool) -> None:
    assert under(relpath, targets) is expected
