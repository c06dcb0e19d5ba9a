"""What the serialization rules share: pickle's names, whether an app accepts pickle,
and the unsafe fixes that take pickle out."""

from __future__ import annotations

from pathlib import Path

from celerylint.facts.values import Value
from celerylint.findings import Fix, Span
from celerylint.fixes import edits
from celerylint.fixes.builders import fix, no_fix_on_mismatch
from celerylint.fixes.view import load_view
from celerylint.model.apps import App

# The serializer name and the content type Celery accepts pickle under.
PICKLE = ("pickle", "application/x-python-serialize")


def accepts_pickle(app: App, setting: str) -> bool | None:
    """Does an accept list admit pickle? None when it cannot be known.

    `result_accept_content` falls back to `accept_content` when unset, as in Celery.
    """
    config = app.config
    if setting == "result_accept_content" and not config.get(setting):
        setting = "accept_content"
    if config.is_unknown(setting):
        return None
    bindings = config.get(setting)
    if not bindings:
        return False
    return any(pickle_entries(binding.value) for binding in bindings)


def pickle_entries(value: Value) -> list[Value]:
    if not value.known or not isinstance(value.data, tuple):
        return []
    return [v for v in value.data if v.known and v.data in PICKLE]


@no_fix_on_mismatch
def pickle_to_json(root: Path, path: str, span: Span) -> Fix | None:
    """CEL101 (unsafe): the literal ``"pickle"`` at (or inside) `span` becomes ``"json"``."""
    view = load_view(root, path)
    if view is None:
        return None
    return fix("unsafe", "Replace 'pickle' with 'json'",
                edits.replace_string(view, span, "pickle", "json"))


@no_fix_on_mismatch
def drop_pickle(root: Path, path: str, entry: Span) -> Fix | None:
    """CEL102 (unsafe): every pickle entry of the list holding `entry` removed; a list
    left empty becomes ``["json"]``."""
    view = load_view(root, path)
    if view is None:
        return None
    return fix("unsafe", "Remove pickle from the accepted content types",
                edits.drop_strings(view, entry, PICKLE, "json"))
