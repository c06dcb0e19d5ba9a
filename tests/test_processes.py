"""Tests for celerylint.model.workers: worker commands read from process definition files."""

from __future__ import annotations

import pickle
import textwrap

import pytest

from celerylint.model.workers import (
    WorkerCommand,
    is_dev_only,
    is_process_file,
    worker_commands,
)


def commands(path: str, text: str) -> list[WorkerCommand]:
    return worker_commands(path, textwrap.dedent(text).lstrip("\n"))


def only(path: str, text: str) -> WorkerCommand:
    found = commands(path, text)
    assert len(found) == 1, found
    return found[0]


def span(command: WorkerCommand) -> tuple[int, int, int, int]:
    return (command.row, command.column, command.end_row, command.end_column)


# --- options, flags and invocation forms (one Procfile line each) ----------------------


@pytest.mark.parametrize(
    ("line", "app", "options", "beat"),
    [
        ("celery -A proj worker -l info", "proj", {"loglevel": "info"}, False),
        ("celery worker --app=proj", "proj", {}, False),
        ("celery -Aproj worker", "proj", {}, False),
        ("celery --app proj.celery:app worker", "proj.celery:app", {}, False),
        ("celery -A proj worker --time-limit=300 --soft-time-limit 240", "proj",
         {"time_limit": "300", "soft_time_limit": "240"}, False),
        ("celery -A proj worker -P gevent -c 100", "proj",
         {"pool": "gevent", "concurrency": "100"}, False),
        ("celery -A proj worker -Pgevent -c4", "proj", {"pool": "gevent", "concurrency": "4"},
         False),
        ("celery -A proj worker --pool=solo --concurrency=1", "proj",
         {"pool": "solo", "concurrency": "1"}, False),
        ("celery -A proj worker --prefetch-multiplier=1 -Q a,b", "proj",
         {"prefetch_multiplier": "1", "queues": "a,b"}, False),
        ("celery -A proj worker --queues default --loglevel=INFO", "proj",
         {"queues": "default", "loglevel": "INFO"}, False),
        ("celery -A proj worker -B -l info", "proj", {"loglevel": "info"}, True),
        ("celery -A proj worker --beat", "proj", {}, True),
        ("celery -A proj worker -BE", "proj", {}, True),
        ("celery -A proj worker -EB -l info", "proj", {"loglevel": "info"}, True),
        ("celery -A proj worker -Ofair -B", "proj", {}, True),
        ("celery -A proj -B worker", "proj", {}, True),
        ("celery -A proj worker -E --without-gossip --concurrency=2 -B", "proj",
         {"concurrency": "2"}, True),
        ("celery -A proj worker -lB", "proj", {"loglevel": "B"}, False),  # -l takes "B"
        ("celery -b redis://redis:6379/0 -A proj worker", "proj", {}, False),
        ("celery -A proj -bredis://localhost worker", "proj", {}, False),
        ("celery -A proj worker -n worker-B@%h", "proj", {}, False),
        ("celery -A proj worker --time-limit=${TIME_LIMIT:-300}", "proj",
         {"time_limit": "${TIME_LIMIT:-300}"}, False),
        ("celery -A proj worker --prefetch-multiplier=$PREFETCH", "proj",
         {"prefetch_multiplier": "$PREFETCH"}, False),
        ('celery -A "$APP" worker --loglevel="${LOG_LEVEL}"', "$APP",
         {"loglevel": "${LOG_LEVEL}"}, False),
        ("celery worker", None, {}, False),
        ("celery -A proj worker --time-limit=1 --time-limit=2", "proj", {"time_limit": "2"},
         False),
        ("python -m celery -A proj worker -B", "proj", {}, True),
        ("python3.12 -u -m celery -A proj worker", "proj", {}, False),
        ("exec celery -A proj worker", "proj", {}, False),
        ("/opt/venv/bin/celery -A proj worker", "proj", {}, False),
        ("${VENV}/bin/celery -A proj worker", "proj", {}, False),
        ("newrelic-admin run-program celery -A proj worker -B", "proj", {}, True),
        ("gosu celery celery -A proj worker -B", "proj", {}, True),
        ("watchmedo auto-restart -d proj -- celery -A proj worker", "proj", {}, False),
        ("celery multi start w1 w2 -A proj -c 3 --time-limit=300", "proj",
         {"concurrency": "3", "time_limit": "300"}, False),
        ("celery multi start 3 -A proj -c:1 5 -Q:2 images", "proj", {"queues:2": "images"},
         False),
        ("celery multi start w1 w2 -A proj -Q:w1 a,b --queues:w2=c -X:w1 d", "proj",
         {"queues:w1": "a,b", "queues:w2": "c", "exclude_queues:w1": "d"}, False),
        ("celery -A proj worker -X celery --loglevel=INFO", "proj",
         {"exclude_queues": "celery", "loglevel": "INFO"}, False),
        ('celery -A proj worker --loglevel=INFO "$@"', "proj",
         {"loglevel": "INFO", "expansions": "$@"}, False),
        ("python manage.py celery worker -B", None, {}, True),  # django-celery era
    ],
)
def test_worker_command_forms(
    line: str, app: str | None, options: dict[str, str], beat: bool
) -> None:
    command = only("Procfile", f"worker: {line}\n")
    assert command.app == app
    assert dict(command.options) == options
    assert command.beat is beat


