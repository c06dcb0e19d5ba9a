"""``celerylint rule`` (one rule, ``--all``, by name, JSON, a pager on a terminal) and the
rule links of reports (``rule-url-base`` / ``--rule-url-base``)."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import celerylint_executable, copy_fixture, invoke_celerylint, run_celerylint
from sarif_schema import assert_valid_sarif

from celerylint.catalog.docs import render_rule
from celerylint.catalog.specs import load_catalog

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
BASE = "https://git.example.com/acme/celerylint/blob/v0.1.0/docs/rules.md"


def plain_text(code: str) -> str:
    return render_rule(load_catalog()[code], with_anchor=False)


# ---- celerylint rule -------------------------------------------------------------------


@pytest.mark.parametrize("query", ["CEL101", "cel101", "pickle-serializer", "Pickle-Serializer"])
def test_rule_by_code_or_name_prints_the_markdown_when_piped(tmp_path: Path, query: str) -> None:
    run = run_celerylint(["rule", query], tmp_path)
    assert (run.code, run.stderr) == (0, "")
    assert run.stdout == plain_text("CEL101")
    assert run.stdout.startswith("## CEL101 pickle-serializer\n\n| Severity |")
    assert "<a id=" not in run.stdout  # the docs page's anchor is not for a terminal


def test_rule_all_prints_every_rule_in_catalog_order(tmp_path: Path) -> None:
    run = invoke_celerylint(["rule", "--all"], tmp_path)
    catalog = load_catalog()
    assert run.code == 0
    assert run.stdout == "\n---\n\n".join(plain_text(code) for code in catalog)
    headings = re.findall(r"^## (CEL\d+) ", run.stdout, re.MULTILINE)
    assert headings == list(catalog)


def test_rule_json_for_one_rule_and_for_all(tmp_path: Path) -> None:
    one = json.loads(invoke_celerylint(["rule", "pickle-serializer", "--output-format", "json"],
                                       tmp_path).stdout)
    assert one == {
        "code": "CEL101", "name": "pickle-serializer", "severity": "error",
        "default_enabled": True, "fix": "unsafe",
        "summary": "A task, result or event serializer is set to pickle.",
        "explanation": plain_text("CEL101"),
    }
    every = json.loads(invoke_celerylint(["rule", "--all", "--output-format", "json"],
                                         tmp_path).stdout)
    assert [item["code"] for item in every] == list(load_catalog())
    assert every[0]["explanation"] == plain_text(every[0]["code"])


@pytest.mark.parametrize(("args", "message"), [
    (["pickle-serialiser"], "unknown rule 'pickle-serialiser'; did you mean 'pickle-serializer'?"),
    (["CEL1O1"], "unknown rule 'CEL1O1'; did you mean 'CEL101'?"),
    (["nothing-like-it-at-all"],
     "unknown rule 'nothing-like-it-at-all'; `celerylint rules` lists them"),
    ([], "give a rule code or name, or --all (not both)"),
    (["CEL101", "--all"], "give a rule code or name, or --all (not both)"),
])
def test_rule_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    run = run_celerylint(["rule", *args], tmp_path)
    assert (run.code, run.stdout, run.stderr) == (2, "", f"celerylint: error: {message}\n")


def test_rule_on_a_terminal_is_rendered_through_the_pager(tmp_path: Path) -> None:
    """stdin and stdout on a pseudo-terminal, as in a shell: the rendered Markdown goes to
    $PAGER (here a command that saves it), not to the terminal."""
    saved, less = tmp_path / "paged.txt", tmp_path / "less.txt"
    env = {key: value for key, value in os.environ.items()
           if key not in ("NO_COLOR", "MANPAGER", "LESS")}
    env.update(PAGER=f"printenv LESS > '{less}'; cat > '{saved}'", TERM="xterm-256color",
               COLUMNS="100")
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run([celerylint_executable(), "rule", "CEL101"], stdin=terminal,
                              stdout=terminal, stderr=subprocess.PIPE, env=env, cwd=tmp_path,
                              timeout=120, check=False)
        os.close(terminal)
        on_screen = _drain(controller)
    finally:
        os.close(controller)
    assert (done.returncode, done.stderr) == (0, b"")
    paged = saved.read_text(encoding="utf-8")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", paged)
    assert "\x1b[" in paged  # styled for the terminal
    assert "CEL101 pickle-serializer" in plain and "## CEL101" not in plain
    assert "task_serializer" in plain and "<a id=" not in plain
    assert "pickle-serializer" not in on_screen  # it all went through the pager
    assert less.read_text() == "FRX\n"  # less shows the colours, as under git


def _drain(descriptor: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(descriptor, 65536)
        except OSError:  # EIO once the other end is closed (Linux)
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


# ---- rule links in reports -------------------------------------------------------------


def _check(project: Path, *args: str) -> Any:
    run = invoke_celerylint(["check", "--jobs", "1", *args], project)
    assert run.code == 1, run.stderr
    return json.loads(run.stdout)


def _configure(project: Path, base: str) -> None:
    with (project / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'\n[tool.celerylint]\nrule-url-base = "{base}"\n')


def _anchors() -> set[str]:
    return set(re.findall(r'<a id="([^"]+)"></a>', DOCS.read_text(encoding="utf-8")))


def test_without_a_base_reports_carry_no_invented_link(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    assert {item["url"] for item in _check(project, "--output-format", "json")} == {None}
    log = _check(project, "--output-format", "sarif")
    assert_valid_sarif(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert "informationUri" not in driver
    for rule in driver["rules"]:
        assert "helpUri" not in rule
        assert rule["help"]["text"].endswith(f"Documentation: `celerylint rule {rule['id']}`")
        assert rule["help"]["markdown"].endswith(
            f"Full documentation and examples: `celerylint rule {rule['id']}`")


@pytest.mark.parametrize("where", ["option", "config", "both"])
def test_a_base_links_every_rule_to_its_docs_anchor(tmp_path: Path, where: str) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    args = ["--rule-url-base", BASE] if where != "config" else []
    if where != "option":
        _configure(project, BASE if where == "config" else "https://elsewhere.example/rules.md")
    items = _check(project, "--output-format", "json", *args)
    first = next(item for item in items if item["code"] == "CEL101")
    assert first["url"] == f"{BASE}#cel101-pickle-serializer"
    assert {item["url"].partition("#")[0] for item in items} == {BASE}
    log = _check(project, "--output-format", "sarif", *args)
    assert_valid_sarif(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == BASE
    anchors = _anchors()
    for rule in driver["rules"]:
        url, _, anchor = rule["helpUri"].partition("#")
        assert (url, anchor in anchors) == (BASE, True)
        assert rule["help"]["markdown"].endswith(
            f"[Full documentation and examples]({rule['helpUri']})")


def test_the_base_changes_no_fingerprint_nor_baseline(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    prints = []
    for args in ([], ["--rule-url-base", BASE]):
        log = _check(project, "--output-format", "sarif", *args)
        prints.append([r["partialFingerprints"] for r in log["runs"][0]["results"]])
        written = invoke_celerylint(["check", "--jobs", "1", "--write-baseline",
                                     f"baseline{len(prints)}.json", *args], project)
        assert written.code == 0, written.stderr
    assert prints[0] == prints[1] and prints[0]
    assert (project / "baseline1.json").read_bytes() == (project / "baseline2.json").read_bytes()


@pytest.mark.parametrize("value", ["docs/rules.md", "www.example.com/rules.md",
                                   f"{BASE}#top", "ftp://example.com/rules.md"])
def test_a_bad_base_is_a_usage_error(tmp_path: Path, value: str) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    run = run_celerylint(["check", "--rule-url-base", value], project)
    assert (run.code, run.stdout) == (2, "")
    assert "Invalid value for '--rule-url-base': must be " in run.stderr
    assert f", not {value!r}" in run.stderr
    _configure(project, value)
    run = run_celerylint(["check"], project)
    expected = ("a URL without a #fragment (the rule's anchor is added)" if "#" in value
                else "an absolute http(s) URL of docs/rules.md")
    assert (run.code, run.stderr) == (  # checked with the default links, then exit 2
        2, f"celerylint: error: 'rule-url-base' in [tool.celerylint] of pyproject.toml "
           f"must be {expected}, not a string ({value!r})\n")
    assert "CEL101" in run.stdout


def test_forced_colour_on_a_pipe_still_prints_the_markdown(tmp_path: Path) -> None:
    run = run_celerylint(["rule", "CEL101"], tmp_path, env={"FORCE_COLOR": "1"})
    assert (run.code, run.stdout) == (0, plain_text("CEL101"))
