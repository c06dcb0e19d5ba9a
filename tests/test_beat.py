"""Beat: the crontab parser against the installed Celery, the beat-schedule model, the
crontab facts, and CEL601 / CEL602 / CEL609 on projects spanning several modules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import findings, invoke_celerylint, locations, model_of, run_celerylint, write_tree

from celerylint.facts.values import Construct
from celerylint.model.beat import beat_entries
from celerylint.model.crontab import FIELDS, FIELDS_BY_NAME, expand, impossible_date, problem

# Inputs Celery treats in many ways: accepted, quirky, and each of its errors.
CRON_SAMPLES: list[object] = [
    "*", "*/0", "0/15", "*/25", "24", "7", "funday", "monkey", "jan", "mon", "fri-mon",
    "1-2-3", " 5", "*/2/3", "", "1,,2", "-5", "*/", "*/-1", "L", "?", "5-", "0-59/5", "1-31",
    "0", "60", "59", "23", "sun-sat", "mon-fri", "dec", "*/abc", "a-b", "1-", "3-1", "12",
    "13", "31", "32", "1-7,15-21", "2-30/2", "*/3", "+5", "0_5", "5 ", "*,5", "mon,wed",
    "MON", "Sunday", "*/1", "0/0", "1-5/0", "1-5/", "1-5/x", "**", "*5", "x", "feb-jan",
    "0-6", "1-7", "0-23", "0-24", "23-0", 5, 0, 24, 7, 6, 60, 13, 31, 32, True, False,
    (1, 2), (0, 60), (1.5,), ("1",), (), -1, 1.5, None,
]


def _celery_accepts(size: int, low: int, spec: object) -> bool:
    from celery.schedules import crontab  # the test may import Celery; the product never does

    try:
        crontab._expand_cronspec(list(spec) if isinstance(spec, tuple) else spec, size, low)
    except Exception:  # noqa: BLE001 - any exception is a rejection, as at import time
        return False
    return True


@pytest.mark.parametrize("name", list(FIELDS_BY_NAME))
def test_parser_agrees_with_the_installed_celery(name: str) -> None:
    field = FIELDS_BY_NAME[name]
    disagree = [spec for spec in CRON_SAMPLES
                if (problem(field, spec) is None) != _celery_accepts(field.size, field.low, spec)]
    assert disagree == []


def test_parser_expands_like_celery() -> None:
    from celery.schedules import crontab_parser

    for spec in ("*/15", "fri-mon", "1,13,30-45,50-59/2", "*/2/3", "1-2-3", "monkey"):
        for field in FIELDS:
            if problem(field, spec) is None:
                assert expand(field, spec) == crontab_parser(field.size, field.low).parse(spec)


def test_impossible_date_follows_celery() -> None:
    from celery.schedules import crontab

    for days, months in (({31}, {2}), ({30}, {2}), ({29}, {2}), ({31}, {4, 6}), ({31}, {4, 5})):
        try:
            crontab(day_of_month=days, month_of_year=months)
            raised = False
        except ValueError:
            raised = True
        assert impossible_date(days, months) is raised  # type: ignore[arg-type]


def test_problem_messages_name_the_field_and_the_value() -> None:
    hour, dow, minute = (FIELDS_BY_NAME[n] for n in ("hour", "day_of_week", "minute"))
    assert problem(hour, 24) == "hour 24 is outside 0-23"
    assert problem(dow, "7") == "day_of_week '7' is outside 0-6"
    assert problem(dow, "funday") == (
        "day_of_week 'funday' is neither a number nor a day or month name")
    assert problem(minute, "*/0") == "minute '*/0' has a step of zero"
    assert problem(minute, "0/15") == "minute '0/15': a step needs '*/n' or a range 'a-b/n'"


# -- the beat-schedule model -----------------------------------------------------------

DJANGO_PROJECT = {
    "manage.py": """
        import os

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    """,
    "shop/__init__.py": "",
    "shop/celery.py": """
        import os

        from celery import Celery
        from celery.schedules import crontab

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
        app = Celery("shop")
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.autodiscover_tasks()


        @app.on_after_finalize.connect
        def setup(sender, **kwargs):
            from shop.orders.tasks import expire

            sender.add_periodic_task(60.0, expire.s(), name="expire")
            sender.add_periodic_task(crontab(minute=0), sender.signature("shop.orders.tasks.gone"))
    """,
    "shop/settings.py": """
        from celery.schedules import crontab

        from shop.schedules import NIGHTLY

        CELERY_BEAT_SCHEDULE = {
            "report": {"task": "shop.orders.tasks.report", "schedule": NIGHTLY},
            "typo": {"task": "shop.orders.tasks.reprot", "schedule": crontab(minute=0, hour=2)},
        }
        FILTER = {"task": "shop.orders.tasks.not_beat"}
    """,
    "shop/schedules.py": """
        from celery.schedules import crontab

        NIGHTLY = crontab(hour=3)
    """,
    "shop/orders/__init__.py": "",
    "shop/orders/tasks.py": """
        from celery import shared_task


        @shared_task
        def report():
            pass


        @shared_task
        def expire():
            pass
    """,
}


def test_beat_entries_of_a_django_app_from_settings_and_configure_handlers(
        tmp_path: Path) -> None:
    model = model_of(tmp_path, DJANGO_PROJECT)
    (app,) = model.production_apps()
    entries = beat_entries(model.project, app)
    shown = [(e.key, e.task_name, e.task_origin, e.path, e.span.row) for e in entries]
    assert shown == [
        ("report", "shop.orders.tasks.report", "", "shop/settings.py", 6),
        ("typo", "shop.orders.tasks.reprot", "", "shop/settings.py", 7),
        ("expire", None, "shop.orders.tasks.expire", "shop/celery.py", 16),
        (None, "shop.orders.tasks.gone", "", "shop/celery.py", 17),
    ]
    typo = entries[1]
    assert typo.schedule is not None and isinstance(typo.schedule.data, Construct)
    assert typo.schedule.data.kind == "crontab"
    assert all(e.certain for e in entries)


def test_crontab_facts_cover_every_module_and_their_scopes(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/schedules.py": """
            from celery.schedules import crontab as cron

            hour = 24
            TOP = cron(hour=hour)


            def inner(hour):
                return cron(minute=0, hour=hour)


            class Jobs:
                every = cron(minute="*/5")
        """,
        "proj/other.py": """
            def crontab(hour):
                return hour

            X = crontab(hour=25)
        """,
    })
    calls = model.project.modules["proj/schedules.py"].crontabs
    assert [(c.span.row, c.keywords["hour"].data if "hour" in c.keywords else None)
            for c in calls] == [(4, 24), (8, None), (12, None)]
    assert not calls[1].keywords["hour"].known  # the parameter, not the module constant
    assert model.project.modules["proj/other.py"].crontabs == []


# -- the rules on whole projects ----------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    """`write_tree` with each text dedented and its leading newline dropped (as
    `model_of` does), so that rows count from the line after the opening quotes."""
    return write_tree(root, {name: textwrap.dedent(text).removeprefix("\n")
                             for name, text in files.items()})


def test_rules_on_a_django_project(tmp_path: Path) -> None:
    root = _tree(tmp_path, DJANGO_PROJECT)
    run = invoke_celerylint(["check", "--select", "CEL601,CEL602,CEL609", "--output-format",
                             "json", "--no-cache", "."], root)
    shown = [(f["code"], f"{f['filename']}:{f['location']['row']}:{f['location']['column']}",
              f["message"]) for f in findings(run)]
    assert shown == [
        ("CEL601", "shop/celery.py:17:66",
         "beat entry runs task 'shop.orders.tasks.gone', which is not defined; "
         "did you mean 'shop.orders.tasks.report'?"),
        ("CEL609", "shop/schedules.py:3:11",
         "crontab() restricts hour but not minute: it runs every minute of those hours"),
        ("CEL601", "shop/settings.py:7:22",
         "beat entry 'typo' runs task 'shop.orders.tasks.reprot', which is not defined; "
         "did you mean 'shop.orders.tasks.report'?"),
    ]


def test_one_config_module_shared_by_two_apps_is_reported_once(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "proj/__init__.py": "",
        "proj/celeryconfig.py": """
            broker_url = "redis://localhost:6379/0"
            beat_schedule = {"a": {"task": "proj.tasks.missing", "schedule": 10}}
        """,
        "proj/web.py": """
            from celery import Celery

            app = Celery("web")
            app.config_from_object("proj.celeryconfig")
        """,
        "proj/worker.py": """
            from celery import Celery

            app = Celery("worker")
            app.config_from_object("proj.celeryconfig")
        """,
        "proj/tasks.py": """
            from celery import shared_task


            @shared_task
            def present():
                pass
        """,
    })
    run = invoke_celerylint(["check", "--select", "CEL601", "--output-format", "json",
                             "--no-cache", "."], root)
    assert locations(run) == ["proj/celeryconfig.py:2"]


def test_conditional_schedule_in_a_branch_is_still_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            import os

            from celery import Celery

            app = Celery("proj")
            if os.environ.get("BEAT"):
                app.conf.beat_schedule = {"x": {"task": "proj.tasks.nope", "schedule": 5}}
        """,
        "proj/tasks.py": """
            from proj.celery import app


            @app.task
            def yes():
                pass
        """,
    })
    run = invoke_celerylint(["check", "--select", "CEL601", "--output-format", "json",
                             "--no-cache", "."], root)
    assert locations(run) == ["proj/celery.py:7"]