@pytest.mark.parametrize(
    "line",
    [
        "celery -A proj beat -l info",
        "celery -A proj beat -S django_celery_beat.schedulers:DatabaseScheduler",
        "celery -A proj flower --port=5555",
        "celery -A proj inspect ping -d celery@$HOSTNAME",
        "celery multi stopwait w1 -A proj",
        "celery -A proj purge -f",
        "celery --version",
        "pip install celery[redis]",
        "echo starting celery worker -B",
        'printf "%s\\n" celery -A proj worker',
        "python -m flower -A proj worker",
        "celery -A proj $CELERY_MODE -B",
    ],
)
def test_not_worker_commands(line: str) -> None:
    assert commands("Procfile", f"x: {line}\n") == []


def test_broker_flag_is_not_beat() -> None:
    command = only("Procfile", "worker: celery -A proj -b redis://redis:6379/0 worker\n")
    assert command.beat is False


# --- Procfile --------------------------------------------------------------------------


def test_procfile_positions_and_comments() -> None:
    found = commands("Procfile", """
        web: gunicorn proj.wsgi --log-file -
        # worker: celery -A proj worker -B
        worker:   celery -A proj worker -B -l info
        beat: celery -A proj beat
        release: python manage.py migrate && celery -A proj worker -Q default
    """)
    assert [span(c) for c in found] == [(3, 11, 3, 43), (5, 38, 5, 70)]
    assert [c.beat for c in found] == [True, False]
    assert found[1].options == {"queues": "default"}
    assert found[0].path == "Procfile"


def test_procfile_dev_is_dev_only() -> None:
    command = only("Procfile.dev", "worker: celery -A proj worker -B\n")
    assert command.dev_only is True
    assert only("Procfile", "worker: celery -A proj worker -B\n").dev_only is False


# --- shell entrypoints and s6/runit run files ------------------------------------------


ENTRYPOINT = """
#!/usr/bin/env bash
set -euo pipefail

# Old way, kept for reference:
# celery -A proj worker -B

wait_for_db() { python manage.py wait_for_db; }

case "$1" in
    worker)
        wait_for_db
        exec celery -A proj worker \\
            --loglevel="${LOG_LEVEL:-info}" \\
            --concurrency "${CONCURRENCY:-4}" \\
            -Ofair -B
        ;;
    beat)
        exec celery -A proj beat --pidfile= -s /tmp/celerybeat-schedule
        ;;
    flower) exec celery -A proj flower ;;
    *) exec "$@" ;;
esac
"""


def test_shell_entrypoint_with_continuations() -> None:
    command = only("docker/entrypoint.sh", ENTRYPOINT)
    assert span(command) == (12, 14, 15, 22)
    assert command.beat is True
    assert command.app == "proj"
    assert command.options == {"loglevel": "${LOG_LEVEL:-info}", "concurrency": "${CONCURRENCY:-4}"}


