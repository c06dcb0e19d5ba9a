"""``check --fix``, ``--unsafe-fixes``, ``--diff`` and ``--show-fixes``: the guarantees of
the fixer (minimal, idempotent, valid, safe on disk, convergent), through the real
command. Two guarantees need a failure that real rules never produce (a fix that breaks
the file, a file changed while it is being fixed); those run the same command in-process
with one function of the fixer replaced.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import celerylint_executable, invoke_celerylint, write_tree

from celerylint.cli import cli
from celerylint.findings import Edit, Finding, Fix, Span
from celerylint.fixes import edits
from celerylint.fixes.view import load_view
from celerylint.pipeline import apply
from celerylint.pipeline import fixing as runner

APP = '''from celery import Celery

app = Celery("proj")
app.config_from_object("celeryconfig")
'''
CONFIG = '''broker_url = "redis://localhost:6379/0"
result_backend = "redis://localhost:6379/1"
task_serializer = "pickle"
accept_content = ["json", "pickle"]
task_acks_late = True
worker_prefetch_multiplier = 1
'''
CONFIG_FIXED = '''broker_url = "redis://localhost:6379/0"
result_backend = "redis://localhost:6379/1"
result_expires = 86400
task_serializer = "json"
accept_content = ["json"]
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
'''
CONFIG_SAFE_FIXED = CONFIG.replace('result_backend = "redis://localhost:6379/1"\n',
                                   'result_backend = "redis://localhost:6379/1"\n'
                                   'result_expires = 86400\n')



def _runner() -> CliRunner:
    """A runner whose result keeps stderr apart: the default from click 8.2 on, an
    option before (click 8.1 is what Python 3.9 gets)."""
    if "mix_stderr" in inspect.signature(CliRunner).parameters:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    return CliRunner()

def project(tmp_path: Path, config: str = CONFIG, extra: Mapping[str, str] | None = None
            ) -> Path:
    files = {"proj/__init__.py": "", "proj/celery.py": APP, "celeryconfig.py": config}
    files.update(extra or {})
    return write_tree(tmp_path / "project", files)


def read(root: Path, name: str = "celeryconfig.py") -> str:
    return (root / name).read_text(encoding="utf-8")


def run_bytes(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """The command with binary output: a diff holds each file's own bytes."""
    return subprocess.run([celerylint_executable(), *args], cwd=cwd, capture_output=True,
                          check=False, timeout=300)


def snapshot(root: Path, names: Sequence[str]) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in names}


# --- what gets fixed ------------------------------------------------------------------

def test_fix_applies_safe_fixes_only_and_says_what_is_left(tmp_path: Path) -> None:
    root = project(tmp_path)
    run = invoke_celerylint(["check", "--fix"], root)
    assert run.code == 1, run.stderr
    assert read(root) == CONFIG_SAFE_FIXED
    assert run.stdout.endswith(
        "Found 4 findings (1 fixed, 3 remaining, 3 fixable with --unsafe-fixes).\n")


def test_unsafe_fixes_apply_every_fix_and_exit_0_when_nothing_remains(tmp_path: Path) -> None:
    root = project(tmp_path)
    run = invoke_celerylint(["check", "--fix", "--unsafe-fixes"], root)
    assert (run.code, run.stderr) == (0, "")
    assert read(root) == CONFIG_FIXED
    assert "Found 4 findings (4 fixed, 0 remaining)." in run.stdout


def test_without_fix_the_text_output_is_unchanged(tmp_path: Path) -> None:
    root = project(tmp_path)
    run = invoke_celerylint(["check", "--unsafe-fixes"], root)
    assert run.code == 1 and run.stdout.endswith(
        "Found 4 findings.\n[*] 4 fixable with --fix.\n")
    assert read(root) == CONFIG


def test_config_keys_work_like_the_flags(tmp_path: Path) -> None:
    root = project(tmp_path, extra={
        "pyproject.toml": "[tool.celerylint]\nfix = true\nunsafe-fixes = true\n"})
    assert invoke_celerylint(["check", "--no-fix"], root).code == 1
    assert read(root) == CONFIG
    assert invoke_celerylint(["check", "--no-unsafe-fixes"], root).code == 1
    assert read(root) == CONFIG_SAFE_FIXED
    assert invoke_celerylint(["check"], root).code == 0
    assert read(root) == CONFIG_FIXED