def test_the_installed_command_reports_and_fixes(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "proj/__init__.py": "",
        "proj/schedules.py": "from celery.schedules import crontab\n\n"
                             "A = crontab(hour=3, day_of_week=7)\nB = crontab(hour='*/2')\n",
    })
    run = run_celerylint(["check", "--select", "CEL602,CEL609", "--output-format", "json",
                          "--no-cache", "."], root)
    assert [(f["code"], f["location"]["row"], f["location"]["column"]) for f in findings(run)
            ] == [("CEL602", 3, 33), ("CEL609", 4, 5)]
    fixed = run_celerylint(["check", "--select", "CEL609", "--fix", "--unsafe-fixes",
                            "--no-cache", "."], root)
    assert fixed.code == 0, fixed.stdout + fixed.stderr
    assert (root / "proj/schedules.py").read_text().splitlines()[3] == (
        "B = crontab(minute=0, hour='*/2')")


def test_cel601_message_drops_the_key_then_the_suggestion_to_stay_short() -> None:
    from celerylint.checks.routing.beat_unknown_task import _message

    name, closest = "proj.tasks.reprot", "proj.tasks.report"
    assert _message("nightly", name, closest) == (
        "beat entry 'nightly' runs task 'proj.tasks.reprot', which is not defined; "
        "did you mean 'proj.tasks.report'?")
    long_key = "k" * 80
    assert _message(long_key, name, closest) == (
        "beat entry runs task 'proj.tasks.reprot', which is not defined; "
        "did you mean 'proj.tasks.report'?")
    long_name = "proj." + "x" * 70
    assert _message(long_key, long_name, long_name + "y") == (
        f"beat entry runs task {long_name!r}, which is not defined")


def test_prefilter_reads_files_that_build_schedules_under_any_alias() -> None:
    from celerylint.facts.prefilter import may_hold_facts, pattern

    signs = pattern()
    assert may_hold_facts(b"from celery.schedules import crontab as cron\nX = cron(hour=25)\n",
                          signs)
    assert not may_hold_facts(b"CRONTAB_HELP = 'see man 5 crontabs'\n", signs)