def test_shell_chains_and_background_jobs() -> None:
    found = commands("start.sh", """
        #!/bin/sh
        python manage.py migrate && celery -A proj worker -l info &
        celery -A proj beat -l info & wait
        if [ "$ROLE" = "celery" ]; then celery -A proj worker -Q io -P eventlet -c 100; fi
        celery -A proj worker --time-limit 30 >> /var/log/worker.log 2>&1 || exit 1
    """)
    assert [(c.row, c.column) for c in found] == [(2, 29), (4, 33), (5, 1)]
    assert found[1].options == {"queues": "io", "pool": "eventlet", "concurrency": "100"}
    assert found[2].options == {"time_limit": "30"}
    assert span(found[2])[2:] == (5, 38)  # the redirections are not part of it


def test_shell_c_scripts_are_read() -> None:
    found = commands("bin/worker.sh", """
        su -s /bin/sh app -c 'celery -A proj worker -B'
        bash -ec "cd /app && exec celery -A proj worker --pool=solo"
    """)
    assert [(c.row, c.column, c.beat) for c in found] == [(1, 23, True), (2, 27, False)]
    assert found[1].options == {"pool": "solo"}


def test_s6_run_file_is_read_without_extension() -> None:
    text = """
        #!/command/with-contenv sh
        cd /app || exit 1
        exec s6-setuidgid app celery -A proj worker -B --loglevel=warning
    """
    command = only("docker/rootfs/etc/s6-overlay/s6-rc.d/celery/run", text)
    assert (command.row, command.column, command.beat) == (3, 23, True)


def test_heredoc_bodies_and_unbalanced_quotes() -> None:
    found = commands("run.sh", """
        #!/bin/sh
        cat <<-'EOF' >&2
        	Don't start two workers: it'll run "beat" twice
        	celery -A proj worker -B
        	EOF
        exec celery -A proj worker -P solo --loglevel='info
    """)
    assert [(c.row, c.beat) for c in found] == [(6, False)]
    assert found[0].options == {"pool": "solo", "loglevel": "'info"}


def test_windows_newlines() -> None:
    text = "#!/bin/sh\r\nexec celery -A proj worker \\\r\n  -B\r\n"
    command = only("run.sh", text)
    assert span(command) == (2, 6, 3, 5)
    assert command.beat is True


# --- docker compose --------------------------------------------------------------------


COMPOSE = """
services:
  web:
    command: gunicorn proj.wsgi
  worker:
    image: proj
    command: celery -A proj worker -l info --time-limit=600  # hard limit
    depends_on: [redis]
  worker-io:
    command: ["celery", "-A", "proj", "worker", "-P", "gevent", "-c", "200"]
  worker-block:
    command:
      - celery
      - -A
      - proj
      - worker
      - --prefetch-multiplier=1
    environment:
      - C_FORCE_ROOT=1
  worker-folded:
    command: >
      celery -A proj worker
      --concurrency=2
      -B
  beat:
    command: celery -A proj beat
  # old:
  #   command: celery -A proj worker -B
  shell:
    entrypoint: ["sh", "-c"]
    command:
      - |
        python manage.py migrate
        celery -A proj worker -Q default -B
"""


def test_compose_command_forms() -> None:
    found = commands("docker-compose.yml", COMPOSE)
    assert [span(c) for c in found] == [
        (6, 14, 6, 60),
        (9, 15, 9, 76),
        (12, 9, 16, 32),
        (21, 7, 23, 9),
        (33, 9, 33, 44),
    ]
    assert [dict(c.options) for c in found] == [
        {"loglevel": "info", "time_limit": "600"},
        {"pool": "gevent", "concurrency": "200"},
        {"prefetch_multiplier": "1"},
        {"concurrency": "2"},
        {"queues": "default"},
    ]
    assert [c.beat for c in found] == [False, False, False, True, True]
    assert {c.app for c in found} == {"proj"}


def test_compose_entrypoint_combines_with_command() -> None:
    command = only("compose.yaml", """
        services:
          worker:
            entrypoint: ["celery", "-A", "proj"]
            command: ["worker", "--beat"]
    """)
    assert span(command) == (3, 18, 4, 33)
    assert command.beat is True


def test_compose_quoted_string_command() -> None:
    command = only("compose.yml", """
        services:
          worker:
            command: "celery -A proj worker --pool 'threads'"
    """)
    assert command.options == {"pool": "threads"}
    assert span(command) == (3, 15, 3, 53)


