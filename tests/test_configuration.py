"""Configuration hygiene (CEL701-CEL705) on projects spread over several modules, apps and
settings packages, plus the facts and fixes behind them.

The expected findings were worked out by hand from CATALOG.md and CELERY_FACTS.md
(sections 1, 2, 10, 13, 15).
"""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

from conftest import (
    Run,
    check_selected,
    findings,
    invoke_celerylint,
    locations,
    run_celerylint,
    summary,
    write_tree,
)

from celerylint.facts.configuration import names_read
from celerylint.facts.walk import TreeIndex

CODES = "CEL701,CEL702,CEL703,CEL704,CEL705"


def check(root: Path, files: dict[str, str], *args: str) -> Run:
    return check_selected(root, files, CODES, *args)


def fix_of(run: Run, code: str) -> dict[str, object] | None:
    found = [f for f in findings(run) if f["code"] == code]
    assert len(found) == 1, found
    fix: dict[str, object] | None = found[0]["fix"]
    return fix


# --- a shop with Django settings and a worker app with a plain config module ----------

SHOP = {
    "requirements.txt": "celery==5.6.3\n",
    "shop/__init__.py": "",
    "shop/celery.py": '''
        import os

        from celery import Celery

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.production")

        app = Celery("shop")
        app.config_from_object("django.conf:settings", namespace="CELERY")
    ''',
    "shop/settings/__init__.py": "",
    "shop/settings/base.py": '''
        DEBUG = False
        CELERY_BROKER_URL = "redis://localhost:6379/0"
        CELERY_TASK_ALWAYS_EAGER = True
        CELERY_ACKS_LATE = True
        CELERY_RESULT_BACKEND = "redis://localhost:6379/1"
        CELERY_WORKER_CONCURENCY = 4
        CELERY_SHOP_BATCH_SIZE = 100
        CELERY_TASK_ACKS_ON_FAILURE = True
    ''',
    "shop/settings/production.py": '''
        from .base import *

        CELERY_TASK_ALWAYS_EAGER = False
        CELERY_BROKER_CONNECTION_RETRY = False
    ''',
    "shop/settings/test.py": '''
        from .base import *

        CELERY_TASK_ALWAYS_EAGER = True
    ''',
    "shop/orders.py": '''
        from django.conf import settings


        def batch():
            return settings.CELERY_SHOP_BATCH_SIZE
    ''',
    "worker/__init__.py": "",
    "worker/app.py": '''
        from celery import Celery

        app = Celery("worker")
        app.config_from_object("worker.celeryconfig")
    ''',
    "worker/celeryconfig.py": '''
        broker_url = "redis://localhost:6379/0"
        task_serializer = "json"
        CELERY_RESULT_BACKEND = "redis://localhost:6379/1"
        task_always_eager = True
        visibility_timeout = 3600
    ''',
}


def test_two_apps_each_judged_by_its_own_config(tmp_path: Path) -> None:
    """The shop's production module overrides eager mode (silent) and the test module is
    not used; its base has an old name dead in 5.6, a typo, a 5.7-only setting and a
    project setting read by shop/orders.py (a file without any Celery sign). The worker's
    module mixes styles, turns eager mode on and has a top-level visibility_timeout."""
    run = check(tmp_path, SHOP)
    assert summary(run) == [
        ("shop/settings/base.py:4:20", "CEL703", "warning",
         "old setting name CELERY_ACKS_LATE has no effect: Celery 5.6 ignores it under "
         "namespace 'CELERY'"),
        ("shop/settings/base.py:6:28", "CEL702", "warning",
         "CELERY_WORKER_CONCURENCY is not a Celery setting and is silently ignored; "
         "did you mean CELERY_WORKER_CONCURRENCY?"),
        ("shop/settings/base.py:8:31", "CEL702", "warning",
         "CELERY_TASK_ACKS_ON_FAILURE arrived in Celery 5.7: the target Celery 5.6 ignores it"),
        ("shop/settings/production.py:4:34", "CEL705", "note",
         "CELERY_BROKER_CONNECTION_RETRY is off and broker_connection_retry_on_startup is "
         "unset: Celery 6 will retry the first broker connection"),
        ("worker/celeryconfig.py:3:25", "CEL703", "note",
         "old setting name CELERY_RESULT_BACKEND: Celery 6 drops old names, write result_backend"),
        ("worker/celeryconfig.py:3:25", "CEL704", "error",
         "CELERY_RESULT_BACKEND mixes styles in a config of new setting names: Celery raises "
         "ImproperlyConfigured"),
        ("worker/celeryconfig.py:4:21", "CEL701", "error",
         "task_always_eager is on for app 'worker': tasks run inline in the caller, never on "
         "a worker"),
        ("worker/celeryconfig.py:5:22", "CEL702", "warning",
         "visibility_timeout is read by nothing: the visibility timeout belongs in "
         "broker_transport_options"),
    ]


