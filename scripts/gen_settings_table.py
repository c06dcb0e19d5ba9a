#!/usr/bin/env python
"""Generate ``src/celerylint/model/data/celery_settings.json`` from the installed Celery.

celerylint must never import Celery, yet several rules need Celery's own list of settings
(new names, old names, types, defaults).  This script is the only place that reads
``celery.app.defaults``; it writes a JSON table that ships inside the celerylint wheel, and
``tests/test_settings_table.py`` keeps that table honest against the installed Celery.

The ``since`` field (first 5.x minor that declares a setting) cannot be read from the
installed Celery, so the script downloads the last patch release of every earlier 5.x minor
from PyPI and reads each wheel's ``celery/app/defaults.py``.  ``--offline`` skips the
downloads and keeps the ``since`` values already in the table; ``--check`` writes nothing
and exits 1 when the table on disk differs from what would be generated.

Run with the project virtualenv (celery is a test-only dependency):
    .venv/bin/python scripts/gen_settings_table.py [--offline] [--check]
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import math
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import celery  # type: ignore[import-untyped]
from celery.app import defaults  # type: ignore[import-untyped]

OUTPUT = Path(__file__).resolve().parent.parent / "src" / "celerylint" / "model" / "data" / (
    "celery_settings.json"
)

# Last non-yanked patch release of every 5.x minor before the installed one (PyPI; 5.0.6 is
# yanked).  Checked by hand: no setting declared by celery 5.7.0 first appeared in a patch
# release (each X.Y.0 declares the same 5.7 settings as the last X.Y.Z), so the last patch
# stands for the whole minor.
HISTORY: tuple[tuple[str, str], ...] = (
    ("5.0", "5.0.5"),
    ("5.1", "5.1.2"),
    ("5.2", "5.2.7"),
    ("5.3", "5.3.6"),
    ("5.4", "5.4.0"),
    ("5.5", "5.5.3"),
    ("5.6", "5.6.3"),
)

# pip >= 24.1 refuses the celery 5.0.x-5.2.0 wheels because their metadata contains the
# invalid requirement ``pytz (>dev)``; pip 24.0 still accepts it (with a warning), and pip can
# run straight from its own wheel, so the script fetches that wheel and uses it.
LEGACY_PIP = "pip==24.0"

# Keys Celery 5.7.0 reads without declaring them in celery/app/defaults.py, so they are not
# in NAMESPACES but must never be reported as unknown (CELERY_FACTS.md section 1).  That list
# also names `broker_host` (the fallback for `broker_url`, celery/app/utils.py:114), but it is
# declared (`broker` namespace, `host`, celery/app/defaults.py:105), so it is in "settings".
UNDECLARED: tuple[str, ...] = (
    "result_backend_thread_safe",  # celery/backends/base.py:271
    "gcs_threadpool_maxsize",  # celery/backends/gcs.py:73
    "firestore_project",  # celery/backends/gcs.py:189-190
    "cassandra_secure_bundle_path",  # celery/backends/cassandra.py:109-110
    "CELERY_DB_REUSE_MAX",  # celery/fixups/django.py:174
    "override_backends",  # celery/loaders/base.py:128
    "TIME_ZONE",  # celery/app/utils.py:139-141, fallback for `timezone`
)


def json_value(value: object) -> object:
    """Return ``value`` as JSON data so the table is loadable without Celery.

    Tuples become lists and sets sorted lists (JSON has neither); anything JSON cannot hold
    exactly (timedelta, infinity) becomes its ``repr`` so the information is not lost.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(json_value(item) for item in value)  # type: ignore[type-var]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: json_value(value[key]) for key in sorted(value)}
    return repr(value)


def type_name(declared: object) -> str:
    """Return Celery's declared type as a string.

    ``beat_cron_starting_deadline`` is declared with the builtin ``int`` rather than ``'int'``.
    """
    return declared.__name__ if isinstance(declared, type) else str(declared)


def current_settings() -> list[dict[str, object]]:
    """Flatten the installed Celery's NAMESPACES into one record per setting."""
    records = []
    for name, option in defaults.flatten(defaults.NAMESPACES):
        records.append({
            "name": name,
            "old_name": defaults._TO_OLD_KEY[name],
            "type": type_name(option.type),
            "default": json_value(option.default),
        })
    return sorted(records, key=lambda record: str(record["name"]))


def minor_version(version: str) -> str:
    """Return ``"X.Y"`` for a version string such as ``"5.7.0"``."""
    return ".".join(version.split(".")[:2])


def declared_names(wheel: Path) -> set[str]:
    """Return the setting names declared by the ``defaults.py`` inside a celery wheel.

    The file is parsed, not run: downloaded code is never executed, and every 5.x release
    writes ``NAMESPACES = Namespace(key=Option(...), prefix=Namespace(...), ...)`` literally.
    """
    with zipfile.ZipFile(wheel) as archive:
        tree = ast.parse(archive.read("celery/app/defaults.py"), filename=str(wheel))
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "NAMESPACES"
                for target in statement.targets):
            return set(namespace_keys(statement.value, ""))
    raise SystemExit(f"{wheel}: no NAMESPACES assignment in celery/app/defaults.py")