def test_compose_keys_of_different_services_do_not_combine() -> None:
    found = commands("docker-compose.yml", """
        services:
          a:
            entrypoint: ["celery", "-A", "proj"]
          b:
            command: ["worker", "-B"]
    """)
    assert found == []


def test_yaml_scripts_in_block_scalars() -> None:
    found = commands("compose.yaml", """
        services:
          migrate-and-work:
            command: >-
              sh -c "python manage.py migrate &&
                     celery -A proj worker -B"
          k8s-style:
            command: ["/bin/sh", "-c"]
            args:
            - |
              cat <<EOF > /tmp/motd
              it's the worker
              EOF
              exec celery -A proj worker --pool=threads
    """)
    assert [(c.row, c.column, c.beat) for c in found] == [(5, 14, True), (13, 12, False)]
    assert found[1].options == {"pool": "threads"}


def test_yaml_escaped_strings_are_decoded() -> None:
    found = commands("compose.yml", r"""
        services:
          a:
            command: "celery -A proj worker \"-B\""
          b:
            command: 'celery -A proj worker --pool=''solo'''
    """)
    assert [(span(c), c.beat) for c in found] == [((3, 14, 3, 44), True), ((5, 14, 5, 53), False)]
    assert found[1].options == {"pool": "solo"}


def test_yaml_keys_on_list_items_and_plain_flow_items() -> None:
    found = commands("ansible/roles/worker/tasks/main.yml", """
        - name: start celery
          command: celery -A proj worker --detach -B
          args:
            chdir: /srv/app
        - command: [celery, -A, proj, worker, -P, threads]   # comment
    """)
    assert [span(c) for c in found] == [(2, 12, 2, 45), (5, 13, 5, 50)]
    assert [c.beat for c in found] == [True, False]
    assert found[1].options == {"pool": "threads"}


def test_compose_override_dev_file_is_dev_only() -> None:
    command = only("docker-compose.override.dev.yml", """
        services:
          worker:
            command: celery -A proj worker -B
    """)
    assert command.dev_only is True


# --- Kubernetes and Helm ---------------------------------------------------------------


K8S = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  template:
    spec:
      containers:
        - name: worker
          image: registry/proj:1.0
          command: ["celery"]
          env:
            - name: DJANGO_SETTINGS_MODULE
              value: proj.settings
          args:
            - "-A"
            - proj
            - worker
            - --time-limit=60
            - "--soft-time-limit=50"
          livenessProbe:
            exec:
              command: ["celery", "-A", "proj", "inspect", "ping", "-d", "celery@$(HOSTNAME)"]
        - name: sidecar
          command: ["/bin/sh", "-c"]
          args: ["celery -A proj worker -Q sidecar -P solo"]
        - name: beat
          args: ["-A", "proj", "beat"]
          command:
          - celery
"""


def test_kubernetes_command_and_args_pairs() -> None:
    found = commands("deploy/k8s/worker.yaml", K8S)
    assert [span(c) for c in found] == [(11, 21, 20, 37), (26, 19, 26, 59)]
    assert found[0].options == {"time_limit": "60", "soft_time_limit": "50"}
    assert found[1].options == {"queues": "sidecar", "pool": "solo"}


def test_helm_template_directives_are_skipped() -> None:
    command = only("charts/proj/templates/worker-deployment.yaml", """
        spec:
          containers:
            - name: {{ .Chart.Name }}-worker
              command:
                - celery
                - -A
                - proj
                - worker
                - --concurrency={{ .Values.worker.concurrency }}
                {{- if .Values.worker.embeddedBeat }}
                - --beat
                {{- end }}
              resources:
                {{- toYaml .Values.resources | nindent 12 }}
    """)
    assert command.options == {"concurrency": "{{ .Values.worker.concurrency }}"}
    assert command.beat is True
    assert span(command) == (5, 11, 11, 17)


# --- systemd ---------------------------------------------------------------------------


SYSTEMD = """
[Unit]
Description=Celery Service
After=network.target

