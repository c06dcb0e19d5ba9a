"""``celerylint rule``: one rule's documentation (or every rule's) for a reader.

The text is the Markdown of ``docs/rules.md`` (the same renderer, from the same specs)
without its HTML anchors, which a terminal cannot follow. On a terminal it is rendered
with rich and shown through the user's pager (``PAGER``/``MANPAGER``), as ``git`` and
``man`` do with long text; piped or redirected, it is the plain Markdown, so
``celerylint rule CEL101 > cel101.md`` and ``| grep`` see exactly the published text.
``--output-format json`` gives the same facts to tools. A rule is found by its code or
its name (``pickle-serializer``), in any case, like ruff's ``rule`` command.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from celerylint.catalog.docs import render_rule
from celerylint.catalog.specs import RuleSpec

if TYPE_CHECKING:  # rich.markdown (with markdown-it) is imported only to show a rule
    from rich.console import Console

_SEPARATOR = "\n---\n\n"


class UnknownRule(LookupError):
    """A code or name that is no rule; the message suggests the closest one."""


def find_rule(catalog: Mapping[str, RuleSpec], query: str) -> RuleSpec:
    """The rule whose code or name is `query` (case-insensitive)."""
    wanted = query.strip().lower()
    for spec in catalog.values():
        if wanted in (spec.code.lower(), spec.name):
            return spec
    spelled = {spec.code.lower(): spec.code for spec in catalog.values()}
    spelled.update({spec.name: spec.name for spec in catalog.values()})
    close = _one_typo(wanted, spelled) or difflib.get_close_matches(wanted, list(spelled), n=1)
    hint = f"; did you mean '{spelled[close[0]]}'?" if close else "; `celerylint rules` lists them"
    raise UnknownRule(f"unknown rule {query!r}{hint}")


def _one_typo(wanted: str, known: Collection[str]) -> list[str]:
    """Known spellings one mistyped character away (``cel1o1`` -> ``cel101``): difflib
    alone ranks another code with more characters in common first."""
    return [name for name in sorted(known) if len(name) == len(wanted)
            and sum(a != b for a, b in zip(name, wanted)) == 1][:1]


def markdown(specs: Sequence[RuleSpec]) -> str:
    """The documentation of `specs`, one after the other, as plain Markdown."""
    return _SEPARATOR.join(render_rule(spec, with_anchor=False) for spec in specs)


def as_json(specs: Sequence[RuleSpec], single: bool) -> str:
    """An object for one rule (``rule CODE``), an array for ``--all``."""
    items = [_rule_dict(spec) for spec in specs]
    return json.dumps(items[0] if single else items, indent=2, ensure_ascii=False) + "\n"


def _rule_dict(spec: RuleSpec) -> dict[str, Any]:
    return {
        "code": spec.code,
        "name": spec.name,
        "severity": spec.severity,
        "default_enabled": spec.default_enabled,
        "fix": spec.fix,
        "summary": spec.summary,
        "explanation": render_rule(spec, with_anchor=False),
    }


def show(console: Console, text: str) -> None:
    """`text` (Markdown) rendered through the pager on a terminal; as is otherwise (a
    real terminal, not ``FORCE_COLOR``: a pipe must get the Markdown)."""
    isatty = getattr(console.file, "isatty", None)
    if not (isatty and isatty()):
        console.file.write(text)
        return
    # As git does: without the user's own LESS, let less show colours (R), quit when the
    # text fits on one screen (F) and leave it on the screen (X).
    os.environ.setdefault("LESS", "FRX")
    from rich.markdown import Markdown

    with console.pager(styles=True):
        console.print(Markdown(text))
