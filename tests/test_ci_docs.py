"""docs/ci.md: every celerylint command line it shows is run here, exactly as written.

The commands run in a git repository holding a fixture project, in the order a team adopts
them: record a baseline, then the CI steps. They must pass on today's code, and the gates
must fail once a new finding appears.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from checkouts import fresh_checkout, install_env
from conftest import commit_tree, copy_fixture, git
from sarif_schema import assert_valid_sarif

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "ci.md"
_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_COMMAND = re.compile(r"^\s*(?:-\s+)?(?:run:\s+)?(celerylint\s.*?)\s*$")


def blocks(language: str) -> list[str]:
    return [body for lang, body in _BLOCK.findall(DOCS.read_text(encoding="utf-8"))
            if lang == language]


def commands() -> list[str]:
    """Every celerylint command line of the page, in page order."""
    found = []
    for _lang, body in _BLOCK.findall(DOCS.read_text(encoding="utf-8")):
        for line in body.splitlines():
            match = _COMMAND.match(line)
            if match:
                found.append(match.group(1))
    return found


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a documented command line with a shell (it may redirect), our celerylint first
    on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("GITHUB_WORKSPACE", None)
    env.pop("CI_PROJECT_DIR", None)
    env["GITHUB_BASE_REF"] = "main"  # what a pull_request workflow sets
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=300)


def output_file(command: str) -> str | None:
    _, redirect, target = command.partition(">")
    return target.strip() if redirect else None


# Findings of the plain_celeryconfig fixture today (CEL101 x2, CEL102, CEL201, CEL204: its
# late-ack task runs with the default prefetch of 4, CEL301), all recorded in the baseline.
TODAY = 6


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The fixture, committed, with an ``origin/main`` for ``--base-ref`` to compare with."""
    folder = copy_fixture("plain_celeryconfig", tmp_path)
    commit_tree(folder, "the project")
    git(folder, "update-ref", "refs/remotes/origin/main", "HEAD")
    return folder


def test_the_page_shows_the_commands_this_test_knows() -> None:
    """Guard: a reworded page must not silently leave commands untested."""
    shown = commands()
    assert len(shown) == 7
    assert sum("--write-baseline" in c for c in shown) == 1
    assert sum("--new-only" in c for c in shown) == 2
    assert {output_file(c) for c in shown} == {None, "celerylint.sarif",
                                               "gl-code-quality-report.json"}


def test_documented_commands_pass_today_and_gate_new_findings(project: Path) -> None:
    shown = commands()
    [adopt] = [c for c in shown if "--write-baseline" in c]
    done = shell(adopt, project)
    assert done.returncode == 0, done.stderr
    ci_steps = [c for c in shown if c != adopt]
    for command in ci_steps:
        done = shell(command, project)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
        _check_output(command, project, done.stdout, total=TODAY)

    config = project / "celeryconfig.py"
    config.write_text(config.read_text().replace('result_serializer = "json"',
                                                 'result_serializer = "pickle"'))
    for command in ci_steps:
        done = shell(command, project)
        gate = ("--baseline" in command or "--new-only" in command) and (
            "--exit-zero" not in command)
        assert done.returncode == (1 if gate else 0), f"{command}: {done.stdout}{done.stderr}"
        _check_output(command, project, done.stdout, total=TODAY + 1)
        if "--output-format github" in command:
            assert done.stdout.startswith("::error file=celeryconfig.py,line=8,")
            assert done.stdout.count("::") == 2  # the one new finding


def _check_output(command: str, project: Path, stdout: str, total: int) -> None:
    target = output_file(command)
    if target == "celerylint.sarif":
        log = json.loads((project / target).read_text())
        assert_valid_sarif(log)
        assert len(log["runs"][0]["results"]) == total
    elif target == "gl-code-quality-report.json":
        issues = json.loads((project / target).read_text())
        assert isinstance(issues, list) and len(issues) == total
    elif "--output-format" not in command:
        expected = "All checks passed." if total == TODAY else "Found 1 finding."
        assert expected in stdout.splitlines()


