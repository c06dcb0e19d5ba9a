"""CEL003 unreadable-file: a Python file of the project that cannot be read at all."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.findings import Finding, Span
from celerylint.model.build import Model

_HINT = ("Fix the link or the file's permissions, or exclude the path if it is not "
         "Python source.")


class UnreadableFile(Rule):
    """A ``.py`` file the scan should read but cannot (a dangling symlink, a symlink loop,
    a FIFO, permission denied, an I/O error): its facts are missing from the model, so it
    is reported, as flake8 and ruff report E902, and the scan goes on without it."""

    code = "CEL003"

    def check(self, model: Model) -> Iterator[Finding]:
        for path, reason in sorted(model.project.unreadable.items()):
            if path.endswith(".py"):
                yield Finding(self.code, f"cannot read the file: {reason}", path,
                              Span(1, 1, 1, 1), hint=_HINT)