@pytest.mark.parametrize(("toml", "message"), [
    ("unsafe_fixes = true", "did you mean 'unsafe-fixes'?"),
    ('fix = "yes"', "'fix' in [tool.celerylint] of pyproject.toml must be true or false"),
])
def test_bad_fix_keys_are_errors(tmp_path: Path, toml: str, message: str) -> None:
    root = project(tmp_path, extra={"pyproject.toml": f"[tool.celerylint]\n{toml}\n"})
    run = invoke_celerylint(["check"], root)
    assert run.code == 2 and message in run.stderr


def test_json_output_carries_each_fix(tmp_path: Path) -> None:
    root = project(tmp_path)
    run = invoke_celerylint(["check", "--output-format", "json"], root)
    fixes = {item["code"]: item["fix"] for item in json.loads(run.stdout)}
    assert fixes["CEL301"] == {
        "applicability": "safe", "message": "Add result_expires = 86400",
        "edits": [{"content": "result_expires = 86400\n", "location": {"row": 3, "column": 1},
                   "end_location": {"row": 3, "column": 1}}],
    }
    assert fixes["CEL101"] == {
        "applicability": "unsafe", "message": "Replace 'pickle' with 'json'",
        "edits": [{"content": "json", "location": {"row": 3, "column": 20},
                   "end_location": {"row": 3, "column": 26}}],
    }
    assert fixes["CEL102"]["edits"] == [{"content": "", "location": {"row": 4, "column": 25},
                                         "end_location": {"row": 4, "column": 35}}]
    assert fixes["CEL203"]["edits"][0]["content"] == "task_reject_on_worker_lost = True\n"


def test_json_output_after_fixing_lists_what_remains(tmp_path: Path) -> None:
    root = project(tmp_path)
    run = invoke_celerylint(["check", "--fix", "--output-format", "json", "--show-fixes"], root)
    remaining = json.loads(run.stdout)
    assert sorted(item["code"] for item in remaining) == ["CEL101", "CEL102", "CEL203"]
    assert all(item["fix"]["applicability"] == "unsafe" for item in remaining)
    assert "Fixed 1 finding:" in run.stderr


def test_show_fixes_lists_fixes_per_file_and_rule(tmp_path: Path) -> None:
    root = project(tmp_path)
    run = invoke_celerylint(["check", "--fix", "--unsafe-fixes", "--show-fixes"], root)
    assert ("Fixed 4 findings:\n- celeryconfig.py:\n    1 × CEL101 (pickle-serializer)\n"
            "    1 × CEL102 (pickle-accepted)\n") in run.stdout
    assert "    1 × CEL301 (result-expires-unset)\n" in run.stdout


def test_fix_on_one_file_leaves_the_others(tmp_path: Path) -> None:
    root = project(tmp_path, extra={"proj/tasks.py": '''from proj.celery import app


@app.task(serializer="pickle")
def ping():
    return "pong"
'''})
    tasks = read(root, "proj/tasks.py")
    run = invoke_celerylint(["check", "celeryconfig.py", "--fix", "--unsafe-fixes"], root)
    assert run.code == 0, run.stdout
    assert read(root) == CONFIG_FIXED and read(root, "proj/tasks.py") == tasks


# --- minimal, idempotent, convergent ---------------------------------------------------

MESSY = ('broker_url="redis://localhost:6379/0"  \t# trailing spaces and a tab\n'
         "\n"
         "if True:\n"
         "\tresult_backend  =  'redis://localhost:6379/1'  ;  x = [ 1 ,2 ]\n"
         "task_serializer=(  'pickle'  )   # é ü — not ASCII\n"
         "\f\n"
         "accept_content = ( 'json' , 'pickle' , )\n")
MESSY_FIXED = ('broker_url="redis://localhost:6379/0"  \t# trailing spaces and a tab\n'
               "\n"
               "if True:\n"
               "\tresult_backend  =  'redis://localhost:6379/1'  ;  x = [ 1 ,2 ]\n"
               "\tresult_expires  =  86400\n"
               "task_serializer=(  'json'  )   # é ü — not ASCII\n"
               "\f\n"
               "accept_content = ( 'json' , )\n")


