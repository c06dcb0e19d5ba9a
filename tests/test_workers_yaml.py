"""Compose files and Kubernetes manifests read with PyYAML's composer.

The first part checks what the reader makes of each YAML form (anchors and merge keys,
several documents, flow and block styles, invalid input) through `worker_commands`, with
exact positions. The second runs the real `celerylint` command on a project whose only
`--time-limit` is written in one of those forms: CEL201 must stay silent because of it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import copy_fixture, findings, run_celerylint

from celerylint.model.workers import WorkerCommand, worker_commands


def commands(path: str, text: str) -> list[WorkerCommand]:
    return worker_commands(path, textwrap.dedent(text).lstrip("\n"))


def spans(found: list[WorkerCommand]) -> list[tuple[int, int, int, int]]:
    return [(c.row, c.column, c.end_row, c.end_column) for c in found]


# --- anchors and merge keys ------------------------------------------------------------


def test_merged_entrypoint_combines_with_own_command() -> None:
    found = commands("docker-compose.yml", """
        x-celery: &celery
          image: proj
          entrypoint: ["celery", "-A", "proj"]
        services:
          worker:
            <<: *celery
            command: ["worker", "--time-limit=300"]
          beat:
            <<: *celery
            command: ["beat"]
    """)
    assert spans(found) == [(3, 16, 7, 43)]  # from the merged program word to the last word
    assert (found[0].app, dict(found[0].options)) == ("proj", {"time_limit": "300"})


def test_own_keys_override_merged_ones() -> None:
    found = commands("compose.yaml", """
        x-worker: &worker
          command: celery -A proj worker -B
        services:
          default:
            <<: *worker
          io:
            <<: *worker
            command: celery -A proj worker -P gevent
    """)
    assert spans(found) == [(2, 12, 2, 36), (8, 14, 8, 45)]
    assert [(c.beat, dict(c.options)) for c in found] == [(True, {}), (False, {"pool": "gevent"})]


def test_earlier_merged_mappings_win() -> None:
    command = only("compose.yaml", """
        x-a: &a {entrypoint: [celery, -A, a]}
        x-b: &b {entrypoint: [celery, -A, b]}
        services:
          worker:
            <<: [*a, *b]
            command: [worker, -c, "2"]
    """)
    assert (command.app, dict(command.options)) == ("a", {"concurrency": "2"})
    assert (command.row, command.column, command.end_row) == (1, 23, 6)


def test_aliased_scalar_sits_at_its_anchor() -> None:
    found = commands("compose.yml", """
        services:
          a:
            command: &cmd celery -A proj worker -B
          b:
            command: *cmd
          c:
            command: !!str celery -A proj worker -P solo
          d:
            command: &d  # the anchor, a tag and a comment come before the value
              !!str "celery -A proj worker -c 1"
          e:
            command: &e |
              celery -A proj worker -c 2
    """)
    assert spans(found) == [(3, 19, 3, 43), (7, 20, 7, 49), (10, 14, 10, 40), (13, 7, 13, 33)]


def test_recursive_anchors_end() -> None:
    assert commands("compose.yml", "x: &x\n  <<: *x\n  args: [*x]\n") == []


# --- several documents -----------------------------------------------------------------


K8S_DOCUMENTS = """
    apiVersion: v1
    kind: ConfigMap
    data:
      command: not a list of words
    ---
    apiVersion: apps/v1
    kind: Deployment
    spec:
      template:
        spec:
          containers:
          - name: worker
            command: [celery, -A, proj, worker, --time-limit=60]
    ---
    kind: Deployment
    spec:
      template:
        spec:
          containers:
          - name: io
            command:
            - celery
            args: ["-A", "proj", "worker", "-P", "gevent"]
