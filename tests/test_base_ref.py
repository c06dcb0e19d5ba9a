"""``--base-ref`` and ``--new-only`` (issue 13), through the `celerylint` command on
throw-away git repositories: a base is committed, changed, and the change is checked.

The base is read from git objects (never checked out): every case checks that the
working tree is left exactly as it was, and that the comparison is with the merge base
of the ref and HEAD, so a task that exists only on a branch not merged is not "removed".
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import (
    Run,
    celerylint_executable,
    commit_tree,
    git,
    invoke_celerylint,
    run_celerylint,
    write_tree,
)
from sarif_schema import assert_valid_sarif

CELERY = ('from celery import Celery\n\napp = Celery("proj", broker="redis://localhost:6379/0",'
          ' include=["proj.tasks"])\n')
TASKS = '''from proj.celery import app


@app.task
def charge(order_id, amount):
    return order_id, amount


@app.task
def send_receipt(order_id):
    return order_id
'''
BASE = {"pyproject.toml": "[tool.celerylint]\n", "proj/__init__.py": "",
        "proj/celery.py": CELERY, "proj/tasks.py": TASKS}
GONE = ("messages still queued under that name are dropped as unregistered")


def _repo(root: Path, files: dict[str, str] | None = None) -> Path:
    """A repository whose one commit holds `files` (the base project by default)."""
    commit_tree(write_tree(root, files or BASE), "base")
    return root


def _check(root: Path, *args: str, codes: str = "CEL406,CEL407") -> Run:
    return invoke_celerylint(["check", "--output-format", "json", "--jobs", "1",
                              "--select", codes, *args], root)


def _found(run: Run) -> list[tuple[str, str, str]]:
    assert run.code in (0, 1), run.stderr
    return [(f["code"], f"{f['filename']}:{f['location']['row']}", f["message"])
            for f in run.json()]


def _tasks(*sources: str) -> str:
    return "from proj.celery import app\n" + "".join(
        f"\n\n@app.task\n{source.strip()}\n" for source in sources)


@dataclass(frozen=True)
class Change:
    name: str
    files: dict[str, str]
    expected: list[tuple[str, str, str]]
    removed: tuple[str, ...] = ()
    base: dict[str, str] = field(default_factory=lambda: dict(BASE))


CHANGES = [
    Change("a renamed task", {"proj/tasks.py": TASKS.replace("send_receipt", "send_receipt_email")},
           [("CEL406", "proj/celery.py:3",
             f"task 'proj.tasks.send_receipt' of HEAD is gone: {GONE}")]),
    Change("a module moved without name=",
           {"proj/billing.py": TASKS,
            "proj/celery.py": CELERY.replace("proj.tasks", "proj.billing")},
           [("CEL406", "proj/billing.py:4", "task 'proj.tasks.charge' of HEAD is now "
             "'proj.billing.charge': messages queued under the old name are dropped as "
             "unregistered"),
            ("CEL406", "proj/billing.py:9", "task 'proj.tasks.send_receipt' of HEAD is now "
             "'proj.billing.send_receipt': messages queued under the old name are dropped as "
             "unregistered")],
           removed=("proj/tasks.py",)),
    Change("a removed task", {"proj/tasks.py": _tasks("def charge(order_id, amount):\n"
                                                      "    return order_id, amount")},
           [("CEL406", "proj/celery.py:3",
             f"task 'proj.tasks.send_receipt' of HEAD is gone: {GONE}")]),
    Change("a deleted module", {}, [
        ("CEL406", "proj/celery.py:3", f"task 'proj.tasks.charge' of HEAD is gone: {GONE}"),
        ("CEL406", "proj/celery.py:3",
         f"task 'proj.tasks.send_receipt' of HEAD is gone: {GONE}")],
           removed=("proj/tasks.py",)),
    Change("a rename that keeps the old name with name=", {"proj/tasks.py": TASKS.replace(
        "@app.task\ndef send_receipt(", '@app.task(name="proj.tasks.send_receipt")\n'
        "def email_receipt(")}, []),
    Change("a new required parameter", {"proj/tasks.py": TASKS.replace(
        "def send_receipt(order_id)", "def send_receipt(order_id, email)")},
           [("CEL407", "proj/tasks.py:9", "task 'proj.tasks.send_receipt' now needs 'email' "
             "since HEAD (send_receipt(order_id) → send_receipt(order_id, email)): queued "
             "messages fail with TypeError")]),
    Change("a removed parameter", {"proj/tasks.py": TASKS.replace(
        "def charge(order_id, amount):\n    return order_id, amount",
        "def charge(order_id):\n    return order_id")},
           [("CEL407", "proj/tasks.py:4", "task 'proj.tasks.charge' no longer takes 'amount' "
             "since HEAD (charge(order_id, amount) → charge(order_id)): queued messages fail "
             "with TypeError")]),
    Change("several changes in one signature", {"proj/tasks.py": TASKS.replace(
        "def charge(order_id, amount):\n    return order_id, amount",
        "def charge(order_id, by, date):\n    return order_id, by, date")},
           [("CEL407", "proj/tasks.py:4", "task 'proj.tasks.charge' now needs 'by' and 'date', "
             "no longer takes 'amount' since HEAD: queued messages fail with TypeError")]),
    Change("reordered positional parameters", {"proj/tasks.py": TASKS.replace(
        "def charge(order_id, amount)", "def charge(amount, order_id)")},
           [("CEL407", "proj/tasks.py:4", "task 'proj.tasks.charge' reordered parameters "
             "since HEAD (charge(order_id, amount) → charge(amount, order_id)): queued "
             "messages run with swapped values")]),
    Change("a new parameter with a default", {"proj/tasks.py": TASKS.replace(
        "def send_receipt(order_id)", 'def send_receipt(order_id, channel="email")')}, []),
    Change("**kwargs absorbing a change", {"proj/tasks.py": TASKS.replace(
        "def charge(order_id, amount):\n    return order_id, amount",
        "def charge(*args, **kwargs):\n    return args, kwargs")}, []),
    Change("a test-code task removed", {"tests/test_tasks.py": "def test_nothing():\n    pass\n"},
           [], base={**BASE, "tests/test_tasks.py": _tasks("def echo(value):\n    return value")}),
    Change("nothing changed", {}, []),
]


def _tree(root: Path) -> dict[str, bytes]:
    """Every file of the working tree (the repository's metadata and cache aside)."""
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*")
            if path.is_file() and ".git" not in path.parts
            and ".celerylint_cache" not in path.parts}