def test_only_the_targeted_text_changes(tmp_path: Path) -> None:
    root = project(tmp_path, config=MESSY)
    run = invoke_celerylint(["check", "--fix", "--unsafe-fixes"], root)
    assert run.code == 0, run.stdout + run.stderr
    assert (root / "celeryconfig.py").read_bytes() == MESSY_FIXED.encode("utf-8")


def test_fixing_a_fixed_tree_changes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path, config=MESSY)
    invoke_celerylint(["check", "--fix", "--unsafe-fixes"], root)
    names = ["celeryconfig.py", "proj/celery.py", "proj/__init__.py"]
    before = snapshot(root, names)
    again = invoke_celerylint(["check", "--fix", "--unsafe-fixes", "--show-fixes"], root)
    assert again.code == 0 and "No fixes applied." in again.stdout
    assert snapshot(root, names) == before
    diff = run_bytes(["check", "--diff", "--unsafe-fixes"], root)
    assert (diff.returncode, diff.stdout) == (0, b"")


def test_fixes_converge_over_rounds(tmp_path: Path) -> None:
    """The setting added for the app resolves the task's finding too, which leaves the
    task's noqa comment silencing nothing: the next round removes it (CEL002)."""
    root = write_tree(tmp_path / "project", {
        "proj/__init__.py": "",
        "proj/celery.py": 'from celery import Celery\n\napp = Celery("proj", '
                          'broker="redis://localhost:6379/0", include=["proj.tasks"])\n'
                          "app.conf.worker_prefetch_multiplier = 1\n"
                          "app.conf.task_acks_late = True\n",
        "proj/tasks.py": "from proj.celery import app\n\n\n"
                         "@app.task(acks_late=True)  # noqa: CEL203\n"
                         "def ping():\n    return 1\n",
    })
    run = invoke_celerylint(["check", "--fix", "--unsafe-fixes", "--ignore", "CEL201"], root)
    assert run.code == 0, run.stdout + run.stderr
    assert read(root, "proj/celery.py").endswith(
        "app.conf.task_acks_late = True\napp.conf.task_reject_on_worker_lost = True\n")
    assert "@app.task(acks_late=True)\n" in read(root, "proj/tasks.py")
    assert "Found 2 findings (2 fixed, 0 remaining)." in run.stdout


def test_fixes_touching_the_same_text_wait_for_the_next_round() -> None:
    here = Span(3, 1, 3, 1)
    first = Fix("safe", "first", (Edit("a = 1\n", here),))
    second = Fix("safe", "second", (Edit("b = 2\n", here),))
    elsewhere = Fix("safe", "third", (Edit("c", Span(5, 1, 5, 2)),))
    chosen = runner._compatible([_finding(first), _finding(second), _finding(elsewhere),
                                 _finding(first)])
    assert chosen == [first, elsewhere]


def _finding(fix: Fix) -> Finding:
    return Finding("CEL301", "m", "x.py", fix.edits[0].span, fix=fix)


# --- safe on disk ----------------------------------------------------------------------

def test_crlf_line_endings_are_kept(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "celeryconfig.py").write_bytes(CONFIG.replace("\n", "\r\n").encode())
    assert invoke_celerylint(["check", "--fix", "--unsafe-fixes"], root).code == 0
    assert (root / "celeryconfig.py").read_bytes() == CONFIG_FIXED.replace("\n", "\r\n").encode()


def test_bom_is_kept(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "celeryconfig.py").write_bytes(b"\xef\xbb\xbf" + CONFIG.encode())
    assert invoke_celerylint(["check", "--fix", "--unsafe-fixes"], root).code == 0
    assert (root / "celeryconfig.py").read_bytes() == b"\xef\xbb\xbf" + CONFIG_FIXED.encode()


LATIN1 = "# -*- coding: latin-1 -*-\n# Réglages de l'équipe\n"


def test_coding_cookie_encoding_is_kept(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "celeryconfig.py").write_bytes((LATIN1 + CONFIG).encode("latin-1"))
    assert invoke_celerylint(["check", "--fix", "--unsafe-fixes"], root).code == 0
    assert (root / "celeryconfig.py").read_bytes() == (LATIN1 + CONFIG_FIXED).encode("latin-1")


