"""action.yml, the composite GitHub Action, run step by step as the runner would.

Each ``run:`` step goes to ``bash --noprofile --norc -eo pipefail`` (the runner's bash)
with its ``env`` and ``${{ }}`` expressions filled in from the inputs and a GitHub
context, ``RUNNER_TEMP`` and ``GITHUB_OUTPUT`` set, in a git repository holding a fixture
project. ``uses:`` steps (upload-sarif) are not GitHub's to run here: the test checks what
they are given. The install step really installs celerylint from a fresh checkout (the
action's own), once for the module.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from checkouts import REPO, fresh_checkout, install_env
from conftest import copy_fixture
from sarif_schema import assert_valid_sarif

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
_CONDITION = re.compile(r"inputs\.([\w-]+) == '([^']*)'\Z")
SERVER = "https://github.com"
PAGE = f"{SERVER}/acme/celerylint/blob/v0.1.0/docs/rules.md"


@dataclass
class Runner:
    """The context of one job: the inputs, github.*, runner.temp and step outputs."""

    workspace: Path
    temp: Path
    inputs: dict[str, str]
    github: dict[str, str]
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    uses: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def value(self, expression: str) -> str:
        head, _, rest = expression.partition(".")
        if head == "inputs":
            return self.inputs[rest]
        if head == "github":
            return self.github[rest]
        if expression == "runner.temp":
            return str(self.temp)
        step, kind, name = rest.split(".")
        assert (head, kind) == ("steps", "outputs"), expression
        return self.outputs.get(step, {}).get(name, "")

    def fill(self, text: str) -> str:
        return _EXPRESSION.sub(lambda match: self.value(match.group(1)), str(text))

    def wanted(self, step: Mapping[str, Any]) -> bool:
        if "if" not in step:
            return True
        condition = _CONDITION.match(step["if"])
        assert condition, f"the test cannot evaluate: {step['if']}"
        return self.inputs[condition.group(1)] == condition.group(2)

    def run(self, step: Mapping[str, Any]) -> subprocess.CompletedProcess[str]:
        assert step["shell"] == "bash"
        output = self.temp / f"output-{len(self.outputs)}"
        output.write_text("")
        env = install_env(RUNNER_TEMP=str(self.temp), GITHUB_OUTPUT=str(output),
                          GITHUB_WORKSPACE=str(self.workspace),
                          **{key: self.fill(value) for key, value in step.get("env", {}).items()})
        assert "${{" not in step["run"], "inputs reach the script through env only"
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                               step["run"]], cwd=self.workspace, env=env, capture_output=True,
                              text=True, check=False, timeout=600)
        lines = output.read_text().splitlines()
        self.outputs[step.get("id", f"step{len(self.outputs)}")] = dict(
            line.split("=", 1) for line in lines)
        return done

    def steps(self, start: int = 0) -> list[subprocess.CompletedProcess[str]]:
        """Run the steps from `start` as the runner does: skipped when their `if` is
        false, stopping at the first that fails."""
        results = []
        for step in STEPS[start:]:
            if not self.wanted(step):
                continue
            if "uses" in step:
                self.uses.append((step["uses"], {k: self.fill(v) for k, v in step["with"].items()}))
                continue
            results.append(self.run(step))
            if results[-1].returncode != 0:
                break
        return results


def _runner(tmp: Path, workspace: Path, action_path: Path, **inputs: str) -> Runner:
    defaults = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    assert set(inputs) <= set(defaults)
    tmp.mkdir(parents=True, exist_ok=True)
    github = {"action_path": str(action_path), "action_repository": "acme/celerylint",
              "action_ref": "v0.1.0", "server_url": SERVER}
    return Runner(workspace, tmp, {**defaults, **inputs}, github)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """The install step, run once: the action used as acme/celerylint@v0.1.0."""
    base = tmp_path_factory.mktemp("action")
    runner = _runner(base / "runner", base, fresh_checkout(base / "action"))
    [done] = [runner.run(STEPS[0])]
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("celerylint, version 0.1.0")
    assert runner.outputs["install"] == {"docs": PAGE}
    return runner


def _project(tmp_path: Path) -> Path:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    return project


def _job(installed: Runner, project: Path, **inputs: str) -> tuple[Runner, list[Any]]:
    """The check steps of the action in `project`, with the installed celerylint."""
    runner = _runner(installed.temp, project, Path(installed.github["action_path"]), **inputs)
    runner.outputs["install"] = installed.outputs["install"]
    return runner, runner.steps(start=1)


def test_sarif_mode_writes_a_valid_log_and_hands_it_to_upload_sarif(installed: Runner,
                                                                     tmp_path: Path) -> None:
    runner, results = _job(installed, _project(tmp_path), mode="sarif")
    [sarif] = results
    assert sarif.returncode == 0, sarif.stderr  # findings do not fail this mode
    [(uses, given)] = runner.uses
    assert uses.startswith("github/codeql-action/upload-sarif@")
    assert given == {"sarif_file": str(installed.temp / "celerylint.sarif"),
                     "category": "celerylint"}
    log = json.loads(Path(given["sarif_file"]).read_text(encoding="utf-8"))
    assert_valid_sarif(log)
    assert len(log["runs"][0]["results"]) == 6
    rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["helpUri"] == f"{PAGE}#{rule['id'].lower()}-{rule['name']}"


def test_annotations_mode_is_the_gate(installed: Runner, tmp_path: Path) -> None:
    project = _project(tmp_path)
    _, [done] = _job(installed, project)
    assert done.returncode == 1
    assert done.stdout.startswith("::notice file=celeryconfig.py,line=5,")
    assert subprocess.run([str(installed.temp / "celerylint-venv" / "bin" / "celerylint"),
                           "check", "--write-baseline", ".celerylint-baseline.json"],
                          cwd=project, capture_output=True, check=False).returncode == 0
    args = "--baseline .celerylint-baseline.json  --fail-on warning"
    runner, [done] = _job(installed, project, args=args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert runner.uses == []  # no upload in this mode
    config = project / "celeryconfig.py"
    config.write_text(config.read_text().replace('result_serializer = "json"',
                                                 'result_serializer = "pickle"'))
    _, [done] = _job(installed, project, args=args)
    assert done.returncode == 1
    assert done.stdout.startswith("::error file=celeryconfig.py,line=8,")
    assert done.stdout.count("::error ") == 1


@pytest.mark.parametrize(("inputs", "github", "message"), [
    ({"mode": "gate"}, {}, "mode must be annotations or sarif, not 'gate'"),
    ({"version": "v0.2.0"}, {"action_repository": ""},
     "version needs the action used from a repository (owner/name@ref), not a local path"),
])
def test_install_step_refuses_bad_inputs(tmp_path: Path, inputs: dict[str, str],
                                         github: dict[str, str], message: str) -> None:
    runner = _runner(tmp_path / "runner", tmp_path, REPO, **inputs)
    runner.github.update(github)
    done = runner.run(STEPS[0])
    assert (done.returncode, done.stdout) == (2, f"::error title=celerylint::{message}\n")
    assert not (tmp_path / "runner" / "celerylint-venv").exists()


def test_docs_use_the_action_with_its_inputs() -> None:
    """docs/ci.md's action snippet names only inputs action.yml declares, valid modes."""
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    [snippet] = [body for body in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
                 if "uses: ./tools/celerylint" in body]
    steps = yaml.safe_load(snippet)
    assert [step["uses"] for step in steps] == ["./tools/celerylint"] * 2
    for step in steps:
        assert set(step["with"]) <= set(ACTION["inputs"])
        assert step["with"].get("mode", "annotations") in ("annotations", "sarif")