@pytest.mark.parametrize("change", CHANGES, ids=[change.name for change in CHANGES])
def test_a_change_since_the_base(change: Change, tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", change.base)
    write_tree(root, change.files)
    for name in change.removed:
        (root / name).unlink()
    before, status = _tree(root), git(root, "status", "--porcelain")
    assert _found(_check(root, "--base-ref", "HEAD")) == change.expected
    assert _tree(root) == before
    assert git(root, "status", "--porcelain") == status
    assert _found(_check(root)) == []  # without --base-ref the rules never fire


def test_a_committed_change_against_a_branch(tmp_path: Path) -> None:
    """The usual pull-request shape: the base is the target branch, the change is
    committed on a topic branch."""
    root = _repo(tmp_path / "repo")
    git(root, "checkout", "-q", "-b", "topic")
    write_tree(root, {"proj/tasks.py": TASKS.replace("def charge(order_id, amount)",
                                                     "def charge(order_id, amount, fee)")})
    commit_tree(root, "add a fee")
    assert [code for code, _, _ in _found(_check(root, "--base-ref", "main"))] == ["CEL407"]


def test_a_task_only_on_a_branch_not_merged_is_not_removed(tmp_path: Path) -> None:
    """A task added on another branch (the ref) after the branch point is not one this
    change removed: the comparison is with the merge base."""
    root = _repo(tmp_path / "repo")
    git(root, "checkout", "-q", "-b", "topic")
    git(root, "checkout", "-q", "main")
    write_tree(root, {"proj/tasks.py": TASKS + '\n\n@app.task\ndef refund(order_id):\n'
                                               '    return order_id\n'})
    commit_tree(root, "refund on main")
    git(root, "checkout", "-q", "topic")
    assert _found(_check(root, "--base-ref", "main")) == []
    git(root, "checkout", "-q", "-b", "feature", "main")
    git(root, "checkout", "-q", "topic")
    assert _found(_check(root, "--base-ref", "feature")) == []


def test_base_ref_in_the_configuration(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", {**BASE, "pyproject.toml": '[tool.celerylint]\n'
                                                              'base-ref = "HEAD"\n'})
    write_tree(root, {"proj/tasks.py": TASKS.replace("send_receipt", "mail_receipt")})
    assert [code for code, _, _ in _found(_check(root))] == ["CEL406"]