def namespace_keys(node: ast.expr, prefix: str) -> Iterator[str]:
    """Yield the flattened names of a ``Namespace(...)`` call, as Celery's ``flatten`` does."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "Namespace"):
        raise SystemExit(f"unexpected NAMESPACES entry: {ast.dump(node)}")
    for keyword in node.keywords:
        if keyword.arg is None:
            raise SystemExit("unexpected **kwargs in NAMESPACES")
        if keyword.arg == "__old__":  # the namespace's old-name pattern, not a setting
            continue
        value = keyword.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and (
                value.func.id == "Namespace"):
            yield from namespace_keys(value, f"{prefix}{keyword.arg}_")
        else:
            yield prefix + keyword.arg


def pip(args: Sequence[str], executable: Sequence[str]) -> None:
    """Run a quiet ``pip download``; a failed download stops the script with pip's error."""
    command = [*executable, "download", "--quiet", "--disable-pip-version-check", "--no-deps",
               "--only-binary=:all:", *args]
    subprocess.run(command, check=True)


def download_history(directory: Path) -> dict[str, Path]:
    """Download the HISTORY wheels into ``directory``; return them by minor version."""
    pip([LEGACY_PIP, "--dest", str(directory / "pip")], [sys.executable, "-m", "pip"])
    (legacy_wheel,) = (directory / "pip").glob("pip-*.whl")
    legacy = [sys.executable, str(legacy_wheel / "pip")]
    wheels = {}
    for minor, release in HISTORY:
        pip([f"celery=={release}", "--dest", str(directory)], legacy)
        wheels[minor] = directory / f"celery-{release}-py3-none-any.whl"
    return wheels


def since_from_history(names: Iterable[str], wheels: dict[str, Path],
                       current: str) -> dict[str, str]:
    """Map every name to the first minor (in HISTORY order) whose wheel declares it."""
    declared = [(minor, declared_names(wheels[minor])) for minor, _ in HISTORY]
    since = {}
    for name in names:
        since[name] = next((minor for minor, found in declared if name in found), current)
    return since


def since_from_table(names: Iterable[str], path: Path) -> dict[str, str]:
    """Reuse the ``since`` values of an existing table (``--offline``).

    A setting the table does not know yet cannot be dated offline; guessing would write a
    wrong version into the table, so this stops instead.
    """
    known = {}
    if path.exists():
        table = json.loads(path.read_text(encoding="utf-8"))
        known = {record["name"]: record["since"] for record in table["settings"]}
    missing = sorted(set(names) - set(known))
    if missing:
        raise SystemExit(f"--offline: no `since` for {', '.join(missing)} in {path}; "
                         "run without --offline")
    return {name: known[name] for name in names}


def render(records: list[dict[str, object]], since: dict[str, str]) -> str:
    """Return the table's JSON text: sorted and stable so regeneration diffs are minimal."""
    settings = [{**record, "since": since[str(record["name"])]} for record in records]
    table = {
        "celery_version": celery.__version__,
        "settings": settings,
        "undeclared": sorted(UNDECLARED),
    }
    return json.dumps(table, indent=1, ensure_ascii=False) + "\n"


def report_difference(path: Path, old: str, new: str) -> None:
    """Print a unified diff of the table so ``--check`` failures are actionable."""
    diff = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                fromfile=f"{path} (on disk)", tofile=f"{path} (generated)")
    sys.stdout.writelines(diff)


def write_or_check(output: Path, text: str, check: bool) -> int:
    """Write the table, or with ``--check`` compare it: the process exit code."""
    old = output.read_text(encoding="utf-8") if output.exists() else ""
    if not check:
        output.write_text(text, encoding="utf-8")
        return 0
    if old == text:
        return 0
    report_difference(output, old, text)
    return 1


def parse_args(argv: Sequence[str] | None, description: str = __doc__,
               output: Path = OUTPUT) -> argparse.Namespace:
    """Parse the command line of a table generator (this one by default)."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--offline", action="store_true",
                        help="do not download old celery wheels; keep existing `since` values")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the table would change")
    parser.add_argument("--output", type=Path, default=output, help="table path")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate (or check) the table; return the process exit code."""
    args = parse_args(argv)
    current = minor_version(celery.__version__)
    if current in dict(HISTORY):
        raise SystemExit(f"installed celery {celery.__version__} is listed in HISTORY")
    records = current_settings()
    names = [str(record["name"]) for record in records]
    if args.offline:
        since = since_from_table(names, args.output)
    else:
        with tempfile.TemporaryDirectory() as directory:
            since = since_from_history(names, download_history(Path(directory)), current)
    return write_or_check(args.output, render(records, since), args.check)


if __name__ == "__main__":
    sys.exit(main())
