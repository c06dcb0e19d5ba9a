"""Issue 14, memory: jobs stream to workers forked once per run (`engine.pool`), and no
file's bytes are kept once used. None of it may change what celerylint reports: the
output is the same with one process or two, cold or warm, with the streaming turned off
(``CELERYLINT_NO_JOB_STREAM=1``), for an editor buffer and for ``--base-ref``. Proved
through the real command on projects big enough for the pool; no timing here (memory is
measured by bench/run.py)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import ALL_JSON, celerylint_executable, commit_tree, write_tree

from celerylint.engine import pool

# More task modules than the chunks the pool may have in flight at once, so that the
# stream waits for workers, and more than POOL_THRESHOLD, so that the pool is used.
MODULES = pool.CHUNK * pool.IN_FLIGHT * 2 + 10
NO_STREAM = {pool.NO_STREAM_ENV: "1"}


def big_project(root: Path, name: str = "big") -> Path:
    """An app and many task modules, plus a file that cannot be read (a dangling
    symbolic link), one that cannot be decoded and one that does not parse."""
    included = [f"{name}.tasks_{i:03d}" for i in range(MODULES)]
    files = {
        "pyproject.toml": f"[project]\nname = '{name}'\n",
        f"{name}/__init__.py": "",
        f"{name}/celery.py": (
            f"from celery import Celery\n\napp = Celery('{name}', include={included!r})\n"
            f"app.config_from_object('{name}.celeryconfig')\n"
        ),
        f"{name}/celeryconfig.py": "task_serializer = 'pickle'\n",
        f"{name}/broken_syntax.py": f"from {name}.celery import app\n\n@app.task\ndef f(:\n",
    }
    write_tree(root, {**files, **task_modules(name)})
    (root / name / "undecodable.py").write_bytes(
        f"from {name}.celery import app\n\n@app.task\ndef g():\n    return '".encode()
        + b"\xff\xfe'\n")
    (root / name / "missing.py").symlink_to(root / name / "nowhere.py")
    return root


def task_modules(package: str) -> dict[str, str]:
    """`MODULES` task modules of the app in `package`, and as many plain ones."""
    files = {}
    for i in range(MODULES):
        files[f"{package}/tasks_{i:03d}.py"] = (
            f"from {package}.celery import app\n\n\n"
            f"@app.task(acks_late=True)\ndef work_{i}(order_id):\n    return order_id\n"
        )
        files[f"{package}/plain_{i:03d}.py"] = f"def helper_{i}(x):\n    return x + {i}\n"
    return files


def check(cwd: Path, *args: str, env: dict[str, str] | None = None,
          stdin: str | None = None) -> tuple[str, str]:
    """stdout and stderr of the console script (a run of its own, as a user's)."""
    done = subprocess.run([celerylint_executable(), *ALL_JSON, *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, check=False, timeout=300,
                          env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def codes(output: tuple[str, str]) -> set[str]:
    return {finding["code"] for finding in json.loads(output[0])}


def test_one_process_or_two_cold_or_warm_give_the_same_output(tmp_path: Path) -> None:
    project = big_project(tmp_path / "big")
    cache = str(tmp_path / "cache")
    outputs = {
        "jobs1": check(project, "--jobs", "1", "--no-cache"),
        "jobs2": check(project, "--jobs", "2", "--no-cache"),
        "jobs2 unstreamed": check(project, "--jobs", "2", "--no-cache", env=NO_STREAM),
        "jobs2 filling": check(project, "--jobs", "2", "--cache-dir", cache),
        "jobs2 warm": check(project, "--jobs", "2", "--cache-dir", cache),
        "jobs1 warm": check(project, "--jobs", "1", "--cache-dir", cache),
    }
    # a syntax error (CEL001), an unreadable file (CEL003) and a task per module
    assert {"CEL001", "CEL003", "CEL203"} <= codes(outputs["jobs1"])
    assert len(set(outputs.values())) == 1, outputs.keys()


def test_an_editor_buffer_is_read_the_same_with_one_process_or_two(tmp_path: Path) -> None:
    project = big_project(tmp_path / "big")
    buffer = ("from big.celery import app\n\n\n@app.task(acks_late=True)\n"
              "def edited(order_id):\n    return order_id.get()\n")
    args = ["--no-cache", "--stdin-filename", "big/tasks_000.py", "-"]
    outputs = {jobs: check(project, "--jobs", jobs, *args, stdin=buffer)
               for jobs in ("1", "2")}
    outputs["unstreamed"] = check(project, "--jobs", "2", *args, stdin=buffer, env=NO_STREAM)
    assert "edited" in outputs["1"][0]
    assert len(set(outputs.values())) == 1, outputs


def test_a_base_ref_run_is_the_same_with_one_process_or_two(tmp_path: Path) -> None:
    """The base's changed files are read from git objects in the main process: the
    workers, forked before, get them as bytes."""
    project = write_tree(tmp_path / "repo", {
        **task_modules("proj"),
        "pyproject.toml": "[tool.celerylint]\n",
        "proj/__init__.py": "",
        "proj/celery.py": ('from celery import Celery\n\napp = Celery("proj", broker='
                           '"redis://localhost:6379/0", include=["proj.tasks"])\n'),
        "proj/tasks.py": ("from proj.celery import app\n\n\n@app.task\n"
                          "def charge(order_id):\n    return order_id\n"),
    })
    commit_tree(project, "base")
    write_tree(project, {"proj/tasks.py": "from proj.celery import app\n"})
    args = ["--no-cache", "--base-ref", "HEAD"]
    outputs = {jobs: check(project, "--jobs", jobs, *args) for jobs in ("1", "2")}
    outputs["unstreamed"] = check(project, "--jobs", "2", *args, env=NO_STREAM)
    assert "CEL406" in codes(outputs["1"])
    assert len(set(outputs.values())) == 1, outputs.keys()


def test_several_projects_share_the_workers_and_the_same_output(tmp_path: Path) -> None:
    for name in ("first", "second"):
        big_project(tmp_path / name, name)
    outputs = {jobs: check(tmp_path, "--jobs", jobs, "--no-cache", "first", "second")
               for jobs in ("1", "2")}
    outputs["unstreamed"] = check(tmp_path, "--jobs", "2", "--no-cache", "first", "second",
                                  env=NO_STREAM)
    assert codes(outputs["1"])
    assert len(set(outputs.values())) == 1, outputs.keys()


def _pid(job: int) -> tuple[int, int]:
    return job, os.getpid()


def test_streams_in_a_shared_block_use_one_pool_and_keep_the_job_order() -> None:
    jobs = list(range(MODULES))
    with pool.shared_pools():
        first = list(pool.run_jobs(_pid, jobs, 2))
        second = list(pool.run_jobs(_pid, jobs, 2))
        few = list(pool.run_jobs(_pid, jobs[:pool.POOL_THRESHOLD - 1], 2))
    assert [job for job, _ in first] == jobs == [job for job, _ in second]
    workers = {pid for _, pid in first}
    assert os.getpid() not in workers
    assert {pid for _, pid in second} <= workers  # the same workers, not forked again
    assert {pid for _, pid in few} == {os.getpid()}  # too few jobs for a pool


def test_a_stream_outside_a_shared_block_shuts_its_own_pool_down() -> None:
    import multiprocessing

    before = set(multiprocessing.active_children())
    results = list(pool.run_jobs(_pid, list(range(MODULES)), 2))
    assert [job for job, _ in results] == list(range(MODULES))
    assert set(multiprocessing.active_children()) <= before