def test_a_project_in_a_folder_of_the_repository(tmp_path: Path) -> None:
    """A monorepo: the project root is below the repository's top."""
    top = tmp_path / "repo"
    _repo(top, {f"services/shop/{name}": text for name, text in BASE.items()})
    write_tree(top, {"services/shop/proj/tasks.py": TASKS.replace("send_receipt", "mail")})
    found = _found(_check(top / "services" / "shop", "--base-ref", "HEAD"))
    assert found == [("CEL406", "proj/celery.py:3",
                      f"task 'proj.tasks.send_receipt' of HEAD is gone: {GONE}")]


def test_an_editor_buffer_is_compared_with_the_base(tmp_path: Path) -> None:
    """The file on disk is the base's; the buffer adds a required parameter."""
    root = _repo(tmp_path / "repo")
    buffer = TASKS.replace("def send_receipt(order_id)", "def send_receipt(order_id, to)")
    done = subprocess.run([celerylint_executable(), "check", "--output-format", "json",
                           "--select", "CEL407", "--base-ref", "HEAD", "--no-cache",
                           "--stdin-filename", "proj/tasks.py", "-"],
                          input=buffer, capture_output=True, text=True, cwd=root, check=False)
    assert done.returncode == 1, done.stderr
    assert [f["message"] for f in json.loads(done.stdout)] == [
        "task 'proj.tasks.send_receipt' now needs 'to' since HEAD (send_receipt(order_id) → "
        "send_receipt(order_id, to)): queued messages fail with TypeError"]
    assert (root / "proj" / "tasks.py").read_text(encoding="utf-8") == TASKS


def test_beat_and_route_messages_say_the_name_existed_at_the_base(tmp_path: Path) -> None:
    celery = CELERY + ('app.conf.task_routes = {"proj.tasks.send_receipt": {"queue": "mail"}}'
                       '\napp.conf.beat_schedule = {"receipts": {"task": '
                       '"proj.tasks.send_receipt", "schedule": 60.0}}\n')
    root = _repo(tmp_path / "repo", {**BASE, "proj/celery.py": celery})
    write_tree(root, {"proj/tasks.py": TASKS.replace("send_receipt", "mail_receipt")})
    found = _found(_check(root, "--base-ref", "HEAD", codes="CEL601,CEL603"))
    assert [message for _, _, message in found] == [
        "task_routes key 'proj.tasks.send_receipt' was a task at HEAD but names none now; "
        "did you mean 'proj.tasks.mail_receipt'?",
        "beat entry runs task 'proj.tasks.send_receipt', which existed at HEAD but is not "
        "defined now; did you mean 'proj.tasks.mail_receipt'?"]
    plain = _found(_check(root, codes="CEL601,CEL603"))
    assert [message for _, _, message in plain] == [
        "task_routes key 'proj.tasks.send_receipt' names no task of the project; did you "
        "mean 'proj.tasks.mail_receipt'?",
        "beat entry 'receipts' runs task 'proj.tasks.send_receipt', which is not defined; "
        "did you mean 'proj.tasks.mail_receipt'?"]