def test_file_mode_is_kept(tmp_path: Path) -> None:
    root = project(tmp_path)
    target = root / "celeryconfig.py"
    target.chmod(0o755)
    assert invoke_celerylint(["check", "--fix", "--unsafe-fixes"], root).code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o755 and read(root) == CONFIG_FIXED
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".celeryconfig")) == []


def test_missing_final_newline_stays_missing(tmp_path: Path) -> None:
    root = project(tmp_path, config='result_backend = "redis://localhost:6379/1"')
    assert invoke_celerylint(["check", "--fix"], root).code == 0
    assert read(root) == 'result_backend = "redis://localhost:6379/1"\nresult_expires = 86400'


def test_a_file_with_a_syntax_error_is_never_touched(tmp_path: Path) -> None:
    broken = 'from celery import shared_task\n\nprint "legacy"\n'
    root = project(tmp_path, extra={"proj/legacy.py": broken})
    run = invoke_celerylint(["check", "--fix", "--unsafe-fixes"], root)
    assert run.code == 1 and "CEL001" in run.stdout
    assert read(root, "proj/legacy.py") == broken and read(root) == CONFIG_FIXED


def test_fix_refuses_a_file_that_does_not_parse(tmp_path: Path) -> None:
    target = tmp_path / "x.py"
    target.write_text("x = (\n", encoding="utf-8")
    assert load_view(tmp_path, "x.py") is None  # what a check of it would compute fixes on
    finding = _finding(Fix("safe", "add", (Edit("y = 1\n", Span(2, 1, 2, 1)),)))
    outcome = runner.FixOutcome(result=None)  # type: ignore[arg-type]
    applied, failed = runner._round(tmp_path, [finding], outcome, None)
    assert (applied, failed) == ([], [finding])
    assert "does not parse" in outcome.problems[0] and target.read_text() == "x = (\n"


