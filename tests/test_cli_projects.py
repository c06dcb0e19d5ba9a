"""End-to-end runs of the real ``celerylint`` command on the fixture projects.

Each fixture under tests/fixtures is a small but realistic project shape (plain
``celeryconfig``, split Django settings, ``conf.update``, config classes, tasks spread
over modules). The expected findings below were worked out by hand from CATALOG.md, not
copied from celerylint's output, so a change in what the model understands shows up here
as a concrete wrong or missing ``file:row: CODE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import Run, copy_fixture, findings, invoke_celerylint

Triple = tuple[str, int, str]


def check_all(project: Path, *args: str) -> Run:
    return invoke_celerylint(["check", "--select", "ALL", "--output-format", "json", *args],
                             project)


def triples(run: Run) -> list[Triple]:
    """(file, row, code) of every finding, sorted (duplicates kept)."""
    return sorted((f["filename"], f["location"]["row"], f["code"]) for f in findings(run))


def config_json(project: Path, *args: str) -> dict[str, Any]:
    run = invoke_celerylint(["config", "--output-format", "json", *args], project)
    assert run.code == 0, run.stderr
    data: dict[str, Any] = run.json()
    return data


def only_app(data: dict[str, Any]) -> dict[str, Any]:
    assert len(data["apps"]) == 1, [app["app"] for app in data["apps"]]
    app: dict[str, Any] = data["apps"][0]
    return app


def app_named(data: dict[str, Any], label: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [app for app in data["apps"] if app["app"] == label]
    assert len(matches) == 1, [app["app"] for app in data["apps"]]
    return matches[0]


def one_value(app: dict[str, Any], setting: str) -> dict[str, Any]:
    """The single binding of a setting (fails when it has none or several)."""
    values = app["settings"].get(setting)
    assert values is not None, f"{setting} missing from {sorted(app['settings'])}"
    assert len(values) == 1, values
    value: dict[str, Any] = values[0]
    return value


def where(value: dict[str, Any]) -> tuple[str, int]:
    return value["file"], value["line"]


# --- plain_celeryconfig ---------------------------------------------------------------

PLAIN_EXPECTED: list[Triple] = [
    # redis result backend, result_expires never set: at the backend value (CEL301).
    ("celeryconfig.py", 5, "CEL301"),
    ("celeryconfig.py", 7, "CEL101"),  # task_serializer = "pickle"
    ("celeryconfig.py", 9, "CEL102"),  # "pickle" inside accept_content
    # No global limit anywhere; resize and ping have none of their own: once, at Celery().
    ("proj/celery.py", 3, "CEL201"),
    # resize is late-ack and worker_prefetch_multiplier is never set (default 4): once per
    # app, at Celery() as no global setting turns late acks on.
    ("proj/celery.py", 3, "CEL204"),
    ("proj/tasks.py", 9, "CEL211"),  # resize (acks_late with reject_on_worker_lost: no CEL203)
    ("proj/tasks.py", 14, "CEL211"),  # ping
    ("proj/tasks.py", 20, "CEL101"),  # apply_async(serializer="pickle")
]


def test_plain_celeryconfig_findings(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    run = check_all(project)
    assert run.code == 1
    assert triples(run) == sorted(PLAIN_EXPECTED)
    by_place = {(f["filename"], f["location"]["row"], f["code"]): f for f in findings(run)}
    assert by_place[("celeryconfig.py", 5, "CEL301")]["severity"] == "note"  # redis: own TTL
    assert "pickle is accepted" in by_place[("celeryconfig.py", 7, "CEL101")]["message"]
    assert "2 of its 3 tasks" in by_place[("proj/celery.py", 3, "CEL201")]["message"]
    assert "(1 task)" in by_place[("proj/celery.py", 3, "CEL204")]["message"]


def test_plain_celeryconfig_config(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    data = config_json(project)
    assert data["celery_version"]["version"] == "5.4"
    assert "celery[redis]>=5.4,<6" in data["celery_version"]["source"]
    app = only_app(data)
    assert (app["app"], app["file"], app["line"], app["namespace"]) == (
        "proj", "proj/celery.py", 3, None)
    assert app["sources"] == [{"target": "celeryconfig", "file": "proj/celery.py", "line": 4}]
    assert app["unknown"] == {"all": None, "settings": []}
    serializer = one_value(app, "task_serializer")
    assert serializer["value"] == "pickle" and serializer["known"]
    assert where(serializer) == ("celeryconfig.py", 7)
    assert serializer["conditional"] is False and serializer["read_by_celery"] == "yes"
    assert one_value(app, "accept_content")["value"] == ["json", "pickle"]
    broker = one_value(app, "broker_url")  # os.environ["..."]: no default, so unknowable
    assert (broker["known"], broker["value"]) == (False, None)
    assert broker["display"].startswith("unknown")
    assert where(broker) == ("celeryconfig.py", 4)
    assert "result_expires" not in app["settings"]


def test_config_text_shows_unknown_values(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    run = invoke_celerylint(["config"], project)
    assert run.code == 0, run.stderr
    assert "broker_url = unknown" in run.stdout
    assert "task_serializer = 'pickle'" in run.stdout
    assert "celeryconfig.py:7" in run.stdout


def test_config_text_keeps_bracketed_text_of_the_version_source(tmp_path: Path) -> None:
    """User data is printed as is, never read as rich markup ('[redis]' is not a style)."""
    project = copy_fixture("plain_celeryconfig", tmp_path)
    run = invoke_celerylint(["config"], project)
    assert "[project].dependencies (celery[redis]>=5.4,<6)" in run.stdout


def test_checking_one_file_uses_the_whole_project(tmp_path: Path) -> None:
    """proj/tasks.py alone: the message still knows celeryconfig accepts pickle, and the
    per-task CEL211 still knows the app has no global limit; other files stay silent."""
    project = copy_fixture("plain_celeryconfig", tmp_path)
    run = check_all(project, "proj/tasks.py")
    assert triples(run) == [("proj/tasks.py", 9, "CEL211"), ("proj/tasks.py", 14, "CEL211"),
                            ("proj/tasks.py", 20, "CEL101")]
    pickle_call = next(f for f in findings(run) if f["code"] == "CEL101")
    assert "pickle is accepted" in pickle_call["message"]


def test_paths_are_relative_to_the_current_folder(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    from_parent = check_all(tmp_path, "plain_celeryconfig")
    assert triples(from_parent) == sorted(
        (f"plain_celeryconfig/{name}", row, code) for name, row, code in PLAIN_EXPECTED)
    from_package = check_all(project / "proj", "..")
    names = {f["filename"] for f in findings(from_package)}
    assert names == {"../celeryconfig.py", "celery.py", "tasks.py"}
    only_package = check_all(project / "proj")
    assert {f["filename"] for f in findings(only_package)} == {"celery.py", "tasks.py"}


def test_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    project = copy_fixture("multi_module", tmp_path)
    for args in (["--output-format", "json"], ["--output-format", "text"], ["--statistics"]):
        first = invoke_celerylint(["check", "--select", "ALL", *args], project)
        second = invoke_celerylint(["check", "--select", "ALL", *args], project)
        assert first.stdout and first.stdout == second.stdout


# --- django_split ---------------------------------------------------------------------

DJANGO_COMMON: list[Triple] = [
    # env lookup with a literal default: the default "pickle" is what runs when unset.
    ("proj/settings/production.py", 7, "CEL101"),
    # CELERY_TASK_ACKS_LATE = True in the else branch is a possible value.
    ("proj/settings/production.py", 12, "CEL203"),
    # ... and no CELERY_WORKER_PREFETCH_MULTIPLIER anywhere: at the global late-ack setting.
    ("proj/settings/production.py", 12, "CEL204"),
    # CELERY_TASK_RESULT_EXPIRES is an old name, not CELERY_ + RESULT_EXPIRES (the namespaced
    # new name): ignored under the namespace up to 5.6 (warning), a fallback in 5.7 (note).
    ("proj/settings/base.py", 12, "CEL703"),
]


def old_name_severity(run: Run) -> str:
    severity: str = next(f for f in findings(run) if f["code"] == "CEL703")["severity"]
    return severity


def test_django_split_findings_for_the_declared_version(tmp_path: Path) -> None:
    """requirements.txt says celery>=5.6: CELERY_TASK_RESULT_EXPIRES is an old name Celery
    5.6 ignores under the namespace, so result_expires is unset (CEL301). The base's
    pickle task_serializer is overridden by production, and test.py is neither the
    effective settings module nor production code: none of them is reported."""
    project = copy_fixture("django_split", tmp_path)
    run = check_all(project)
    assert triples(run) == sorted([*DJANGO_COMMON, ("proj/settings/base.py", 8, "CEL301")])
    assert old_name_severity(run) == "warning"


def test_django_split_findings_for_celery_5_7(tmp_path: Path) -> None:
    project = copy_fixture("django_split", tmp_path)
    run = check_all(project, "--celery-version", "5.7")
    assert triples(run) == sorted(DJANGO_COMMON)
    assert old_name_severity(run) == "note"


def test_django_split_config(tmp_path: Path) -> None:
    project = copy_fixture("django_split", tmp_path)
    data = config_json(project)
    assert data["celery_version"] == {"version": "5.6",
                                      "source": "requirements.txt:2 (celery>=5.6,<6)"}
    app = only_app(data)
    assert app["namespace"] == "CELERY"
    assert app["sources"] == [{"target": "django.conf:settings", "file": "proj/celery.py",
                               "line": 8}]
    serializer = one_value(app, "task_serializer")
    assert (serializer["value"], serializer["key"]) == ("json", "CELERY_TASK_SERIALIZER")
    assert where(serializer) == ("proj/settings/production.py", 6)
    limit = one_value(app, "task_time_limit")
    assert (limit["value"], where(limit)) == (10800, ("proj/settings/base.py", 11))
    result_serializer = one_value(app, "result_serializer")
    assert (result_serializer["value"], result_serializer["known"]) == ("pickle", True)
    acks = app["settings"]["task_acks_late"]
    assert [(v["value"], v["line"], v["conditional"]) for v in acks] == [
        (False, 10, True), (True, 12, True)]
    assert one_value(app, "broker_url")["known"] is False
    expires = one_value(app, "result_expires")
    assert (expires["key"], expires["read_by_celery"]) == ("CELERY_TASK_RESULT_EXPIRES", "no")
    assert "task_always_eager" not in app["settings"]  # only proj/settings/test.py sets it


def test_django_split_config_for_celery_5_7(tmp_path: Path) -> None:
    project = copy_fixture("django_split", tmp_path)
    data = config_json(project, "--celery-version", "5.7")
    assert data["celery_version"] == {"version": "5.7", "source": "--celery-version"}
    expires = one_value(only_app(data), "result_expires")
    assert (expires["value"], expires["read_by_celery"]) == (3600, "yes")


def test_config_text_shows_conditional_and_unread_flags(tmp_path: Path) -> None:
    project = copy_fixture("django_split", tmp_path)
    run = invoke_celerylint(["config"], project)
    lines = run.stdout.splitlines()
    acks = [line for line in lines if line.strip().startswith("task_acks_late = ")]
    assert len(acks) == 2 and all(line.endswith("[conditional]") for line in acks)
    expires = [line for line in lines if line.strip().startswith("result_expires = ")]
    assert len(expires) == 1 and expires[0].endswith("[read by Celery: no]")


# --- conf_update ----------------------------------------------------------------------

def test_conf_update_findings(tmp_path: Path) -> None:
    project = copy_fixture("conf_update", tmp_path)
    run = check_all(project)
    assert triples(run) == [
        ("proj/celery.py", 12, "CEL101"),  # update(task_serializer="pickle")
        ("proj/celery.py", 13, "CEL302"),  # update(result_expires=None)
        ("proj/celery.py", 16, "CEL102"),  # update({"accept_content": [..., "pickle"]})
        ("proj/celery.py", 17, "CEL203"),  # update({"task_acks_late": True})
        ("proj/celery.py", 17, "CEL204"),  # ... with worker_prefetch_multiplier unset
    ]


def test_conf_update_config(tmp_path: Path) -> None:
    project = copy_fixture("conf_update", tmp_path)
    app = only_app(config_json(project))
    assert (app["namespace"], app["sources"]) == (None, [])
    expected = {
        "broker_url": ("redis://localhost:6379/0", 8),  # Celery(broker=...)
        "include": (["proj.tasks"], 8),  # Celery(include=...)
        "result_backend": ("redis://localhost:6379/1", 11),
        "task_serializer": ("pickle", 12),
        "result_expires": (None, 13),
        "accept_content": (["json", "pickle"], 16),
        "task_acks_late": (True, 17),
        "task_time_limit": (300, 19),  # app.conf.task_time_limit = 300
        "result_serializer": ("json", 20),  # app.conf["result_serializer"] = "json"
    }
    for setting, (value, line) in expected.items():
        binding = one_value(app, setting)
        assert (binding["value"], where(binding), binding["known"]) == (
            value, ("proj/celery.py", line), True), setting
    options = one_value(app, "broker_transport_options")  # built by a function call
    assert options["known"] is False and options["display"].startswith("unknown")
    assert set(app["settings"]) == set(expected) | {"broker_transport_options"}


# --- class_config ---------------------------------------------------------------------

def test_class_config_findings(tmp_path: Path) -> None:
    project = copy_fixture("class_config", tmp_path)
    run = check_all(project)
    assert triples(run) == [
        ("proj/config.py", 13, "CEL101"),  # Config.task_serializer overrides the base's json
        ("proj/config.py", 14, "CEL302"),  # Config.result_expires = 0
        ("proj/config.py", 18, "CEL301"),  # BillingConfig's db+ backend, no result_expires
        ("proj/config.py", 19, "CEL203"),  # BillingConfig.task_acks_late
        ("proj/config.py", 19, "CEL204"),  # ... with worker_prefetch_multiplier unset
    ]
    cleanup = next(f for f in findings(run) if f["code"] == "CEL301")
    assert cleanup["severity"] == "warning"  # database backends need beat to clean up


def test_class_config_config(tmp_path: Path) -> None:
    project = copy_fixture("class_config", tmp_path)
    data = config_json(project)
    assert [app["app"] for app in data["apps"]] == ["billing", "proj"]
    billing = app_named(data, "billing")
    assert billing["sources"] == [{"target": "proj.config:BillingConfig",
                                   "file": "billing/celery.py", "line": 4}]
    assert where(one_value(billing, "result_backend")) == ("proj/config.py", 18)
    inherited = one_value(billing, "task_time_limit")
    assert (inherited["value"], where(inherited)) == (120, ("proj/config.py", 9))
    assert one_value(billing, "broker_url")["value"] == "redis://localhost:6379/0"
    proj = app_named(data, "proj")
    assert proj["sources"] == [{"target": "proj.config.Config", "file": "proj/celery.py",
                                "line": 6}]
    serializer = one_value(proj, "task_serializer")
    assert (serializer["value"], where(serializer)) == ("pickle", ("proj/config.py", 13))
    assert one_value(proj, "result_expires")["value"] == 0
    assert "task_acks_late" not in proj["settings"]


# --- multi_module ---------------------------------------------------------------------

MULTI_EXPECTED: list[Triple] = [
    ("proj/base.py", 5, "CEL203"),  # base=ReliableTask: at the class attribute
    # settle, refund, void and send_welcome ack late; no prefetch multiplier in the config
    # or on the Procfile's worker: once, at Celery().
    ("proj/celery.py", 3, "CEL204"),
    ("proj/decorators.py", 3, "CEL203"),  # retrying alias: once, though two tasks use it
    ("proj/decorators.py", 3, "CEL205"),  # retrying: autoretry_for without retry_backoff
    ("proj/mail.py", 4, "CEL203"),  # @celery_app.task(acks_late=True), app re-exported
    ("proj/reports.py", 7, "CEL101"),  # configured decorator @background(serializer=...)
    ("proj/views.py", 8, "CEL401"),  # send_welcome.delay(user), user from objects.get
]

# Without the Procfile's --time-limit, every task but settle (its base class has a limit)
# runs unbounded. invoke's @task functions in tasks.py are not Celery tasks.
MULTI_UNBOUNDED: list[Triple] = [
    ("proj/billing.py", 8, "CEL211"),  # @shared_task charge
    ("proj/billing.py", 13, "CEL211"),  # @retrying refund
    ("proj/billing.py", 18, "CEL211"),  # @retrying void
    ("proj/mail.py", 4, "CEL211"),  # send_welcome
    ("proj/reports.py", 7, "CEL211"),  # build_report
    ("proj/reports.py", 16, "CEL211"),  # app.task(name=...)(export_csv)
    ("proj/reports.py", 19, "CEL211"),  # class Reindex(Task) with run()
    ("proj/celery.py", 3, "CEL201"),
]


def test_multi_module_findings(tmp_path: Path) -> None:
    project = copy_fixture("multi_module", tmp_path)
    run = check_all(project)
    assert triples(run) == sorted(MULTI_EXPECTED)


def test_multi_module_without_the_procfile_limit(tmp_path: Path) -> None:
    project = copy_fixture("multi_module", tmp_path)
    (project / "Procfile").unlink()
    run = check_all(project)
    assert triples(run) == sorted(MULTI_EXPECTED + MULTI_UNBOUNDED)
    app_finding = next(f for f in findings(run) if f["code"] == "CEL201")
    assert "7 of its 8 tasks" in app_finding["message"]


def test_multi_module_task_decorators_come_from_pyproject(tmp_path: Path) -> None:
    project = copy_fixture("multi_module", tmp_path)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "1.0"\n', encoding="utf-8")
    run = check_all(project)
    assert ("proj/reports.py", 7, "CEL101") not in triples(run)


def test_multi_module_config(tmp_path: Path) -> None:
    project = copy_fixture("multi_module", tmp_path)
    app = only_app(config_json(project))
    assert (app["app"], app["file"], app["line"]) == ("proj", "proj/celery.py", 3)
    assert app["unknown"] == {"all": None, "settings": []}
    assert set(app["settings"]) == {"broker_url"}
    assert where(one_value(app, "broker_url")) == ("proj/celery.py", 3)


def test_assigned_call_form_is_a_task(tmp_path: Path) -> None:
    project = copy_fixture("multi_module", tmp_path)
    (project / "Procfile").unlink()
    reports = project / "proj" / "reports.py"
    text = reports.read_text(encoding="utf-8")
    assigned = text.replace('app.task(name="proj.reports.export")(export_csv)',
                            'export = app.task(name="proj.reports.export")(export_csv)')
    assert assigned != text
    reports.write_text(assigned, encoding="utf-8")
    run = check_all(project, "--select", "CEL211")
    assert ("proj/reports.py", 16, "CEL211") in triples(run)
