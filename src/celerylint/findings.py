"""What a rule reports: a finding with exact positions, plus the fix it may carry.

Positions are 1-based rows and 1-based columns counted in characters (not the UTF-8
bytes `ast` counts), so every reporter, the noqa matcher and the flake8 adapter agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "note"]
SEVERITY_ORDER = {"note": 0, "warning": 1, "error": 2}
MESSAGE_LIMIT = 160  # characters: the hard limit on a message (DESIGN.md: short messages)


@dataclass(frozen=True, order=True)
class Span:
    """A source range: start (row, column) inclusive to end (row, column) exclusive."""

    row: int
    column: int
    end_row: int
    end_column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text of `span` with `content` (empty content deletes)."""

    content: str
    span: Span


@dataclass(frozen=True)
class Fix:
    """A change that resolves a finding; `applicability` decides when --fix applies it."""

    applicability: Literal["safe", "unsafe"]
    message: str
    edits: tuple[Edit, ...] = ()

    def applies(self, unsafe: bool) -> bool:
        """Does the user's choice (``--unsafe-fixes`` or not) let this fix be applied?
        Here so that ``--fix`` and the ``[*]`` marker of the reports always agree."""
        return bool(self.edits) and (self.applicability == "safe" or unsafe)


@dataclass(frozen=True)
class Finding:
    """One problem at one place.

    `path` is the file's project-relative, `/`-separated path; reporters make it relative
    to the current directory. `message` says what is wrong, with the names involved, in
    at most about 100 characters; `hint` says what to do, in one sentence ending with a
    period. The long explanation is the rule's documentation (``rules/CELnnn.toml``).
    Like the fix, the hint is not part of a finding's identity: equality, ordering,
    deduplication and fingerprints ignore it.
    """

    code: str
    message: str
    path: str
    span: Span
    severity: Severity | None = None
    fix: Fix | None = field(default=None, compare=False)
    hint: str = field(default="", compare=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order of every report: file, row, column, code, then message for ties."""
        return (self.path, self.span.row, self.span.column, self.code, self.message)

    def message_with_hint(self) -> str:
        """The message and the hint as two sentences, for formats with one text field."""
        if not self.hint:
            return self.message
        stop = "" if self.message.endswith((".", "!", "?")) else "."
        return f"{self.message}{stop} {self.hint}"