[Service]
Type=forking
EnvironmentFile=/etc/conf.d/celery
# ExecStart=/usr/bin/celery -A proj worker -B
ExecStart=/bin/sh -c '${CELERY_BIN} -A $CELERY_APP multi start $CELERYD_NODES \\
    --pidfile=${CELERYD_PID_FILE} --logfile=${CELERYD_LOG_FILE} \\
    --loglevel="${CELERYD_LOG_LEVEL}" $CELERYD_OPTS'
ExecStop=/bin/sh -c '${CELERY_BIN} multi stopwait $CELERYD_NODES \\
    --pidfile=${CELERYD_PID_FILE} --loglevel="${CELERYD_LOG_LEVEL}"'
ExecReload=/bin/sh -c '${CELERY_BIN} -A $CELERY_APP multi restart $CELERYD_NODES \\
    --pidfile=${CELERYD_PID_FILE} --logfile=${CELERYD_LOG_FILE} \\
    --loglevel="${CELERYD_LOG_LEVEL}" $CELERYD_OPTS'
Restart=always
"""


def test_systemd_celery_multi_unit() -> None:
    command = only("deploy/celery.service", SYSTEMD)
    assert span(command) == (9, 23, 11, 52)
    assert command.app == "$CELERY_APP"
    assert command.options == {"loglevel": "${CELERYD_LOG_LEVEL}",
                               "expansions": "$CELERYD_NODES $CELERYD_OPTS"}
    assert command.beat is False


def test_systemd_direct_exec_start_with_prefix() -> None:
    command = only("celery-worker.service", """
        [Service]
        ExecStart=-/srv/venv/bin/celery -A proj worker \\
          --time-limit=900 \\
          -B
    """)
    assert span(command) == (2, 11, 4, 5)
    assert command.options == {"time_limit": "900"}
    assert command.beat is True


# --- supervisord -----------------------------------------------------------------------


def test_supervisord_command_with_continuation_lines() -> None:
    found = commands("deploy/supervisor/celery.conf", """
        [program:celery-worker]
        ; command=celery -A proj worker -B
        command=/home/app/venv/bin/celery -A proj worker
            --loglevel=INFO
            --pool=threads -B
        directory=/home/app
        autostart=true

        [program:celery-beat]
        command=celery -A proj beat -l INFO
    """)
    assert len(found) == 1
    assert span(found[0]) == (3, 9, 5, 22)
    assert found[0].options == {"loglevel": "INFO", "pool": "threads"}
    assert found[0].beat is True


def test_supervisord_environment_expansions_are_values() -> None:
    command = only("supervisord.conf", """
        [program:worker]
        command = celery -A %(ENV_CELERY_APP)s worker -c %(ENV_CONCURRENCY)s
    """)
    assert command.app == "%(ENV_CELERY_APP)s"
    assert command.options == {"concurrency": "%(ENV_CONCURRENCY)s"}


# --- Dockerfiles -----------------------------------------------------------------------


DOCKERFILE = """
# syntax=docker/dockerfile:1
FROM python:3.12-slim AS base
RUN pip install --no-cache-dir celery[redis]==5.7.0
# CMD celery -A proj worker -B
CMD celery -A proj worker \\
    # a comment inside the continuation
    --loglevel=info \\
    -B

FROM base AS io-worker
CMD ["celery", "-A", "proj", "worker", "-P", "gevent", "--time-limit=120"]

