"""Adopting celerylint on an existing codebase through the real command: ``--add-noqa``
(silence every current finding in place), ``--fix-only`` and ``--exit-non-zero-on-fix``
(ruff's meanings)."""

from __future__ import annotations

from pathlib import Path

from conftest import copy_fixture, invoke_celerylint, run_celerylint, write_tree

PROJECT = {
    "pyproject.toml": '[project]\nname = "proj"\nversion = "1.0"\n',
    "proj/__init__.py": "",
    "proj/celery.py": (
        "from celery import Celery\n\n"
        'app = Celery("proj", include=["proj.tasks"])\n'
        "app.conf.task_time_limit = 60\n"
        'app.conf.task_serializer = "pickle"  # noqa: E501 the reason stays\n'
        'app.conf.accept_content = ["json", "pickle"]  # keep this comment\n'
        "app.conf.worker_prefetch_multiplier = 1\n"
        'app.conf.result_backend = "redis://"\n'
        "app.conf.result_expires = 3600\n"
    ),
    "proj/tasks.py": (
        "from proj.celery import app\n\n\n"
        "@app.task(acks_late=True)\n"
        "def both(x):\n"
        '    """Doc."""\n'
        "    return x\n\n\n"
        "def warm_up():\n"
        '    both.apply_async(serializer="pickle", args=("""a\n'
        'b""",))\n'
    ),
    "Procfile": "worker: celery -A proj worker -B\n",  # CEL605: not Python, no comment
}


def test_add_noqa_comments_every_finding_keeps_comments_and_is_idempotent(tmp_path: Path
                                                                          ) -> None:
    project = write_tree(tmp_path / "p", PROJECT)
    before = invoke_celerylint(["check", "--output-format", "concise", "--jobs", "1",
                                "--select", "ALL"], project)
    assert before.code == 1, before.stderr
    run = invoke_celerylint(["check", "--add-noqa", "--jobs", "1", "--select", "ALL"],
                            project)
    assert (run.code, run.stdout, run.stderr) == (0, "", "Added 4 noqa directives.\n")
    assert (project / "proj/celery.py").read_text(encoding="utf-8") == (
        "from celery import Celery\n\n"
        'app = Celery("proj", include=["proj.tasks"])\n'
        "app.conf.task_time_limit = 60\n"
        'app.conf.task_serializer = "pickle"  # noqa: E501, CEL101 the reason stays\n'
        'app.conf.accept_content = ["json", "pickle"]  # keep this comment  # noqa: CEL102\n'
        "app.conf.worker_prefetch_multiplier = 1\n"
        'app.conf.result_backend = "redis://"\n'
        "app.conf.result_expires = 3600\n")
    # a finding inside a multi-line string range gets its comment at the range's end
    assert (project / "proj/tasks.py").read_text(encoding="utf-8").endswith(
        "@app.task(acks_late=True)  # noqa: CEL203\n"
        "def both(x):\n"
        '    """Doc."""\n'
        "    return x\n\n\n"
        "def warm_up():\n"
        '    both.apply_async(serializer="pickle", args=("""a\n'
        'b""",))  # noqa: CEL101\n')
    assert (project / "Procfile").read_text(encoding="utf-8") == PROJECT["Procfile"]
    again = invoke_celerylint(["check", "--add-noqa", "--jobs", "1", "--select", "ALL"],
                              project)
    assert (again.code, again.stderr) == (0, "Added 0 noqa directives.\n")
    after = invoke_celerylint(["check", "--output-format", "concise", "--jobs", "1",
                               "--select", "ALL"], project)
    assert (after.code, after.stdout) == (1, (
        "Procfile:1:9: CEL605 warning: celery worker runs beat embedded (-B): every copy of "
        "this worker sends each periodic task\nFound 1 finding.\n"))


def test_add_noqa_cannot_be_combined_with_fixing(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "p", PROJECT)
    run = invoke_celerylint(["check", "--add-noqa", "--fix"], project)
    assert (run.code, run.stderr) == (
        2, "celerylint: error: --add-noqa cannot be used with --fix, --fix-only or --diff\n")


def test_fix_only_fixes_reports_nothing_else_and_exits_0(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    config = project / "celeryconfig.py"
    original = config.read_text(encoding="utf-8")
    run = run_celerylint(["check", "--fix-only", "--no-cache"], project)
    assert (run.code, run.stdout) == (0, "Found 1 finding (1 fixed, 0 remaining).\n")
    assert config.read_text(encoding="utf-8") != original
    assert "result_expires" in config.read_text(encoding="utf-8")
    nothing = run_celerylint(["check", "--fix-only", "--no-cache", "--output-format", "json"],
                             project)
    assert (nothing.code, nothing.stdout) == (0, "[]\n")


def test_exit_non_zero_on_fix(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    config = project / "celeryconfig.py"
    original = config.read_text(encoding="utf-8")
    args = ["check", "--no-cache", "--select", "CEL301"]
    fixed = run_celerylint([*args, "--fix", "--exit-non-zero-on-fix"], project)
    assert (fixed.code, fixed.stdout) == (1, "Found 1 finding (1 fixed, 0 remaining).\n")
    clean = run_celerylint([*args, "--fix", "--exit-non-zero-on-fix"], project)
    assert (clean.code, clean.stdout) == (0, "All checks passed.\n")
    config.write_text(original, encoding="utf-8")
    only = run_celerylint([*args, "--fix-only", "--exit-non-zero-on-fix"], project)
    assert only.code == 1
    config.write_text(original, encoding="utf-8")
    zero = run_celerylint([*args, "--fix", "--exit-non-zero-on-fix", "--exit-zero"], project)
    assert zero.code == 0
