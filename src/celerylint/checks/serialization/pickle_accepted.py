"""CEL102 pickle-accepted: accept_content / result_accept_content admits pickle."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.serialization.pickle import drop_pickle, pickle_entries
from celerylint.facts.values import Value
from celerylint.findings import Finding
from celerylint.model.build import Model
from celerylint.model.config import Binding, EffectiveConfig, mark_assumed


class PickleAccepted(Rule):
    """CEL102: accept_content / result_accept_content admits pickle."""

    code = "CEL102"
    blind_on = ("config",)

    def check(self, model: Model) -> Iterator[Finding]:
        project = model.project
        for app in model.production_apps():
            for setting in ("accept_content", "result_accept_content"):
                for binding in app.config.certain(setting):
                    if project.is_test_config(binding.path):
                        continue
                    for entry in pickle_entries(binding.value):
                        yield self._finding(model, app.config, setting, binding, entry)

    def _finding(self, model: Model, config: EffectiveConfig, setting: str, binding: Binding,
                 entry: Value) -> Finding:
        if setting == "accept_content":
            harm = "broker access means code execution in workers"
        else:
            harm = "result backend access means code execution in readers"
        message = f"{setting} accepts {entry.data!r}: {harm}"
        hint = ("Send 'json' first (CEL101), then accept only 'json', or sign messages with "
                "the 'auth' serializer.")
        message, hint = mark_assumed(message, hint, config, [binding])
        span = entry.span or binding.span
        return Finding(self.code, message, binding.path, span,
                       fix=drop_pickle(model.project.root, binding.path, span), hint=hint)