# --- --new-only ----------------------------------------------------------------------

LATE = "@app.task(acks_late=True)\ndef job_{n}(order_id):\n    return order_id\n"
LEGACY = {"pyproject.toml": "[tool.celerylint]\n", "proj/__init__.py": "",
          "proj/celery.py": CELERY,
          "proj/tasks.py": "from proj.celery import app\n\n\n" + "\n\n".join(
              LATE.format(n=n) for n in range(5))}


def _legacy_change(tmp_path: Path) -> Path:
    """A base with 5 findings of CEL203; the change moves them down and adds a sixth."""
    root = _repo(tmp_path / "repo", LEGACY)
    text = LEGACY["proj/tasks.py"].replace("from proj.celery import app\n",
                                           "import logging\n\nfrom proj.celery import app\n"
                                           "\nlog = logging.getLogger(__name__)\n")
    write_tree(root, {"proj/tasks.py": text + "\n\n" + LATE.format(n="new")})
    return root


def test_new_only_reports_what_the_change_adds(tmp_path: Path) -> None:
    root = _legacy_change(tmp_path)
    assert len(_found(_check(root, codes="CEL203"))) == 6
    found = _found(_check(root, "--base-ref", "HEAD", "--new-only", codes="CEL203"))
    assert [(code, where) for code, where, _ in found] == [("CEL203", "proj/tasks.py:33")]


@pytest.mark.parametrize("output_format", ["text", "concise", "json", "sarif", "github",
                                           "gitlab"])
def test_new_only_in_every_output_format(output_format: str, tmp_path: Path) -> None:
    root = _legacy_change(tmp_path)
    run = invoke_celerylint(["check", "--jobs", "1", "--select", "CEL203", "--base-ref",
                             "HEAD", "--new-only", "--output-format", output_format], root)
    assert run.code == 1, run.stderr
    if output_format == "sarif":
        assert_valid_sarif(json.loads(run.stdout))  # baselineState is in the schema
        results = json.loads(run.stdout)["runs"][0]["results"]
        assert [r["locations"][0]["physicalLocation"]["region"]["startLine"]
                for r in results] == [33]
        assert [r["baselineState"] for r in results] == ["new"]
    elif output_format in ("json", "gitlab"):
        assert len(json.loads(run.stdout)) == 1
    else:
        assert run.stdout.count("CEL203") == 1, run.stdout
        assert ":33:" in run.stdout or "line=33" in run.stdout


def test_new_only_with_diff_fixes_only_what_is_new(tmp_path: Path) -> None:
    """The re-check after fixing (on a private copy that is no repository) keeps the base
    read before."""
    root = _repo(tmp_path / "repo", {**BASE, "proj/celery.py": CELERY
                                     + 'app.conf.task_serializer = "pickle"\n'})
    write_tree(root, {"proj/tasks.py": TASKS.replace(
        "@app.task\ndef send_receipt", '@app.task(serializer="pickle")\ndef send_receipt')})
    run = invoke_celerylint(["check", "--jobs", "1", "--select", "CEL101", "--base-ref", "HEAD",
                             "--new-only", "--diff", "--unsafe-fixes"], root)
    assert run.code == 1, run.stderr
    assert "proj/tasks.py" in run.stdout and "proj/celery.py" not in run.stdout, run.stdout