def test_old_name_under_a_namespace_follows_the_target_version(tmp_path: Path) -> None:
    """Celery 5.7 honours CELERY_ACKS_LATE under the namespace (a note, safe rename);
    with no known target the note says what older versions do."""
    files = {name: text for name, text in SHOP.items() if name.startswith("shop/")}
    newer = check(tmp_path / "a", files, "--celery-version", "5.7")
    assert [(s[0], s[2], s[3]) for s in summary(newer) if s[1] == "CEL703"] == [
        ("shop/settings/base.py:4:20", "note",
         "old setting name CELERY_ACKS_LATE: under namespace 'CELERY' write "
         "CELERY_TASK_ACKS_LATE"),
    ]
    assert fix_of(newer, "CEL703") == {
        "applicability": "safe",
        "message": "Rename CELERY_ACKS_LATE to CELERY_TASK_ACKS_LATE",
        "edits": [{"content": "CELERY_TASK_ACKS_LATE", "location": {"row": 4, "column": 1},
                   "end_location": {"row": 4, "column": 17}}],
    }
    unknown = check(tmp_path / "b", files)
    assert [(s[0], s[2], s[3]) for s in summary(unknown) if s[1] in ("CEL703", "CEL702")] == [
        ("shop/settings/base.py:4:20", "note",
         "old setting name CELERY_ACKS_LATE: Celery before 5.7 ignores it under namespace "
         "'CELERY'"),
        ("shop/settings/base.py:6:28", "warning",
         "CELERY_WORKER_CONCURENCY is not a Celery setting and is silently ignored; "
         "did you mean CELERY_WORKER_CONCURRENCY?"),
    ]


def test_the_project_setting_fires_once_nobody_reads_it(tmp_path: Path) -> None:
    """Without shop/orders.py reading it, a CELERY_ name close to a real setting fires;
    one resembling no setting stays silent (another library's, or the project's)."""
    files = {name: textwrap.dedent(text) for name, text in SHOP.items()
             if name.startswith("shop/")}
    files["shop/orders.py"] = "BATCH = 100\n"
    files["shop/settings/base.py"] += "CELERY_TASK_ACK_LATE = True\nCELERY_EMAIL_BACKEND = 'x'\n"
    run = check(tmp_path, files, "--celery-version", "5.7")
    assert locations(run, "CEL702") == ["shop/settings/base.py:6", "shop/settings/base.py:9"]
    files["shop/mail.py"] = "from shop.settings.base import CELERY_TASK_ACK_LATE\n"
    again = check(tmp_path / "again", files, "--celery-version", "5.7")
    assert locations(again, "CEL702") == ["shop/settings/base.py:6"]


# --- CEL703 / CEL704 fixes and style verdicts ------------------------------------------

APP = {
    "proj/__init__.py": "",
    "proj/celery.py": '''
        from celery import Celery

        app = Celery("proj")
        app.config_from_object("celeryconfig")
    ''',
}


def test_old_style_module_is_renamed_at_once(tmp_path: Path) -> None:
    files = {**APP, "celeryconfig.py": '''
        BROKER_URL = "redis://localhost:6379/0"
        CELERYD_CONCURRENCY = 4  # cores
        CELERYBEAT_SCHEDULE = {}
    '''}
    write_tree(tmp_path, {k: textwrap.dedent(v).lstrip("\n") for k, v in files.items()})
    run = invoke_celerylint(["check", "--no-cache", "--select", "CEL703,CEL704", "--fix"],
                            tmp_path)
    assert run.code == 0, run.stdout + run.stderr
    assert (tmp_path / "celeryconfig.py").read_text() == (
        'broker_url = "redis://localhost:6379/0"\n'
        "worker_concurrency = 4  # cores\n"
        "beat_schedule = {}\n")


