"""CEL302 result-expires-disabled: result_expires set to None or 0 (never expire)."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.facts.values import Duration
from celerylint.findings import Finding
from celerylint.model.build import Model
from celerylint.model.config import mark_assumed

_HINT = ("Set a retention in seconds, or add `# noqa: CEL302` if something outside Celery "
         "cleans up.")


def _disables(data: object) -> bool:
    if isinstance(data, Duration):
        return data.seconds == 0
    return data is None or (isinstance(data, (int, float)) and not isinstance(data, bool)
                            and data == 0)


class ResultExpiresDisabled(Rule):
    """CEL302: result_expires set to None or 0 (results never expire)."""

    code = "CEL302"
    blind_on = ("config",)

    def check(self, model: Model) -> Iterator[Finding]:
        seen = set()
        for app in model.production_apps():
            for binding, data in app.config.known_values("result_expires"):
                if not _disables(data) or (binding.path, binding.span) in seen:
                    continue
                seen.add((binding.path, binding.span))
                shown = "a zero timedelta" if isinstance(data, Duration) else repr(data)
                message = (f"result_expires is {shown}, which disables expiry: results are "
                           "never deleted")
                message, hint = mark_assumed(message, _HINT, app.config, [binding])
                yield Finding(self.code, message, binding.path, binding.span, hint=hint)
