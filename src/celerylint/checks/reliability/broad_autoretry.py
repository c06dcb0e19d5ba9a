"""CEL207 broad-autoretry: ``autoretry_for`` containing ``Exception`` or ``BaseException``."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.reliability.task_options import autoretry, landing
from celerylint.facts.values import Symbol, Value
from celerylint.findings import Finding, Span
from celerylint.model.build import Model

BROAD = ("Exception", "BaseException")


def _builtin(value: Value) -> str | None:
    """The broad built-in a tuple item names: ``builtins.Exception``, or the bare name
    when nothing in the module binds it (the evaluator leaves such a name unknown with
    exactly this reason; a name the module imports or defines is a Symbol or a value)."""
    if value.known and isinstance(value.data, Symbol):
        module, _, name = value.data.dotted.rpartition(".")
        return name if module == "builtins" and name in BROAD else None
    for name in BROAD:
        if not value.known and value.reason == f"name {name!r} is not a constant":
            return name
    return None


class BroadAutoretry(Rule):
    """CEL207: automatic retries of every error, bugs included."""

    code = "CEL207"

    def check(self, model: Model) -> Iterator[Finding]:
        seen: set[tuple[str, Span]] = set()
        for task in model.production_tasks():
            found = autoretry(task)
            if found is None:
                continue
            broad = next((name for name in map(_builtin, found.value.data) if name), None)
            place = landing(task, "autoretry_for", found) if broad else None
            if place is None or place in seen:
                continue
            seen.add(place)
            yield Finding(
                self.code,
                f"autoretry_for includes {broad}: every error is retried, bugs and "
                "SoftTimeLimitExceeded too",
                *place,
                hint="List the transient errors worth retrying (connection errors, timeouts).")