def test_new_only_needs_a_base_ref(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", BASE)
    run = invoke_celerylint(["check", "--new-only"], root)
    assert run.code == 2
    assert run.stderr == ("celerylint: error: --new-only needs --base-ref REF (or base-ref in "
                          "[tool.celerylint])\n")


# --- errors ----------------------------------------------------------------------------

def test_not_a_git_repository(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "plain", BASE)
    run = run_celerylint(["check", "--base-ref", "main", "--no-cache"], root,
                         env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert run.code == 2
    assert run.stderr == (f"celerylint: error: --base-ref main: {root} is not in a git "
                          "repository\n")


def test_an_unknown_ref(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    run = run_celerylint(["check", "--base-ref", "origin/nope", "--no-cache"], root)
    assert run.code == 2
    assert run.stderr == ("celerylint: error: --base-ref origin/nope: unknown ref "
                          "'origin/nope': no branch, tag or commit of that name\n")


def test_no_commit_yet(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", BASE)
    git(root, "init", "-q")
    run = run_celerylint(["check", "--base-ref", "main", "--no-cache"], root)
    assert run.code == 2
    assert "unknown ref 'main'" in run.stderr


def test_a_shallow_clone_lacking_the_ref(tmp_path: Path) -> None:
    origin = _repo(tmp_path / "origin")
    first = git(origin, "rev-parse", "HEAD").strip()
    write_tree(origin, {"proj/tasks.py": TASKS + "\n"})
    commit_tree(origin, "second")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", origin.as_uri(), str(clone))
    run = run_celerylint(["check", "--base-ref", first, "--no-cache"], clone)
    assert run.code == 2
    assert run.stderr == (
        f"celerylint: error: --base-ref {first}: unknown ref '{first}': this is a shallow "
        "clone that does not have it; fetch it with more history (`git fetch "
        "--depth=1000 origin <branch>`, or `fetch-depth: 0` in actions/checkout)\n")


def test_a_base_where_the_project_did_not_exist(tmp_path: Path) -> None:
    """Every task is new: nothing removed, nothing incompatible, a notice; with
    --new-only every finding is new."""
    top = tmp_path / "repo"
    _repo(top, {"README.md": "hello\n"})
    project = write_tree(top / "shop", {**BASE, "proj/celery.py": CELERY
                                        + 'app.conf.task_serializer = "pickle"\n'})
    commit_tree(top, "the shop")
    run = invoke_celerylint(["check", "--jobs", "1", "--select", "CEL406,CEL407,CEL101",
                             "--base-ref", "HEAD~1", "--new-only", "--output-format", "json"],
                            project)
    assert [code for code, _, _ in _found(run)] == ["CEL101"]
    assert run.stderr == ("celerylint: notice: the project did not exist at HEAD~1 (the merge "
                          "base with HEAD): every task is new; skipped CEL406, CEL407. Nothing "
                          "to do; the comparison starts once the project is on the base "
                          "branch.\n")


# --- the facts cache -------------------------------------------------------------------

def _verbose(root: Path, *args: str) -> list[str]:
    run = invoke_celerylint(["check", "--jobs", "1", "-v", "--exit-zero", "-qq", *args], root)
    assert run.code == 0, run.stderr
    return [line.removeprefix("celerylint: ").rsplit(", in ", 1)[0]
            for line in run.stderr.splitlines() if "file" in line or "base" in line]


def test_the_base_reads_unchanged_files_from_the_cache_and_never_writes_it(tmp_path: Path
                                                                           ) -> None:
    root = _repo(tmp_path / "repo")
    _verbose(root)  # a warm cache of the working tree
    write_tree(root, {"proj/tasks.py": TASKS.replace("send_receipt", "mail_receipt")})
    commit = git(root, "rev-parse", "HEAD").strip()[:12]
    assert _verbose(root, "--base-ref", "HEAD") == [
        ".: 3 files checked (2 from the cache), 2 findings",
        f".: base HEAD ({commit}): 1 file read from git, 2 from the cache"]
    # The base's version of proj/tasks.py did not replace the working tree's in the cache.
    assert _verbose(root) == [".: 3 files checked (3 from the cache), 1 finding"]
    commit_tree(root, "renamed")
    assert _verbose(root, "--base-ref", "HEAD")[1:] == [
        f".: base HEAD ({git(root, 'rev-parse', 'HEAD').strip()[:12]}): the same as the "
        "working tree"]