def test_no_rename_when_it_would_leave_a_module_mixed_or_broken(tmp_path: Path) -> None:
    """A module reading its old name as a variable, and a module whose other old name is
    hidden behind an app.conf change: findings, but no fix."""
    reads = check(tmp_path / "reads", {**APP, "celeryconfig.py": '''
        BROKER_URL = "redis://localhost:6379/0"
        CELERY_RESULT_BACKEND = BROKER_URL
    '''})
    assert locations(reads, "CEL703") == ["celeryconfig.py:1", "celeryconfig.py:2"]
    assert all(f["fix"] is None for f in findings(reads))
    hidden = check(tmp_path / "hidden", {
        "proj/__init__.py": "",
        "proj/celery.py": '''
            from celery import Celery

            app = Celery("proj")
            app.config_from_object("celeryconfig")
            app.conf.broker_url = "redis://other:6379/0"
        ''',
        "celeryconfig.py": '''
            BROKER_URL = "redis://localhost:6379/0"
            CELERY_ALWAYS_EAGER = False
        ''',
    })
    assert locations(hidden, "CEL703") == ["celeryconfig.py:2"]
    assert fix_of(hidden, "CEL703") is None


def test_mixing_verdict_counts_only_what_celery_sees(tmp_path: Path) -> None:
    """2 old + 1 new: the new key is the minority; an app.conf change hiding how the
    source spelled a setting makes the verdict unknowable (silent); without a source the
    conf.update keys are checked, but never the Celery() keywords."""
    old_style = check(tmp_path / "old", {**APP, "celeryconfig.py": '''
        BROKER_URL = "redis://localhost:6379/0"
        CELERY_TASK_SERIALIZER = "json"
        result_expires = 60
    '''})
    assert [(s[0], s[3]) for s in summary(old_style) if s[1] == "CEL704"] == [
        ("celeryconfig.py:3:18", "result_expires mixes styles in a config of old setting "
         "names: Celery raises ImproperlyConfigured"),
    ]
    assert [f["hint"] for f in findings(old_style) if f["code"] == "CEL704"] == [
        "Rename it to CELERY_TASK_RESULT_EXPIRES, or write every setting in one style."]
    hidden = check(tmp_path / "hidden", {
        **APP,
        "proj/celery.py": APP["proj/celery.py"] + "    app.conf.task_acks_late = True\n",
        "celeryconfig.py": '''
            broker_url = "redis://localhost:6379/0"
            CELERY_TASK_SERIALIZER = "json"
        ''',
    })
    assert locations(hidden, "CEL704") == []
    keywords = check(tmp_path / "keywords", {
        "proj/__init__.py": "",
        "proj/celery.py": '''
            from celery import Celery

            app = Celery("proj", CELERY_ALWAYS_EAGER=False, broker_url="redis://")
            app.conf.update(task_serializer="json", CELERYD_CONCURRENCY=2,
                            CELERY_ACKS_LATE=True)
        ''',
    })
    assert locations(keywords, "CEL704") == ["proj/celery.py:4"]


# --- CEL701 / CEL705 details -------------------------------------------------------------


def test_eager_removal_keeps_blocks_valid(tmp_path: Path) -> None:
    """A statement alone in its block is not removed (the class would not parse); a dict
    entry of conf.update is."""
    run = check(tmp_path / "alone", {
        "proj/__init__.py": "",
        "proj/celery.py": '''
            from celery import Celery


            class Config:
                task_always_eager = True


            app = Celery("proj")
            app.config_from_object(Config)
            other = Celery("other")
            other.conf.update({"task_always_eager": True, "task_serializer": "json"})
        ''',
    })
    assert locations(run, "CEL701") == ["proj/celery.py:5", "proj/celery.py:11"]
    fixes = [f["fix"] for f in findings(run) if f["code"] == "CEL701"]
    assert fixes[0] is None
    assert fixes[1] == {"applicability": "unsafe", "message": "Remove task_always_eager",
                        "edits": [{"content": "", "location": {"row": 11, "column": 20},
                                   "end_location": {"row": 11, "column": 47}}]}


