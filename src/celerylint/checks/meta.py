"""CEL0: problems with the files themselves."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks import Model
from celerylint.findings import Finding, Span


class SyntaxErrorRule:
    """CEL001: a file neither `ast` nor libcst can parse; the scan goes on without it."""

    code = "CEL001"

    def check(self, model: Model) -> Iterator[Finding]:
        project = model.project
        for path, failure in sorted(project.parse_errors.items()):
            span = Span(failure.row, failure.column, failure.row, failure.column + 1)
            yield Finding(self.code, f"syntax error: {failure.message}", path, span)
        for path, problem in sorted(project.read_errors.items()):
            if path.endswith(".py"):
                yield Finding(self.code, f"cannot read the file: {problem}", path,
                              Span(1, 1, 1, 1))