"""


def test_kubernetes_multi_document_manifest() -> None:
    found = commands("k8s/workers.yaml", K8S_DOCUMENTS)
    assert spans(found) == [(13, 19, 13, 60), (22, 11, 23, 54)]
    assert [dict(c.options) for c in found] == [{"time_limit": "60"}, {"pool": "gevent"}]


def test_an_invalid_document_keeps_the_ones_before_it() -> None:
    broken = textwrap.dedent(K8S_DOCUMENTS).lstrip("\n") + "---\nspec: [unclosed\n"
    found = worker_commands("k8s/workers.yaml", broken)
    assert [c.row for c in found] == [13, 22]


# --- flow styles -----------------------------------------------------------------------


def test_flow_mappings_and_multi_line_flow_sequences() -> None:
    found = commands("k8s/cron.yaml", """
        spec:
          containers:
          - {name: w, command: [celery], args: [-A, proj, worker, -B]}
          - name: v
            command: [
              "celery", "-A", "proj",  # the app
              "worker", "--pool=solo",
            ]
    """)
    assert spans(found) == [(3, 25, 3, 61), (6, 7, 7, 30)]
    assert [(c.beat, dict(c.options)) for c in found] == [(True, {}), (False, {"pool": "solo"})]


# --- block scalars ---------------------------------------------------------------------


def test_block_scalar_styles() -> None:
    found = commands("compose.yaml", """
        services:
          literal:
            command: |
              celery -A proj worker -c 1
          stripped:
            command: |-
              celery -A proj worker -c 2
            # a comment after the block
          folded:
            command: >
              celery -A proj worker
              -c 3
          kept:
            command: >+
              celery -A proj worker -c 4

          indented:
            command: |2
                celery -A proj worker -c 5
    """)
    assert spans(found) == [
        (4, 7, 4, 33), (7, 7, 7, 33), (11, 7, 12, 11), (15, 7, 15, 33), (19, 9, 19, 35)]
    assert [c.options["concurrency"] for c in found] == ["1", "2", "3", "4", "5"]


def test_literal_block_runs_one_command_per_line() -> None:
    command = only("compose.yaml", """
        services:
          worker:
            entrypoint: ["sh", "-c"]
            command:
              - |
                python manage.py migrate
                exec celery -A proj worker --time-limit=30
    """)
    assert (command.row, command.column, dict(command.options)) == (7, 14, {"time_limit": "30"})


# --- what is not YAML ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "services:\n  worker:\n    command: [celery, -A, proj, worker\n",
        "services:\n\tworker:\n\t\tcommand: celery -A proj worker\n",
        "services:\n  worker:\n    command: 'celery -A proj worker\n",
        "- command: celery -A proj worker\nkey: value\n",
        "%YAML 9.9\n---\ncommand: celery -A proj worker\n",
        "[" * 5000 + "celery" + "]" * 5000,
        "command: x\n" + "  " * 3000 + "k: v\n",
    ],
    ids=["unclosed", "tabs", "unterminated", "mixed", "directive", "deep-flow", "deep-block"],
)
def test_invalid_yaml_gives_no_commands(text: str) -> None:
    assert worker_commands("docker-compose.yml", text) == []


def test_characters_yaml_rejects_do_not_hide_the_commands() -> None:
    text = "services:\n  w:\n    x: a\x0cb\x00\u2028\x85\n    command: celery -A proj worker -B\n"
    command = only("compose.yml", text)
    assert (command.row, command.column, command.end_column, command.beat) == (4, 14, 38, True)


def only(path: str, text: str) -> WorkerCommand:
    found = commands(path, text)
    assert len(found) == 1, found
    return found[0]


# --- through the celerylint command: CEL201 sees the limit -----------------------------

# multi_module without its Procfile: app `proj` in proj/celery.py:3 has no global limit.
CEL201_AT = ("proj/celery.py", 3, "CEL201")

LIMITED = {
    "merge-keys": ("docker-compose.yml", """
        x-celery: &celery
          image: proj
          entrypoint: [celery, -A, proj]
        services:
          worker:
            <<: *celery
            command: [worker, --time-limit=300]
    """),
    "multi-document": ("k8s/worker.yaml", K8S_DOCUMENTS),
    "flow-command": ("compose.yaml", """
        services:
          worker:
            command: ["celery", "-A", "proj", "worker", "--time-limit", "300"]
    """),
    "folded-block": ("compose.yaml", """
        services:
          worker:
            command: >
              celery -A proj worker
              --time-limit=300
    """),
    "literal-block-script": ("deploy/worker.yaml", """
        spec:
          containers:
          - name: worker
            command: ["/bin/sh", "-c"]
            args:
            - |
              python manage.py migrate
              exec celery -A proj.celery:app worker --soft-time-limit=240
    """),
}


def cel201(project: Path) -> list[tuple[str, int, str]]:
    run = run_celerylint(["check", "--select", "CEL201", "--output-format", "json"], project)
    assert run.stderr == ""
    return [(f["filename"], f["location"]["row"], f["code"]) for f in findings(run)]


def project_with(tmp_path: Path, path: str, text: str) -> Path:
    project = copy_fixture("multi_module", tmp_path)
    (project / "Procfile").unlink()
    target = project / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return project


@pytest.mark.parametrize("form", sorted(LIMITED))
def test_time_limit_in_yaml_silences_cel201(tmp_path: Path, form: str) -> None:
    path, text = LIMITED[form]
    assert cel201(project_with(tmp_path, path, text)) == []


def test_without_the_limit_cel201_reports(tmp_path: Path) -> None:
    path, text = LIMITED["merge-keys"]
    project = project_with(tmp_path, path, text.replace(", --time-limit=300", ""))
    assert cel201(project) == [CEL201_AT]


def test_invalid_yaml_is_no_crash(tmp_path: Path) -> None:
    project = project_with(tmp_path, "docker-compose.yml", """
        services:
          worker:
            command: [celery, -A, proj, worker, --time-limit=300
          web: {
    """)
    assert cel201(project) == [CEL201_AT]
