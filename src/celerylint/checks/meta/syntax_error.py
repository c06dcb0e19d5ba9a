"""CEL001 syntax-error: a file neither `ast` nor libcst can parse (or cannot decode;
a file that cannot be read at all is CEL003's)."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.findings import Finding, Span
from celerylint.model.build import Model

_PARSE_HINT = "Fix the syntax, or exclude the file if it is not Python source."
_READ_HINT = "Fix the file's encoding, or exclude it if it is not Python source."


class SyntaxErrorRule(Rule):
    """A file neither `ast` nor libcst can parse; the scan goes on without it."""

    code = "CEL001"

    def check(self, model: Model) -> Iterator[Finding]:
        project = model.project
        for path, failure in sorted(project.parse_errors.items()):
            span = Span(failure.row, failure.column, failure.row, failure.column + 1)
            yield Finding(self.code, f"syntax error: {failure.message}", path, span,
                          hint=_PARSE_HINT)
        for path, problem in sorted(project.read_errors.items()):
            if path.endswith(".py") and path not in project.unreadable:  # CEL003's
                yield Finding(self.code, f"cannot read the file: {problem}", path,
                              Span(1, 1, 1, 1), hint=_READ_HINT)
