"""Which written settings a configuration rule reports: each place once, although apps
sharing a settings module see the same binding, and never one in test code."""

from __future__ import annotations

from celerylint.model.build import Model
from celerylint.model.config import Binding


class ReportedPlaces:
    """The places already reported in one run of one rule."""

    def __init__(self, model: Model) -> None:
        self._project = model.project
        self._seen: set[tuple[str, int, int]] = set()

    def first(self, binding: Binding) -> bool:
        """True the first time a binding outside test code is seen at its place."""
        where = (binding.path, binding.span.row, binding.span.column)
        if where in self._seen or self._project.is_test_config(binding.path):
            return False
        self._seen.add(where)
        return True