def _in_process(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(root)
    result = _runner().invoke(cli, ["check", "--jobs", "1", "--no-cache", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_fix_that_would_break_the_file_is_dropped_and_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = edits.replace_string

    def broken(*args: object) -> Edit | None:
        edit = real(*args)  # type: ignore[arg-type]
        return Edit(edit.content + '"(', edit.span) if edit is not None else None

    monkeypatch.setattr(edits, "replace_string", broken)
    root = project(tmp_path)
    code, out, err = _in_process(root, monkeypatch, "--fix", "--unsafe-fixes")
    assert code == 1
    assert "celerylint: warning: celeryconfig.py: fix dropped (Replace 'pickle' with 'json')" \
        in err and "would not parse" in err
    assert read(root) == CONFIG_FIXED.replace('task_serializer = "json"',
                                              'task_serializer = "pickle"')
    assert "celeryconfig.py:4:19: CEL101" in out


def test_a_file_changed_while_being_fixed_is_not_overwritten(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = apply._write_temporary
    someone_else = "# saved by an editor meanwhile\n"

    def editor_saves(handle: int, temporary: str, snapshot: apply.Snapshot, data: bytes
                     ) -> None:
        snapshot.path.write_text(someone_else, encoding="utf-8")
        real(handle, temporary, snapshot, data)

    monkeypatch.setattr(apply, "_write_temporary", editor_saves)
    root = project(tmp_path)
    code, _, err = _in_process(root, monkeypatch, "--fix")
    assert "celeryconfig.py: not fixed:" in err and "changed on disk" in err
    assert read(root) == someone_else
    assert [p.name for p in root.iterdir() if p.name.endswith(".celerylint-fix")] == []
    assert code in (0, 1)


def test_a_file_changed_after_the_check_is_not_fixed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The edits were computed on what the check read: never apply them to other text."""
    real = runner.read_snapshot
    edited = CONFIG.replace("broker_url", "# a new first line\nbroker_url")

    def editor_saves_first(path: Path) -> apply.Snapshot:
        path.write_text(edited, encoding="utf-8")
        return real(path)

    monkeypatch.setattr(runner, "read_snapshot", editor_saves_first)
    root = project(tmp_path)
    _, _, err = _in_process(root, monkeypatch, "--fix")
    assert "changed on disk since it was checked" in err
    assert read(root) == edited


def test_write_refuses_a_file_changed_since_it_was_read(tmp_path: Path) -> None:
    target = tmp_path / "settings.py"
    target.write_text("a = 1\n", encoding="utf-8")
    taken = apply.read_snapshot(target)
    target.write_text("a = 2\n", encoding="utf-8")
    with pytest.raises(apply.FileChanged):
        apply.write_atomically(taken, b"a = 3\n")
    assert target.read_text() == "a = 2\n"


# --- --diff --------------------------------------------------------------------------

DIFF_FILES = {
    "proj/__init__.py": b"",
    # The worker imports the two task modules, as a real project's would.
    "proj/celery.py": APP.replace('Celery("proj")',
                                  'Celery("proj", include=["proj.crlf", "proj.bom"])').encode(),
    "celeryconfig.py": (LATIN1 + CONFIG).encode("latin-1"),
    "proj/crlf.py": b'from proj.celery import app\r\n\r\n\r\n@app.task(serializer="pickle")'
                    b'\r\ndef crlf():\r\n    return 1\r\n',
    "proj/bom.py": b'\xef\xbb\xbffrom proj.celery import app\n\n\n@app.task(acks_late=True)\n'
                   b"def bom():\n    return 1",
}


def _diff_project(folder: Path) -> Path:
    for name, data in DIFF_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("tool", ["patch", "git"])
def test_diff_applies_and_gives_the_tree_fix_gives(tmp_path: Path, tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    fixed = _diff_project(tmp_path / "fixed")
    patched = _diff_project(tmp_path / "patched")
    assert invoke_celerylint(["check", "--fix", "--unsafe-fixes", "--ignore", "CEL201"],
                          fixed).code == 0
    diff = run_bytes(["check", "--diff", "--unsafe-fixes", "--ignore", "CEL201"], patched)
    assert diff.returncode == 1, diff.stderr
    assert snapshot(patched, list(DIFF_FILES)) == DIFF_FILES
    assert b"--- proj/crlf.py\n+++ proj/crlf.py\n" in diff.stdout
    assert b"Would fix 6 findings in 3 files." in diff.stderr
    command = ["patch", "-p0", "--binary"] if tool == "patch" else ["git", "apply", "-p0", "-"]
    subprocess.run(command, input=diff.stdout, cwd=patched, check=True, capture_output=True)
    assert snapshot(patched, list(DIFF_FILES)) == snapshot(fixed, list(DIFF_FILES))
    assert snapshot(fixed, list(DIFF_FILES)) != DIFF_FILES


def test_diff_without_fixes_prints_nothing_and_exits_0(tmp_path: Path) -> None:
    root = project(tmp_path, config='broker_url = "redis://localhost:6379/0"\n')
    run = run_bytes(["check", "--diff"], root)
    assert (run.returncode, run.stdout) == (0, b"")
    assert b"No fixes available." in run.stderr


def test_diff_counts_only_enabled_fixes(tmp_path: Path) -> None:
    root = project(tmp_path)
    run = run_bytes(["check", "--diff", "--show-fixes"], root)
    assert run.returncode == 1
    assert run.stdout == (b"--- celeryconfig.py\n+++ celeryconfig.py\n@@ -1,5 +1,6 @@\n"
                          b' broker_url = "redis://localhost:6379/0"\n'
                          b' result_backend = "redis://localhost:6379/1"\n'
                          b"+result_expires = 86400\n"
                          b' task_serializer = "pickle"\n'
                          b' accept_content = ["json", "pickle"]\n'
                          b" task_acks_late = True\n")
    assert b"Would fix 1 finding:\n- celeryconfig.py:\n    1 \xc3\x97 CEL301" in run.stderr
    assert read(root) == CONFIG


def test_diff_never_writes_through_links(tmp_path: Path) -> None:
    root = project(tmp_path)
    outside = tmp_path / "outside.py"
    os.replace(root / "celeryconfig.py", outside)
    (root / "celeryconfig.py").symlink_to(outside)
    run = run_bytes(["check", "--diff", "--unsafe-fixes"], root)
    # --fix would not write a file outside the project, so --diff shows no change to it
    assert (run.returncode, run.stdout) == (0, b"")
    assert (b"celeryconfig.py: not fixed: it is a symlink to a file outside the project"
            in run.stderr)
    assert outside.read_text(encoding="utf-8") == CONFIG