def test_github_workflow_uploads_sarif_then_gates() -> None:
    [workflow] = [yaml.safe_load(b) for b in blocks("yaml") if "jobs:\n  celerylint:" in b]
    job = workflow["jobs"]["celerylint"]
    assert job["permissions"]["security-events"] == "write"
    steps = [step.get("run") or step.get("uses") for step in job["steps"]]
    sarif_step = next(i for i, s in enumerate(steps) if "--output-format sarif" in s)
    upload = next(i for i, s in enumerate(steps) if s.startswith("github/codeql-action/upload"))
    gate = next(i for i, s in enumerate(steps) if "--output-format github" in s)
    assert sarif_step < upload < gate
    assert job["steps"][upload]["with"]["sarif_file"] == output_file(steps[sarif_step])


def test_gitlab_job_publishes_the_code_quality_report() -> None:
    [job] = [yaml.safe_load(b)["celerylint"] for b in blocks("yaml") if "script:" in b]
    report = job["artifacts"]["reports"]["codequality"]
    assert any(output_file(line) == report for line in job["script"])
    assert job["artifacts"]["when"] == "always"


def _pre_commit_config() -> dict[str, Any]:
    [config] = [yaml.safe_load(b) for b in blocks("yaml") if "repos:" in b]
    result: dict[str, Any] = config
    return result


def test_pre_commit_config_runs_the_published_hook_and_its_command_passes(project: Path
                                                                         ) -> None:
    """The local hook is the manifest's hook (same entry, files and serial run), valid for
    the real pre-commit, and its command passes on today's code with the baseline."""
    manifest = {hook["id"]: hook for hook in
                yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    [repo] = _pre_commit_config()["repos"]
    assert repo["repo"] == "local"
    [config] = [b for b in blocks("yaml") if "repos:" in b]
    (project / ".pre-commit-config.yaml").write_text(config)
    checked = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config",
                              ".pre-commit-config.yaml"], cwd=project, capture_output=True,
                             text=True, check=False)
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")
    [adopt] = [c for c in commands() if "--write-baseline" in c]
    assert shell(adopt, project).returncode == 0
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()
                   and ".git" not in p.parts)
    for hook in repo["hooks"]:
        published = manifest[hook["id"]]
        for key in ("name", "entry", "types", "require_serial"):
            assert hook[key] == published[key], key
        assert hook["language"] == "system"  # the celerylint installed in the environment
        # What pre-commit runs: the entry, the user's args, then the files.
        command = [*shlex.split(hook["entry"]), *hook.get("args", []), *files]
        command[0] = shutil.which("celerylint", path=str(Path(sys.executable).parent)) or ""
        done = subprocess.run(command, cwd=project, capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def _install_lines() -> list[str]:
    """Every pip command of the page, wherever it is (shell blocks, CI scripts)."""
    found = []
    for _lang, body in _BLOCK.findall(DOCS.read_text(encoding="utf-8")):
        for line in body.splitlines():
            match = re.match(r"^\s*(?:-\s+)?(?:run:\s+)?((?:python3 -m )?pip\s.*?)\s*$", line)
            if match:
                found.append(match.group(1))
    return found


def test_every_install_command_works_as_written_from_a_checkout(tmp_path: Path) -> None:
    """The page installs celerylint only from a checkout at tools/celerylint or a wheel
    built from it, never from a package index; those commands, run in a repository that
    holds a fresh checkout there, install a working celerylint."""
    lines = _install_lines()
    assert set(lines) == {"pip install ./tools/celerylint",
                          "python3 -m pip wheel --no-deps --wheel-dir dist ./tools/celerylint",
                          "pip install dist/celerylint-*.whl"}
    user_repo = tmp_path / "app"
    fresh_checkout(user_repo / "tools" / "celerylint")
    for index, block in enumerate(b for b in blocks("bash") if "pip " in b):
        venv = tmp_path / f"venv{index}"
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        path = f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", block], cwd=user_repo,
                              env=install_env(PATH=path), capture_output=True, text=True,
                              check=False, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        version = subprocess.run([str(venv / "bin" / "celerylint"), "--version"],
                                 capture_output=True, text=True, check=False)
        assert version.stdout == "celerylint, version 0.1.0\n"


def test_pre_commit_ci_settings_are_valid_keys() -> None:
    [ci] = [yaml.safe_load(b)["ci"] for b in blocks("yaml") if b.startswith("ci:")]
    assert set(ci) <= {"autofix_commit_msg", "autofix_prs", "autoupdate_branch",
                       "autoupdate_commit_msg", "autoupdate_schedule", "skip", "submodules"}
