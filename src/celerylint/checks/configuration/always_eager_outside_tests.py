"""CEL701 always-eager-outside-tests: ``task_always_eager`` on in a config that is not
test code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from celerylint.checks.configuration.keys import remove_setting
from celerylint.checks.configuration.places import ReportedPlaces
from celerylint.checks.registry import Rule
from celerylint.findings import Finding, Fix
from celerylint.fixes.builders import fix, no_fix_on_mismatch
from celerylint.model.build import Model
from celerylint.model.config import Binding, mark_assumed

_SETTING = "task_always_eager"


class AlwaysEagerOutsideTests(Rule):
    """Tasks run inline in the caller: no worker, no retries, no time limits.

    Only a value Celery reads for sure and that is set unconditionally counts: a value
    chosen in one branch (``else: CELERY_TASK_ALWAYS_EAGER = True`` when no broker is
    configured) is a deliberate mode, not a mistake."""

    code = "CEL701"

    def check(self, model: Model) -> Iterator[Finding]:
        places = ReportedPlaces(model)
        for app in model.production_apps():
            for binding, data in app.config.known_values(_SETTING):
                if data is not True or binding.conditional or not places.first(binding):
                    continue
                message, hint = mark_assumed(
                    f"{binding.key} is on for app {app.label!r}: tasks run inline in the "
                    "caller, never on a worker",
                    "Remove it here and set it only in test settings.",
                    app.config, [binding])
                yield Finding(self.code, message, binding.path, binding.span, hint=hint,
                              fix=_removal(model.project.root, binding))


@no_fix_on_mismatch
def _removal(root: Path, binding: Binding) -> Fix | None:
    """Unsafe: code that relied on inline results (``.get()`` without a worker) changes."""
    return fix("unsafe", f"Remove {binding.key}", remove_setting(root, binding.path, binding.span))
