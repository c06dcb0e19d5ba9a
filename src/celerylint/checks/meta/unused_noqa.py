"""CEL002 unused-noqa: CEL codes in a ``# noqa`` comment that silenced nothing.

It runs in the noqa stage, after every other rule, because only then is it known which
codes silenced something; its ``check`` has nothing to add before that.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path

from celerylint.checks.registry import Rule
from celerylint.engine.noqa import NoqaCode, NoqaComment
from celerylint.findings import Finding, Fix, Span
from celerylint.fixes import edits
from celerylint.fixes.builders import fix, no_fix_on_mismatch
from celerylint.fixes.view import load_view
from celerylint.model.build import Model
from celerylint.model.project import Project


class UnusedNoqa(Rule):
    """A ``# noqa: CELnnn`` code that suppresses nothing on its line."""

    code = "CEL002"

    def check(self, model: Model) -> Iterator[Finding]:
        return iter(())

    def dead_codes(self, project: Project, used: Mapping[tuple[str, int], set[str]],
                   selected: Collection[str], known: Collection[str]) -> Iterator[Finding]:
        """Findings for the CEL codes of noqa comments that silenced nothing.

        A code for a rule that did not run this time is left alone (it may well be
        needed); a code that names no rule at all is always dead.
        """
        for path in sorted(project.cel_noqa):
            noqa = project.noqa_of(path)
            if noqa.skip_file:
                continue
            for row in sorted(noqa.comments):
                comment = noqa.comments[row]
                dead = [c for c in comment.codes or () if c.code.startswith("CEL")
                        and c.code not in used.get((path, row), set())
                        and _could_matter(c.code, selected, known)]
                if dead:
                    yield self._finding(project.root, path, comment, dead, known)

    def _finding(self, root: Path, path: str, comment: NoqaComment, dead: list[NoqaCode],
                 known: Collection[str]) -> Finding:
        listed = ", ".join(c.code for c in dead)
        unknown = [c.code for c in dead if not any(k.startswith(c.code) for k in known)]
        why = f" ({', '.join(unknown)}: no such rule)" if unknown else ""
        plural = "s" if len(dead) > 1 else ""
        message = f"unused noqa code{plural}: {listed}{why}"
        hint = (f"Remove the unused code{plural} from the comment, or move the comment to "
                "the line where the finding lands.")
        span = Span(comment.row, dead[0].column, comment.row, dead[-1].end_column)
        return Finding(self.code, message, path, span,
                       fix=remove_dead_codes(root, path, comment, dead), hint=hint)


def _could_matter(code: str, selected: Collection[str], known: Collection[str]) -> bool:
    """Dead unless it names no rule, or every rule it names ran."""
    named = [k for k in known if k.startswith(code)]
    if not named:
        return True
    return all(k in selected for k in named)


@no_fix_on_mismatch
def remove_dead_codes(root: Path, path: str, comment: NoqaComment, dead: Sequence[NoqaCode]
                ) -> Fix | None:
    """CEL002 (safe): the dead codes removed from their noqa comment."""
    view = load_view(root, path)
    if view is None:
        return None
    listed = ", ".join(code.code for code in dead)
    message = f"Remove unused noqa code{'s' if len(dead) > 1 else ''} {listed}"
    return fix("safe", message, edits.remove_noqa_codes(view, comment, dead))