def test_startup_retry_in_a_config_class_and_old_style_call(tmp_path: Path) -> None:
    run = check(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": '''
            from celery import Celery


            class Config:
                broker_url = "redis://localhost:6379/0"
                broker_connection_retry = 0


            app = Celery("proj")
            app.config_from_object(Config)
        ''',
    }, "--celery-version", "5.5")
    assert locations(run, "CEL705") == ["proj/celery.py:6"]
    fix = fix_of(run, "CEL705")
    assert fix is not None and fix["message"] == "Add broker_connection_retry_on_startup = False"


def test_installed_command_reports_the_settings_package(tmp_path: Path) -> None:
    """One run through the installed console script, on the shop project."""
    root = write_tree(tmp_path, {k: textwrap.dedent(v).lstrip("\n") for k, v in SHOP.items()})
    run = run_celerylint(["check", "--no-cache", "--select", "CEL70", "--output-format",
                          "json", "shop"], root)
    assert [(f["code"], f["location"]["row"]) for f in json.loads(run.stdout)] == [
        ("CEL703", 4), ("CEL702", 6), ("CEL702", 8), ("CEL705", 4)]


# --- facts -------------------------------------------------------------------------------


def test_names_read_records_setting_reads_and_module_helpers() -> None:
    tree = ast.parse(textwrap.dedent('''
        from django.conf import settings
        from .base import CELERY_IMPORTED

        redis_host = "localhost"
        unused_helper = 1
        broker_url = f"redis://{redis_host}"
        A = settings.CELERY_ATTRIBUTE
        B = getattr(settings, "CELERY_GETATTR", None)
        C = os.environ.get("CELERY_ENVIRON")
        D = CELERY_BARE
    '''))
    assert names_read(TreeIndex(tree)) == (
        "CELERY_ATTRIBUTE", "CELERY_BARE", "CELERY_GETATTR", "CELERY_IMPORTED", "redis_host",
        "settings")


def test_suggestions_follow_the_style_of_the_key(tmp_path: Path) -> None:
    """Under a namespace a conf.update keyword is read as a plain new name, so its
    suggestion is one; a prefixed Django setting gets a prefixed one; an upper-case key in
    a plain module gets the old name it resembles."""
    run = check(tmp_path, {
        "shop/__init__.py": "",
        "shop/celery.py": '''
            import os

            from celery import Celery

            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

            app = Celery("shop")
            app.config_from_object("django.conf:settings", namespace="CELERY")
            app.conf.update(worker_prefetch_multiplyer=1)
        ''',
        "shop/settings.py": '''
            CELERY_CELERYD_CONCURRENCY = 4
        ''',
        "worker/__init__.py": "",
        "worker/app.py": '''
            from celery import Celery

            app = Celery("worker")
            app.config_from_object("worker.config")
        ''',
        "worker/config.py": '''
            CELERY_ACKS_LATER = True
        ''',
    }, "--celery-version", "5.7")
    assert [(f["filename"], f["location"]["row"], f["hint"]) for f in findings(run)
            if f["code"] == "CEL702"] == [
        ("shop/celery.py", 9, "Rename it to worker_prefetch_multiplier."),
        ("shop/settings.py", 1, "Rename it to CELERY_WORKER_CONCURRENCY."),
        ("worker/config.py", 1, "Rename it to CELERY_ACKS_LATE."),
    ]


def test_django_settings_without_a_namespace_need_one(tmp_path: Path) -> None:
    """Old names are what Django settings read without a namespace can use (Django shows
    only upper-case names): the way out is the namespace, so no rename is offered."""
    run = check(tmp_path, {
        "shop/__init__.py": "",
        "shop/celery.py": '''
            import os

            from celery import Celery

            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

            app = Celery("shop")
            app.config_from_object("django.conf:settings")
        ''',
        "shop/settings.py": '''
            BROKER_URL = "redis://localhost:6379/0"
            CELERY_ALWAYS_EAGER = False
            task_acks_late = True
        ''',
    })
    assert [(s[0], s[1], s[3]) for s in summary(run)] == [
        ("shop/settings.py:1:14", "CEL703",
         "old setting name BROKER_URL: Celery 6 drops old names; read the settings with a "
         "namespace and write CELERY_BROKER_URL"),
        ("shop/settings.py:2:23", "CEL703",
         "old setting name CELERY_ALWAYS_EAGER: Celery 6 drops old names; read the settings "
         "with a namespace and write CELERY_TASK_ALWAYS_EAGER"),
    ]
    assert [f["fix"] for f in findings(run)] == [None, None]
    assert findings(run)[0]["hint"] == (
        'Read the settings with namespace="CELERY" and rename it to CELERY_BROKER_URL.')


def test_no_rename_of_an_old_name_the_project_reads(tmp_path: Path) -> None:
    """shop/views.py (no Celery sign: the prefilter passes it over) reads
    settings.CELERY_ACKS_LATE, so renaming the setting would break it."""
    files = {name: textwrap.dedent(text) for name, text in SHOP.items()
             if name.startswith("shop/")}
    files["shop/views.py"] = ("from django.conf import settings\n\n\n"
                              "def late():\n    return settings.CELERY_ACKS_LATE\n")
    run = check(tmp_path, files, "--celery-version", "5.7")
    assert locations(run, "CEL703") == ["shop/settings/base.py:4"]
    assert fix_of(run, "CEL703") is None
