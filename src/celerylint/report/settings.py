"""``check --show-settings`` and ``--show-files``: what a run would read, and with which
resolved options, without checking anything.

Users reach for these when a file is not reported or a rule does not fire: the answer
is either "that file is not read" (an exclude, ``.gitignore``, another project) or "that
rule is not selected there". One block per project, keys in a fixed order, values as
JSON, paths relative to the current folder, so the output can be compared and diffed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from celerylint.engine.discover import DEFAULT_EXCLUDES
from celerylint.engine.options import FileOptions
from celerylint.model.celery_version import TargetVersion
from celerylint.report import display_path


@dataclass(frozen=True)
class ResolvedSettings:
    """One project's options after the configuration and the command line are merged."""

    root: Path
    options: FileOptions
    selected: frozenset[str]
    version: TargetVersion
    cache_dir: Path | None
    fix: bool
    unsafe_fixes: bool


def _relative(path: Path) -> str:
    return Path(os.path.relpath(path, Path.cwd())).as_posix()


def settings_lines(projects: Sequence[ResolvedSettings]) -> list[str]:
    """Every project's resolved settings, one ``key = value`` line each."""
    lines: list[str] = []
    for index, each in enumerate(projects):
        if index:
            lines.append("")
        lines.extend(_project_lines(each))
    return lines


def _project_lines(each: ResolvedSettings) -> list[str]:
    options = each.options
    config = _relative(options.path) if options.path is not None else None
    known = each.version.version
    version = ".".join(str(part) for part in known) if known is not None else None
    values: list[tuple[str, object]] = [
        ("project", _relative(each.root)),
        ("configuration", config),
        ("rules", sorted(each.selected)),
        ("select", list(options.select) if options.select is not None else None),
        ("extend-select", list(options.extend_select)),
        ("ignore", list(options.ignore)),
        ("per-file-ignores", {glob: list(codes)
                              for glob, codes in sorted(options.per_file_ignores.items())}),
        ("exclude", list(options.exclude if options.exclude is not None
                         else DEFAULT_EXCLUDES)),
        ("extend-exclude", list(options.extend_exclude)),
        ("force-exclude", options.force_exclude),
        ("celery-version", version),
        ("celery-version-source", each.version.source),
        ("test-patterns", list(options.test_patterns)),
        ("task-decorators", list(options.task_decorators)),
        ("django-settings-module", options.django_settings_module),
        ("cache-dir", _relative(each.cache_dir) if each.cache_dir is not None else None),
        ("fix", each.fix),
        ("unsafe-fixes", each.unsafe_fixes),
        ("rule-url-base", options.rule_url_base),
        ("base-ref", options.base_ref),
    ]
    return [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values]


def file_lines(files: Sequence[tuple[Path, str]]) -> list[str]:
    """``--show-files``: (project root, project-relative path) as paths relative to the
    current folder, sorted, each once."""
    return sorted({display_path(root, path) for root, path in files})