FROM base AS shell-worker
CMD ["sh", "-c", "celery -A proj worker --prefetch-multiplier=${PREFETCH}"]
"""


def test_dockerfile_shell_and_exec_forms() -> None:
    found = commands("Dockerfile", DOCKERFILE)
    assert [span(c) for c in found] == [(5, 5, 8, 7), (11, 6, 11, 74), (14, 19, 14, 74)]
    assert [c.beat for c in found] == [True, False, False]
    assert found[0].options == {"loglevel": "info"}
    assert found[1].options == {"pool": "gevent", "time_limit": "120"}
    assert found[2].options == {"prefetch_multiplier": "${PREFETCH}"}


def test_dockerfile_entrypoint_combines_with_cmd() -> None:
    command = only("docker/worker.Dockerfile", """
        FROM python:3.12
        ENTRYPOINT ["celery", "-A", "proj"]
        CMD ["worker", "-B"]
    """)
    assert span(command) == (2, 13, 3, 20)
    assert command.beat is True


def test_dockerfile_run_and_later_stage_entrypoint_alone() -> None:
    found = commands("Dockerfile.worker", """
        FROM python:3.12
        RUN celery --version
        ENTRYPOINT ["/docker-entrypoint.sh"]
        CMD ["celery", "-A", "proj", "worker", "--pool", "solo"]
    """)
    assert [(c.row, c.column) for c in found] == [(4, 6)]
    assert found[0].options == {"pool": "solo"}


def test_dockerfile_instructions_are_case_insensitive() -> None:
    command = only("Dockerfile", "from python:3.12\ncmd celery -A proj worker -B\n")
    assert (command.row, command.column, command.beat) == (2, 5, True)


# --- file kinds and dev-only paths -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "head", "expected"),
    [
        ("Procfile", b"", True),
        ("Procfile.dev", b"", True),
        ("docker-compose.yml", b"services: {}\n", True),
        ("docker-compose.prod.yaml", b"", True),
        ("compose.yaml", b"", True),
        ("k8s/worker.yaml", b"spec:\n  containers:\n    - command: [celery]\n", True),
        ("k8s/worker.yml", b"spec:\n  containers:\n  - args:\n", True),
        ("k8s/configmap.yaml", b"data:\n  key: value\n", False),
        (".github/workflows/ci.yml", b"jobs:\n  test:\n    steps:\n      - run: pytest\n", False),
        ("deploy/celery.service", b"", True),
        ("supervisord.conf", b"", True),
        ("deploy/celery.conf", b"[program:celery]\ncommand=celery\n", True),
        ("deploy/celery.ini", b"[program:celery]\n", True),
        ("nginx/site.conf", b"server {\n  listen 80;\n}\n", False),
        ("setup.cfg", b"[program:x]\n", False),
        ("Dockerfile", b"", True),
        ("Dockerfile.worker", b"", True),
        ("docker/worker.Dockerfile", b"", True),
        ("docker/worker.dockerfile", b"", True),
        ("docker/entrypoint.sh", b"", True),
        ("services/worker/run", b"#!/bin/sh\nexec celery\n", True),
        ("bin/run", b"some data\n", False),
        ("root/etc/s6-overlay/s6-rc.d/worker/run", b"with-contenv\n", True),
        ("root/etc/services.d/worker/run", b"", True),
        ("docs/deploy.md", b"celery -A proj worker -B", False),
        ("docs/Procfile.md", b"", False),
        ("docs/deploy.rst", b"", False),
        ("Dockerfile.txt", b"", False),
        ("proj/celery.py", b"", False),
        ("README", b"", False),
    ],
)
def test_is_process_file(path: str, head: bytes, expected: bool) -> None:
    assert is_process_file(path, head) is expected


def test_non_process_files_give_no_commands() -> None:
    assert worker_commands("docs/deploy.md", "celery -A proj worker -B\n") == []
    assert worker_commands("proj/tasks.py", "celery -A proj worker -B\n") == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("docker-compose.override.dev.yml", True),
        ("docker-compose.override.yml", True),
        ("docker-compose.debug.yml", True),
        ("docker-compose.local.yaml", True),
        ("docker-compose.test.yml", True),
        (".devcontainer/docker-compose.yml", True),
        ("Procfile.dev", True),
        ("Procfile.development", True),
        ("ci/unit_tests/run", True),
        ("tests/fixtures/Procfile", True),
        ("deploy/dev-env/entrypoint.sh", True),
        ("tools/development-tools/start.sh", True),
        ("docker/Dockerfile.DEV", True),
        ("docker-compose.yml", False),
        ("docker-compose.prod.yml", False),
        ("images/latest/Dockerfile", False),
        ("devices/worker/run", False),
        ("deploy/devops/celery.service", False),
        ("contest/Procfile", False),
        ("localization/entrypoint.sh", False),
    ],
)
def test_is_dev_only(path: str, expected: bool) -> None:
    assert is_dev_only(path) is expected


def test_commands_are_plain_picklable_data() -> None:
    command = only("Procfile", "worker: celery -A proj worker -c 2 -B\n")
    assert pickle.loads(pickle.dumps(command)) == command
    assert hash(command) == hash(pickle.loads(pickle.dumps(command)))
